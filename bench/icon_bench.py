"""Icon figures on this machine: PDQ hashing (with the eight dihedral hashes), the NudeNet classifier (batch and
single, if the extra is installed), and hash-list matching of 10,000 queries against banks of 100,000 and
1,000,000 hashes with planted near-duplicates, whose recall is checked.

    .venv/bin/python bench/icon_bench.py [--bank-sizes 100000 1000000] [--queries 10000]

Not a test: figures for the issue notes. Images are generated abstract noise, never real photos.
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import time

import numpy as np
from PIL import Image

from scanner.signals.hashbank import BankEntry, HashBank, match_banks
from scanner.signals.pdq import hash_icon_bytes


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


def _flip_bits(value: int, count: int, rng: random.Random) -> int:
    for bit in rng.sample(range(256), count):
        value ^= 1 << bit
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bank-sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--icons", type=int, default=300)
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

    try:
        from scanner.signals.icon_classifier import IconClassifierError, NudeNetClassifier

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
