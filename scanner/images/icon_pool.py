"""Icon hashing and classification in worker processes, started ahead of the scan's batches.

Hashing an icon (decode, PDQ's eight dihedral hashes, the blurred thumbnail) is the most expensive per-group
work of a cold scan: about 2 ms an icon, nearly all of it holding the GIL, so threads do not help. A scan knows
its icons before its first batch, so ``IconPrefetch`` hands them to a pool of processes, in chunks in the scan's
order; the scan's own thread goes on with the text signals, and the icon signal collects each file's outcome when
its batch reaches it (``take``). A cold scan starts earlier still, while it reads its records (``IconFeed``).
With two cores, the icon work overlaps the reading and the text work.

The same workers classify the icons (``Examiner``): each file is decoded once, hashed, and, if its sha256 has no
classification for the model yet and the scan's budget allows, turned into the model's input there and then;
inputs are classified in batches. A worker is told at start (``ClassifyPlan``) which icons are classified already
and shares the budget with the others and the scanning process. Two files with the same content in two workers'
chunks at the same moment may both be classified; one row is stored.

Outcomes are those of ``Examiner.examine`` in this process, byte for byte: the same function runs in the worker.
If the pool breaks (a worker killed, out of memory), the files of the broken chunks are hashed in this process
instead, as they would have been without a pool; nothing is lost or hashed twice into the results.

Workers are spawned, never forked: a fork copies whatever locks other threads of the scanning process hold (a bot,
a dashboard, a test runner), and a child that needs one waits forever.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Container, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from scanner.images.icon_classifier import IconClassifier, load_classifier
from scanner.images.pdq import IconError, IconHash, hash_icon_file
from scanner.policy import IconPolicy
from scanner.schema import Located, Rejected

Outcome = IconHash | IconError
Scores = dict[str, float]
# A file's outcome and, if it was classified here, its classifier scores.
Examined = tuple[Outcome, Scores | None]
K = TypeVar("K", bound=Hashable)
IconKey = tuple[Path, int, int]

# Below this many icons to hash, a pool costs more than it saves: starting a worker (imports of numpy, Pillow
# and pdqhash) takes about half a second, the time of some 250 icons.
MIN_POOL_ICONS = 1000
# Icons per task: large enough that the pool's own bookkeeping is small beside the hashing (about 0.1 s of work
# per chunk), small enough that the first batches of the scan do not wait long for theirs.
CHUNK = 64


def available_cpus() -> int:
    """CPUs this process may run on (a container's limit, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class HashLimits:
    """What ``hash_icon_file`` takes besides the path, from the icon policy."""

    max_bytes: int
    max_pixels: int
    thumbnail_size: int | None
    thumbnail_blur: float

    @classmethod
    def of(cls, policy: IconPolicy) -> HashLimits:
        return cls(policy.max_image_bytes, policy.max_image_pixels, policy.thumbnail_size, policy.thumbnail_blur)


def hash_files(paths: Sequence[str], limits: HashLimits) -> list[Outcome]:
    """Each file's hash, or the reason it cannot be hashed."""
    return [hash_one(Path(path), limits) for path in paths]


def hash_one(path: Path, limits: HashLimits) -> Outcome:
    """One file's hash, or the reason it cannot be hashed (no classifier)."""
    return Examiner(limits).examine([path])[0][0]


class Digests:
    """A set of sha256 hex digests held as one sorted array of 32-byte rows: a million of them cost 32 MB to
    send to a worker, not the ~100 MB of a pickled set of strings."""

    def __init__(self, hexes: Iterable[str] = ()) -> None:
        self._rows = np.array(sorted(bytes.fromhex(h) for h in hexes), dtype="S32")

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, sha: object) -> bool:
        if not isinstance(sha, str) or not len(self._rows):
            return False
        key = np.array(bytes.fromhex(sha), dtype="S32")
        at = int(np.searchsorted(self._rows, key))
        return at < len(self._rows) and self._rows[at] == key


class AnyOf:
    """Membership in any of several containers (what a worker is told is classified: the stored icons and those
    the scanning process classified since)."""

    def __init__(self, *parts: Container[str]) -> None:
        self.parts = parts

    def __contains__(self, sha: object) -> bool:
        return any(sha in part for part in self.parts)


