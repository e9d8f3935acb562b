"""Exit codes and the errors that carry them: the one place where a failure becomes a process exit code.

Exit codes are a contract (cron jobs and scripts branch on them; README.md, CHANGELOG.md): 0 done; 1 any other
failure; 2 bad input or configuration (unreadable source, invalid policy, lexicon or hash list, a bad option);
3 another scan holds the database; 10 a scan found new, reopened or more severe cases at P1 or above.

A command raises a ``GroupscanError`` subclass; ``GroupscanGroup`` (the root app's command class) prints its
message in one line on standard error and exits with the class's code. Kept in a module of its own, as
python-threatexchange keeps its ``ReturnCode``, so that every command module can import it without a cycle.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, ClassVar

import typer
from typer.core import TyperGroup

from scanner.cli.console import errors
from scanner.cli.display import escape


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    BAD_INPUT = 2
    BUSY = 3
    NEEDS_ATTENTION = 10


class GroupscanError(Exception):
    """A failure the user is told about in one line; ``exit_code`` says what kind."""

    exit_code: ClassVar[ExitCode] = ExitCode.FAILURE


class BadInput(GroupscanError):
    """Unreadable or invalid input or configuration: nothing was done, fix the input and run again."""

    exit_code = ExitCode.BAD_INPUT


class Busy(GroupscanError):
    """Another scan holds the database; nothing was done (``--wait`` queues behind it)."""

    exit_code = ExitCode.BUSY


class Unavailable(GroupscanError):
    """A service the command needs (a homeserver, a Ray cluster) failed while it ran."""

    exit_code = ExitCode.FAILURE


class GroupscanGroup(TyperGroup):
    """The root command group: turns a ``GroupscanError`` raised by any command into its message and exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except GroupscanError as error:
            errors.print(f"[bold red]error:[/] {escape(str(error))}")
            raise typer.Exit(int(error.exit_code)) from None
