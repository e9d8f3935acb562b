"""The policy's sections other than the signals': categories and tiers, evasion, the graph, fusion, review and
escalation. Every model refuses unknown keys and is frozen: a policy is validated whole and never changed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Tier = Literal["P0", "P1", "P2", "P3"]
TextField = Literal["name", "description"]
TEXT_FIELDS: tuple[TextField, ...] = ("name", "description")
TIER_ORDER: tuple[Tier, ...] = ("P0", "P1", "P2", "P3")
INDICATOR_CLASSES = frozenset(
    {"csam", "minor", "sexual", "trade", "solicitation", "violence", "coordination", "target", "riot", "scam",
     "money", "evasion", "media", "age_number"}
)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryPolicy(Section):
    severity: Tier
    deadline_hours: float = Field(gt=0)


class EvasionPolicy(Section):
    enabled: bool = True
    raise_tiers: int = Field(ge=0, le=3)
    min_risk: float = Field(ge=0, le=1)


class EdgeWeights(Section):
    links_to: float = Field(ge=0)
    shared_admin: float = Field(ge=0)
    near_duplicate_icon: float = Field(ge=0)


class CommunityPolicy(Section):
    resolution: float = Field(gt=0, le=1)
    seed: int = 42


class PropagationPolicy(Section):
    restart: float = Field(gt=0, lt=1)
    seed_min_risk: float = Field(ge=0, le=1)
    max_iter: int = Field(ge=10)


class TiePolicy(Section):
    """How much one tie between two groups says about a group (``scanner.graph.ties``). Direction matters: a group
    chooses the links it posts, but anyone can post its link. Defaults in ``scanner/data/policy.yaml``."""

    posted_by_it: float = Field(default=0.6, ge=0, lt=1)
    posted_to_it: float = Field(default=0.15, gt=0, lt=1)
    inbound_max: float = Field(default=0.3, ge=0, lt=1)
    posting_volume: int = Field(default=5, ge=1)
    shared_admin: float = Field(default=0.6, ge=0, lt=1)
    near_duplicate_icon: float = Field(default=0.5, ge=0, lt=1)
    successor: float = Field(default=0.75, ge=0, lt=1)
    member_min: float = Field(default=0.7, gt=0, le=1)
    own_min: float = Field(default=0.3, gt=0, le=1)
    connected_max: float = Field(default=0.3, ge=0, le=1)


class GraphPolicy(Section):
    enabled: bool = True
    edge_weights: EdgeWeights
    near_duplicate_radius: int = Field(ge=0, le=128)
    max_groups_per_admin: int = Field(ge=2)
    max_groups_per_icon: int = Field(ge=2)
    community: CommunityPolicy
    propagation: PropagationPolicy
    ties: TiePolicy = Field(default_factory=TiePolicy)


class CategoryContext(Section):
    """A group whose network carries ``category`` evidence and that itself carries one of ``markers`` is reviewed
    under that category; ``weight`` is how far network context may move it (0 turns the rule off)."""

    markers: list[Literal["explicit_icon", "minor_indicator"]] = Field(min_length=1)
    weight: float = Field(ge=0, le=1)
    explicit_min: float = Field(default=0.5, ge=0, le=1)


class FusionPolicy(Section):
    graph_proximity: float = Field(ge=0, le=1)
    cluster_context: float = Field(ge=0, le=1)
    category_context: dict[str, CategoryContext] = Field(default_factory=dict)


class ReviewPolicy(Section):
    """How review works: claim length, session lifetime, when a decided case reopens, and how much a
    moderator's violating decision weighs as evidence at the next scan (it seeds propagation like a hash hit)."""

    claim_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_idle_minutes: int = Field(default=30, ge=1)
    session_max_hours: float = Field(default=12, gt=0)
    break_minutes: int = Field(default=50, ge=5)
    reopen_risk_margin: float = Field(default=0.1, ge=0, le=1)
    confirmed_weight: float = Field(default=0.99, ge=0, le=1)
    queue_page_size: int = Field(default=25, ge=5, le=500)
    reveal_max_px: int = Field(default=256, ge=32, le=1024)
    # Decisions that cannot be made by accident: a note is required for benign and violating on these
    # severities, and the decider may undo a decision for this many seconds (audited).
    note_required_severities: list[Tier] = Field(default=["P0", "P1"])
    undo_seconds: int = Field(default=120, ge=0, le=3600)
    # A revealed original icon is shown this long, then blurred again.
    reveal_seconds: int = Field(default=30, ge=5, le=600)
    # The time zone and language a user sees until they choose their own (Settings).
    timezone: str = "UTC"
    language: Literal["en", "hi"] = "en"

    @model_validator(mode="after")
    def _known_timezone(self) -> ReviewPolicy:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"review.timezone {self.timezone!r} is not an IANA time zone") from None
        return self


class WebhookPolicy(Section):
    """One receiver of decision and escalation events. The signing secret is read from the environment variable
    named here, never written in the policy file."""

    url: str = Field(min_length=8)
    secret_env: str = Field(min_length=1)
    events: list[Literal["decision", "escalation", "scan"]] = Field(default=["decision", "escalation"])


class ReporterPolicy(Section):
    """Who files reports: the reporter block of a CyberTipline-style report (the deployer's own details)."""

    organisation: str = "groupscan deployer (set escalation.reporter in the policy)"
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    legal_url: str = ""


class MatrixNotifyPolicy(Section):
    """Post each scan's change summary to a Matrix room (token from the named environment variable)."""

    homeserver: str
    room_id: str
    token_env: str = "GROUPSCAN_NOTIFY_MATRIX_TOKEN"
    only_when_new: bool = True


class PolicyListPublishPolicy(Section):
    """Publish the Matrix policy list (``m.policy.rule.room`` rules for confirmed-violating rooms) into a policy
    room after each scan, as the Matrix bot does (token from the named environment variable)."""

    homeserver: str
    room_id: str
    token_env: str = "GROUPSCAN_POLICY_LIST_TOKEN"
    # MSC4204 takedown instead of m.ban, and MSC4205 hashed entities (as `groupscan policy-list export`).
    takedown: bool = False
    hashed: bool = False


class EscalationPolicy(Section):
    """Evidence bundles, reports, webhooks and retention."""

    include_icons: bool = False
    reporter: ReporterPolicy = Field(default_factory=ReporterPolicy)
    webhooks: list[WebhookPolicy] = Field(default_factory=list)
    webhook_max_attempts: int = Field(default=6, ge=1, le=50)
    webhook_backoff_seconds: float = Field(default=30, gt=0)
    webhook_timeout_seconds: float = Field(default=5, gt=0)
    retention_keep_latest: bool = True
    scan_notify_matrix: MatrixNotifyPolicy | None = None
    # The policy-list action (scanner/escalation/policylist_action.py); none by default.
    publish_policy_list: PolicyListPublishPolicy | None = None
