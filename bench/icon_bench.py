"""Icon figures on this machine: PDQ hashing (with the eight dihedral hashes), hash + open_nsfw classification in
the icon worker processes (what a scan runs), the NudeNet classifier (batch and single, if the extra is
installed), and hash-list matching of 10,000 queries against banks of 100,000 and 1,000,000 hashes with planted
near-duplicates, whose recall is checked.

    .venv/bin/python bench/icon_bench.py [--bank-sizes 100000 1000000] [--queries 10000] [--pool-icons 600]

Not a test: figures for the issue notes. Images are generated abstract noise, never real photos.
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from scanner.images.hashbank import BankEntry, HashBank, match_banks
from scanner.images.icon_pool import Budget, ClassifyPlan, Examiner, HashLimits, IconPrefetch
from scanner.images.open_nsfw import OpenNSFWClassifier
from scanner.images.pdq import hash_icon_bytes


def _icons(count: int, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        blocks = (rng.random((8, 8, 3)) * 255).astype("uint8")
        image = Image.fromarray(blocks).resize((256, 256), Image.Resampling.BILINEAR)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        out.append(buffer.getvalue())
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _pool_rate(paths: list[Path], workers: int, plan: ClassifyPlan | None) -> tuple[float, int, float]:
    """Icons/s of a prefetch over ``paths`` (worker start-up and model load included), how many it classified,
    and the workers' CPU seconds per icon (counted once they have exited)."""
    limits = HashLimits(5_000_000, 4_000_000, 96, 6.0)
    cpu = _children_cpu()
    started = time.perf_counter()
    prefetch: IconPrefetch[int] = IconPrefetch(limits, workers, plan=plan)
    for i, path in enumerate(paths):
        prefetch.add(i, path)
    prefetch.flush()
    classified = 0
    taken: set[int] = set()
    for i in range(len(paths)):
        if i not in taken:
            chunk = prefetch.take(i)
            taken.update(chunk)
            classified += sum(scores is not None for _, scores in chunk.values())
    prefetch.close()
    rate = len(paths) / (time.perf_counter() - started)
    return rate, classified, (_children_cpu() - cpu) / len(paths)


def pool_figures(count: int, workers: int) -> None:
    """Hash only, and hash + open_nsfw (fp32) in ``workers`` processes, on distinct generated icons."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, data in enumerate(_icons(count, 11)):
            path = Path(folder) / f"i{i}.png"
            path.write_bytes(data)
            paths.append(path)
        rate, _, cpu = _pool_rate(paths, workers, None)
        print(f"icon workers ({workers}), hash + thumbnail only: {rate:,.0f} icons/s over {count} icons; workers' "
              f"CPU {cpu * 1000:.1f} ms an icon")
        rate, classified, cpu = _pool_rate(paths, workers, ClassifyPlan("open_nsfw", budget=Budget(None)))
        print(f"icon workers ({workers}), hash + thumbnail + open_nsfw fp32: {rate:,.1f} icons/s over {count} icons "
              f"({classified} classified; start-up and model load included); workers' CPU {cpu * 1000:.1f} ms an "
              f"icon: {workers / cpu:.0f} icons/s on {workers} idle cores")
        # CPU time per icon does not depend on what else the machine runs (wall-clock figures do): what two
        # idle cores could do is 2 / (CPU seconds per icon).
        limits = HashLimits(5_000_000, 4_000_000, 96, 6.0)
        hasher = Examiner(limits)
        examiner = Examiner(limits, OpenNSFWClassifier(threads=1))
        examiner.examine(paths[:16])
        sample = paths[16:16 + 160]
        cpu, started = time.process_time(), time.perf_counter()
        hasher.examine(sample)
        hash_cpu = (time.process_time() - cpu) / len(sample)
        cpu, started = time.process_time(), time.perf_counter()
        examiner.examine(sample)
        both_cpu, wall = (time.process_time() - cpu) / len(sample), time.perf_counter() - started
        print(f"one process, one thread, hash + thumbnail + open_nsfw: {len(sample) / wall:.1f} icons/s; CPU per "
              f"icon {both_cpu * 1000:.1f} ms (hash + thumbnail {hash_cpu * 1000:.1f} ms, open_nsfw "
              f"{(both_cpu - hash_cpu) * 1000:.1f} ms): {2 / both_cpu:.0f} icons/s on 2 idle cores")


def _flip_bits(value: int, count: int, rng: random.Random) -> int:
    for bit in rng.sample(range(256), count):
        value ^= 1 << bit
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bank-sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--icons", type=int, default=300)
    parser.add_argument("--pool-icons", type=int, default=600)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    icons = _icons(args.icons, 1)
    started = time.perf_counter()
    for data in icons:
        hash_icon_bytes(data)
    seconds = time.perf_counter() - started
    print(f"PDQ + 8 dihedral hashes: {len(icons) / seconds:,.0f} icons/s (256x256 PNG, decode included)")
    started = time.perf_counter()
    for data in icons:
        hash_icon_bytes(data, thumbnail_size=96)
    print(f"  with the moderator-safe thumbnail: {len(icons) / (time.perf_counter() - started):,.0f} icons/s")

    pool_figures(args.pool_icons, args.workers)

    try:
        from scanner.images.icon_classifier import IconClassifierError, NudeNetClassifier

        classifier = NudeNetClassifier()
        images = [np.asarray(Image.open(io.BytesIO(d)).convert("RGB")) for d in icons[:64]]
        classifier.classify(images[:8])
        started = time.perf_counter()
        classifier.classify(images)
        print(f"NudeNet ({classifier.model_id}), batch {classifier.batch_size}: "
              f"{len(images) / (time.perf_counter() - started):.1f} icons/s")
        started = time.perf_counter()
        for image in images[:32]:
            classifier.classify([image])
        print(f"NudeNet, one at a time: {32 / (time.perf_counter() - started):.1f} icons/s")
    except (ImportError, IconClassifierError) as error:
        print(f"NudeNet not measured: {error}")

    rng = random.Random(7)
    for size in args.bank_sizes:
        entries = [rng.getrandbits(256) for _ in range(size)]
        planted = rng.sample(range(size), args.queries // 2)
        queries = [f"{_flip_bits(entries[i], rng.randint(0, 31), rng):064x}" for i in planted]
        queries += [f"{rng.getrandbits(256):064x}" for _ in range(args.queries - len(queries))]  # unrelated
        bank = HashBank("bench", "child_safety", 31, tuple(BankEntry(f"{e:064x}", n + 1)
                                                        for n, e in enumerate(entries)), "bench")
        started = time.perf_counter()
        matches = match_banks([bank], queries)
        seconds = time.perf_counter() - started
        found = {(m.query, m.entry) for m in matches}
        recall = sum((q, planted[q]) in found for q in range(len(planted))) / len(planted)
        print(f"match {len(queries):,} queries against {size:,} hashes: {seconds:.1f} s (index build included), "
              f"recall of {len(planted):,} planted near-duplicates (distance 0..31) {recall:.3f}, "
              f"{len(matches):,} matches")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
