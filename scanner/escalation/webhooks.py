"""Webhooks: a signed JSON POST for each decision and escalation, through an outbox.

Review actions write a ``webhook_delivery`` row in their own transaction (``scanner.store.outbox.enqueue``), so
an event is never announced for a decision that rolled back, nor lost when the receiver is down. ``deliver_due``
sends what is due: a row is leased with a conditional UPDATE first, so two dispatchers never post it at the same time; a
failure is retried with exponential backoff; after ``webhook_max_attempts`` the row is ``dead`` and shows on the
dashboard's dead-letter list, where a lead can send it again.

Signature: ``X-Groupscan-Signature: sha256=HEX`` where HEX is HMAC-SHA256 over ``TIMESTAMP + "." + BODY`` with
the secret from the environment variable the policy names, and ``X-Groupscan-Timestamp`` is that timestamp.
Receivers should check it in constant time and refuse old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from scanner.auth.users import User, require
from scanner.policy import Policy
from scanner.review.cases import utc
from scanner.store import audit
from scanner.store.outbox import enqueue
from scanner.store.review_models import WebhookDelivery
from scanner.store.tx import write

Poster = Callable[[str, bytes, dict[str, str], float], int]


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@dataclass
class DeliveryRun:
    delivered: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)


def deliver_due(engine: Engine, policy: Policy, now: datetime | None = None, limit: int = 50,
                post: Poster = _post) -> DeliveryRun:
    """Send every delivery that is due (at most ``limit``). Safe to run from several processes at once."""
    now = now or datetime.now(UTC)
    settings = policy.escalation
    lease = timedelta(seconds=settings.webhook_timeout_seconds * 3)
    run = DeliveryRun()
    with Session(engine) as session:
        due = session.exec(select(WebhookDelivery.id).where(
            col(WebhookDelivery.status).in_(("pending", "sending")), col(WebhookDelivery.next_attempt_at) <= now)
            .order_by(col(WebhookDelivery.id)).limit(limit)).all()
    for delivery_id in due:
        def lease_row(session: Session, delivery_id: int = int(delivery_id or 0)) -> WebhookDelivery | None:
            taken = session.execute(update(WebhookDelivery).where(
                col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.status).in_(("pending", "sending")),
                col(WebhookDelivery.next_attempt_at) <= now).values(status="sending", next_attempt_at=now + lease))
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return session.get(WebhookDelivery, delivery_id)

        row = write(engine, lease_row)
        if row is None:
            continue  # another dispatcher has it
        assert row.id is not None
        body = body_of(row.payload)
        timestamp = str(int(now.timestamp()))
        secret = os.environ.get(row.secret_env)
        error = ""
        if secret is None:
            error = f"the signing secret variable {row.secret_env} is not set"
        else:
            headers = {"Content-Type": "application/json", "User-Agent": "groupscan-webhook/1",
                       "X-Groupscan-Event": row.event, "X-Groupscan-Delivery": str(row.id),
                       "X-Groupscan-Timestamp": timestamp,
                       "X-Groupscan-Signature": signature(secret.encode("utf-8"), timestamp, body)}
            try:
                status = post(row.url, body, headers, settings.webhook_timeout_seconds)
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
            except (OSError, ValueError) as failure:
                error = f"{type(failure).__name__}: {failure}"[:1000]
        _record(engine, row, error, now, policy, run)
    return run


def _record(engine: Engine, row: WebhookDelivery, error: str, now: datetime, policy: Policy,
            run: DeliveryRun) -> None:
    settings = policy.escalation
    attempts = row.attempts + 1
    assert row.id is not None
    delivery_id = row.id

    def act(session: Session) -> None:
        values: dict = {"attempts": attempts, "last_error": error}
        if not error:
            values.update(status="delivered", delivered_at=now)
            run.delivered.append(delivery_id)
        elif attempts >= settings.webhook_max_attempts:
            values.update(status="dead")
            run.dead.append(delivery_id)
            audit.append(session, "system", "webhook_dead", str(delivery_id),
                         {"url": row.url, "event": row.event, "attempts": attempts, "error": error}, at=now)
        else:
            values.update(status="pending",
                          next_attempt_at=now + timedelta(seconds=settings.webhook_backoff_seconds
                                                          * 2 ** (attempts - 1)))
            run.retried.append(delivery_id)
        session.execute(update(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id).values(**values))

    write(engine, act)


def deliveries(engine: Engine, user: User, status: str | None = "dead", limit: int = 200) -> list[dict]:
    """Deliveries for the dashboard (dead letters by default)."""
    require(user, "view_deliveries")
    with Session(engine) as session:
        query = select(WebhookDelivery)
        if status:
            query = query.where(WebhookDelivery.status == status)
        rows = session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit)).all()
        return [{"id": r.id, "event": r.event, "url": r.url, "status": r.status, "attempts": r.attempts,
                 "last_error": r.last_error, "created_at": utc(r.created_at).isoformat(),  # type: ignore[union-attr]
                 "case_id": r.payload.get("case_id")} for r in rows]


def retry(engine: Engine, user: User, delivery_id: int, now: datetime | None = None) -> None:
    """Send a dead letter again (from the dashboard), with a fresh set of attempts."""
    require(user, "manage_webhooks")
    now = now or datetime.now(UTC)

    def act(session: Session) -> None:
        done = session.execute(update(WebhookDelivery).where(
            col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.status) == "dead")
            .values(status="pending", attempts=0, next_attempt_at=now))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise LookupError(f"no dead delivery {delivery_id}")
        audit.append(session, user.name, "webhook_retry", str(delivery_id), {}, at=now)

    write(engine, act)


class WebhookAction:
    """Webhooks as an action (``groupscan.actions``): each decision and escalation is queued, in its own
    transaction, for every webhook subscribed to it; after a scan the ``scan`` event is queued and what is due
    is sent."""

    name = "webhooks"

    def on_decision(self, session: Session, policy: Policy, event: str, payload: Mapping[str, object],
                    now: datetime) -> None:
        enqueue(session, policy, event, dict(payload), now)

    def on_scan(self, engine: Engine, policy: Policy, event: Mapping[str, object]) -> list[str]:
        if not any("scan" in hook.events for hook in policy.escalation.webhooks):
            return []
        now = datetime.now(UTC)
        write(engine, lambda session: enqueue(session, policy, "scan", dict(event), now))
        run = deliver_due(engine, policy)
        return [f"webhook delivery {d} will be retried" for d in run.retried]

