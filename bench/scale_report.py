"""The scale benchmark's report and measurements (``bench/scale.py``): a row per stage and size with time, peak
and added resident memory, each heavy stage run in a forked child so one stage's memory does not inflate the
next's, with a time budget after which the child is stopped and the row says so."""

from __future__ import annotations

import multiprocessing
import os
import resource
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss

ROOT = Path(__file__).resolve().parents[1]


GRAPH_STAGES = ("backend graph", "components", "communities", "pagerank x5")


@dataclass
class Row:
    stage: str
    groups: int
    seconds: float | None = None
    peak_mb: float | None = None
    added_mb: float | None = None
    note: str = ""
    backend: str = ""

    @property
    def name(self) -> str:
        return f"{self.stage} [{self.backend}]" if self.backend else self.stage


class Report:
    def __init__(self) -> None:
        self.rows: list[Row] = []

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(self.line(row), flush=True)
        return row

    @staticmethod
    def line(row: Row) -> str:
        if row.seconds is None:
            return f"{row.name:<38} {row.groups:>11,} {'-':>9} {'-':>11} {'-':>9} {'-':>8}  {row.note}"
        rate = row.groups / row.seconds if row.seconds > 0 else float("inf")
        peak = f"{row.peak_mb:,.0f}" if row.peak_mb is not None else "-"
        added = f"{row.added_mb:+,.0f}" if row.added_mb is not None else "-"
        return f"{row.name:<38} {row.groups:>11,} {row.seconds:>9.2f} {rate:>11,.0f} {peak:>9} {added:>8}  {row.note}"

    def table(self) -> None:
        print(f"\n{'stage':<38} {'groups':>11} {'seconds':>9} {'groups/s':>11} {'peak MB':>9} {'+MB':>8}  note")
        for row in self.rows:
            print(self.line(row))
        sizes = sorted({r.groups for r in self.rows if r.backend})
        print(f"\n{'graph stage':<16} {'groups':>11} {'fast s':>9} {'networkx s':>11} {'fast/nx':>8} {'nx/fast':>8}")
        for size in sizes:
            for stage in GRAPH_STAGES:
                found = {r.backend: r for r in self.rows if r.stage == stage and r.groups == size and r.backend}
                fast, slow = found.get("fast"), found.get("networkx")
                if fast is None:
                    continue
                fast_s = f"{fast.seconds:.2f}" if fast.seconds is not None else "-"
                if slow is None or slow.seconds is None or fast.seconds is None:
                    why = slow.note if slow is not None else "not run"
                    print(f"{stage:<16} {size:>11,} {fast_s:>9} {'-':>11} {'-':>8} {'-':>8}  networkx: {why}")
                    continue
                ratio = fast.seconds / slow.seconds if slow.seconds > 0 else float("nan")
                speedup = slow.seconds / fast.seconds if fast.seconds > 0 else float("inf")
                print(f"{stage:<16} {size:>11,} {fast_s:>9} {slow.seconds:>11.2f} {ratio:>8.3f} {speedup:>7.1f}x")


# ----------------------------------------------------------------------------------------------- measuring
def rss_kb() -> int:
    """Current resident set size (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def reset_peak() -> bool:
    """Reset this process's RSS high-water mark, so that ru_maxrss becomes the peak of what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Measure:
    seconds: float
    peak_mb: float
    added_mb: float


def measure(run: Callable[[], object]) -> tuple[object, Measure]:
    reset_peak()
    before = rss_kb()
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result, Measure(seconds, peak / 1024, (peak - before) / 1024)


def _child(run: Callable[[], str], prepare: Callable[[], object] | None, sender) -> None:
    # libgomp cannot start its thread pool again after a fork: faiss (project()'s icon search) would hang.
    faiss.omp_set_num_threads(1)
    try:
        if prepare is not None:
            prepare()
        note, taken = measure(run)
        sender.send({"measure": taken, "note": str(note or "")})
    except BaseException as error:  # report anything to the parent, which prints it as the stage's note
        sender.send({"error": f"{type(error).__name__}: {error}"})
    finally:
        sender.close()


def forked(report: Report, stage: str, backend: str, groups: int, budget: float, run: Callable[[], str],
           prepare: Callable[[], object] | None = None) -> Row:
    """Run one stage in a forked child (it inherits the inputs, copy-on-write), stopped after ``budget`` s."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(run, prepare, sender), daemon=True)
    child.start()
    sender.close()
    outcome: dict | None
    try:
        outcome = receiver.recv() if receiver.poll(budget) else None
    except EOFError:  # the child died without a word (killed, out of memory)
        child.join()
        outcome = {"error": f"child exited with code {child.exitcode}"}
    if outcome is None:
        child.kill()
    child.join()
    receiver.close()
    if outcome is None:
        return report.add(Row(stage, groups, note=f"timed out (> {budget:.0f} s budget)", backend=backend))
    if "error" in outcome:
        return report.add(Row(stage, groups, note=f"failed: {outcome['error']}", backend=backend))
    taken: Measure = outcome["measure"]
    return report.add(Row(stage, groups, taken.seconds, taken.peak_mb, taken.added_mb, outcome["note"], backend))


def run_child(command: Sequence[str]) -> tuple[float, float, str]:
    """Run a subprocess from the repository root: (seconds, its own peak RSS in MB, its output)."""
    started = time.perf_counter()
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        output = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{output}")
    return seconds, usage.ru_maxrss / 1024, output
