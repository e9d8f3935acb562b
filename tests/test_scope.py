"""Scoped rescans (scanner.engine.scope): a rescan scores only the networks a change can reach, and the database ends up
exactly as after a scan of everything; it falls back to scoring everything when the database may not match."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from scanner.engine.pipeline import run_scan
from scanner.images.hashbank import read_bank
from scanner.policy import default_policy
from tests.support.factories import icon, results_of, snapshot, two_databases, wa, write_jsonl


def small_caps_policy():
    """Caps low enough that a few changes push an admin or an icon family over them, and back."""
    policy = default_policy()
    graph = policy.graph.model_copy(update={"max_groups_per_admin": 5, "max_groups_per_icon": 4})
    return policy.model_copy(update={"graph": graph})


class World:
    """Groups whose admins, invite links, icons and names change between scans, as snapshots appended over time."""

    def __init__(self, data, seed: int, groups: int = 70) -> None:
        self.data, self.rng, self.day = data, random.Random(seed), 1
        self.records: list[dict] = []
        self.current: dict[str, dict] = {}
        for i in range(groups):
            self.put(self.random_group(f"wa:g{i:03d}", i))
        self.write()

    def random_group(self, gid: str, i: int) -> dict:
        rng = self.rng
        fields: dict = {
            "name": f"{rng.choice(['t33n new link', 'friends', 'cricket club', 'paid 18+ vip', 'backup'])} {i}",
            "own_invite_links": [wa(f"L{i}")],
            "admins": rng.sample([f"adm:{k}" for k in range(14)], rng.randint(0, 2)),
            "posted_invite_links": [{"url": wa(f"L{rng.randrange(90)}")} for _ in range(rng.randint(0, 2))],
        }
        if rng.random() < 0.5:
            fields["icon"] = {"path": self.icon_file()}
        return snapshot(gid, **fields)

    def icon_file(self) -> str:
        """An icon of one of a few families: the family's image, or that image rotated or mirrored (a different
        hash, a near duplicate through PDQ's dihedral variants)."""
        family, variant = self.rng.randrange(9), self.rng.randrange(3)
        name = f"f{family}-{variant}.png"
        path = self.data / "icons" / name
        if not path.exists():
            icon(path, seed=50 + family)
            if variant:
                turn = Image.Transpose.ROTATE_90 if variant == 1 else Image.Transpose.FLIP_LEFT_RIGHT
                Image.open(path).transpose(turn).save(path)
        return f"icons/{name}"

    def put(self, record: dict) -> None:
        record = {**record, "observed_at": f"2026-09-{self.day:02d}T10:00:00Z"}
        self.records.append(record)
        self.current[record["group_id"]] = record

    def change(self, count: int) -> set[str]:
        """``count`` groups change one thing each (a claimed link may move to another group), plus a new group;
        the data file is written again."""
        self.day += 1
        rng = self.rng
        changed = set()
        for gid in rng.sample(sorted(self.current), count):
            record = dict(self.current[gid])
            what = rng.choice(["admins", "own", "posted", "icon", "name"])
            if what == "admins":
                record["admins"] = rng.sample([f"adm:{k}" for k in range(14)], rng.randint(0, 3))
            elif what == "own":
                record["own_invite_links"] = [*record["own_invite_links"], wa(f"L{rng.randrange(90)}")]
            elif what == "posted":
                record["posted_invite_links"] = [{"url": wa(f"L{rng.randrange(90)}")} for _ in range(3)]
            elif what == "icon":
                record["icon"] = {"path": self.icon_file()}
            else:
                record["name"] = "new link " + record["name"]
            self.put(record)
            changed.add(gid)
        new = f"wa:n{self.day:03d}"
        self.put(self.random_group(new, 100 + self.day))
        changed.add(new)
        self.write()
        return changed

    def write(self) -> None:
        write_jsonl(self.data / "groups.jsonl", self.records)


def scanned_world(tmp_path, seed: int):
    """A world scanned once into both databases: the cached one with its cache, the other without."""
    data, cached_db, plain_db, cache_dir = two_databases(tmp_path)
    policy = small_caps_policy()
    world = World(data, seed=seed)
    first = run_scan(cached_db, data, policy, cache_dir=cache_dir)
    run_scan(plain_db, data, policy)
    return data, world, cached_db, plain_db, cache_dir, policy, first


@pytest.mark.parametrize("seed", [7, 8])
def test_scoped_rescans_equal_full_scans_through_random_changes(tmp_path, seed):
    data, world, cached_db, plain_db, cache_dir, policy, _ = scanned_world(tmp_path, seed)
    assert results_of(cached_db) == results_of(plain_db)
    partial = 0
    for round_number in range(10):
        world.change(4 if round_number % 2 else 1)
        scoped = run_scan(cached_db, data, policy, cache_dir=cache_dir)
        full = run_scan(plain_db, data, policy)
        assert results_of(cached_db) == results_of(plain_db), f"round {round_number}"
        assert 0 < scoped.groups_scored <= full.groups_scored == full.groups
        assert (scoped.clusters, scoped.flagged_clusters, scoped.flagged_groups) == (
            full.clusters, full.flagged_clusters, full.flagged_groups)
        partial += scoped.groups_scored < full.groups
    assert partial >= 3  # most rounds left some network alone


