"""The test database: SQLite files by default, or a fresh PostgreSQL database for each file path a test uses
when the suite runs with ``GROUPSCAN_TEST_DATABASE=postgres`` (``tests/pgswitch/pg_redirect.py``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.factories import ROOT

SWITCH = ROOT / "tests" / "pgswitch"
DATABASE_VARIABLE = "GROUPSCAN_TEST_DATABASE"


def on_postgres() -> bool:
    """True when the suite runs on PostgreSQL (``GROUPSCAN_TEST_DATABASE=postgres``)."""
    value = os.environ.get(DATABASE_VARIABLE, "sqlite").strip().lower()
    if value not in ("", "sqlite", "postgres", "postgresql"):
        raise pytest.UsageError(f"{DATABASE_VARIABLE}={value!r}: expected sqlite or postgres")
    return value.startswith("postgres")


def copy_database(source: Path, target: Path) -> None:
    """Copy a test database: the file on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. The source must
    have no open connection."""
    if not on_postgres():
        shutil.copy(source, target)
        return
    import pg_redirect

    from scanner.store.db import database_url

    source_name = database_url(str(source)).rsplit("/", 1)[1]
    pg_redirect.drop(str(target))
    target_name = pg_redirect.database_name(str(target))
    pg_redirect.admin_execute(os.environ[pg_redirect.SERVER_VARIABLE],
                              f'CREATE DATABASE "{target_name}" TEMPLATE "{source_name}"')


def delete_database(path: Path) -> None:
    """Delete a test database, so that the same path opens a new, empty one: the file on SQLite, the database
    standing in for it on PostgreSQL."""
    if on_postgres():
        import pg_redirect

        pg_redirect.drop(str(path))
    else:
        path.unlink()
