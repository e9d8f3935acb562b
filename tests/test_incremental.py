"""Incremental scans: a rescan with the cache scores only what changed and stores exactly what a scan without the
cache stores; the icon-pair search over new icons finds what a full search finds; a stale cache is not used."""

from __future__ import annotations

import pickle
import random

import numpy as np
from sqlalchemy import select
from sqlmodel import Session

from scanner.engine import scancache
from scanner.engine.pipeline import run_scan
from scanner.engine.runner import LocalRunner
from scanner.graph.icons import near_duplicate_hash_pairs
from scanner.images.hashbank import near_duplicate_pairs
from scanner.policy import default_policy
from scanner.store.db import open_database
from scanner.store.models import Group, Snapshot
from tests.support.databases import delete_database
from tests.support.factories import icon, mini_world, results_of, snapshot, two_databases, wa, write_jsonl


def first_world(data) -> list:
    records = mini_world(bad=False)
    for i in range(6):
        icon(data / "icons" / f"ring{i}.png", seed=1, noise=3 * i)
        records[i] = {**records[i], "icon": {"path": f"icons/ring{i}.png"}}
    for i in range(15, 20):
        icon(data / "icons" / f"b{i}.png", seed=100 + i)
        records[i] = {**records[i], "icon": {"path": f"icons/b{i}.png"}}
    return records


def second_world(data) -> list:
    """The first world a day later: two ring groups renamed, one benign group (wa:b1) changed its icon, and three new
    groups join the ring (one with a rotated copy of the ring's icon, one with a new icon of its own)."""
    records = first_world(data)
    later = "2026-09-02T10:00:00Z"
    records.append({**records[7], "name": "t33n new link 2", "observed_at": later})
    records.append({**records[8], "name": "backup 8", "observed_at": later})
    icon(data / "icons" / "b16-new.png", seed=999)
    records.append({**records[16], "icon": {"path": "icons/b16-new.png"}, "observed_at": later})
    icon(data / "icons" / "new0.png", seed=1, rotate=True)
    icon(data / "icons" / "new1.png", seed=4242)
    rng = random.Random(3)
    for k in range(3):
        records.append(snapshot(
            f"wa:new{k}", name=f"friends new {k}", own_invite_links=[wa(f"N{k}")], admins=["adm:0"],
            posted_invite_links=[{"url": wa(f"R{t}")} for t in rng.sample(range(15), 3)], observed_at=later,
            **({"icon": {"path": f"icons/new{k}.png"}} if k < 2 else {})))
    return records


class CountingRunner(LocalRunner):
    """The local runner, remembering which groups each signal scored."""

    def __init__(self) -> None:
        super().__init__()
        self.scored: dict[str, set[str]] = {}

    def run(self, snapshots, signals, context, progress=None):
        for signal in signals:
            self.scored.setdefault(signal.name, set()).update(s.group_id for s in snapshots)
        return super().run(snapshots, signals, context, progress)


def test_incremental_rescan_equals_a_full_rescan_and_scores_only_changes(tmp_path):
    data, cached_db, plain_db, cache_dir = two_databases(tmp_path)
    policy = default_policy()

    write_jsonl(data / "groups.jsonl", first_world(data))
    first = run_scan(cached_db, data, policy, cache_dir=cache_dir)
    run_scan(plain_db, data, policy)
    assert first.groups_reused == 0 and list(cache_dir.glob("scan-cache-*.pickle"))
    assert results_of(cached_db) == results_of(plain_db)

    write_jsonl(data / "groups.jsonl", second_world(data))
    counting = CountingRunner()
    second = run_scan(cached_db, data, policy, runner=counting, cache_dir=cache_dir)
    run_scan(plain_db, data, policy)
    assert results_of(cached_db) == results_of(plain_db)

    changed = {"wa:ring7", "wa:ring8", "wa:b1", "wa:new0", "wa:new1", "wa:new2"}
    assert counting.scored["text_model"] == changed and counting.scored["lexicon"] == changed
    assert counting.scored["icon"] == changed
    assert second.groups_reused == len(first_world(data)) - 3
    with Session(cached_db) as session:
        ring_family = session.exec(select(Group.icon_family).where(Group.group_id == "wa:ring0")).one()
        rotated = session.exec(select(Group.icon_family).where(Group.group_id == "wa:new0")).one()
    assert ring_family is not None and rotated == ring_family  # found by the search over new icons only

    # A third scan of the same input scores nothing again, changes no row and leaves the cache file alone.
    before = results_of(cached_db)
    (cache_file,) = cache_dir.glob("scan-cache-*.pickle")
    written = cache_file.stat().st_mtime_ns
    again = CountingRunner()
    third = run_scan(cached_db, data, policy, runner=again, cache_dir=cache_dir)
    assert "text_model" not in again.scored and third.groups_changed == 0 and results_of(cached_db) == before
    assert "cache_write" not in third.timings and cache_file.stat().st_mtime_ns == written


