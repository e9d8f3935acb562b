"""Text model signal: the trained ONNX classifier on normalised names and descriptions.

It complements the lexicon rather than replacing it: the lexicon explains itself term by term and catches the
exact indicator words a deployer lists; the model catches paraphrases, other scripts and leftovers of obfuscation
that no list spells out. Each model score is evidence only above ``min_probability`` and is scaled by the policy's
``weight``, so a model that is unsure adds nothing, and every reason names the words that pushed it (occlusion).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from scanner.policy import Policy, TextModelPolicy
from scanner.reasons import Reason
from scanner.schema import GroupSnapshot
from scanner.signals.base import ScanContext, SignalResult, SignalSetup, example
from scanner.text.lexicon import Lexicon, default_lexicon
from scanner.text.model.model import DEFAULT_MODEL_DIR, TextModel
from scanner.text.model.ngrams import MAX_CHARS
from scanner.text.normalize import normalize
from scanner.text.original_words import original_words
from scanner.text.romanize import romanize

FIELDS = ("name", "description")
#: The reading scheme (``views``): descriptions in overlapping windows, other scripts also romanised.
READING = "views.1"


@lru_cache(maxsize=4)
def load_text_model(path: str | None = None) -> TextModel:
    """One loaded model per directory and process: ONNX sessions are costly to build and safe to share."""
    return TextModel(Path(path) if path else DEFAULT_MODEL_DIR)


def windows(text: str, size: int = MAX_CHARS) -> list[str]:
    """A text cut into overlapping runs of whole words of at most ``size`` characters, so a long description is
    read whole by a model that reads ``size`` characters at a time: a pitch in its last line counts as much as
    one in its first. Consecutive windows share about half their words."""
    if len(text) <= size:
        return [text]
    words = text.split(" ")
    out: list[str] = []
    start = 0
    while start < len(words):
        end, length = start, -1
        while end < len(words) and length + 1 + len(words[end]) <= size:
            length += 1 + len(words[end])
            end += 1
        end = max(end, start + 1)
        out.append(" ".join(words[start:end]))
        if end >= len(words):
            break
        start = max(start + 1, (start + end) // 2)
    return out


def views(text: str, romanised: bool = True) -> list[str]:
    """What the model reads of one prepared text: its windows, and when it has words in a script other than
    Latin, the windows of its romanised form too (one romanised spelling for every Indian script)."""
    out = windows(text)
    roman = romanize(text)
    if romanised and roman.changed:
        out += [w for w in windows(roman.text) if w not in out]
    return out


def describe(field: str, category: str, probability: float, words: Sequence[tuple[str, float]],
             written: Sequence[str] | None = None) -> str:
    """The reason's sentence. ``written``: each word as the group wrote it (``original_words``), shown first, with
    the form the model read when it differs ("'डेंजरस' read as 'denjrs'")."""
    shown = written if written is not None and len(written) == len(words) else [w for w, _ in words]
    parts = []
    for (word, effect), original in zip(words, shown, strict=True):
        read = "" if original.casefold() == word else f" read as {word!r}"
        parts.append(f"{original!r}{read} (+{effect:.2f})")
    pushed = ", ".join(parts)
    tail = f"; the words that pushed it most: {pushed}" if pushed else ""
    return f"The text model reads the {field} as {category.replace('_', ' ')} (p = {probability:.2f}){tail}."


class TextModelSignal:
    name = "text_model"
    order: ClassVar[int] = 30
    config_model: ClassVar[type[BaseModel] | None] = TextModelPolicy

    @classmethod
    def from_policy(cls, policy: Policy, setup: SignalSetup) -> TextModelSignal | None:
        if not policy.signals.text_model.enabled:
            return None
        return cls(policy.signals.text_model, categories=list(policy.categories), lexicon=setup.lexicon)

    @classmethod
    def examples(cls) -> list[GroupSnapshot]:
        return [example("ex:text_model:trade", "teen paid new link"),
                example("ex:text_model:benign", "Sundarpur cricket club")]

    def __init__(self, policy: TextModelPolicy, model: TextModel | None = None, categories: Sequence[str] = (),
                 lexicon: Lexicon | None = None):
        self.policy = policy
        # The lexicon's exception phrases (house rules such as "no minors", "not for kids") are removed before
        # the model reads a text: a bag of n-grams cannot read negation, and measured on the sample data it took
        # "18+ only, no minors" for a child-safety name.
        self.exceptions = (lexicon or default_lexicon()).exceptions
        self.model = model or load_text_model(policy.path)
        # What a score depends on besides the head: how a text is read (windows of a long description, the
        # romanised view of other scripts). Changing the reading changes the version, so scan caches refresh.
        self.version = f"{self.model.version}+{READING}{'' if policy.romanised_view else '-latin'}"
        self.categories = [c for c in self.model.labels if c != "benign" and (not categories or c in categories)]
        self._explained: dict[tuple[str, str, str], list[tuple[str, float]]] = {}
        self._prepared: dict[str, str] = {}
        self._classified: dict[tuple, tuple[dict[str, float], dict[str, float], list[Reason]]] = {}

    def cache_key(self) -> str:
        """Results depend on the snapshot, the policy, the model and the exception phrases."""
        exceptions = "\n".join(p.pattern for p in self.exceptions)
        return f"{self.version}:{hashlib.sha256(exceptions.encode()).hexdigest()[:16]}"

    def explain(self, text: str, category: str, field: str = "name") -> list[tuple[str, float]]:
        key = (text, category, self.model.reading(field))
        if key not in self._explained:
            self._explained[key] = self.model.explain(text, category, self.policy.explain_top, field)
        return self._explained[key]

    def prepare(self, text: str) -> str:
        """Normalised text -> what the model reads: exception phrases blanked out. Memoised: each text passes
        here twice per scan (batch scoring, then per-group classification) and names repeat."""
        prepared = self._prepared.get(text)
        if prepared is None:
            prepared = text
            for pattern in self.exceptions:
                if pattern.search(prepared):
                    prepared = " ".join(pattern.sub(" ", prepared).split())
            self._prepared[text] = prepared
        return prepared

    def classify(self, texts: dict[str, str], originals: Mapping[str, str] | None = None,
                 ) -> tuple[dict[str, float], dict[str, float], list[Reason]]:
        """One group's fields (already normalised) -> (evidence per category, raw best probability per category,
        reasons). Each field is read through its ``views`` (windows of a long description, the romanised form of
        other scripts); a category takes its best view. ``originals``: the fields as written, so that a reason
        names the words in the group's own script. Pure given the model."""
        present = {f: read for f, t in texts.items() if t and (read := self.prepare(t))}
        if not present:
            return {}, {}, []
        raw: dict[str, float] = {}
        best: dict[str, tuple[str, str]] = {}
        for field, text in present.items():
            seen = views(text, self.policy.romanised_view)
            probs = self.model.predict(seen, field)
            for category in self.categories:
                column = self.model.labels.index(category)
                row = int(probs[:, column].argmax())
                p = float(probs[row, column])
                if p > raw.get(category, -1.0):
                    raw[category], best[category] = p, (field, seen[row])
        scores: dict[str, float] = {}
        reasons: list[Reason] = []
        for category in self.categories:
            p = raw[category]
            if p < self.policy.min_probability:
                continue
            weight = self.policy.weight * p
            field, view = best[category]
            words = self.explain(view, category, field)
            written = original_words(originals[field], [w for w, _ in words]) if originals and originals.get(
                field) else None
            scores[category] = weight
            reasons.append(Reason(self.name, f"{field}_model", ", ".join(w for w, _ in words) or view[:60],
                                  category, weight, describe(field, category, p, words, written)))
        return scores, raw, reasons

    def score(self, snapshots: Sequence[GroupSnapshot], context: ScanContext) -> list[SignalResult]:
        fields = [str(f) for f in self.policy.fields]
        keys = [tuple(getattr(s, f) for f in fields) for s in snapshots]
        # A group's result depends on its fields' texts alone, and names and descriptions repeat across groups
        # (at 1M tiled groups, classifying every group again cost 35 s of the text stage): each distinct
        # combination is classified once per signal object, as the lexicon signal caches (name, description).
        fresh = [k for k in dict.fromkeys(keys) if k not in self._classified]
        texts = {k: {f: normalize(v).text for f, v in zip(fields, k, strict=True)} for k in fresh}
        # Score every distinct text of the batch in one model call per field; classify() then reads the cache.
        for field in fields:
            self.model.predict([v for group in texts.values() if (t := group[field]) and (read := self.prepare(t))
                                for v in views(read, self.policy.romanised_view)], field)
        for k, group in texts.items():
            self._classified[k] = self.classify(group, {f: str(v or "") for f, v in zip(fields, k, strict=True)})
        results = []
        for snapshot, k in zip(snapshots, keys, strict=True):
            scores, raw, reasons = self._classified[k]
            features: dict[str, object] = {"text_model_version": self.version}
            if raw:
                features["text_model"] = {c: round(p, 4) for c, p in raw.items() if p >= 0.01}
            results.append(SignalResult(snapshot.group_id, self.name, scores, tuple(reasons), frozenset(), features))
        return results
