"""The webhook outbox: an event is written as a ``webhook_delivery`` row for every webhook subscribed to it,
inside the transaction of the action that caused it, so an event is never lost and never sent for an action
that rolled back. ``scanner.escalation.webhooks`` delivers the rows (signed, retried, dead-lettered)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from scanner.policy import Policy
from scanner.store.review_models import WebhookDelivery


def enqueue(session: Session, policy: Policy, event: str, payload: dict, now: datetime) -> int:
    """Queue ``payload`` for every webhook subscribed to ``event``, inside the caller's transaction."""
    count = 0
    for hook in policy.escalation.webhooks:
        if event in hook.events:
            session.add(WebhookDelivery(event=event, url=hook.url, secret_env=hook.secret_env,
                                        payload={"event": event, **payload}, next_attempt_at=now, created_at=now))
            count += 1
    return count
