"""Build time only: choose the text heads' settings by grouped cross-validation on the blind *training* rows.

    python -m models.text.blind_cv [--folds 4] [--synthetic 12000] [--out figures_cv.json]

Why on the blind training rows and not on blind dev: dev is what we report; choosing settings on it would make
its figures optimistic. The training rows (``models/text/blind_train/``, README there) were written by other
blind authors for training; folds are grouped by the author's chunk of consecutive rows (a chunk shares topics
and phrasing, so a random split would score near-copies).

Each fold fits the n-gram head (synthetic rows + the other folds' blind rows) and the e5 head, scores the held-out
fold through the reading a scan uses (exception phrases removed, windows, romanised view; each category from its
best view), fuses with the lexicon as ``classify-names`` does, and counts recall per category and hard negatives
flagged. The real public names (``../shared/eval``) are scored by each fold's model, measured only.
Figures only are printed; no row.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scanner.policy import Policy, load_policy
from scanner.scoring import noisy_or
from scanner.text.lexicon import default_lexicon, score_text
from scanner.text.model.blind import BlindRow, read_blind
from scanner.text.model.corpus import LABELS, read_corpus
from scanner.text.model.train import (
    HeadConfig,
    embedding_probabilities,
    fit_embedding_head,
    fit_head,
    reference_probabilities,
)
from scanner.text.normalize import normalize
from scanner.text.text_model import views

HERE = Path(__file__).resolve().parent


def read_views(texts: Sequence[str]) -> tuple[list[str], list[int]]:
    """What the model reads of each normalised text (``scanner.text.text_model.views`` after the lexicon's
    exception phrases): all views flattened, and the owner of each."""
    exceptions = default_lexicon().exceptions
    flat: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        prepared = text
        for pattern in exceptions:
            if pattern.search(prepared):
                prepared = " ".join(pattern.sub(" ", prepared).split())
        for view in views(prepared) if prepared else []:
            flat.append(view)
            owner.append(i)
    return flat, owner


def best_view(probs: np.ndarray, owner: Sequence[int], count: int) -> np.ndarray:
    """Per text, each column's best view (texts with no view get the benign prior: zeros)."""
    out = np.zeros((count, probs.shape[1]), dtype=np.float32)
    for row, i in enumerate(owner):
        out[i] = np.maximum(out[i], probs[row])
    return out


def lexicon_scores(rows: Sequence[tuple[str, str]], policy: Policy) -> list[dict[str, float]]:
    lexicon = default_lexicon()
    return [score_text(*((t, "") if kind == "name" else ("", t)), lexicon, policy.signals.lexicon)[0]
            for t, kind in rows]


def flags(model_probs: np.ndarray, lexicon: Sequence[dict[str, float]], policy: Policy) -> list[list[str]]:
    """The fusion of ``classify-names``: noisy-OR of lexicon evidence and ``weight x p`` where p >= min_p."""
    tm = policy.signals.text_model
    out = []
    for probs, lex in zip(model_probs, lexicon, strict=True):
        flagged = []
        for c in policy.categories:
            parts = [lex[c]] if c in lex else []
            p = float(probs[LABELS.index(c)]) if c in LABELS else 0.0
            if p >= tm.min_probability:
                parts.append(tm.weight * p)
            if noisy_or(parts) >= policy.review_threshold:
                flagged.append(c)
        out.append(flagged)
    return out


def summarise(rows: Sequence[BlindRow], flagged: Sequence[list[str]]) -> dict:
    own: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    hard = [0, 0]
    for row, f in zip(rows, flagged, strict=True):
        if row.label == "benign":
            if row.hard_negative:
                hard[0] += bool(f)
                hard[1] += 1
            continue
        own[row.label][0] += row.label in f
        own[row.label][1] += 1
    return {"recall": {c: round(v[0] / v[1], 3) for c, v in sorted(own.items())},
            "hard_negatives_flagged": round(hard[0] / max(hard[1], 1), 3), "hard_negatives": hard[1]}


