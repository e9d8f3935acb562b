"""Signals on a Ray cluster (``groupscan scan --engine ray``): the way to scan tens of millions of groups.

The per-group work (lexicon, text model, icon PDQ hashing and icon classifier) runs as Ray Data batches on a
pool of actors. Each actor builds its own set of signal objects once, from a picklable ``factory`` (so each worker
holds one ONNX session per model and keeps its caches across batches), and returns, per batch, the results and
what its icon signals made on the way (new classifier scores, thumbnails). The graph stage needs every group at
once and stays in the calling process, as with ``LocalRunner``; so does any signal of the scan that the factory
does not build (moderators' confirmed decisions: a lookup, cheap, and only known once the scan has started).

The results equal ``LocalRunner``'s: signals score each group independently of its batch neighbours (see
``scanner.signals.base``), workers are checked to run the same signal versions as the driver, and new icon
classifications and thumbnails are merged back onto the driver's signal objects, where ``scanner.engine.pipeline``
stores them.

On a cluster every node needs groupscan installed with the same models (``pip install 'groupscan[ray]'``), and the
scan's folder (icon files) at the same path. Ray is imported only when a scan uses it.

Network: a local Ray cluster listens on every interface of the machine. On one machine, run the scan inside a
network namespace with only loopback (``unshare -n``, see README.md) or give ``address`` of a cluster you run.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import pickle
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.engine.assess import default_signals
from scanner.engine.runner import LocalRunner, Progress
from scanner.policy import Policy
from scanner.schema import GroupSnapshot
from scanner.signals.base import (
    Classifying,
    MakesThumbnails,
    Preloading,
    ScanContext,
    Signal,
    SignalResult,
)
from scanner.signals.review import ConfirmedSignal
from scanner.text.lexicon import Lexicon

SignalFactory = Callable[[], Sequence[Signal]]

EXTRA_HINT = "the Ray engine needs the optional extra: pip install -e '.[ray]' (or pip install 'groupscan[ray]')"


class RayUnavailable(RuntimeError):
    """Ray is not installed, or the cluster cannot be reached."""


def import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data comes with the extra's ray[data])
    except ImportError as error:
        raise RayUnavailable(f"{EXTRA_HINT} ({error})") from error
    return ray


def _classified(signal: Signal) -> dict[str, dict[str, float]]:
    """Classifier scores an icon signal already holds (what the pipeline preloaded from earlier scans)."""
    return signal.preloaded() if isinstance(signal, Preloading) else {}


def _classifying(signal: Signal) -> Classifying:
    """The signal the Ray workers' classifications are merged into (for the pipeline to store)."""
    if not isinstance(signal, Classifying):
        raise RuntimeError(f"signal {signal.name} keeps no classifications to merge the Ray workers' output into")
    return signal


def _thumbnailing(signal: Signal) -> MakesThumbnails:
    if not isinstance(signal, MakesThumbnails):
        raise RuntimeError(f"signal {signal.name} keeps no thumbnails to merge the Ray workers' output into")
    return signal


@dataclass
class BatchOutput:
    """What one worker returns for one batch."""

    indices: list[int]
    results: list[SignalResult]
    versions: dict[str, str]
    # signal name -> icon sha256 -> scores / thumbnail PNG, made while scoring this batch.
    new_classifications: dict[str, dict[str, dict[str, float]]]
    thumbnails: dict[str, dict[str, bytes]]
    # signal name -> icon sha256 -> file: icons left unclassified (the actor's classification budget ran out).
    unclassified: dict[str, dict[str, Path]] = field(default_factory=dict)


