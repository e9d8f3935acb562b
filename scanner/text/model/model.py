"""Text model at run time: onnxruntime and tokenizers only (never torch), batched, cached, explainable.

A model directory holds ``head.onnx`` (code-point n-gram TF-IDF + linear layer + softmax, see
``scanner.text.model.graph``), ``meta.json`` (version, labels, figures), and, when the head reads sentence
embeddings, either the static table distilled from multilingual-e5-small (``static_e5.npz`` +
``static_tokenizer.json``, ``scanner.text.model.static``) or an ONNX encoder (``encoder.onnx`` +
``tokenizer.json``). Heads retrained by ``groupscan train`` live in their own directory and point at the shared
encoder through ``meta.json``'s ``encoder_dir``.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scanner.files.resources import ResourceError, package_path
from scanner.text.model.encoder import OnnxEncoder
from scanner.text.model.gate import GateError, GateSettings, WordGate, lift, read_gate_settings
from scanner.text.model.ngrams import char_ids
from scanner.text.model.priors import harm_offsets, shift_priors
from scanner.text.model.static import StaticEncoder, has_static_table

#: The e5 head of the cascade (``scanner.text.model.train.EmbeddingHead``), beside ``head.onnx``.
E5_HEAD_FILE = "e5_head.npz"


def _shipped_model_dir() -> Path:
    """The model that ships with groupscan: package data of ``models.text`` (the wheel installs ``models`` beside
    ``scanner``). An editable install made before ``models`` was a listed package does not map it: then the
    checkout's own ``models/text``."""
    try:
        return package_path("models", "text")
    except ResourceError:
        return Path(__file__).resolve().parents[2] / "models" / "text"


#: The model that ships with groupscan (rebuilt by ``python -m models.text.build``).
DEFAULT_MODEL_DIR = _shipped_model_dir()


class TextModelError(RuntimeError):
    """A model directory that cannot be loaded (missing file, wrong shape, unreadable ONNX)."""


def _session(path: Path, threads: int):
    import onnxruntime as ort

    if not path.is_file():
        raise TextModelError(f"{path}: model file not found")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own untyped errors
        raise TextModelError(f"{path}: cannot load ONNX model: {error}") from error


def default_threads() -> int:
    """All cores up to 2: the target machine has 2, and more threads on tiny batches only add overhead."""
    return max(1, min(2, os.cpu_count() or 1))


class Encoder:
    """MiniLM sentence encoder (mean pooling and L2 norm are inside the ONNX graph).

    Each text runs on its own (no padding, no batch): the int8 graph quantises activations with one scale per
    call, so a batched text's embedding would depend on its batch neighbours (measured: cosine 0.98, enough to
    move a probability by 0.4). Scores must not depend on batch order, so texts run one per call, on a pool of
    ``threads`` workers each with a one-thread session (onnxruntime releases the GIL while it runs).
    """

    def __init__(self, directory: Path, threads: int | None = None, max_length: int = 64):
        from tokenizers import Tokenizer

        tokenizer_path = directory / "tokenizer.json"
        if not tokenizer_path.is_file():
            raise TextModelError(f"{tokenizer_path}: tokenizer file not found")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()
        self.threads = threads or default_threads()
        self.session = _session(directory / "encoder.onnx", 1)
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def _one(self, ids: list[int]) -> np.ndarray:
        feed = {"input_ids": np.array([ids], dtype=np.int64), "attention_mask": np.ones((1, len(ids)), np.int64)}
        return self.session.run(None, feed)[0][0]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        if self.threads == 1 or len(texts) < 8:
            for row, item in enumerate(ids):
                out[row] = self._one(item)
            return out
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            for row, vector in enumerate(pool.map(self._one, ids, chunksize=32)):
                out[row] = vector
        return out


def load_encoder(directory: Path, threads: int | None = None) -> Encoder | StaticEncoder:
    """The encoder a head reads: the static table distilled from multilingual-e5-small when the directory has
    one (``models/text/static_e5.py``), else the ONNX sentence encoder."""
    if has_static_table(directory):
        return StaticEncoder(directory)
    return Encoder(directory, threads)


