"""Ties: what one edge of the graph says about each of the two groups it joins, and how ties add up.

Anyone can post anyone's invite link, so a link posted *to* a group is weak evidence about it, and a ring that
spams the links of popular groups must not make them look like members (a child-safety ring that posted the
links of 20 old, popular groups got 7 of them flagged P0 when every tie counted alike; DESIGN.md). What a group
did itself counts: posting another group's link (shared over its links when it posts many, as a directory does),
sharing an admin (once per admin: an admin of k groups adds ``1/(k-1)`` of a tie to each pair), a near-duplicate
icon (once per family), being the respawn of a group that announced it (``scanner.graph.successors``).

A group's *support* is the noisy-OR of its independent ties to the harmful network: inbound links together count
at most ``inbound_max``. A group with no evidence of its own needs support of ``member_min`` (two strong ties, or
a respawn) to be a member of a case; with less it is shown as *connected* to the case and graph evidence lifts it
at most ``connected_max``: one admin shared with a ring, or one's link posted by a ring, is not membership.

Pure numpy over the projection's edge arrays; ``support_reference`` is the plain-Python twin the tests compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix

from scanner.graph.build import KIND_INDEX, Projection
from scanner.policy import EdgeWeights, TiePolicy


@dataclass(frozen=True)
class Tie:
    """One tie of a group: its kind, its direction seen from the group, the group at the other end (an index
    into ``Projection.groups``) and how much it says about the group (0..1)."""

    kind: str  # links_to | shared_admin | near_duplicate_icon | successor_of
    direction: str  # outbound (it posted their link) | inbound (they posted its link) | shared | respawn
    other: int
    strength: float


@dataclass(frozen=True)
class TieStrengths:
    """Per edge of a projection, what it says about its ``src`` and about its ``dst``: ``strong_*`` (own acts,
    shared admins and icons) and ``inbound_*`` (links posted to it). ``extra``: respawn ties ``(successor,
    predecessor, strength)`` that are about the successor only."""

    strong_src: np.ndarray
    strong_dst: np.ndarray
    inbound_src: np.ndarray
    inbound_dst: np.ndarray
    extra: tuple[np.ndarray, np.ndarray, np.ndarray]
    # The shared-admin and icon parts of each edge's strength (the same both ways), for reasons.
    admin: np.ndarray
    icon: np.ndarray


def _per_unit(weight: np.ndarray, unit: float, strength: float) -> np.ndarray:
    """``weight`` in units of one shared key (one admin of two groups weighs ``unit``) as a noisy-OR strength:
    an admin of k groups gives each of its k-1 pairs ``1/(k-1)`` of a unit, which together make one tie."""
    if unit <= 0 or strength <= 0:
        return np.zeros_like(weight)
    return 1.0 - np.power(1.0 - strength, weight / unit)


def tie_strengths(projection: Projection, weights: EdgeWeights, policy: TiePolicy,
                  successions: Sequence[tuple[int, int]] = ()) -> TieStrengths:
    """The strengths of every edge's ties (see module docstring). ``successions``: (predecessor, successor)
    index pairs of respawns."""
    posted = projection.posted if len(projection.posted) == projection.edges else np.zeros((projection.edges, 2))
    out = projection.out_links if len(projection.out_links) == len(projection.groups) else \
        np.zeros(len(projection.groups), dtype=np.int64)
    volume = np.minimum(1.0, policy.posting_volume / np.maximum(out, 1))
    src, dst = projection.src, projection.dst
    admin = _per_unit(projection.by_kind[:, KIND_INDEX["shared_admin"]], weights.shared_admin, policy.shared_admin)
    icon = _per_unit(projection.by_kind[:, KIND_INDEX["near_duplicate_icon"]], weights.near_duplicate_icon,
                     policy.near_duplicate_icon)
    shared_miss = (1.0 - admin) * (1.0 - icon)
    src_posted, dst_posted = posted[:, 0] > 0, posted[:, 1] > 0
    strong_src = 1.0 - shared_miss * (1.0 - np.where(src_posted, policy.posted_by_it * volume[src], 0.0))
    strong_dst = 1.0 - shared_miss * (1.0 - np.where(dst_posted, policy.posted_by_it * volume[dst], 0.0))
    inbound_src = np.where(dst_posted, policy.posted_to_it, 0.0)
    inbound_dst = np.where(src_posted, policy.posted_to_it, 0.0)
    after = np.fromiter((s for _, s in successions), dtype=np.int64, count=len(successions))
    before = np.fromiter((p for p, _ in successions), dtype=np.int64, count=len(successions))
    return TieStrengths(strong_src, strong_dst, inbound_src, inbound_dst,
                        (after, before, np.full(len(successions), policy.successor)), admin, icon)


def support(projection: Projection, ties: TieStrengths, counts_src: np.ndarray, counts_dst: np.ndarray,
            counts_extra: np.ndarray, policy: TiePolicy) -> np.ndarray:
    """Per group, the noisy-OR of its ties that count (``counts_src[e]``: edge e counts for its src, i.e. its
    dst is in the harmful network; ``counts_extra`` for the respawn ties), inbound links capped together at
    ``inbound_max``."""
    n = len(projection.groups)
    src, dst = projection.src, projection.dst

    def log_miss(values_src: np.ndarray, values_dst: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
        # Float from the start: numpy gives an integer bincount when nothing counts.
        total = np.zeros(n)
        total += np.bincount(src[counts_src], np.log1p(-values_src[counts_src]), minlength=n)
        total += np.bincount(dst[counts_dst], np.log1p(-values_dst[counts_dst]), minlength=n)
        if extra is not None and len(extra):
            after = ties.extra[0][counts_extra]
            total += np.bincount(after, np.log1p(-extra[counts_extra]), minlength=n)
        return total

    strong = 1.0 - np.exp(log_miss(ties.strong_src, ties.strong_dst, ties.extra[2]))
    inbound = np.minimum(policy.inbound_max, 1.0 - np.exp(log_miss(ties.inbound_src, ties.inbound_dst, None)))
    return 1.0 - (1.0 - strong) * (1.0 - inbound)


def support_reference(projection: Projection, weights: EdgeWeights, policy: TiePolicy,
                      counts: set[tuple[int, int]], successions: Sequence[tuple[int, int]] = ()) -> list[float]:
    """The slow twin of ``tie_strengths`` + ``support``, one group and one tie at a time from the projection's
    dict views. ``counts``: ordered pairs (i, j) where j is in i's harmful network."""
    n = len(projection.groups)
    posted = {(int(a), int(b)): (float(p), float(q)) for a, b, (p, q) in
              zip(projection.src, projection.dst, projection.posted, strict=True)}
    out = [int(x) for x in projection.out_links]
    strong_miss = [1.0] * n
    inbound_miss = [1.0] * n
    for (a, b), kinds in projection.kinds.items():
        for me, other, i_posted, they_posted in ((a, b, posted[(a, b)][0], posted[(a, b)][1]),
                                                 (b, a, posted[(a, b)][1], posted[(a, b)][0])):
            if (me, other) not in counts:
                continue
            miss = 1.0
            if weights.shared_admin > 0:
                miss *= (1 - policy.shared_admin) ** (kinds.get("shared_admin", 0.0) / weights.shared_admin)
            if weights.near_duplicate_icon > 0:
                miss *= (1 - policy.near_duplicate_icon) ** (
                    kinds.get("near_duplicate_icon", 0.0) / weights.near_duplicate_icon)
            if i_posted:
                miss *= 1 - policy.posted_by_it * min(1.0, policy.posting_volume / max(out[me], 1))
            strong_miss[me] *= miss
            if they_posted:
                inbound_miss[me] *= 1 - policy.posted_to_it
    for before, after in successions:
        if (after, before) in counts:
            strong_miss[after] *= 1 - policy.successor
    return [1 - strong_miss[i] * (1 - min(policy.inbound_max, 1 - inbound_miss[i])) for i in range(n)]


