"""Tables of what scans find: runs, snapshots, groups, clusters, icons, hash banks, and the scan lock. The tables
of what people and bots do (accounts, cases, decisions, audit, webhooks) are in ``scanner.store.review_models``.

Names say what a row is in the domain; JSON columns hold reasons and per-category scores, which are read whole
and never queried inside."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class ScanRun(SQLModel, table=True):
    """One execution of ``groupscan scan``: what it read, what it found, how long each stage took."""

    __tablename__ = "scan_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime
    finished_at: datetime | None = None
    status: str = Field(default="running", max_length=16)
    source: str = Field(max_length=1024)
    records_read: int = 0
    snapshots_new: int = 0
    snapshots_known: int = 0
    rejected: int = 0
    groups: int = 0
    clusters: int = 0
    flagged_groups: int = 0
    flagged_clusters: int = 0
    groups_changed: int = 0
    policy_sha256: str = Field(default="", max_length=64)
    timings: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = Field(default=None, max_length=4000)
    # Which model (name -> version) each signal used in this run, e.g. {"text_model": "text-2026.11.22"}.
    models: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    # What this scan changed: new, grown and more severe clusters, new hash-list hits (``groupscan runs``).
    changes: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))


class Snapshot(SQLModel, table=True):
    """An observation as received (the wire JSON), stored once: ``content_hash`` is unique."""

    __tablename__ = "snapshot"
    __table_args__ = (Index("ix_snapshot_group_observed", "group_id", "observed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True)
    group_id: str = Field(max_length=256)
    platform: str = Field(max_length=16)
    observed_at: datetime
    payload: dict = Field(sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=1024)
    line: int
    scan_id: int = Field(foreign_key="scan_run.id")


class RejectedRecord(SQLModel, table=True):
    """A record that failed validation: quarantined with its reason, never silently dropped."""

    __tablename__ = "rejected_record"
    __table_args__ = (UniqueConstraint("source", "line", "excerpt_sha256", name="uq_rejected_place"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=1024)
    line: int
    reason: str = Field(max_length=2000)
    excerpt: str = Field(max_length=400)
    excerpt_sha256: str = Field(max_length=64)
    scan_id: int = Field(foreign_key="scan_run.id")


class Group(SQLModel, table=True):
    """A group's current state and score. ``score_sha256`` lets a re-scan skip unchanged rows."""

    __tablename__ = "group_state"

    group_id: str = Field(primary_key=True, max_length=256)
    platform: str = Field(max_length=16)
    name: str = ""
    description: str = ""
    member_count: int | None = None
    first_seen: datetime
    last_seen: datetime
    snapshots: int = 1
    icon_sha256: str | None = Field(default=None, max_length=64)
    pdq: str | None = Field(default=None, max_length=64)
    # The first 60 bits of the family's smallest PDQ hash (scanner.graph.build.icon_families).
    icon_family: int | None = Field(default=None, sa_type=BigInteger)
    cluster_id: str = Field(index=True, max_length=64)
    risk: float = Field(index=True)
    category: str | None = Field(default=None, max_length=32)
    flagged: bool = Field(default=False, index=True)
    severity: str | None = Field(default=None, max_length=2)
    deadline_hours: float | None = None
    categories: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reasons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    modifiers: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    features: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    score_sha256: str = Field(max_length=64)
    updated_scan_id: int = Field(foreign_key="scan_run.id")
    # The model versions that produced this row's score (signal -> version): a retrained model is traceable.
    model_versions: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    # "member" of its case, or only "connected" to it (scanner.graph.ties): no evidence of its own, one weak tie.
    membership: str = Field(default="member", max_length=16, sa_column_kwargs={"server_default": "member"})


class Cluster(SQLModel, table=True):
    """A community of groups: the unit a moderator reviews as a case. Kept when it disappears (active=False)
    so ids are never reused for something else."""

    __tablename__ = "cluster"

    cluster_id: str = Field(primary_key=True, max_length=64)
    size: int
    risk: float = Field(index=True)
    category: str | None = Field(default=None, max_length=32)
    flagged: bool = Field(default=False, index=True)
    severity: str | None = Field(default=None, max_length=2)
    deadline_hours: float | None = None
    categories: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reasons: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    structure: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True, index=True)
    first_scan_id: int = Field(foreign_key="scan_run.id")
    updated_scan_id: int = Field(foreign_key="scan_run.id")
    score_sha256: str = Field(max_length=64)


