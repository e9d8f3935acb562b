"""Reasons name the words a group wrote, in its own script (issue 17: "the words that drove a score shown in the
moderator's reasons in the original script")."""

from __future__ import annotations

import json
from pathlib import Path

from scanner.policy import default_policy
from scanner.scoring.names import classify_names
from scanner.text.normalize import normalize
from scanner.text.original_words import original_words, original_words_slow, pieces
from scanner.text.romanize import romanize
from scanner.text.text_model import describe

SAMPLE = Path(__file__).resolve().parents[1] / "sample_groups"


def test_pictographs_are_cut_out_of_the_words_they_are_glued_to():
    assert pieces("हिंदू⚔🚩") == ["हिंदू", "⚔", "🚩"]
    assert pieces("tricks💲💲") == ["tricks", "💲", "💲"]
    assert pieces("👍🏻online") == ["👍🏻", "online"]
    assert pieces("⚔️") == ["⚔️"]
    assert pieces("18+") == ["18+"]


def test_a_romanised_word_points_back_to_its_script():
    for written in ("पैसा", "ਪੈਸਾ", "પૈસા", "పైసా"):
        read = romanize(normalize(written).text).text
        assert read != written
        assert original_words(f"daily {written} club", [read]) == [written]


def test_leet_emoji_and_spread_letters():
    assert original_words("T33N club", ["teen", "club"]) == ["T33N", "club"]
    weapon = normalize("⚔").text
    assert original_words("sena ⚔⚔ group", [weapon]) == ["⚔"]
    # Letters spread over several tokens are read as one word no single token yields: the word stays as read.
    assert original_words("t e e n club", ["teen"]) == ["teen"]
    assert original_words("anything", ["absent"]) == ["absent"]


def test_fast_and_slow_twins_agree_on_the_sample_names():
    names = []
    for line in (SAMPLE / "groups.jsonl").read_text(encoding="utf-8").splitlines()[:400]:
        try:
            names.append(json.loads(line)["name"])
        except (ValueError, KeyError, TypeError):
            continue
    assert len(names) > 100
    for name in names:
        normalised = normalize(name).text
        words = normalised.split() + romanize(normalised).text.split() + ["absent"]
        assert original_words(name, words) == original_words_slow(name, words), name


def test_the_sentence_shows_the_written_form_and_what_the_model_read():
    sentence = describe("name", "scam", 0.9, [("paisa", 0.5), ("earn", 0.3)], ["पैसा", "Earn"])
    assert "'पैसा' read as 'paisa' (+0.50)" in sentence and "'Earn' (+0.30)" in sentence
    assert "read as" not in describe("name", "scam", 0.9, [("earn", 0.3)])


def test_classify_names_reasons_name_the_leet_word_as_written():
    (result,) = classify_names(["T33N paid new link"], default_policy())
    model_reasons = [r for r in result["reasons"] if r["signal"] == "text_model"]
    assert model_reasons, result
    assert any("'T33N' read as 'teen'" in r["sentence"] for r in model_reasons), model_reasons
