"""Steps 1-8 of ``scanner.text.normalize``: the character-level disguises (invisible characters, compatibility
and styled letters, small capitals, emoji standing in for words, Cyrillic and Greek look-alikes, case, stray
combining marks, punctuation). Each step is a small pure function of the text, and records the trick it undid
in ``found``; ``normalize`` runs them in order."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import disarm

from scanner.files.resources import package_path

_EMOJI_FILE = package_path("scanner", "data", "emoji_words.tsv")


# --- 1. invisible characters -------------------------------------------------------------------------------

_JOINERS = frozenset("\u200c\u200d")
# Invisible letters/fillers that are not category Cf: combining grapheme joiner, Hangul fillers (a favourite
# "blank name" trick), Mongolian vowel separator.
_INVISIBLE_EXTRA = frozenset("\u034f\u115f\u1160\u3164\uffa0\u180e")
# Scripts where ZWJ/ZWNJ change how a word is rendered (conjuncts in Indic scripts, Persian ZWNJ): there they
# are spelling, not obfuscation.
_JOINING_SCRIPT_RANGES = (
    (0x0600, 0x08FF),  # Arabic, Syriac, Thaana, NKo, Arabic Extended
    (0x0900, 0x0DFF),  # Devanagari .. Sinhala
    (0x0F00, 0x0FFF),  # Tibetan
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0xA8E0, 0xA8FF),  # Devanagari Extended
    (0xFB50, 0xFDFF),  # Arabic presentation forms A
    (0xFE70, 0xFEFF),  # Arabic presentation forms B
    (0x11000, 0x111FF),  # Brahmi, Kaithi, Sharada ...
)


def _is_variation_selector(ch: str) -> bool:
    cp = ord(ch)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def _is_invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or ch in _INVISIBLE_EXTRA or _is_variation_selector(ch)


def _in_joining_script(ch: str) -> bool:
    if not ch:
        return False
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _JOINING_SCRIPT_RANGES)


def strip_invisible(text: str, found: set[str]) -> str:
    """Drop format/invisible characters. ``zero_width`` is recorded only when one sat inside a word (between
    two letters or digits): a variation selector after an emoji or a BOM at the start is not evasion."""
    n = len(text)
    next_visible = [""] * (n + 1)
    for i in range(n - 1, -1, -1):
        next_visible[i] = next_visible[i + 1] if _is_invisible(text[i]) else text[i]
    out: list[str] = []
    drops: list[int] = []
    for i, ch in enumerate(text):
        if not _is_invisible(ch):
            out.append(ch)
            continue
        prev = out[-1] if out else ""
        if ch in _JOINERS and (_in_joining_script(prev) or _in_joining_script(next_visible[i + 1])):
            out.append(ch)
            continue
        drops.append(len(out))
    for pos in drops:
        if 0 < pos < len(out) and out[pos - 1].isalnum() and out[pos].isalnum():
            found.add("zero_width")
            break
    return "".join(out)


def drop_stray_joiners(s: str) -> str:
    """Drop ZWJ/ZWNJ that step 1 kept but whose joining-script neighbour was removed since (a stray vowel
    sign on a Latin letter, an apostrophe), so that a second pass would not drop them and change the text."""
    if not any(ch in _JOINERS for ch in s):
        return s
    out = [
        ch
        for i, ch in enumerate(s)
        if ch not in _JOINERS
        or _in_joining_script(s[i - 1] if i else "")
        or _in_joining_script(s[i + 1] if i + 1 < len(s) else "")
    ]
    return " ".join("".join(out).split())


# --- 2. compatibility forms --------------------------------------------------------------------------------

_STYLED_TAGS = frozenset({"font", "circle", "square", "super", "sub"})


def compatibility(s: str, found: set[str]) -> str:
    """NFKC. Recorded as ``fullwidth`` for fullwidth letters/digits and ``compatibility`` for styled single
    letters (math bold/script, circled, superscript); ligatures, "™" or fullwidth CJK punctuation are
    ordinary typography and are folded silently."""
    for ch in s:
        if ch.isascii():
            continue
        decomposition = unicodedata.decomposition(ch)
        if not decomposition.startswith("<"):
            continue
        tag = decomposition[1 : decomposition.index(">")]
        target = unicodedata.normalize("NFKC", ch)
        if tag == "wide" and target.isalnum():
            found.add("fullwidth")
        elif tag in _STYLED_TAGS and len(target) == 1 and target.isalpha():
            found.add("compatibility")
    s = unicodedata.normalize("NFKC", s)
    if _standalone_lgc_marks(s):
        found.add("combining_marks")
    return s


# --- 3. small capitals -------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _confusable_latin(ch: str) -> str | None:
    """The one lower-case ASCII letter a character is confusable with (Unicode TR39, through ``disarm``), or None.

    Decided for both cases at once: a letter has a twin only when its upper and lower case both have one, so the
    per-word decision in ``homoglyphs`` does not change when the text is case-folded (``normalize`` stays a
    fixed point)."""
    for variant in {ch, ch.lower(), ch.upper()}:
        target = disarm.normalize_confusables(variant) if len(variant) == 1 else ""
        if len(target) != 1 or not target.isascii() or not target.isalpha():
            return None
    return disarm.normalize_confusables(ch).lower()


def small_caps(s: str, found: set[str]) -> str:
    """Small capitals are IPA letters NFKC leaves alone; "ᴛᴇᴇɴ" reads as "teen" to every human. The mapping is
    TR39's (``disarm``), applied only to letters Unicode names SMALL CAPITAL so the step keeps its own label."""
    if s.isascii():
        return s
    out = []
    for ch in s:
        twin = _confusable_latin(ch) if not ch.isascii() and "SMALL CAPITAL" in unicodedata.name(ch, "") else None
        if twin:
            found.add("small_caps")
        out.append(twin or ch)
    return "".join(out)


