"""Build the typed graph (groups, admins, icons, invite links) and its weighted group-to-group projection.

The typed networkx graph is what people look at (case view, GraphML in evidence bundles): every edge has a kind
and first/last seen. Clustering and propagation run on the projection, a plain weighted graph over groups held
as integer arrays, so that a fast backend can take it without a networkx object in the way.

Projection weights are normalised per hub: an admin of k groups adds w/(k-1) to each pair it joins, so one admin
of 40 groups weighs like one link per group, not 780 links; admins and icon families above a cap are platform
bots or default icons, and add nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from scanner.graph.groups import GroupState, keys_of, link_owners
from scanner.graph.icons import near_duplicate_hash_pairs
from scanner.images.hashbank import near_duplicate_pairs
from scanner.policy import GraphPolicy
from scanner.schema import utc_iso

EDGE_KINDS = ("links_to", "shared_admin", "near_duplicate_icon")


def group_node(group_id: str) -> str:
    return f"group:{group_id}"


KIND_INDEX = {kind: i for i, kind in enumerate(EDGE_KINDS)}
_EMPTY_INT = np.zeros(0, dtype=np.int64)


@dataclass
class Projection:
    """Weighted undirected group graph as arrays: ``groups[i]`` is node i; edge e joins ``src[e] < dst[e]``
    with total ``weight[e]`` and per-kind weights ``by_kind[e]`` (columns in ``EDGE_KINDS`` order). Edges are
    sorted by (src, dst) and unique.

    Arrays, not a dict of pairs: at a million groups and three million edges a Python dict cost 20 s to build and
    a gigabyte to hold (measured, bench/scale.py); numpy coalescing does it in about a second. ``weights`` and
    ``kinds`` give the dict view that small callers and tests read."""

    groups: list[str]
    src: np.ndarray = field(default_factory=lambda: _EMPTY_INT.copy())
    dst: np.ndarray = field(default_factory=lambda: _EMPTY_INT.copy())
    weight: np.ndarray = field(default_factory=lambda: np.zeros(0))
    by_kind: np.ndarray = field(default_factory=lambda: np.zeros((0, len(EDGE_KINDS))))
    hubs: list[str] = field(default_factory=list)
    # Direction of the posted links on edge e: ``posted[e, 0]`` links src posted to dst, ``posted[e, 1]`` links
    # dst posted to src; ``out_links[i]``: how many links group i posted that resolve to a group.
    posted: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    out_links: np.ndarray = field(default_factory=lambda: _EMPTY_INT.copy())
    # How much a link posted *to* a group carries towards it in the walk, against one it posted (1: undirected).
    inbound: float = 1.0
    # The CSR matrix, built once: the scan asks for it per category (PageRank) and for components.
    _adjacency: object = field(default=None, repr=False, compare=False)
    _components: np.ndarray | None = field(default=None, repr=False, compare=False)
    _walk: object = field(default=None, repr=False, compare=False)

    @classmethod
    def from_edges(cls, groups: list[str], parts: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
                   hubs: Sequence[str] = ()) -> Projection:
        """Coalesce edge lists ``(kind, a, b, weight)`` (any direction, repeats summed, self-loops and
        non-positive weights dropped) into a projection."""
        n = len(groups)
        pieces = [(KIND_INDEX[kind], np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64),
                   np.broadcast_to(np.asarray(w, dtype=float), np.shape(a))) for kind, a, b, w in parts]
        pieces = [p for p in pieces if len(p[1])]
        if not pieces:
            return cls(list(groups), hubs=list(hubs), out_links=np.zeros(n, dtype=np.int64))
        kind = np.concatenate([np.full(len(a), k, dtype=np.int8) for k, a, _, _ in pieces])
        a = np.concatenate([p[1] for p in pieces])
        b = np.concatenate([p[2] for p in pieces])
        w = np.concatenate([p[3] for p in pieces])
        keep = (a != b) & (w > 0)
        kind, a, b, w = kind[keep], a[keep], b[keep], w[keep]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keys, inverse = np.unique(lo * n + hi, return_inverse=True)
        by_kind = np.zeros((len(keys), len(EDGE_KINDS)))
        for k in range(len(EDGE_KINDS)):
            mask = kind == k
            if mask.any():
                by_kind[:, k] = np.bincount(inverse[mask], weights=w[mask], minlength=len(keys))
        links = kind == KIND_INDEX["links_to"]
        forward = links & (a < b)
        backward = links & (a > b)
        posted = np.column_stack([np.bincount(inverse[forward], minlength=len(keys)),
                                  np.bincount(inverse[backward], minlength=len(keys))]).astype(float)
        out_links = np.bincount(a[links], minlength=n).astype(np.int64)
        return cls(list(groups), keys // n, keys % n, by_kind.sum(axis=1), by_kind, list(hubs), posted, out_links)

    @property
    def edges(self) -> int:
        return len(self.src)

    @property
    def weights(self) -> dict[tuple[int, int], float]:
        """(i, j) -> total weight, i < j: a dict view for small graphs (tests, the networkx twin)."""
        return {(int(i), int(j)): float(w) for i, j, w in zip(self.src, self.dst, self.weight, strict=True)}

    @property
    def kinds(self) -> dict[tuple[int, int], dict[str, float]]:
        """(i, j) -> {kind: weight} for the kinds present on that edge."""
        return {(int(i), int(j)): {EDGE_KINDS[k]: float(row[k]) for k in np.flatnonzero(row)}
                for i, j, row in zip(self.src, self.dst, self.by_kind, strict=True)}

    def edge_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.src, self.dst, self.weight

    def adjacency(self):
        if self._adjacency is None:
            n = len(self.groups)
            matrix = coo_matrix((np.concatenate([self.weight, self.weight]),
                                 (np.concatenate([self.src, self.dst]), np.concatenate([self.dst, self.src]))),
                                shape=(n, n))
            self._adjacency = matrix.tocsr()
        return self._adjacency

    def walk(self):
        """The directed matrix risk walks on: ``walk[j, i]`` is how much the tie between j and i says about i.
        Admins and icons count both ways; a link posted by i to j counts fully towards i (i chose to post it),
        a link j posted to i only ``inbound`` of that (anyone can post anyone's link: link-spam must not make
        a popular group look like its spammers). Both directions stay positive, so components are the same."""
        if self.inbound == 1.0:
            return self.adjacency()
        if self._walk is None:
            n = len(self.groups)
            link = self.by_kind[:, KIND_INDEX["links_to"]]
            count = self.posted.sum(axis=1)
            unit = np.divide(link, count, out=np.zeros_like(link), where=count > 0)  # weight of one posted link
            base = self.weight - link
            # About dst: dst posted src's link (its own act) in full, src posted dst's link at ``inbound``.
            to_dst = base + unit * (self.posted[:, 1] + self.inbound * self.posted[:, 0])
            to_src = base + unit * (self.posted[:, 0] + self.inbound * self.posted[:, 1])
            matrix = coo_matrix((np.concatenate([to_dst, to_src]),
                                 (np.concatenate([self.src, self.dst]), np.concatenate([self.dst, self.src]))),
                                shape=(n, n))
            self._walk = matrix.tocsr()
        return self._walk

    def components(self) -> np.ndarray:
        """Connected-component label per group (scipy: 0.02 s at 100k groups, measured)."""
        if not self.groups:
            return np.zeros(0, dtype=np.int64)
        if self._components is None:
            # The walk has the adjacency's edges (both directions positive): one matrix built per scan, not two.
            self._components = connected_components(self.walk(), directed=False)[1]
        return self._components


def clique_edges(members: Sequence[Sequence[int]], weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair inside each member list, each pair weighing ``weight / (k - 1)`` for a list of k: one admin
    of k groups adds as much to each group as one link would. Vectorised per list size, since a million
    groups have hundreds of thousands of small admin cliques."""
    by_size: dict[int, list[Sequence[int]]] = defaultdict(list)
    for group in members:
        if len(group) >= 2:
            by_size[len(group)].append(group)
    a_parts, b_parts, w_parts = [], [], []
    for k, lists in sorted(by_size.items()):
        matrix = np.asarray(lists, dtype=np.int64)
        iu, ju = np.triu_indices(k, 1)
        a_parts.append(matrix[:, iu].ravel())
        b_parts.append(matrix[:, ju].ravel())
        w_parts.append(np.full(len(lists) * len(iu), weight / (k - 1)))
    if not a_parts:
        return _EMPTY_INT, _EMPTY_INT, np.zeros(0)
    return np.concatenate(a_parts), np.concatenate(b_parts), np.concatenate(w_parts)


