"""Finding lexicon terms in a text: exact phrases, romanised and skeleton forms (one entry reads every Indic
script), one-edit misspellings and terms glued into longer words, each hit saying how it matched; and the
strength of each indicator class over the hits (``scanner.text.lexicon`` combines the classes into categories).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.text.romanize import RomanView, consonants, romanize, skeleton

if TYPE_CHECKING:
    from scanner.text.lexicon import Lexicon, Term


@dataclass(frozen=True)
class Hit:
    indicator: str
    term: str
    weight: float
    field: str
    start: int
    end: int
    # How the term was found: "exact", "romanised" (in another script), "skeleton" (another script's spelling),
    # "fuzzy" (misspelt), "glued" (inside words run together); and the lexicon term it matched.
    how: str = "exact"
    lexeme: str = ""


#: A misspelling is one edit (insert, delete, substitute, swap) from a term of at least this many letters.
FUZZY_MIN_LETTERS = 6
#: Terms at least this strong are looked for misspelt and inside glued words; weak ones are too common.
FUZZY_MIN_WEIGHT = 0.5
#: A skeleton match needs this many letters in total: shorter skeletons collide with everyday words.
SKELETON_MIN_LETTERS = 3
#: Longest phrase (in words) matched by skeleton; lookups try every length up to it at each word position.
MAX_WORDS = 6


def _blocked(lexicon: Lexicon, text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for pattern in lexicon.exceptions for m in pattern.finditer(text)]


def _regex_hits(terms: Sequence[Term], text: str, field: str, blocked: list[tuple[int, int]]) -> list[Hit]:
    hits = []
    for term in terms:
        if term.anchor and term.anchor not in text:
            continue
        for match in term.pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in blocked):
                continue
            hits.append(Hit(term.indicator, match.group(0), term.weight, field, match.start(), match.end(),
                            "exact", term.term))
    return hits


def _token_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def _skeleton_hits(lexicon: Lexicon, view: RomanView, field: str, spans: list[tuple[int, int]]) -> list[Hit]:
    """Terms whose skeleton equals that of consecutive words: words in a non-Latin script against every term,
    romanised words ("maaro", "ladkiyaan") against the terms of Indian languages only, since English words
    spelt without "a" and "h" collide with each other."""
    keys = [skeleton(r) if foreign or r.isalpha() else "" for r, foreign in zip(view.roman, view.foreign,
                                                                                 strict=True)]
    # Words in other scripts are also compared on consonants alone: Urdu writes few vowels, and vowel signs
    # transliterate differently across scripts.
    bare = [consonants(r) if foreign else "" for r, foreign in zip(view.roman, view.foreign, strict=True)]
    hits = _aligned_hits(lexicon.skeleton_index, keys, view, field, spans)
    hits.extend(_aligned_hits(lexicon.consonant_index, bare, view, field, spans))
    return hits


def _aligned_hits(index: dict[tuple[str, ...], tuple[Term, ...]], keys: list[str], view: RomanView, field: str,
                  spans: list[tuple[int, int]]) -> list[Hit]:
    hits = []
    for i in range(len(keys)):
        if not keys[i]:
            continue
        for size in range(1, min(MAX_WORDS, len(keys) - i) + 1):
            if not keys[i + size - 1]:
                break
            for term in index.get(tuple(keys[i:i + size]), ()):
                if term.language != "en" or any(view.foreign[i:i + size]):
                    hits.append(Hit(term.indicator, " ".join(view.tokens[i:i + size]), term.weight, field,
                                    spans[i][0], spans[i + size - 1][1], "skeleton", term.term))
    return hits


def _fuzzy_hits(lexicon: Lexicon, text: str, field: str, spans: list[tuple[int, int]],
                covered: list[tuple[int, int]]) -> list[Hit]:
    """Latin words one edit away from a strong term of 6+ letters ("undrage", "escrot"), each weighed a little
    less than the term: the edit might be a different word."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    if not lexicon.fuzzy:
        return []
    choices = [core for core, _ in lexicon.fuzzy]
    hits = []
    for start, end in spans:
        word = text[start:end]
        if (len(word) < FUZZY_MIN_LETTERS - 1 or not word.isascii() or not word.isalpha()
                or any(s < end and start < e for s, e in covered)):
            continue
        found = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=1)
        if found is None or found[1] == 0:
            continue
        term = lexicon.fuzzy[found[2]][1]
        hits.append(Hit(term.indicator, word, round(term.weight * 0.9, 4), field, start, end, "fuzzy", term.term))
    return hits


