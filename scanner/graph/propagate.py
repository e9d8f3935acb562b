"""Risk propagation: personalized PageRank from groups with strong direct evidence.

Seeds are groups whose direct risk in a category reaches ``seed_min_risk`` (hash-list hits, confirmed-violating
decisions, strong text), weighted by that risk. The walk restarts at the seeds, so mass collects where seeds are
densely connected: a ring member with an innocent name but links into the ring gets a high score.

Scores are degree-normalised with additive smoothing, rank / (weighted degree + mean degree), and divided by the
seeds' median. A random walk visits hubs often just because they are hubs: raw rank put a link directory that
posts into a ring at 0.91 of a seed. Dividing by degree alone over-rewards degree-1 groups hanging off that
directory (0.19 of a seed, for one hub edge). Smoothing by the mean degree keeps both down (directory 0.29,
its leaves 0.07) while ring members stay at 0.35 and above (measured on the planted world in
tests/test_graph.py). We solve with scipy to a tight tolerance: networkx's
default stops at N x tol and at 1M groups ranks no better than chance (measured, DESIGN.md).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix, diags


def personalized_pagerank(
    adjacency: csr_matrix, personalization: np.ndarray, restart: float, max_iter: int = 300, tol: float = 1e-12
) -> np.ndarray:
    """Stationary vector of the walk that follows edge weights and jumps back to ``personalization`` with
    probability ``restart``; dangling nodes jump back too. Returns zeros if there is no seed mass."""
    total = personalization.sum()
    n = adjacency.shape[0]
    if total <= 0 or n == 0:
        return np.zeros(n)
    s = personalization / total
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    inv = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    transition = (diags(inv) @ adjacency).T.tocsr()
    dangling = degree == 0
    rank = s.copy()
    for _ in range(max_iter):
        nxt = (1 - restart) * (transition @ rank + rank[dangling].sum() * s) + restart * s
        if np.abs(nxt - rank).sum() < tol:
            return nxt
        rank = nxt
    return rank


def proximity(
    adjacency: csr_matrix, direct: np.ndarray, seed_min_risk: float, restart: float, max_iter: int,
    rank_function=None,
) -> np.ndarray:
    """Graph proximity in 0..1 of every group to the seeds of one category (see module docstring).
    ``rank_function(personalization) -> rank`` lets a graph backend supply the PageRank."""
    seeds = np.where(direct >= seed_min_risk, direct, 0.0)
    if not seeds.any():
        return np.zeros(len(direct))
    rank_function = rank_function or (lambda s: personalized_pagerank(adjacency, s, restart, max_iter))
    rank = rank_function(seeds)
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    smoothing = degree[degree > 0].mean() if (degree > 0).any() else 1.0
    normalised = np.divide(rank, degree + smoothing, out=np.zeros_like(rank), where=degree > 0)
    reference = np.median(normalised[(seeds > 0) & (degree > 0)]) if ((seeds > 0) & (degree > 0)).any() else 0
    if reference <= 0:
        return np.zeros(len(direct))
    return np.clip(normalised / reference, 0.0, 1.0)
