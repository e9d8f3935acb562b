"""The evidence report's schema (``report.json`` in a bundle), versioned: ``groupscan.evidence/1``.

Pydantic models, so every bundle is validated before it is written and the JSON Schema shipped inside the bundle
(``report.schema.json``) is generated from the same code. Add fields in a compatible way; a breaking change gets a
new schema version.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_ID = "groupscan.evidence/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReasonOut(_Strict):
    signal: str
    feature: str
    value: str
    category: str
    weight: float
    sentence: str


class IconOut(_Strict):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    pdq: str | None = None
    file: str | None = Field(None, description="path inside the bundle, when the policy allows icons")


class ObservationOut(_Strict):
    observed_at: str
    name: str
    description: str
    member_count: int | None
    admins: list[str]
    own_invite_links: list[str]
    posted_invite_links: list[str]
    icon_path: str | None
    source: str
    line: int
    content_hash: str


class GroupOut(_Strict):
    group_id: str
    platform: str
    name: str
    description: str
    member_count: int | None
    first_seen: str
    last_seen: str
    risk: float
    category: str | None
    flagged: bool
    categories: dict[str, float]
    reasons: list[ReasonOut]
    admins: list[str]
    own_invite_links: list[str]
    posted_invite_links: list[str]
    icon: IconOut | None
    observations: list[ObservationOut]


class DecisionOut(_Strict):
    id: int
    action: str
    category: str | None
    scope: str
    group_ids: list[str]
    note: str
    author: str
    created_at: str
    state: str
    reviewer: str | None
    reviewed_at: str | None
    review_note: str


class CaseOut(_Strict):
    case_id: str
    status: str
    severity: str | None
    category: str | None
    risk: float
    size: int
    opened_at: str
    deadline_at: str | None
    first_action_at: str | None
    decided_at: str | None


class ClusterOut(_Strict):
    cluster_id: str
    size: int
    risk: float
    category: str | None
    severity: str | None
    categories: dict[str, float]
    reasons: list[ReasonOut]
    structure: dict
    score_sha256: str


class EvidenceReport(_Strict):
    schema_id: str = Field(SCHEMA_ID, alias="schema")
    case: CaseOut
    cluster: ClusterOut
    groups: list[GroupOut]
    decisions: list[DecisionOut]
    models: dict[str, str] = Field(description="signal -> model version that scored the groups")
    policy_sha256: str
    notes: list[str] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