def _glued_hits(lexicon: Lexicon, text: str, field: str, spans: list[tuple[int, int]]) -> list[Hit]:
    """Strong terms inside one long word of letters that spacing-out produced ("teengirlspaid" from
    "t e e n g i r l s p a i d"): only called when the normaliser joined spaced letters, as ordinary long
    words ("minorities") contain terms innocently."""
    hits = []
    for start, end in spans:
        word = text[start:end]
        if len(word) < 8 or not word.isalpha():
            continue
        for term in lexicon.terms:
            core = term.anchor
            if (term.term.startswith("re:") or " " in term.term or len(core) < 4 or core == word
                    or term.weight < FUZZY_MIN_WEIGHT or core not in word):
                continue
            at = start + word.index(core)
            hits.append(Hit(term.indicator, core, term.weight, field, at, at + len(core), "glued", term.term))
    return hits


def find_hits(lexicon: Lexicon, text: str, field: str, glued: bool = False) -> list[Hit]:
    """Every term occurrence in normalised ``text`` that no exception phrase covers: as written, then in the
    romanised view of words in other scripts (shown in their own script), by skeleton, misspelt, and, when
    ``glued``, inside words that spaced-out letters ran together.

    Offsets are those of ``text``; a hit on the romanised view covers the original words behind it."""
    if not text:
        return []
    blocked = _blocked(lexicon, text)
    hits = _regex_hits(lexicon.terms, text, field, blocked)
    spans = _token_spans(text)
    view = romanize(text)
    hits.extend(_skeleton_hits(lexicon, view, field, spans))
    if view.changed:
        roman = view.text
        roman_spans = _token_spans(roman)
        blocked_roman = _blocked(lexicon, roman)
        for hit in _regex_hits((*lexicon.terms, *lexicon.roman_terms), roman, field, blocked_roman):
            first = sum(1 for s, _ in roman_spans if s <= hit.start) - 1
            last = sum(1 for s, _ in roman_spans if s < hit.end) - 1
            if not any(view.foreign[first:last + 1]):
                continue  # a Latin word: already matched as written
            hits.append(Hit(hit.indicator, view.original_span(hit.start, hit.end), hit.weight, field,
                            spans[first][0], spans[last][1], "romanised", hit.lexeme))
    covered = [(h.start, h.end) for h in hits] + blocked
    hits.extend(_fuzzy_hits(lexicon, text, field, spans, covered))
    if glued:
        hits.extend(_glued_hits(lexicon, text, field, spans))
    return hits


def class_strengths(hits: Sequence[Hit]) -> dict[str, tuple[float, list[Hit]]]:
    """Per indicator class: noisy-OR of its distinct terms' weights, and the hits behind it (strongest first)."""
    grouped: dict[str, dict[str, Hit]] = {}
    for hit in hits:
        best = grouped.setdefault(hit.indicator, {})
        if hit.term not in best or best[hit.term].weight < hit.weight:
            best[hit.term] = hit
    out = {}
    for indicator, by_term in grouped.items():
        ordered = sorted(by_term.values(), key=lambda h: (-h.weight, h.term))
        miss = 1.0
        for hit in ordered:
            miss *= 1.0 - hit.weight
        out[indicator] = (1.0 - miss, ordered)
    return out
