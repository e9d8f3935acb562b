"""Shared fixtures. Test data is made here or taken from sample_groups (synthetic, non-graphic)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
