"""Cluster scores and each member's final risk: stages 3 to 5 of ``scanner.scoring.risk`` (cluster risk, cluster
context, category context), with the per-tie reasons that say which ties moved a score.

Pure functions of their arguments, as everything in scoring. Inheritance follows a group's ties to groups that
carry evidence of the inherited category (``scanner.graph.ties.category_support``): a network's risk is carried by
the groups with evidence, not by every group it happens to contain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from scanner.graph.ties import CategorySupport, Tie
from scanner.images.icon import ICON_CATEGORY
from scanner.policy import TIER_ORDER, Policy
from scanner.reasons import Reason
from scanner.scoring.risk import (
    ClusterScore,
    Evidence,
    GroupScore,
    aggregate_reasons,
    cluster_categories,
    noisy_or,
    severity,
    structure_reason,
    top_category,
)

#: ``ties(i, counted)``: group i's ties to the groups ``counted`` accepts (``scanner.graph.ties.TieIndex``).
TieLookup = Callable[[int, Callable[[int], bool]], Sequence[Tie]]

TIE_WORDS = {
    ("links_to", "outbound"): "it posted the invite of",
    ("links_to", "inbound"): "its invite was posted by",
    ("shared_admin", "shared"): "it shares an admin with",
    ("near_duplicate_icon", "shared"): "its icon is a near duplicate of the icon of",
    ("successor_of", "respawn"): "it looks like a respawn of",
}


def tie_reasons(ties: Sequence[Tie], group_ids: Sequence[str], category: str, limit: int = 6) -> list[Reason]:
    """One reason per tie that moved a score: kind, direction and the group at the other end, in ``value`` as
    ``kind|direction|group_id|strength`` (weight 0: the context reason carries the weight)."""
    out = []
    for tie in ties[:limit]:
        other = group_ids[tie.other]
        out.append(Reason("graph", "tie", f"{tie.kind}|{tie.direction}|{other}|{tie.strength:.2f}", category, 0.0,
                          f"Tie ({tie.kind}, {tie.direction}, strength {tie.strength:.2f}): "
                          f"{TIE_WORDS.get((tie.kind, tie.direction), 'tied to')} {other}."))
    return out


def _marker(features: Mapping[str, object], rule) -> tuple[float, str]:
    """The strongest of a category-context rule's markers the group carries itself, and what it is."""
    best, what = 0.0, ""
    explicit = features.get("explicit")
    if "explicit_icon" in rule.markers and isinstance(explicit, int | float) and explicit >= rule.explicit_min:
        best, what = float(explicit), f"an explicit icon ({float(explicit):.2f})"
    indicators = features.get("indicators")
    minor = indicators.get("minor", 0.0) if isinstance(indicators, dict) else 0.0
    if "minor_indicator" in rule.markers and minor and float(minor) > best:
        best, what = float(minor), f"minor indicators in its text ({float(minor):.2f})"
    return best, what


def category_context(scores: Mapping[str, float], features: Mapping[str, object], network: Mapping[str, float],
                     where: str, policy: Policy) -> tuple[dict[str, float], list[Reason]]:
    """``fusion.category_context``: a group whose network (``network[c]``, 0..1, from ``where``) carries category
    c at review level and that itself carries one of the rule's markers gets c evidence ``weight * min(network,
    marker)``: a camouflaged ring with explicit icons linked to a child-safety chain is reviewed as child_safety.
    Returns the new scores and the reasons added."""
    out = dict(scores)
    added: list[Reason] = []
    for c, rule in policy.fusion.category_context.items():
        value = network.get(c, 0.0)
        if rule.weight <= 0 or value < policy.review_threshold or out.get(c, 0.0) >= policy.review_threshold:
            continue
        marker, what = _marker(features, rule)
        if not marker:
            continue
        # Fuzzy AND, as the lexicon's combinations: as strong as the weaker of the network and the marker.
        weight = rule.weight * min(value, marker)
        out[c] = noisy_or([out.get(c, 0.0), weight])
        added.append(Reason(
            "graph", "category_context", f"{c} network={value:.2f} marker={marker:.2f}", c, weight,
            f"Its network ({where}) carries {c} evidence ({value:.2f}) and it carries {what} itself: reviewed "
            f"as {c} (policy lets network context move a category by up to {rule.weight:.2f})."))
    return out, added


#: The share of a cluster's members carrying a category's evidence at or above which the cluster is that
#: category's network through and through (``score_clusters``): set between the sample's bland-named scam ring,
#: which needs every member inherited, and school communities where one or two of a dozen or thirty carry any.
PREVALENT = 0.4


