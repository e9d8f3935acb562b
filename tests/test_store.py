from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import scanner.store.models  # noqa: F401
from scanner.store.db import database_url, open_database


def test_migrations_match_the_models(tmp_path):
    engine = open_database(str(tmp_path / "m.db"))
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    assert {"scan_run", "snapshot", "group_state", "cluster", "cluster_member", "rejected_record",
            "alembic_version"} <= set(inspect(engine).get_table_names())


def test_migrate_is_idempotent_and_sqlite_uses_wal(tmp_path):
    path = str(tmp_path / "m.db")
    open_database(path).dispose()
    engine = open_database(path)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("select count(*) from alembic_version")).scalar() == 1


def test_database_url_resolution(monkeypatch):
    monkeypatch.delenv("GROUPSCAN_DATABASE_URL", raising=False)
    assert database_url(None) == "sqlite:///groupscan.db"
    assert database_url("x/y.db") == "sqlite:///x/y.db"
    assert database_url("postgresql+psycopg://u@127.0.0.1/g") == "postgresql+psycopg://u@127.0.0.1/g"
    monkeypatch.setenv("GROUPSCAN_DATABASE_URL", "sqlite:////tmp/env.db")
    assert database_url(None) == "sqlite:////tmp/env.db"
