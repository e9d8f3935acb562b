"""``groupscan users``: dashboard accounts.

The password never goes on the command line (it would show in ``ps`` and shell history): it is read from
``$GROUPSCAN_PASSWORD`` or asked for twice without echo.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

from scanner.auth.users import ROLES, UserError, add_user, list_users
from scanner.cli.common import DbOption, JsonOption
from scanner.cli.console import console
from scanner.cli.errors import BadInput
from scanner.store.db import open_database

PASSWORD_VARIABLE = "GROUPSCAN_PASSWORD"


app = typer.Typer()


users = typer.Typer(help="Dashboard users and their roles.", no_args_is_help=True)
app.add_typer(users, name="users")


@users.command(name="add")
def add_command(
    name: str,
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
    db: DbOption = None,
) -> None:
    """Add a user; the password comes from $GROUPSCAN_PASSWORD or a prompt (never a flag)."""
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = add_user(open_database(db), name, role, password)
    except UserError as error:
        raise BadInput(str(error)) from error
    console.print(f"Added [bold]{user.name}[/] as {user.role}.")


@users.command(name="ls")
def list_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List users: name, role, disabled, created_at (never password hashes)."""
    rows = list_users(open_database(db))
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    for row in rows:
        console.print(f"{row['name']}\t{row['role']}\t{'disabled' if row['disabled'] else 'active'}")
