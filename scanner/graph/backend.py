"""The graph backend seam: components, communities and personalized rank over a ``Projection``.

``FastBackend`` (scipy + igraph) is what scans use, at every size: measured in bench/scale.py it is
faster than networkx already at a few hundred groups, so there is no size threshold to switch at. Components and
personalized PageRank are scipy sparse matrices (PageRank solved per component, on the seeds' components only);
communities are Leiden CPM per component. Every result of a component depends on that component alone, so a
rescan can recompute the components that changed and keep the rest (``scanner.engine.scope``). ``NetworkxBackend`` is
the slow, obviously-correct twin for tests and the bench's baseline, as python-threatexchange pairs every fast
index with a brute-force one. networkx 3.6.1 (the newest on Python 3.11) has no Leiden, so the twin borrows the
fast communities and checks the rest.
"""

from __future__ import annotations

from typing import Protocol

import networkx as nx
import numpy as np

from scanner.graph.build import Projection
from scanner.graph.cluster import communities as leiden_cpm
from scanner.graph.propagate import component_pagerank


class GraphBackend(Protocol):
    name: str

    def components(self, projection: Projection) -> np.ndarray:
        """A component label per group; labels are 0..k-1."""
        ...

    def communities(self, projection: Projection, resolution: float, seed: int,
                    only: np.ndarray | None = None) -> list[list[int]]:
        """Communities as sorted index lists, ordered by smallest member; isolated groups are singletons.
        ``only``: a mask of groups whose components alone are partitioned and returned."""
        ...

    def personalized_rank(self, projection: Projection, personalization: np.ndarray, restart: float,
                          max_iter: int) -> np.ndarray:
        """Per component that holds seed mass: the stationary distribution of its own walk, restarting at its
        seeds (normalised to sum 1 within the component) with probability ``restart``; zero elsewhere."""
        ...


class FastBackend:
    name = "scipy+igraph"

    def components(self, projection: Projection) -> np.ndarray:
        return projection.components()

    def communities(self, projection: Projection, resolution: float, seed: int,
                    only: np.ndarray | None = None) -> list[list[int]]:
        return leiden_cpm(projection, resolution, seed, only)

    def personalized_rank(self, projection: Projection, personalization: np.ndarray, restart: float,
                          max_iter: int) -> np.ndarray:
        """Solved on the seeds' components only (the rest is exactly zero): a few rings among a million groups
        cost what the rings cost."""
        return component_pagerank(projection.walk(), personalization, projection.components(), restart,
                                  max_iter)


class NetworkxBackend:
    name = "networkx"

    @staticmethod
    def graph(projection: Projection) -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(range(len(projection.groups)))
        graph.add_weighted_edges_from((i, j, w) for (i, j), w in projection.weights.items())
        return graph

    @staticmethod
    def walk_graph(projection: Projection) -> nx.DiGraph:
        """The directed walk edge by edge, written out plainly: an arc j -> i weighs what the tie says about i.
        Admin and icon weight count both ways; each link a group posted counts fully towards the poster and
        ``inbound`` of that towards the group whose link was posted."""
        graph = nx.DiGraph()
        graph.add_nodes_from(range(len(projection.groups)))
        for e, (i, j) in enumerate(zip(projection.src.tolist(), projection.dst.tolist(), strict=True)):
            kinds = projection.by_kind[e]
            i_posted, j_posted = projection.posted[e]
            links = i_posted + j_posted
            per_link = kinds[0] / links if links else 0.0
            shared = float(kinds[1] + kinds[2])
            graph.add_edge(j, i, weight=shared + per_link * (i_posted + projection.inbound * j_posted))
            graph.add_edge(i, j, weight=shared + per_link * (j_posted + projection.inbound * i_posted))
        return graph

    def components(self, projection: Projection) -> np.ndarray:
        labels = np.zeros(len(projection.groups), dtype=np.int64)
        parts = sorted((sorted(c) for c in nx.connected_components(self.graph(projection))), key=lambda c: c[0])
        for label, members in enumerate(parts):
            labels[members] = label
        return labels

    def communities(self, projection: Projection, resolution: float, seed: int,
                    only: np.ndarray | None = None) -> list[list[int]]:
        return leiden_cpm(projection, resolution, seed, only)

    def personalized_rank(self, projection: Projection, personalization: np.ndarray, restart: float,
                          max_iter: int) -> np.ndarray:
        rank = np.zeros(len(personalization))
        graph = self.graph(projection)
        walk = self.walk_graph(projection)
        for component in nx.connected_components(graph):
            members = sorted(component)
            if personalization[members].sum() <= 0:
                continue
            weights = {i: float(personalization[i]) for i in members}
            # networkx stops at N x tol (DESIGN.md): a tolerance scaled by N keeps it exact at any size.
            found = nx.pagerank(walk.subgraph(members), alpha=1 - restart, personalization=weights,
                                dangling=weights, weight="weight", tol=1e-12 / len(members),
                                max_iter=max(max_iter, 1000))
            rank[members] = [found[i] for i in members]
        return rank
