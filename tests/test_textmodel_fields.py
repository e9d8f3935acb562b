"""A reading per field (``meta.json`` ``fields``): descriptions read by the e5 encoder from a lower line and with
their own prior, names as before."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scanner.text.model.model import (
    DEFAULT_MODEL_DIR,
    FieldReading,
    TextModel,
    TextModelError,
    read_field_readings,
    shift_priors,
)
from scanner.text.normalize import normalize

TEXTS = [normalize(t).text for t in (
    "welcome to the village cricket club, practice every sunday at the school ground",
    "join the daily task group, small deposit unlocks higher paying tasks",
    "teen paid new link")]


def _model_dir(tmp_path, fields: dict | None):
    """The shipped model's files with ``meta.json`` ``fields`` replaced."""
    meta = json.loads((DEFAULT_MODEL_DIR / "meta.json").read_text(encoding="utf-8"))
    directory = tmp_path / "model"
    directory.mkdir()
    for path in DEFAULT_MODEL_DIR.iterdir():
        if path.is_file() and path.name != "meta.json":
            (directory / path.name).symlink_to(path)
    meta.pop("fields", None)
    if fields is not None:
        meta["fields"] = fields
    (directory / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return directory


def test_settings_are_read_with_the_cascade_as_default_and_unknown_keys_refused():
    assert read_field_readings({}, None) == {}
    readings = read_field_readings({"fields": {"description": {"cascade_low": 0.0, "harm_shift": 2}}}, None)
    assert readings["description"] == FieldReading(low=0.0, high=1.0, mix=1.0, harm_shift=2.0)
    with pytest.raises(TextModelError, match="unknown settings"):
        read_field_readings({"fields": {"description": {"harm_shft": 2}}}, None)
    with pytest.raises(TextModelError, match="must be an object"):
        read_field_readings({"fields": {"description": 2}}, None)
    labels = ("benign", "child_safety", "scam")
    own = read_field_readings({"fields": {"description": {"harm_shift": 1, "category_shift": {"scam": -1}}}}, None,
                              labels)["description"]
    assert own.offsets(labels).tolist() == [0.0, 1.0, 0.0]
    for wrong in ({"scma": 1}, {"benign": 1}):
        with pytest.raises(TextModelError, match="unknown or benign"):
            read_field_readings({"fields": {"description": {"category_shift": wrong}}}, None, labels)


def test_a_field_without_its_own_reading_is_read_as_a_name(tmp_path):
    model = TextModel(_model_dir(tmp_path, {"description": {"harm_shift": 1.0}}))
    assert model.reading("topic") == "name" and model.reading("description") == "description"
    assert np.array_equal(model.predict(TEXTS, "topic"), model.predict(TEXTS, "name"))


def test_the_harm_shift_raises_every_harm_category_by_the_same_odds(tmp_path):
    """With the band left as the names', a description's probabilities are the name's with each harm label's odds
    against benign multiplied by exp(harm_shift); the same text keeps both results in the cache."""
    model = TextModel(_model_dir(tmp_path, {"description": {"harm_shift": 1.5}}))
    as_name = model.predict(TEXTS, "name")
    as_description = model.predict(TEXTS, "description")
    shift = np.array([0.0 if label == "benign" else 1.5 for label in model.labels], dtype=np.float32)
    assert np.allclose(as_description, shift_priors(as_name, shift), atol=1e-5)
    assert (as_description[:, 1:].max(axis=1) > as_name[:, 1:].max(axis=1)).all()
    assert np.array_equal(model.predict(TEXTS, "name"), as_name)


def test_a_field_can_shift_one_category_apart(tmp_path):
    model = TextModel(_model_dir(tmp_path, {"description": {"harm_shift": 1.0, "category_shift": {"scam": -1.0}}}))
    as_name, as_description = model.predict(TEXTS, "name"), model.predict(TEXTS, "description")
    shift = np.array([0.0 if label in ("benign", "scam") else 1.0 for label in model.labels], dtype=np.float32)
    assert np.allclose(as_description, shift_priors(as_name, shift), atol=1e-5)


def test_a_band_from_zero_sends_every_description_to_the_encoder_and_no_name(tmp_path):
    model = TextModel(_model_dir(tmp_path, {"description": {"cascade_low": 0.0, "cascade_high": 1.01}}))
    model.predict(TEXTS, "description")
    assert model.encoded == len(TEXTS)
    before = model.encoded
    model.predict([normalize("Sundarpur cricket club").text], "name")
    assert model.encoded == before


def test_the_shipped_model_reads_descriptions_apart_from_names():
    """What the release measured (MODEL_CARD): descriptions get the encoder from a lower line and their own prior."""
    model = TextModel(DEFAULT_MODEL_DIR)
    reading = model.readings.get("description")
    assert reading is not None and model.cascade is not None
    assert reading.low < model.cascade.low and reading.harm_shift > 0
    benign = model.predict([TEXTS[0]], "description")[0]
    assert benign[0] > 0.5, "an everyday club description stays benign under the description prior"