def test_a_cache_from_another_database_or_policy_is_not_used(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "groups.jsonl", first_world(data))
    policy = default_policy()
    cache_dir = tmp_path / "cache"
    engine = open_database(str(tmp_path / "db.sqlite"))
    run_scan(engine, data, policy, cache_dir=cache_dir)
    engine.dispose()

    # The database is deleted and made again under the same path with other data: the cache must be ignored.
    delete_database(tmp_path / "db.sqlite")
    write_jsonl(data / "groups.jsonl", mini_world(seed=9, bad=False))
    engine = open_database(str(tmp_path / "db.sqlite"))
    counting = CountingRunner()
    summary = run_scan(engine, data, policy, runner=counting, cache_dir=cache_dir)
    assert summary.groups_reused == 0 and len(counting.scored["text_model"]) == summary.groups

    # Another policy (a different threshold) means another cache key: everything is scored again.
    model_policy = policy.signals.text_model
    text = model_policy.model_copy(update={"min_probability": model_policy.min_probability / 2})
    other = policy.model_copy(update={"signals": policy.signals.model_copy(update={"text_model": text})})
    counting = CountingRunner()
    summary = run_scan(engine, data, other, runner=counting, cache_dir=cache_dir)
    assert summary.groups_reused == 0 and len(counting.scored["text_model"]) == summary.groups

    # A damaged cache file is ignored too.
    for path in cache_dir.glob("scan-cache-*.pickle"):
        path.write_bytes(b"not a pickle")
    counting = CountingRunner()
    summary = run_scan(engine, data, other, runner=counting, cache_dir=cache_dir)
    assert summary.groups_reused == 0 and len(counting.scored["text_model"]) == summary.groups


def test_icon_pairs_over_new_icons_equal_a_full_search():
    rng = np.random.default_rng(5)
    base = rng.integers(0, 256, size=(60, 32), dtype=np.uint8)
    near = base.copy()
    flips = rng.integers(0, 32, size=60)
    near[np.arange(60), flips] ^= 0x0F  # 4 bits away
    hashes = [bytes(row).hex() for row in np.concatenate([base, near])]
    variants = {h: (h, hashes[(i + 7) % len(hashes)]) for i, h in enumerate(hashes[:10])}
    full = {(hashes[i], hashes[j]) if hashes[i] < hashes[j] else (hashes[j], hashes[i])
            for i, j, _ in near_duplicate_pairs(hashes, 31, variants)}
    assert len(full) >= 60
    old, new = hashes[:70], hashes[70:]
    known = near_duplicate_hash_pairs(old, 31, variants)
    assert near_duplicate_hash_pairs(hashes, 31, variants, old, known) == full
    assert near_duplicate_hash_pairs(old + new[:5], 31, variants, hashes, full) == {
        p for p in full if p[0] in old + new[:5] and p[1] in old + new[:5]}


def test_cache_folder_defaults():
    assert scancache.default_folder("sqlite:///data/g.db") == scancache.Path("data/g.db.cache")
    assert scancache.default_folder("postgresql://u@h/db").name == "groupscan"


def test_a_purge_makes_the_next_scan_a_full_one(tmp_path):
    """Deleting covered snapshots (what `groupscan purge` does to old observations) invalidates the cache: the
    folded states it holds would still carry the deleted history."""
    data = tmp_path / "data"
    data.mkdir()
    policy = default_policy()
    cache_dir = tmp_path / "cache"
    engine = open_database(str(tmp_path / "db.sqlite"))
    write_jsonl(data / "groups.jsonl", second_world(data))
    run_scan(engine, data, policy, cache_dir=cache_dir)
    assert run_scan(engine, data, policy, cache_dir=cache_dir).groups_reused > 0
    with Session(engine) as session, session.begin():
        oldest = session.exec(select(Snapshot).where(Snapshot.group_id == "wa:ring7")
                              .order_by(Snapshot.observed_at)).scalars().first()
        session.delete(oldest)
    counting = CountingRunner()
    summary = run_scan(engine, data, policy, runner=counting, cache_dir=cache_dir)
    assert summary.groups_reused == 0 and len(counting.scored["text_model"]) == summary.groups



def test_rescans_append_deltas_and_a_full_journal_writes_a_new_base(tmp_path, monkeypatch):
    """Each rescan appends a delta instead of rewriting the cache; the chain of deltas gives what a scan without
    the cache gives; past ``MAX_DELTAS`` a fresh base replaces them, and a delta left from the old base (a crash
    between the two writes) is not applied to the new one."""
    data, cached_db, plain_db, cache_dir = two_databases(tmp_path)
    policy = default_policy()
    records = first_world(data)
    write_jsonl(data / "groups.jsonl", records)
    assert run_scan(cached_db, data, policy, cache_dir=cache_dir).cache_written == "base"
    run_scan(plain_db, data, policy)
    (base,) = cache_dir.glob("scan-cache-*.pickle")
    written = base.stat().st_mtime_ns

    def rescan(day: int) -> str:
        later = f"2026-09-{day + 1:02d}T10:00:00Z"
        records.append({**records[7 + day % 3], "name": f"renamed {day}", "observed_at": later})
        write_jsonl(data / "groups.jsonl", records)
        summary = run_scan(cached_db, data, policy, cache_dir=cache_dir)
        run_scan(plain_db, data, policy)
        assert results_of(cached_db) == results_of(plain_db)
        assert summary.groups_reused == len({r["group_id"] for r in records}) - 1
        return summary.cache_written

    assert [rescan(day) for day in (1, 2, 3)] == ["delta"] * 3
    assert base.stat().st_mtime_ns == written
    deltas = sorted(cache_dir.glob("scan-cache-*.pickle.delta-*"))
    assert [p.name[-4:] for p in deltas] == ["0001", "0002", "0003"]
    key = pickle.loads(base.read_bytes()).key
    assert scancache.load(base, key).deltas == 3  # type: ignore[union-attr]
    stale = deltas[0].read_bytes()

    monkeypatch.setattr(scancache, "MAX_DELTAS", 3)
    assert rescan(4) == "base"
    assert not list(cache_dir.glob("scan-cache-*.pickle.delta-*")) and base.stat().st_mtime_ns != written
    deltas[0].write_bytes(stale)  # the old base's first delta, as if a crash had left it behind
    loaded = scancache.load(base, key)
    assert loaded is not None and loaded.deltas == 0
    assert rescan(5) == "delta"
