"""Successor groups: the respawn pattern. A banned or full group posts the invite of its replacement ("backup",
"new link", "2.0"), which starts later under a similar name. Detected structurally, so it works whatever words
the replacement uses. It is an evasion *modifier* (it raises severity of a case that has risk), never a category:
benign groups also move to a new group when the old one is full.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from scanner.graph.groups import GroupState, keys_of, link_owners
from scanner.text.normalize import normalize

# Words that mark a respawn rather than a topic; they must not make two names look alike.
_NOISE = {"backup", "new", "link", "group", "grp", "official", "old", "full", "naya", "the", "of", "and"}


@dataclass(frozen=True)
class Succession:
    predecessor: str
    successor: str
    similarity: float


def name_tokens(name: str) -> frozenset[str]:
    words = re.split(r"[^\w\u0900-\u0dff]+", normalize(name).text)
    # Single letters stay: "Tower A" and "Tower B" are siblings, not a respawn. Numbers go: "X 2", "X 3.0" are.
    return frozenset(w for w in words if w and not w.isdigit() and w not in _NOISE)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of the names once respawn markers and numbers are gone: a respawn keeps its name."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def successions(states: Mapping[str, GroupState], min_similarity: float = 0.8,
                 only: Collection[str] | None = None, owners: Mapping[str, str] | None = None) -> list[Succession]:
    """Successions among ``states``; ``only``: those whose predecessor is one of these groups (a scoped rescan
    passes whole components, which hold both ends). ``owners``: ``link_owners(states)`` if known already."""
    keys = keys_of(states)
    owner = owners if owners is not None else link_owners(states, keys)
    tokens: dict[str, frozenset[str]] = {}  # only groups joined by a posted link need their name read

    def tokens_of(gid: str) -> frozenset[str]:
        if gid not in tokens:
            tokens[gid] = name_tokens(states[gid].latest.name)
        return tokens[gid]

    def start(state: GroupState):
        return state.latest.created_at or state.first_seen

    found = []
    for gid in states if only is None else sorted(g for g in only if g in states):
        for canonical in keys[gid][2]:
            target = owner.get(canonical)
            if target is None or target == gid:
                continue
            a, b = start(states[gid]), start(states[target])
            if a is None or b is None or b <= a:
                continue
            score = similarity(tokens_of(gid), tokens_of(target))
            if score >= min_similarity:
                found.append(Succession(gid, target, round(score, 4)))
    return sorted(set(found), key=lambda s: (s.predecessor, s.successor))
