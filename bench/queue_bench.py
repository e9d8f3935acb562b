"""Time the dashboard queue with many open cases: the first page (cold and warm), filtered pages, a deep page,
and a scan's case sync. Target (issue 5): the first page under 1.5 s at 100,000 cases.

    .venv/bin/python bench/queue_bench.py --cases 100000

Not a test: it prints numbers for the issue notes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update
from sqlmodel import col

from scanner.auth.users import User
from scanner.policy import default_policy
from scanner.review.cases import QueueFilter, queue, sync_cases
from scanner.store.db import open_database
from scanner.store.models import Cluster, ScanRun
from scanner.store.review_models import ReviewCase

CATEGORIES = ["child_safety", "sexual_solicitation", "incitement", "adult_content", "scam"]
SEVERITY = {"child_safety": "P0", "sexual_solicitation": "P1", "incitement": "P1", "adult_content": "P2",
            "scam": "P3"}
PLATFORMS = ["whatsapp", "telegram", "matrix", "discord"]


def populate(path: Path, cases: int, seed: int) -> None:
    rng = random.Random(seed)
    engine = open_database(str(path))
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(insert(ScanRun), [{"id": 1, "started_at": now, "source": "bench", "timings": {},
                                              "models": {}}])
        for start in range(0, cases, 10_000):
            clusters, rows = [], []
            for i in range(start, min(cases, start + 10_000)):
                category = rng.choice(CATEGORIES)
                severity = SEVERITY[category]
                platform = rng.choice(PLATFORMS)
                risk = round(rng.uniform(0.5, 1.0), 6)
                opened = now - timedelta(hours=rng.uniform(0, 200))
                hours = {"P0": 1, "P1": 4, "P2": 24, "P3": 72}[severity]
                reasons = [{"signal": "lexicon", "feature": "x", "value": "y", "category": category, "weight": 0.5,
                            "sentence": f"Bench reason {j} for cluster {i}."} for j in range(3)]
                cid = f"c-{i:010d}"
                clusters.append(dict(cluster_id=cid, size=rng.randint(1, 40), risk=risk, category=category,
                                     flagged=True, severity=severity, deadline_hours=hours, categories={category: risk},
                                     reasons=reasons, structure={"platforms": [platform]}, active=True,
                                     first_scan_id=1, updated_scan_id=1, score_sha256="0" * 64))
                claimed = rng.random() < 0.05
                rows.append(dict(case_id=cid, status="open", active=True, severity=severity,
                                 severity_rank=int(severity[1]), category=category, platforms=f",{platform},",
                                 risk=risk, size=clusters[-1]["size"], opened_at=opened,
                                 deadline_at=opened + timedelta(hours=hours), evidence={}, reopened=0,
                                 cluster_key="0" * 64 + ":1", assignee=f"mod{rng.randint(0, 20)}" if claimed else None,
                                 claim_expires_at=now + timedelta(minutes=20) if claimed else None, updated_at=now))
            connection.execute(insert(Cluster), clusters)
            connection.execute(insert(ReviewCase), rows)
    engine.dispose()


def timed(function, repeat: int = 5) -> tuple[float, float]:
    """(first call, median of the following calls) in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    user = User("bench", "moderator")
    for size in args.cases:
        with tempfile.TemporaryDirectory(prefix="groupscan-queue-") as tmp:
            path = Path(tmp) / "queue.db"
            started = time.perf_counter()
            populate(path, size, args.seed)
            print(f"{size:,} cases: populated in {time.perf_counter() - started:.1f} s")
            engine = open_database(str(path))  # a fresh engine: the first query is a cold start of the pool
            views = {
                "first page (all open)": lambda e=engine: queue(e, user),
                "first page, category=incitement": lambda e=engine: queue(e, user, QueueFilter(category="incitement")),
                "first page, platform=matrix": lambda e=engine: queue(e, user, QueueFilter(platform="matrix")),
                "first page, unclaimed": lambda e=engine: queue(e, user, QueueFilter(assignee="-")),
                "page 2,000 (deep offset)": lambda e=engine: queue(e, user, page=2000),
            }
            print(f"  {'view':36} {'first s':>8} {'warm median s':>14}")
            for label, view in views.items():
                first, warm = timed(view)
                print(f"  {label:36} {first:8.3f} {warm:14.3f}")
            policy = default_policy()
            started = time.perf_counter()
            result = sync_cases(engine, policy)
            print(f"  case sync after a scan, nothing changed: {time.perf_counter() - started:.2f} s, "
                  f"{result.updated} rows updated")
            changed = max(1, size // 100)
            with engine.begin() as connection:
                connection.execute(update(Cluster).where(col(Cluster.cluster_id).in_(
                    [f"c-{i:010d}" for i in range(0, size, size // changed)])).values(score_sha256="1" * 64,
                                                                                         risk=0.99))
            started = time.perf_counter()
            result = sync_cases(engine, policy)
            print(f"  case sync after a scan, {changed:,} clusters changed: {time.perf_counter() - started:.2f} s, "
                  f"{result.updated} rows updated")


if __name__ == "__main__":
    main()