class Budget:
    """How many more icons this scan may classify, shared by the scanning process and its workers (a counter in
    shared memory). ``None`` limit: no limit."""

    def __init__(self, limit: int | None) -> None:
        self._value: Any = (multiprocessing.get_context("spawn").Value("q", limit) if limit is not None else None)

    def take(self) -> bool:
        if self._value is None:
            return True
        with self._value.get_lock():
            if self._value.value <= 0:
                return False
            self._value.value -= 1
            return True

    @property
    def left(self) -> int | None:
        return None if self._value is None else int(self._value.value)


@dataclass
class ClassifyPlan:
    """What the icon workers classify besides hashing: the policy's classifier, the icons already classified
    for its model (by sha256) and the scan's budget."""

    classifier: str
    known: Container[str] = field(default_factory=Digests)
    budget: Budget = field(default_factory=lambda: Budget(None))


class Examiner:
    """Decode each file once (the safe loader in ``scanner.images.pdq``), hash it, and classify the icons not
    classified yet while the budget lasts, in batches of the classifier's size."""

    def __init__(self, limits: HashLimits, classifier: IconClassifier | None = None,
                 known: Container[str] = (), budget: Budget | None = None, batch_size: int = 16) -> None:
        self.limits = limits
        self.classifier = classifier
        self.known = known
        self.budget = budget or Budget(None)
        self.batch_size = batch_size
        self.done: set[str] = set()  # classified by this examiner (in this process)

    def examine(self, paths: Sequence[Path]) -> list[Examined]:
        outcomes: list[Outcome] = []
        scores: list[Scores | None] = [None] * len(paths)
        waiting: list[tuple[int, np.ndarray]] = []
        decoded: list[np.ndarray] = []
        for i, path in enumerate(paths):
            decoded.clear()
            try:
                found: Outcome = hash_icon_file(path, self.limits.max_bytes, self.limits.max_pixels,
                                                self.limits.thumbnail_size, self.limits.thumbnail_blur,
                                                decoded.append if self.classifier is not None else None)
            except IconError as error:
                found = error
            outcomes.append(found)
            if (self.classifier is not None and isinstance(found, IconHash) and decoded
                    and found.sha256 not in self.known and found.sha256 not in self.done and self.budget.take()):
                self.done.add(found.sha256)
                waiting.append((i, self.classifier.prepare(decoded[0])))
                if len(waiting) >= self.batch_size:
                    self._classify(waiting, scores)
        if waiting:
            self._classify(waiting, scores)
        return list(zip(outcomes, scores, strict=True))

    def _classify(self, waiting: list[tuple[int, np.ndarray]], scores: list[Scores | None]) -> None:
        assert self.classifier is not None
        for (i, _), found in zip(waiting, self.classifier.scores([x for _, x in waiting]), strict=True):
            scores[i] = found
        waiting.clear()


_WORKER: Examiner | None = None


def _start_worker(limits: HashLimits, plan: ClassifyPlan | None) -> None:
    """Pool initializer: one examiner per worker process, its classifier on one thread (the processes are the
    parallelism)."""
    global _WORKER
    classifier = load_classifier(plan.classifier, threads=1) if plan is not None else None
    _WORKER = Examiner(limits, classifier, plan.known if plan else (), plan.budget if plan else None)


def examine_files(paths: Sequence[str]) -> list[Examined]:
    """Worker task: each file's hash (or why not) and, where classified, its scores."""
    assert _WORKER is not None
    return _WORKER.examine([Path(p) for p in paths])


