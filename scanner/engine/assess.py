"""One assessment: group states -> signals -> graph -> scores. Pure apart from reading icon files.

Kept apart from ``scanner.engine.pipeline`` (which reads sources and writes the store) so it can be tested and
benchmarked on its own, and reused by the bots for incremental rescoring.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from scanner.engine.runner import LocalRunner, SignalRunner
from scanner.engine.scancache import cache_key
from scanner.engine.scope import Scope, touched_groups
from scanner.graph.backend import FastBackend, GraphBackend
from scanner.graph.build import KIND_INDEX, Projection, project
from scanner.graph.groups import GroupState, link_owners
from scanner.graph.icons import near_duplicate_hash_pairs
from scanner.graph.identity import assign_ids
from scanner.graph.propagate import proximity
from scanner.graph.successors import Succession, successions
from scanner.graph.ties import (
    CategorySupport,
    TieIndex,
    category_support,
    network_support,
)
from scanner.images.hashbank import HashBank, bank_results
from scanner.plugins.registry import registered
from scanner.policy import TIER_ORDER, Policy
from scanner.reasons import Reason
from scanner.schema import utc_iso
from scanner.scoring.clusters import category_context, score_clusters
from scanner.scoring.risk import (
    ClusterScore,
    Evidence,
    GroupScore,
    add_graph_proximity,
    direct_evidence,
    top_category,
)
from scanner.signals.base import ScanContext, Signal, SignalPlugin, SignalResult, SignalSetup
from scanner.text.lexicon import Lexicon

Progress = Callable[[str, int, int], None]


@dataclass
class Assessment:
    groups: list[GroupScore]
    clusters: list[ClusterScore]
    features: dict[str, dict[str, object]]
    families: dict[str, int]
    projection: Projection
    timings: dict[str, float] = field(default_factory=dict)
    # Signal results computed by this assessment (not taken from the cache), and the near-duplicate icon pairs.
    fresh: list[SignalResult] = field(default_factory=list)
    icon_pairs: set[tuple[str, str]] = field(default_factory=set)
    # Set for a scoped rescan: ``groups`` and ``clusters`` cover ``scope.groups`` only.
    scope: Scope | None = None
    # Every group's PDQ hash and the dihedral variants of hashes computed here (for the cache), whatever the scope.
    icons: dict[str, str] = field(default_factory=dict)
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)


def default_signals(policy: Policy, lexicon: Lexicon | None = None,
                    confirmed: Mapping[str, Mapping[str, object]] | None = None) -> list[Signal]:
    """The scan's signals: every registered signal (``groupscan.signals`` entry points, the built-ins among
    them) the policy switches on, in their declared ``order``. ``confirmed``: groups moderators confirmed as
    violating."""
    setup = SignalSetup(lexicon, confirmed or {})
    plugins: list[SignalPlugin] = sorted(registered("signals").values(), key=lambda plugin: plugin.order)
    return [signal for plugin in plugins if (signal := plugin.from_policy(policy, setup)) is not None]


def succession_results(states: Mapping[str, GroupState], only: set[str] | None = None,
                       owners: Mapping[str, str] | None = None,
                       found: Sequence[Succession] | None = None) -> list[SignalResult]:
    """Successor groups as evasion modifiers on both ends, each with the reason naming the other group.
    ``only``: the results of these groups only (both ends of a succession are in one component). ``found``: the
    successions when already known."""
    reasons: dict[str, list[Reason]] = {}
    for item in found if found is not None else successions(states, only=only, owners=owners):
        before, after = states[item.predecessor].latest.name, states[item.successor].latest.name
        reasons.setdefault(item.successor, []).append(Reason(
            "graph", "successor_of", item.predecessor, "evasion", 0.6 * item.similarity,
            f"Looks like a respawn of {before!r}: started later, a similar name, and that group posts its invite."))
        reasons.setdefault(item.predecessor, []).append(Reason(
            "graph", "has_successor", item.successor, "evasion", 0.6 * item.similarity,
            f"Posts the invite of {after!r}, a later group with a similar name (a backup or respawn)."))
    return [SignalResult(gid, "successor", {}, tuple(found), frozenset({"evasion"}))
            for gid, found in sorted(reasons.items()) if only is None or gid in only]


def linked_pairs(projection: Projection, membership: np.ndarray, communities: int) -> np.ndarray:
    """Per community: how many member pairs are joined by a posted invite link."""
    linked = projection.by_kind[:, KIND_INDEX["links_to"]] > 0
    src, dst = projection.src[linked], projection.dst[linked]
    same = (membership[src] == membership[dst]) & (membership[src] >= 0)  # -1: not scored in this scan
    return np.bincount(membership[src[same]], minlength=communities).astype(np.int64)


def structure_of(members: Sequence[int], links: int, states: Sequence[GroupState],
                 families: Mapping[str, int]) -> dict[str, object]:
    """What a moderator should see at a glance about a cluster's shape."""
    admins: dict[str, int] = {}
    family_count: dict[int, int] = {}
    for i in members:
        for admin in states[i].admins:
            admins[admin] = admins.get(admin, 0) + 1
        family = families.get(states[i].group_id)
        if family is not None:
            family_count[family] = family_count.get(family, 0) + 1
    shared = {a: c for a, c in admins.items() if c > 1}
    return {
        "linked_pairs": links,
        "shared_admins": len(shared),
        "groups_with_shared_admin": sum(1 for i in members if any(a in shared for a in states[i].admins)),
        "icon_families": sum(1 for c in family_count.values() if c > 1),
        "groups_with_shared_icon": sum(c for c in family_count.values() if c > 1),
        "platforms": sorted({states[i].latest.platform for i in members}),
        "first_seen": utc_iso(min(seen)) if (seen := [s.first_seen for s in (states[i] for i in members)
                                                       if s.first_seen]) else None,
    }