class TieIndex:
    """The ties of chosen groups, for reasons: built once per scan (a CSR of edge ids per group), read only
    for the groups whose graph evidence is explained."""

    def __init__(self, projection: Projection, ties: TieStrengths, policy: TiePolicy) -> None:
        self.projection, self.ties, self.policy = projection, ties, policy
        self._incidence = None  # built on the first question: most groups of a big platform need no reasons
        self.respawns: dict[int, list[int]] = {}
        for after, before in zip(ties.extra[0].tolist(), ties.extra[1].tolist(), strict=True):
            self.respawns.setdefault(after, []).append(before)

    def incidence(self):
        if self._incidence is None:
            p = self.projection
            n, ids = len(p.groups), np.arange(1, p.edges + 1, dtype=np.int64)
            self._incidence = coo_matrix((np.concatenate([ids, ids]), (np.concatenate([p.src, p.dst]),
                                                                       np.concatenate([p.dst, p.src]))),
                                         shape=(n, n)).tocsr()
        return self._incidence

    def of(self, i: int, counted) -> list[Tie]:
        """Group i's ties to the groups ``counted(j)`` says are in its harmful network, strongest first."""
        p, t, policy = self.projection, self.ties, self.policy
        incidence = self.incidence()
        row = slice(incidence.indptr[i], incidence.indptr[i + 1])
        found: list[Tie] = []
        for j, edge in zip(incidence.indices[row].tolist(), (incidence.data[row] - 1).tolist(), strict=True):
            if not counted(j):
                continue
            mine, theirs = (0, 1) if p.src[edge] == i else (1, 0)
            posted = p.posted[edge] if len(p.posted) else (0.0, 0.0)
            if posted[mine] > 0:
                volume = min(1.0, policy.posting_volume / max(int(p.out_links[i]), 1))
                found.append(Tie("links_to", "outbound", j, policy.posted_by_it * volume))
            if posted[theirs] > 0:
                found.append(Tie("links_to", "inbound", j, policy.posted_to_it))
            if t.admin[edge] > 0:
                found.append(Tie("shared_admin", "shared", j, float(t.admin[edge])))
            if t.icon[edge] > 0:
                found.append(Tie("near_duplicate_icon", "shared", j, float(t.icon[edge])))
        for j in self.respawns.get(i, ()):
            if counted(j):
                found.append(Tie("successor_of", "respawn", j, policy.successor))
        return sorted(found, key=lambda tie: (-tie.strength, tie.kind, tie.other))


