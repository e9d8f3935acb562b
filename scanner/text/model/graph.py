"""Builds the ONNX head: code-point n-gram TF-IDF (+ optional sentence embedding) -> linear layer -> softmax.

Written with ``onnx.helper`` rather than converted from scikit-learn: skl2onnx converts only word tokenizers and
its string operators need OS locales that air-gapped machines often lack. Standard operators on int64 code points
have neither problem, and ``groupscan train`` can write a new head without any converter.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def ngram_pool(vocabulary: Sequence[tuple[int, ...]]) -> tuple[list[int], list[int], list[int], int]:
    """The TfIdfVectorizer attributes for a vocabulary of n-grams whose column is their position in it:
    pool (n-grams grouped by length, ascending), start offsets per length, output column per pooled n-gram."""
    longest = max(len(g) for g in vocabulary)
    pool: list[int] = []
    counts: list[int] = []
    indexes: list[int] = []
    for n in range(1, longest + 1):
        counts.append(len(pool))
        for column, gram in enumerate(vocabulary):
            if len(gram) == n:
                pool.extend(gram)
                indexes.append(column)
    return pool, counts, indexes, longest


def build_head(vocabulary: Sequence[tuple[int, ...]], idf: np.ndarray, ngram_weights: np.ndarray,
               bias: np.ndarray, embedding_weights: np.ndarray | None, labels: Sequence[str],
               metadata: dict[str, str]) -> onnx.ModelProto:
    """``probabilities = softmax(l2norm(sublinear_tf(chars) * idf) @ W_ngram [+ embedding @ W_emb] + b)``.

    Temperature scaling is folded into the weights before this is called, so the graph's output is calibrated.
    """
    pool, counts, indexes, longest = ngram_pool(vocabulary)
    size = len(vocabulary)
    shortest = min(len(g) for g in vocabulary)
    inits = [
        numpy_helper.from_array(idf.astype(np.float32).reshape(1, size), "idf"),
        numpy_helper.from_array(ngram_weights.astype(np.float32), "w_ngram"),
        numpy_helper.from_array(bias.astype(np.float32).reshape(1, -1), "bias"),
        numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one"),
        numpy_helper.from_array(np.array([1e-12], dtype=np.float32), "eps"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("TfIdfVectorizer", ["chars"], ["tf"], mode="TF", min_gram_length=shortest,
                         max_gram_length=longest, max_skip_count=0, ngram_counts=counts, ngram_indexes=indexes,
                         pool_int64s=pool),
        # sublinear tf: 1 + log(tf) where tf > 0, else 0 (log(max(tf, 1)) is 0 at tf = 0 and tf = 1)
        helper.make_node("Max", ["tf", "one"], ["tf_floor"]),
        helper.make_node("Log", ["tf_floor"], ["log_tf"]),
        helper.make_node("Greater", ["tf", "eps"], ["present"]),
        helper.make_node("Cast", ["present"], ["present_f"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["log_tf", "present_f"], ["sub_tf"]),
        helper.make_node("Mul", ["sub_tf", "idf"], ["tfidf"]),
        helper.make_node("Mul", ["tfidf", "tfidf"], ["squares"]),
        helper.make_node("ReduceSum", ["squares", "axis1"], ["sum_sq"], keepdims=1),
        helper.make_node("Add", ["sum_sq", "eps"], ["sum_sq_eps"]),
        helper.make_node("Sqrt", ["sum_sq_eps"], ["norm"]),
        helper.make_node("Div", ["tfidf", "norm"], ["features"]),
        helper.make_node("MatMul", ["features", "w_ngram"], ["logits_ngram"]),
    ]
    inputs = [helper.make_tensor_value_info("chars", TensorProto.INT64, ["batch", "length"])]
    logits = "logits_ngram"
    if embedding_weights is not None:
        inits.append(numpy_helper.from_array(embedding_weights.astype(np.float32), "w_embedding"))
        inputs.append(helper.make_tensor_value_info("embedding", TensorProto.FLOAT,
                                                    ["batch", int(embedding_weights.shape[0])]))
        nodes += [helper.make_node("MatMul", ["embedding", "w_embedding"], ["logits_embedding"]),
                  helper.make_node("Add", ["logits_ngram", "logits_embedding"], ["logits_sum"])]
        logits = "logits_sum"
    nodes += [helper.make_node("Add", [logits, "bias"], ["logits"]),
              helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1)]
    outputs = [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", len(labels)])]
    graph = helper.make_graph(nodes, "groupscan_text_head", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="groupscan")
    model.ir_version = 8
    for key, value in {**metadata, "labels": ",".join(labels)}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return model


def save(model: onnx.ModelProto, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(model, str(path))