def assess(
    states: Mapping[str, GroupState],
    policy: Policy,
    context: ScanContext,
    banks: Sequence[HashBank] = (),
    previous_clusters: Mapping[str, frozenset[str]] | None = None,
    signals: Sequence[Signal] | None = None,
    progress: Progress | None = None,
    batch_size: int = 512,
    backend: GraphBackend | None = None,
    runner: SignalRunner | None = None,
    cached: Mapping[str, Sequence[SignalResult]] | None = None,
    known_icons: tuple[Iterable[str], Iterable[tuple[str, str]]] | None = None,
    scope: Scope | None = None,
) -> Assessment:
    """Score every group of ``states``. ``cached``: per group, results of the cacheable signals from an earlier
    scan (its latest snapshot unchanged), which are not computed again. ``known_icons``: the icon hashes and
    near-duplicate pairs an earlier scan found, so only new icons are searched. ``Assessment.fresh`` holds the
    results computed this time.

    ``scope``: a scoped rescan (``scanner.engine.scope``): only the components reached by the change are scored, and
    the assessment holds only their groups and clusters (``scope.groups``); ``cached`` is read for those only."""
    timings: dict[str, float] = {}
    backend = backend or FastBackend()
    group_ids = list(states)
    n = len(group_ids)
    signals = list(signals) if signals is not None else default_signals(policy)

    started = time.perf_counter()
    runner = runner or LocalRunner(batch_size)
    cached = cached or {}
    position = {signal.name: i for i, signal in enumerate(signals)}
    # Groups with cached results (see scanner.engine.scancache) run only the signals that cannot be cached.
    fresh_snaps = [states[g].latest for g in group_ids if g not in cached]
    fresh = runner.run(fresh_snaps, signals, context, progress) if fresh_snaps else []
    uncacheable = [s for s in signals if cache_key(s) is None]
    if scope is None:
        pdq_by_group, variants = _icons(fresh, cached.values())
        pdq_by_group = {g: pdq_by_group[g] for g in group_ids if g in pdq_by_group}
    else:
        # A scoped rescan: the icons of the groups it did not score again come from the cache.
        fresh_ids = {s.group_id for s in fresh_snaps}
        pdq_by_group = {g: h for g, h in scope.icons.items() if g in states and g not in fresh_ids}
        variants = dict(scope.variants)
        new_pdq, new_variants = _icons(fresh, ())
        pdq_by_group.update(new_pdq)
        variants.update(new_variants)
        pdq_by_group = {g: pdq_by_group[g] for g in group_ids if g in pdq_by_group}
    timings["signals"] = time.perf_counter() - started

    started = time.perf_counter()
    known_hashes, known_pairs = known_icons or ((), ())
    icon_pairs = near_duplicate_hash_pairs(pdq_by_group.values(), policy.graph.near_duplicate_radius, variants,
                                           known_hashes, known_pairs)
    owners = link_owners(states)
    projection, families = project(states, pdq_by_group, policy.graph, variants, sorted(icon_pairs), owners)
    component = backend.components(projection)
    if scope is None:
        wanted: np.ndarray | None = None
        scored = group_ids
    else:
        index = {g: i for i, g in enumerate(group_ids)}
        touched = touched_groups(states, scope, pdq_by_group, icon_pairs)
        seeds = np.fromiter((index[g] for g in touched), dtype=np.int64, count=len(touched))
        wanted = np.isin(component, np.unique(component[seeds])) if len(seeds) else np.zeros(n, dtype=bool)
        scored = [group_ids[i] for i in np.flatnonzero(wanted)]
        scope.groups = set(scored)
    timings["graph_build"] = time.perf_counter() - started

    started = time.perf_counter()
    scored_set = set(scored) if scope is not None else None
    kept_snaps = [states[g].latest for g in scored if g in cached]
    results = list(fresh)
    if kept_snaps and uncacheable:
        results.extend(runner.run(kept_snaps, uncacheable, context, None))
    for g in (scored if scope is not None else cached):
        if g in cached:
            results.extend(cached[g])
    per_group: dict[str, list[SignalResult]] = {g: [] for g in scored}
    features: dict[str, dict[str, object]] = {g: {} for g in scored}
    # A runner may return results in any order; evidence is built in the policy's signal order, as before.
    for result in sorted(results, key=lambda r: position[r.signal]):
        if result.group_id in per_group:
            per_group[result.group_id].append(result)
            features[result.group_id].update(result.features)
    if policy.signals.hash_banks.enabled and banks:
        for result in bank_results(scored, pdq_by_group, banks, policy.signals.hash_banks.match_weight, variants):
            per_group[result.group_id].append(result)
            features[result.group_id].update(result.features)
    found_successions = successions(states, only=scored_set, owners=owners)
    for result in succession_results(states, scored_set, owners, found_successions):
        per_group[result.group_id].append(result)
    empty = direct_evidence([], policy)
    evidence: list[Evidence] = [empty] * n if scope is not None else []
    if scope is None:
        evidence = [direct_evidence(per_group[g], policy) for g in group_ids]
    else:
        for g in scored:
            evidence[index[g]] = direct_evidence(per_group[g], policy)
    timings["signals"] += time.perf_counter() - started

    started = time.perf_counter()
    if policy.graph.enabled:
        found = backend.communities(projection, policy.graph.community.resolution, policy.graph.community.seed,
                                    wanted)
    else:
        found = [[i] for i in range(n)] if wanted is None else [[int(i)] for i in np.flatnonzero(wanted)]
    timings["communities"] = time.perf_counter() - started
    if progress:
        progress("graph", 1, 2)

    started = time.perf_counter()
    membership = np.full(n, -1, dtype=np.int64)
    for number, members in enumerate(found):
        membership[members] = number
    rows = np.arange(n) if wanted is None else np.flatnonzero(wanted)
    own = np.zeros(n)
    own[rows] = [max(evidence[i].scores.values(), default=0.0) for i in rows]
    ties_policy = policy.graph.ties
    index_of = {g: i for i, g in enumerate(group_ids)} if found_successions else {}
    respawns = [(index_of[item.predecessor], index_of[item.successor]) for item in found_successions]
    seed = own >= policy.graph.propagation.seed_min_risk
    # How many independent seeds a seed is worth: a moderator's violating decision or a hash-list hit counts as
    # two (it is corroborated already), a name or an icon score as one.
    strong_signals = {"review", "hash_bank"}
    worth = np.zeros(n, dtype=np.int64)
    for i in np.flatnonzero(seed):
        worth[i] = 2 if any(r.signal in strong_signals and r.weight > 0 for r in evidence[i].reasons) else 1
    network = network_support(projection, membership, len(found), worth, respawns, policy.graph.edge_weights,
                              ties_policy, own >= ties_policy.own_min)
    ties, group_support, harmful, seed_neighbours = (network.ties, network.support, network.harmful,
                                                     network.seed_neighbours)
    member = (own >= ties_policy.own_min) | (group_support >= ties_policy.member_min)
    # Each group's direct evidence per category, read once: the per-category ties here and the propagation
    # below both start from it (propagation adds graph evidence to ``evidence`` itself, never to these arrays).
    direct_by_category: dict[str, np.ndarray] = {}
    for category in policy.categories:
        direct_by_category[category] = np.zeros(n)
        direct_by_category[category][rows] = [evidence[i].scores.get(category, 0.0) for i in rows]
    explicit: np.ndarray | None = None
    if any("explicit_icon" in rule.markers for rule in policy.fusion.category_context.values()):
        explicit = np.zeros(n)
        explicit[rows] = [_explicit(features.get(group_ids[i], {})) for i in rows]
    by_category: dict[str, CategorySupport] = {}
    for category, own_c in direct_by_category.items():
        rule = policy.fusion.category_context.get(category)
        marked = explicit >= rule.explicit_min if explicit is not None and rule is not None and \
            "explicit_icon" in rule.markers else None
        by_category[category] = category_support(projection, network, own_c, ties_policy, marked)
    timings["ties"] = time.perf_counter() - started

    started = time.perf_counter()
    if policy.graph.enabled and projection.edges:
        walk = projection.walk()
        prop = policy.graph.propagation
        context_categories = set(policy.fusion.category_context)
        # The tier of the category a group's own evidence already reviews it under (9: none). Graph evidence
        # does not move it into a more severe category (only category_context, with a marker of its own, may).
        tier_of = {c: TIER_ORDER.index(p.severity) for c, p in policy.categories.items()}
        own_tier = np.full(n, 9, dtype=np.int64)
        for i in np.flatnonzero(own >= policy.review_threshold):
            own_category, _ = top_category(evidence[i].scores, policy)
            if own_category is not None:
                own_tier[i] = tier_of[own_category]
        for category in policy.categories:
            direct = direct_by_category[category]
            values = proximity(walk, direct, prop.seed_min_risk, prop.restart, prop.max_iter, component,
                               lambda seeds: backend.personalized_rank(projection, seeds, prop.restart, prop.max_iter))
            for i in np.flatnonzero(values > 0):
                cap = 1.0 if member[i] else ties_policy.connected_max
                if tier_of[category] < own_tier[i]:
                    cap = min(cap, 0.9 * policy.review_threshold)
                if direct[i] < min(values[i] * policy.fusion.graph_proximity, cap):
                    evidence[i] = add_graph_proximity(evidence[i], {category: float(values[i])}, policy, cap)
                if category in context_categories and member[i] and values[i] >= policy.review_threshold:
                    scores, added = category_context(evidence[i].scores, features.get(group_ids[i], {}),
                                                     {category: float(values[i])}, "the groups it is tied to",
                                                     policy)
                    if added:
                        evidence[i] = Evidence(scores, (*evidence[i].reasons, *added), evidence[i].modifiers)
    timings["propagation"] = time.perf_counter() - started
    if progress:
        progress("graph", 2, 2)

    started = time.perf_counter()
    named = [[group_ids[i] for i in members] for members in found]
    if scope is None:
        ids = assign_ids(named, previous_clusters or {})
    else:
        scope.before = scope.previous(scored)
        ids = assign_ids(named, scope.before, taken=scope.taken)
    state_list = _ByIndex(states, group_ids)  # read only for the scored members: a packed table stays packed
    component_size = np.bincount(component) if len(component) else np.zeros(0, dtype=np.int64)
    links = linked_pairs(projection, membership, len(found))
    shapes = [{**structure_of(members, int(links[number]), state_list, families),
               "component_size": int(component_size[component[members[0]]])}
              for number, members in enumerate(found)]
    tie_index = TieIndex(projection, ties, ties_policy)

    def tie_lookup(i: int, counted):
        return tie_index.of(i, lambda j: bool(counted(j) or harmful[j] or (seed[j] and seed_neighbours[i] >= 2)))

    clusters, groups = score_clusters(ids, found, group_ids, evidence, group_support, shapes, policy, own,
                                      features, tie_lookup, by_category)
    timings["scoring"] = time.perf_counter() - started
    if scope is not None:
        families = {g: f for g, f in families.items() if g in scope.groups}
    return Assessment(groups, clusters, features, families, projection, timings, fresh, icon_pairs, scope,
                      pdq_by_group, variants)


def _explicit(features: Mapping[str, object]) -> float:
    """A group's explicit-icon score from its signal features (0 when it has none)."""
    value = features.get("explicit")
    return float(value) if isinstance(value, int | float) else 0.0


class _ByIndex(Sequence[GroupState]):
    def __init__(self, states: Mapping[str, GroupState], group_ids: list[str]) -> None:
        self.states, self.group_ids = states, group_ids

    def __getitem__(self, index):
        return self.states[self.group_ids[index]]

    def __len__(self) -> int:
        return len(self.group_ids)


def _icons(fresh: Iterable[SignalResult], cached: Iterable[Sequence[SignalResult]]
           ) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """PDQ hash per group, and the dihedral variants of the hashes computed here (upstream hashes come
    without them), from the signal results."""
    pdq_by_group: dict[str, str] = {}
    variants: dict[str, tuple[str, ...]] = {}
    for result in chain(fresh, chain.from_iterable(cached)):
        pdq = result.features.get("pdq")
        if pdq:
            pdq_by_group[result.group_id] = str(pdq)
            dihedral = result.features.get("pdq_dihedral")
            if isinstance(dihedral, list):
                variants[str(pdq)] = tuple(str(h) for h in dihedral)
    return pdq_by_group, variants