# --- 4. emoji as words -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EmojiTable:
    words: dict[str, str]
    run: re.Pattern[str]


@lru_cache(maxsize=1)
def _emoji_table() -> _EmojiTable:
    """Load ``data/emoji_words.tsv`` once. Keys are stored without variation selectors because step 1 has
    already removed them from the text."""
    words: dict[str, str] = {}
    for raw in _EMOJI_FILE.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        emoji, _, word = raw.partition("\t")
        key = "".join(ch for ch in emoji.strip() if not _is_invisible(ch))
        if key and word.strip():
            words[key] = word.strip().lower()
    one = "|".join(re.escape(key) for key in sorted(words, key=len, reverse=True))
    return _EmojiTable(words=words, run=re.compile(rf"(?:{one})(?:\s*(?:{one}))*"))


def emoji_words(s: str, found: set[str]) -> str:
    """Replace emoji that stand for words. A run like "💰💵💸" becomes one " paid ", not three."""
    table = _emoji_table()

    def replace(match: re.Match[str]) -> str:
        found.add("emoji_words")
        words: list[str] = []
        for word in _split_run(match.group(0), table.words):
            if not words or words[-1] != word:
                words.append(word)
        return " " + " ".join(words) + " "

    return table.run.sub(replace, s)


def _split_run(run: str, words: dict[str, str]) -> list[str]:
    """The words of a run of mapped emoji, longest key first at each position."""
    longest = max(map(len, words))
    out: list[str] = []
    i = 0
    while i < len(run):
        if run[i].isspace():
            i += 1
            continue
        for size in range(min(longest, len(run) - i), 0, -1):
            word = words.get(run[i : i + size])
            if word is not None:
                out.append(word)
                i += size
                break
        else:  # pragma: no cover - the run pattern only matches keys and whitespace
            i += 1
    return out


# --- 5. homoglyphs -----------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK"})


@lru_cache(maxsize=8192)
def _script(ch: str) -> str:
    """Script of a letter, "LATIN", "GREEK", "CYRILLIC" or "OTHER", from its Unicode name."""
    first = unicodedata.name(ch, "").split(" ", 1)[0]
    return first if first in {"LATIN", "GREEK", "CYRILLIC"} else "OTHER"


def _twin(ch: str) -> str | None:
    """Latin twin of a Cyrillic/Greek letter, accents ignored (TR39 confusables via ``disarm``)."""
    return _confusable_latin(unicodedata.normalize("NFD", ch)[0] if not ch.isascii() else ch)


