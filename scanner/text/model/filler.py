"""Benign filler: frequent real words of each language, for the corpus's benign side.

The words come from ``wordfreq`` (build time only; its data is CC BY-SA 4.0, credited in the model card). Any
word the lexicon reads as an indicator is dropped, so the filler never teaches the model that an indicator word
is benign: it only teaches that ordinary vocabulary in every script is.
"""

from __future__ import annotations

from scanner.text.lexicon import default_lexicon, find_hits
from scanner.text.normalize import normalize

FILLER_LANGUAGES = {"en": "en", "hi": "hi", "ta": "ta", "bn": "bn"}


def frequent_words(count: int = 4000) -> dict[str, list[str]]:
    import wordfreq

    lexicon = default_lexicon()
    out: dict[str, list[str]] = {}
    for language, code in FILLER_LANGUAGES.items():
        words = []
        for word in wordfreq.top_n_list(code, count):
            if len(word) < 2 or word.isdigit():
                continue
            if find_hits(lexicon, normalize(word).text, "name"):
                continue
            words.append(word)
        out[language] = words
    return out
