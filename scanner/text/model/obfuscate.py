"""Obfuscations that abusive groups use on names, applied to clean text: for training augmentation and for the
robustness figures (recall on the same held-out positives after each trick, compared with clean text).

Each function is pure given its ``random.Random``; none of them needs to know the language. ``transliterate`` is
the exception: romanising Hindi needs the corpus's Devanagari/Latin twins, so the corpus applies it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "g": "9", "b": "8"}
_HOMOGLYPH = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "k": "к",
              "A": "А", "E": "Е", "O": "О", "P": "Р", "C": "С", "T": "Т", "H": "Н", "M": "М", "K": "К"}
_EMOJI_FOR = {"18+": "🔞", "paid": "💰", "girls": "👧👧", "girl": "👧", "child": "🧒", "kids": "🧒", "link": "🔗",
              "new": "🆕", "free": "🆓", "weapons": "🔪", "swords": "🗡", "bomb": "💣", "bombs": "💣"}
_DECORATION = ["🔥", "💯", "😍", "👉", "✅", "⭐", "💦", "🎉"]
_WORD = re.compile(r"[A-Za-z]+")


def leetspeak(text: str, rng: random.Random) -> str:
    """Swap letters for digits inside Latin words ("teen" -> "t33n"), about half the swappable letters."""
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        chars = [(_LEET.get(ch.lower(), ch) if rng.random() < 0.6 else ch) for ch in word]
        return "".join(chars)
    return _WORD.sub(swap, text)


def homoglyphs(text: str, rng: random.Random) -> str:
    """Replace Latin letters with Cyrillic look-alikes ("teen" -> "tееn" with Cyrillic е)."""
    return "".join(_HOMOGLYPH[ch] if ch in _HOMOGLYPH and rng.random() < 0.5 else ch for ch in text)


def spacing(text: str, rng: random.Random) -> str:
    """Spell out the longest Latin word letter by letter ("school" -> "s c h o o l" or "s.c.h.o.o.l").

    Only Latin words: spacing out an Indic word would split its letters from their vowel signs, which no one
    does because it stops being readable."""
    words = text.split(" ")
    latin = [i for i, word in enumerate(words) if word.isascii() and word.isalpha()]
    if not latin:
        return text
    longest = max(latin, key=lambda i: len(words[i]))
    sep = rng.choice([" ", ".", "-", "\u200b"])
    words[longest] = sep.join(words[longest])
    return " ".join(words)


def emoji(text: str, rng: random.Random) -> str:
    """Replace words that have an emoji stand-in, and sprinkle decoration between words."""
    out = []
    for word in text.split(" "):
        key = word.lower()
        out.append(_EMOJI_FOR[key] if key in _EMOJI_FOR and rng.random() < 0.8 else word)
        if rng.random() < 0.3:
            out.append(rng.choice(_DECORATION))
    return " ".join(out)


OBFUSCATORS: dict[str, Callable[[str, random.Random], str]] = {
    "leetspeak": leetspeak,
    "homoglyphs": homoglyphs,
    "spacing": spacing,
    "emoji": emoji,
}
