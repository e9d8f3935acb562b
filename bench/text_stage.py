"""The text stage of a cold scan, alone: the text signals (lexicon and text model) over every group of a data
folder tiled K times, as the scan's signals stage runs them (``LocalRunner``, batches of 512, one process).

    .venv/bin/python -m bench.text_stage --data /tmp/scale-data/groups-100000-seed-11 --copies 10

Why: the text model's issue asks that the text stage of the README's 1M cold scan grow by no more than 60 s. The
scan's own timings lump text and icons together in "signals" (icons hashed in worker processes beside them), so
this script times the text signals by themselves. Copy k of a group is the group with ``~copy{k}`` on its id,
as ``bench/tile_data.py`` writes it: the names and descriptions repeat, as they do in the tiled folder the README's
scan reads, so the model's per-text memo serves copies 1..K-1 as it would in that scan.

Run it from two checkouts (this file copied into the older one, or ``PYTHONPATH`` pointing at it) to compare
the code before and after a change on the same machine in the same hour. It reads only the snapshots' text; it
writes nothing. Prints one JSON line: seconds per signal and in all, groups, distinct texts, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

TEXT_SIGNALS = ("lexicon", "text_model")


def latest_snapshots(data: Path) -> list:
    """The latest valid snapshot of each group in ``data/groups.jsonl`` (malformed lines skipped, as the scan
    quarantines them)."""
    from scanner.schema import parse_snapshot

    latest: dict[str, object] = {}
    with open(data / "groups.jsonl", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                snapshot = parse_snapshot(json.loads(line), data)
            except Exception:  # noqa: BLE001 - the scan quarantines these; here they are only skipped
                continue
            latest[snapshot.group_id] = snapshot
    return list(latest.values())


def tiled(snapshots: list, copies: int) -> list:
    """Copy k >= 1 of each snapshot with ``~copy{k}`` on its id (``bench.scale_tiling.copy_id``'s form, written
    out so that this file also runs in checkouts older than that module)."""
    out = list(snapshots)
    for k in range(1, copies):
        out.extend(s.model_copy(update={"group_id": f"{s.group_id}~copy{k}"}) for s in snapshots)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="a folder made by sample_groups.generate")
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--batch", type=int, default=512)
    args = parser.parse_args()

    try:
        from scanner.engine.assess import default_signals
        from scanner.engine.runner import LocalRunner
    except ImportError:  # checkouts before the engine package (to compare with older code)
        from scanner.assess import default_signals  # type: ignore[no-redef]
        from scanner.runner import LocalRunner  # type: ignore[no-redef]
    from scanner.policy import default_policy
    from scanner.signals.base import ScanContext

    started = time.perf_counter()
    snapshots = tiled(latest_snapshots(args.data), args.copies)
    read_seconds = time.perf_counter() - started
    signals = [s for s in default_signals(default_policy()) if s.name in TEXT_SIGNALS]
    context = ScanContext(args.data)
    runner = LocalRunner(args.batch)
    seconds: dict[str, float] = {}
    for signal in signals:
        started = time.perf_counter()
        runner.run(snapshots, [signal], context)
        seconds[signal.name] = round(time.perf_counter() - started, 1)
    texts = {t for s in snapshots for t in (s.name, s.description) if t}
    print(json.dumps({"groups": len(snapshots), "distinct_texts": len(texts), "read_seconds": round(read_seconds, 1),
                      "signal_seconds": seconds, "text_stage_seconds": round(sum(seconds.values()), 1),
                      "versions": {s.name: getattr(s, "version", "") for s in signals},
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


if __name__ == "__main__":
    main()
