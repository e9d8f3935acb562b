"""Community detection on the group projection: Leiden with the Constant Potts Model (CPM).

Why CPM and not modularity: measured here on planted invite rings among 100k and 1M groups, modularity (Louvain
or Leiden alike) merged small rings into their surroundings (F1 0.40 at 100k, 0.10 at 1M), while CPM at
resolution 0.02-0.05 recovered them (F1 0.97-0.98). CPM keeps a community only while its internal edge weight
beats ``resolution`` per pair of members, which is what a ring of cross-posting groups looks like and a link
directory's star does not.

igraph's own C implementation (``Graph.community_leiden``), not the leidenalg package: on the sample's projection
tiled to 100k groups (37k with an edge) it found a partition of the same CPM quality (74,395 against 74,392) in
1.6 s instead of 21 s.
"""

from __future__ import annotations

import random
import threading

import igraph as ig
import numpy as np

from scanner.graph.build import Projection

_SEEDED = threading.Lock()


def communities(projection: Projection, resolution: float, seed: int,
                only: np.ndarray | None = None) -> list[list[int]]:
    """Communities as sorted lists of node indices, ordered by their smallest member; isolated groups are
    communities of one. ``only``: a boolean mask of groups; then only the components of those groups are
    partitioned and returned (an incremental rescan, ``scanner.engine.scope``).

    Leiden runs per connected component, each with the same seed and its nodes and edges in index order, so a
    component's partition depends on that component alone: a change in one network cannot reshuffle another
    (cases keep their members and ids), and a rescan that re-partitions only the changed components gets exactly
    what a full scan would. A component of two groups is one community when its edge weighs more than
    ``resolution`` (what CPM decides for a pair), without igraph; a group with no edge is its own community
    (joining it to any community costs ``resolution`` per member and gains nothing). Most groups of a big
    platform have no edge and most components are pairs, so igraph sees only the rest."""
    n = len(projection.groups)
    if n == 0:
        return []
    src, dst, weight = projection.edge_arrays()
    component = projection.components()
    wanted = np.ones(n, dtype=bool) if only is None else np.isin(component, np.unique(component[only]))
    label = np.arange(n, dtype=np.int64)  # a community is labelled by its smallest member
    if len(src):
        edges = np.flatnonzero(wanted[src])
        edges = edges[np.argsort(component[src[edges]], kind="stable")]
        edge_bounds = np.flatnonzero(np.diff(component[src[edges]])) + 1
        for part in np.split(edges, edge_bounds) if len(edges) else ():
            a, b, w = src[part], dst[part], weight[part]
            if len(part) == 1:
                if w[0] > resolution:
                    label[b[0]] = a[0]
                continue
            nodes = np.unique(np.concatenate([a, b]))
            membership = _leiden(len(nodes), np.searchsorted(nodes, a), np.searchsorted(nodes, b), w,
                                 resolution, seed)
            smallest = np.full(membership.max() + 1, n, dtype=np.int64)
            np.minimum.at(smallest, membership, nodes)
            label[nodes] = smallest[membership]
    # Grouped with numpy, not Python loops: a million groups make 800,000 communities.
    keep = np.flatnonzero(wanted)
    if not len(keep):
        return []
    order = keep[np.argsort(label[keep], kind="stable")]
    bounds = [0, *(np.flatnonzero(np.diff(label[order])) + 1).tolist(), len(order)]
    flat = order.tolist()
    return [flat[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]


def _leiden(n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray, resolution: float, seed: int) -> np.ndarray:
    graph = ig.Graph(n=n, edges=np.column_stack([a, b]).tolist(), directed=False)
    with _SEEDED:  # igraph draws from one process-wide generator: seed it for this call only
        ig.set_random_number_generator(random.Random(seed))
        try:
            clustering = graph.community_leiden(objective_function="CPM", weights=weight.tolist(),
                                                resolution=resolution, n_iterations=-1)
        finally:
            ig.set_random_number_generator(random)
    return np.asarray(clustering.membership, dtype=np.int64)
