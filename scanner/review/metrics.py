"""Review metrics for leads and auditors: open cases by severity, time to first action and to decision (median
and p90) per category and ISO week, deadline breaches, and decisions per moderator. Plain rows, so the
dashboard charts them and the transparency report (escalation issue) can reuse them."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session, select

from scanner.auth.users import User, require
from scanner.review.cases import OPEN_STATUSES, utc
from scanner.store.review_models import ReviewCase, ReviewDecision


def _week(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


def _stats(hours: list[float]) -> dict:
    if not hours:
        return {"n": 0, "median_h": None, "p90_h": None}
    values = np.asarray(hours)
    return {"n": len(hours), "median_h": round(float(np.median(values)), 3),
            "p90_h": round(float(np.percentile(values, 90)), 3)}


def review_metrics(engine: Engine, user: User, now: datetime | None = None) -> dict:
    require(user, "view_metrics")
    now = now or datetime.now(UTC)
    with Session(engine) as session:
        cases = [(c.status, c.active, c.severity, c.category, c.opened_at, c.first_action_at, c.decided_at,
                  c.deadline_at) for c in session.exec(select(ReviewCase)).all()]
        decisions = session.exec(select(ReviewDecision.author, ReviewDecision.action, ReviewDecision.state,
                                        ReviewDecision.reviewer)).all()
    open_by_severity: Counter[str] = Counter()
    first_action: dict[tuple[str, str], list[float]] = defaultdict(list)
    to_decision: dict[tuple[str, str], list[float]] = defaultdict(list)
    breaches: Counter[tuple[str, str]] = Counter()
    breached_open = 0
    for status, active, severity, category, opened, first, decided, deadline in cases:
        first, decided, deadline = utc(first), utc(decided), utc(deadline)
        opened = opened.replace(tzinfo=UTC) if opened.tzinfo is None else opened
        key = (category or "none", _week(opened))
        if status in OPEN_STATUSES and active:
            open_by_severity[severity or "none"] += 1
            if deadline and deadline < now:
                breached_open += 1
                breaches[key] += 1
        if first:
            first_action[key].append((first - opened).total_seconds() / 3600)
        if decided:
            to_decision[key].append((decided - opened).total_seconds() / 3600)
            if deadline and decided > deadline:
                breaches[key] += 1
    keys = sorted(set(first_action) | set(to_decision) | set(breaches), key=lambda k: (k[1], k[0]))
    per_week = [{"category": c, "week": w, "first_action": _stats(first_action.get((c, w), [])),
                 "decision": _stats(to_decision.get((c, w), [])), "breaches": breaches.get((c, w), 0)}
                for c, w in keys]
    per_moderator: dict[str, Counter[str]] = defaultdict(Counter)
    for author, action, state, reviewer in decisions:
        if state == "undone":  # withdrawn by its author within the undo window: not a decision
            continue
        per_moderator[author][action] += 1
        if reviewer and state in ("approved", "rejected"):
            per_moderator[reviewer][f"escalation_{state}"] += 1
    return {
        "open_by_severity": dict(sorted(open_by_severity.items())),
        "open_total": sum(open_by_severity.values()),
        "breached_open": breached_open,
        "per_category_week": per_week,
        "overall": {"first_action": _stats([h for v in first_action.values() for h in v]),
                    "decision": _stats([h for v in to_decision.values() for h in v])},
        "decisions_per_moderator": {m: dict(c) for m, c in sorted(per_moderator.items())},
    }
