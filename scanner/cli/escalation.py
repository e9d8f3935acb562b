"""``groupscan escalate``, ``policy-list``, ``webhooks``, ``report`` and ``purge``.

These act for a named user (``--as NAME`` or ``$GROUPSCAN_USER``), whose role must allow the action: the audit
log then says who exported or purged what. No password is asked: whoever runs the CLI can already open the
database, so the name is for accountability, not access control.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from scanner.auth.users import PermissionDenied, User, current_user
from scanner.cli.common import DbOption, JsonOption, PolicyOption, policy_from
from scanner.cli.console import console
from scanner.cli.errors import BadInput
from scanner.store.db import open_database

USER_VARIABLE = "GROUPSCAN_USER"
AsOption = Annotated[str | None, typer.Option("--as", help=f"Act as this user (default ${USER_VARIABLE}).",
                                              show_default=False)]


app = typer.Typer()


def actor(engine, name: str | None) -> User:
    name = name or os.environ.get(USER_VARIABLE)
    if not name:
        raise BadInput(f"name the user acting (--as NAME or ${USER_VARIABLE}): exports and purges are audited")
    user = current_user(engine, str(name))
    if user is None:
        raise BadInput(f"no active user {name!r} (groupscan users add)")
    assert user is not None
    return user


@app.command()
def escalate(
    case_id: str,
    out: Annotated[Path, typer.Option("--out", help="Folder for the bundle (empty, or an earlier bundle).")],
    db: DbOption = None,
    policy_file: PolicyOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the evidence bundle of an approved escalation: report.json, groups.csv, subgraph.graphml,
    timeline.csv, CyberTipline-style XML and hotline JSON drafts, manifest.sha256. Nothing is sent."""
    from scanner.escalation.bundle import BundleError, export

    engine = open_database(db)
    policy = policy_from(policy_file)
    try:
        bundle = export(engine, actor(engine, as_user), case_id, policy, out)
    except (BundleError, PermissionDenied) as error:
        raise BadInput(str(error)) from error
    if as_json:
        sys.stdout.write(json.dumps({"case_id": case_id, "path": str(bundle.path), "sha256": bundle.sha256,
                                     "files": bundle.files}, indent=2) + "\n")
    else:
        console.print(f"Bundle for case {case_id} in {bundle.path} ({len(bundle.files)} files), "
                          f"sha256 {bundle.sha256}")


policy_list = typer.Typer(help="Matrix policy lists (m.policy.rule.room).", no_args_is_help=True)
app.add_typer(policy_list, name="policy-list")


@policy_list.command(name="export")
def policy_list_export(
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
    takedown: Annotated[bool, typer.Option("--takedown", help="MSC4204 takedown instead of m.ban.")] = False,
    hashed: Annotated[bool, typer.Option("--hashed", help="MSC4205 hashed entities.")] = False,
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Print the rules for confirmed-violating Matrix rooms as a JSON array of state events."""
    from scanner.escalation.policylist import policy_rules

    engine = open_database(db)
    try:
        rules = policy_rules(engine, actor(engine, as_user), takedown, hashed)
    except PermissionDenied as error:
        raise BadInput(str(error)) from error
    text = json.dumps(rules, indent=2, ensure_ascii=False) + "\n"
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


hooks = typer.Typer(help="Webhook deliveries.", no_args_is_help=True)
app.add_typer(hooks, name="webhooks")


@hooks.command(name="deliver")
def webhooks_deliver(db: DbOption = None, policy_file: PolicyOption = None,
                     as_json: JsonOption = False) -> None:
    """Send due webhook deliveries (run from cron, or rely on the dashboard and scans to do it)."""
    from scanner.escalation.webhooks import deliver_due

    run = deliver_due(open_database(db), policy_from(policy_file))
    result = {"delivered": run.delivered, "retried": run.retried, "dead": run.dead}
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        console.print(f"delivered {len(run.delivered)}, will retry {len(run.retried)}, "
                          f"dead {len(run.dead)}")


@hooks.command(name="ls")
def webhooks_list(status: Annotated[str, typer.Option(help="pending, sending, delivered or dead.")] = "dead",
                  db: DbOption = None, as_user: AsOption = None, as_json: JsonOption = False) -> None:
    """List deliveries (dead letters by default)."""
    from scanner.escalation.webhooks import deliveries

    engine = open_database(db)
    rows = deliveries(engine, actor(engine, as_user), status)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    for row in rows:
        console.print(f"{row['id']}\t{row['event']}\t{row['status']}\t{row['attempts']}\t{row['url']}\t"
                          f"{row['last_error']}")


@app.command()
def report(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the CSV, Markdown and PNG files.")] = Path(
        "reports"),
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Monthly transparency report: flagged, reviewed, actioned and escalated cases by category, times to
    action, deadline breaches, hash-list hits by bank."""
    from scanner.escalation.transparency import MonthError, write_report

    engine = open_database(db)
    try:
        files = write_report(engine, actor(engine, as_user), month, out)
    except (MonthError, PermissionDenied) as error:
        raise BadInput(str(error)) from error
    console.print(f"Wrote {', '.join(files)} in {out}")


@app.command()
def purge(
    older_than: Annotated[int, typer.Option("--older-than", help="Age in days.")],
    db: DbOption = None,
    policy_file: PolicyOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete what retention says must go (never what an open case or an escalation needs), audited."""
    from dataclasses import asdict

    from scanner.escalation.retention import purge as run_purge

    engine = open_database(db)
    try:
        result = run_purge(engine, actor(engine, as_user), older_than, policy_from(policy_file))
    except (ValueError, PermissionDenied) as error:
        raise BadInput(str(error)) from error
    if as_json:
        sys.stdout.write(json.dumps(asdict(result)) + "\n")
    else:
        console.print(f"purged before {result.cutoff}: {result.snapshots} snapshots, "
                          f"{result.rejected_records} rejected records, {result.webhook_deliveries} webhook "
                          f"deliveries, {result.icon_thumbnails} thumbnails "
                          f"({result.protected_groups} groups protected by cases)")
