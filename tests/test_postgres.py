"""The PostgreSQL path on a real server (started by the tests, 127.0.0.1): migrations equal to the models, a scan
that a rescan leaves unchanged, the review flow with racing claims, the append-only audit trigger, the scan lock,
and the webhook outbox."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

import scanner.store.models  # noqa: F401
import scanner.store.review_models  # noqa: F401
from bots.core import BotCore
from scanner.auth.users import User, add_user
from scanner.engine.pipeline import run_scan
from scanner.engine.scanlock import DatabaseLock
from scanner.policy import default_policy
from scanner.review.cases import queue
from scanner.review.decisions import ClaimConflict, ReviewError, claim, confirmed_groups, decide, review_escalation
from scanner.review.prefs import Preferences, save_preferences
from scanner.schema import GroupSnapshot
from scanner.store import audit
from scanner.store.db import open_database
from scanner.store.models import Cluster, Group, ScanRun, Snapshot
from scanner.store.review_models import AuditEvent, BotAlert, BotState, ReviewDecision, UserPreference
from scanner.store.tx import write
from tests.support.factories import snapshot, wa, with_icons, write_jsonl


@pytest.fixture
def pg(postgres):
    engine = open_database(postgres.new_database())
    yield engine
    engine.dispose()


def test_migrations_match_the_models_on_postgres(pg):
    with pg.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
        assert connection.execute(text("select version()")).scalar().startswith("PostgreSQL")


def test_scan_review_and_audit_on_postgres(pg, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "groups.jsonl", with_icons(data))
    policy = default_policy()
    first = run_scan(pg, data, policy)
    assert first.cases_opened == 1

    def dump() -> tuple:
        with Session(pg) as session:
            return (sorted((g.group_id, g.risk, g.score_sha256) for g in session.exec(select(Group))),
                    sorted((c.cluster_id, c.score_sha256) for c in session.exec(select(Cluster))),
                    len(session.exec(select(Snapshot.id)).all()))

    before = dump()
    assert run_scan(pg, data, policy).groups_changed == 0 and dump() == before

    case_id = queue(pg, User("mia", "moderator")).rows[0]["case_id"]
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def attempt(name: str) -> None:
        barrier.wait()
        try:
            claim(pg, User(name, "lead"), case_id, policy)
            outcomes.append(name)
        except ClaimConflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=attempt, args=(f"lead{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o != "lost"]
    assert len(winners) == 1
    decision = decide(pg, User(winners[0], "lead"), case_id, "escalate", policy, category="child_safety",
                      note="ring")
    review_escalation(pg, User("other-lead", "lead"), decision, approve=True, policy=policy)
    assert len(confirmed_groups(pg)) == 15
    result = audit.verify(pg)
    assert result.intact and result.rows == 6  # 2 scans, cases opened, claim, escalation, approval
    with pytest.raises(Exception, match="append-only"), pg.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'x' WHERE id = 1"))
    with pytest.raises(Exception, match="append-only"), pg.begin() as connection:
        connection.execute(text("DELETE FROM audit_event"))


def test_scan_lock_on_postgres(pg):
    first, second = DatabaseLock(pg), DatabaseLock(pg)
    assert first.try_acquire() and not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def ring_world(rings: int, size: int, joined: int = 0, filler: int = 300) -> list:
    """``rings`` planted rings of ``size`` groups (each posts three of its ring's invite links; shared admins),
    plus ``joined`` newer members per ring, and ``filler`` benign groups. Rings share names, so decisions on
    different rings write the same text labels."""
    records: list = []
    for k in range(rings):
        for i in range(size + joined):
            targets = [(i + step) % (size + joined) for step in (1, 2, 3)]
            records.append(snapshot(
                f"wa:r{k}m{i}", name="t33n xxx new link" if i < 3 else f"friends {i}",
                own_invite_links=[wa(f"R{k}x{i}")], admins=[f"adm:{k}:{i % 2}"],
                posted_invite_links=[{"url": wa(f"R{k}x{t}")} for t in targets],
                observed_at="2026-09-01T10:00:00Z" if i < size else f"2026-09-0{1 + i - size + 1}T10:00:00Z"))
    records += [snapshot(f"wa:b{i}", name=["Class 8 parents", "cricket", "recipes"][i % 3],
                         own_invite_links=[wa(f"B{i}")], admins=[f"fam:{i // 3}"]) for i in range(filler)]
    return records


def test_concurrent_scan_dashboard_and_bot_writes_on_postgres(pg, tmp_path):
    """Scans (under the scan lock, as `groupscan scan` runs them) that grow and reopen cases, moderators claiming
    and deciding, preference saves, audit appends, and a bot (its state, its alerts and rescores of its own) all
    write at once until the scans are done: nothing deadlocks, every write is there afterwards, and the audit
    chain is intact."""
    policy = default_policy()
    folders = []
    for joined in (0, 2, 4):
        folder = tmp_path / f"data{joined}"
        folder.mkdir()
        write_jsonl(folder / "groups.jsonl", ring_world(rings=6, size=6, joined=joined))
        folders.append(folder)
    assert run_scan(pg, folders[0], policy).cases_opened == 6
    cases = sorted(row["case_id"] for row in queue(pg, User("mia", "moderator")).rows)
    assert len(cases) == 6

    moderators = [add_user(pg, f"mod{i}", "moderator", "a long test passphrase") for i in range(3)]
    bot = BotCore(pg, policy, tmp_path / "bot", "matrix:!mods:test")
    errors: list[BaseException] = []
    scanning = threading.Event()
    scanning.set()
    done: dict[str, list] = {"scans": [], "claims": [], "decisions": [], "prefs": [], "appends": [], "state": [],
                             "alerts": [], "rescores": []}

    def worker(body):
        def run() -> None:
            barrier.wait(timeout=60)
            try:
                body()
            except BaseException as error:  # noqa: B036 - reported by the main thread
                errors.append(error)
        return threading.Thread(target=run, daemon=True)

    def rounds(least: int, most: int):
        """At least ``least`` rounds, then on while the scans run, at most ``most``."""
        for round_ in range(most):
            if round_ >= least and not scanning.is_set():
                return
            yield round_

    def scan() -> None:
        try:
            for folder in (folders[1], folders[2], folders[2]):  # members join twice (cases grow, reopen); a rescan
                lock = DatabaseLock(pg)
                lock.acquire(wait=300, poll=0.05)
                try:
                    done["scans"].append(run_scan(pg, folder, policy).scan_id)
                finally:
                    lock.release()
        finally:
            scanning.clear()

    def moderate(index: int) -> None:
        user, mine = moderators[index], cases[index::len(moderators)]
        for round_ in rounds(3, 60):
            for n, case_id in enumerate(mine):
                try:
                    claim(pg, user, case_id, policy)
                    done["claims"].append((user.name, case_id))
                    action = ("more_info", "violating", "more_info", "benign")[(n + round_) % 4]
                    decision = decide(pg, user, case_id, action, policy, note="looked at it",
                                      category="child_safety" if action == "violating" else None)
                    done["decisions"].append((decision, case_id, action))
                except ReviewError:
                    pass  # closed until the scan reopens it: legitimate, and nothing was written
                prefs = save_preferences(pg, user, Preferences(round_ % 7 + n / 10, n % 2 == 0, 20 + round_ + n))
                done["prefs"].append((user.name, prefs))
                write(pg, lambda session, u=user.name, r=round_, c=case_id: audit.append(
                    session, u, "viewed", c, {"round": r}))
                done["appends"].append((user.name, case_id, round_))

    def bot_work() -> None:
        for i in rounds(4, 60):
            bot.put_state("sync", {"since": i})
            bot.put_state(f"room{i}", {"seen": i})
            done["state"].append(i)
            batch = bot.alerts()
            bot.mark_sent(batch)
            done["alerts"].append(batch.keys)
            if i % 2 == 0:
                new = GroupSnapshot.model_validate(snapshot(f"wa:live{i}", name=f"live {i}",
                                                            observed_at="2026-09-09T10:00:00Z"))
                done["rescores"].append(bot.rescore([new]).scan_id)

    threads = [worker(scan), worker(bot_work), *(worker(lambda i=i: moderate(i)) for i in range(len(moderators)))]
    barrier = threading.Barrier(len(threads))
    for t in threads:
        t.start()
    deadline = time.monotonic() + 600
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not [t for t in threads if t.is_alive()], "a writer is still running: deadlock or stall"
    assert not errors, "\n".join(f"{type(e).__name__}: {e}" for e in errors)

    with Session(pg) as session:
        runs = {r.id: r.status for r in session.exec(select(ScanRun))}
        assert len(runs) == 1 + len(done["scans"]) + len(done["rescores"]) and set(runs.values()) == {"done"}
        assert len(done["scans"]) == 3 and len(done["rescores"]) >= 2
        stored = {d.id: (d.case_id, d.action) for d in session.exec(select(ReviewDecision))}
        assert stored == {d: (c, a) for d, c, a in done["decisions"]}
        events = list(session.exec(select(AuditEvent)))
        count = Counter((e.actor, e.action) for e in events)
        for index, user in enumerate(moderators):
            mine = cases[index::len(moderators)]
            assert count[(user.name, "claim")] == sum(1 for n, _ in done["claims"] if n == user.name)
            assert count[(user.name, "decision")] == sum(1 for _, c, _ in done["decisions"] if c in mine)
            assert count[(user.name, "preferences")] == sum(1 for n, _ in done["prefs"] if n == user.name)
            assert count[(user.name, "viewed")] == sum(1 for n, *_ in done["appends"] if n == user.name)
            last = [p for n, p in done["prefs"] if n == user.name][-1]
            row = session.get(UserPreference, user.name)
            assert row is not None and (row.extra_blur, row.hide_icons, row.break_minutes) == (
                last.extra_blur, last.hide_icons, last.break_minutes)
        assert count[("system", "scan")] == len(runs)
        assert count[(f"bot:{bot.channel}", "bot_alert")] == sum(1 for keys in done["alerts"] if keys)
        sent: dict[str, str] = {}
        for keys in done["alerts"]:
            sent.update(keys)
        alerts = {a.case_id: a.state_key for a in session.exec(select(BotAlert).where(BotAlert.channel == bot.channel))}
        assert alerts == sent
        states = {s.key: s.value for s in session.exec(select(BotState))}
    assert states == {f"{bot.channel}:sync": {"since": done["state"][-1]},
                      **{f"{bot.channel}:room{i}": {"seen": i} for i in done["state"]}}
    assert len(done["decisions"]) >= 6
    result = audit.verify(pg)
    assert result.intact and result.rows == len(events)
