"""Stable cluster ids: a moderator's case must keep its id when the data is re-scanned or grows a little.

A new community takes the id of the previous cluster it overlaps most (Jaccard >= ``min_jaccard``, each old id
used once, biggest overlaps first). A community with no such predecessor gets an id derived from its smallest
member, so two fresh databases built from the same data agree on ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Container, Mapping, Sequence


def fresh_id(members: Sequence[str]) -> str:
    return "c-" + hashlib.sha256(min(members).encode("utf-8")).hexdigest()[:10]


def assign_ids(
    communities: Sequence[Sequence[str]], previous: Mapping[str, frozenset[str]], min_jaccard: float = 0.5,
    taken: Container[str] = (),
) -> list[str]:
    """Ids for ``communities``. ``previous``: the earlier clusters they may inherit from; ``taken``: ids in use
    besides those (a scoped rescan passes only the clusters its groups were in, and every active id here)."""
    owner: dict[str, str] = {g: cid for cid, members in previous.items() for g in members}
    candidates = []
    for index, members in enumerate(communities):
        counts: dict[str, int] = {}
        for group in members:
            if group in owner:
                counts[owner[group]] = counts.get(owner[group], 0) + 1
        for cid, overlap in counts.items():
            jaccard = overlap / (len(members) + len(previous[cid]) - overlap)
            if jaccard >= min_jaccard:
                candidates.append((-overlap, -jaccard, cid, index))
    ids: list[str | None] = [None] * len(communities)
    used: set[str] = set()
    for _, _, cid, index in sorted(candidates):
        if ids[index] is None and cid not in used:
            ids[index] = cid
            used.add(cid)
    here = set(previous) | used
    for index, members in enumerate(communities):
        if ids[index] is None:
            candidate, suffix = fresh_id(members), 1
            while candidate in here or candidate in taken:
                suffix += 1
                candidate = f"{fresh_id(members)}-{suffix}"
            ids[index] = candidate
            here.add(candidate)
    return [i for i in ids if i is not None]