def homoglyphs(s: str, found: set[str]) -> str:
    """Map Cyrillic/Greek look-alikes to Latin inside a word when every Cyrillic/Greek letter of that word has
    a Latin twin and either the word has a Latin letter ("tеen" with Cyrillic е) or the whole text is Latin
    apart from look-alikes ("join ТЕЕН"). Real Russian or Greek words contain letters without a Latin twin,
    so they are left alone."""
    letters = [ch for ch in s if ch.isalpha()]
    has_latin = any(_script(ch) == "LATIN" for ch in letters)
    untwinned = any(_script(ch) in _LOOKALIKE_SCRIPTS and _twin(ch) is None for ch in letters)
    latin_context = has_latin and not untwinned

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        word_letters = [ch for ch in word if ch.isalpha()]
        lookalikes = [ch for ch in word_letters if _script(ch) in _LOOKALIKE_SCRIPTS]
        if not lookalikes or any(_twin(ch) is None for ch in lookalikes):
            return word
        if not (latin_context or any(_script(ch) == "LATIN" for ch in word_letters)):
            return word
        found.add("homoglyph")
        return "".join(_twin(ch) or ch if _script(ch) in _LOOKALIKE_SCRIPTS else ch for ch in word)

    return _WORD.sub(replace, s)


# --- 6. case -----------------------------------------------------------------------------------------------


def casefold(s: str) -> str:
    """Case-fold then NFKC, repeated until stable (case folding can produce non-NFKC text and vice versa)."""
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", s.casefold())
        if folded == s:
            break
        s = folded
    return s


# --- 7. combining marks ------------------------------------------------------------------------------------

_LGC = frozenset({"LATIN", "GREEK", "CYRILLIC"})


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M")


def _base_kind(ch: str) -> str:
    if ch.isalpha():
        return "lgc" if _script(ch) in _LGC else "other"
    return "none"


def _standalone_lgc_marks(s: str) -> bool:
    """True when an NFC text still has combining marks on Latin/Greek/Cyrillic letters: accents that could
    not be composed, i.e. stacked on purpose ("t̸e̵e̷n"). Precomposed "é" is ordinary spelling, not evasion."""
    kind = "none"
    for ch in s:
        if _is_mark(ch):
            if kind == "lgc":
                return True
        else:
            kind = _base_kind(ch)
    return False


def strip_marks(s: str) -> str:
    """Keep a combining mark only when it sits on a letter of a script other than Latin/Greek/Cyrillic, where
    vowel signs and viramas are spelling ("बच्चे", "குழந்தை", "শিশু"). Accents on Latin/Greek/Cyrillic
    letters do not change a keyword's identity, and marks on digits, punctuation or emoji (keycaps, Zalgo,
    stray vowel signs) are noise. Joiners are transparent: a mark after ZWJ belongs to the letter before."""
    out: list[str] = []
    kind = "none"
    for ch in unicodedata.normalize("NFD", s):
        if _is_mark(ch):
            if kind == "other":
                out.append(ch)
        else:
            if ch not in _JOINERS:
                kind = _base_kind(ch)
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


# --- 8. punctuation ----------------------------------------------------------------------------------------

_KEEP = frozenset("+#₹$@:/") | _JOINERS
_APOSTROPHES = frozenset("'’‘ʼ`´")


_EMAIL_AT = re.compile(r"(?<=\w)@(?=[\w-]+\.[a-z]{2,})")


def clean(s: str) -> str:
    """Letters, marks, digits and ``+ # ₹ $ @ : /`` survive (they carry meaning: "18+", "#tag", "₹500",
    "y/o"); apostrophes vanish so "I'm" does not become the single letters "i m"; the "@" of an e-mail address
    becomes a space so leetspeak does not read it as "a"; everything else is a space."""
    s = _EMAIL_AT.sub(" ", s)
    out: list[str] = []
    for ch in s:
        if ch in _APOSTROPHES:
            continue
        if ch in _KEEP or ch.isspace() or unicodedata.category(ch)[0] in "LMN":
            out.append(ch)
        else:
            out.append(" ")
    return " ".join("".join(out).split())
