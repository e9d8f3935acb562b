"""``groupscan``: the command line, one module per area, each a typer app merged into the root ``app`` here.

Modules: ``scan`` (scan), ``results`` (clusters, groups, show, rejected, runs, graph, policy), ``evaluate``
(eval), ``icons`` (hash-icons, classify-icons, icons classify), ``text`` (classify-names, train), ``review``
(dashboard, audit verify), ``escalation`` (escalate, report, purge, policy-list, webhooks), ``hashlist``,
``users``, ``bots`` (bot matrix|telegram). Shared pieces: ``common`` (options, the policy loader), ``console``
and ``errors`` (exit codes, and the one place a ``GroupscanError`` becomes one).

``--json`` outputs are contracts that scripts rely on: fields are added, never renamed. ``scanner.cli:app`` is
the ``groupscan`` entry point.
"""

from __future__ import annotations

import typer

from scanner.cli import bots, escalation, evaluate, hashlist, icons, results, review, scan, text, users
from scanner.cli.errors import GroupscanGroup

app = typer.Typer(
    name="groupscan",
    help="Find networks of abusive chat groups from metadata only, for human review.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=GroupscanGroup,
)
# The order of --help: commands by area, then the command groups.
for area in (scan, results, evaluate, icons, text, review, escalation, hashlist, users, bots):
    app.add_typer(area.app)

__all__ = ["app"]
