"""Webhooks against a real HTTP receiver on 127.0.0.1: signed, retried with backoff, dead-lettered, resent."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from scanner.auth.users import PermissionDenied, User
from scanner.escalation.webhooks import deliver_due, deliveries, retry
from scanner.policy import load_policy
from scanner.review.decisions import ReviewError, claim, decide
from scanner.store import audit
from scanner.store.review_models import WebhookDelivery
from tests.support.review import LEAD, MOD, ring_case
from tests.support.servers import Receiver

SECRET = "s3cret-for-tests-only"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def hooked(tmp_path, receiver, monkeypatch):
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)
    path = tmp_path / "policy.yaml"
    path.write_text(f"escalation:\n  webhooks: [{{url: '{receiver.url}', secret_env: TEST_WEBHOOK_SECRET}}]\n"
                    "  webhook_max_attempts: 3\n  webhook_backoff_seconds: 10\n", encoding="utf-8")
    return load_policy(path)


def test_a_decision_is_posted_signed(scanned, receiver, hooked):
    engine, _, _ = scanned
    case_id = ring_case(engine)
    claim(engine, MOD, case_id, hooked)
    decide(engine, MOD, case_id, "violating", hooked, category="child_safety", note="ring")
    run = deliver_due(engine, hooked)
    assert len(run.delivered) == 1 and not run.retried
    (got,) = receiver.received
    timestamp = got["headers"]["X-Groupscan-Timestamp"]
    expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + got["body"],
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got["headers"]["X-Groupscan-Signature"], expected)
    payload = json.loads(got["body"])
    assert payload["event"] == "decision" and payload["case_id"] == case_id and payload["action"] == "violating"
    assert payload["author"] == "mia" and payload["dashboard_path"] == f"/case?case={case_id}"
    assert deliver_due(engine, hooked).delivered == []  # sent once only


def test_a_refused_decision_announces_nothing(scanned, hooked):
    engine, _, _ = scanned
    case_id = ring_case(engine)
    with pytest.raises(ReviewError):
        decide(engine, MOD, case_id, "benign", hooked)  # not claimed: rolled back
    with Session(engine) as session:
        assert session.exec(select(WebhookDelivery)).all() == []


def test_failures_back_off_then_dead_letter_then_resend(scanned, receiver, hooked):
    engine, _, _ = scanned
    case_id = ring_case(engine)
    claim(engine, LEAD, case_id, hooked)
    decide(engine, LEAD, case_id, "escalate", hooked, category="child_safety", note="urgent")
    receiver.status = 500
    now = datetime.now(UTC)
    assert len(deliver_due(engine, hooked, now=now).retried) == 1
    assert deliver_due(engine, hooked, now=now + timedelta(seconds=5)).retried == []  # not due yet (10 s)
    assert len(deliver_due(engine, hooked, now=now + timedelta(seconds=11)).retried) == 1  # then 20 s
    assert deliver_due(engine, hooked, now=now + timedelta(seconds=25)).dead == []
    run = deliver_due(engine, hooked, now=now + timedelta(seconds=32))
    assert len(run.dead) == 1 and len(receiver.received) == 3
    (dead,) = deliveries(engine, LEAD)
    assert dead["last_error"] == "HTTP 500" and dead["attempts"] == 3 and dead["case_id"] == case_id
    assert audit.events(engine, action="webhook_dead")
    with pytest.raises(PermissionDenied):
        retry(engine, MOD, dead["id"])
    receiver.status = 204
    retry(engine, LEAD, dead["id"])
    assert deliver_due(engine, hooked).delivered == [dead["id"]]
    assert deliveries(engine, User("ada", "auditor")) == []


def test_a_missing_secret_is_an_error_not_an_unsigned_post(scanned, receiver, hooked, monkeypatch):
    engine, _, _ = scanned
    monkeypatch.delenv("TEST_WEBHOOK_SECRET")
    case_id = ring_case(engine)
    claim(engine, MOD, case_id, hooked)
    decide(engine, MOD, case_id, "benign", hooked, note="checked")
    run = deliver_due(engine, hooked)
    assert len(run.retried) == 1 and receiver.received == []
    with Session(engine) as session:
        assert "TEST_WEBHOOK_SECRET is not set" in session.exec(select(WebhookDelivery)).one().last_error
