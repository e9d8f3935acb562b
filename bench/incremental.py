"""Incremental-rescan benchmark: a cold scan with the cache, then a rescan in which a share of the groups changed,
with the cache and without it (the same database state copied before the rescan).

    .venv/bin/python -m bench.incremental --data /tmp/scale-data/groups-100000-seed-11 --changed 0.01

``--data`` is a folder made by ``python -m sample_groups.generate``. The changes are new snapshots, a day later,
of ``--changed`` of the groups picked at random: half renamed, half posting one more invite link of another
changed group; they are written to ``DATA/bench-delta-groups.jsonl`` (beside the icons they name) and scanned as
that file, as a scheduled scan of a day's export would be. Each scan runs in its own process (``run_scan``, SQLite,
the bundled lexicon and the data's hash lists); the figures are wall-clock seconds, the scan's own stage
timings, and the process's peak RSS (``os.wait4``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def scan_child() -> None:
    """Subprocess entry: ``run_scan`` of argv[1] into argv[2], cache folder argv[3] ("-": none)."""
    from bench.scale import timed_scan

    cache = sys.argv[3]
    print(json.dumps(timed_scan(Path(sys.argv[1]), sys.argv[2], None if cache == "-" else Path(cache))))


def run(location: Path, db: Path, cache: Path | None) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", "from bench.incremental import scan_child; scan_child()",
                                str(location), str(db), str(cache) if cache else "-"],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"scan of {location} failed (status {status})")
    result = json.loads(output.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def make_delta(data: Path, share: float, seed: int) -> tuple[Path, int]:
    latest: dict[str, dict] = {}
    with open(data / "groups.jsonl", encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not (isinstance(record, dict) and "group_id" in record):
                continue
            known = latest.get(record["group_id"])
            if known is None or record["observed_at"] > known["observed_at"]:
                latest[record["group_id"]] = record
    rng = random.Random(seed)
    chosen = rng.sample(sorted(latest), max(1, round(share * len(latest))))
    lines = []
    for k, gid in enumerate(chosen):
        record = dict(latest[gid])
        record["observed_at"] = "2030-01-01T00:00:00Z"
        if k % 2 == 0:
            record["name"] = f"{record.get('name', '')} 2"
        else:
            other = latest[chosen[(k + 1) % len(chosen)]]
            extra = [{"url": url} for url in other.get("own_invite_links", [])[:1]]
            record["posted_invite_links"] = list(record.get("posted_invite_links", [])) + extra
        lines.append(json.dumps(record, ensure_ascii=False))
    path = data / "bench-delta-groups.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(chosen)


def line(label: str, result: dict) -> str:
    timings = ", ".join(f"{k} {v:.1f}" for k, v in result["timings"].items())
    return (f"{label:<34} {result['seconds']:8.1f} s  peak {result['peak_mb']:7.0f} MB  "
            f"{result['groups']:,} groups, {result['changed']:,} changed; {timings}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="groupscan-incremental-") as tmp:
        work = Path(tmp)
        cold = run(args.data, work / "scan.db", work / "cache")
        print(line("cold scan (cache written)", cold), flush=True)
        shutil.copy(work / "scan.db", work / "plain.db")
        delta, changed = make_delta(args.data, args.changed, args.seed)
        try:
            warm = run(delta, work / "scan.db", work / "cache")
            print(line(f"rescan, {changed:,} changed, cache", warm), flush=True)
            plain = run(delta, work / "plain.db", None)
            print(line(f"rescan, {changed:,} changed, no cache", plain), flush=True)
        finally:
            delta.unlink(missing_ok=True)
        print(f"\nincremental / full rescan: {warm['seconds'] / plain['seconds']:.2f} "
              f"({plain['seconds'] / warm['seconds']:.1f}x faster); cache file "
              f"{sum(p.stat().st_size for p in (work / 'cache').iterdir()) / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
