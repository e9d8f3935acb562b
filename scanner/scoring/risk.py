"""Scoring: signals + graph -> per-category risk for every group and cluster, with severity, deadline and reasons.

Everything here is a pure function of its arguments (no I/O, no clock, no randomness): the same snapshots and
policy give the same scores and the same reasons, which is what makes a flag defensible.

Fusion is noisy-OR per category: ``1 - prod(1 - s_i)``. It is monotone (more evidence never lowers a score),
needs no training data, and each term is a reason a moderator can read. The stages:

1. direct risk: signals of the group itself (lexicon, icon classifier, hash-list hits, and the cross-signal rule
   "explicit icon + minor indicators in the text");
2. graph proximity: personalized PageRank from groups with strong direct risk (``scanner.graph.propagate``);
3. cluster risk: the strongest members, each corroborating less (weights ``cluster_corroboration``);
4. cluster context (``scanner.scoring.clusters``): a member of a flagged cluster inherits each category of the
   cluster in proportion to its *support* for it, the noisy-OR of its independent ties to the cluster's groups
   with evidence of that category (``scanner.graph.ties``: the links it posted, shared admins, look-alike icons,
   a respawn; links others posted to it count little and at most ``inbound_max``). So a ring member with an
   innocent name is flagged, while a link directory that touches the ring with 4 of its 60 links, a popular group
   whose link the ring spammed, a club sharing one admin with the ring, or a school community one of whose
   groups turned abusive are not. A group with no evidence of its own and support below ``member_min`` is
   *connected* to the case, not a member. Clusters below the review threshold pass nothing on: a tuition cluster
   of twenty weak "class 12 ... paid via UPI" groups must not lift itself. Context (and graph proximity,
   ``scanner.engine.assess``) does not lift a group its own evidence reviews under one category into a more
   severe one (a solicitation ring with some child-safety text stays solicitation);
5. category context: only this may. A member whose network carries child-safety evidence and that itself carries
   an explicit icon or minor indicators is reviewed as child_safety (``fusion.category_context`` says how far).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from scanner.policy import TIER_ORDER, Policy, Tier
from scanner.reasons import Reason
from scanner.signals.base import SignalResult


def noisy_or(values: Sequence[float]) -> float:
    miss = 1.0
    for value in values:
        miss *= 1.0 - min(max(float(value), 0.0), 1.0)
    return 1.0 - miss


@dataclass(frozen=True)
class Evidence:
    """Per-category scores with their reasons and modifier flags (such as ``evasion``)."""

    scores: Mapping[str, float]
    reasons: tuple[Reason, ...] = ()
    modifiers: frozenset[str] = frozenset()
    # The group's icon explicit score where it counts as evidence (0: none), for the cluster rule in
    # ``score_clusters``.
    explicit: float = 0.0


@dataclass(frozen=True)
class GroupScore:
    group_id: str
    categories: Mapping[str, float]
    risk: float
    category: str | None
    flagged: bool
    severity: Tier | None
    deadline_hours: float | None
    reasons: tuple[Reason, ...]
    modifiers: frozenset[str]
    cluster_id: str
    # "member" of its case, or only "connected" to it (no evidence of its own, one weak tie: scanner.graph.ties).
    membership: str = "member"


@dataclass(frozen=True)
class ClusterScore:
    cluster_id: str
    members: tuple[str, ...]
    categories: Mapping[str, float]
    risk: float
    category: str | None
    flagged: bool
    severity: Tier | None
    deadline_hours: float | None
    reasons: tuple[Reason, ...]
    structure: Mapping[str, object] = field(default_factory=dict)


def top_category(scores: Mapping[str, float], policy: Policy) -> tuple[str | None, float]:
    """The category a case is handled under: the most severe category that reaches the review threshold (a group
    at child_safety 0.91 and adult_content 0.98 is a P0 child-safety case, not a P2 adult one); below the
    threshold, the highest-scoring category. Ties go to the more severe tier, then the name (deterministic)."""
    if not scores:
        return None, 0.0

    def tier(c: str) -> int:
        return TIER_ORDER.index(policy.categories[c].severity)

    reviewable = [c for c in scores if scores[c] >= policy.review_threshold]
    if reviewable:
        best = min(reviewable, key=lambda c: (tier(c), -round(scores[c], 9), c))
    else:
        best = min(scores, key=lambda c: (-round(scores[c], 9), tier(c), c))
    return best, scores[best]


def direct_evidence(results: Sequence[SignalResult], policy: Policy) -> Evidence:
    """Combine one group's own signals. Also applies the cross-signal rule: an explicit icon on a group whose
    text carries minor indicators is child-safety evidence, though neither is alone."""
    per_category: dict[str, list[float]] = {}
    reasons: list[Reason] = []
    modifiers: set[str] = set()
    features: dict[str, object] = {}
    for result in results:
        for category, score in result.scores.items():
            per_category.setdefault(category, []).append(score)
        reasons.extend(result.reasons)
        modifiers |= result.modifiers
        features.update(result.features)
    explicit = features.get("explicit")
    indicators = features.get("indicators")
    minor = indicators.get("minor", 0.0) if isinstance(indicators, dict) else 0.0
    if isinstance(explicit, float) and minor:
        weight = policy.signals.icon.explicit_with_minor_weight * explicit * float(minor)
        if weight > 0:
            per_category.setdefault("child_safety", []).append(weight)
            reasons.append(
                Reason("icon+lexicon", "explicit_icon_with_minor_indicator", f"explicit={explicit:.2f}",
                       "child_safety", weight,
                       f"An icon scored {explicit:.2f} explicit on a group whose text has minor indicators.")
            )
    scores = {c: noisy_or(v) for c, v in per_category.items() if c in policy.categories}
    return Evidence(scores, tuple(reasons), frozenset(modifiers), explicit if isinstance(explicit, float) else 0.0)


def add_graph_proximity(evidence: Evidence, proximity: Mapping[str, float], policy: Policy,
                        cap: float = 1.0) -> Evidence:
    """Fold graph proximity (per category, 0..1) into a group's evidence, each term at most ``cap`` (a group
    only connected to a network, ``scanner.graph.ties``)."""
    scores = dict(evidence.scores)
    reasons = list(evidence.reasons)
    for category, value in sorted(proximity.items()):
        weight = min(policy.fusion.graph_proximity * value, cap)
        if weight < 0.05:
            continue
        scores[category] = noisy_or([scores.get(category, 0.0), weight])
        reasons.append(
            Reason("graph", "proximity", f"{value:.2f}", category, weight,
                   f"Close in the invite-link, shared-admin and icon graph to groups with strong {category} "
                   f"evidence (personalized PageRank proximity {value:.2f}).")
        )
    return Evidence(scores, tuple(reasons), evidence.modifiers, evidence.explicit)


def cluster_categories(members: Sequence[Evidence], corroboration: Sequence[float]) -> dict[str, float]:
    """A cluster's risk per category: noisy-OR of its top members' risks, the k-th weighted by
    ``corroboration[k]``: one strong member makes a case, more strong members make it stronger."""
    out: dict[str, float] = {}
    categories = sorted({c for m in members for c in m.scores})
    for category in categories:
        ranked = sorted((m.scores.get(category, 0.0) for m in members), reverse=True)
        out[category] = noisy_or([w * s for w, s in zip(corroboration, ranked, strict=False)])
    return out


def severity(category: str | None, risk: float, evasive: bool, policy: Policy) -> tuple[Tier | None, float | None]:
    if category is None or risk < policy.review_threshold:
        return None, None
    tier = policy.severity_of(category, evasion=evasive and risk >= policy.evasion.min_risk)
    return tier, policy.deadline_hours(tier)


def aggregate_reasons(members: Sequence[Evidence], category: str | None, size: int) -> tuple[Reason, ...]:
    """Cluster reasons: member reasons for the cluster's category (and evasion), grouped by signal and
    feature, with how many members share each."""
    grouped: dict[tuple[str, str], list[Reason]] = {}
    for member in members:
        seen = set()
        for reason in member.reasons:
            if reason.category not in (category, "evasion") or reason.feature == "tie":
                continue
            key = (reason.signal, reason.feature)
            if key in seen:
                continue
            seen.add(key)
            grouped.setdefault(key, []).append(reason)
    out = []
    for (signal, feature), reasons in grouped.items():
        best = max(reasons, key=lambda r: (r.weight, r.value))
        count = len(reasons)
        prefix = f"{count} of {size} groups: " if size > 1 else ""
        out.append(Reason(signal, feature, f"{count}/{size}; {best.value}", best.category, best.weight,
                          prefix + best.sentence))
    # The category's own evidence first, then modifiers such as evasion.
    return tuple(sorted(out, key=lambda r: (r.category != category, -r.weight, r.signal, r.feature)))


def structure_reason(shape: Mapping[str, object], size: int, category: str | None) -> Reason | None:
    """The cluster's shape in one sentence (weight 0: it describes, the evidence reasons score)."""
    if size < 2:
        return None
    parts = []
    if shape.get("linked_pairs"):
        parts.append(f"{shape['linked_pairs']} pairs linked by posted invites")
    if shape.get("shared_admins"):
        parts.append(f"{shape['shared_admins']} admins shared across {shape['groups_with_shared_admin']} groups")
    if shape.get("icon_families"):
        parts.append(f"{shape['icon_families']} families of look-alike icons across "
                     f"{shape['groups_with_shared_icon']} groups")
    if not parts:
        return None
    value = ", ".join(f"{k}={shape.get(k)}" for k in ("linked_pairs", "shared_admins", "icon_families"))
    return Reason("graph", "structure", value, category or "structure", 0.0,
                  f"{size} groups: " + "; ".join(parts) + ".")

