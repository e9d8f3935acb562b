"""A change of prior on class probabilities: the one arithmetic the heads' benign prior, the per-category prior,
the per-field prior and the word gate's prior all share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def shift_priors(probabilities: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Probabilities with each label's odds multiplied by ``exp(shift)``, renormalised (a change of prior)."""
    scaled = probabilities * np.exp(shift)[None, :]
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(np.float32)


def harm_offsets(labels: Sequence[str], shift: float, own: Iterable[tuple[str, float]] = ()) -> np.ndarray:
    """Log-odds offset per label: 0 for benign, ``shift`` plus the category's own offset for every harm label."""
    extra = dict(own)
    return np.array([0.0 if label == "benign" else shift + extra.get(label, 0.0) for label in labels],
                    dtype=np.float32)
