"""Pytest's hooks and the fixtures every test may ask for. What tests share as code (data factories, the review
cast, databases, the real servers and their fixtures) is in ``tests/support/``; test data is made there or taken
from sample_groups (synthetic, non-graphic).

``GROUPSCAN_TEST_DATABASE=postgres`` runs the whole suite on PostgreSQL instead of SQLite: one server for the
session (tests/support/pg_server.py), and every SQLite file path a test uses under pytest's temporary folder
opens a fresh PostgreSQL database of its own instead, in the test process and in the processes it starts
(tests/pgswitch/pg_redirect.py). Tests marked ``sqlite_only`` are skipped then.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.support.databases import DATABASE_VARIABLE, SWITCH, on_postgres
from tests.support.factories import SHARED_EVAL, with_icons, write_jsonl
from tests.support.servers import MISSING_SERVER, REQUIRE_VARIABLE, postgres, servers_required, synapse  # noqa: F401  (fixtures)


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


@pytest.fixture
def shared_eval() -> Path:
    if not SHARED_EVAL.is_dir():
        pytest.skip("../shared/eval is not beside the repository")
    return SHARED_EVAL


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
