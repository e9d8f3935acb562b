"""The dashboard's one translation layer and its presentation layer: every message id is translated in every
catalogue with its placeholders kept; reasons read as sentences for a moderator; times are in the user's zone."""

from __future__ import annotations

import re
import string

import pytest

from dashboard import plain
from dashboard.i18n import LANGUAGES, catalogue, translate
from dashboard.messages import all_ids, literal_ids


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def problems(language: str, ids: dict[str, str], translations: dict[str, str]) -> list[str]:
    found = []
    for msgid, where in sorted(ids.items()):
        text = translations.get(msgid, "")
        if not text:
            found.append(f"{language}: missing {msgid!r} ({where})")
        elif fields(text) != fields(msgid):
            found.append(f"{language}: {msgid!r} has fields {sorted(fields(text))}, expected {sorted(fields(msgid))}")
    return found


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_message_is_translated_with_its_placeholders(language):
    ids = all_ids()
    assert len(ids) > 200 and "Record decision" in ids and "child safety" in ids
    assert problems(language, ids, catalogue(language)) == []


def test_the_check_fails_when_a_string_is_missing_or_loses_a_placeholder():
    ids = {"Case {case}": "x.py:1", "Queue": "x.py:2"}
    assert problems("hi", ids, {"Case {case}": "केस"}) == [
        "hi: 'Case {case}' has fields [], expected ['case']", "hi: missing 'Queue' (x.py:2)"]


def test_the_source_is_scanned_for_literal_calls():
    ids = literal_ids()
    assert "Sign in" in ids and ids["Sign in"].startswith("dashboard/")
    assert all(not re.search(r"\{\d*\}", msgid) for msgid in ids), "use named {fields}"


def test_hindi_and_english_labels():
    assert translate("Queue", "hi") == "कतार" and translate("Queue", "en") == "Queue"
    assert translate("Case {case}", "hi", case="c-1") == "केस c-1"
    assert plain.category("child_safety") == "child safety"


def test_reasons_read_as_sentences_for_a_moderator():
    hashed = {"signal": "hash_bank", "feature": "demo_known_icons", "value": "33/55; distance=0; line=8",
              "category": "child_safety", "sentence": "33 of 55 groups: Icon matches hash list ..."}
    assert plain.reason(hashed) == "33 of 55 groups: its icon is on the hash list 'demo_known_icons' (an exact match)"
    structure = {"signal": "graph", "feature": "structure", "value": "linked_pairs=5, shared_admins=2, icon_families=0"}
    assert plain.reason(structure) == ("5 pairs of groups post each other's invite links; 2 admins run several "
                                       "groups; 0 icons are shared")
    words = {"signal": "lexicon", "feature": "minor+sexual", "value": "schoolgirl; xxx"}
    assert plain.reason(words) == ("Its name or description mixes words about minors (“schoolgirl”) with sexual "
                                   "words (“xxx”)")
    unknown = {"signal": "new_signal", "feature": "x", "value": "", "sentence": "As the scanner wrote it."}
    assert plain.reason(unknown) == "As the scanner wrote it."
    assert "PDQ" not in plain.reason(hashed) and "PDQ" in plain.technical(
        {**hashed, "sentence": "Icon matches at PDQ distance 0", "weight": 0.95})


def test_times_in_the_users_zone_and_audit_rows_as_sentences():
    assert plain.when("2026-12-02T12:00:00+00:00", "Asia/Kolkata").startswith("2 Dec 2026, 17:30")
    assert plain.when("2026-12-02T12:00:00Z", "UTC").startswith("2 Dec 2026, 12:00")
    event = {"actor": "lee", "action": "icon_reveal", "target": "c-1",
             "details": {"group_id": "wa:1", "reason": "compare with the report"}}
    assert plain.audit_sentence(event) == ("lee revealed the original icon of wa:1 in case c-1, because: compare "
                                           "with the report")
    assert plain.audit_sentence({"actor": "mia", "action": "logout", "target": "mia", "details": {}}) == \
        "mia signed out"
