"""The text model: ONNX head parity with its training reference, the shipped model's behaviour and contract,
caching, explanations, the corpus's held-out discipline, retraining, and no torch at run time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.policy import load_policy
from scanner.scoring.names import classify_names
from scanner.text.model.corpus import LABELS, _part, generate, read_corpus, write_corpus
from scanner.text.model.model import DEFAULT_MODEL_DIR, TextModel, TextModelError
from scanner.text.model.ngrams import char_ids, char_ngrams
from scanner.text.model.train import HeadConfig, fit_head, reference_probabilities, write_head
from scanner.text.model.vocab import NAME_TEMPLATES, SLOTS
from scanner.text.normalize import normalize
from tests.support.factories import ROOT, snapshot, write_jsonl

TINY = [("family group", "benign"), ("cricket fans", "benign"), ("job alerts pune", "benign"),
        ("recipes and tips", "benign"), ("teen 18+ paid", "child_safety"), ("school girls xxx vip", "child_safety"),
        ("kill traitors gather tonight", "incitement"), ("riot at chowk be ready", "incitement"),
        ("escort service delhi", "sexual_solicitation"), ("call girls rates", "sexual_solicitation"),
        ("hot videos 18+", "adult_content"), ("desi masala xxx", "adult_content"),
        ("double your money", "scam"), ("guaranteed profit daily", "scam")]


@pytest.fixture(scope="module")
def shipped() -> TextModel:
    return TextModel(DEFAULT_MODEL_DIR)


def test_onnx_head_reproduces_its_training_reference(tmp_path):
    texts = [t for t, _ in TINY] * 3
    labels = [label for _, label in TINY] * 3
    head = fit_head(texts, labels, LABELS, None, HeadConfig(use_embedding=False, min_df=1))
    write_head(head, tmp_path / "m", "tiny-1", None)
    model = TextModel(tmp_path / "m")
    probe = ["family group", "t33n paid", "स्कूल 18+", "", "guaranteed profit"]
    probs = model.predict(probe)
    assert probs.shape == (len(probe), len(LABELS))
    np.testing.assert_allclose(probs, reference_probabilities(head, probe, None), atol=1e-4)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert model.labels[int(probs[0].argmax())] == "benign"


def test_char_ids_and_ngrams_agree_on_the_same_wrapped_text():
    ids = char_ids(["ab", "नमस्ते"])
    assert ids.shape[0] == 2 and ids[0, :4].tolist() == [32, 97, 98, 32] and ids[0, 4:].sum() == 0
    grams = char_ngrams("ab")
    assert (97,) in grams and (32, 97, 98, 32) in grams and len(grams) == 4 + 3 + 2 + 1


def test_shipped_model_flags_indicator_names_and_not_ordinary_ones(shipped):
    assert shipped.version and shipped.labels[0] == "benign"
    risky = ["school girls 18+ paid vip", "call girls delhi rates", "double your money guaranteed profit"]
    probs = shipped.predict([normalize(t).text for t in risky])
    assert shipped.labels[int(probs[0].argmax())] == "child_safety"
    assert shipped.labels[int(probs[1].argmax())] == "sexual_solicitation"
    assert shipped.labels[int(probs[2].argmax())] == "scam"
    benign = shipped.predict([normalize(t).text for t in ["family group", "cricket fans 2024", "परिवार"]])
    assert (benign.argmax(axis=1) == 0).all()


def test_house_rules_are_not_read_as_minor_indicators():
    # A bag of n-grams cannot read negation; the lexicon's exception phrases are removed before the model reads.
    policy = load_policy(None)
    rows = classify_names(["hot memes 18+ only, no minors", "minors 18+ paid"], policy)
    assert "child_safety" not in rows[0]["flagged"] and rows[0]["model"]["child_safety"] < 0.2
    assert rows[1]["categories"]["child_safety"] > rows[0]["categories"]["child_safety"]


def test_predictions_are_cached_by_text(shipped):
    shipped.predict(["a fresh cache probe name"])
    misses = shipped.misses
    again = shipped.predict(["a fresh cache probe name", "a fresh cache probe name"])
    assert shipped.misses == misses and again.shape[0] == 2
    np.testing.assert_array_equal(again[0], again[1])


def test_explanation_names_the_words_that_pushed_the_score(shipped):
    words = [w for w, _ in shipped.explain("school girls 18+ paid vip", "child_safety")]
    assert words and set(words) <= {"school", "girls", "18+", "paid", "vip"}
    assert shipped.explain("", "child_safety") == []


def test_heldout_split_shares_no_template_and_no_word_with_training():
    corpus = generate(seed=3)
    train = {e.text for e in corpus if e.split == "train"}
    heldout = [e for e in corpus if e.split == "heldout"]
    assert heldout and not any(e.text in train for e in heldout)
    assert not set(_part(NAME_TEMPLATES["child_safety"], "train")) & set(_part(NAME_TEMPLATES["child_safety"],
                                                                              "heldout"))
    train_words = set(_part(SLOTS["minor"]["en"], "train"))
    assert train_words.isdisjoint(_part(SLOTS["minor"]["en"], "heldout"))
    assert generate(seed=3) == corpus  # deterministic


def test_corpus_round_trips_through_its_file(tmp_path):
    corpus = generate(seed=5)[:200]
    write_corpus(corpus, tmp_path / "c.tsv.gz")
    assert read_corpus(tmp_path / "c.tsv.gz") == corpus


def test_classify_names_json_contract(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("family group\nsch00l g1rls 18+ p4id vip\n\nescort service delhi rates\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["classify-names", str(names), "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4  # one object per input line, blank lines included, in order
    for row in rows:
        assert {"text", "normalized", "categories", "flagged", "reasons"} <= set(row)
        assert set(row["categories"]) == set(load_policy(None).categories)
    assert rows[0]["flagged"] == []
    assert rows[1]["normalized"] == "school girls 18+ paid vip" and "child_safety" in rows[1]["flagged"]
    assert any(r["signal"] == "text_model" for r in rows[1]["reasons"])
    assert "sexual_solicitation" in rows[3]["flagged"]


def test_classify_names_reads_stdin_and_reports_a_missing_file(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["classify-names", "-", "--json"], input="cricket fans\n")
    assert result.exit_code == 0 and json.loads(result.stdout)["text"] == "cricket fans"
    missing = runner.invoke(app, ["classify-names", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


def test_a_missing_model_directory_is_a_configuration_error(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"signals:\n  text_model:\n    path: {tmp_path / 'no-model'}\n", encoding="utf-8")
    data = write_jsonl(tmp_path / "g.jsonl", [snapshot("g1")])
    result = CliRunner().invoke(app, ["scan", str(data), "--db", str(tmp_path / "x.db"), "--policy", str(policy)])
    assert result.exit_code == 2 and "meta.json" in result.stderr
    with pytest.raises(TextModelError):
        TextModel(tmp_path / "no-model")


def test_scan_records_which_model_version_scored_each_group(tmp_path, shipped):
    from sqlmodel import Session, select

    from scanner.store.db import open_database
    from scanner.store.models import Group, ScanRun
    from scanner.text.text_model import READING

    data = write_jsonl(tmp_path / "g.jsonl", [snapshot("g1", name="school girls 18+ paid vip"),
                                               snapshot("g2", name="cricket fans")])
    db = str(tmp_path / "s.db")
    result = CliRunner().invoke(app, ["scan", str(data), "--db", db, "--json"])
    assert result.exit_code in (0, 10), result.output
    # The signal's version is the head's plus how it reads texts (windows, romanised view).
    version = f"{shipped.version}+{READING}"
    assert json.loads(result.stdout)["models"]["text_model"] == version
    with Session(open_database(db)) as session:
        rows = {g.group_id: g for g in session.exec(select(Group)).all()}
        run = session.exec(select(ScanRun)).one()
    assert rows["g1"].model_versions["text_model"] == version
    assert run.models["text_model"] == version
    assert any(r["signal"] == "text_model" for r in rows["g1"].reasons)
    assert not any(r["signal"] == "text_model" for r in rows["g2"].reasons)


def test_train_learns_reviewed_labels_into_a_new_version(tmp_path, shipped):
    labels = tmp_path / "labels.csv"
    phrase = "zorblat quexx club"
    labels.write_text("text,label\n" + "".join(f"{phrase} {i},scam\n" for i in range(20)), encoding="utf-8")
    out = tmp_path / "retrained"
    db = str(tmp_path / "t.db")
    result = CliRunner().invoke(app, ["train", "--db", db, "--labels", str(labels), "--out", str(out),
                                      "--base-limit", "1500", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["label_rows"] == 20 and payload["version"].startswith(shipped.version)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["base_version"] == shipped.version and meta["reviewed_labels"] == 20
    retrained = TextModel(out)
    # the reading per field comes along (descriptions' band and prior, the names' word gate, its table by path)
    assert set(retrained.readings) == set(shipped.readings) and retrained.readings["name"].gate is not None
    assert Path(retrained.readings["name"].gate.table).is_absolute()
    retrained.predict([normalize("gadget swap meet").text])  # under the band: reaches the gate, which loads
    assert retrained._gate is not None
    column = LABELS.index("scam")
    after, before = retrained.predict([f"{phrase} 99"])[0], shipped.predict([f"{phrase} 99"])[0]
    # The shipped head assumes 99.9 % of real texts are benign (MODEL_CARD.md), so 20 labels raise the phrase's
    # scam probability more than an order of magnitude (x50 with e5.2's 5,399 blind training rows beside them,
    # x100+ with e5.1's 2,599) without reaching the review line: a deployer's labels need more rows (or
    # ``label_weight``) than under the old 0.9 prior.
    assert after[column] > 20 * before[column]
    again = CliRunner().invoke(app, ["train", "--db", db, "--labels", str(labels), "--out", str(tmp_path / "r2"),
                                     "--base-limit", "1500", "--json"])
    assert json.loads(again.stdout)["label_rows"] == 20  # importing the same file twice stores nothing twice


def test_a_label_file_with_an_unknown_label_names_its_line(tmp_path):
    labels = tmp_path / "labels.tsv"
    labels.write_text("text\tlabel\nfine\tbenign\nodd\tspam\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "--db", str(tmp_path / "t.db"), "--labels", str(labels)])
    assert result.exit_code == 2 and "labels.tsv:3" in result.stderr and "spam" in result.stderr


def test_runtime_scoring_never_imports_torch():
    code = ("import sys; from scanner.text.model.model import TextModel; TextModel().predict(['family group']); "
            "from scanner.cli import app; assert 'torch' not in sys.modules, 'torch imported'; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_model_card_and_build_files_ship_with_the_model():
    for name in ("head.onnx", "meta.json", "base_corpus.tsv.gz", "figures.json", "MODEL_CARD.md", "build.py",
                 "encoder.py"):
        assert (DEFAULT_MODEL_DIR / name).is_file(), name
    assert Path(DEFAULT_MODEL_DIR / "MODEL_CARD.md").read_text(encoding="utf-8").count("held-out") >= 1


def test_repeated_texts_are_classified_once_and_score_as_if_alone(shipped):
    """The signal classifies each distinct (name, description) once; a group repeated in a batch, or seen again in
    a later batch, gets exactly what a fresh signal gives it alone (the slow twin), under its own id."""
    from scanner.policy import default_policy
    from scanner.schema import parse_snapshot
    from scanner.signals.base import ScanContext
    from scanner.text.text_model import TextModelSignal

    policy = default_policy().signals.text_model
    texts = [("teen paid new link", ""), ("Sundarpur cricket club", "Sunday matches"),
             ("Income Club 7", "deposit 500 and get double in 3 days"), ("teen paid new link", "")]
    snaps = [parse_snapshot(snapshot(f"g{i}", name=n, description=d), ROOT) for i, (n, d) in enumerate(texts)]
    context = ScanContext(ROOT)
    memo = TextModelSignal(policy, shipped)
    first = memo.score(snaps, context)
    again = memo.score(snaps[::-1], context)
    assert len(memo._classified) == 3
    for result in first + again:
        alone = TextModelSignal(policy, shipped).score([s for s in snaps if s.group_id == result.group_id],
                                                       context)[0]
        assert (result.group_id, result.scores, result.reasons, result.features) == \
               (alone.group_id, alone.scores, alone.reasons, alone.features)
    assert first[0].scores and first[0].scores == first[3].scores and first[0].group_id != first[3].group_id
