"""Figures for a text model: per-category precision and recall at a threshold, robustness to obfuscation, and
the flagged share of a list of real names. Shared by the build (model card) and ``groupscan train``."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from scanner.text.model.corpus import Example
from scanner.text.model.obfuscate import OBFUSCATORS
from scanner.text.normalize import normalize


def per_category(probabilities: np.ndarray, labels: Sequence[str], truth: Sequence[str],
                 threshold: float = 0.5) -> dict[str, dict[str, float]]:
    """Precision and recall per harm category, a text counting as flagged for a category when its probability
    reaches ``threshold`` (the same rule the scan applies)."""
    truth_arr = np.array(list(truth))
    out: dict[str, dict[str, float]] = {}
    for column, label in enumerate(labels):
        if label == "benign":
            continue
        flagged = probabilities[:, column] >= threshold
        actual = truth_arr == label
        hits = int((flagged & actual).sum())
        out[label] = {
            "precision": round(hits / int(flagged.sum()), 4) if flagged.any() else 0.0,
            "recall": round(hits / int(actual.sum()), 4) if actual.any() else 0.0,
            "support": int(actual.sum()),
        }
    harmful = truth_arr != "benign"
    any_flag = (probabilities[:, [i for i, lab in enumerate(labels) if lab != "benign"]] >= threshold).any(axis=1)
    out["any_harm"] = {
        "precision": round(int((any_flag & harmful).sum()) / int(any_flag.sum()), 4) if any_flag.any() else 0.0,
        "recall": round(int((any_flag & harmful).sum()) / int(harmful.sum()), 4) if harmful.any() else 0.0,
        "support": int(harmful.sum()),
    }
    return out


def robustness(score, examples: Sequence[Example], labels: Sequence[str], seed: int = 7,
               threshold: float = 0.5) -> dict[str, dict[str, float]]:
    """Recall of the same held-out positives, clean and after each obfuscation (normalised first, as the scan
    does). ``score`` maps normalised texts to probabilities. Latin-script tricks are measured on the examples they
    apply to; transliteration on Devanagari Hindi examples through their romanised twins."""
    rng = random.Random(seed)
    positives = [e for e in examples if e.label != "benign"]
    out: dict[str, dict[str, float]] = {}

    def recall(items: Sequence[tuple[str, str]]) -> float:
        if not items:
            return 0.0
        probs = score([normalize(text).text for text, _ in items])
        columns = [labels.index(label) for _, label in items]
        return round(float(np.mean(probs[np.arange(len(items)), columns] >= threshold)), 4)

    latin = [e for e in positives if e.language in ("en", "hi-Latn")]
    out["clean"] = {"recall": recall([(e.text, e.label) for e in latin]), "n": len(latin)}
    for name, trick in sorted(OBFUSCATORS.items()):
        changed = [(trick(e.text, rng), e.label) for e in latin]
        out[name] = {"recall": recall(changed), "n": len(changed)}
    hindi = [e for e in positives if e.language == "hi" and e.twin]
    out["clean_devanagari"] = {"recall": recall([(e.text, e.label) for e in hindi]), "n": len(hindi)}
    out["transliteration"] = {"recall": recall([(e.twin, e.label) for e in hindi]), "n": len(hindi)}
    return out


def flagged_share(probabilities: np.ndarray, labels: Sequence[str], threshold: float = 0.5) -> dict[str, float]:
    harm = [i for i, lab in enumerate(labels) if lab != "benign"]
    out = {"any_harm": round(float((probabilities[:, harm] >= threshold).any(axis=1).mean()), 4)}
    for i in harm:
        out[labels[i]] = round(float((probabilities[:, i] >= threshold).mean()), 4)
    return out
