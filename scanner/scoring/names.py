"""Text-only classification: what the scan's text signals (lexicon + model) say about a bare name.

Serves ``groupscan classify-names`` and the bots' quick checks. The fusion is the scan's own (noisy-OR of the
signals' evidence per category, ``scanner.scoring.risk``), so a name's verdict here equals its text evidence in a scan.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.policy import Policy
from scanner.scoring.risk import noisy_or
from scanner.text.lexicon import Lexicon, default_lexicon, score_text
from scanner.text.normalize import normalize
from scanner.text.text_model import TextModelSignal


def classify_names(texts: Sequence[str], policy: Policy, lexicon: Lexicon | None = None,
                   model: TextModelSignal | None = None, field: str = "name") -> list[dict]:
    """One dict per text: ``text, normalized, categories, flagged, reasons`` (the CLI contract) plus
    ``model`` (raw model probabilities, benign included, of the text the model read: exception phrases such as
    "no minors" removed), ``lexicon`` and ``model_version``.

    ``field`` says what the texts are: ``name`` (the default) or ``description``; a description is read whole,
    as in a scan."""
    if field not in ("name", "description"):
        raise ValueError(f"field must be 'name' or 'description', not {field!r}")
    lexicon = lexicon or default_lexicon()
    if model is None and policy.signals.text_model.enabled:
        model = TextModelSignal(policy.signals.text_model, categories=list(policy.categories), lexicon=lexicon)
    normalized = [normalize(t).text for t in texts]
    read = {n: model.prepare(n) for n in normalized if n} if model else {}
    raw_all = model.model.predict(list(read.values()), field) if model else None
    by_text = dict(zip(read, raw_all, strict=True)) if raw_all is not None else {}
    out = []
    for text, norm in zip(texts, normalized, strict=True):
        parts: dict[str, list[float]] = {}
        reasons = []
        lex_scores: dict[str, float] = {}
        if policy.signals.lexicon.enabled:
            lex_scores, lex_reasons, _, _ = score_text(*((text, "") if field == "name" else ("", text)), lexicon,
                                                          policy.signals.lexicon)
            reasons.extend(lex_reasons)
            for category, value in lex_scores.items():
                parts.setdefault(category, []).append(value)
        raw: dict[str, float] = {}
        if model is not None and norm and read[norm]:
            scores, _, model_reasons = model.classify({field: norm}, {field: text})
            reasons.extend(model_reasons)
            for category, value in scores.items():
                parts.setdefault(category, []).append(value)
            raw = {label: round(float(p), 4) for label, p in zip(model.model.labels, by_text[norm], strict=True)}
        categories = {c: round(noisy_or(parts.get(c, [])), 4) for c in policy.categories}
        flagged = [c for c, p in sorted(categories.items(), key=lambda kv: -kv[1]) if p >= policy.review_threshold]
        reasons.sort(key=lambda r: -r.weight)
        out.append({
            "text": text,
            "normalized": norm,
            "categories": categories,
            "flagged": flagged,
            "reasons": [r.to_dict() for r in reasons],
            "model": raw,
            "lexicon": {c: round(v, 4) for c, v in sorted(lex_scores.items())},
            "model_version": model.version if model else None,
        })
    return out
