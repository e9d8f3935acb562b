"""Lexicon signal: indicator terms in names and descriptions, combined by the policy's rules into categories.

A rule's score is its weight times the weakest of its classes' strengths (a fuzzy AND), and a class's
strength is the noisy-OR of its matched terms' weights.

Why rules over classes rather than one weight per term: most single words are innocent ("teen", "paid", "class
8"); it is their combination that indicates harm ("teen" + "paid"). Classes keep that logic small and
explainable: a reason reads 'name has a minor indicator ("teen") with a trade indicator ("paid")'.

The lexicon file is data (``scanner/data/lexicon.yaml`` by default); a deployer loads their own real list in the
same format. Matching runs on normalised text, so obfuscated spellings match and the reason says so.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import ClassVar

import yaml
from pydantic import BaseModel

from scanner.policy import INDICATOR_CLASSES, LexiconPolicy, Policy
from scanner.reasons import Reason
from scanner.schema import GroupSnapshot
from scanner.signals.base import ScanContext, SignalResult, SignalSetup, example
from scanner.text.lexicon_match import (
    FUZZY_MIN_LETTERS,
    FUZZY_MIN_WEIGHT,
    MAX_WORDS,
    SKELETON_MIN_LETTERS,
    Hit,
    class_strengths,
    find_hits,
)
from scanner.text.normalize import normalize
from scanner.text.original_words import original_words
from scanner.text.romanize import consonants, romanize_token, skeleton

# Letters of the scripts we read, including Indic vowel signs (which are not \w in Python's re).
_LETTER = r"[\w\u0300-\u036f\u0900-\u0dff]"
CLASS_LABELS = {
    "csam": "child-abuse-material term",
    "minor": "minor indicator",
    "sexual": "sexual indicator",
    "trade": "trade indicator",
    "solicitation": "solicitation term",
    "violence": "violence indicator",
    "coordination": "coordination indicator",
    "target": "targeting indicator",
    "riot": "riot term",
    "scam": "scam phrase",
    "money": "money indicator",
    "evasion": "evasion wording",
    "media": "media-sharing word",
    "age_number": "age written as a number",
}


class LexiconError(ValueError):
    """A lexicon file that cannot be used."""


@dataclass(frozen=True)
class Term:
    indicator: str
    language: str
    term: str
    weight: float
    pattern: re.Pattern[str]
    # A literal every match must contain: a cheap substring test skips the regex for most texts.
    anchor: str = ""


@dataclass(frozen=True)
class Lexicon:
    terms: tuple[Term, ...]
    exceptions: tuple[re.Pattern[str], ...]
    source: str
    # Derived views (``_derive``): terms written in a non-Latin script, romanised; single Latin words long
    # enough to match misspelt; the skeletons of every plain term's words, and their consonants alone, indexed
    # by key (one lookup per word position and phrase length).
    roman_terms: tuple[Term, ...] = ()
    fuzzy: tuple[tuple[str, Term], ...] = ()
    skeleton_index: dict[tuple[str, ...], tuple[Term, ...]] = field(default_factory=dict, compare=False)
    consonant_index: dict[tuple[str, ...], tuple[Term, ...]] = field(default_factory=dict, compare=False)


def _index(entries: Sequence[tuple[tuple[str, ...], Term]]) -> dict[tuple[str, ...], tuple[Term, ...]]:
    out: dict[tuple[str, ...], list[Term]] = {}
    for key, term in entries:
        out.setdefault(key, []).append(term)
    return {key: tuple(terms) for key, terms in out.items()}


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Whole-word pattern for a normalised phrase; a trailing ``*`` allows any word continuation."""
    prefix = phrase.endswith("*")
    core = normalize(phrase.rstrip("*")).text
    if not core:
        raise LexiconError(f"term {phrase!r} is empty after normalisation")
    body = re.escape(core).replace(r"\ ", r"\s+")
    tail = f"{_LETTER}*" if prefix else ""
    # Terms that start or end with a symbol ("18+", "₹") need no word boundary on that side.
    left = f"(?<!{_LETTER})" if re.match(_LETTER, core[0]) else ""
    right = f"(?!{_LETTER})" if prefix or re.match(_LETTER, core[-1]) else ""
    return re.compile(f"{left}{body}{tail}{right}")