class SignalWorker:
    """A Ray Data actor: one set of signal objects (one ONNX session per model) for all its batches."""

    def __init__(self, factory: SignalFactory, preloaded: list[Any], context: ScanContext,
                 wanted: Sequence[str]) -> None:
        import ray

        # ``preloaded`` holds one ObjectRef (wrapped in a list so Ray does not resolve it for us): the scores
        # earlier scans stored, put in the object store once for all workers.
        classified: Mapping[str, dict[str, dict[str, float]]] = ray.get(preloaded[0]) if preloaded else {}
        self.context = context
        self.signals = [s for s in factory() if s.name in set(wanted)]
        for signal in self.signals:
            if classified.get(signal.name) and isinstance(signal, Preloading):
                signal.preload(classified[signal.name])
        self.versions = {s.name: s.version for s in self.signals}

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        snapshots = [GroupSnapshot.model_validate_json(text) for text in batch["snapshot"]]
        results: list[SignalResult] = []
        for signal in self.signals:
            results.extend(signal.score(snapshots, self.context))
        new: dict[str, dict[str, dict[str, float]]] = {}
        thumbnails: dict[str, dict[str, bytes]] = {}
        unclassified: dict[str, dict[str, Path]] = {}
        for signal in self.signals:
            # Hand over what this batch added and forget it here: each item reaches the driver once per worker.
            if isinstance(signal, Classifying):
                if signal.new_classifications:
                    new[signal.name] = dict(signal.new_classifications)
                    signal.new_classifications.clear()
                if signal.unclassified_files:
                    unclassified[signal.name] = dict(signal.unclassified_files)
                    signal.unclassified_files.clear()
            if isinstance(signal, MakesThumbnails) and signal.thumbnails:
                thumbnails[signal.name] = dict(signal.thumbnails)
                signal.thumbnails.clear()
        out = BatchOutput([int(i) for i in batch["index"]], results, self.versions, new, thumbnails, unclassified)
        # One output row per batch: the pickled BatchOutput (an opaque binary column to Ray Data).
        return {"payload": [pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)]}


