"""A second gate to the e5 encoder for texts the n-gram head has no words for (``meta.json``
``fields.<field>.gate``).

Why: the cascade sends a name to the fine-tuned encoder only when the character n-gram head already gives it some
harm (>= 0.3). A name made of words nobody trained on gets ~0 from the n-grams and never reaches the encoder,
although the encoder reads such names well: with every name sent to it, child_safety recall on the synthetic
unseen-word split rises from 0.51 to 0.75 (``models/text/MODEL_CARD.md``). Sending every name costs an encoding
(milliseconds) per distinct name and, at the names' prior, flags many real public names (money names read as
solicitation or child safety). So a cheap gate decides which of the n-gram-quiet names are worth the encoder:
a logistic harm-vs-benign score on the static e5 table (``static_e5.npz``, the encoder's own token vectors
averaged, tens of thousands of names a second), and the encoder's reading of those names counts only for the
categories the gate names, at its own (stricter) prior, and only upwards (it never lowers what the n-grams said).

Files: ``static_gate.npz`` (``weights`` [dimension], ``bias``), written by ``python -m models.text.static_gate``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scanner.text.model.priors import harm_offsets, shift_priors

GATE_FILE = "static_gate.npz"


class GateError(RuntimeError):
    """A gate that ``meta.json`` names but cannot be read."""


@dataclass(frozen=True)
class GateSettings:
    """``fields.<field>.gate``: ``{"table": file, "threshold": p, "shift": log-odds, "categories": [labels],
    "category_shift": {label: log-odds}}``.

    ``category_shift`` adds to ``shift`` for single categories. Why: what the encoder's reading of a gated name
    costs on real public names differs by category (a money name read as solicitation is common, a real name
    read as a call to violence rare), so each lifted category gets its own prior, chosen like the names'
    ``category_shift`` on aggregates of the blind development sets and the public names."""

    table: str
    threshold: float
    shift: float
    categories: tuple[str, ...]
    category_shift: tuple[tuple[str, float], ...] = ()

    def offsets(self, labels: Sequence[str]) -> np.ndarray:
        """Log-odds offset per label for the encoder's reading: 0 for benign, ``shift`` plus the category's own."""
        return harm_offsets(labels, self.shift, self.category_shift)


def read_gate_settings(field: str, settings: object, labels: Sequence[str]) -> GateSettings:
    if not isinstance(settings, dict):
        raise GateError(f"meta.json fields.{field}.gate must be an object")
    unknown = sorted(set(settings) - {"table", "threshold", "shift", "categories", "category_shift"})
    if unknown:
        raise GateError(f"meta.json fields.{field}.gate has unknown settings {unknown}")
    categories = tuple(str(c) for c in settings.get("categories") or ())
    bad = sorted(set(categories) - set(labels) | ({"benign"} & set(categories)))
    if not categories or bad:
        raise GateError(f"meta.json fields.{field}.gate.categories must name harm labels (bad: {bad})")
    threshold = float(settings.get("threshold", 0.5))
    if not 0.0 < threshold < 1.0:
        raise GateError(f"meta.json fields.{field}.gate.threshold must be in (0, 1), not {threshold}")
    own = settings.get("category_shift") or {}
    if not isinstance(own, dict):
        raise GateError(f"meta.json fields.{field}.gate.category_shift must be an object")
    stray = sorted(set(own) - set(categories))
    if stray:
        raise GateError(f"meta.json fields.{field}.gate.category_shift names categories the gate does not lift "
                        f"{stray}")
    return GateSettings(str(settings.get("table", GATE_FILE)), threshold, float(settings.get("shift", 0.0)),
                        categories, tuple(sorted((str(k), float(v)) for k, v in own.items())))


class WordGate:
    """Harm-vs-benign probability of texts from their static e5 vectors (logistic regression)."""

    def __init__(self, directory: Path, table: str = GATE_FILE):
        from scanner.text.model.static import StaticEncoder, StaticEncodingError

        path = directory / table
        if not path.is_file():
            raise GateError(f"{path}: no gate table (python -m models.text.static_gate)")
        with np.load(path) as data:
            self.weights = data["weights"].astype(np.float32)
            self.bias = float(data["bias"])
        try:  # the static table beside the gate's file (a retrained model names the base model's by full path)
            self.encoder = StaticEncoder(path.parent)
        except StaticEncodingError as error:
            raise GateError(str(error)) from error
        if self.weights.shape != (self.encoder.dimension,):
            raise GateError(f"{path}: weights {self.weights.shape} do not fit the static table's "
                            f"{self.encoder.dimension} dimensions")

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        logits = self.encoder.encode(texts) @ self.weights + self.bias
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def scores_slow(self, texts: Sequence[str]) -> list[float]:
        """The obviously correct twin of ``scores``: one text, one dot product, in Python."""
        out = []
        for text in texts:
            vector = [float(x) for x in self.encoder.encode_one(text)]
            logit = sum(v * float(w) for v, w in zip(vector, self.weights, strict=True)) + self.bias
            out.append(1.0 / (1.0 + math.exp(-logit)))
        return out


def lift(current: np.ndarray, encoder_probabilities: np.ndarray, settings: GateSettings,
         labels: Sequence[str]) -> np.ndarray:
    """Rows of ``current`` (probabilities) raised to the encoder's reading for the gate's categories only.

    The encoder's probabilities get the gate's prior first (``shift`` on every harm category, plus the
    category's own ``category_shift``), then each gated category takes the larger of the two readings and
    benign takes what is left. Other categories keep the n-gram head's value: the gate lifts only the
    categories whose encoder reading holds on real public names (scam does not: money names are common)."""
    encoder = shift_priors(encoder_probabilities, settings.offsets(labels))
    out = current.copy()
    for label in settings.categories:
        column = list(labels).index(label)
        out[:, column] = np.maximum(out[:, column], encoder[:, column])
    benign = list(labels).index("benign")
    harm = np.delete(out, benign, axis=1).sum(axis=1)
    out[:, benign] = np.clip(1.0 - harm, 0.0, 1.0)
    return (out / out.sum(axis=1, keepdims=True)).astype(np.float32)
