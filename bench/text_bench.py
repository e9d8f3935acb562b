"""Text model throughput on this machine, and the figures of the shipped model (from its build).

    .venv/bin/python bench/text_bench.py --names 100000

Prints: raw encoder names/s (1 and 2 threads), head-only names/s, the full text signal (normalise + model with
its cache) on N names drawn with realistic repetition (a Zipf law over a pool of distinct names, as group names
repeat: "Family", "Friends", "Jobs"), model size and peak memory. Not a test: figures for the model card.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from pathlib import Path

from scanner.text.model.corpus import read_corpus
from scanner.text.model.model import DEFAULT_MODEL_DIR, TextModel, load_encoder
from scanner.text.normalize import normalize


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} names/s"


def realistic_names(pool: list[str], count: int, seed: int, exponent: float = 1.1) -> list[str]:
    """``count`` names drawn from ``pool`` with Zipf-like popularity (rank r has weight 1 / r^exponent)."""
    rng = random.Random(seed)
    weights = [1.0 / (rank ** exponent) for rank in range(1, len(pool) + 1)]
    return rng.choices(pool, weights=weights, k=count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--pool", type=int, default=40_000, help="distinct names to draw from")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--zipf", type=float, default=1.1,
                        help="popularity exponent of names (1.1: a few names very common; 0.5: mostly distinct)")
    args = parser.parse_args()

    corpus = read_corpus(args.model / "base_corpus.tsv.gz")
    pool = list(dict.fromkeys(e.text for e in corpus if e.field == "name"))
    random.Random(args.seed).shuffle(pool)
    pool = pool[:args.pool]
    sample = [normalize(t).text for t in pool[:2000]]

    meta = json.loads((args.model / "meta.json").read_text(encoding="utf-8"))
    sizes = {p.name: round(p.stat().st_size / 1e6, 1) for p in args.model.glob("*.onnx")}
    print(f"model {meta['version']} ({meta.get('variant', '?')}), files MB: {sizes}")
    if meta.get("uses_encoder"):
        for threads in (1, 2):
            encoder = load_encoder(args.model, threads)
            encoder.encode(sample[:64])
            started = time.perf_counter()
            encoder.encode(sample)
            print(f"encoder alone, {threads} thread(s), batch 64: {_rate(len(sample), time.perf_counter() - started)}")

    model = TextModel(args.model)
    model.predict(sample[:32])
    started = time.perf_counter()
    model._run(sample)  # no cache
    print(f"model (uncached): {_rate(len(sample), time.perf_counter() - started)}")

    fresh = TextModel(args.model)
    names = realistic_names(pool, args.names, args.seed, args.zipf)
    distinct = len(set(names))
    started = time.perf_counter()
    normalized = [normalize(n).text for n in names]
    middle = time.perf_counter()
    probs = fresh.predict(normalized)
    done = time.perf_counter()
    print(f"full text signal on {args.names:,} names ({distinct:,} distinct, {distinct / args.names:.0%}): "
          f"normalise {middle - started:.1f} s, model {done - middle:.1f} s, total {done - started:.1f} s = "
          f"{_rate(args.names, done - started)} effective")
    if fresh.cascade is not None:
        print(f"cascade: {fresh.encoded:,} of {distinct:,} distinct names went to the e5 encoder "
              f"(n-gram top harm in [{fresh.cascade.low}, {fresh.cascade.high})"
              + (f"; {fresh.gated:,} of them under it, through the word gate)" if fresh.gated else ")"))
    lexicon_rate(names)
    print(f"flagged (any harm p >= 0.5): {float((probs[:, 1:] >= 0.5).any(axis=1).mean()):.2%} of the draw "
          "(the pool is the synthetic corpus, mostly harmful by design)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    figures = args.model / "figures.json"
    if figures.is_file():
        data = json.loads(figures.read_text(encoding="utf-8"))
        chosen = data["comparison"][data["chosen"]]
        print("held-out (from the build):", json.dumps(chosen["heldout"]))
        print("robustness (recall):", {k: v["recall"] for k, v in chosen["robustness"].items()})
        print("public names flagged share:", chosen["public_flagged_share"])
    fused(args.model, corpus)


def lexicon_rate(names: list[str]) -> None:
    """The lexicon signal on the same draw, with its per-scan cache (names repeat): transliteration, skeletons
    and fuzzy matching are part of its cost."""
    from scanner.policy import default_policy
    from scanner.schema import GroupSnapshot
    from scanner.text.lexicon import LexiconSignal

    policy = default_policy()
    signal = LexiconSignal(policy.signals.lexicon)
    snapshots = [GroupSnapshot.model_validate({"schema": 1, "platform": "whatsapp", "group_id": f"g{i}",
                                               "observed_at": "2026-09-01T10:00:00Z", "name": n})
                 for i, n in enumerate(names)]
    started = time.perf_counter()
    signal.score(snapshots, None)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    print(f"lexicon signal on {len(names):,} names: {seconds:.1f} s = {_rate(len(names), seconds)} effective")


def fused(model_dir: Path, corpus) -> None:
    """What the scan's whole text evidence (lexicon + model, noisy-OR) flags on the held-out splits: the figure
    a moderator experiences, next to the model's own."""
    from scanner.policy import default_policy
    from scanner.scoring.names import classify_names
    from scanner.text.text_model import TextModelSignal

    policy = default_policy()
    signal = TextModelSignal(policy.signals.text_model, TextModel(model_dir), categories=list(policy.categories))
    for split in ("heldout", "heldout_templates"):
        rows = [e for e in corpus if e.split == split]
        results = classify_names([e.text for e in rows], policy, model=signal)
        parts = []
        for category in policy.categories:
            actual = [r for r, e in zip(results, rows, strict=True) if e.label == category]
            flagged = [r for r in results if category in r["flagged"]]
            hits = sum(1 for r in actual if category in r["flagged"])
            lexicon_only = sum(1 for r in actual if r["lexicon"].get(category, 0) >= policy.review_threshold)
            parts.append(f"{category} R {hits / max(len(actual), 1):.3f} P {hits / max(len(flagged), 1):.3f} "
                         f"(lexicon alone R {lexicon_only / max(len(actual), 1):.3f})")
        print(f"lexicon + model on {split}: " + "; ".join(parts))


if __name__ == "__main__":
    main()
