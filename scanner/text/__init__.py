"""Text: normalisation that undoes obfuscation, romanisation of Indic scripts, the lexicon signal and the text
model signal (the model itself, its corpus and its training live in ``scanner.text.model``)."""
