"""Near-duplicate icon pairs, kept across scans so that a rescan searches only the icons it has not seen.

The exact search compares every icon (and its seven rotations and mirrors) with every other: quadratic, and the
slowest part of the graph stage at scale (22 s for the icons of 100,000 groups with faiss's flat index, measured
in bench/scale.py). Pairs are a function of the two hashes and the radius only, so pairs found once stay true.
A rescan adds the pairs that involve at least one new hash: new hashes (with their variants) against all, and the
known hashes' variants against the new ones, which finds exactly what a search of everything would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from scanner.images.hashbank import FaissIndex, expand_queries


def _pairs(queries: Sequence[str], owners: Sequence[str], index_hashes: Sequence[str],
           radius: int) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for q, j, _ in FaissIndex(list(index_hashes)).range_search(list(queries), radius):
        a, b = owners[q], index_hashes[j]
        if a != b:
            found.add((a, b) if a < b else (b, a))
    return found


def near_duplicate_hash_pairs(hashes: Iterable[str], radius: int,
                              variants: Mapping[str, Sequence[str]] | None = None,
                              known_hashes: Iterable[str] = (), known_pairs: Iterable[tuple[str, str]] = (),
                              ) -> set[tuple[str, str]]:
    """Pairs (a, b), a < b, of ``hashes`` within ``radius`` (a rotated or mirrored copy counts). ``known_pairs``
    are the pairs already found among ``known_hashes`` under the same radius; only pairs touching a hash outside
    ``known_hashes`` are searched."""
    current = sorted(set(hashes))
    known = set(known_hashes) & set(current)
    new = [h for h in current if h not in known]
    kept = {(a, b) for a, b in known_pairs if a in known and b in known}
    if not new:
        return kept
    queries, owner = expand_queries(new, variants)
    kept |= _pairs(queries, [new[i] for i in owner], current, radius)
    old = sorted(known)
    if old:
        queries, owner = expand_queries(old, variants)
        kept |= _pairs(queries, [old[i] for i in owner], new, radius)
    return kept
