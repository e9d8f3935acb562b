"""The signal seam. A signal turns group snapshots into per-category scores with reasons.

Modelled on python-threatexchange's ``SignalType``: a small class with a name and a version, one job, and no
knowledge of the store or the graph. Adding a signal is one new module and one entry point
(``groupscan.signals`` in the package's ``pyproject.toml``; ``scanner.plugins.registry``), not an edit of the
pipeline. Signals score a batch at a time so that models can batch inference; results must not depend on batch
order.

The class registered (``SignalPlugin``) says how it is built from the policy (its own section,
``signals.<name>``, validated by its ``config_model``), where it runs among the others (``order``), and what it
is for (``examples()``: snapshots that every signal's contract test scores). What a signal can do beyond
``score`` is declared, not guessed: ``CacheKeyed`` (its results may be reused by a rescan), ``Preloading`` (it
takes what earlier scans stored), ``MakesThumbnails`` and ``Classifying`` (it leaves icon thumbnails and
classifications for the scan to store).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

from scanner.reasons import Reason
from scanner.schema import GroupSnapshot

if TYPE_CHECKING:
    from scanner.policy import Policy


@dataclass(frozen=True)
class SignalResult:
    """What one signal says of one group: category -> score in 0..1, the reasons, and modifier flags
    (such as ``evasion``) that do not name a category of harm by themselves."""

    group_id: str
    signal: str
    scores: Mapping[str, float]
    reasons: tuple[Reason, ...] = ()
    modifiers: frozenset[str] = frozenset()
    features: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanContext:
    """What signals may need besides the snapshots: where the data set lives (for icon paths)."""

    data_root: Path


@runtime_checkable
class Signal(Protocol):
    name: str
    version: str

    def score(self, snapshots: Sequence[GroupSnapshot], context: ScanContext) -> list[SignalResult]:
        """One result per snapshot, in the same order."""
        ...


@dataclass(frozen=True)
class SignalSetup:
    """What a signal may need to be built besides the policy: the scan's lexicon (a ``scanner.text.lexicon
    .Lexicon``, or None for the default) and the groups moderators confirmed (group id -> decision)."""

    lexicon: Any = None
    confirmed: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


@runtime_checkable
class SignalPlugin(Protocol):
    """A signal class as registered under ``groupscan.signals``."""

    name: ClassVar[str]
    # Where it runs among the signals (lower first); the built-ins use 10..90.
    order: ClassVar[int]
    # Its section of the policy, ``signals.<name>`` (None: it has none).
    config_model: ClassVar[type[BaseModel] | None]

    @classmethod
    def from_policy(cls, policy: Policy, setup: SignalSetup) -> Signal | None:
        """The signal for this scan, or None when the policy switches it off."""
        ...

    @classmethod
    def examples(cls) -> list[GroupSnapshot]:
        """Snapshots this signal has something to say about (and one it has not): demos and the contract test."""
        ...


@runtime_checkable
class CacheKeyed(Protocol):
    """A signal whose results depend only on the snapshot and this key: a rescan reuses them while it holds."""

    def cache_key(self) -> str: ...


@runtime_checkable
class Preloading(Protocol):
    """A signal that takes per-icon scores stored by earlier scans, so nothing is classified twice."""

    def preload(self, classified: dict[str, dict[str, float]]) -> None: ...

    def preloaded(self) -> dict[str, dict[str, float]]:
        """What it holds so far (preloaded and classified), to hand to workers elsewhere (Ray)."""
        ...


@runtime_checkable
class MakesThumbnails(Protocol):
    """A signal that leaves moderator-safe thumbnails (icon sha256 -> PNG) for the scan to store."""

    thumbnails: dict[str, bytes]


@runtime_checkable
class Classifying(Protocol):
    """A signal that leaves new classifications (icon sha256 -> scores) and the icons it had no budget for."""

    new_classifications: dict[str, dict[str, float]]
    unclassified_files: dict[str, Path]


def example(group_id: str, name: str, description: str = "", **fields: object) -> GroupSnapshot:
    """A snapshot for ``examples()``: indicator words only, never a description of abuse."""
    return GroupSnapshot.model_validate({"schema": 1, "platform": "telegram", "group_id": group_id,
                                         "observed_at": "2026-01-01T00:00:00Z", "name": name,
                                         "description": description, **fields})

