"""Incremental-rescan benchmark: a cold scan with the cache, then a rescan in which a share of the groups changed,
with the cache and without it (the same database state copied before the rescan).

    .venv/bin/python -m bench.incremental --data /tmp/scale-data/groups-100000-seed-11 --changed 0.01
    .venv/bin/python -m bench.incremental --data /tmp/scale-data/tiled-1000000 --workdir /tmp/inc-1m --no-plain

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


def copy_cache(source: Path, source_db: Path, target: Path, target_db: Path) -> None:
    """Copy a scan cache folder for a copy of its database. The cache files are named after the database's URL
    (``scancache.cache_path``), so they are renamed for the copy's."""
    from scanner.engine.scancache import cache_path
    from scanner.store.db import make_engine

    def name(db: Path) -> str:
        return cache_path(Path("."), make_engine(str(db)).url.render_as_string()).name

    old, new = name(source_db), name(target_db)
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        shutil.copy(path, target / path.name.replace(old, new))


def line(label: str, result: dict) -> str:
    timings = ", ".join(f"{k} {v:.1f}" for k, v in result["timings"].items())
    return (f"{label:<34} {result['seconds']:8.1f} s  peak {result['peak_mb']:7.0f} MB  "
            f"{result['groups']:,} groups, {result.get('scored', 0):,} scored, {result['changed']:,} changed, "
            f"{result.get('reused', 0):,} reused, "
            f"cache {result.get('cache_written') or 'untouched'}; {timings}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--workdir", type=Path,
                        help="keep the cold scan's database and cache here and reuse them on the next run "
                             "(default: a temporary folder)")
    parser.add_argument("--no-plain", action="store_true", help="skip the rescan without the cache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="groupscan-incremental-") as tmp:
        keep = args.workdir or Path(tmp)
        keep.mkdir(parents=True, exist_ok=True)
        cold_db, cold_cache = keep / "cold.db", keep / "cold-cache"
        if not (keep / "cold.json").exists():
            cold = run(args.data, cold_db, cold_cache)
            (keep / "cold.json").write_text(json.dumps(cold))
            print(line("cold scan (cache written)", cold), flush=True)
        else:
            print(line("cold scan (kept from an earlier run)", json.loads((keep / "cold.json").read_text())))
        work = Path(tmp)
        shutil.copy(cold_db, work / "scan.db")
        copy_cache(cold_cache, cold_db, work / "cache", work / "scan.db")
        delta, changed = make_delta(args.data, args.changed, args.seed)
        try:
            warm = run(delta, work / "scan.db", work / "cache")
            print(line(f"rescan, {changed:,} changed, cache", warm), flush=True)
            again = run(delta, work / "scan.db", work / "cache")
            print(line("the same rescan again (nothing new)", again), flush=True)
            if not args.no_plain:
                shutil.copy(cold_db, work / "plain.db")
                plain = run(delta, work / "plain.db", None)
                print(line(f"rescan, {changed:,} changed, no cache", plain), flush=True)
                print(f"\nincremental / full rescan: {warm['seconds'] / plain['seconds']:.2f} "
                      f"({plain['seconds'] / warm['seconds']:.1f}x faster)")
        finally:
            delta.unlink(missing_ok=True)
        print(f"cache: {sum(p.stat().st_size for p in (work / 'cache').iterdir()) / 2**20:.0f} MB in "
              f"{', '.join(sorted(p.name.split('.', 1)[-1] for p in (work / 'cache').iterdir()))}")


if __name__ == "__main__":
    main()