class IconPrefetch(Generic[K]):
    """Files being hashed by a process pool, added as they become known; ``take`` returns a file's outcome once
    its chunk is done.

    A caller's key (the icon signal's path, size and modification time) names each file. Files are sent to the
    pool in chunks of ``chunk``; ``flush`` sends a partial one. ``close`` (always call it) cancels what has not
    started and stops the workers, e.g. when a scan fails half-way."""

    def __init__(self, limits: HashLimits, workers: int, chunk: int = CHUNK, plan: ClassifyPlan | None = None,
                 local: Examiner | None = None) -> None:
        self.limits = limits
        self.plan = plan
        # Where files of a chunk the pool could not finish are examined (the scanning process's examiner).
        self.local = local
        self.workers = max(1, workers)
        self.chunk = chunk
        self.broken = False
        self.added = 0  # files taken in, for reports and tests
        self._paths: dict[K, Path] = {}  # files added and not taken yet
        self._buffer: list[K] = []
        self._chunks: list[list[K]] = []
        self._chunk_of: dict[K, int] = {}
        self._futures: dict[int, Future[list[Examined]]] = {}
        self._pool: ProcessPoolExecutor | None = None

    def __contains__(self, key: object) -> bool:
        return key in self._paths

    def add(self, key: K, path: Path) -> None:
        if key in self._paths:
            return
        self._paths[key] = path
        self._buffer.append(key)
        self.added += 1
        if len(self._buffer) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        """Send the files added since the last chunk."""
        if not self._buffer:
            return
        if self._pool is None:  # processes start as chunks arrive, up to ``workers``
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(self.limits, self.plan))
        n = len(self._chunks)
        keys, self._buffer = self._buffer, []
        self._chunks.append(keys)
        for key in keys:
            self._chunk_of[key] = n
        self._futures[n] = self._pool.submit(examine_files, [str(self._paths[k]) for k in keys])

    def take(self, key: K) -> dict[K, Examined]:
        """The outcomes of the whole chunk that holds ``key`` (waiting for it), which leave the prefetch: the
        caller keeps them. A chunk the pool could not finish is examined here."""
        if key not in self._chunk_of:
            self.flush()
        n = self._chunk_of[key]
        keys = self._chunks[n]
        future = self._futures.pop(n)
        try:
            outcomes = future.result()
        except BrokenProcessPool:
            self.broken = True
            outcomes = (self.local or Examiner(self.limits)).examine([self._paths[k] for k in keys])
        for k in keys:
            del self._chunk_of[k], self._paths[k]
        return dict(zip(keys, outcomes, strict=True))

    def close(self) -> None:
        """Cancel the chunks no worker has started, and wait for the workers to exit. Safe to call twice."""
        for future in self._futures.values():
            future.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures.clear()
        self._chunk_of.clear()
        self._paths.clear()
        self._buffer.clear()


def icon_key(path: Path) -> IconKey | IconError:
    """What identifies a file's content without reading it: path, size and modification time. An icon file is
    taken to keep its content at a path a snapshot names: a new icon comes with a new snapshot."""
    try:
        stat = path.stat()
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        return IconError(f"icon file unreadable: {getattr(error, 'strerror', None) or error}")
    return (path, stat.st_size, stat.st_mtime_ns)


class IconFeed:
    """Icons named by the records a cold scan reads, hashed while it reads and stores them.

    Reading and storing a million records keeps one core busy for minutes while the other waits; the icons a
    scan with nothing cached will hash anyway can use it. ``tap`` passes the records through unchanged and adds
    each icon file to a prefetch, started once ``min_icons`` files are known; the icon signal ``adopt``s it.
    An icon of a snapshot that a later one replaces is hashed for nothing (1.6 % more files at 1M groups of the
    benchmark data); its outcome is dropped when the prefetch closes."""

    def __init__(self, data_root: Path, limits: HashLimits, workers: int, min_icons: int = MIN_POOL_ICONS,
                 plan: ClassifyPlan | None = None) -> None:
        self.data_root = data_root
        self.limits = limits
        self.plan = plan
        self.workers = workers
        self.min_icons = max(1, min_icons)
        self.prefetch: IconPrefetch[IconKey] | None = None
        self._waiting: dict[IconKey, Path] = {}

    def tap(self, records: Iterable[Located | Rejected]) -> Iterator[Located | Rejected]:
        for record in records:
            if isinstance(record, Located) and record.snapshot.icon is not None:
                self._add(self.data_root / record.snapshot.icon.path)
            yield record

    def _add(self, path: Path) -> None:
        key = icon_key(path)
        if isinstance(key, IconError):
            return  # the icon signal reports it
        if self.prefetch is not None:
            self.prefetch.add(key, path)
            return
        self._waiting[key] = path
        if len(self._waiting) >= self.min_icons:
            self.prefetch = IconPrefetch(self.limits, self.workers, plan=self.plan)
            for waiting, waiting_path in self._waiting.items():
                self.prefetch.add(waiting, waiting_path)
            self._waiting.clear()

    def close(self) -> None:
        if self.prefetch is not None:
            self.prefetch.close()
