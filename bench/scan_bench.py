"""Time a full scan at several sizes of generated data and print the figures (stage timings, peak RSS).

    .venv/bin/python bench/scan_bench.py --groups 5000 20000

Not a test: it prints numbers for the issue notes and for spotting regressions by eye.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scanner.engine.pipeline import run_scan
from scanner.engine.runner import LocalRunner
from scanner.images.hashbank import read_bank
from scanner.images.icon_pool import available_cpus
from scanner.policy import default_policy
from scanner.store.db import open_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, nargs="+", default=[5000])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    policy = default_policy()
    print(f"{'groups':>8} {'total s':>8} {'rescan s':>9} {'peak RSS MB':>12}  stages (first scan)")
    for size in args.groups:
        with tempfile.TemporaryDirectory(prefix="groupscan-bench-") as tmp:
            data = Path(tmp) / "data"
            subprocess.run([sys.executable, "-m", "sample_groups.generate", "--seed", str(args.seed), "--groups",
                            str(size), "--out", str(data)], check=True, capture_output=True)
            banks = [read_bank(p, "child_safety", 31) for p in sorted((data / "hashlists").glob("*.pdq"))]
            engine = open_database(str(Path(tmp) / "bench.db"))
            started = time.perf_counter()
            runner = LocalRunner(workers=available_cpus())  # as `groupscan scan` runs it
            summary = run_scan(engine, data, policy, banks, runner=runner)
            total = time.perf_counter() - started
            started = time.perf_counter()
            run_scan(engine, data, policy, banks, runner=runner)
            rescan = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            stages = ", ".join(f"{k} {v:.2f}" for k, v in summary.timings.items())
            print(f"{summary.groups:>8} {total:>8.2f} {rescan:>9.2f} {peak:>12.0f}  {stages}", flush=True)
            engine.dispose()


if __name__ == "__main__":
    main()
