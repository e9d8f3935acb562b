"""A group's state: all its snapshots folded into the current view plus what history adds.

Old invite links keep pointing at a group after it rotates them, and an admin who left still shared it with the
others while there: so links and admins are the union over the timeline, each with first and last seen. Names,
descriptions and icons are the latest observation's (the timeline keeps the rest).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from scanner.graph.links import InviteLink, canonicalize, extract_links
from scanner.schema import GroupSnapshot


@dataclass
class Seen:
    first: datetime
    last: datetime

    def see(self, moment: datetime) -> None:
        self.first = min(self.first, moment)
        self.last = max(self.last, moment)


@dataclass
class GroupState:
    group_id: str
    latest: GroupSnapshot
    snapshots: int = 0
    first_seen: datetime | None = None
    admins: dict[str, Seen] = field(default_factory=dict)
    own_links: dict[str, InviteLink] = field(default_factory=dict)
    posted_links: dict[str, tuple[InviteLink, Seen]] = field(default_factory=dict)
    names: list[tuple[datetime, str]] = field(default_factory=list)


def _see(table: dict[str, Seen], key: str, moment: datetime) -> None:
    if key in table:
        table[key].see(moment)
    else:
        table[key] = Seen(moment, moment)


# What joins a group to others in the graph: its admins, the invite links it owns, the invite links it posts.
GraphKeys = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def graph_keys(state: GroupState) -> GraphKeys:
    return tuple(state.admins), tuple(state.own_links), tuple(state.posted_links)


def keys_of(states: Mapping[str, GroupState]) -> Mapping[str, GraphKeys]:
    """Every group's graph keys, in the states' order. A table that keeps its states packed
    (``scanner.engine.packed.StateTable``) has them without unpickling a state."""
    table = getattr(states, "graph_keys", None)
    if table is not None:
        return table
    return {gid: graph_keys(state) for gid, state in states.items()}


def link_owners(states: Mapping[str, GroupState], keys: Mapping[str, GraphKeys] | None = None) -> dict[str, str]:
    """Canonical invite link -> the group that owns it (the first in id order, if two claim the same link).
    This is how a posted link becomes an edge to a group."""
    owner: dict[str, str] = {}
    for gid, (_, own, _) in (keys if keys is not None else keys_of(states)).items():
        for canonical in own:
            owner.setdefault(canonical, gid)
    return owner


def fold(snapshots: Iterable[GroupSnapshot]) -> dict[str, GroupState]:
    """Fold snapshots (any order) into one state per group, keyed by group id, in sorted order."""
    ordered = sorted(snapshots, key=lambda s: (s.group_id, s.observed_at))
    states: dict[str, GroupState] = {}
    for snap in ordered:
        state = states.get(snap.group_id)
        if state is None:
            state = states[snap.group_id] = GroupState(snap.group_id, snap, first_seen=snap.observed_at)
        state.latest = snap
        state.snapshots += 1
        if not state.names or state.names[-1][1] != snap.name:
            state.names.append((snap.observed_at, snap.name))
        for admin in snap.admins:
            _see(state.admins, admin, snap.observed_at)
        for url in snap.own_invite_links:
            link = canonicalize(url)
            if link is not None:
                state.own_links[link.canonical] = link
        posted = [(p.url, p.seen_at or snap.observed_at) for p in snap.posted_invite_links]
        posted += [(link.canonical, snap.observed_at) for link in extract_links(snap.description)]
        for url, moment in posted:
            link = canonicalize(url)
            if link is None or link.canonical in state.own_links:
                continue
            if link.canonical in state.posted_links:
                state.posted_links[link.canonical][1].see(moment)
            else:
                state.posted_links[link.canonical] = (link, Seen(moment, moment))
    return dict(sorted(states.items()))
