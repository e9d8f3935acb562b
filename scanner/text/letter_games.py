"""Steps 9-12 of ``scanner.text.normalize``: letter games played on an already cleaned, case-folded text
(runs of repeated letters, spaced-out letters, leetspeak), repeated until the text stops changing."""

from __future__ import annotations

import re

# --- 9-12. letter games -----------------------------------------------------------------------------------


def letter_games(s: str, found: set[str]) -> str:
    """Squeeze, join spaced letters, undo leet, squeeze, until nothing changes. One round is not always a
    fixed point ("a@a" -> "aaa" -> "a" is a new single letter that may join its neighbours), and
    ``normalize`` must be idempotent. Every round that changes something shortens the text or replaces a
    digit by a letter, so this ends in a few rounds; the bound is a guard."""
    for _ in range(8):
        before = s
        s = _squeeze(s, found)
        s = _join_spaced_letters(s, found)
        s = _undo_leet(s, found)
        s = _squeeze(s, found)
        if s == before:
            break
    return s


# --- repeated letters --------------------------------------------------------------------------------

_RUN = re.compile(r"([a-z])\1{2,}")
_KEEP_TWO = frozenset("eo")


def _squeeze_run(match: re.Match[str]) -> str:
    """Runs of 3+ of one letter: "e" and "o" keep two (teeeen -> teen, schooool -> school: the key vocabulary
    doubles those letters), "x" keeps three ("xxx" is itself a term), every other letter keeps one
    (paaaid -> paid, hotttt -> hot). No English word has a letter three times in a row."""
    letter = match.group(1)
    if letter == "x":
        return "xxx"
    return letter * 2 if letter in _KEEP_TWO else letter


def _squeeze(s: str, found: set[str]) -> str:
    squeezed = _RUN.sub(_squeeze_run, s)
    if squeezed != s:
        found.add("repeated_letters")
    return squeezed


# --- spaced-out letters --------------------------------------------------------------------------------

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"}
_LEET_CLASS = re.escape("0134578@$")
_MEMBER = re.compile(rf"[a-z]|[{_LEET_CLASS}]|[a-z][{_LEET_CLASS}]|[{_LEET_CLASS}][a-z]")
# Single letters that are words in chat ("r u a", "i n u"): three of them in a row are a sentence, not a word.
_CHAT_LETTERS = frozenset("aikcnoruy")


def _has_letter(word: str) -> bool:
    return any("a" <= ch <= "z" for ch in word)


def _qualifies(run: list[str]) -> bool:
    if len(run) < 3 or sum(ch.isalpha() for word in run for ch in word) < 2:
        return False
    return not (len(run) == 3 and all(word in _CHAT_LETTERS for word in run))


def _join_spaced_letters(s: str, found: set[str]) -> str:
    """Re-join "s c h o o l" / "t 3 3 n" / "ᴛ3 3 n": 3+ consecutive one-character pieces (or a letter glued to
    one leet digit) that start and end with a letter. Two single letters ("a b testing") are left alone, and
    so are numbers ("class 8 a"). Runs here are separated by spaces only because step 8 already turned dots,
    dashes and underscores into spaces; that also makes the rule idempotent."""
    words = s.split(" ")
    out: list[str] = []
    i = 0
    while i < len(words):
        if not _MEMBER.fullmatch(words[i]):
            out.append(words[i])
            i += 1
            continue
        j = i
        while j < len(words) and _MEMBER.fullmatch(words[j]):
            j += 1
        run = words[i:j]
        start, end = 0, len(run)
        while start < end and not _has_letter(run[start]):
            start += 1
        while end > start and not _has_letter(run[end - 1]):
            end -= 1
        if _qualifies(run[start:end]):
            found.add("spaced_letters")
            out.extend([*run[:start], "".join(run[start:end]), *run[end:]])
        else:
            out.extend(run)
        i = j
    return " ".join(out)


# --- leetspeak -----------------------------------------------------------------------------------------

_SEGMENT = re.compile(rf"(?P<alpha>[a-z]+)|(?P<leet>[{_LEET_CLASS}]+)|(?P<other>[^a-z{_LEET_CLASS}]+)")


def _undo_leet_word(word: str) -> str:
    """Undo leetspeak in one word. A digit/symbol run between letters is leet ("t33n", "h0t", "p@id");
    a single leading or trailing one is leet only if the word also has such an inner run ("5ch00l"),
    except ``$`` next to 3+ letters ("$chool", "girl$"). Otherwise numbers glued to letters are units and
    ages and must stay: "14yo", "8yrs", "3rd", "4k", "mp3", "u18", "covid19". A leading "@" is a mention
    and is never touched."""
    segments = [(m.lastgroup or "", m.group(0)) for m in _SEGMENT.finditer(word)]
    last = len(segments) - 1
    inner = {
        i
        for i, (kind, _) in enumerate(segments)
        if kind == "leet" and 0 < i < last and segments[i - 1][0] == "alpha" and segments[i + 1][0] == "alpha"
    }
    convert = set(inner)
    for edge, neighbour in ((0, 1), (last, last - 1)):
        if last < 1:
            break
        kind, text = segments[edge]
        near_kind, near_text = segments[neighbour]
        if kind != "leet" or len(text) != 1 or text == "@" or near_kind != "alpha":
            continue
        if inner or (text == "$" and len(near_text) >= 3):
            convert.add(edge)
    if not convert:
        return word
    return "".join("".join(_LEET[ch] for ch in text) if i in convert else text for i, (_, text) in enumerate(segments))


def _undo_leet(s: str, found: set[str]) -> str:
    out: list[str] = []
    for word in s.split(" "):
        fixed = _undo_leet_word(word) if _has_letter(word) else word
        if fixed != word:
            found.add("leetspeak")
        out.append(fixed)
    return " ".join(out)
