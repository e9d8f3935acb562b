"""The graph backend seam: components, communities and personalized rank over a ``Projection``.

``FastBackend`` (scipy + igraph) is what scans use, at every size: measured in bench/scale.py it is
faster than networkx already at a few hundred groups, so there is no size threshold to switch at. Components and
personalized PageRank are scipy sparse matrices (PageRank solved on the seeds' components only); communities are
Leiden CPM on the groups that have an edge. ``NetworkxBackend`` is the slow, obviously-correct twin for tests and
the bench's baseline, as python-threatexchange pairs every fast index with a brute-force one. networkx 3.6.1 (the
newest on Python 3.11) has no Leiden, so the twin borrows the fast communities and checks the rest.
"""

from __future__ import annotations

from typing import Protocol

import networkx as nx
import numpy as np

from scanner.graph.build import Projection
from scanner.graph.cluster import communities as leiden_cpm
from scanner.graph.propagate import personalized_pagerank


class GraphBackend(Protocol):
    name: str

    def components(self, projection: Projection) -> np.ndarray:
        """A component label per group; labels are 0..k-1."""
        ...

    def communities(self, projection: Projection, resolution: float, seed: int) -> list[list[int]]:
        """Communities as sorted index lists, ordered by smallest member; isolated groups are singletons."""
        ...

    def personalized_rank(self, projection: Projection, personalization: np.ndarray, restart: float,
                          max_iter: int) -> np.ndarray:
        """Stationary distribution of the walk that restarts at ``personalization`` with probability ``restart``."""
        ...


class FastBackend:
    name = "scipy+igraph"

    def components(self, projection: Projection) -> np.ndarray:
        return projection.components()

    def communities(self, projection: Projection, resolution: float, seed: int) -> list[list[int]]:
        return leiden_cpm(projection, resolution, seed)

    def personalized_rank(self, projection: Projection, personalization: np.ndarray, restart: float,
                          max_iter: int) -> np.ndarray:
        """Solved on the seeds' components only (the rest is exactly zero): a few rings among a million groups
        cost what the rings cost."""
        rank = np.zeros(len(personalization))
        if personalization.sum() <= 0:
            return rank
        keep = projection.reaching(personalization)
        adjacency = projection.adjacency()[keep][:, keep]
        rank[keep] = personalized_pagerank(adjacency, personalization[keep], restart, max_iter)
        return rank


class NetworkxBackend:
    name = "networkx"

    @staticmethod
    def graph(projection: Projection) -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(range(len(projection.groups)))
        graph.add_weighted_edges_from((i, j, w) for (i, j), w in projection.weights.items())
        return graph

    def components(self, projection: Projection) -> np.ndarray:
        labels = np.zeros(len(projection.groups), dtype=np.int64)
        parts = sorted((sorted(c) for c in nx.connected_components(self.graph(projection))), key=lambda c: c[0])
        for label, members in enumerate(parts):
            labels[members] = label
        return labels

    def communities(self, projection: Projection, resolution: float, seed: int) -> list[list[int]]:
        return leiden_cpm(projection, resolution, seed)

    def personalized_rank(self, projection: Projection, personalization: np.ndarray, restart: float,
                          max_iter: int) -> np.ndarray:
        if personalization.sum() <= 0:
            return np.zeros(len(personalization))
        weights = {i: float(v) for i, v in enumerate(personalization)}
        # networkx stops at N x tol (DESIGN.md): a tolerance scaled by N keeps it exact at any size.
        rank = nx.pagerank(self.graph(projection), alpha=1 - restart, personalization=weights, dangling=weights,
                           weight="weight", tol=1e-12 / max(len(weights), 1), max_iter=max(max_iter, 1000))
        return np.array([rank[i] for i in range(len(weights))])
