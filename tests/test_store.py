from __future__ import annotations

import json
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import scanner.store.models  # noqa: F401
import scanner.store.review_models  # noqa: F401
from scanner.auth.users import add_user
from scanner.store.db import database_url, open_database
from tests.support.databases import on_postgres


def test_migrations_match_the_models(tmp_path):
    engine = open_database(str(tmp_path / "m.db"))
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    assert {"scan_run", "snapshot", "group_state", "cluster", "cluster_member", "rejected_record",
            "alembic_version"} <= set(inspect(engine).get_table_names())


@pytest.mark.sqlite_only(reason="reads the SQLite journal mode")
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


def test_test_databases_follow_the_suite_switch(tmp_path):
    """GROUPSCAN_TEST_DATABASE=postgres (tests/conftest.py): a test's SQLite path opens a PostgreSQL database, the
    same one in a `groupscan` process the test starts."""
    path = str(tmp_path / "switch.db")
    engine = open_database(path)
    assert engine.dialect.name == ("postgresql" if on_postgres() else "sqlite")
    add_user(engine, "sam", "auditor", "a long test passphrase")
    listed = subprocess.run([sys.executable, "-m", "scanner.cli", "users", "ls", "--db", path, "--json"],
                            capture_output=True, text=True, timeout=120, check=True)
    assert [u["name"] for u in json.loads(listed.stdout)] == ["sam"]
