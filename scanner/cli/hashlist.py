"""``groupscan hashlist``: import, list and switch hash banks kept in the database.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scanner.cli.common import DbOption, JsonOption, policy_from
from scanner.cli.console import console
from scanner.cli.display import escape
from scanner.cli.errors import BadInput
from scanner.images.banks import FORMATS, import_bank, list_banks, set_enabled
from scanner.images.hashbank import HashBankError
from scanner.store.db import open_database

app = typer.Typer()


hashlist = typer.Typer(help="Hash lists (banks) of known icons, kept in the database; scans use the enabled "
                            "ones.", no_args_is_help=True)
app.add_typer(hashlist, name="hashlist")


@hashlist.command(name="import")
def import_command(
    file: Annotated[Path, typer.Argument(help="Hash list file.")],
    bank: Annotated[str, typer.Option("--bank", help="Bank name (an existing bank is replaced).")],
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}; te is "
                                     "python-threatexchange's local-file format.")] = "auto",
    label: Annotated[str, typer.Option("--label", help="Category of harm the bank's entries indicate.")]
    = "child_safety",
    threshold: Annotated[int, typer.Option(help="Match when the PDQ distance is at most this.")] = 31,
    negative: Annotated[bool, typer.Option("--negative", help="A bank of known benign look-alikes: its "
                                           "matches suppress positive ones.")] = False,
    replace_empty: Annotated[bool, typer.Option("--replace-empty", help="Accept a file without hashes (empties "
                                                "the bank); refused otherwise.")] = False,
    db: DbOption = None,
) -> None:
    """Import a PDQ hash list as a bank. Exit 2 with file and line for anything unreadable."""
    categories = policy_from(None).categories
    if not 0 <= threshold <= 256:
        raise BadInput("threshold must be between 0 and 256")
    engine = open_database(db)
    try:
        count = import_bank(engine, file, bank, label, threshold, fmt, negative, categories, replace_empty)
    except HashBankError as error:
        raise BadInput(str(error)) from error
    kind = "negative bank" if negative else f"bank ({label})"
    console.print(f"Imported {count} hashes into {kind} [bold]{escape(bank)}[/].")


@hashlist.command(name="ls")
def list_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List banks: name, category, threshold, on/off, negative, entries. --json: an array of those dicts."""
    rows = list_banks(open_database(db))
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"{len(rows)} hash banks")
    for column in ("name", "category", "threshold", "enabled", "negative", "entries", "source"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(str(row[c])) for c in ("name", "category", "threshold", "enabled",
                                                            "negative", "entries", "source")))
    console.print(table)


def _switch(name: str, enabled: bool, db: str | None) -> None:
    if not set_enabled(open_database(db), name, enabled):
        raise BadInput(f"no bank named {name!r}")
    console.print(f"Bank [bold]{escape(name)}[/] is {'on' if enabled else 'off'}.")


@hashlist.command(name="enable")
def enable_command(name: str, db: DbOption = None) -> None:
    """Switch a bank on."""
    _switch(name, True, db)


@hashlist.command(name="disable")
def disable_command(name: str, db: DbOption = None) -> None:
    """Switch a bank off (kept, not matched)."""
    _switch(name, False, db)
