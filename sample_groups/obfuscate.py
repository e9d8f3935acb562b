"""Text obfuscations that real abusive groups use to dodge keyword filters.

Each function maps plain text to an evasive surface form. They are applied to
ring names so a scanner's normaliser is exercised: some forms fold back under
Unicode NFKC (fullwidth, math bold, circled letters), some need explicit
tables (Cyrillic homoglyphs, small caps, leetspeak), and some need stripping
(zero-width characters, letter spacing, dot separators). The same fancy-font
forms are also applied to a few benign names so "uses a fancy font" is not by
itself a signal.
"""

from __future__ import annotations

import random
from collections.abc import Callable

_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
_CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
_SMALL_CAPS = dict(zip(
    "abcdefghijklmnopqrstuvwxyz",
    "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡxʏᴢ",
    strict=True,
))
_ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060"]


def leet(text: str, rng: random.Random) -> str:
    """Swap some letters for digits ("teen" -> "t33n")."""
    out = []
    for ch in text:
        sub = _LEET.get(ch.lower())
        out.append(sub if sub and rng.random() < 0.7 else ch)
    return "".join(out)


def spaced(text: str, rng: random.Random) -> str:
    """Put a space between letters ("school" -> "s c h o o l")."""
    return " ".join(ch for ch in text if ch != " ")


def dotted(text: str, rng: random.Random) -> str:
    """Separate letters with dots or underscores ("t.e.e.n")."""
    sep = rng.choice([".", "_", "-"])
    return sep.join(ch for ch in text if ch != " ")


def zero_width(text: str, rng: random.Random) -> str:
    """Insert invisible zero-width characters between letters."""
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        if i < len(text) - 1 and ch != " " and rng.random() < 0.6:
            out.append(rng.choice(_ZERO_WIDTH))
    return "".join(out)


def cyrillic(text: str, rng: random.Random) -> str:
    """Replace Latin letters with look-alike Cyrillic ones (not folded by NFKC)."""
    out = []
    for ch in text:
        sub = _CYRILLIC.get(ch)
        out.append(sub if sub and rng.random() < 0.8 else ch)
    return "".join(out)


def fullwidth(text: str, rng: random.Random) -> str:
    """Fullwidth forms ("ｔｅｅｎ"); NFKC folds these back."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def small_caps(text: str, rng: random.Random) -> str:
    """Phonetic small capitals ("ᴛᴇᴇɴ"); NFKC does NOT fold these."""
    return "".join(_SMALL_CAPS.get(ch.lower(), ch) for ch in text)


def math_bold(text: str, rng: random.Random) -> str:
    """Mathematical bold letters ("𝐭𝐞𝐞𝐧"); NFKC folds these back."""
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            out.append(chr(0x1D41A + ord(ch) - ord("a")))
        elif "A" <= ch <= "Z":
            out.append(chr(0x1D400 + ord(ch) - ord("A")))
        else:
            out.append(ch)
    return "".join(out)


def circled(text: str, rng: random.Random) -> str:
    """Circled letters ("ⓣⓔⓔⓝ"); NFKC folds these back."""
    return "".join(chr(0x24D0 + ord(ch.lower()) - ord("a")) if ch.isascii() and ch.isalpha() else ch
                   for ch in text)


def stretched(text: str, rng: random.Random) -> str:
    """Repeat one vowel ("teeeen")."""
    idx = [i for i, ch in enumerate(text) if ch in "aeiou"]
    if not idx:
        return text
    i = rng.choice(idx)
    return text[:i] + text[i] * rng.randint(2, 4) + text[i + 1:]


OBFUSCATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "leet": leet,
    "spaced": spaced,
    "dotted": dotted,
    "zero_width": zero_width,
    "cyrillic": cyrillic,
    "fullwidth": fullwidth,
    "small_caps": small_caps,
    "math_bold": math_bold,
    "circled": circled,
    "stretched": stretched,
}

# Fancy-font styles also used by ordinary people for ordinary names.
BENIGN_STYLES = ["math_bold", "small_caps", "fullwidth", "circled"]


def apply(kind: str, text: str, rng: random.Random) -> str:
    """Apply the named obfuscation to ``text``."""
    return OBFUSCATIONS[kind](text, rng)
