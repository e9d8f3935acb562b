"""The words a moderator sees in a reason, written as the group wrote them.

The text model reads a normalised text, sometimes romanised ("डेंजरस" is read as "denjrs", "⚔️" as "weapon",
"t33n" as "teen"), and its explanation names the words it read. A moderator who sees only those forms cannot
find them in the group's name, and a reviewer reading Gujarati wants the Gujarati word. So each explained word
is traced back to the original token whose normalised or romanised form contains it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from scanner.text.normalize import normalize
from scanner.text.romanize import romanize


@lru_cache(maxsize=65_536)
def read_forms(token: str) -> frozenset[str]:
    """Every word the model may read for one original token: its normalised words and their romanised forms."""
    words = normalize(token).text.split()
    return frozenset(words) | frozenset(romanize(" ".join(words)).text.split())


def pieces(token: str) -> list[str]:
    """A written token cut at its pictographs ("हिंदू⚔🚩" -> "हिंदू", "⚔", "🚩"; "tricks💲💲" -> "tricks", "💲",
    "💲"), each pictograph with its variation selector, joiners and skin tone, so a reason points at the emoji or
    the word that counted, not at the run they were glued into."""
    out: list[str] = []
    word = ""
    for ch in token:
        category = unicodedata.category(ch)
        if category == "So":
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        elif out and not word and (ch in "\ufe0f\u200d" or category == "Sk"):
            out[-1] += ch
        else:
            word += ch
    if word:
        out.append(word)
    return out


def original_words(original: str, words: Sequence[str]) -> list[str]:
    """For each word the model read, the piece of ``original`` it came from (a word or an emoji, as written), or
    the word itself when no single token yields it (letters spread over several tokens, "t e e n", are read as
    one word)."""
    candidates = [piece for token in original.split() for piece in [*pieces(token), token]]
    out = []
    for word in words:
        out.append(next((piece for piece in candidates if word in read_forms(piece)), word))
    return out


def original_words_slow(original: str, words: Sequence[str]) -> list[str]:
    """Obviously correct twin of :func:`original_words`: every token's forms rebuilt for every word, no cache."""
    out = []
    for word in words:
        found = word
        for token in original.split():
            for piece in [*pieces(token), token]:
                normalised = normalize(piece).text
                if word in set(normalised.split()) | set(romanize(normalised).text.split()):
                    found = piece
                    break
            if found is not word:
                break
        out.append(found)
    return out
