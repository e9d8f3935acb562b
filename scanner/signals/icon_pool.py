"""Icon hashing in worker processes, started ahead of the scan's batches.

Hashing an icon (decode, PDQ's eight dihedral hashes, the blurred thumbnail) is the most expensive per-group
work of a cold scan: about 2 ms an icon, nearly all of it holding the GIL, so threads do not help. A scan knows
all its icons before its first batch, so ``IconPrefetch`` hands them to a pool of processes at once, in chunks in
the scan's order; the scan's own thread goes on with the text signals, and the icon signal collects each file's
outcome when its batch reaches it (``take``). With two cores, the icon work and the text work overlap.

Outcomes are those of ``hash_icon_file`` in this process, byte for byte: the same function runs in the worker.
If the pool breaks (a worker killed, out of memory), the files of the broken chunks are hashed in this process
instead, as they would have been without a pool; nothing is lost or hashed twice into the results.

Workers are spawned, never forked: a fork copies whatever locks other threads of the scanning process hold (a bot,
a dashboard, a test runner), and a child that needs one waits forever.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Hashable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from scanner.signals.pdq import IconError, IconHash, hash_icon_file

Outcome = IconHash | IconError
K = TypeVar("K", bound=Hashable)

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


def hash_files(paths: Sequence[str], limits: HashLimits) -> list[Outcome]:
    """Worker task: each file's hash, or the reason it cannot be hashed."""
    outcomes: list[Outcome] = []
    for path in paths:
        outcomes.append(_hash_one(Path(path), limits))
    return outcomes


def _hash_one(path: Path, limits: HashLimits) -> Outcome:
    try:
        return hash_icon_file(path, limits.max_bytes, limits.max_pixels, limits.thumbnail_size,
                              limits.thumbnail_blur)
    except IconError as error:
        return error


class IconPrefetch(Generic[K]):
    """Files being hashed by a process pool; ``take`` returns a file's outcome once its chunk is done.

    ``items`` maps a caller's key (the icon signal's path, size and modification time) to the file's path. The
    pool shuts down when its last chunk is taken; ``close`` (always call it) cancels what has not started and
    stops the workers, e.g. when a scan fails half-way."""

    def __init__(self, items: dict[K, Path], limits: HashLimits, workers: int, chunk: int = CHUNK) -> None:
        self.limits = limits
        keys = list(items)
        self._chunks: list[list[K]] = [keys[i:i + chunk] for i in range(0, len(keys), chunk)]
        self._paths = items
        self._chunk_of = {key: n for n, keys_ in enumerate(self._chunks) for key in keys_}
        self._futures: dict[int, Future[list[Outcome]]] = {}
        self.broken = False
        self._pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(self._chunks))),
                                         mp_context=multiprocessing.get_context("spawn"))
        for n, chunk_keys in enumerate(self._chunks):
            self._futures[n] = self._pool.submit(hash_files, [str(items[k]) for k in chunk_keys], limits)

    def __contains__(self, key: object) -> bool:
        return key in self._chunk_of

    def take(self, key: K) -> dict[K, Outcome]:
        """The outcomes of the whole chunk that holds ``key`` (waiting for it), which leave the prefetch: the
        caller keeps them. A chunk the pool could not finish is hashed here."""
        n = self._chunk_of[key]
        keys = self._chunks[n]
        future = self._futures.pop(n)
        try:
            outcomes = future.result()
        except BrokenProcessPool:
            self.broken = True
            outcomes = [_hash_one(self._paths[k], self.limits) for k in keys]
        for k in keys:
            del self._chunk_of[k]
        if not self._futures:  # the last chunk: the workers have nothing left to do
            self._pool.shutdown(wait=True)
        return dict(zip(keys, outcomes, strict=True))

    def close(self) -> None:
        """Cancel the chunks no worker has started, and wait for the workers to exit."""
        for future in self._futures.values():
            future.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._futures.clear()
        self._chunk_of.clear()
