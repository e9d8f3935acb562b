"""Every Indian script through one romanised form, misspellings, confusables, benign look-alikes, descriptions
read whole, and a ring of bland names with scam descriptions. All texts here are our own, written from the kinds
of misses the issue lists; none comes from an evaluation set."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

import pytest

from scanner.engine.pipeline import run_scan
from scanner.policy import default_policy
from scanner.scoring.names import classify_names
from scanner.store.db import open_database
from scanner.store.queries import cluster_dicts
from scanner.text.lexicon import default_lexicon, find_hits
from scanner.text.normalize import normalize
from scanner.text.romanize import romanize, romanize_token, skeleton
from scanner.text.text_model import windows
from tests.support.factories import snapshot, write_jsonl

# The Brahmic blocks share Devanagari's layout (ISCII), so a word moves between scripts by a fixed offset.
BRAHMIC = {"bengali": 0x80, "gurmukhi": 0x100, "gujarati": 0x180, "odia": 0x200, "tamil": 0x280,
           "telugu": 0x300, "kannada": 0x380, "malayalam": 0x400}


def in_script(devanagari: str, offset: int) -> str:
    out = "".join(chr(ord(ch) + offset) if "\u0900" <= ch <= "\u097f" else ch for ch in devanagari)
    assert all(unicodedata.name(ch, "") for ch in out), "every shifted code point is an assigned letter"
    return out


@pytest.mark.parametrize("script", sorted(BRAHMIC))
def test_each_brahmic_script_reads_as_the_romanised_word(script):
    word = in_script("मारो", BRAHMIC[script])  # "maro"
    assert romanize_token(word).isascii()
    assert skeleton(romanize_token(word)) == skeleton("maro") == skeleton(romanize_token("मारो"))


def test_urdu_reads_as_the_romanised_word():
    assert skeleton(romanize_token("مارو")) == skeleton("maro")
    assert skeleton(romanize_token("بچے")) == skeleton("bacche")


def test_skeleton_folds_the_spellings_chat_and_transliterators_disagree_on():
    assert skeleton("bacche") == skeleton("bachche") == skeleton(romanize_token("बच्चे"))
    assert skeleton("punjabi") != skeleton("bacche")
    assert skeleton(romanize_token("ਪੰਜਾਬੀ")) == skeleton("pnjabi")  # the tippi is a nasal "n"


@pytest.mark.parametrize("script", ["telugu", "gujarati", "bengali", "kannada", "malayalam", "odia"])
def test_one_devanagari_entry_matches_the_same_phrase_in_other_scripts(script):
    text = normalize(in_script("जला दो", BRAHMIC[script])).text
    hits = find_hits(default_lexicon(), text, "name")
    assert any(h.indicator == "violence" for h in hits)
    assert all(h.term == text for h in hits if h.indicator == "violence"), "shown as written, in its script"


def test_a_romanised_entry_matches_native_script_and_the_reason_shows_the_script():
    result = classify_names(["वेश्या available"], default_policy())[0]
    assert "sexual_solicitation" in result["flagged"]
    assert any("वेश्या" in r["sentence"] for r in result["reasons"])


def test_romanised_view_keeps_one_token_per_token():
    view = romanize(normalize("join ਨਿੱਕੀ ਕੁੜੀ group 15 ✓").text)
    assert len(view.tokens) == len(view.roman)
    assert view.foreign == (False, True, True, False, False)
    start = view.text.index(view.roman[1])
    assert view.original_span(start, start + len(view.roman[1]) + 1 + len(view.roman[2])) == "ਨਿੱਕੀ ਕੁੜੀ"


def test_digits_of_other_scripts_read_as_numbers():
    assert romanize(normalize("१५ साल").text).text.startswith("15 ")


@pytest.mark.parametrize("misspelt, term", [("undrage", "underage"), ("escrot", "escort*"), ("jailbiat", "jailbait")])
def test_misspelt_strong_terms_match_one_edit_away(misspelt, term):
    hits = find_hits(default_lexicon(), normalize(f"{misspelt} group").text, "name")
    assert any(h.how == "fuzzy" and h.lexeme == term and h.term == misspelt for h in hits)


@pytest.mark.parametrize("word", ["minority", "scorpion", "undertake", "escape", "colonial", "jailer", "monitor"])
def test_ordinary_words_are_not_read_as_misspellings(word):
    assert not [h for h in find_hits(default_lexicon(), word, "name") if h.how == "fuzzy"]


def test_terms_are_found_inside_spaced_out_letters_run_together_but_not_in_long_words():
    result = classify_names(["t e e n g i r l s p a i d"], default_policy())[0]
    assert any("run together" in r["sentence"] for r in result["reasons"])
    assert not [h for h in find_hits(default_lexicon(), "minorities forum", "name") if h.how == "glued"]


def test_confusables_from_the_tr39_table_beyond_the_old_hand_table():
    # Cyrillic ҫ (with descender) and ӏ (palochka) are TR39 confusables of c and l.
    assert normalize("ѕсhооӏ ҫlub").text == "school club"
    assert normalize("привет мир").text == "привет мир"  # a real Russian phrase stays Russian
    assert normalize("बच्चों का स्कूल").text == "बच्चों का स्कूल"  # Brahmic text is untouched


# Benign look-alikes of our own: duty, colour and club words, youth sport, films, games, Indic everyday names.
HARD_NEGATIVES = [
    "Escort duty roster - Constables Batch 12", "Police escort vehicle timings", "Nude lipstick shades swap",
    "nude shades makeup lovers", "Riot Club debating society", "Riot Games Valorant India", "Teen Patti Gold",
    "Kill Bill fans", "Class 8 science doubts", "Burn fat in 30 days", "Minority rights forum",
    "U17 cricket trials Pune", "Under 19 football team", "Blood donation camp", "Call of Duty mobile clan",
    "Kids art and craft", "CP Nagar residents", "Hot deals on mobiles", "School reunion 2009 batch",
    "Chinna pilla birthday photos", "Bachchon ki tuition class 5", "Double roti recipes", "Return gifts for kids",
    "Income tax help desk", "Mutual fund SIP returns discussion", "పిల్లల పాటలు", "मेरा परिवार", "ਪੰਜਾਬੀ ਗੀਤ",
    "ગુજરાતી રસોઈ", "Attack on Titan fans", "Fire safety training", "Income Club 7",
]


def test_hard_negatives_stay_unflagged():
    flagged = [r["text"] for r in classify_names(HARD_NEGATIVES, default_policy()) if r["flagged"]]
    assert flagged == []


@pytest.mark.parametrize("name, category", [
    ("girls 13-15 paid", "child_safety"),
    ("c.p links", "child_safety"),
    ("c_p videos", "child_safety"),
    ("నాబాలిగ ammayilu paid", "child_safety"),
    ("aag laga do unki basti", "incitement"),
    ("जला दो उनकी दुकान", "incitement"),
    ("मोहल्ले में आग लगा दो", "incitement"),
    ("arm yourselves brothers", "incitement"),
    ("blue film group", "adult_content"),
])
def test_kinds_of_misses_are_flagged(name, category):
    assert category in classify_names([name], default_policy())[0]["flagged"]


def test_windows_cover_a_long_text_in_overlapping_runs_of_words():
    text = " ".join(f"word{i}" for i in range(80))
    cut = windows(text, 60)
    assert all(len(w) <= 60 for w in cut)
    assert set(" ".join(cut).split()) == set(text.split())
    assert windows("short text", 60) == ["short text"]


def test_a_description_is_read_whole():
    filler = "Welcome to our friendly group for sharing news, daily updates and good morning wishes. " * 3
    text = filler + "Deposit to unlock VIP tasks and get double in 3 days."
    result = classify_names([text], default_policy(), field="description")[0]
    assert "scam" in result["flagged"]


SCAM_DESCRIPTIONS = ["₹300 per task, deposit to unlock VIP tasks", "guaranteed 30 % returns weekly",
                     "recharge ₹500 and get double in 3 days"]


def test_a_ring_of_bland_names_with_scam_descriptions_is_flagged(tmp_path):
    records = []
    for i in range(15):
        records.append(snapshot(f"wa:inc{i}", name=f"Income Club {i}", description=SCAM_DESCRIPTIONS[i % 3],
                                own_invite_links=[f"https://chat.whatsapp.com/{'I' + str(i):0>22}"],
                                admins=[f"adm:{i % 3}"]))
    for i in range(15):
        records.append(snapshot(f"wa:b{i}", name=f"Income Club {i} families", description="Tax filing help",
                                own_invite_links=[f"https://chat.whatsapp.com/{'B' + str(i):0>22}"],
                                admins=[f"fam:{i}"]))
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "groups.jsonl", records)
    engine = open_database(str(tmp_path / "db.sqlite"))
    run_scan(engine, data, default_policy())
    clusters = cluster_dicts(engine, flagged_only=True)
    members = {m for c in clusters if c["category"] == "scam" for m in c["members"]}
    assert {f"wa:inc{i}" for i in range(15)} <= members
    assert not any(m.startswith("wa:b") for c in clusters for m in c["members"])


def test_the_text_runtime_imports_no_torch():
    code = ("import sys; from scanner.scoring.names import classify_names; from scanner.policy import "
            "default_policy; classify_names(['बच्चे paid', 'hello'], default_policy()); "
            "print('torch' in sys.modules or 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