@dataclass(frozen=True)
class Cascade:
    """Second opinion on the texts the n-gram head is unsure about: where its top harm probability is in
    [low, high), the probabilities become ``mix x n-gram + (1 - mix) x e5 head``.

    Why only there: the encoder reads ~100-200 texts/s against the head's thousands, and most texts are plainly
    benign (below ``low``) or plainly harmful (``high`` and up). Settings from grouped cross-validation on the
    blind training rows (``models/text/blind_cv.py``)."""

    low: float
    high: float
    mix: float
    weights: np.ndarray  # [dimension, labels], temperature and prior folded in
    bias: np.ndarray

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        logits = embeddings @ self.weights + self.bias
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def read_cascade(directory: Path, meta: dict, labels: Sequence[str]) -> Cascade | None:
    settings = meta.get("cascade")
    if not settings:
        return None
    path = directory / settings.get("head", E5_HEAD_FILE)
    if not path.is_file():
        raise TextModelError(f"{path}: the e5 head named by meta.json is missing")
    with np.load(path, allow_pickle=False) as data:
        weights, bias = data["weights"].astype(np.float32), data["bias"].astype(np.float32)
        head_labels = [str(x) for x in data["labels"]]
    if head_labels != list(labels):
        raise TextModelError(f"{path}: labels {head_labels} differ from meta.json's {list(labels)}")
    return Cascade(float(settings["low"]), float(settings["high"]), float(settings["mix"]), weights, bias)


@dataclass(frozen=True)
class FieldReading:
    """How texts of one field (``name``, ``description``) are read: the cascade's band and mix for that field,
    and a log-odds offset added to every harm category after the per-category prior.

    Why a reading per field: the benign prior (0.999) and the per-category prior were chosen so that few *real
    public group names* are flagged, the project's false-positive measure. Descriptions are longer and say more;
    blind benign descriptions, look-alikes included, are rarely flagged even at a far lower line, while the
    harmful descriptions (scam promises, calls to gather) mostly sit below the names' line. So descriptions get
    the e5 encoder's reading on every text (band from 0) and their own prior, chosen on the blind development
    sets' descriptions in aggregate and on the blind graph worlds' benign groups (``models/text/MODEL_CARD.md``).
    A field with no entry in ``meta.json`` ``fields`` is read as names are."""

    low: float
    high: float
    mix: float
    harm_shift: float = 0.0
    #: (label, offset) pairs added to ``harm_shift`` for single categories (``meta.json`` ``fields.<f>.category_shift``)
    category_shift: tuple[tuple[str, float], ...] = ()
    #: a second way to the encoder for texts below ``low`` (``fields.<f>.gate``, ``scanner.text.model.gate``)
    gate: GateSettings | None = None

    def offsets(self, labels: Sequence[str]) -> np.ndarray:
        """Log-odds offset per label: 0 for benign, ``harm_shift`` plus the category's own for the others."""
        return harm_offsets(labels, self.harm_shift, self.category_shift)


def read_field_readings(meta: dict, cascade: Cascade | None, labels: Sequence[str] = ()) -> dict[str, FieldReading]:
    """``meta.json`` ``fields``: {field: {"cascade_low", "cascade_high", "cascade_mix", "harm_shift",
    "category_shift": {label: offset}, "gate": {...}}}."""
    readings: dict[str, FieldReading] = {}
    for field, settings in (meta.get("fields") or {}).items():
        if not isinstance(settings, dict):
            raise TextModelError(f"meta.json fields.{field} must be an object")
        unknown = sorted(set(settings) - {"cascade_low", "cascade_high", "cascade_mix", "harm_shift", "category_shift",
                                          "gate"})
        if unknown:
            raise TextModelError(f"meta.json fields.{field} has unknown settings {unknown}")
        own = settings.get("category_shift") or {}
        bad = sorted(set(own) - set(labels) | ({"benign"} & set(own)))
        if bad:
            raise TextModelError(f"meta.json fields.{field}.category_shift names unknown or benign labels {bad}")
        readings[field] = FieldReading(
            float(settings.get("cascade_low", cascade.low if cascade else 1.0)),
            float(settings.get("cascade_high", cascade.high if cascade else 1.0)),
            float(settings.get("cascade_mix", cascade.mix if cascade else 1.0)),
            float(settings.get("harm_shift", 0.0)),
            tuple(sorted((str(k), float(v)) for k, v in own.items())),
            _gate_settings(field, settings, labels))
    return readings


def _gate_settings(field: str, settings: dict, labels: Sequence[str]) -> GateSettings | None:
    if "gate" not in settings:
        return None
    try:
        return read_gate_settings(field, settings["gate"], labels)
    except GateError as error:
        raise TextModelError(str(error)) from error