class RayRunner:
    """Runs the scan's signals as Ray Data batches on ``workers`` actors.

    ``factory`` builds the signals in each worker and must be picklable, e.g.
    ``functools.partial(default_signals, policy, lexicon)``. ``address``: an existing cluster (``ray://...`` or
    ``auto``); None starts a local one with ``workers`` CPUs for this scan and stops it afterwards. If Ray is
    already initialised in this process, that is used and left running. Signals named in ``local_signals`` (and
    any the factory does not build) run in this process; a call with only those does not start Ray.
    """

    name = "ray"

    def __init__(self, factory: SignalFactory, *, address: str | None = None, workers: int = 2,
                 batch_size: int = 512, cpus_per_worker: float = 1.0, object_store_mb: int = 200,
                 local_signals: Collection[str] = (ConfirmedSignal.name,)) -> None:
        if workers < 1 or batch_size < 1:
            raise ValueError("workers and batch_size must be at least 1")
        self.factory = factory
        self.address = address
        self.workers = workers
        self.batch_size = batch_size
        self.cpus_per_worker = cpus_per_worker
        self.object_store_mb = object_store_mb
        self.local_signals = frozenset(local_signals)
        # Seconds spent starting or connecting to Ray, and running the batches (for benchmarks and reports).
        self.timings: dict[str, float] = {}

    def _start(self, ray: Any) -> bool:
        """Start or join a cluster; True when this call started it (and so must stop it)."""
        if ray.is_initialized():
            return False
        options: dict[str, Any] = dict(include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
        if self.address is None:
            # A cluster of our own reports nothing to Ray's usage statistics service (a deployer may opt in).
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            options.update(num_cpus=max(1, math.ceil(self.workers * self.cpus_per_worker)),
                           object_store_memory=self.object_store_mb * 1024 * 1024)
        try:
            ray.init(address=self.address, **options)
        except (ConnectionError, RuntimeError) as error:
            raise RayUnavailable(f"cannot start or reach Ray at {self.address or 'a new local cluster'}: "
                                 f"{error}") from error
        return True

    def run(self, snapshots: Sequence[GroupSnapshot], signals: Sequence[Signal], context: ScanContext,
            progress: Progress | None = None) -> list[SignalResult]:
        remote = [s for s in signals if s.name not in self.local_signals]
        if not snapshots or not remote:
            return LocalRunner(self.batch_size).run(snapshots, signals, context, progress)
        ray = import_ray()
        started = time.perf_counter()
        started_here = self._start(ray)
        self.timings["ray_start"] = time.perf_counter() - started
        try:
            started = time.perf_counter()
            outputs = self._remote(ray, snapshots, remote, context, progress)
            self.timings["ray_batches"] = time.perf_counter() - started
        finally:
            if started_here:
                ray.shutdown()
        return self._merge(outputs, snapshots, signals, context)

    def _remote(self, ray: Any, snapshots: Sequence[GroupSnapshot], signals: Sequence[Signal],
                context: ScanContext, progress: Progress | None) -> list[BatchOutput]:
        ray.data.DataContext.get_current().enable_progress_bars = False  # the CLI draws its own
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        preloaded = {s.name: found for s in signals if (found := _classified(s))}
        items = [{"index": i, "snapshot": snap.model_dump_json(by_alias=True)} for i, snap in enumerate(snapshots)]
        dataset = ray.data.from_items(items, override_num_blocks=max(1, math.ceil(len(items) / self.batch_size)))
        scored = dataset.map_batches(
            SignalWorker,
            fn_constructor_args=(self.factory, [ray.put(preloaded)], context, [s.name for s in signals]),
            batch_size=self.batch_size,
            compute=ray.data.ActorPoolStrategy(size=self.workers),
            num_cpus=self.cpus_per_worker,
        )
        outputs: list[BatchOutput] = []
        done = 0
        for batch in scored.iter_batches(batch_size=None, batch_format="numpy"):
            for payload in batch["payload"]:
                out: BatchOutput = pickle.loads(payload)
                outputs.append(out)
                done += len(out.indices)
                if progress:
                    progress("signals", done, len(snapshots))
        if done != len(snapshots):
            raise RuntimeError(f"the Ray workers scored {done} of {len(snapshots)} groups")
        return outputs

    def _merge(self, outputs: Sequence[BatchOutput], snapshots: Sequence[GroupSnapshot], signals: Sequence[Signal],
               context: ScanContext) -> list[SignalResult]:
        by_name = {s.name: s for s in signals}
        versions: dict[str, str] = {}
        for out in outputs:
            versions.update(out.versions)
        for name, version in versions.items():
            if str(by_name[name].version) != str(version):
                raise RuntimeError(f"the Ray workers run {name} version {version}, this scan {by_name[name].version}:"
                                   " install the same groupscan and models on every node")
        for out in outputs:
            for name, made in out.new_classifications.items():
                _classifying(by_name[name]).new_classifications.update(made)
                signal = by_name[name]
                if isinstance(signal, Preloading):
                    signal.preload(made)
            for name, pngs in out.thumbnails.items():
                _thumbnailing(by_name[name]).thumbnails.update(pngs)
            for name, left in out.unclassified.items():
                _classifying(by_name[name]).unclassified_files.update(left)
        # Results in LocalRunner's order: signal by signal, groups in input order.
        position = {s.name: i for i, s in enumerate(signals)}
        order = {snap.group_id: i for i, snap in enumerate(snapshots)}
        results = sorted((r for out in outputs for r in out.results),
                         key=lambda r: (position[r.signal], order[r.group_id]))
        # Signals the workers do not build run here.
        rest = [s for s in signals if s.name not in versions]
        return results + LocalRunner(self.batch_size).run(snapshots, rest, context)


def ray_runner(policy: Policy, lexicon: Lexicon | None = None, *, address: str | None = None, workers: int = 2,
               batch_size: int = 512) -> RayRunner:
    """The runner ``groupscan scan --engine ray`` uses: workers build the scan's default signals. Fails at once
    (``RayUnavailable``) when Ray is not installed, before a scan touches the database."""
    import_ray()
    return RayRunner(functools.partial(default_signals, policy, lexicon), address=address, workers=workers,
                     batch_size=batch_size)