def icon_families(pdq_by_group: Mapping[str, str], radius: int,
                  variants: Mapping[str, Sequence[str]] | None = None,
                  pairs: Sequence[tuple[str, str]] | None = None) -> dict[str, int]:
    """Group id -> icon family id, where a family is a connected set of near-duplicate icons (identical
    included), named by its smallest hash so that a family keeps its id whatever icons other groups have.
    Groups without a hash have no family. ``pairs``: the near-duplicate hash pairs when already known (an
    incremental scan, ``scanner.graph.icons``); otherwise they are searched here, the same way."""
    hashes = sorted(set(pdq_by_group.values()))
    position = {h: i for i, h in enumerate(hashes)}
    if pairs is None:
        pairs = sorted(near_duplicate_hash_pairs(hashes, radius, variants))
    known = [(position[x], position[y]) for x, y in pairs if x in position and y in position]
    a = np.fromiter((i for i, _ in known), dtype=np.int64, count=len(known))
    b = np.fromiter((j for _, j in known), dtype=np.int64, count=len(known))
    n = len(hashes)
    if n == 0:
        return {}
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    labels = connected_components(graph, directed=False)[1]
    # A family is named by its smallest hash: its first 60 bits (15 hex digits). Not by a position among all
    # hashes, which one new icon anywhere would shift for every family after it.
    first = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n))
    names = [int(h[:15], 16) if len(h) >= 15 else i for i, h in enumerate(hashes)]
    return {g: names[int(first[labels[position[h]]])] for g, h in pdq_by_group.items()}


