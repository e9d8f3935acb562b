"""Where the per-group signal work runs: in this process, batch by batch (``LocalRunner``), or on a Ray cluster
(``scanner.ray_runner``, ``groupscan scan --engine ray``).

Signals are the expensive, embarrassingly parallel part of a scan (text model, icon hashing and classifier); the
graph stage needs every group at once and stays in the calling process. A runner takes the scan's signal objects
and returns every result, in any order; it must leave on those objects what the pipeline stores afterwards (new
icon classifications and thumbnails), so that the store cannot tell which runner ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from scanner.schema import GroupSnapshot
from scanner.signals.base import ScanContext, Signal, SignalResult

Progress = Callable[[str, int, int], None]


class SignalRunner(Protocol):
    name: str

    def run(self, snapshots: Sequence[GroupSnapshot], signals: Sequence[Signal], context: ScanContext,
            progress: Progress | None = None) -> list[SignalResult]:
        """Every signal's result for every snapshot."""
        ...


class LocalRunner:
    """Batches in this process: models see ``batch_size`` snapshots at a time (batched inference)."""

    name = "local"

    def __init__(self, batch_size: int = 512) -> None:
        self.batch_size = batch_size

    def run(self, snapshots: Sequence[GroupSnapshot], signals: Sequence[Signal], context: ScanContext,
            progress: Progress | None = None) -> list[SignalResult]:
        results: list[SignalResult] = []
        for start in range(0, len(snapshots), self.batch_size):
            batch = snapshots[start:start + self.batch_size]
            for signal in signals:
                results.extend(signal.score(batch, context))
            if progress:
                progress("signals", min(start + self.batch_size, len(snapshots)), len(snapshots))
        return results
