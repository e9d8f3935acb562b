"""Icons hashed in worker processes (scanner.images.icon_pool): the same outcomes as hashing here, a broken
pool loses nothing, and a failed run leaves no worker behind."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scanner.engine.runner import LocalRunner
from scanner.images.icon import IconSignal
from scanner.images.icon_pool import HashLimits, IconPrefetch, hash_files
from scanner.images.pdq import IconError, IconHash
from scanner.policy import load_policy
from scanner.schema import GroupSnapshot
from scanner.signals.base import ScanContext
from tests.support.factories import snapshot

ICONS = 150  # three chunks of 64 and a partial one: several tasks, both workers busy


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Abstract noise icons, a few of them hostile (garbage, too small), reused by several groups."""
    root = tmp_path_factory.mktemp("icons")
    (root / "icons").mkdir()
    rng = np.random.default_rng(5)
    for i in range(ICONS):
        path = root / "icons" / f"i{i}.png"
        if i % 50 == 7:
            path.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
        elif i % 50 == 8:
            Image.new("RGB", (4, 4), 90).save(path)
        else:
            Image.fromarray((rng.random((48, 40, 3)) * 255).astype("uint8")).save(path)
    return root


def snapshots() -> list[GroupSnapshot]:
    records = [snapshot(f"g{i}", icon={"path": f"icons/i{i % ICONS}.png"}) for i in range(2 * ICONS)]
    records.append(snapshot("missing", icon={"path": "icons/not-there.png"}))
    records.append(snapshot("plain"))
    return [GroupSnapshot.model_validate(r) for r in records]


def icon_signal() -> IconSignal:
    return IconSignal(load_policy(None).signals.icon)


def test_pooled_results_equal_results_hashed_here(folder) -> None:
    context = ScanContext(folder)
    here, pooled = icon_signal(), icon_signal()
    serial = LocalRunner(batch_size=32, workers=1).run(snapshots(), [here], context)
    runner = LocalRunner(batch_size=32, workers=2, min_pool_icons=1)
    parallel = runner.run(snapshots(), [pooled], context)
    assert runner.pooled_icons == ICONS  # every distinct file went to the pool, each once
    assert parallel == serial
    assert pooled.thumbnails == here.thumbnails and len(here.thumbnails) == ICONS - 6
    errors = [r.features["icon_error"] for r in serial if "icon_error" in r.features]
    assert len(errors) == 2 * 6 + 1  # garbage and too small, each used twice, and the missing file
    # Below the threshold, or with one worker, nothing is pooled.
    small = LocalRunner(batch_size=32, workers=2, min_pool_icons=ICONS + 1)
    assert small.run(snapshots(), [icon_signal()], context) == serial and small.pooled_icons == 0


def test_a_broken_pool_hashes_its_chunks_here(folder) -> None:
    limits = HashLimits(5_000_000, 4_000_000, 96, 6.0)
    paths = {i: folder / "icons" / f"i{i}.png" for i in range(ICONS)}
    expected = hash_files([str(p) for p in paths.values()], limits)
    before = {p.pid for p in multiprocessing.active_children()}
    prefetch: IconPrefetch[int] = IconPrefetch(limits, workers=2, chunk=8)
    for key, path in paths.items():
        prefetch.add(key, path)
    prefetch.flush()
    workers = [p for p in multiprocessing.active_children() if p.pid not in before]
    assert workers
    for process in workers:
        os.kill(process.pid, signal.SIGKILL)
    outcomes: dict[int, IconHash | IconError] = {}
    for key in paths:
        if key not in outcomes:
            outcomes.update((k, found) for k, (found, _) in prefetch.take(key).items())
    assert prefetch.broken
    assert [repr(outcomes[k]) if isinstance(outcomes[k], IconError) else outcomes[k] for k in paths] == [
        repr(e) if isinstance(e, IconError) else e for e in expected]
    prefetch.close()


class Failing:
    name = "failing"
    version = "1"

    def score(self, snapshots, context):
        raise RuntimeError("a signal failed")


def test_a_failed_run_leaves_no_worker_behind(folder) -> None:
    before = {p.pid for p in multiprocessing.active_children()}
    runner = LocalRunner(batch_size=32, workers=2, min_pool_icons=1)
    with pytest.raises(RuntimeError, match="a signal failed"):
        runner.run(snapshots(), [icon_signal(), Failing()], ScanContext(folder))
    assert runner.pooled_icons == ICONS
    assert {p.pid for p in multiprocessing.active_children()} <= before


def test_cli_refuses_fewer_than_one_worker(tmp_path) -> None:
    from typer.testing import CliRunner

    from scanner.cli import app

    sample = Path(__file__).resolve().parents[1] / "sample_groups"
    done = CliRunner().invoke(app, ["scan", str(sample), "--workers", "0", "--db", str(tmp_path / "t.db")])
    assert done.exit_code == 2 and "--workers must be at least 1" in done.output
    assert not (tmp_path / "t.db").exists()  # refused before the database was made


def test_a_cold_scan_hashes_icons_while_it_reads(folder, tmp_path, monkeypatch) -> None:
    from sqlmodel import Session, select

    from scanner.engine.pipeline import run_scan
    from scanner.store.db import open_database
    from scanner.store.models import IconThumbnail
    from scanner.store.queries import group_dicts
    from tests.support.factories import write_jsonl

    records = [snapshot(f"g{i}", icon={"path": f"icons/i{i % ICONS}.png"}) for i in range(2 * ICONS)]
    # An earlier snapshot of g0 with another icon (hashed while reading, then replaced), and a bad line.
    records.insert(0, snapshot("g0", observed_at="2026-08-01T10:00:00Z", icon={"path": "icons/i99.png"}))
    records.append("{not json")
    data = write_jsonl(folder / "groups.jsonl", records)
    adopted: list[int] = []
    original = IconSignal.adopt

    def spy(self, prefetch):
        adopted.append(prefetch.added)
        original(self, prefetch)

    monkeypatch.setattr(IconSignal, "adopt", spy)

    def scan(name: str, workers: int):
        engine = open_database(str(tmp_path / f"{name}.db"))
        runner = LocalRunner(workers=workers, min_pool_icons=10)
        run_scan(engine, data, load_policy(None), runner=runner, cache_dir=tmp_path / f"{name}-cache")
        return engine, runner

    here, _ = scan("here", 1)
    assert adopted == []
    pooled, runner = scan("pooled", 2)
    assert adopted == [ICONS]  # every file was with the pool before the signals began
    assert runner.pooled_icons == ICONS
    assert group_dicts(pooled) == group_dicts(here)

    def thumbnails(engine):
        with Session(engine) as session:
            return sorted((t.icon_sha256, t.png) for t in session.exec(select(IconThumbnail)))

    assert thumbnails(pooled) == thumbnails(here) and len(thumbnails(here)) == ICONS - 6
    # With a cache, a rescan reads before it knows which groups changed: nothing is hashed while reading.
    run_scan(pooled, data, load_policy(None), runner=runner, cache_dir=tmp_path / "pooled-cache")
    assert adopted == [ICONS]