def score_clusters(
    cluster_ids: Sequence[str],
    communities: Sequence[Sequence[int]],
    group_ids: Sequence[str],
    evidence: Sequence[Evidence],
    support: Sequence[float] | np.ndarray,
    structure: Sequence[Mapping[str, object]],
    policy: Policy,
    own: Sequence[float] | np.ndarray | None = None,
    features: Mapping[str, Mapping[str, object]] | None = None,
    ties: TieLookup | None = None,
    by_category: Mapping[str, CategorySupport] | None = None,
) -> tuple[list[ClusterScore], list[GroupScore]]:
    """Cluster risks from member evidence, then each member's final risk with its cluster context.

    ``support``: per group, the noisy-OR of its ties into its own cluster or to seeds (``scanner.graph.ties``);
    ``own``: per group, its strongest direct (own-signal) risk, taken from ``evidence`` when not given;
    ``features``: signal features by group id (explicit icon, indicators) for category context;
    ``ties(i, counted)``: group i's ties to the groups ``counted`` accepts, for per-tie reasons;
    ``by_category``: per category, each group's ties to groups with evidence of that category of their own
    (``scanner.graph.ties.category_support``). Given, a member inherits category c only through its ties to
    c-evidence (a school community with one misread member does not inherit child_safety through its other
    twenty-nine), and category context reads the strongest c-evidence it is tied to; not given, every counted
    tie carries every category of the cluster (the rule before per-category ties)."""

    def tied(c: str, i: int, context: bool = False) -> tuple[float, float]:
        """Group i's support for category c and the strongest c-evidence it is tied to (0 when unknown);
        ``context``: counting only ties to groups with c evidence of their own, not to marked ones."""
        if by_category is None or c not in by_category:
            return float(support[i]), 0.0
        view = by_category[c]
        return float(view.context[i] if context else view.support[i]), float(view.strongest[i])

    clusters: list[ClusterScore] = []
    groups: list[GroupScore | None] = [None] * len(group_ids)
    tie_policy = policy.graph.ties
    features = features or {}
    for cid, members, shape in zip(cluster_ids, communities, structure, strict=True):
        member_evidence = [evidence[i] for i in members]
        categories = cluster_categories(member_evidence, policy.cluster_corroboration)
        category, risk = top_category(categories, policy)
        evasive = sum("evasion" in e.modifiers for e in member_evidence) >= (1 if len(members) == 1 else 2)
        tier, deadline = severity(category, risk, evasive, policy)
        summary = aggregate_reasons(member_evidence, category, len(members))
        described = structure_reason(shape, len(members), category)
        if described is not None:
            summary = (*summary, described)
        flagged = risk >= policy.review_threshold

        def own_risk(i: int) -> float:
            return float(own[i]) if own is not None else max(evidence[i].scores.values(), default=0.0)

        # Per category, the share of members with evidence of it of their own: in a ring most members carry
        # some (a bland-named member of a scam ring inherits through any tie), in a benign community that one
        # member misread, few do (its other members need member-strength ties of their own to inherit).
        # Only a flagged cluster of several groups passes context on: most clusters of a platform need none.
        prevalence = {c: sum(evidence[i].scores.get(c, 0.0) >= tie_policy.own_min for i in members) / len(members)
                      for c in categories} if flagged and len(members) > 1 else {}
        members_proper = {i for i in members
                          if own_risk(i) >= tie_policy.own_min or float(support[i]) >= tie_policy.member_min}
        in_cluster = set(members)
        connected: list[str] = []
        for i in members:
            own_evidence = evidence[i]
            scores = dict(own_evidence.scores)
            reasons = list(own_evidence.reasons)
            is_member = i in members_proper
            membership = "member"
            counted_ties: Sequence[Tie] | None = None
            # Context only from a cluster that is itself a case: many weak members must not lift each other.
            if len(members) > 1 and flagged and not is_member:
                membership = "connected"
                connected.append(group_ids[i])
                counted_ties = ties(i, in_cluster.__contains__) if ties else ()
                reasons.append(Reason(
                    "cluster", "connected", f"{cid} support={float(support[i]):.2f}", category or "structure", 0.0,
                    f"Connected to cluster {cid} ({len(members)} groups, {category} risk {risk:.2f}) by ties "
                    f"worth {float(support[i]):.2f} (a member needs {tie_policy.member_min:.2f}) and no evidence of "
                    f"its own: shown as connected to the case, not as a member."))
                reasons.extend(tie_reasons(counted_ties, group_ids, category or "structure"))
            elif len(members) > 1 and support[i] > 0 and flagged:
                moved = False
                # Context does not move a group its own evidence already reviews under a category into a more
                # severe one: only ``category_context`` (a marker of its own) may (a solicitation ring whose
                # cluster has some child-safety text stays solicitation).
                own_category, own_top = top_category(own_evidence.scores, policy)
                own_tier = (TIER_ORDER.index(policy.categories[own_category].severity)
                            if own_category is not None and own_top >= policy.review_threshold else None)
                for c, value in categories.items():
                    tie_support, _ = tied(c, i)
                    weight = policy.fusion.cluster_context * value * tie_support
                    if weight < 0.05:
                        continue
                    if own_risk(i) < tie_policy.own_min and tie_support < tie_policy.member_min and \
                            prevalence.get(c, 0.0) < PREVALENT:
                        # No evidence of its own and fewer ties to c evidence than a member has: connected to the
                        # c network, not part of it (one posted link of a group that turned abusive). All graph
                        # evidence together (proximity included) lifts it to ``connected_max`` at most.
                        room = 1.0 - (1.0 - tie_policy.connected_max) / max(1e-9, 1.0 - scores.get(c, 0.0))
                        weight = min(weight, room)
                        if weight < 0.05:
                            continue
                    if own_tier is not None and c != own_category and \
                            TIER_ORDER.index(policy.categories[c].severity) < own_tier:
                        weight = min(weight, policy.review_threshold * 0.9)
                    moved = True
                    scores[c] = noisy_or([scores.get(c, 0.0), weight])
                    reasons.append(Reason(
                        "cluster", "context", f"{cid} risk={value:.2f} support={tie_support:.2f}", c, weight,
                        f"Its own ties to groups with {c} evidence in cluster {cid} ({len(members)} groups, {c} "
                        f"risk {value:.2f}) add up to {tie_support:.2f}: inherits {weight:.2f}.",
                    ))
                if moved and ties is not None:
                    counted_ties = ties(i, members_proper.__contains__)
                    reasons.extend(tie_reasons(counted_ties, group_ids, category or "structure"))
            if is_member and len(members) > 1 and flagged:
                # How much of the cluster's c evidence reaches this member. An explicit icon is evidence of its
                # own, independent of the text: a member of a cluster that is a c case carries it whole (a
                # camouflaged ring of study-notes names with explicit icons, linked to a chain, is one network;
                # DESIGN.md: "explicit icon in a cluster with minor indicators"). Minor words are common in
                # benign school communities, so with them only the member's own ties to c evidence carry it.
                explicit = features.get(group_ids[i], {}).get("explicit")
                # Only where the icon is what its own evidence reviews it for (adult_content, or nothing yet): a
                # solicitation star that Leiden merged into one community with a chain keeps its own category.
                own_category, own_top = top_category(own_evidence.scores, policy)
                icon_is_its_case = own_top < policy.review_threshold or own_category == ICON_CATEGORY
                network = {}
                for c, rule in policy.fusion.category_context.items():
                    tie_support, strongest = tied(c, i, context=True)
                    share = min(1.0, tie_support / tie_policy.member_min)
                    network[c] = max(categories.get(c, 0.0), strongest) * share
                    if icon_is_its_case and "explicit_icon" in rule.markers and isinstance(explicit, int | float) \
                            and explicit >= rule.explicit_min:
                        network[c] = max(network[c], categories.get(c, 0.0))
                scores, added = category_context(scores, features.get(group_ids[i], {}), network,
                                                 f"cluster {cid}", policy)
                reasons.extend(added)
            g_category, g_risk = top_category(scores, policy)
            g_tier, g_deadline = severity(g_category, g_risk, "evasion" in own_evidence.modifiers, policy)
            ordered = tuple(sorted(reasons, key=lambda r: (-r.weight, r.signal, r.feature, r.value)))
            groups[i] = GroupScore(
                group_ids[i], scores, g_risk, g_category, g_risk >= policy.review_threshold, g_tier, g_deadline,
                ordered, own_evidence.modifiers, cid, membership,
            )
        if connected:
            shape = {**shape, "connected": sorted(connected)}
        clusters.append(ClusterScore(
            cid, tuple(group_ids[i] for i in members), categories, risk, category, flagged,
            tier, deadline, summary, shape,
        ))
    return clusters, [g for g in groups if g is not None]
