"""Real servers for tests, and what a missing one means: a Synapse homeserver, a PostgreSQL server, and a local
webhook receiver. A skip for a missing server fails where servers are required (CI, ``GROUPSCAN_REQUIRE_SERVERS``).
The fixtures are registered by ``tests/conftest.py``."""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.databases import on_postgres

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


@pytest.fixture(scope="module")
def synapse(tmp_path_factory):
    """A real Synapse on 127.0.0.1 for a test module (a start costs 2-3 s); skips if .venv-synapse is missing."""
    from tests.support.matrix_server import SYNAPSE_PYTHON, SynapseServer, synapse_available

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
    from tests.support.pg_server import PostgresServer, pg_bin

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


class Receiver:
    """A local webhook receiver that records what it got and answers with the status it is told to."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
