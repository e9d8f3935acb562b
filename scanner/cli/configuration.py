"""A scan's configuration (policy, lexicon, hash banks), all validated before any database is touched, so a
bad file is exit 2 with nothing written. Shared by ``groupscan scan`` and ``groupscan eval``."""

from __future__ import annotations

from pathlib import Path

from scanner.cli.common import policy_from
from scanner.cli.errors import BadInput
from scanner.images.hashbank import HashBank, HashBankError, read_bank
from scanner.policy import Policy
from scanner.text.lexicon import Lexicon, LexiconError, load_lexicon
from scanner.text.model.model import TextModelError
from scanner.text.text_model import load_text_model


def hash_banks(location: Path, explicit: list[Path] | None, auto: bool, policy: Policy) -> list[HashBank]:
    folder = location if location.is_dir() else location.parent
    paths = list(explicit or [])
    if auto and (folder / "hashlists").is_dir():
        # *.negative.pdq files are negative banks (known benign look-alikes), see read_bank.
        paths += sorted(p for p in (folder / "hashlists").iterdir() if p.suffix in {".pdq", ".txt"})
    settings = policy.signals.hash_banks
    try:
        return [read_bank(p, settings.default_category, settings.default_threshold) for p in paths]
    except HashBankError as error:
        raise BadInput(str(error)) from error


def configuration(
    location: Path, policy_file: Path | None, lexicon_file: Path | None, hash_lists: list[Path] | None, auto: bool
) -> tuple[Policy, Lexicon, list[HashBank]]:
    """Policy, lexicon and hash banks for a scan, all validated before any database is touched."""
    policy = policy_from(policy_file)
    try:
        lexicon = load_lexicon(lexicon_file)
    except LexiconError as error:
        raise BadInput(str(error)) from error
    if policy.signals.text_model.enabled:
        try:
            load_text_model(policy.signals.text_model.path)
        except TextModelError as error:
            raise BadInput(str(error)) from error
    return policy, lexicon, hash_banks(location, hash_lists, auto, policy)
