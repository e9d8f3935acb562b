"""Write transactions for review actions, retried when a concurrent writer got there first.

Two dashboard sessions (or a scan, a bot and a dashboard) may write at once. SQLite answers a stale writer with
"database is locked"; PostgreSQL answers a lock cycle with "deadlock detected". A unique constraint answers two
writers that both found a row missing and both inserted it: the audit chain's ``prev_sha256`` (two appends after
the same row), a text label two decisions wrote, a user's first preferences or a bot's first state. All mean
"read again and redo", which is safe because every action re-checks its preconditions (and what already exists)
inside the transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

T = TypeVar("T")
ATTEMPTS = 6
UNIQUE_VIOLATION = "23505"  # SQLSTATE, PostgreSQL


def _retryable(error: Exception) -> bool:
    if isinstance(error, IntegrityError):
        text = str(error)
        return (getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION or "UNIQUE constraint failed" in text
                or "prev_sha256" in text)
    text = str(error).lower()
    return "locked" in text or "deadlock" in text or "could not serialize" in text


def write(engine: Engine, action: Callable[[Session], T]) -> T:
    """Run ``action`` in one transaction; retry it a few times on a lost race, then give up loudly."""
    for attempt in range(ATTEMPTS):
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                return action(session)
        except (IntegrityError, OperationalError) as error:
            if attempt == ATTEMPTS - 1 or not _retryable(error):
                raise
            time.sleep(0.02 * (2 ** attempt))
    raise AssertionError("unreachable")
