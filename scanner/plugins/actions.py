"""Actions: what happens when a moderator decides and when a scan ends (webhooks, a Matrix notice, a deployer's
own), registered under ``groupscan.actions`` like every plugin (``scanner.plugins.registry``).

An action declares what it reacts to by the methods it has: ``OnDecision`` runs inside the decision's
transaction, so what it writes (an outbox row) commits with the decision or not at all; ``OnScan`` runs after a
scan committed and returns problems to report, because a notice that fails must never fail the scan. The review
services and the scan call ``decision_made`` and ``scan_finished`` here and know no action by name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from scanner.plugins.registry import registered

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from scanner.policy import Policy

log = logging.getLogger("groupscan.actions")


@runtime_checkable
class OnDecision(Protocol):
    """Reacts to ``decision`` and ``escalation`` events (the payload is the webhook's), in their transaction."""

    name: str

    def on_decision(self, session: Session, policy: Policy, event: str, payload: Mapping[str, object],
                    now: datetime) -> None: ...


@runtime_checkable
class OnScan(Protocol):
    """Reacts to a finished scan: ``event`` holds scan_id, source, changes, attention and text."""

    name: str

    def on_scan(self, engine: Engine, policy: Policy, event: Mapping[str, object]) -> list[str]: ...


def actions() -> list[object]:
    """One of every registered action, groupscan's own first."""
    return [factory() for factory in registered("actions").values()]


def decision_made(session: Session, policy: Policy, event: str, payload: Mapping[str, object],
                  now: datetime) -> None:
    for action in actions():
        if isinstance(action, OnDecision):
            action.on_decision(session, policy, event, payload, now)


def scan_finished(engine: Engine, policy: Policy, event: Mapping[str, object]) -> list[str]:
    """Every action's reaction to a scan; their problems, each also logged."""
    problems: list[str] = []
    for action in actions():
        if isinstance(action, OnScan):
            problems += action.on_scan(engine, policy, event)
    for problem in problems:
        log.warning(problem)
    return problems
