"""Tiling for the scale benchmark (``bench/scale.py``, ``bench/tile_data.py``): copies of a generated world whose
ids, invite links and icon hashes are disjoint from the other copies, so that K copies are K times the graph."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from scanner.graph.build import Projection
from scanner.graph.groups import GroupState

TILE = "~copy"


# ------------------------------------------------------------------------------------------------- tiling
def copy_id(value: str, k: int) -> str:
    return value if k == 0 else f"{value}{TILE}{k}"


def mask_pdq(pdq: str, mask: int) -> str:
    return f"{int(pdq, 16) ^ mask:064x}" if mask else pdq


def tile_states(states: Mapping[str, GroupState], pdq_by_group: Mapping[str, str],
                variants: Mapping[str, Sequence[str]], copies: int, seed: int
                ) -> tuple[dict[str, GroupState], dict[str, str], dict[str, tuple[str, ...]]]:
    """``copies`` disjoint copies of the folded groups, for ``project()`` at the tiled size."""
    tiled: dict[str, GroupState] = {}
    tiled_pdq: dict[str, str] = {}
    tiled_variants: dict[str, tuple[str, ...]] = {}
    for k in range(copies):
        mask = 0 if k == 0 else int.from_bytes(np.random.default_rng([seed, k]).bytes(32), "big")
        for gid, state in states.items():
            new = copy_id(gid, k)
            tiled[new] = GroupState(
                new, state.latest, state.snapshots, state.first_seen,
                admins={copy_id(a, k): s for a, s in state.admins.items()},
                own_links={copy_id(c, k): link for c, link in state.own_links.items()},
                posted_links={copy_id(c, k): item for c, item in state.posted_links.items()},
                names=state.names,
            )
            if gid in pdq_by_group:
                tiled_pdq[new] = mask_pdq(pdq_by_group[gid], mask)
        for pdq, found in variants.items():
            tiled_variants[mask_pdq(pdq, mask)] = tuple(mask_pdq(v, mask) for v in found)
    return tiled, tiled_pdq, tiled_variants


def tile_projection(base: Projection, copies: int) -> Projection:
    """What ``project()`` gives for the tiled groups: the base projection repeated block-diagonally."""
    n = len(base.groups)
    shifts = np.repeat(np.arange(copies, dtype=np.int64) * n, base.edges)
    return Projection([copy_id(g, k) for k in range(copies) for g in base.groups],
                      np.tile(base.src, copies) + shifts, np.tile(base.dst, copies) + shifts,
                      np.tile(base.weight, copies), np.tile(base.by_kind, (copies, 1)),
                      [f"{hub} (copy {k})" for k in range(copies) for hub in base.hubs],
                      np.tile(base.posted, (copies, 1)), np.tile(base.out_links, copies), base.inbound)


def tile_icon_pairs(pairs: set[tuple[str, str]], copies: int, seed: int) -> set[tuple[str, str]]:
    """The near-duplicate pairs of the tiled icons (each copy's hashes are XOR-masked, distances kept)."""
    tiled: set[tuple[str, str]] = set()
    for k in range(copies):
        mask = 0 if k == 0 else int.from_bytes(np.random.default_rng([seed, k]).bytes(32), "big")
        for a, b in pairs:
            x, y = mask_pdq(a, mask), mask_pdq(b, mask)
            tiled.add((x, y) if x < y else (y, x))
    return tiled
