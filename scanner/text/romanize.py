"""One romanised form for every script, so one lexicon entry reads Devanagari, Telugu, Gujarati, Gurmukhi,
Bengali, Odia, Tamil, Kannada, Malayalam and Urdu alike.

Group names in India are written in a dozen scripts and, as often, in Latin letters ("bachche", "jala do").
``anyascii`` (ISC) transliterates every script, Urdu included, so a term written once in Latin letters, or once
in Devanagari, also matches the same word in any other script. What no library does is what we add here:

- **token alignment**: the romanised view keeps one token per normalised token, so a match in the romanised
  view is shown to the moderator in the words of the original script;
- **a skeleton**: transliterators drop the inherent vowel that chat writes and disagree with chat spelling
  ("बच्चे" is ``bcce`` to anyascii and "bacche" or "bachche" in chat), so words from non-Latin scripts are also
  compared without "a" and "h", with the common Latin digraphs folded ("ch" = "c", "sh" = "s").

Only tokens that hold a letter of a non-Latin script are transliterated: Latin text is already in its
romanised form and the skeleton would make ordinary English words collide.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

__all__ = ["RomanView", "consonants", "is_foreign_token", "romanize", "romanize_token", "skeleton"]


@dataclass(frozen=True)
class RomanView:
    """A normalised text's tokens (split on spaces) beside their romanised forms, one for one.

    ``foreign[i]`` is True when token i held a letter of a non-Latin script and was transliterated."""

    tokens: tuple[str, ...]
    roman: tuple[str, ...]
    foreign: tuple[bool, ...]

    @property
    def text(self) -> str:
        return " ".join(self.roman)

    @property
    def changed(self) -> bool:
        return any(self.foreign)

    def original_span(self, start: int, end: int) -> str:
        """The original tokens behind the characters ``start:end`` of ``text``: a match is shown as written."""
        first = self.text.count(" ", 0, start)
        last = self.text.count(" ", 0, max(start, end - 1))
        return " ".join(self.tokens[first:last + 1])


@lru_cache(maxsize=8192)
def _foreign_letter(ch: str) -> bool:
    if ch.isascii():
        return False
    if ch.isdecimal():
        return True  # "१५", "১৫": digits of other scripts read as 15
    if not (ch.isalpha() or unicodedata.category(ch).startswith("M")):
        return False
    name = unicodedata.name(ch, "")
    return not name.startswith(("LATIN", "COMBINING"))


def is_foreign_token(token: str) -> bool:
    """True when a token holds a letter (or vowel sign) of a script other than Latin."""
    return any(_foreign_letter(ch) for ch in token)


_NOT_WORD = re.compile(r"[^a-z0-9+#₹$@]")


@lru_cache(maxsize=65536)
def romanize_token(token: str) -> str:
    """One token in Latin letters: anyascii, lower case, apostrophes and spaces it inserts removed (one token in,
    one token out). Latin tokens come back unchanged."""
    if not is_foreign_token(token):
        return token
    token = "".join(_SPELLING.get(ch, ch) for ch in token)
    if "\u0600" <= token[0] <= "\u06ff":
        # Urdu writes the vowel o/u with waw, which anyascii renders "w" ("مارو" -> "mrw"): after the first
        # letter it is read as the vowel chat writes ("maro").
        token = token[0] + token[1:].replace("\u0648", "o")
    return _NOT_WORD.sub("", anyascii(token).lower()) or token


@lru_cache(maxsize=100_000)
def romanize(text: str) -> RomanView:
    """The romanised view of a normalised text (``scanner.text.normalize``)."""
    tokens = tuple(text.split(" ")) if text else ()
    return RomanView(tokens, tuple(romanize_token(t) for t in tokens), tuple(is_foreign_token(t) for t in tokens))


# Longest first: "chh" before "ch" before "c". Aspirates and sibilants that chat writes with an "h" read as one
# consonant; "w"/"v", "z"/"j", "q"/"k", "f"/"ph" and long vowels written doubled are interchangeable in romanised
# Hindi and Urdu.
_DIGRAPHS = (("chh", "c"), ("ch", "c"), ("sh", "s"), ("kh", "k"), ("gh", "g"), ("th", "t"), ("dh", "d"),
             ("ph", "f"), ("bh", "b"), ("jh", "j"), ("w", "v"), ("z", "j"), ("q", "k"), ("ee", "i"), ("oo", "u"),
             ("y", "i"))
_DROPPED = re.compile(r"[ah]")
# A nasal before a labial is "m" in chat ("champa") and "n" from an anusvara: one "n".
_NASAL = re.compile(r"m(?=[pb])")
_DOUBLE = re.compile(r"(.)\1+")
# Anusvara, tippi, bindi and candrabindu nasalise: chat writes them "n" ("punjabi"), anyascii "m" or nothing.
_SPELLING = {chr(cp): "n" for cp in range(0x0900, 0x0E00)
             if any(k in unicodedata.name(chr(cp), "") for k in ("ANUSVARA", "TIPPI", "BINDI", "CANDRABINDU"))}
# Gurmukhi's flap is "d" in chat ("kudi"), as Devanagari's is to anyascii already ("ladki"); anyascii says "r".
_SPELLING["\u0a5c"] = "\u0a21"
_SPELLING["\u0691"] = "\u0688"  # Urdu's flap likewise ("ladki"), anyascii "r"


@lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """A romanised word with the spellings chat and transliterators disagree on folded: "bacche", "bachche" and
    anyascii's "bcce" (for "बच्चे") all give "bce".

    The vowel "a" is dropped because transliterators drop the inherent vowel that chat writes ("jala", "jla");
    "h" goes with it (aspirates are written both ways); doubled letters are one. The other vowels stay, so
    short words keep apart."""
    s = "".join(ch for ch in word.lower() if "a" <= ch <= "z")
    for pair, one in _DIGRAPHS:
        s = s.replace(pair, one)
    s = _NASAL.sub("n", _DROPPED.sub("", s))
    return _DOUBLE.sub(r"\1", s)


_VOWELS = re.compile(r"[eiou]")


@lru_cache(maxsize=65536)
def consonants(word: str) -> str:
    """The skeleton without any vowel: scripts that write few vowels (Urdu: "kmsn" for "kamsin") and vowel
    signs that transliterate differently across scripts ("saiksi", "seksi") still meet the chat spelling."""
    return _VOWELS.sub("", skeleton(word))
