"""Where the per-group signal work runs: in this process, batch by batch (``LocalRunner``), or on a Ray cluster
(``scanner.engine.ray_runner``, ``groupscan scan --engine ray``).

Signals are the expensive, embarrassingly parallel part of a scan (text model, icon hashing and classifier); the
graph stage needs every group at once and stays in the calling process. A runner takes the scan's signal objects
and returns every result, in any order; it must leave on those objects what the pipeline stores afterwards (new
icon classifications and thumbnails), so that the store cannot tell which runner ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from scanner.images.icon_pool import MIN_POOL_ICONS, IconPrefetch
from scanner.schema import GroupSnapshot
from scanner.signals.base import ScanContext, Signal, SignalResult

Progress = Callable[[str, int, int], None]


class SignalRunner(Protocol):
    name: str

    def run(self, snapshots: Sequence[GroupSnapshot], signals: Sequence[Signal], context: ScanContext,
            progress: Progress | None = None) -> list[SignalResult]:
        """Every signal's result for every snapshot."""
        ...


@runtime_checkable
class Prefetching(Protocol):
    """A signal that can start its work for all the run's snapshots before the first batch (the icon signal
    hashes files in worker processes) and must be told when the run ends."""

    def prefetch(self, snapshots: Sequence[GroupSnapshot], context: ScanContext, workers: int,
                 min_icons: int) -> int: ...

    def close(self) -> None: ...


@runtime_checkable
class TakesIconFeed(Protocol):
    """A signal that collects the icons a feed started hashing while a cold scan read its records
    (``scanner.images.icon_pool.IconFeed``), instead of hashing them again."""

    def adopt(self, prefetch: IconPrefetch[Any]) -> None: ...


class LocalRunner:
    """Batches in this process: models see ``batch_size`` snapshots at a time (batched inference).

    ``workers``: processes that hash icons ahead of the batches (``scanner.images.icon_pool``); 1, the default,
    hashes them in this process. Results are the same either way. A library call starts no process unless asked:
    the worker processes are spawned, and a spawned process runs the calling script's top level again unless the
    script keeps it under ``if __name__ == "__main__":``. ``groupscan scan`` asks for one per CPU."""

    name = "local"

    def __init__(self, batch_size: int = 512, workers: int = 1, min_pool_icons: int = MIN_POOL_ICONS) -> None:
        self.batch_size = batch_size
        self.workers = workers
        self.min_pool_icons = min_pool_icons
        # Icons the last run handed to worker processes (0: all hashed here), for benchmarks and tests.
        self.pooled_icons = 0

    def run(self, snapshots: Sequence[GroupSnapshot], signals: Sequence[Signal], context: ScanContext,
            progress: Progress | None = None) -> list[SignalResult]:
        prefetching = [s for s in signals if isinstance(s, Prefetching)]
        results: list[SignalResult] = []
        try:
            self.pooled_icons = sum(s.prefetch(snapshots, context, self.workers, self.min_pool_icons)
                                    for s in prefetching)
            for start in range(0, len(snapshots), self.batch_size):
                batch = snapshots[start:start + self.batch_size]
                for signal in signals:
                    results.extend(signal.score(batch, context))
                if progress:
                    progress("signals", min(start + self.batch_size, len(snapshots)), len(snapshots))
        finally:
            for signal in prefetching:
                signal.close()
        return results
