"""The policy: weights, thresholds, severities and deadlines, as data.

A deployer's file is merged over the default (``scanner/data/policy.yaml``) and the result validated in full
before anything runs: a policy is never half-applied. Errors name the file and line of the offending key, as
Osprey does for its rules.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Tier = Literal["P0", "P1", "P2", "P3"]
TextField = Literal["name", "description"]
TEXT_FIELDS: tuple[TextField, ...] = ("name", "description")
TIER_ORDER: tuple[Tier, ...] = ("P0", "P1", "P2", "P3")
INDICATOR_CLASSES = frozenset(
    {"csam", "minor", "sexual", "trade", "solicitation", "violence", "coordination", "target", "riot", "scam",
     "money", "evasion", "media", "age_number"}
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryPolicy(_Model):
    severity: Tier
    deadline_hours: float = Field(gt=0)


class EvasionPolicy(_Model):
    enabled: bool = True
    raise_tiers: int = Field(ge=0, le=3)
    min_risk: float = Field(ge=0, le=1)


class TextRule(_Model):
    """Fires when every class in ``all_of`` is present and none in ``none_of`` is."""

    all_of: list[str] = Field(min_length=1)
    none_of: list[str] = Field(default_factory=list)
    weight: float = Field(gt=0, le=1)

    @model_validator(mode="after")
    def _known_classes(self) -> TextRule:
        unknown = sorted((set(self.all_of) | set(self.none_of)) - INDICATOR_CLASSES)
        if unknown:
            raise ValueError(f"unknown indicator classes {unknown}; known: {sorted(INDICATOR_CLASSES)}")
        return self


class LexiconPolicy(_Model):
    enabled: bool = True
    rules: dict[str, list[TextRule]]


class IconPolicy(_Model):
    enabled: bool = True
    explicit_label: str
    explicit_adult_weight: float = Field(ge=0, le=1)
    explicit_with_minor_weight: float = Field(ge=0, le=1)
    min_pdq_quality: int = Field(ge=0, le=100)
    max_image_bytes: int = Field(gt=0)
    max_image_pixels: int = Field(gt=0)
    # Moderator-safe thumbnails, stored per icon for the dashboard: longest side in pixels and blur radius at
    # that size.
    thumbnail_size: int = Field(default=96, ge=16, le=512)
    thumbnail_blur: float = Field(default=6.0, ge=0, le=50)
    # Which classifier scores icons here: Yahoo's open_nsfw ("open_nsfw", the default: a core dependency,
    # BSD-2-Clause weights), NudeNet's detector ("nudenet": optional extra, AGPL-3.0), or none ("upstream": only
    # the platform's own scores in the record). Upstream scores are read whichever runs; the higher counts.
    classifier: Literal["open_nsfw", "upstream", "nudenet"] = "open_nsfw"
    # The local classifier's explicit score from which an icon counts as explicit (below it the score is kept as
    # a feature, not as evidence). Picked from the false-positive curve on real benign images
    # (bench/icon_fp_eval.py, README "Icon classifier"): the package's own default, well above every benign image.
    classifier_threshold: float = Field(default=0.5, ge=0, le=1)
    # adult_content evidence of an icon the local classifier scores at or above the threshold: a verdict, not a
    # calibrated probability, so it weighs the same whatever the score; above the review threshold, so a flagged
    # icon alone opens a P2 case.
    classifier_adult_weight: float = Field(default=0.6, ge=0, le=1)
    # At most this many new icons are classified inside one scan (in the icon workers); the rest wait for
    # `groupscan icons classify`, and the next scan rescores the groups they belong to. 0: none in the scan.
    classify_budget: int = Field(default=10_000, ge=0)


class TextModelPolicy(_Model):
    """The trained text classifier (``scanner/text/text_model.py``)."""

    enabled: bool = True
    # Model directory (head.onnx + meta.json); empty means the model that ships in models/text.
    path: str | None = None
    # Evidence = weight x calibrated probability, counted only from min_probability up.
    weight: float = Field(default=0.9, ge=0, le=1)
    min_probability: float = Field(default=0.5, ge=0, le=1)
    fields: list[TextField] = Field(default_factory=lambda: list(TEXT_FIELDS))
    explain_top: int = Field(default=3, ge=0, le=10)
    # Texts with words in a script other than Latin are also read romanised (anyascii), each category from its
    # better reading.
    romanised_view: bool = True


class HashBankPolicy(_Model):
    enabled: bool = True
    default_category: str
    default_threshold: int = Field(ge=0, le=128)
    match_weight: float = Field(ge=0, le=1)


class ConfirmedPolicy(_Model):
    """Moderators' confirmed decisions as evidence (``scanner.signals.review``): what a confirmation weighs."""

    weight: float = Field(default=0.99, ge=0, le=1)


