"""Reading stored results: ``groupscan clusters``, ``groups``, ``show``, ``rejected``, ``runs`` and ``graph``, and
``groupscan policy`` (the effective policy). JSON items are the ``scanner.store.queries`` dicts (a contract)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scanner.cli.common import DbOption, JsonOption, PolicyOption, policy_from, short
from scanner.cli.console import console
from scanner.cli.display import escape
from scanner.cli.errors import BadInput
from scanner.graph.export import NotFound, cluster_graph, write_graphml
from scanner.store.db import open_database
from scanner.store.queries import cluster_dicts, group_detail, group_dicts, rejected_dicts, run_dicts

app = typer.Typer()


def cluster_table(clusters: list[dict], title: str) -> Table:
    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("cluster", no_wrap=True)
    table.add_column("size", justify="right")
    table.add_column("category")
    table.add_column("sev")
    table.add_column("risk", justify="right")
    table.add_column("three strongest reasons", ratio=1)
    for cluster in clusters:
        reasons = "\n".join(f"• {escape(short(r['sentence'], 160))}" for r in cluster["reasons"][:3])
        table.add_row(escape(cluster["cluster_id"]), str(cluster["size"]), cluster["category"] or "-",
                      cluster["severity"] or "-", f"{cluster['risk']:.2f}", reasons)
    return table


@app.command()
def clusters(
    db: DbOption = None,
    as_json: JsonOption = False,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    min_size: Annotated[int, typer.Option(help="Only clusters of at least this many groups.")] = 1,
    flagged: Annotated[bool, typer.Option("--flagged", help="Only clusters at or above the review threshold.")]
    = False,
) -> None:
    """Clusters, most severe first. JSON items: cluster_id, size, members, risk, category, severity,
    deadline_hours, flagged, categories, reasons, structure."""
    items = cluster_dicts(open_database(db), limit=limit, min_size=min_size, flagged_only=flagged)
    if as_json:
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
    else:
        console.print(cluster_table(items, f"{len(items)} clusters"))


@app.command()
def groups(
    db: DbOption = None,
    as_json: JsonOption = False,
    limit: Annotated[int | None, typer.Option(help="At most this many.")] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="Only flagged groups.")] = False,
) -> None:
    """Groups, riskiest first. JSON items: group_id, risk, categories, category, flagged, severity,
    deadline_hours, cluster_id, reasons, and more."""
    items = group_dicts(open_database(db), limit=limit, flagged_only=flagged)
    if as_json:
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{len(items)} groups", expand=True)
    for column in ("group", "name", "category", "risk", "cluster", "strongest reason"):
        table.add_column(column)
    for item in items:
        reason = item["reasons"][0]["sentence"] if item["reasons"] else ""
        table.add_row(escape(item["group_id"]), escape(short(item["name"], 40)), item["category"] or "-",
                      f"{item['risk']:.2f}", escape(item["cluster_id"] or ""), escape(short(reason, 100)))
    console.print(table)


@app.command()
def show(
    group_id: Annotated[str, typer.Argument(help="The group to explain.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """One group: every reason behind its score, its cluster, and its timeline of renames and icon changes."""
    detail = group_detail(open_database(db), group_id)
    if detail is None:
        raise BadInput(f"no group {group_id!r} in the database")
    if as_json:
        sys.stdout.write(json.dumps(detail, ensure_ascii=False, indent=2) + "\n")
        return
    console.print(f"[bold]{escape(detail['group_id'])}[/] {escape(repr(detail['name']))} ({detail['platform']})")
    console.print(f"risk {detail['risk']:.2f}, category {detail['category'] or '-'}, severity "
                  f"{detail['severity'] or '-'}, flagged {detail['flagged']}; modifiers {detail['modifiers']}")
    cluster = detail["cluster"]
    if cluster:
        console.print(f"cluster {cluster['cluster_id']}: {cluster['size']} groups, {cluster['category'] or '-'} "
                      f"risk {cluster['risk']:.2f}; {detail['membership']}")
    if detail["ties"]:
        console.print("[bold]ties that moved its score[/] (kind, direction seen from this group, other group)")
        for tie in detail["ties"]:
            console.print(f"  {tie['strength']:.2f} {tie['kind']:<20} {tie['direction']:<9} "
                          f"{escape(tie['group_id'])} {escape(repr(tie['name'] or ''))}")
    console.print("[bold]reasons[/]")
    for reason in detail["reasons"]:
        console.print(f"  {reason['weight']:.2f} {reason['category']:<20} {escape(reason['sentence'])}")
    console.print("[bold]timeline[/]")
    for entry in detail["timeline"]:
        console.print(f"  {entry['observed_at']}  {', '.join(entry['changes'])}: {escape(repr(entry['name']))}")


@app.command()
def rejected(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Records quarantined by past scans, with file, line and reason."""
    items = rejected_dicts(open_database(db))
    if as_json:
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return
    for item in items:
        console.print(f"{escape(item['source'])}:{item['line']}: {escape(item['reason'])}")
    console.print(f"{len(items)} rejected records")


@app.command()
def runs(db: DbOption = None, as_json: JsonOption = False,
         limit: Annotated[int, typer.Option(help="How many runs.")] = 20) -> None:
    """Past scan runs with their counts and timings, newest first."""
    items = run_dicts(open_database(db), limit)
    if as_json:
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="scan runs")
    for column in ("id", "started", "status", "records", "new", "rejected", "groups", "flagged clusters"):
        table.add_column(column)
    for r in items:
        table.add_row(str(r["id"]), r["started_at"][:19], r["status"], str(r["records_read"]),
                      str(r["snapshots_new"]), str(r["rejected"]), str(r["groups"]), str(r["flagged_clusters"]))
    console.print(table)


@app.command()
def graph(
    cluster_id: Annotated[str, typer.Argument(help="The cluster to export (see `groupscan clusters`).")],
    out: Annotated[Path, typer.Option("--out", help="GraphML file to write.")],
    db: DbOption = None,
    policy_file: PolicyOption = None,
) -> None:
    """Write a cluster's typed graph (groups, admins, icons, invite links; edges links_to, admin_of, uses_icon,
    near_duplicate_icon with first/last seen) as GraphML for Gephi, Cytoscape or an evidence bundle."""
    try:
        exported = cluster_graph(open_database(db), cluster_id, policy_from(policy_file))
    except NotFound as error:
        raise BadInput(str(error)) from error
    write_graphml(exported, out)
    console.print(f"{escape(str(out))}: {exported.number_of_nodes()} nodes, {exported.number_of_edges()} edges")


@app.command()
def policy(
    path: Annotated[Path | None, typer.Argument(help="A policy file to merge over the default.")] = None,
) -> None:
    """Validate a policy file and print the effective policy (the default with the file merged over it).
    Exit 2 names the file and line of the first problem."""
    import yaml

    effective = policy_from(path)
    sys.stdout.write(yaml.safe_dump(effective.model_dump(mode="json"), sort_keys=False, allow_unicode=True))
