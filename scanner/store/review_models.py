"""Tables of what people and bots do: dashboard accounts and sessions, review cases and decisions, the audit
log, preferences, the webhook outbox, and the bots' state and alerts. (What scans find: ``scanner.store.models``.)

Names say what a row is in the domain; JSON columns are read whole and never queried inside."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


class AppUser(SQLModel, table=True):
    """A dashboard user. Passwords are stored only as argon2id hashes; there is no built-in default user."""

    __tablename__ = "app_user"

    name: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=256)
    disabled: bool = False
    created_at: datetime
    # A password reset an admin started: the SHA-256 of the one-time token printed to them, and its expiry.
    reset_sha256: str | None = Field(default=None, max_length=64)
    reset_expires_at: datetime | None = None


class AppSession(SQLModel, table=True):
    """A dashboard sign-in that survives a reload: the browser holds a signed, HttpOnly cookie carrying a random
    token, the database only its SHA-256. ``handoff_sha256`` is the one-time code the page trades for the cookie
    (so the token itself never appears in the page). Idle and absolute limits are checked on every use."""

    __tablename__ = "app_session"

    id: str = Field(primary_key=True, max_length=64)  # random; known only to the server
    token_sha256: str | None = Field(default=None, max_length=64, index=True)  # of the cookie's token
    name: str = Field(foreign_key="app_user.name", max_length=64, index=True)
    created_at: datetime
    last_seen_at: datetime
    handoff_sha256: str | None = Field(default=None, max_length=64, index=True)
    handoff_expires_at: datetime | None = None
    ended_at: datetime | None = None


class ReviewCase(SQLModel, table=True):
    """A case: one flagged cluster as a moderator sees it in the queue. ``case_id`` is the cluster id.

    The queue's sort and filter columns (severity rank, deadline, category, platforms, status) are copied here
    from the cluster when a scan syncs cases, so the first page of a 100,000-case queue is one indexed query.
    ``evidence`` is what the cluster looked like at the last final decision: a benign case reopens only when
    that evidence changes (new members, higher severity, clearly higher risk).
    """

    __tablename__ = "review_case"
    __table_args__ = (Index("ix_review_case_queue", "active", "status", "severity_rank", "deadline_at"),)

    case_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(default="open", max_length=24, index=True)
    active: bool = True
    severity: str | None = Field(default=None, max_length=2)
    severity_rank: int = 9
    category: str | None = Field(default=None, max_length=32, index=True)
    platforms: str = Field(default="", max_length=256)
    risk: float = 0.0
    size: int = 0
    opened_at: datetime
    deadline_at: datetime | None = None
    first_action_at: datetime | None = None
    decided_at: datetime | None = None
    assignee: str | None = Field(default=None, max_length=64, index=True)
    claim_expires_at: datetime | None = None
    evidence: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reopened: int = 0
    # The cluster's score_sha256 and active flag at the last sync: unchanged clusters are skipped.
    cluster_key: str = Field(default="", max_length=80)
    updated_at: datetime


class ReviewDecision(SQLModel, table=True):
    """A moderator's decision on a case, for the whole cluster or chosen members (``group_ids`` always lists
    the groups it covers, as they were when decided). An escalation waits in ``state='pending'`` until a lead who
    is not its author approves or rejects it (four eyes)."""

    __tablename__ = "review_decision"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="review_case.case_id", max_length=64, index=True)
    action: str = Field(max_length=16)
    category: str | None = Field(default=None, max_length=32)
    scope: str = Field(default="cluster", max_length=16)
    group_ids: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=4000)
    author: str = Field(max_length=64, index=True)
    created_at: datetime
    state: str = Field(default="final", max_length=16, index=True)
    reviewer: str | None = Field(default=None, max_length=64)
    reviewed_at: datetime | None = None
    review_note: str = Field(default="", max_length=4000)
    risk: float = 0.0


class AuditEvent(SQLModel, table=True):
    """The append-only audit log. Each row carries the SHA-256 of its content and of the previous row, so a
    changed or deleted row breaks the chain (``groupscan audit verify``). ``prev_sha256`` is unique: two writers
    that raced for the same predecessor cannot both commit, so the chain never forks."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=32, index=True)
    target: str = Field(default="", max_length=256, index=True)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_sha256: str = Field(max_length=64, unique=True)
    sha256: str = Field(max_length=64)


class UserPreference(SQLModel, table=True):
    """Wellness settings per dashboard user. The policy's thumbnail blur is a floor: a user may blur more or hide
    icons, never less; colour is only ever shown on an audited reveal."""

    __tablename__ = "user_preference"

    name: str = Field(primary_key=True, foreign_key="app_user.name", max_length=64)
    extra_blur: float = 0.0
    hide_icons: bool = False
    break_minutes: int = 50
    # None: the policy's review.language / review.timezone.
    language: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)


class WebhookDelivery(SQLModel, table=True):
    """The webhook outbox: a row is written in the same transaction as the decision it announces, then POSTed,
    retried with backoff, and finally marked ``dead`` (the dead-letter list leads see in the dashboard)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=32)
    url: str = Field(max_length=2048)
    secret_env: str = Field(max_length=128)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str = Field(default="", max_length=2000)
    created_at: datetime
    delivered_at: datetime | None = None


class BotState(SQLModel, table=True):
    """What a bot must remember across restarts (its sync token, the policy rules it published), by key."""

    __tablename__ = "bot_state"

    key: str = Field(primary_key=True, max_length=256)
    value: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime


class BotAlert(SQLModel, table=True):
    """The last alert a bot sent about a case in a channel, with the case state it described: a case is
    announced once per change of state (opened, reopened, severity up), never again for the same state."""

    __tablename__ = "bot_alert"

    channel: str = Field(primary_key=True, max_length=256)
    case_id: str = Field(primary_key=True, max_length=64)
    state_key: str = Field(max_length=128)
    sent_at: datetime