class SignalsPolicy(_Model):
    """``signals: {name: {...}}``: each signal's section, named as the signal is registered. The built-ins'
    sections are typed here; a plugin's section is validated by the plugin's own ``config_model``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    lexicon: LexiconPolicy
    icon: IconPolicy
    hash_banks: HashBankPolicy
    text_model: TextModelPolicy = Field(default_factory=TextModelPolicy)
    review: ConfirmedPolicy = Field(default_factory=ConfirmedPolicy)

    @model_validator(mode="before")
    @classmethod
    def _plugin_sections(cls, data: object) -> object:
        """A section no built-in owns belongs to a registered signal plugin, and is validated by its model."""
        if not isinstance(data, dict):
            return data
        unknown = [key for key in data if key not in cls.model_fields]
        if not unknown:
            return data
        from scanner.plugins.registry import registered  # only when a plugin's section is there

        plugins = {getattr(plugin, "name", key): plugin for key, plugin in registered("signals").items()}
        data = dict(data)
        for key in unknown:
            model = getattr(plugins.get(key), "config_model", None)
            if model is None:
                raise ValueError(f"unknown signal {key!r}: no registered signal has a policy section of that name "
                                 f"(registered: {', '.join(sorted(plugins))})")
            data[key] = model.model_validate(data[key])
        return data

    def section(self, name: str) -> BaseModel | None:
        """The policy section of the signal registered as ``name`` (a built-in's or a plugin's)."""
        found = getattr(self, name, None) if name in type(self).model_fields else (self.model_extra or {}).get(name)
        return found if isinstance(found, BaseModel) else None


class EdgeWeights(_Model):
    links_to: float = Field(ge=0)
    shared_admin: float = Field(ge=0)
    near_duplicate_icon: float = Field(ge=0)


class CommunityPolicy(_Model):
    resolution: float = Field(gt=0, le=1)
    seed: int = 42


class PropagationPolicy(_Model):
    restart: float = Field(gt=0, lt=1)
    seed_min_risk: float = Field(ge=0, le=1)
    max_iter: int = Field(ge=10)


class TiePolicy(_Model):
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


class GraphPolicy(_Model):
    enabled: bool = True
    edge_weights: EdgeWeights
    near_duplicate_radius: int = Field(ge=0, le=128)
    max_groups_per_admin: int = Field(ge=2)
    max_groups_per_icon: int = Field(ge=2)
    community: CommunityPolicy
    propagation: PropagationPolicy
    ties: TiePolicy = Field(default_factory=TiePolicy)


class CategoryContext(_Model):
    """A group whose network carries ``category`` evidence and that itself carries one of ``markers`` is reviewed
    under that category; ``weight`` is how far network context may move it (0 turns the rule off)."""

    markers: list[Literal["explicit_icon", "minor_indicator"]] = Field(min_length=1)
    weight: float = Field(ge=0, le=1)
    explicit_min: float = Field(default=0.5, ge=0, le=1)


class FusionPolicy(_Model):
    graph_proximity: float = Field(ge=0, le=1)
    cluster_context: float = Field(ge=0, le=1)
    category_context: dict[str, CategoryContext] = Field(default_factory=dict)


class ReviewPolicy(_Model):
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


class WebhookPolicy(_Model):
    """One receiver of decision and escalation events. The signing secret is read from the environment variable
    named here, never written in the policy file."""

    url: str = Field(min_length=8)
    secret_env: str = Field(min_length=1)
    events: list[Literal["decision", "escalation", "scan"]] = Field(default=["decision", "escalation"])


class ReporterPolicy(_Model):
    """Who files reports: the reporter block of a CyberTipline-style report (the deployer's own details)."""

    organisation: str = "groupscan deployer (set escalation.reporter in the policy)"
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    legal_url: str = ""


class MatrixNotifyPolicy(_Model):
    """Post each scan's change summary to a Matrix room (token from the named environment variable)."""

    homeserver: str
    room_id: str
    token_env: str = "GROUPSCAN_NOTIFY_MATRIX_TOKEN"
    only_when_new: bool = True


class PolicyListPublishPolicy(_Model):
    """Publish the Matrix policy list (``m.policy.rule.room`` rules for confirmed-violating rooms) into a policy
    room after each scan, as the Matrix bot does (token from the named environment variable)."""

    homeserver: str
    room_id: str
    token_env: str = "GROUPSCAN_POLICY_LIST_TOKEN"
    # MSC4204 takedown instead of m.ban, and MSC4205 hashed entities (as `groupscan policy-list export`).
    takedown: bool = False
    hashed: bool = False


class EscalationPolicy(_Model):
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


class Policy(_Model):
    @model_validator(mode="before")
    @classmethod
    def _confirmed_weight(cls, data: object) -> object:
        """``signals.review.weight`` (the signal's own section) and ``review.confirmed_weight`` (the key before
        signals had sections, still read) are one setting: the new key wins when given, else the old one."""
        if not isinstance(data, dict):
            return data
        signals, review = data.get("signals"), data.get("review")
        new = signals.get("review", {}).get("weight") if isinstance(signals, dict) and isinstance(
            signals.get("review"), dict) else None
        old = review.get("confirmed_weight") if isinstance(review, dict) else None
        weight = new if new is not None else old
        if weight is None:
            return data
        data = dict(data)
        if isinstance(signals, dict):
            data["signals"] = {**signals, "review": {**(signals.get("review") or {}), "weight": weight}}
        data["review"] = {**(review if isinstance(review, dict) else {}), "confirmed_weight": weight}
        return data

    version: Literal[1]
    review_threshold: float = Field(gt=0, le=1)
    categories: dict[str, CategoryPolicy] = Field(min_length=1)
    tiers: dict[Tier, float]
    evasion: EvasionPolicy
    signals: SignalsPolicy
    graph: GraphPolicy
    fusion: FusionPolicy
    cluster_corroboration: list[float] = Field(min_length=1)
    review: ReviewPolicy = Field(default_factory=ReviewPolicy)
    escalation: EscalationPolicy = Field(default_factory=EscalationPolicy)

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        for category in self.signals.lexicon.rules:
            if category not in self.categories:
                raise ValueError(f"lexicon rules name category {category!r}, which is not under categories")
        if self.signals.hash_banks.default_category not in self.categories:
            raise ValueError("signals.hash_banks.default_category is not under categories")
        for category in self.fusion.category_context:
            if category not in self.categories:
                raise ValueError(f"fusion.category_context names category {category!r}, which is not under categories")
        missing = [t for t in TIER_ORDER if t not in self.tiers]
        if missing:
            raise ValueError(f"tiers lacks {missing}")
        return self

    def severity_of(self, category: str, evasion: bool = False) -> Tier:
        tier = self.categories[category].severity
        if evasion and self.evasion.enabled:
            tier = TIER_ORDER[max(0, TIER_ORDER.index(tier) - self.evasion.raise_tiers)]
        return tier

    def deadline_hours(self, tier: Tier) -> float:
        return self.tiers[tier]


class PolicyError(ValueError):
    """A policy file that cannot be used, with the file and line of the problem."""


def _merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _line_of(node: yaml.Node | None, path: tuple) -> int | None:
    """The 1-based line of the YAML node at ``path`` (or of the nearest ancestor the file has)."""
    line = None
    for key in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _default_text() -> str:
    return resources.files("scanner").joinpath("data/policy.yaml").read_text(encoding="utf-8")


def load_policy(path: Path | None = None) -> Policy:
    """The default policy, with ``path`` merged over it if given. Raises ``PolicyError``."""
    default_text = _default_text()
    data = yaml.safe_load(default_text)
    user_text, user_node = None, None
    if path is not None:
        try:
            user_text = Path(path).read_text(encoding="utf-8")
            user_data = yaml.safe_load(user_text) or {}
            user_node = yaml.compose(user_text)
        except (OSError, yaml.YAMLError) as error:
            raise PolicyError(f"{path}: cannot read policy: {error}") from None
        if not isinstance(user_data, dict):
            raise PolicyError(f"{path}: a policy file is a mapping of keys, not a {type(user_data).__name__}")
        data = _merge(data, user_data)
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(item["loc"])
            line = _line_of(user_node, loc) if user_node is not None else None
            where = f"{path}:{line}" if line else str(path or "default policy")
            problems.append(f"{where}: {'.'.join(map(str, loc))}: {item['msg'].removeprefix('Value error, ')}")
        raise PolicyError("invalid policy:\n  " + "\n  ".join(problems)) from None


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return load_policy(None)


def policy_fingerprint(policy: Policy) -> str:
    """SHA-256 of the effective policy: recorded with each scan run and evidence bundle, and part of the cache key."""
    return hashlib.sha256(json.dumps(policy.model_dump(mode="json"), sort_keys=True, default=str)
                          .encode("utf-8")).hexdigest()
