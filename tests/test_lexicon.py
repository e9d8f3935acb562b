from __future__ import annotations

import pytest

from scanner.policy import default_policy
from scanner.text.lexicon import LexiconError, default_lexicon, find_hits, parse_lexicon, score_text


def score(name: str, description: str = ""):
    return score_text(name, description, default_lexicon(), default_policy().signals.lexicon)


@pytest.mark.parametrize("name", [
    "Class 8 parents", "Teen Patti players", "CP Nagar residents", "new link, old group full", "Kids art class",
    "Adult education centre", "Hot deals daily", "Double roti bakery", "Paid internship alerts",
    "Call centre jobs", "Girls hostel notices", "School alumni 2009", "बच्चों की पढ़ाई", "குழந்தைகள் பாடல்கள்",
])
def test_hard_negatives_are_not_flagged(name):
    scores, _, _, _ = score(name)
    assert max(scores.values(), default=0.0) < default_policy().review_threshold


@pytest.mark.parametrize("name, category", [
    ("t33n xxx videos", "child_safety"),
    ("ᴛᴇᴇɴ xxx 🔞", "child_safety"),
    ("s c h o o l girls nsfw", "child_safety"),
    ("c\u200bp links backup", "child_safety"),
    ("Call girls Andheri coverage area ₹2000", "sexual_solicitation"),
    ("Sundarpur riot gather at chowk 5pm", "incitement"),
    ("सुंदरपुर दंगा इकट्ठा हो", "incitement"),
    ("Double your money ₹500 guaranteed profit", "scam"),
    ("nsfw xxx only", "adult_content"),
])
def test_indicator_combinations_reach_the_threshold(name, category):
    scores, reasons, _, _ = score(name)
    assert scores.get(category, 0) >= default_policy().review_threshold, scores
    top = max(scores, key=scores.get)
    assert top == category
    assert any(r.category == category and r.signal == "lexicon" for r in reasons)


def test_one_weak_word_is_not_enough_but_a_combination_is():
    alone, _, _, _ = score("teen")
    both, _, _, _ = score("teen xxx")
    assert not alone
    assert both["child_safety"] > 0.5


def test_reasons_name_the_terms_and_the_obfuscation():
    _, reasons, modifiers, features = score("t33n xxx")
    (reason,) = [r for r in reasons if r.category == "child_safety"]
    assert '"teen"' in reason.sentence and '"xxx"' in reason.sentence
    assert "leetspeak" in reason.sentence
    assert '"teen" (written "t33n")' in reason.sentence  # the moderator can find it in the name
    assert '"xxx" (written' not in reason.sentence
    assert "obfuscation" in modifiers
    assert features["indicators"]["minor"] > 0


def test_evasion_is_a_modifier_not_a_category():
    scores, reasons, modifiers, _ = score("new link, old group full")
    assert scores == {}
    assert "evasion" in modifiers
    assert any(r.category == "evasion" for r in reasons)


def test_description_counts_and_is_named():
    scores, reasons, _, _ = score("Friends", "teen xxx paid")
    assert scores["child_safety"] > 0.5
    assert any(r.sentence.startswith("Description") for r in reasons)


def test_exceptions_only_block_overlapping_terms():
    lexicon = default_lexicon()
    hits = find_hits(lexicon, "teen patti teen xxx", "name")
    teen_hits = [h for h in hits if h.indicator == "minor"]
    assert [h.start for h in teen_hits] == [11]


def test_scores_are_monotone_in_added_evidence():
    base, _, _, _ = score("teen xxx")
    more, _, _, _ = score("teen xxx nsfw paid")
    for category, value in base.items():
        assert more[category] >= value


def test_bad_lexicon_files_are_refused():
    with pytest.raises(LexiconError, match="unknown indicator class"):
        parse_lexicon({"terms": {"nonsense": {"en": {"x": 0.5}}}}, "t.yaml")
    with pytest.raises(LexiconError, match="weight"):
        parse_lexicon({"terms": {"minor": {"en": {"x": 2}}}}, "t.yaml")
    with pytest.raises(LexiconError, match="bad pattern"):
        parse_lexicon({"terms": {"minor": {"en": {"re:(": 0.5}}}}, "t.yaml")


def test_anchor_prefilter_finds_exactly_what_the_plain_scan_finds():
    import json
    from dataclasses import replace

    from scanner.text.normalize import normalize
    from tests.support.factories import SAMPLE

    lexicon = default_lexicon()
    plain = replace(lexicon, terms=tuple(replace(t, anchor="") for t in lexicon.terms))
    texts = []
    for line in (SAMPLE / "groups.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        texts += [record.get("name", ""), record.get("description", "")]
    assert len(texts) > 5000
    for text in texts:
        normal = normalize(text).text
        assert find_hits(lexicon, normal, "name") == find_hits(plain, normal, "name")


@pytest.mark.parametrize("description", [
    "18+ only. No kids allowed, minors will be removed.",
    "Hot clips daily, under 18 leave the group",
    "Adults only: kids get banned on sight",
])
def test_adult_house_rules_that_remove_minors_are_not_minor_evidence(description):
    """An adult group's rules that remove minors are a negation, not a minor indicator: with "hot" beside them
    they were child_safety at review level (0.68) before the exception."""
    scores, _, _, features = score("Hot videos 18+", description)
    assert scores.get("child_safety", 0.0) < default_policy().review_threshold
    assert "minor" not in features["indicators"]
