"""Shared fixtures. Test data is made here or taken from sample_groups (synthetic, non-graphic)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_groups"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


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
    from scanner.pipeline import run_scan
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
        pytest.skip(f"{SYNAPSE_PYTHON} does not exist (.ci/run creates .venv-synapse with matrix-synapse)")
    server = SynapseServer(tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on 127.0.0.1 for the session; skips where the server binaries are missing
    (.ci/run installs them)."""
    from tests.pg_server import PostgresServer, pg_bin

    if pg_bin() is None:
        pytest.skip("PostgreSQL server binaries are not installed (.ci/run installs the postgresql package)")
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()
