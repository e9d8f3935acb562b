"""Icon hashing in worker processes, started ahead of the scan's batches.

Hashing an icon (decode, PDQ's eight dihedral hashes, the blurred thumbnail) is the most expensive per-group
work of a cold scan: about 2 ms an icon, nearly all of it holding the GIL, so threads do not help. A scan knows
its icons before its first batch, so ``IconPrefetch`` hands them to a pool of processes, in chunks in the scan's
order; the scan's own thread goes on with the text signals, and the icon signal collects each file's outcome when
its batch reaches it (``take``). A cold scan starts earlier still, while it reads its records (``IconFeed``).
With two cores, the icon work overlaps the reading and the text work.

Outcomes are those of ``hash_icon_file`` in this process, byte for byte: the same function runs in the worker.
If the pool breaks (a worker killed, out of memory), the files of the broken chunks are hashed in this process
instead, as they would have been without a pool; nothing is lost or hashed twice into the results.

Workers are spawned, never forked: a fork copies whatever locks other threads of the scanning process hold (a bot,
a dashboard, a test runner), and a child that needs one waits forever.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from scanner.policy import IconPolicy
from scanner.schema import Located, Rejected
from scanner.signals.pdq import IconError, IconHash, hash_icon_file

Outcome = IconHash | IconError
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
    """Worker task: each file's hash, or the reason it cannot be hashed."""
    return [hash_one(Path(path), limits) for path in paths]


def hash_one(path: Path, limits: HashLimits) -> Outcome:
    """One file's hash, or the reason it cannot be hashed: the same in a worker and in the scanning process."""
    try:
        return hash_icon_file(path, limits.max_bytes, limits.max_pixels, limits.thumbnail_size,
                              limits.thumbnail_blur)
    except IconError as error:
        return error


class IconPrefetch(Generic[K]):
    """Files being hashed by a process pool, added as they become known; ``take`` returns a file's outcome once
    its chunk is done.

    A caller's key (the icon signal's path, size and modification time) names each file. Files are sent to the
    pool in chunks of ``chunk``; ``flush`` sends a partial one. ``close`` (always call it) cancels what has not
    started and stops the workers, e.g. when a scan fails half-way."""

    def __init__(self, limits: HashLimits, workers: int, chunk: int = CHUNK) -> None:
        self.limits = limits
        self.workers = max(1, workers)
        self.chunk = chunk
        self.broken = False
        self.added = 0  # files taken in, for reports and tests
        self._paths: dict[K, Path] = {}  # files added and not taken yet
        self._buffer: list[K] = []
        self._chunks: list[list[K]] = []
        self._chunk_of: dict[K, int] = {}
        self._futures: dict[int, Future[list[Outcome]]] = {}
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
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        n = len(self._chunks)
        keys, self._buffer = self._buffer, []
        self._chunks.append(keys)
        for key in keys:
            self._chunk_of[key] = n
        self._futures[n] = self._pool.submit(hash_files, [str(self._paths[k]) for k in keys], self.limits)

    def take(self, key: K) -> dict[K, Outcome]:
        """The outcomes of the whole chunk that holds ``key`` (waiting for it), which leave the prefetch: the
        caller keeps them. A chunk the pool could not finish is hashed here."""
        if key not in self._chunk_of:
            self.flush()
        n = self._chunk_of[key]
        keys = self._chunks[n]
        future = self._futures.pop(n)
        try:
            outcomes = future.result()
        except BrokenProcessPool:
            self.broken = True
            outcomes = [hash_one(self._paths[k], self.limits) for k in keys]
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

    def __init__(self, data_root: Path, limits: HashLimits, workers: int, min_icons: int = MIN_POOL_ICONS) -> None:
        self.data_root = data_root
        self.limits = limits
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
            self.prefetch = IconPrefetch(self.limits, self.workers)
            for waiting, waiting_path in self._waiting.items():
                self.prefetch.add(waiting, waiting_path)
            self._waiting.clear()

    def close(self) -> None:
        if self.prefetch is not None:
            self.prefetch.close()
