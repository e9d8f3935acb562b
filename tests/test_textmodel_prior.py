"""The text model's per-category prior (``meta.json`` ``category_shift``), applied after the cascade."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from scanner.text.model.model import DEFAULT_MODEL_DIR, TextModel, TextModelError, read_category_shift, shift_priors
from scanner.text.normalize import normalize

LABELS = ("benign", "child_safety", "scam")


def test_a_shift_multiplies_each_labels_odds_and_keeps_a_distribution():
    p = np.array([[0.90, 0.06, 0.04], [0.2, 0.3, 0.5]], dtype=np.float32)
    shifted = shift_priors(p, np.array([0.0, np.log(4.0), 0.0], dtype=np.float32))
    assert np.allclose(shifted.sum(axis=1), 1.0)
    # Odds of child_safety against every other label grow 4-fold; the others' ratios stay.
    assert np.allclose(shifted[:, 1] / shifted[:, 0], 4 * p[:, 1] / p[:, 0], rtol=1e-5)
    assert np.allclose(shifted[:, 2] / shifted[:, 0], p[:, 2] / p[:, 0], rtol=1e-5)
    assert np.array_equal(shift_priors(p, np.zeros(3, np.float32)).round(6), p.round(6))


def test_the_shift_is_read_by_label_name_and_unknown_labels_are_refused():
    assert read_category_shift({}, LABELS) is None
    assert read_category_shift({"category_shift": {"scam": 1.5}}, LABELS).tolist() == [0.0, 0.0, 1.5]
    with pytest.raises(TextModelError, match="unknown labels"):
        read_category_shift({"category_shift": {"child_safty": 2}}, LABELS)


def test_the_shipped_model_reads_with_its_prior_and_without_it_differently(tmp_path):
    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    assert meta.get("category_shift"), "the shipped model declares its per-category prior"
    plain = tmp_path / "plain"
    plain.mkdir()
    for path in DEFAULT_MODEL_DIR.iterdir():
        if path.is_file() and path.name != "meta.json":
            (plain / path.name).symlink_to(path)
    meta_plain = dict(meta)
    meta_plain.pop("category_shift")
    (plain / "meta.json").write_text(json.dumps(meta_plain), encoding="utf-8")
    texts = [normalize(t).text for t in ("Sundarpur cricket club", "teen paid new link", "earn daily income")]
    shipped, without = TextModel(DEFAULT_MODEL_DIR), TextModel(plain)
    with_prior, no_prior = shipped.predict(texts), without.predict(texts)
    shift = read_category_shift(meta, shipped.labels)
    assert np.allclose(with_prior, shift_priors(no_prior, shift), atol=1e-5)
    assert not np.allclose(with_prior, no_prior)
    shutil.rmtree(plain)
