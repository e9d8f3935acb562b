"""Fitting the text head: code-point n-gram TF-IDF (+ sentence embeddings) -> multinomial logistic regression,
then temperature scaling so the softmax output is a calibrated probability.

Used by the build (``python -m models.text.build``) and by ``groupscan train`` (the same code on the base corpus
plus moderators' decisions). scikit-learn is needed only here, never to score.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy import sparse

from scanner.text.model.ngrams import N_MAX, N_MIN, char_ngrams


@dataclass(frozen=True)
class HeadConfig:
    max_features: int = 40_000
    min_df: int = 2
    regularisation: float = 8.0  # scikit-learn's C: larger fits the training data harder
    use_embedding: bool = True
    embedding_scale: float = 1.0
    calibration_folds: int = 3
    # The share of benign texts the model should assume in real traffic. The corpus is mostly harmful by design
    # (a quarter benign); real group names are overwhelmingly benign, so the softmax's prior is shifted to this
    # (Saerens et al., 2002) after calibration. None keeps the corpus prior.
    benign_prior: float | None = 0.9
    seed: int = 13


@dataclass
class FittedHead:
    labels: tuple[str, ...]
    vocabulary: list[tuple[int, ...]]
    idf: np.ndarray
    ngram_weights: np.ndarray  # [vocabulary, labels], already divided by the temperature
    bias: np.ndarray
    embedding_weights: np.ndarray | None
    temperature: float
    config: HeadConfig
    figures: dict = field(default_factory=dict)


def _analyzer(text: str) -> list[tuple[int, ...]]:
    return char_ngrams(text, N_MIN, N_MAX)


def vectorizer(config: HeadConfig, vocabulary: Sequence[tuple[int, ...]] | None = None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    if vocabulary is not None:
        return TfidfVectorizer(analyzer=_analyzer, sublinear_tf=True, vocabulary={g: i for i, g in
                                                                                 enumerate(vocabulary)})
    return TfidfVectorizer(analyzer=_analyzer, sublinear_tf=True, min_df=config.min_df,
                           max_features=config.max_features)


def _design(ngram_matrix, embeddings: np.ndarray | None, config: HeadConfig):
    if embeddings is None or not config.use_embedding:
        return ngram_matrix.tocsr()
    return sparse.hstack([ngram_matrix, sparse.csr_matrix(embeddings * config.embedding_scale)]).tocsr()


def _fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood on held-back rows (Guo et al., 2017)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        scaled = logits / np.exp(log_t)
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        return float(-log_probs[np.arange(len(targets)), targets].mean())

    return float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))


def _classifier(config: HeadConfig):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=config.regularisation, max_iter=3000, tol=1e-5)


def _out_of_fold_logits(texts: Sequence[str], targets: np.ndarray, embeddings: np.ndarray | None,
                        groups: Sequence[str], config: HeadConfig, sample_weight: np.ndarray | None) -> np.ndarray:
    """Logits for every row from a model that never saw the row's template (3 folds grouped by template).

    Why not a random calibration split: rows from the same template are near-copies, so a random split calibrates
    on data the model has all but memorised and the temperature comes out far too sharp (measured: T = 0.05).
    """
    from sklearn.model_selection import GroupKFold

    logits = np.zeros((len(texts), int(targets.max()) + 1))
    for fit_rows, cal_rows in GroupKFold(n_splits=config.calibration_folds).split(texts, targets, groups):
        vec = vectorizer(config)
        design = _design(vec.fit_transform([texts[i] for i in fit_rows]),
                         embeddings[fit_rows] if embeddings is not None else None, config)
        classifier = _classifier(config)
        classifier.fit(design, targets[fit_rows],
                       sample_weight=sample_weight[fit_rows] if sample_weight is not None else None)
        cal = _design(vec.transform([texts[i] for i in cal_rows]),
                      embeddings[cal_rows] if embeddings is not None else None, config)
        logits[np.ix_(cal_rows, classifier.classes_)] = classifier.decision_function(cal)
    return logits


def fit_head(texts: Sequence[str], labels: Sequence[str], label_names: Sequence[str],
             embeddings: np.ndarray | None, config: HeadConfig, groups: Sequence[str] | None = None,
             sample_weight: np.ndarray | None = None) -> FittedHead:
    """Fit on all rows; calibrate the temperature on out-of-fold logits grouped by ``groups`` (the template each
    row came from; decisions from moderators each form their own group). ``texts`` are normalised."""
    targets = np.array([label_names.index(label) for label in labels])
    use_embedding = config.use_embedding and embeddings is not None
    embeddings = embeddings if use_embedding else None
    vec = vectorizer(config)
    ngrams = vec.fit_transform(texts)
    vocabulary: list[tuple[int, ...]] = [g for g, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]
    classifier = _classifier(config)
    classifier.fit(_design(ngrams, embeddings, config), targets, sample_weight=sample_weight)
    if list(classifier.classes_) != list(range(len(label_names))):
        raise ValueError("every label needs training rows; missing: "
                         f"{sorted(set(label_names) - {label_names[c] for c in classifier.classes_})}")
    temperature = 1.0
    if groups is not None and len(set(groups)) >= config.calibration_folds:
        oof = _out_of_fold_logits(texts, targets, embeddings, groups, config, sample_weight)
        temperature = _fit_temperature(oof, targets)
    coef = classifier.coef_.T / temperature  # [features, labels]
    bias = classifier.intercept_ / temperature
    if config.benign_prior is not None and "benign" in label_names:
        weights = sample_weight if sample_weight is not None else np.ones(len(targets))
        benign = label_names.index("benign")
        corpus_benign = float(weights[targets == benign].sum() / weights.sum())
        shift = np.full(len(label_names), np.log((1 - config.benign_prior) / (1 - corpus_benign)))
        shift[benign] = np.log(config.benign_prior / corpus_benign)
        bias = bias + shift
    size = len(vocabulary)
    embedding_weights = coef[size:] * config.embedding_scale if embeddings is not None else None
    return FittedHead(tuple(label_names), vocabulary, vec.idf_.astype(np.float32), coef[:size],
                      bias, embedding_weights, temperature, config)


def reference_probabilities(head: FittedHead, texts: Sequence[str], embeddings: np.ndarray | None) -> np.ndarray:
    """The head's output computed with scikit-learn and numpy: what the ONNX graph must reproduce."""
    vec = vectorizer(head.config, head.vocabulary)
    vec.idf_ = head.idf.astype(np.float64)
    logits = vec.transform(texts) @ head.ngram_weights + head.bias
    if head.embedding_weights is not None and embeddings is not None:
        logits = logits + embeddings @ head.embedding_weights
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def write_head(head: FittedHead, directory: Path, version: str, encoder_dir: str | None,
               extra_meta: dict | None = None) -> Path:
    """Writes ``head.onnx`` and ``meta.json`` into ``directory``; returns the head's path."""
    from scanner.text.model.graph import build_head, save

    directory.mkdir(parents=True, exist_ok=True)
    model = build_head(head.vocabulary, head.idf, head.ngram_weights, head.bias, head.embedding_weights,
                       head.labels, {"version": version})
    path = directory / "head.onnx"
    save(model, path)
    meta = {
        "version": version,
        "labels": list(head.labels),
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "head_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "ngram_range": [N_MIN, N_MAX],
        "vocabulary_size": len(head.vocabulary),
        "temperature": round(head.temperature, 4),
        "uses_encoder": head.embedding_weights is not None,
        "config": {k: v for k, v in vars(head.config).items()},
        **({"encoder_dir": encoder_dir} if encoder_dir and head.embedding_weights is not None else {}),
        **(extra_meta or {}),
    }
    (directory / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


#: Sentence vectors are unit length (each of 384 components ~0.05); scaled so that one regularisation strength
#: means the same as on standardised features.
EMBEDDING_GAIN = 20.0


@dataclass
class EmbeddingHead:
    """Multinomial logistic regression on e5 sentence vectors: ``softmax(embedding @ weights + bias)``, the
    temperature and the benign prior already folded into ``weights`` and ``bias``."""

    labels: tuple[str, ...]
    weights: np.ndarray  # [dimension, labels]
    bias: np.ndarray  # [labels]
    temperature: float
    regularisation: float


def _prior_shift(targets: np.ndarray, weights: np.ndarray, label_names: Sequence[str],
                 benign_prior: float | None) -> np.ndarray:
    """Saerens et al. (2002): move the softmax's prior from the training mix to ``benign_prior`` benign."""
    shift = np.zeros(len(label_names))
    if benign_prior is None or "benign" not in label_names:
        return shift
    benign = label_names.index("benign")
    corpus_benign = float(weights[targets == benign].sum() / weights.sum())
    shift[:] = np.log((1 - benign_prior) / (1 - corpus_benign))
    shift[benign] = np.log(benign_prior / corpus_benign)
    return shift


def fit_embedding_head(embeddings: np.ndarray, labels: Sequence[str], label_names: Sequence[str],
                       regularisation: float = 1.0, groups: Sequence[str] | None = None,
                       sample_weight: np.ndarray | None = None, benign_prior: float | None = 0.9,
                       folds: int = 3) -> EmbeddingHead:
    """Fit on all rows; temperature from out-of-fold logits grouped by ``groups`` (as ``fit_head``)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    targets = np.array([label_names.index(label) for label in labels])
    x = embeddings.astype(np.float64) * EMBEDDING_GAIN
    weights = sample_weight if sample_weight is not None else np.ones(len(targets))

    def classifier() -> LogisticRegression:
        # 384 dense features: a looser tolerance than the sparse n-gram head's costs nothing measurable in
        # probability (< 0.01) and saves minutes per fit.
        return LogisticRegression(C=regularisation, max_iter=500, tol=1e-3)

    model = classifier().fit(x, targets, sample_weight=weights)
    if list(model.classes_) != list(range(len(label_names))):
        raise ValueError("every label needs training rows")
    temperature = 1.0
    if groups is not None and len(set(groups)) >= folds:
        logits = np.zeros((len(targets), len(label_names)))
        for fit_rows, cal_rows in GroupKFold(n_splits=folds).split(x, targets, groups):
            part = classifier().fit(x[fit_rows], targets[fit_rows], sample_weight=weights[fit_rows])
            logits[np.ix_(cal_rows, part.classes_)] = part.decision_function(x[cal_rows])
        temperature = _fit_temperature(logits, targets)
    coef = model.coef_.T * EMBEDDING_GAIN / temperature
    bias = model.intercept_ / temperature + _prior_shift(targets, weights, label_names, benign_prior)
    return EmbeddingHead(tuple(label_names), coef.astype(np.float32), bias.astype(np.float32), temperature,
                         regularisation)


def embedding_probabilities(head: EmbeddingHead, embeddings: np.ndarray) -> np.ndarray:
    logits = embeddings @ head.weights + head.bias
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)


def write_embedding_head(head: EmbeddingHead, directory: Path, name: str = "e5_head.npz") -> Path:
    path = directory / name
    np.savez(path, weights=head.weights, bias=head.bias, labels=np.array(head.labels))
    return path
