"""The signal seam. A signal turns group snapshots into per-category scores with reasons.

Modelled on python-threatexchange's ``SignalType``: a small class with a name and a version, one job, and no
knowledge of the store or the graph. Adding a signal touches one new file and the policy, not the pipeline.
Signals score a batch at a time so that models can batch inference; results must not depend on batch order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from scanner.reasons import Reason
from scanner.schema import GroupSnapshot


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
