"""What many commands share: the recurring options (--db, --json, --policy, --lexicon, --hash-list), loading the
policy the way every command does, and shortening text for tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scanner.cli.errors import BadInput
from scanner.policy import Policy, PolicyError, load_policy
from scanner.store.db import ENV_VARIABLE

DbOption = Annotated[
    str | None,
    typer.Option("--db", help=f"Database: a SQLAlchemy URL or a SQLite file path (default: ${ENV_VARIABLE}, "
                               "else ./groupscan.db).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON (a stable contract).")]
PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="Policy YAML merged over the default policy.", show_default=False)
]
LexiconOption = Annotated[
    Path | None, typer.Option("--lexicon", help="Lexicon YAML replacing the demo lexicon.", show_default=False)
]
HashListOption = Annotated[
    list[Path] | None,
    typer.Option("--hash-list", help="PDQ hash list to match icons against (repeatable). Files in "
                                     "DATA/hashlists/ are loaded too unless --no-auto-hash-lists.",
                 show_default=False),
]


def policy_from(path: Path | None) -> Policy:
    """The effective policy (the default with ``path`` merged over it); an invalid one is bad input (exit 2)."""
    try:
        return load_policy(path)
    except PolicyError as error:
        raise BadInput(str(error)) from error


def short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