@dataclass(frozen=True)
class NetworkSupport:
    ties: TieStrengths
    support: np.ndarray  # per group, its ties into its harmful network (noisy-OR, inbound capped)
    harmful: np.ndarray  # per group: a seed that is part of a network (two seeds' worth together)
    seed_neighbours: np.ndarray  # per group: the seeds' worth it is tied to directly
    # Which ties count (into the harmful network): per edge for its src / its dst, per respawn for the successor.
    counts_src: np.ndarray
    counts_dst: np.ndarray
    counts_extra: np.ndarray


@dataclass(frozen=True)
class CategorySupport:
    """One category's view of a group's ties: ``support``, the noisy-OR of its counted ties to groups that carry
    evidence of the category themselves (``own_min``) or a marker read as it (``marked``), and ``strongest``, the
    strongest own evidence among the groups with evidence."""

    support: np.ndarray
    strongest: np.ndarray
    # ``support`` counting only groups with evidence of the category of their own, not ``marked`` ones: what
    # category context reads, so that a marker (an explicit icon) is never read through another marker.
    context: np.ndarray


def category_support(projection: Projection, network: NetworkSupport, own: np.ndarray,
                     policy: TiePolicy, marked: np.ndarray | None = None) -> CategorySupport:
    """Ties into the harmful network that lead to groups with evidence of one category of their own (``own``:
    per group, its direct evidence of the category).

    Why per category: a network's risk is carried by the groups with evidence, not by every group it happens to
    contain. A school's thirty cross-linked groups, one of which has a description the text model misreads, are
    not thirty child-safety groups; a scam ring that Leiden put in one community with a solicitation star
    inherits scam from the scam groups it is tied to, not child_safety from a chain two hops away; a fraud-alert
    group that posts scam links to warn people is tied to scam groups, not to the chain beside them. Inheritance
    of category c follows ties to c-evidence only (measured on a blind world: thirty school groups flagged P0
    child_safety through one misread member before).

    ``marked``: groups that count as carrying the category although their own score of it is low, because they
    carry a marker that network context reads as it (``fusion.category_context``: an explicit icon in a
    child-safety network). Their ``own`` value still goes into ``strongest``, so a marker never lends strength."""
    src, dst = projection.src, projection.dst
    after, before = network.ties.extra[0], network.ties.extra[1]

    def through(has: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        counts_src = network.counts_src & has[dst]
        counts_dst = network.counts_dst & has[src]
        counts_extra = network.counts_extra & has[before] if len(before) else network.counts_extra
        return counts_src, counts_dst, counts_extra

    own_has = own >= policy.own_min
    counts_src, counts_dst, counts_extra = through(own_has)
    context = support(projection, network.ties, counts_src, counts_dst, counts_extra, policy)
    strongest = np.zeros(len(projection.groups))
    np.maximum.at(strongest, src[counts_src], own[dst[counts_src]])
    np.maximum.at(strongest, dst[counts_dst], own[src[counts_dst]])
    if len(before):
        np.maximum.at(strongest, after[counts_extra], own[before[counts_extra]])
    if marked is None or not marked.any():
        return CategorySupport(context, strongest, context)
    value = support(projection, network.ties, *through(own_has | marked), policy)
    return CategorySupport(value, strongest, context)


def network_support(projection: Projection, membership: np.ndarray, communities: int, worth: np.ndarray,
                    respawns: Sequence[tuple[int, int]], weights: EdgeWeights, policy: TiePolicy,
                    evidenced: np.ndarray | None = None) -> NetworkSupport:
    """Each group's support from its harmful network. ``membership``: community number per group (-1: not
    scored); ``worth``: how many independent seeds each group is (0: no seed, 1: its own signals, 2: a
    moderator's decision or a hash-list hit); ``respawns``: (predecessor, successor) index pairs;
    ``evidenced``: groups with evidence of their own (``own_min``), seeds or not.

    A group's harmful network is its own community when that holds two seeds' worth, or a seed and another
    group with evidence of its own; and the seeds it is tied to when they are two seeds' worth together or sit
    in such a community. So one group turning abusive (a sudden rename) makes itself a case, not its old
    friends', whose ties were made before it turned. A respawn counts on its own: the successor of a seed is a
    member whatever else it has."""
    n = len(projection.groups)
    seed = worth > 0
    ties = tie_strengths(projection, weights, policy, respawns)
    scored = membership >= 0
    in_community = np.bincount(membership[scored], worth[scored], minlength=communities + 1)
    evidenced = seed if evidenced is None else (evidenced | seed)
    with_evidence = np.bincount(membership[scored], evidenced[scored], minlength=communities + 1)
    corroborated = (in_community >= 2) | ((in_community >= 1) & (with_evidence >= 2))
    harmful_community = np.where(scored, corroborated[membership], False)
    src, dst = projection.src, projection.dst
    seed_neighbours = np.bincount(src, worth[dst], minlength=n) + np.bincount(dst, worth[src], minlength=n)
    same = (membership[src] == membership[dst]) & harmful_community[src]
    counts_src = same | (seed[dst] & (harmful_community[dst] | (seed_neighbours[src] >= 2)))
    counts_dst = same | (seed[src] & (harmful_community[src] | (seed_neighbours[dst] >= 2)))
    after, before = ties.extra[0], ties.extra[1]
    counts_extra = ((membership[after] == membership[before]) & harmful_community[after]) | seed[before]
    value = support(projection, ties, counts_src, counts_dst, counts_extra, policy)
    return NetworkSupport(ties, value, seed & (harmful_community | (seed_neighbours >= 2)), seed_neighbours,
                          counts_src, counts_dst, counts_extra)
