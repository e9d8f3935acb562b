"""The labelled synthetic corpus the text model is trained and measured on.

``generate(seed)`` renders the templates of ``scanner.text.model.vocab`` into names and descriptions in English,
Hindi (Devanagari), romanised Hindi, Tamil and Bengali. Two splits:

- ``train``: training templates filled with training words, plus obfuscated copies of some positives, plus
  real-word benign filler (``filler``: frequent words of each language, from the build step).
- ``heldout``: held-out templates filled with held-out words only, so no held-out name shares a template or an
  indicator word with training. Its figures measure generalisation to words the model never saw.
- ``heldout_templates``: held-out templates filled with training words: new phrasing of known vocabulary, the
  common case of a new group name.

The same seed always gives the same corpus (the build is reproducible and ``groupscan train`` retrains on it).
"""

from __future__ import annotations

import csv
import gzip
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner.text.model.obfuscate import OBFUSCATORS
from scanner.text.model.vocab import DESCRIPTION_TEMPLATES, GLUE, HELDOUT_EVERY, NAME_TEMPLATES, SLOTS

LABELS: tuple[str, ...] = ("benign", "child_safety", "sexual_solicitation", "incitement", "adult_content", "scam")
CATEGORIES: tuple[str, ...] = LABELS[1:]
BASE_LANGUAGES = ("en", "hi", "ta", "bn")
_SLOT = re.compile(r"\{(\w+)\}")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    language: str
    field: str = "name"
    split: str = "train"
    template: str = ""
    # For Devanagari Hindi: the same example romanised (the transliteration robustness test uses it).
    twin: str = ""
    obfuscation: str = ""


def _is_heldout(index: int) -> bool:
    return index % HELDOUT_EVERY == HELDOUT_EVERY - 1


def _part(items: Sequence, split: str) -> list:
    return [item for i, item in enumerate(items) if _is_heldout(i) == (split == "heldout")] or list(items)


def _words(slot: str, language: str, split: str) -> list:
    table: dict[str, list] = SLOTS.get(slot) or GLUE[slot]
    words = table.get(language) or table.get("any") or table["en"]
    return _part(words, split)


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _render(template: str, language: str, split: str, rng: random.Random) -> tuple[str, str]:
    """Fill a template; returns (text, romanised twin) where the twin differs only for Devanagari Hindi."""
    main: list[str] = []
    latin: list[str] = []
    last = 0
    for match in _SLOT.finditer(template):
        main.append(template[last:match.start()])
        latin.append(template[last:match.start()])
        word = rng.choice(_words(match.group(1), language, split))
        if isinstance(word, tuple):
            main.append(word[0])
            latin.append(word[1])
        else:
            main.append(word)
            latin.append(word)
        last = match.end()
    main.append(template[last:])
    latin.append(template[last:])
    return _tidy("".join(main)), _tidy("".join(latin))


def _per_label(label: str, language: str, field: str) -> int:
    """How many examples to draw per (label, language, field) in the training split; held-out draws a third."""
    base = 700 if field == "name" else 250
    if label == "benign":
        base *= 3
    if language != "en":
        base = base * 2 // 3
    return base


def _render_many(seed: int, split: str) -> Iterator[Example]:
    """``split`` is train, heldout (held-out templates and words) or heldout_templates (held-out templates filled
    with training words: new phrasing of known vocabulary)."""
    rng = random.Random(f"{seed}:{split}")
    words_split = "train" if split == "heldout_templates" else split
    template_split = "heldout" if split == "heldout_templates" else split
    for field, templates in (("name", NAME_TEMPLATES), ("description", DESCRIPTION_TEMPLATES)):
        for label in LABELS:
            chosen = _part(templates[label], template_split)
            for language in BASE_LANGUAGES:
                wanted = _per_label(label, language, field) // (1 if split == "train" else 3)
                seen: set[str] = set()
                for _ in range(wanted * 3):
                    if len(seen) >= wanted:
                        break
                    template = rng.choice(chosen)
                    if label == "incitement" and " ko " in template and language not in ("hi", "en"):
                        continue
                    text, twin = _render(template, language, words_split, rng)
                    if not text or text in seen:
                        continue
                    seen.add(text)
                    if language == "hi":
                        yield Example(text, label, "hi", field, split, template, twin=twin)
                        yield Example(twin, label, "hi-Latn", field, split, template)
                    else:
                        yield Example(text, label, language, field, split, template)


def _augment(examples: Sequence[Example], seed: int, share: float = 0.25) -> Iterator[Example]:
    """Obfuscated copies of some training positives, so the model also sees what normalisation leaves behind."""
    rng = random.Random(f"{seed}:augment")
    for example in examples:
        if example.label == "benign" and rng.random() > share / 3:
            continue
        if rng.random() > share:
            continue
        name = rng.choice(sorted(OBFUSCATORS))
        yield Example(OBFUSCATORS[name](example.text, rng), example.label, example.language, example.field,
                      example.split, example.template, obfuscation=name)


def filler_examples(words: dict[str, Sequence[str]], seed: int, per_language: int = 1500) -> list[Example]:
    """Benign names made of frequent real words (1 to 4 of them): teaches the model that ordinary vocabulary in
    every script is benign. ``words`` comes from the build step (frequency lists), already stripped of any word
    that the lexicon reads as an indicator."""
    rng = random.Random(f"{seed}:filler")
    out = []
    for language, vocabulary in sorted(words.items()):
        if not vocabulary:
            continue
        seen: set[str] = set()
        for _ in range(per_language * 2):
            if len(seen) >= per_language:
                break
            text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 4)))
            if text not in seen:
                seen.add(text)
                out.append(Example(text, "benign", language, "name", "train", "filler"))
    return out


def generate(seed: int = 13, filler: dict[str, Sequence[str]] | None = None) -> list[Example]:
    """The whole corpus, both splits, deterministic in ``seed``."""
    train = list(_render_many(seed, "train"))
    seen = {e.text for e in train}
    # Words shared across languages (romanised Hindi "shayari" is also English usage) can render the same text
    # in both splits; such a text is not held out.
    heldout = [e for e in _render_many(seed, "heldout") if e.text not in seen]
    heldout += [e for e in _render_many(seed, "heldout_templates") if e.text not in seen]
    augmented = list(_augment(train, seed))
    extra = filler_examples(filler, seed) if filler else []
    return train + augmented + extra + heldout


FIELDS = ("text", "label", "language", "field", "split", "template", "twin", "obfuscation")


def write_corpus(examples: Iterable[Example], path: Path) -> int:
    """Write the corpus as gzipped TSV (what ``groupscan train`` reads back as its base corpus)."""
    count = 0
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(FIELDS)
        for example in examples:
            writer.writerow([getattr(example, name) for name in FIELDS])
            count += 1
    return count


def read_corpus(path: Path) -> list[Example]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return [Example(**{name: row[name] for name in FIELDS}) for row in reader]
