"""Engines and migrations. SQLite (WAL) is the default so a researcher needs no server; any SQLAlchemy URL
works (``--db`` or ``GROUPSCAN_DATABASE_URL``). The schema is always brought up by alembic, never by
``create_all``, so every database has a recorded migration history."""

from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlmodel import create_engine

from scanner.files.resources import package_path

DEFAULT_DATABASE = "groupscan.db"
ENV_VARIABLE = "GROUPSCAN_DATABASE_URL"
MIGRATIONS = package_path("scanner.store", "migrations")


def database_url(explicit: str | None = None) -> str:
    """``explicit`` (a URL or a plain file path), else the environment, else ./groupscan.db."""
    value = explicit or os.environ.get(ENV_VARIABLE) or DEFAULT_DATABASE
    return value if "://" in value else f"sqlite:///{value}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str | None = None) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine
