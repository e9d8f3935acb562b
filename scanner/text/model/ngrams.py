"""Character n-grams over Unicode code points: the script-agnostic half of the text model.

Why code points and not a subword vocabulary: Devanagari, Tamil and Bengali names, romanised Hindi and leftover
obfuscation all reduce to sequences of code points, and an n-gram of them needs no tokenizer that knows the
language. The same function feeds training (as an sklearn analyzer) and inference (as the int64 tensor the ONNX
``TfIdfVectorizer`` operator reads), so the two cannot drift apart: a test checks they agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Names longer than this are cut; descriptions are scored on their opening, which carries the pitch.
MAX_CHARS = 128
N_MIN = 1
N_MAX = 4


def wrap(text: str, max_chars: int = MAX_CHARS) -> str:
    """Spaces mark the start and end of the text, so n-grams can tell a word's edge ("_teen" vs "canteen")."""
    return f" {text[:max_chars]} "


def char_ids(texts: Sequence[str], max_chars: int = MAX_CHARS) -> np.ndarray:
    """The int64 [batch, length] tensor of code points the ONNX head reads; 0 pads (no text contains U+0000
    after normalisation, so no n-gram with a 0 is in the vocabulary)."""
    wrapped = [wrap(t, max_chars) for t in texts]
    width = max((len(w) for w in wrapped), default=2)
    out = np.zeros((len(wrapped), width), dtype=np.int64)
    for row, text in enumerate(wrapped):
        out[row, :len(text)] = [ord(ch) for ch in text]
    return out


def char_ngrams(text: str, n_min: int = N_MIN, n_max: int = N_MAX, max_chars: int = MAX_CHARS) -> list[tuple[int, ...]]:
    """Every n-gram of code points (n_min..n_max) of the wrapped text, with repeats: the training analyzer."""
    codes = tuple(ord(ch) for ch in wrap(text, max_chars))
    return [codes[i:i + n] for n in range(n_min, n_max + 1) for i in range(len(codes) - n + 1)]
