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
from pydantic import Field, ValidationError, model_validator

from scanner.policy.sections import (
    INDICATOR_CLASSES,
    TEXT_FIELDS,
    TIER_ORDER,
    CategoryContext,
    CategoryPolicy,
    CommunityPolicy,
    EdgeWeights,
    EscalationPolicy,
    EvasionPolicy,
    FusionPolicy,
    GraphPolicy,
    MatrixNotifyPolicy,
    PolicyListPublishPolicy,
    PropagationPolicy,
    ReporterPolicy,
    ReviewPolicy,
    Section,
    TextField,
    TiePolicy,
    Tier,
    WebhookPolicy,
)
from scanner.policy.signals import (
    ConfirmedPolicy,
    HashBankPolicy,
    IconPolicy,
    LexiconPolicy,
    SignalsPolicy,
    TextModelPolicy,
    TextRule,
)


class Policy(Section):
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


__all__ = [
    "INDICATOR_CLASSES", "TEXT_FIELDS", "TIER_ORDER", "CategoryContext", "CategoryPolicy", "CommunityPolicy",
    "ConfirmedPolicy", "EdgeWeights", "EscalationPolicy", "EvasionPolicy", "FusionPolicy", "GraphPolicy",
    "HashBankPolicy", "IconPolicy", "LexiconPolicy", "MatrixNotifyPolicy", "Policy", "PolicyError",
    "PolicyListPublishPolicy", "PropagationPolicy", "ReporterPolicy", "ReviewPolicy", "Section", "SignalsPolicy",
    "TextField", "TextModelPolicy", "TextRule", "Tier", "TiePolicy", "WebhookPolicy", "default_policy",
    "load_policy", "policy_fingerprint",
]
