"""Mappings whose values stay pickled until read: what lets a scoped rescan load a million groups' cache quickly.

A rescan that scores a few networks needs every group's graph keys (admins, invite links) to build the graph, but
the full folded state and the signal results of only the groups it scores. Unpickling a million states and their
results as objects took most of the 28 s a 1M rescan spent loading its cache, and freeing them again at the end
took 20 s more. So the cache keeps each group's state and results as its own pickle (``bytes``, which load as one
object each), with the graph keys beside them as plain tuples, and a value is unpickled the first time it is read.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

from scanner.graph.groups import GraphKeys, GroupState, graph_keys

V = TypeVar("V")


def pack(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class Packed(Mapping[str, V], Generic[V]):
    """A read-only mapping over ``data``, whose values are either objects or their pickles (``bytes``); a pickle
    is loaded when its key is first read, and kept. Iterates in ``data``'s order."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self._loaded: dict[str, V] = {}

    def __getitem__(self, key: str) -> V:
        found = self._loaded.get(key)
        if found is None:
            raw = self.data[key]
            found = pickle.loads(raw) if isinstance(raw, bytes) else raw
            self._loaded[key] = found
        return found

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def loaded(self) -> int:
        """How many values were unpickled (what a scoped rescan read)."""
        return len(self._loaded)


class StateTable(Packed[GroupState]):
    """Group states, packed or not, with every group's graph keys at hand without unpickling its state
    (``scanner.graph.groups.keys_of``)."""

    def __init__(self, data: Mapping[str, GroupState | bytes], keys: Mapping[str, GraphKeys]) -> None:
        super().__init__(data)
        self.graph_keys = keys


def packed_values(values: Mapping[str, Any]) -> dict[str, bytes]:
    """Every value as its pickle, reusing the pickles already there (a base written after a scoped rescan
    pickles only what changed)."""
    data = values.data if isinstance(values, Packed) else values
    return {key: raw if isinstance(raw, bytes) else pack(raw) for key, raw in data.items()}


def keys_table(states: Mapping[str, GroupState]) -> dict[str, GraphKeys]:
    found = getattr(states, "graph_keys", None)
    if found is not None:
        return dict(found)
    return {gid: graph_keys(state) for gid, state in states.items()}