class ClusterMember(SQLModel, table=True):
    __tablename__ = "cluster_member"

    cluster_id: str = Field(primary_key=True, foreign_key="cluster.cluster_id", max_length=64)
    # Indexed on its own too: a scoped rescan looks clusters up by group (the key starts with cluster_id).
    group_id: str = Field(primary_key=True, foreign_key="group_state.group_id", max_length=256, index=True)


class TextLabel(SQLModel, table=True):
    """A reviewed text with its label: what ``groupscan train`` learns from besides the base corpus.

    Rows come from moderators' decisions (the dashboard writes one per decided group name and description) and
    from ``groupscan train --labels FILE``. Kept apart from decisions so a label survives a case being reopened.
    """

    __tablename__ = "text_label"
    __table_args__ = (UniqueConstraint("text", "label", "source", name="uq_text_label"),)

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=4000)
    label: str = Field(max_length=32)
    source: str = Field(max_length=64)
    group_id: str | None = Field(default=None, max_length=256)
    author: str | None = Field(default=None, max_length=128)
    created_at: datetime


class IconThumbnail(SQLModel, table=True):
    """A moderator-safe thumbnail (small, blurred, greyscale PNG) per icon, made once when the icon is first
    hashed. The dashboard shows this by default; the original file is shown only on an audited reveal."""

    __tablename__ = "icon_thumbnail"

    icon_sha256: str = Field(primary_key=True, max_length=64)
    png: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    size: int
    blur: float
    created_scan_id: int = Field(foreign_key="scan_run.id")


class HashBankRecord(SQLModel, table=True):
    """A hash list imported with ``groupscan hashlist import``: scans load every enabled bank."""

    __tablename__ = "hash_bank"

    name: str = Field(primary_key=True, max_length=128)
    category: str = Field(max_length=32)
    threshold: int = 31
    enabled: bool = True
    # Known benign look-alikes: a match here suppresses nearer-or-equal positive matches.
    negative: bool = False
    source: str = Field(default="", max_length=1024)
    imported_at: datetime


class HashBankEntryRecord(SQLModel, table=True):
    __tablename__ = "hash_bank_entry"
    __table_args__ = (UniqueConstraint("bank", "pdq", name="uq_bank_entry"),)

    id: int | None = Field(default=None, primary_key=True)
    bank: str = Field(foreign_key="hash_bank.name", max_length=128, index=True)
    pdq: str = Field(max_length=64)
    label: str = Field(default="", max_length=256)
    line: int = 0


class IconClassification(SQLModel, table=True):
    """An icon classifier's scores for one icon (by sha256) and model: each icon is classified once, ever, per
    model; rescans and other groups with the same icon reuse the row."""

    __tablename__ = "icon_classification"

    icon_sha256: str = Field(primary_key=True, max_length=64)
    model_id: str = Field(primary_key=True, max_length=128)
    scores: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_scan_id: int = Field(foreign_key="scan_run.id")


class IconBacklog(SQLModel, table=True):
    """An icon a scan hashed but did not classify (its classification budget ran out): ``pending`` until
    ``groupscan icons classify`` classifies it (``classified``: the next scan rescores the groups that show it,
    then drops the row) or cannot (``failed``, with the reason)."""

    __tablename__ = "icon_backlog"
    __table_args__ = (Index("ix_icon_backlog_state", "model_id", "state"),)

    icon_sha256: str = Field(primary_key=True, max_length=64)
    model_id: str = Field(primary_key=True, max_length=128)
    path: str = Field(max_length=4096)
    state: str = Field(default="pending", max_length=16)
    error: str | None = Field(default=None, max_length=512)
    scan_id: int = Field(foreign_key="scan_run.id")


class HashHit(SQLModel, table=True):
    """The first scan in which a group's icon matched a hash list (for "new hits since the last scan" and the
    monthly transparency report's hits by bank)."""

    __tablename__ = "hash_hit"

    group_id: str = Field(primary_key=True, max_length=256)
    bank: str = Field(primary_key=True, max_length=128)
    first_scan_id: int = Field(foreign_key="scan_run.id")
    first_seen_at: datetime


class ScanLock(SQLModel, table=True):
    """At most one scan per database: a row per lock name, held by one process, kept alive by a heartbeat. A row
    whose heartbeat stopped (a killed scan) is taken over safely (a conditional UPDATE on the old holder)."""

    __tablename__ = "scan_lock"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=256)
    pid: int
    host: str = Field(max_length=256)
    acquired_at: datetime
    heartbeat_at: datetime
