"""Risk propagation: personalized PageRank from groups with strong direct evidence, one network at a time.

Seeds are groups whose direct risk in a category reaches ``seed_min_risk`` (hash-list hits, confirmed-violating
decisions, strong text), weighted by that risk. The walk restarts at the seeds, so mass collects where seeds are
densely connected: a ring member with an innocent name but links into the ring gets a high score.

Everything is computed per connected component, from that component alone: its walk restarts at its own seeds,
stops when its own change is below the tolerance, and is normalised against its own seeds. So a group's proximity
depends only on the network it belongs to: a new ring elsewhere cannot move it, and an incremental rescan can
recompute the components that changed and keep the others' scores exactly (``scanner.engine.scope``).

Scores are degree-normalised with additive smoothing, rank / (weighted degree + the component's mean degree), and
divided by the median of the component's seeds. A random walk visits hubs often just because they are hubs: raw
rank put a link directory that posts into a ring at 0.91 of a seed. Dividing by degree alone over-rewards degree-1
groups hanging off that directory (0.19 of a seed, for one hub edge). Smoothing by the mean degree keeps both down
while ring members stay close to their seeds (measured on the planted world in tests/test_graph.py). We solve with
scipy to a tight tolerance: networkx's default stops at N x tol and at 1M groups ranks no better than chance
(measured, DESIGN.md).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix, diags


def personalized_pagerank(
    adjacency: csr_matrix, personalization: np.ndarray, restart: float, max_iter: int = 300, tol: float = 1e-12
) -> np.ndarray:
    """Stationary vector of the walk that follows edge weights and jumps back to ``personalization`` with
    probability ``restart``; dangling nodes jump back too. Returns zeros if there is no seed mass. One walk over
    the whole graph: the reference the per-component solver is tested against."""
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


def component_pagerank(
    adjacency: csr_matrix, personalization: np.ndarray, labels: np.ndarray, restart: float, max_iter: int = 300,
    tol: float = 1e-12,
) -> np.ndarray:
    """Per connected component (``labels``) that holds seed mass: the stationary vector of that component's own
    walk, restarting at its seeds normalised to sum 1. Zero elsewhere.

    Solved for all components at once but as if each were alone: a component stops (keeps its values) as soon as
    its own change is below ``tol``, and a row of the sparse product reads only its own component's columns, in
    the same relative order whatever else is in the graph. So a component's figures are bit for bit the same
    in a full scan and in a rescan that solves only that component. A node without edges is its own component:
    its walk stays on it (rank 1 if it is a seed)."""
    n = adjacency.shape[0]
    rank = np.zeros(n)
    if n == 0 or personalization.sum() <= 0:
        return rank
    labels = np.asarray(labels)
    total = np.bincount(labels, personalization, minlength=labels.max() + 1)
    keep = np.flatnonzero(total[labels] > 0)
    local = labels[keep]
    sub = adjacency[keep][:, keep]
    s = personalization[keep] / total[local]
    degree = np.asarray(sub.sum(axis=1)).ravel()
    inv = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    transition = (diags(inv) @ sub).T.tocsr()
    # A dangling node (no edge) is a component of one: its walk jumps back to itself, rank 1 (its own seed).
    current = s.copy()
    final = np.zeros(len(keep))
    active = np.ones(len(keep), dtype=bool)
    _, local = np.unique(local, return_inverse=True)
    open_components = np.ones(local.max() + 1, dtype=bool)
    for _ in range(max_iter):
        nxt = (1 - restart) * (transition @ current) + restart * s
        nxt[degree == 0] = s[degree == 0]
        change = np.bincount(local[active], np.abs(nxt - current)[active], minlength=len(open_components))
        done = open_components & (change < tol)
        if done.any():
            stopping = active & done[local]
            final[stopping] = nxt[stopping]
            active &= ~stopping
            open_components &= ~done
        if not active.any():
            break
        current = np.where(active, nxt, current)
    final[active] = current[active]
    rank[keep] = final
    return rank


def proximity(
    adjacency: csr_matrix, direct: np.ndarray, seed_min_risk: float, restart: float, max_iter: int,
    labels: np.ndarray, rank_function=None,
) -> np.ndarray:
    """Graph proximity in 0..1 of every group to the seeds of one category in its own component (see module
    docstring). ``labels``: connected-component label per group. ``rank_function(personalization) -> rank``
    lets a graph backend supply the per-component PageRank."""
    seeds = np.where(direct >= seed_min_risk, direct, 0.0)
    n = len(direct)
    if not seeds.any():
        return np.zeros(n)
    rank_function = rank_function or (lambda s: component_pagerank(adjacency, s, labels, restart, max_iter))
    rank = rank_function(seeds)
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    labels = np.asarray(labels)
    count = np.bincount(labels, minlength=labels.max() + 1)
    smoothing = np.bincount(labels, degree, minlength=len(count)) / np.maximum(count, 1)
    normalised = np.divide(rank, degree + smoothing[labels], out=np.zeros(n), where=degree > 0)
    # The reference is the median normalised value of each component's seeds (those with an edge).
    seeded = np.flatnonzero((seeds > 0) & (degree > 0))
    reference = np.zeros(len(count))
    order = seeded[np.argsort(labels[seeded], kind="stable")]
    for part in np.split(order, np.flatnonzero(np.diff(labels[order])) + 1) if len(order) else ():
        reference[labels[part[0]]] = np.median(normalised[part])
    scale = reference[labels]
    return np.clip(np.divide(normalised, scale, out=np.zeros(n), where=scale > 0), 0.0, 1.0)
