"""The word gate (``meta.json`` ``fields.name.gate``, ``scanner.text.model.gate``): names the n-gram head gives
no harm reach the encoder when the static-table gate says they may be harmful, and the encoder's reading lifts
only the gate's categories."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scanner.text.model.corpus import read_corpus
from scanner.text.model.gate import GATE_FILE, GateError, GateSettings, WordGate, lift, read_gate_settings
from scanner.text.model.model import DEFAULT_MODEL_DIR, TextModel, TextModelError
from scanner.text.normalize import normalize

LABELS = ("benign", "child_safety", "sexual_solicitation", "incitement", "adult_content", "scam")
GATE = {"table": GATE_FILE, "threshold": 0.3, "shift": -1.0, "categories": ["child_safety"]}


def _model_dir(tmp_path, gate: dict | None):
    """The shipped model's files with ``fields.name.gate`` set (or removed)."""
    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    directory = tmp_path / ("gated" if gate else "plain")
    directory.mkdir(parents=True)
    for path in DEFAULT_MODEL_DIR.iterdir():
        if path.is_file() and path.name != "meta.json":
            (directory / path.name).symlink_to(path)
    name = dict(meta.get("fields", {}).get("name", {}))
    name.pop("gate", None)
    if gate:
        name["gate"] = gate
    meta.setdefault("fields", {})["name"] = name
    (directory / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def names():
    """Synthetic held-out names (our corpus, not a blind set): many carry words the n-grams never saw."""
    corpus = read_corpus(DEFAULT_MODEL_DIR / "base_corpus.tsv.gz")
    rows = [e for e in corpus if e.split == "heldout"][:160]
    texts = [normalize(e.text).text for e in rows] + [normalize("Family group").text, normalize("Office team").text]
    return list(dict.fromkeys(texts))  # distinct: the model scores each distinct text once


@pytest.mark.parametrize("settings, message", [
    ({"threshold": 0.3, "categories": ["child_safety"], "colour": 1}, "unknown settings"),
    ({"threshold": 0.3, "categories": ["benign"]}, "harm labels"),
    ({"threshold": 0.3, "categories": []}, "harm labels"),
    ({"threshold": 1.5, "categories": ["child_safety"]}, "threshold"),
    ("yes", "must be an object"),
    ({"threshold": 0.3, "categories": ["child_safety"], "category_shift": {"scam": 1.0}}, "does not lift"),
    ({"threshold": 0.3, "categories": ["child_safety"], "category_shift": [1.0]}, "category_shift must be"),
])
def test_bad_gate_settings_are_refused(settings, message):
    with pytest.raises(GateError, match=message):
        read_gate_settings("name", settings, LABELS)


def test_gate_scores_match_their_slow_twin(names):
    gate = WordGate(DEFAULT_MODEL_DIR)
    fast = gate.scores(names[:40])
    slow = np.array(gate.scores_slow(names[:40]))
    assert np.allclose(fast, slow, atol=1e-4)
    assert ((fast >= 0) & (fast <= 1)).all() and fast.std() > 0.05


def test_lift_raises_only_the_gated_categories_and_never_lowers():
    current = np.array([[0.90, 0.02, 0.03, 0.02, 0.02, 0.01], [0.20, 0.60, 0.10, 0.05, 0.03, 0.02]], np.float32)
    encoder = np.array([[0.10, 0.70, 0.15, 0.02, 0.02, 0.01], [0.90, 0.05, 0.02, 0.01, 0.01, 0.01]], np.float32)
    out = lift(current, encoder, GateSettings(GATE_FILE, 0.3, 0.0, ("child_safety",)), LABELS)
    assert out[0, 1] > 0.5 and out[0, 1] > current[0, 1]           # raised to the encoder's reading
    assert out[1, 1] == pytest.approx(current[1, 1], abs=1e-6)      # never lowered
    assert out[0, 2] <= current[0, 2] + 1e-6                        # not lifted
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)
    stricter = lift(current, encoder, GateSettings(GATE_FILE, 0.3, -3.0, ("child_safety",)), LABELS)
    assert stricter[0, 1] < out[0, 1]                               # the gate's prior counts


def test_a_category_of_the_gate_takes_its_own_prior():
    current = np.array([[0.90, 0.02, 0.03, 0.02, 0.02, 0.01]], np.float32)
    encoder = np.array([[0.20, 0.30, 0.02, 0.30, 0.17, 0.01]], np.float32)
    both = ("child_safety", "incitement")
    cs, inc = LABELS.index("child_safety"), LABELS.index("incitement")
    same = lift(current, encoder, GateSettings(GATE_FILE, 0.3, -1.0, both), LABELS)
    settings = read_gate_settings("name", {"threshold": 0.3, "shift": -1.0, "categories": list(both),
                                           "category_shift": {"incitement": 1.0}}, LABELS)
    assert settings.offsets(LABELS)[[0, cs, inc]].tolist() == [0.0, -1.0, 0.0]
    own = lift(current, encoder, settings, LABELS)
    assert same[0, cs] == pytest.approx(same[0, inc], abs=1e-6)     # equal readings, equal prior
    assert own[0, inc] > same[0, inc] + 0.02                        # incitement's own, milder prior
    assert own[0, inc] > own[0, cs]
    assert np.allclose(own.sum(axis=1), 1.0, atol=1e-5)


def test_gated_names_reach_the_encoder_and_only_they_change(tmp_path, names):
    plain = TextModel(_model_dir(tmp_path, None))
    gated = TextModel(_model_dir(tmp_path, GATE))
    before, after = plain.predict(names), gated.predict(names)

    # which names the gate should send, worked out independently: n-gram harm under the band, gate score >= 0.3
    ngram_only = TextModel(_model_dir(tmp_path / "n", None))
    ngram_only.cascade = None
    ngram_only.category_shift = None
    ngram_only.readings = {}
    harm = ngram_only.predict(names)[:, 1:].max(axis=1)
    scores = WordGate(DEFAULT_MODEL_DIR).scores(names)
    expected = (harm < plain.cascade.low) & (scores >= GATE["threshold"])
    assert gated.gated == int(expected.sum()) > 0
    assert not expected[-2:].any(), "everyday names stay with the n-grams"

    cs = list(plain.labels).index("child_safety")
    assert (after[:, cs] >= before[:, cs] - 1e-5).all()
    assert (after[expected, cs] > before[expected, cs] + 1e-4).any()
    assert np.allclose(after[~expected], before[~expected], atol=1e-6)


def test_a_gate_the_model_directory_cannot_serve_is_a_model_error(tmp_path):
    with pytest.raises(TextModelError, match="missing"):
        TextModel(_model_dir(tmp_path / "a", {**GATE, "table": "no_such_gate.npz"}))
    with pytest.raises(TextModelError, match="harm labels"):
        TextModel(_model_dir(tmp_path / "b", {**GATE, "categories": ["benign"]}))
