"""Static sentence embeddings distilled from multilingual-e5-small: a text is the mean of its tokens' vectors.

Why: the encoder itself reads 60-170 names/s on one core, the scan needs thousands; a table of token vectors
(``models/text/static_e5.py`` builds it from the encoder, model2vec-style) keeps much of what the encoder knows
about words in many scripts (translations and spellings of a word sit near each other) at numpy speed. Run time
needs ``tokenizers`` and numpy only.

Files in the model directory: ``static_tokenizer.json`` (a Unigram tokenizer over the distilled pieces only, so
every token has a vector; id 0 is ``<unk>``, a zero vector) and ``static_e5.npz`` (int8 ``vectors`` [pieces,
dim] and one float ``scales`` per row).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

TOKENIZER_FILE = "static_tokenizer.json"
TABLE_FILE = "static_e5.npz"


class StaticEncodingError(RuntimeError):
    """A static embedding table that cannot be loaded."""


def has_static_table(directory: Path) -> bool:
    return (directory / TABLE_FILE).is_file() and (directory / TOKENIZER_FILE).is_file()


class StaticEncoder:
    """Same interface as ``scanner.text.model.model.Encoder``: ``encode(texts) -> [n, dimension]``, L2-normalised
    (a text with no known token is a zero vector)."""

    def __init__(self, directory: Path, max_tokens: int = 256):
        from tokenizers import Tokenizer

        if not has_static_table(directory):
            raise StaticEncodingError(f"{directory}: no {TABLE_FILE} + {TOKENIZER_FILE}")
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        with np.load(directory / TABLE_FILE, allow_pickle=False) as data:
            self.table = data["vectors"].astype(np.float32) * data["scales"][:, None]
        if self.table.shape[0] != self.tokenizer.get_vocab_size():
            raise StaticEncodingError(f"{directory}: table has {self.table.shape[0]} rows, tokenizer "
                                      f"{self.tokenizer.get_vocab_size()} pieces")
        self.dimension = int(self.table.shape[1])

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Mean of token vectors per text, L2-normalised; all texts in one gather and one segment sum."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids = self.ids(texts)
        lengths = np.array([len(i) for i in ids])
        rows = np.flatnonzero(lengths)
        if rows.size == 0:
            return out
        flat = np.fromiter((t for i in ids for t in i), dtype=np.int64, count=int(lengths.sum()))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[rows]
        out[rows] = np.add.reduceat(self.table[flat], starts, axis=0) / lengths[rows, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """The slow, obviously correct twin of ``encode`` for one text (tests compare them)."""
        ids = self.tokenizer.encode(text).ids
        if not ids:
            return np.zeros(self.dimension, dtype=np.float32)
        vector = sum((self.table[i] for i in ids), np.zeros(self.dimension, dtype=np.float32)) / len(ids)
        norm = float(np.linalg.norm(vector))
        return (vector / norm if norm > 0 else vector).astype(np.float32)