def cascade(ngram: np.ndarray, e5: np.ndarray, low: float, high: float,
            mix: float) -> np.ndarray:
    """The run-time rule (``scanner.text.model.model``): where the n-gram head's top harm probability is in
    [low, high), the probabilities become ``mix x n-gram + (1 - mix) x e5 head``."""
    harm = ngram[:, 1:].max(axis=1)
    rows = np.flatnonzero((harm >= low) & (harm < high))
    out = ngram.copy()
    if rows.size:
        out[rows] = mix * ngram[rows] + (1 - mix) * e5[rows]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--synthetic", type=int, default=12000, help="synthetic training rows per fold (speed)")
    parser.add_argument("--e5-synthetic", type=int, default=4000, help="synthetic rows the e5 head sees per fold")
    parser.add_argument("--blind-weights", default="3,10")
    parser.add_argument("--e5-c", default="0.5,2")
    parser.add_argument("--embeddings", type=Path, default=None, help="npz cache text -> e5 vector")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--arrays", type=Path, default=None, help="save out-of-fold probabilities (npz)")
    args = parser.parse_args(argv)
    from sklearn.model_selection import GroupKFold

    from models.text.build import PUBLIC_NAMES, _public_names
    from scanner.text.model.encoder import OnnxEncoder

    started = time.perf_counter()
    policy = load_policy(None)
    blind = read_blind(HERE / "blind_train")
    synthetic = [e for e in read_corpus(HERE / "base_corpus.tsv.gz") if e.split == "train"]
    random.Random(7).shuffle(synthetic)
    synthetic = synthetic[:args.synthetic]
    s_text = [normalize(e.text).text for e in synthetic]
    b_text = [normalize(r.text).text for r in blind]
    public = [normalize(n).text for n in _public_names(PUBLIC_NAMES)]
    b_views, b_owner = read_views(b_text)
    p_views, p_owner = read_views(public)
    lex_blind = lexicon_scores([(r.text, r.kind) for r in blind], policy)
    lex_public = lexicon_scores([(n, "name") for n in _public_names(PUBLIC_NAMES)], policy)
    print(f"{len(blind)} blind rows, {len(synthetic)} synthetic, {len(public)} public names", flush=True)

    cache: dict[str, np.ndarray] = {}
    if args.embeddings and args.embeddings.is_file():
        with np.load(args.embeddings) as data:
            cache = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))
    todo = [t for t in dict.fromkeys(s_text + b_text + b_views + p_views) if t not in cache]
    if todo:
        print(f"encoding {len(todo)} texts", flush=True)
        for t, v in zip(todo, OnnxEncoder(HERE).encode(todo), strict=True):
            cache[t] = v
        if args.embeddings:
            keys = list(cache)
            np.savez(args.embeddings, texts=np.array(keys), vectors=np.stack([cache[k] for k in keys]))

    def emb(texts: Sequence[str]) -> np.ndarray:
        return np.stack([cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    groups = [r.group for r in blind]
    targets = [r.label for r in blind]
    folds = list(GroupKFold(n_splits=args.folds).split(b_text, targets, groups))
    weights = [float(w) for w in args.blind_weights.split(",")]
    cs = [float(c) for c in args.e5_c.split(",")]
    oof_ng = {w: np.zeros((len(blind), len(LABELS)), np.float32) for w in weights}
    pub_ng: dict[float, list[np.ndarray]] = {w: [] for w in weights}
    oof_e5_views: dict[float, list[tuple[np.ndarray, np.ndarray]]] = {c: [] for c in cs}
    pub_e5: dict[float, list[np.ndarray]] = {c: [] for c in cs}
    for k, (fit_rows, held_rows) in enumerate(folds):
        held = set(held_rows.tolist())
        texts = s_text + [b_text[i] for i in fit_rows]
        labels = [e.label for e in synthetic] + [targets[i] for i in fit_rows]
        group_ids = [e.template for e in synthetic] + [groups[i] for i in fit_rows]
        held_views = [i for i, o in enumerate(b_owner) if o in held]
        for w in weights:
            sw = np.array([1.0] * len(synthetic) + [w] * len(fit_rows))
            head = fit_head(texts, labels, LABELS, None, HeadConfig(use_embedding=False, regularisation=4.0),
                            groups=group_ids, sample_weight=sw)
            probs = reference_probabilities(head, [b_views[i] for i in held_views], None)
            for row, i in enumerate(held_views):
                oof_ng[w][b_owner[i]] = np.maximum(oof_ng[w][b_owner[i]], probs[row])
            pub_ng[w].append(best_view(reference_probabilities(head, p_views, None), p_owner, len(public)))
            print(f"fold {k} n-gram w={w} T={head.temperature:.3f} ({time.perf_counter() - started:.0f} s)",
                  flush=True)
        for c in cs:
            n = args.e5_synthetic
            e5_head = fit_embedding_head(emb(texts[:n] + texts[len(synthetic):]),
                                         labels[:n] + labels[len(synthetic):], LABELS, c,
                                         groups=group_ids[:n] + group_ids[len(synthetic):],
                                         sample_weight=np.array([1.0] * n + [3.0] * len(fit_rows)))
            probs = embedding_probabilities(e5_head, emb([b_views[i] for i in held_views]))
            oof_e5_views[c].append((np.array(held_views), probs))
            pub_e5[c].append(embedding_probabilities(e5_head, emb(p_views)))
    if args.arrays:
        e5_views = {}
        for c in cs:
            e5_view = np.zeros((len(b_views), len(LABELS)), np.float32)
            for idx, probs in oof_e5_views[c]:
                e5_view[idx] = probs
            e5_views[c] = e5_view
        arrays: dict[str, Any] = {"b_owner": np.array(b_owner), "p_owner": np.array(p_owner)}
        arrays.update({f"ng_{w}": oof_ng[w] for w in weights})
        arrays.update({f"pubng_{w}": np.stack(pub_ng[w]) for w in weights})
        arrays.update({f"e5view_{c}": e5_views[c] for c in cs})
        arrays.update({f"pube5_{c}": np.stack(pub_e5[c]) for c in cs})
        np.savez(args.arrays, **arrays)
    results: dict = {"rows": len(blind), "folds": args.folds, "synthetic": len(synthetic)}
    for w in weights:
        flagged = flags(oof_ng[w], lex_blind, policy)
        fp = np.mean([np.mean([bool(f) for f in flags(p, lex_public, policy)]) for p in pub_ng[w]])
        results[f"ngram w={w}"] = {**summarise(blind, flagged), "public_flagged": round(float(fp), 4)}
        print(f"ngram w={w}", json.dumps(results[f"ngram w={w}"]), flush=True)
    # Cascade: per view, n-gram probabilities (from the n-gram head at its best weight) mixed with the e5 head's.
    for w in weights:
        for c in cs:
            e5_view = np.zeros((len(b_views), len(LABELS)), np.float32)
            for idx, probs in oof_e5_views[c]:
                e5_view[idx] = probs
            results[f"e5 alone C={c}"] = {**summarise(blind, flags(best_view(e5_view, b_owner, len(blind)),
                                                                   lex_blind, policy)),
                                          "public_flagged": round(float(np.mean([np.mean([bool(f) for f in flags(
                                              best_view(p, p_owner, len(public)), lex_public, policy)])
                                              for p in pub_e5[c]])), 4)}
            print(f"e5 alone C={c}", json.dumps(results[f"e5 alone C={c}"]), flush=True)
            for low in (0.02, 0.05, 0.1, 0.2):
                for mix in (0.0, 0.5):
                    # text-level approximation: the n-gram's best view decides the gate, e5's best view mixes in
                    e5_text = best_view(e5_view, b_owner, len(blind))
                    combined = cascade(oof_ng[w], e5_text, low, 0.9, mix)
                    pub_fp = []
                    pub_share = []
                    for p_ng, p_e5 in zip(pub_ng[w], pub_e5[c], strict=True):
                        e5_pub = best_view(p_e5, p_owner, len(public))
                        pub_fp.append(np.mean([bool(f) for f in flags(
                            cascade(p_ng, e5_pub, low, 0.9, mix), lex_public, policy)]))
                        harm = p_ng[:, 1:].max(axis=1)
                        pub_share.append(float(((harm >= low) & (harm < 0.9)).mean()))
                    key = f"cascade w={w} C={c} low={low} mix={mix}"
                    results[key] = {**summarise(blind, flags(combined, lex_blind, policy)),
                                    "public_flagged": round(float(np.mean(pub_fp)), 4),
                                    "public_candidates": round(float(np.mean(pub_share)), 4)}
                    print(key, json.dumps(results[key]), flush=True)
    results["seconds"] = round(time.perf_counter() - started)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