def test_nothing_new_scores_nothing_and_a_scan_without_the_cache_makes_the_next_one_full(tmp_path):
    data, world, cached_db, _, cache_dir, policy, first = scanned_world(tmp_path, 3)
    again = run_scan(cached_db, data, policy, cache_dir=cache_dir)
    assert again.groups_scored == 0 and again.groups == first.groups and again.clusters == first.clusters
    world.change(1)
    # A scan without the cache wrote the database since: the cache no longer says what the database holds.
    run_scan(cached_db, data, policy)
    world.change(1)
    after = run_scan(cached_db, data, policy, cache_dir=cache_dir)
    assert after.groups_scored == after.groups
    # The one after that is scoped again.
    world.change(1)
    assert run_scan(cached_db, data, policy, cache_dir=cache_dir).groups_scored < after.groups


def test_other_hash_lists_make_a_full_rescan(tmp_path):
    data, _, cached_db, plain_db, cache_dir, policy, _ = scanned_world(tmp_path, 11)
    hashes = sorted({row[5] for row in results_of(cached_db)["groups"] if row[5]})  # (…, pdq, …)
    bank_file = tmp_path / "list.pdq"
    bank_file.write_text(hashes[0] + "\n", encoding="utf-8")
    bank = read_bank(bank_file, "csam", 31)
    scoped = run_scan(cached_db, data, policy, banks=[bank], cache_dir=cache_dir)
    run_scan(plain_db, data, policy, banks=[bank])
    assert scoped.groups_scored == scoped.groups
    assert results_of(cached_db) == results_of(plain_db)
    assert scoped.new_hash_hits
    # The cache now knows the new list: the scan after that, with nothing new, scores nothing.
    assert scoped.cache_written == "delta"
    assert run_scan(cached_db, data, policy, banks=[bank], cache_dir=cache_dir).groups_scored == 0


def test_an_admin_crossing_the_hub_cap_rescores_the_groups_it_no_longer_joins(tmp_path):
    """Five groups joined only by one admin (the cap is 5); a new group with that admin makes it a hub, which
    joins nothing: the five fall apart although none of them changed and the new group is in none of their
    networks. They must be scored again."""
    data, cached_db, plain_db, cache_dir = two_databases(tmp_path)
    policy = small_caps_policy()
    five = [snapshot(f"wa:h{i}", name=f"paid 18+ vip {i}", own_invite_links=[wa(f"H{i}")], admins=["adm:hub"])
            for i in range(5)]
    others = [snapshot(f"wa:o{i}", name="cricket", own_invite_links=[wa(f"O{i}")]) for i in range(20)]
    write_jsonl(data / "groups.jsonl", [*five, *others])
    first = run_scan(cached_db, data, policy, cache_dir=cache_dir)
    run_scan(plain_db, data, policy)
    assert first.clusters == 21  # the five together, the twenty alone
    newcomer = snapshot("wa:z", name="cricket", own_invite_links=[wa("Z")], admins=["adm:hub"],
                        observed_at="2026-09-03T10:00:00Z")
    write_jsonl(data / "groups.jsonl", [*five, *others, newcomer])
    scoped = run_scan(cached_db, data, policy, cache_dir=cache_dir)
    run_scan(plain_db, data, policy)
    assert results_of(cached_db) == results_of(plain_db)
    assert scoped.groups_scored == 6 and scoped.clusters == 26


def test_a_scan_that_failed_after_the_cache_makes_the_next_one_full(tmp_path):
    from scanner.engine.pipeline import scan_records
    from scanner.sources import resolve

    data, world, cached_db, plain_db, cache_dir, policy, _ = scanned_world(tmp_path, 5)
    world.change(2)
    source, path = resolve(data)

    def breaks_at_the_end():
        yield from source.read(path)
        raise OSError("the disk went away")

    with pytest.raises(OSError):
        scan_records(cached_db, breaks_at_the_end(), str(path), data, policy, cache_dir=cache_dir)
    after = run_scan(cached_db, data, policy, cache_dir=cache_dir)
    run_scan(plain_db, data, policy)
    assert after.groups_scored == after.groups
    assert results_of(cached_db) == results_of(plain_db)


def test_a_decision_rescores_its_network_and_a_full_scan_then_changes_nothing(tmp_path):
    from sqlmodel import Session

    from scanner.auth.users import User
    from scanner.review.cases import queue
    from scanner.review.decisions import claim, decide
    from scanner.store.db import open_database
    from scanner.store.models import Group
    from tests.support.factories import mini_world

    data = tmp_path / "data"
    data.mkdir()
    others = [snapshot(f"wa:o{i}", name="cricket", own_invite_links=[wa(f"O{i}")], admins=[f"club:{i // 2}"])
              for i in range(12)]
    write_jsonl(data / "groups.jsonl", [*mini_world(bad=False), *others])
    engine = open_database(str(tmp_path / "db.sqlite"))
    policy, cache_dir = default_policy(), tmp_path / "cache"
    run_scan(engine, data, policy, cache_dir=cache_dir)
    moderator = User("mia", "moderator")
    (case_id,) = [r["case_id"] for r in queue(engine, moderator).rows if r["category"] == "child_safety"]
    claim(engine, moderator, case_id, policy)
    chosen = ["wa:ring7", "wa:ring8"]
    with Session(engine) as session:
        before = {g: session.get(Group, g).risk for g in chosen}
    decide(engine, moderator, case_id, "violating", policy, category="child_safety", group_ids=chosen, note="ring")
    scoped = run_scan(engine, data, policy, cache_dir=cache_dir)
    assert 0 < scoped.groups_scored < scoped.groups  # the ring's network, not the cricket clubs
    with Session(engine) as session:
        for gid in chosen:
            group = session.get(Group, gid)
            assert group.risk > before[gid]
            assert any(r["signal"] == "review" for r in group.reasons)
    # A scan of everything without the cache finds every row as the scoped scan left it.
    assert run_scan(engine, data, policy).groups_changed == 0