def parse_lexicon(data: object, source: str) -> Lexicon:
    if not isinstance(data, dict) or not isinstance(data.get("terms"), dict):
        raise LexiconError(f"{source}: a lexicon has a 'terms' mapping")
    terms: list[Term] = []
    for indicator, languages in data["terms"].items():
        if indicator not in INDICATOR_CLASSES:
            raise LexiconError(f"{source}: unknown indicator class {indicator!r}")
        if not isinstance(languages, dict):
            raise LexiconError(f"{source}: terms.{indicator} maps languages to terms")
        for language, entries in languages.items():
            for term, weight in (entries or {}).items():
                term = str(term)
                if not isinstance(weight, int | float) or not 0 < weight <= 1:
                    raise LexiconError(f"{source}: weight of {indicator}/{term!r} must be in (0, 1]")
                try:
                    pattern = re.compile(term[3:]) if term.startswith("re:") else _phrase_pattern(term)
                except re.error as error:
                    raise LexiconError(f"{source}: bad pattern {term!r}: {error}") from None
                anchor = "" if term.startswith("re:") else normalize(term.rstrip("*")).text.split(" ")[0]
                terms.append(Term(indicator, str(language), term, float(weight), pattern, anchor))
    try:
        exceptions = tuple(re.compile(str(p)[3:]) if str(p).startswith("re:") else _phrase_pattern(str(p))
                           for p in data.get("exceptions") or [])
    except re.error as error:
        raise LexiconError(f"{source}: bad exception pattern: {error}") from None
    return _derive(Lexicon(tuple(terms), exceptions, source))


def _derive(lexicon: Lexicon) -> Lexicon:
    """Add the romanised, skeleton and fuzzy views of a lexicon's plain (non-regex) terms."""
    roman: list[Term] = []
    fuzzy: list[tuple[str, Term]] = []
    skeletons: list[tuple[tuple[str, ...], Term]] = []
    bare: list[tuple[tuple[str, ...], Term]] = []
    for term in lexicon.terms:
        if term.term.startswith("re:"):
            continue
        core = normalize(term.term.rstrip("*")).text
        words = core.split(" ")
        romanised = " ".join(romanize_token(w) for w in words)
        if romanised != core:
            pattern = _phrase_pattern(romanised + ("*" if term.term.endswith("*") else ""))
            roman.append(Term(term.indicator, term.language, term.term, term.weight, pattern,
                              romanised.split(" ")[0]))
        key = tuple(skeleton(romanize_token(w)) for w in words)
        if len(words) > MAX_WORDS:
            continue  # a longer phrase still matches as written and romanised
        if all(key) and sum(map(len, key)) >= SKELETON_MIN_LETTERS:
            skeletons.append((key, term))
        key = tuple(consonants(romanize_token(w)) for w in words)
        # English terms stay out: consonants alone make them collide with Indian words ("sikhs", "seksi").
        if term.language != "en" and all(key) and sum(map(len, key)) >= SKELETON_MIN_LETTERS:
            bare.append((key, term))
        if (len(words) == 1 and core.isalpha() and core.isascii() and len(core) >= FUZZY_MIN_LETTERS
                and term.weight >= FUZZY_MIN_WEIGHT):
            fuzzy.append((core, term))
    return Lexicon(lexicon.terms, lexicon.exceptions, lexicon.source, tuple(roman), tuple(fuzzy),
                   _index(skeletons), _index(bare))


def load_lexicon(path: Path | None = None) -> Lexicon:
    if path is None:
        return default_lexicon()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise LexiconError(f"{path}: cannot read lexicon: {error}") from None
    return parse_lexicon(data, str(path))


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    text = resources.files("scanner").joinpath("data/lexicon.yaml").read_text(encoding="utf-8")
    return parse_lexicon(yaml.safe_load(text), "scanner/data/lexicon.yaml")


_HOW = {"romanised": "read as", "skeleton": "spelling of", "fuzzy": "misspelt", "glued": "run together, in"}


def _shown(hit: Hit, originals: dict[str, str] | None = None) -> str:
    """A hit as the moderator reads it: the words as written, and the lexicon term when it was found another
    way ('"బచ్చె" (spelling of bacche)'); a term the normaliser uncovered says how the group wrote it
    ('"teen" (written "T33N")')."""
    note = ""
    if originals and originals.get(hit.field):
        written = " ".join(original_words(originals[hit.field], hit.term.split()))
        if written.casefold() != hit.term:
            note = f' (written "{written}")'
    if hit.how == "exact" or hit.how not in _HOW:
        return f'"{hit.term}"{note}'
    return f'"{hit.term}"{note} ({_HOW[hit.how]} {hit.lexeme.rstrip("*")})'


def _describe(indicator: str, hits: list[Hit], originals: dict[str, str] | None = None) -> str:
    terms = ", ".join(_shown(h, originals) for h in hits[:2])
    return f"a {CLASS_LABELS[indicator]} ({terms})"


