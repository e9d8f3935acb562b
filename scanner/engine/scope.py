"""Scoped rescans: which groups an incremental rescan must score again, so that it can leave every other row alone.

A rescan of a big platform sees a few thousand groups change among millions. Their signals come fresh and the
rest come from the cache (``scanner.engine.scancache``), but scoring every group, clustering every network and comparing
every stored row still grows with the whole platform (most of two minutes at a million groups). Every graph
result is computed per connected component from that component alone (``scanner.graph.cluster``,
``scanner.graph.propagate``), and clusters, their scores and their members' scores are functions of their
component. So a rescan recomputes the components a change can reach and keeps the stored rows of the others,
which are exactly what a full scan would write again.

Which components a change reaches. A group's edges come from keys it shares with other groups: an admin, an
invite link it owns or posts, and its icon (identical or near-duplicate hashes). A changed group ``R`` can change
an edge between two other groups only through a key ``R`` has (before or after the change): an admin crossing the
hub cap, a link changing owner, an icon bridging two families, an admin clique's weights. So the groups sharing a
key with ``R`` (its old or new state), with ``R`` itself and the groups whose confirmed decision changed, are the
*touched* groups; every other edge is the same as in the last scan. A path in the old graph from a touched group
then runs through unchanged edges and touched groups, so the old component of any touched group lies inside the
new components of the touched groups, and a group outside those components has the same component, with the same
content, as in the last scan. The *scope* is the union of the new components of the touched groups.

When a rescan may be scoped. Only when the database holds exactly what the cache's scan wrote: the last scan,
whatever its status (a scan that failed or was killed after storing its scores changed rows too), is the one
that wrote the cache (``ScanCache.scan_id``), the hash lists are the same (their fingerprint), and
every group outside the change has cached results from the same data folder. Otherwise it scores every group,
as before, with the cached signal results.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain

from scanner.graph.groups import GroupState, graph_keys, keys_of
from scanner.images.hashbank import HashBank


def bank_fingerprint(banks: Sequence[HashBank]) -> str:
    """What hash-list matching depends on: every bank's name, category, threshold, kind and entries."""
    digest = hashlib.sha256()
    for bank in sorted(banks, key=lambda b: b.name):
        digest.update(pickle.dumps((bank.name, bank.category, bank.threshold, bank.enabled, bank.negative,
                                    bank.source, [(e.pdq, e.line, e.label) for e in bank.entries]), protocol=5))
    return digest.hexdigest()


def changed_decisions(before: Mapping[str, Mapping], after: Mapping[str, Mapping]) -> set[str]:
    """Groups whose confirmed-violating decision appeared, went, or changed since the cache's scan."""
    return {g for g in before.keys() | after.keys() if before.get(g) != after.get(g)}


@dataclass
class Scope:
    """What a scoped rescan knows besides the states: the groups that changed and how they looked before, the
    icons of every group from the cache, and how to read the stored clusters of the groups it scores again."""

    # Groups folded again (new snapshots), with their state before (absent for a new group).
    refolded: set[str]
    old_states: dict[str, GroupState]
    # Groups whose confirmed decision changed since the cache's scan.
    decided: set[str]
    # Group -> PDQ hash, and hash -> its dihedral variants, for every group as of the cache's scan.
    icons: dict[str, str]
    variants: dict[str, tuple[str, ...]]
    # Near-duplicate pairs among every hash the cache knows (the changed groups' old hashes included).
    pairs: set[tuple[str, str]]
    # Active clusters (id -> members) that hold any of the given groups, read from the database.
    previous: Callable[[Iterable[str]], dict[str, frozenset[str]]]
    # Every active cluster id (fresh ids must not reuse one); asked per id.
    taken: Container[str] = field(default_factory=set)
    # Filled by ``assess``: the groups it scored (the union of the touched groups' components), and the active
    # clusters that held any of them before this scan.
    groups: set[str] = field(default_factory=set)
    before: dict[str, frozenset[str]] = field(default_factory=dict)


def touched_groups(states: Mapping[str, GroupState], scope: Scope, pdq_by_group: Mapping[str, str],
                   icon_pairs: Iterable[tuple[str, str]]) -> set[str]:
    """The changed groups, the groups whose decision changed, and every group sharing a key (admin, invite link,
    icon family) with a changed group's state before or after the change. ``icon_pairs``: this scan's
    near-duplicate pairs (``scope.pairs`` adds those of the changed groups' old hashes)."""
    touched = set(scope.refolded) | {g for g in scope.decided if g in states}
    admins: set[str] = set()
    links: set[str] = set()
    hashes: set[str] = set()
    keys = keys_of(states)
    for gid in scope.refolded:
        for found in (keys.get(gid), graph_keys(scope.old_states[gid]) if gid in scope.old_states else None):
            if found is not None:
                admins.update(found[0])
                links.update(found[1])
                links.update(found[2])
        for pdq in (pdq_by_group.get(gid), scope.icons.get(gid)):
            if pdq:
                hashes.add(pdq)
    if hashes:
        # The whole family, in the pairs among old and new hashes: an icon that joined or left a family changes
        # the family's clique (its size against the cap, which groups it joins), not only its near neighbours.
        neighbours: dict[str, list[str]] = {}
        for a, b in chain(icon_pairs, scope.pairs):
            neighbours.setdefault(a, []).append(b)
            neighbours.setdefault(b, []).append(a)
        frontier = list(hashes)
        while frontier:
            for other in neighbours.get(frontier.pop(), ()):
                if other not in hashes:
                    hashes.add(other)
                    frontier.append(other)
        touched.update(g for g, pdq in pdq_by_group.items() if pdq in hashes)
    if admins or links:
        for gid, (group_admins, own, posted) in keys.items():
            if (admins and not admins.isdisjoint(group_admins)) or (links and (
                    not links.isdisjoint(own) or not links.isdisjoint(posted))):
                touched.add(gid)
    return touched
