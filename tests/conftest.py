"""Shared fixtures. Test data is made here or taken from sample_groups (synthetic, non-graphic).

``GROUPSCAN_TEST_DATABASE=postgres`` runs the whole suite on PostgreSQL instead of SQLite: one server for the
session (tests/pg_server.py), and every SQLite file path a test uses under pytest's temporary folder opens a fresh
PostgreSQL database of its own instead, in the test process and in the processes it starts
(tests/pgswitch/pg_redirect.py). Tests marked ``sqlite_only`` are skipped then.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_groups"
SHARED_EVAL = ROOT.parent / "shared" / "eval"
SWITCH = ROOT / "tests" / "pgswitch"
DATABASE_VARIABLE = "GROUPSCAN_TEST_DATABASE"
# A skip whose reason starts with this is a real server or client missing (Synapse, PostgreSQL, Chromium, Node and
# Draupnir's library): with CI=true or GROUPSCAN_REQUIRE_SERVERS=1 it fails the test instead.
MISSING_SERVER = "missing server: "
REQUIRE_VARIABLE = "GROUPSCAN_REQUIRE_SERVERS"


def missing_server(what: str) -> str:
    """The skip reason for a test whose real server is not installed (see ``MISSING_SERVER``)."""
    return MISSING_SERVER + what


def servers_required() -> bool:
    return (os.environ.get(REQUIRE_VARIABLE, "").strip() not in ("", "0")
            or os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"))


def on_postgres() -> bool:
    """True when the suite runs on PostgreSQL (``GROUPSCAN_TEST_DATABASE=postgres``)."""
    value = os.environ.get(DATABASE_VARIABLE, "sqlite").strip().lower()
    if value not in ("", "sqlite", "postgres", "postgresql"):
        raise pytest.UsageError(f"{DATABASE_VARIABLE}={value!r}: expected sqlite or postgres")
    return value.startswith("postgres")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "sqlite_only(reason): checks SQLite itself; skipped when the suite runs "
                                       "on PostgreSQL")
    if on_postgres():
        # Wrap scanner.store.db.database_url before any test module imports it (redirects nothing until the
        # session fixture below names the server).
        sys.path.insert(0, str(SWITCH))
        import pg_redirect

        pg_redirect.install()


def pytest_collection_modifyitems(config, items) -> None:
    if not on_postgres():
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            why = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "SQLite only")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip for a missing server fails the test where servers are required (CI): the README's test command
    installs them (scripts/bootstrap-test-servers), so a skip there means a test that matters did not run."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and servers_required():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if MISSING_SERVER in reason:
            report.outcome = "failed"
            report.longrepr = (f"{reason}\n{REQUIRE_VARIABLE} or CI is set: a test skipped for a missing server "
                               "fails (scripts/bootstrap-test-servers installs them)")


def pytest_report_header(config) -> str:
    return f"groupscan test database: {'PostgreSQL' if on_postgres() else 'SQLite'} ({DATABASE_VARIABLE})"


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


def snapshot(group_id: str, **fields) -> dict:
    """A valid wire record with sensible defaults, overridden by ``fields``."""
    record = {
        "schema": 1,
        "platform": "whatsapp",
        "group_id": group_id,
        "observed_at": "2026-09-01T10:00:00Z",
        "name": f"group {group_id}",
        "description": "",
        "member_count": 10,
        "admins": [],
        "own_invite_links": [],
        "posted_invite_links": [],
    }
    record.update(fields)
    return record


def write_jsonl(path: Path, records: list) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def shared_eval() -> Path:
    if not SHARED_EVAL.is_dir():
        pytest.skip("../shared/eval is not beside the repository")
    return SHARED_EVAL


def with_icons(data) -> list:
    """The mini world, with an abstract generated icon on ring0 (non-graphic: a gradient)."""
    icons = data / "icons"
    icons.mkdir(exist_ok=True)
    pixels = np.add.outer(np.arange(64), np.arange(64)).astype(np.uint8) * 2
    Image.fromarray(np.stack([pixels, pixels[::-1], pixels.T], axis=-1)).save(icons / "r0.png")
    from tests.test_pipeline import mini_world

    records = mini_world(bad=False)
    records[0] = {**records[0], "icon": {"path": "icons/r0.png"}}
    return records


@pytest.fixture
def scanned(tmp_path):
    """A real scan of the planted-ring world with one icon: (engine, data folder, default policy)."""
    from scanner.engine.pipeline import run_scan
    from scanner.policy import default_policy
    from scanner.store.db import open_database

    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "groups.jsonl", with_icons(data))
    engine = open_database(str(tmp_path / "db.sqlite"))
    policy = default_policy()
    run_scan(engine, data, policy)
    return engine, data, policy


@pytest.fixture(scope="module")
def synapse(tmp_path_factory):
    """A real Synapse on 127.0.0.1 for a test module (a start costs 2-3 s); skips if .venv-synapse is missing."""
    from tests.matrix_server import SYNAPSE_PYTHON, SynapseServer, synapse_available

    if not synapse_available():
        pytest.skip(missing_server(f"{SYNAPSE_PYTHON} does not exist (scripts/bootstrap-test-servers creates "
                                   ".venv-synapse with matrix-synapse)"))
    server = SynapseServer(tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on 127.0.0.1 for the session; skips where the server binaries are missing
    (scripts/bootstrap-test-servers installs them), unless the whole suite was asked to run on PostgreSQL."""
    from tests.pg_server import PostgresServer, pg_bin

    if pg_bin() is None:
        message = missing_server("PostgreSQL server binaries are not installed (scripts/bootstrap-test-servers "
                                 "installs the postgresql package)")
        if on_postgres():
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def test_database(request, tmp_path_factory):
    """On PostgreSQL (``GROUPSCAN_TEST_DATABASE=postgres``): name the server and the redirected folder to this
    process and, through the environment and PYTHONPATH, to every process a test starts."""
    if not on_postgres():
        yield "sqlite"
        return
    import pg_redirect

    server = request.getfixturevalue("postgres")
    names = (pg_redirect.SERVER_VARIABLE, pg_redirect.ROOT_VARIABLE, "PYTHONPATH", "XDG_CACHE_HOME")
    saved = {k: os.environ.get(k) for k in names}
    os.environ[pg_redirect.SERVER_VARIABLE] = server.url("")
    os.environ[pg_redirect.ROOT_VARIABLE] = str(tmp_path_factory.getbasetemp())
    # Scan caches of non-SQLite databases go to the user's cache folder: keep this run's in its temporary folder.
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SWITCH), saved["PYTHONPATH"]) if p)
    try:
        yield "postgres"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
