"""Test-only: run the suite on PostgreSQL (``GROUPSCAN_TEST_DATABASE=postgres``, see tests/conftest.py).

Every SQLite database a test makes is a file under pytest's base temporary folder. With the switch on,
``scanner.store.db.database_url`` is wrapped so that such a path (or ``sqlite:///`` URL) resolves to a
PostgreSQL database on the session's server instead, created on first use. The database's name is derived from
the file's real path, so the same path opens the same database in the test process and in every ``groupscan``,
dashboard or bot process the test starts: those load ``sitecustomize.py`` from this folder (conftest puts it on
``PYTHONPATH``), which installs the same wrapper when ``scanner.store.db`` is first imported. Paths outside the
base folder, and every other URL, resolve as usual. Product code is not touched.

Environment (set by conftest): ``GROUPSCAN_TEST_PG_SERVER`` the server's URL without a database name,
``GROUPSCAN_TEST_PG_ROOT`` the folder whose SQLite paths are redirected.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import threading
from importlib.abc import MetaPathFinder
from types import ModuleType

SERVER_VARIABLE = "GROUPSCAN_TEST_PG_SERVER"  # e.g. postgresql+psycopg://postgres@127.0.0.1:5433/
ROOT_VARIABLE = "GROUPSCAN_TEST_PG_ROOT"
TARGET = "scanner.store.db"

_created: set[str] = set()
_lock = threading.Lock()


def database_name(path: str) -> str:
    """A stable PostgreSQL database name for a SQLite file path: readable stem plus a hash of the real path."""
    real = os.path.realpath(path)
    stem = re.sub(r"[^a-z0-9]+", "_", os.path.basename(real).lower())[:24]
    return f"t_{stem}_{hashlib.sha256(real.encode()).hexdigest()[:16]}"


def _maintenance(server: str):
    """An autocommit connection to the server's ``postgres`` database (CREATE and DROP DATABASE run there)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server)
    return psycopg.connect(f"host={url.host} port={url.port} user={url.username} dbname=postgres", autocommit=True)


def _ensure(server: str, name: str) -> None:
    import psycopg

    with _lock:
        if name in _created:
            return
        with _maintenance(server) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            # Another process may make it a moment before us: that is as good.
            if not exists:
                with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                    connection.execute(f'CREATE DATABASE "{name}"')
        _created.add(name)


def admin_execute(server: str, *statements: str) -> None:
    """Run statements on the server's maintenance database."""
    with _maintenance(server) as connection:
        for statement in statements:
            connection.execute(statement)


def drop(path: str) -> None:
    """Drop the database standing in for ``path`` (the next open makes it again, empty), as deleting the SQLite
    file would."""
    name = database_name(path)
    admin_execute(os.environ[SERVER_VARIABLE], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with _lock:
        _created.discard(name)


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///`` URL, or None for other URLs and in-memory databases."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            path = url[len(prefix):].split("?", 1)[0]
            return path if path and path != ":memory:" else None
    return None


def redirect(url: str) -> str:
    """``url`` itself, or the PostgreSQL URL standing in for it when it is a SQLite file under the root."""
    server, root = os.environ.get(SERVER_VARIABLE), os.environ.get(ROOT_VARIABLE)
    path = sqlite_path(url)
    if not server or not root or path is None or not os.path.isabs(path):
        return url
    real, base = os.path.realpath(path), os.path.realpath(root)
    if os.path.commonpath([real, base]) != base:
        return url
    name = database_name(real)
    _ensure(server, name)
    return server.rstrip("/") + "/" + name


def patch(module: ModuleType) -> None:
    """Wrap ``module.database_url`` (scanner.store.db) with ``redirect``; idempotent."""
    original = module.database_url
    if getattr(original, "_pg_redirect", False):
        return

    def database_url(explicit: str | None = None) -> str:
        return redirect(original(explicit))

    database_url._pg_redirect = True  # type: ignore[attr-defined]
    database_url.__doc__ = original.__doc__
    module.database_url = database_url  # type: ignore[attr-defined]


class _PatchOnImport(MetaPathFinder):
    """Patches scanner.store.db right after it executes, before any other module imports from it."""

    def find_spec(self, fullname, path, target=None):
        if fullname != TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                loader, run = spec.loader, spec.loader.exec_module

                def exec_module(module, run=run):
                    run(module)
                    patch(module)

                loader.exec_module = exec_module  # type: ignore[method-assign]
                return spec
        return None


def install() -> None:
    """Patch now if scanner.store.db is loaded, else as soon as it is."""
    if TARGET in sys.modules:
        patch(sys.modules[TARGET])
    elif not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())
