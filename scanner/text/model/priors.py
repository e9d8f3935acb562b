"""A change of prior on class probabilities: the one arithmetic the heads' benign prior, the per-category prior,
the per-field prior and the word gate's prior all share."""

from __future__ import annotations

import numpy as np


def shift_priors(probabilities: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Probabilities with each label's odds multiplied by ``exp(shift)``, renormalised (a change of prior)."""
    scaled = probabilities * np.exp(shift)[None, :]
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(np.float32)
