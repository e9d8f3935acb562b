"""The PostgreSQL path on a real server (started by the tests, 127.0.0.1): migrations equal to the models, a scan
that a rescan leaves unchanged, the review flow with racing claims, the append-only audit trigger, the scan lock,
and the webhook outbox."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

import scanner.store.models  # noqa: F401
from scanner.pipeline import run_scan
from scanner.policy import default_policy
from scanner.review import audit
from scanner.review.cases import queue
from scanner.review.decisions import ClaimConflict, claim, confirmed_groups, decide, review_escalation
from scanner.scanlock import DatabaseLock
from scanner.store.db import open_database
from scanner.store.models import Cluster, Group, Snapshot
from scanner.users import User
from tests.conftest import with_icons, write_jsonl


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