def read_category_shift(meta: dict, labels: Sequence[str]) -> np.ndarray | None:
    """``meta.json`` ``category_shift``: a log-odds offset per harm category, added after the cascade.

    Why: one benign prior for every category (the heads' Saerens shift) trades each category's recall against
    false flags at the same rate, but real public names cost differently per category (money and "videos 18+"
    names are common, child-safety look-alikes rare). The offsets are a per-category prior, chosen on blind dev
    and public names in aggregate (``models/text/MODEL_CARD.md``), never on the sealed set."""
    settings = meta.get("category_shift")
    if not settings:
        return None
    unknown = sorted(set(settings) - set(labels))
    if unknown:
        raise TextModelError(f"meta.json category_shift names unknown labels {unknown}")
    return np.array([float(settings.get(label, 0.0)) for label in labels], dtype=np.float32)


@dataclass(frozen=True)
class ModelInfo:
    version: str
    labels: tuple[str, ...]
    directory: Path
    uses_encoder: bool
    meta: dict


def read_meta(directory: Path) -> dict:
    path = directory / "meta.json"
    if not path.is_file():
        raise TextModelError(f"{path}: not a text model directory (no meta.json)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise TextModelError(f"{path}: {error}") from error


class TextModel:
    """Scores normalised texts; results are cached by text because group names repeat a lot."""

    def __init__(self, directory: Path | None = None, threads: int | None = None, cache_size: int = 200_000,
                 batch_size: int = 128):
        directory = Path(directory or DEFAULT_MODEL_DIR)
        meta = read_meta(directory)
        threads = threads or default_threads()
        self.head = _session(directory / "head.onnx", threads)
        inputs = {i.name for i in self.head.get_inputs()}
        uses_encoder = "embedding" in inputs
        self.encoder: Encoder | StaticEncoder | None = None
        if uses_encoder:
            encoder_dir = (directory / meta.get("encoder_dir", ".")).resolve()
            self.encoder = load_encoder(encoder_dir, threads)
        labels = tuple(meta["labels"])
        width = int(self.head.get_outputs()[0].shape[-1])
        if width != len(labels):
            raise TextModelError(f"{directory}: head has {width} outputs but meta.json names {len(labels)} labels")
        self.info = ModelInfo(str(meta["version"]), labels, directory, uses_encoder, meta)
        self.cascade = read_cascade(directory, meta, labels)
        self.category_shift = read_category_shift(meta, labels)
        self.readings = read_field_readings(meta, self.cascade, labels)
        for field, reading in self.readings.items():
            if reading.gate is not None and not (directory / reading.gate.table).is_file():
                raise TextModelError(f"{directory}: meta.json fields.{field}.gate names {reading.gate.table}, "
                                     "which is missing (python -m models.text.static_gate)")
        self._e5_dir = (directory / meta["cascade"].get("encoder_dir", ".")).resolve() if self.cascade else None
        self._e5: OnnxEncoder | None = None
        self._threads = threads
        self.encoded = 0  # texts the cascade sent to the e5 encoder
        self.gated = 0  # of which through the word gate (texts under the band)
        self._gate: WordGate | None = None
        self.batch_size = batch_size
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self.hits = 0
        self.misses = 0

    @property
    def version(self) -> str:
        return self.info.version

    @property
    def labels(self) -> tuple[str, ...]:
        return self.info.labels

    def reading(self, field: str) -> str:
        """The reading a field's texts get: its own if ``meta.json`` names it, else the names' (``"name"``)."""
        return field if field in self.readings else "name"

    def _run(self, texts: Sequence[str], field: str = "name", band_of_names: bool = False) -> np.ndarray:
        reading = self.readings.get(field)
        if reading is not None and band_of_names and self.cascade is not None:
            reading = FieldReading(self.cascade.low, self.cascade.high, self.cascade.mix, reading.harm_shift,
                                   reading.category_shift, reading.gate)
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        embeddings = self.encoder.encode(texts) if self.encoder is not None else None
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start:start + self.batch_size]
            feeds: dict[str, np.ndarray] = {"chars": char_ids(chunk)}
            if embeddings is not None:
                feeds["embedding"] = embeddings[start:start + self.batch_size]
            out[start:start + len(chunk)] = self.head.run(None, feeds)[0]
        if self.cascade is not None and len(texts):
            ngram = out
            out = self._second_opinion(texts, out, reading)
            if reading is not None and reading.gate is not None:
                out = self._gated(texts, out, ngram, reading)
        shift = self.category_shift
        if reading is not None and (reading.harm_shift or reading.category_shift):
            extra = reading.offsets(self.labels)
            shift = extra if shift is None else shift + extra
        if shift is not None and len(texts):
            out = shift_priors(out, shift)
        return out

    def _second_opinion(self, texts: Sequence[str], ngram: np.ndarray,
                        reading: FieldReading | None = None) -> np.ndarray:
        cascade = self.cascade
        assert cascade is not None and self._e5_dir is not None
        low, high, mix = (reading.low, reading.high, reading.mix) if reading else (cascade.low, cascade.high,
                                                                                  cascade.mix)
        harm = ngram[:, 1:].max(axis=1)
        rows = np.flatnonzero((harm >= low) & (harm < high))
        if rows.size == 0:
            return ngram
        if self._e5 is None:  # loaded on first use: a scan with no unsure text never pays for it
            self._e5 = OnnxEncoder(self._e5_dir, self._threads)
        self.encoded += int(rows.size)
        e5 = cascade.probabilities(self._e5.encode([texts[int(i)] for i in rows]))
        out = ngram.copy()
        out[rows] = (mix * ngram[rows] + (1 - mix) * e5).astype(np.float32)
        return out

    def _gated(self, texts: Sequence[str], current: np.ndarray, ngram: np.ndarray,
               reading: FieldReading) -> np.ndarray:
        """Texts under the band whose static-table gate score clears the gate's threshold: the encoder's reading
        lifts the gate's categories (``scanner.text.model.gate``)."""
        settings, cascade = reading.gate, self.cascade
        assert settings is not None and cascade is not None and self._e5_dir is not None
        below = np.flatnonzero(ngram[:, 1:].max(axis=1) < reading.low)
        if below.size == 0:
            return current
        if self._gate is None:
            self._gate = WordGate(self.info.directory, settings.table)
        chosen = below[self._gate.scores([texts[int(i)] for i in below]) >= settings.threshold]
        if chosen.size == 0:
            return current
        if self._e5 is None:
            self._e5 = OnnxEncoder(self._e5_dir, self._threads)
        self.encoded += int(chosen.size)
        self.gated += int(chosen.size)
        e5 = cascade.probabilities(self._e5.encode([texts[int(i)] for i in chosen]))
        out = current.copy()
        out[chosen] = lift(current[chosen], e5, settings, self.labels)
        return out

    def predict(self, texts: Sequence[str], field: str = "name") -> np.ndarray:
        """Probabilities [len(texts), len(labels)] for normalised texts of ``field``; each distinct text is scored
        once per reading (``FieldReading``)."""
        reading = self.reading(field)
        unique = [t for t in dict.fromkeys(texts) if (reading, t) not in self._cache]
        self.misses += len(unique)
        self.hits += len(texts) - len(unique)
        if unique:
            for text, row in zip(unique, self._run(unique, reading), strict=True):
                self._cache[(reading, text)] = row
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return np.stack([self._cache[(reading, t)] for t in texts])

    def explain(self, text: str, label: str, top: int = 3, field: str = "name") -> list[tuple[str, float]]:
        """Which words of ``text`` pushed ``label`` up: drop each word in turn and see how far the probability
        falls (occlusion). Returns up to ``top`` (word, effect) pairs, largest first, effects above 0.02 only.

        When the words are redundant (several each enough alone), no single drop moves a saturated probability;
        then each word is scored alone instead, and the effect is that word's own probability."""
        words = text.split()
        if not words:
            return []
        column = self.labels.index(label)
        variants = [" ".join(words[:i] + words[i + 1:]) for i in range(len(words))]
        # Occluded variants go through the names' cascade band (with the field's prior): through the encoder,
        # each flagged description would cost two encodings per word.
        probs = self._run([text, *variants, *words], self.reading(field), band_of_names=True)
        base = float(probs[0, column])
        drops = [(words[i], base - float(probs[i + 1, column])) for i in range(len(words))]
        found = [(w, d) for w, d in drops if d > 0.02]
        if not found:
            alone = probs[len(words) + 1:, column]
            found = [(w, float(p)) for w, p in zip(words, alone, strict=True) if p > 0.1]
        return sorted(found, key=lambda item: -item[1])[:top]