def score_text(
    name: str, description: str, lexicon: Lexicon, policy: LexiconPolicy
) -> tuple[dict[str, float], list[Reason], frozenset[str], dict[str, object]]:
    """Pure scoring of one group's texts: category scores, reasons, modifiers and features."""
    fields = {"name": normalize(name), "description": normalize(description)}
    hits = [h for field, norm in fields.items()
            for h in find_hits(lexicon, norm.text, field, glued="spaced_letters" in norm.obfuscations)]
    strengths = class_strengths(hits)
    tricks = sorted({t for norm in fields.values() for t in norm.obfuscations})
    scores: dict[str, float] = {}
    reasons: list[Reason] = []
    for category, rules in policy.rules.items():
        best, best_rule = 0.0, None
        for rule in rules:
            if not all(c in strengths for c in rule.all_of) or any(c in strengths for c in rule.none_of):
                continue
            # Fuzzy AND: a combination is as strong as its weakest indicator (monotone, and it reads simply).
            value = rule.weight * min(strengths[indicator][0] for indicator in rule.all_of)
            if value > best:
                best, best_rule = value, rule
        if best_rule is None:
            continue
        scores[category] = best
        used = [strengths[c][1] for c in best_rule.all_of]
        where = sorted({h.field for group in used for h in group})
        parts = " with ".join(_describe(c, strengths[c][1], {"name": name, "description": description})
                              for c in best_rule.all_of)
        trick_note = f" (written obfuscated: {', '.join(tricks)})" if tricks else ""
        reasons.append(
            Reason(
                signal="lexicon",
                feature="+".join(best_rule.all_of),
                value="; ".join(h.term for group in used for h in group[:2]),
                category=category,
                weight=best,
                sentence=f"{' and '.join(where).capitalize()} {'has' if len(where) == 1 else 'have'} {parts}"
                f"{trick_note}.",
            )
        )
    modifiers = set()
    if "evasion" in strengths:
        modifiers.add("evasion")
        terms = ", ".join(f'"{h.term}"' for h in strengths["evasion"][1][:2])
        reasons.append(
            Reason("lexicon", "evasion", terms, "evasion", strengths["evasion"][0],
                   f"Uses evasion wording ({terms}), as groups that respawn after bans do.")
        )
    if tricks and scores:
        modifiers.add("obfuscation")
    features: dict[str, object] = {"indicators": {c: round(s, 4) for c, (s, _) in strengths.items()},
                                   "obfuscations": tricks}
    return scores, reasons, frozenset(modifiers), features


def lexicon_fingerprint(lexicon: Lexicon) -> str:
    """A digest of what a lexicon matches: its terms and exception patterns."""
    digest = hashlib.sha256()
    for term in lexicon.terms:
        digest.update(f"{term.indicator}\0{term.language}\0{term.term}\0{term.weight}\0{term.pattern.pattern}\n"
                      .encode())
    for pattern in lexicon.exceptions:
        digest.update(f"except\0{pattern.pattern}\n".encode())
    return digest.hexdigest()[:16]


class LexiconSignal:
    """The lexicon as a ``Signal``. Caches by (name, description): names repeat a lot across groups."""

    name = "lexicon"
    # 2: romanised, skeleton, fuzzy and glued matching (the fingerprint covers the terms, not the matcher).
    version = "2"
    order: ClassVar[int] = 10
    config_model: ClassVar[type[BaseModel] | None] = LexiconPolicy

    @classmethod
    def from_policy(cls, policy: Policy, setup: SignalSetup) -> LexiconSignal | None:
        return cls(policy.signals.lexicon, setup.lexicon) if policy.signals.lexicon.enabled else None

    @classmethod
    def examples(cls) -> list[GroupSnapshot]:
        return [example("ex:lexicon:trade", "teen paid new link"),
                example("ex:lexicon:benign", "Sundarpur cricket club", "Sunday matches, 18+ league")]

    def __init__(self, policy: LexiconPolicy, lexicon: Lexicon | None = None) -> None:
        self.policy = policy
        self.lexicon = lexicon or default_lexicon()
        self._cache: dict[tuple[str, str], tuple] = {}

    def cache_key(self) -> str:
        """Results depend on the snapshot, the policy and the lexicon's terms (a deployer's list changes them)."""
        return f"{self.version}:{lexicon_fingerprint(self.lexicon)}"

    def score(self, snapshots: Sequence[GroupSnapshot], context: ScanContext) -> list[SignalResult]:
        results = []
        for snap in snapshots:
            key = (snap.name, snap.description)
            if key not in self._cache:
                self._cache[key] = score_text(snap.name, snap.description, self.lexicon, self.policy)
            scores, reasons, modifiers, features = self._cache[key]
            results.append(SignalResult(snap.group_id, self.name, scores, tuple(reasons), modifiers, features))
        return results