def project(
    states: Mapping[str, GroupState], pdq_by_group: Mapping[str, str], policy: GraphPolicy,
    variants: Mapping[str, Sequence[str]] | None = None,
    icon_pairs: Sequence[tuple[str, str]] | None = None,
    owners: Mapping[str, str] | None = None,
) -> tuple[Projection, dict[str, int]]:
    """The weighted group projection, and the icon family of each group that has an icon hash. ``owners``:
    ``link_owners(states)`` when the caller has it already."""
    groups = list(states)
    index = {g: i for i, g in enumerate(groups)}
    weights = policy.edge_weights
    hubs: list[str] = []

    # Graph keys only: a packed state table (a scoped rescan) has them without unpickling the states.
    keys = keys_of(states)
    owner = owners if owners is not None else link_owners(states, keys)
    link_a: list[int] = []
    link_b: list[int] = []
    by_admin: dict[str, list[int]] = defaultdict(list)
    for position, (admins, _, posted) in enumerate(keys.values()):
        for canonical in posted:
            target = owner.get(canonical)
            if target is not None:
                link_a.append(position)
                link_b.append(index[target])
        for admin in admins:
            by_admin[admin].append(position)
    # In the order the groups come (deterministic, the same in a full and a scoped scan), not sorted: sorting a
    # million admins took a second per scan. Hubs are listed sorted.
    admin_cliques = []
    for admin, members in by_admin.items():
        if len(members) > policy.max_groups_per_admin:
            hubs.append(f"admin {admin} ({len(members)} groups)")
        elif len(members) > 1:
            admin_cliques.append(members)

    families = icon_families(pdq_by_group, policy.near_duplicate_radius, variants, icon_pairs)
    by_family: dict[int, list[int]] = defaultdict(list)
    for gid, family in families.items():
        by_family[family].append(index[gid])
    icon_cliques = []
    for family, members in by_family.items():
        if len(members) > policy.max_groups_per_icon:
            hubs.append(f"icon family {family} ({len(members)} groups)")
        elif len(members) > 1:
            icon_cliques.append(members)
    hubs.sort()
    projection = Projection.from_edges(groups, [
        ("links_to", np.array(link_a, dtype=np.int64), np.array(link_b, dtype=np.int64),
         np.full(len(link_a), weights.links_to)),
        ("shared_admin", *clique_edges(admin_cliques, weights.shared_admin)),
        ("near_duplicate_icon", *clique_edges(icon_cliques, weights.near_duplicate_icon)),
    ], hubs)
    ties = policy.ties
    projection.inbound = ties.posted_to_it / ties.posted_by_it if ties.posted_by_it > 0 else 1.0
    return projection, families


def typed_graph(
    states: Mapping[str, GroupState], pdq_by_group: Mapping[str, str], radius: int,
    variants: Mapping[str, Sequence[str]] | None = None,
) -> nx.MultiDiGraph:
    """The typed graph for people and exports: nodes ``group:``, ``admin:``, ``icon:``, ``link:``; edges
    ``links_to`` (group -> group, or group -> link when no known group owns it), ``owns_link``, ``admin_of``,
    ``uses_icon`` and ``near_duplicate_icon``, each with first_seen/last_seen where known."""
    graph = nx.MultiDiGraph()
    owner = link_owners(states)
    for gid, state in states.items():
        snap = state.latest
        graph.add_node(group_node(gid), kind="group", name=snap.name, platform=snap.platform)
        for canonical in state.own_links:
            graph.add_node(f"link:{canonical}", kind="invite_link")
            graph.add_edge(group_node(gid), f"link:{canonical}", kind="owns_link")
        for admin, seen in state.admins.items():
            graph.add_node(f"admin:{admin}", kind="admin")
            graph.add_edge(f"admin:{admin}", group_node(gid), kind="admin_of",
                           first_seen=utc_iso(seen.first), last_seen=utc_iso(seen.last))
        if gid in pdq_by_group:
            graph.add_node(f"icon:{pdq_by_group[gid]}", kind="icon")
            graph.add_edge(group_node(gid), f"icon:{pdq_by_group[gid]}", kind="uses_icon",
                           first_seen=utc_iso(state.first_seen or snap.observed_at),
                           last_seen=utc_iso(snap.observed_at))
    for gid, state in states.items():
        for canonical, (_, seen) in state.posted_links.items():
            target = group_node(owner[canonical]) if canonical in owner else f"link:{canonical}"
            graph.add_node(target, **({} if canonical in owner else {"kind": "invite_link"}))
            graph.add_edge(group_node(gid), target, kind="links_to",
                           first_seen=utc_iso(seen.first), last_seen=utc_iso(seen.last))
    hashes = sorted(set(pdq_by_group.values()))
    for i, j, distance in near_duplicate_pairs(hashes, radius, variants):
        graph.add_edge(f"icon:{hashes[i]}", f"icon:{hashes[j]}", kind="near_duplicate_icon", distance=distance)
    return graph
