"""``groupscan scan``: read a source into the database, score it, and show the most suspicious clusters.

Thin, as every command: it parses options, calls ``scanner`` services and prints. ``--json`` fields are a
contract (added, never renamed); exit codes are ``scanner.cli.errors.ExitCode``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from scanner.cli.common import DbOption, HashListOption, JsonOption, LexiconOption, PolicyOption
from scanner.cli.configuration import configuration
from scanner.cli.console import console, errors
from scanner.cli.display import escape
from scanner.cli.errors import BadInput, Busy, ExitCode, Unavailable
from scanner.cli.results import cluster_table
from scanner.engine.pipeline import ScanSummary, run_scan, scan_records
from scanner.engine.runner import LocalRunner, SignalRunner
from scanner.images.banks import load_banks
from scanner.images.hashbank import HashBank
from scanner.images.icon_pool import available_cpus
from scanner.sources import SCHEMES, SourceError, parse_location, resolve
from scanner.store.db import open_database
from scanner.store.queries import cluster_dicts
from scanner.store.runs import close_abandoned_runs

app = typer.Typer()


@app.command()
def scan(
    path: Annotated[str | None, typer.Argument(help="A .jsonl or .csv file, or a folder holding groups.jsonl, "
                                                    "or a location URI: file:PATH, matrix-admin:URL.")] = None,
    db: DbOption = None,
    policy_file: PolicyOption = None,
    lexicon_file: LexiconOption = None,
    hash_list: HashListOption = None,
    auto_hash_lists: Annotated[bool, typer.Option(help="Load DATA/hashlists/*.pdq automatically.")] = True,
    top: Annotated[int, typer.Option(help="How many clusters to show.")] = 10,
    source: Annotated[str, typer.Option("--source", help="file (PATH) or matrix-admin (--homeserver).")] = "file",
    homeserver: Annotated[str | None, typer.Option(help="Synapse base URL for --source matrix-admin; the admin "
                                                        "token comes from $GROUPSCAN_MATRIX_ADMIN_TOKEN or "
                                                        "--token-file.")] = None,
    token_file: Annotated[Path | None, typer.Option(help="File holding the admin token.")] = None,
    min_members: Annotated[int, typer.Option(help="Privacy floor: skip rooms with fewer joined members.")] = 20,
    media_dir: Annotated[Path, typer.Option(help="Where matrix-admin avatars are kept.")] = Path("matrix-media"),
    wait: Annotated[float, typer.Option(help="Seconds to wait if another scan holds the database.")] = 0,
    stale_after: Annotated[float, typer.Option(help="Seconds without a heartbeat after which a scan's lock is "
                                                    "considered abandoned.")] = 600,
    engine_name: Annotated[str, typer.Option("--engine", help="Where the text and icon signals run: local (this "
                                                             "process) or ray (a Ray cluster; README.md).")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="--engine ray: an existing cluster's address (default: "
                                                         "start a local one for this scan).")] = None,
    ray_workers: Annotated[int, typer.Option(help="--engine ray: worker actors (one model set each).")] = 2,
    workers: Annotated[int | None, typer.Option(help="--engine local: processes hashing icons while this one "
                                                     "runs the text signals (default: one per CPU; 1: none).")]
    = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Incremental-scan cache folder (default: beside a SQLite "
                                                        "database, else ~/.cache/groupscan).")] = None,
    cache: Annotated[bool, typer.Option(help="Reuse the last scan's folded groups, model results and icon "
                                             "pairs; --no-cache scores everything again.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Scan group snapshots into the database and show the most suspicious clusters.

    Bad records are quarantined with file, line and reason (see `groupscan rejected`); the scan goes on.
    Scanning the same input again stores nothing twice. One scan runs per database at a time.

    Exit codes: 0 done, nothing new at P1 or above; 10 done, new, reopened or more severe cases at P1 or above;
    2 bad input or configuration; 3 another scan holds the database (nothing done); 1 failure.
    """
    from scanner.engine.notify import notify
    from scanner.engine.scancache import default_folder as default_cache_folder
    from scanner.engine.scanlock import DatabaseLock, LockBusy
    from scanner.sources.matrix_admin import HomeserverError

    if source not in SCHEMES:
        raise BadInput(f"--source {source!r}: expected file or matrix-admin")
    if path is not None:
        try:
            scheme, rest = parse_location(path)
        except SourceError as error:
            raise BadInput(str(error)) from error
        if scheme == "matrix-admin":
            if homeserver and homeserver != rest:
                raise BadInput(f"{path} and --homeserver {homeserver} name different homeservers")
            source, homeserver, path = scheme, rest, None
        else:
            path = rest
    location = (Path(path) if path else Path(".")) if source == "file" else media_dir
    policy, lexicon, banks = configuration(location, policy_file, lexicon_file, hash_list,
                                            auto_hash_lists and source == "file")
    from scanner.engine.ray_runner import RayUnavailable, ray_runner

    if engine_name not in ("local", "ray"):
        raise BadInput(f"--engine {engine_name!r}: expected local or ray")
    if workers is not None and workers < 1:
        raise BadInput("--workers must be at least 1")
    runner: SignalRunner | None = None
    try:
        runner = (ray_runner(policy, lexicon, address=ray_address, workers=ray_workers) if engine_name == "ray"
                  else LocalRunner(workers=workers or available_cpus()))
    except RayUnavailable as error:
        raise BadInput(str(error)) from error
    if source == "file":
        if path is None:
            raise BadInput("give a PATH to scan (or matrix-admin:URL, or --source matrix-admin --homeserver URL)")
        try:
            resolve(location)  # fail before creating a database for a path that cannot be read
        except SourceError as error:
            raise BadInput(str(error)) from error
    elif not homeserver:
        raise BadInput("--source matrix-admin needs --homeserver URL")
    admin = _homeserver_admin(homeserver, token_file) if source == "matrix-admin" else None
    engine = open_database(db)
    folder = (cache_dir or default_cache_folder(engine.url.render_as_string())) if cache else None
    banks = banks + load_banks(engine)  # banks imported with `groupscan hashlist import`, enabled ones
    lock = DatabaseLock(engine, stale_after=stale_after)
    try:
        lock.acquire(wait=wait)
    except LockBusy as busy:
        raise Busy(f"{busy}; this scan did nothing (--wait SECONDS to queue behind it)") from busy
    abandoned = close_abandoned_runs(engine)
    if abandoned:
        errors.print(f"[yellow]earlier scan(s) {abandoned} stopped before finishing; this scan completes their work[/]")
    if lock.recovered is not None:
        errors.print(f"[yellow]recovered the lock of an abandoned scan[/] (pid {lock.recovered.pid} on "
                     f"{escape(lock.recovered.host)}, last heartbeat {lock.recovered.heartbeat_at:%H:%M:%S} UTC)")
    try:
        with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=errors, transient=True, disable=as_json) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total or None)
                bar.update(tasks[stage], completed=done, total=total or None)

            try:
                if admin is not None:
                    from scanner.sources.matrix_admin import read_homeserver

                    skipped: list[str] = []
                    summary = scan_records(engine, read_homeserver(admin, media_dir, min_members, skipped),
                                           str(media_dir / "matrix-admin.rooms"), media_dir, policy, banks, lexicon,
                                           progress, runner=runner, cache_dir=folder)
                else:
                    summary = run_scan(engine, location, policy, banks, lexicon, progress, runner=runner,
                                       cache_dir=folder)
            except SourceError as error:
                raise BadInput(str(error)) from error
            except HomeserverError as error:
                raise Unavailable(f"homeserver: {error}") from error
            except RayUnavailable as error:
                raise Unavailable(str(error)) from error
    finally:
        lock.release()
    problems = notify(engine, policy, summary)
    clusters = cluster_dicts(engine, limit=top, flagged_only=True)
    code = ExitCode.NEEDS_ATTENTION if summary.needs_attention else ExitCode.OK
    if as_json:
        payload = {
            "scan_id": summary.scan_id, "source": summary.source, "records_read": summary.records_read,
            "snapshots_new": summary.snapshots_new, "snapshots_known": summary.snapshots_known,
            "rejected": [{"source": r.source, "line": r.line, "reason": r.reason} for r in summary.rejected],
            "groups": summary.groups, "clusters": summary.clusters, "flagged_groups": summary.flagged_groups,
            "flagged_clusters": summary.flagged_clusters, "groups_changed": summary.groups_changed,
            "groups_reused": summary.groups_reused, "groups_scored": summary.groups_scored,
            "cache_written": summary.cache_written, "icons_unclassified": summary.icons_unclassified,
            "timings": summary.timings, "models": summary.models, "top_clusters": clusters,
            "changes": summary.changes, "exit_code": int(code), "notification_problems": problems,
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        raise typer.Exit(int(code))
    _print_summary(summary, banks, str(engine.url))
    _print_changes(summary)
    if clusters:
        console.print(cluster_table(clusters, f"Top {len(clusters)} flagged clusters"))
    else:
        console.print("No cluster reached the review threshold.")
    raise typer.Exit(int(code))


def _homeserver_admin(homeserver: str | None, token_file: Path | None):
    from scanner.sources.matrix_admin import TOKEN_VARIABLE, SynapseAdmin

    token = os.environ.get(TOKEN_VARIABLE)
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise BadInput(f"--token-file: {error}") from error
    if not token:
        raise BadInput(f"no admin token: set ${TOKEN_VARIABLE} or give --token-file (never a flag value)")
    assert homeserver is not None and token is not None
    return SynapseAdmin(homeserver, token)


def _print_changes(summary: ScanSummary) -> None:
    from scanner.engine.notify import summary_text

    lines = summary_text(summary).splitlines()[1:]
    console.print("[bold]changes since the previous scan:[/] " + ("" if lines != ["Nothing new."] else "none"))
    if lines != ["Nothing new."]:
        for line in lines:
            console.print(f"  {escape(line)}")


def _print_summary(summary: ScanSummary, banks: list[HashBank], db_url: str) -> None:
    console.print(
        f"[bold]scan #{summary.scan_id}[/] {escape(summary.source)}: {summary.records_read} records read, "
        f"{summary.snapshots_new} new snapshots, {summary.snapshots_known} already stored, "
        f"[{'red' if summary.rejected else 'green'}]{len(summary.rejected)} rejected[/]"
    )
    for bank in banks:
        console.print(f"  hash list {escape(bank.name)}: {len(bank.entries)} hashes, {bank.category}, "
                      f"distance <= {bank.threshold}")
    for item in summary.rejected[:20]:
        console.print(f"  [red]rejected[/] {escape(Path(item.source).name)}:{item.line}: {escape(item.reason)}")
    if len(summary.rejected) > 20:
        console.print(f"  … and {len(summary.rejected) - 20} more (groupscan rejected --db …)")
    console.print(
        f"{summary.groups} groups in {summary.clusters} clusters; flagged: {summary.flagged_groups} groups, "
        f"{summary.flagged_clusters} clusters; {summary.groups_changed} group scores changed. Database: "
        f"{escape(db_url)}"
    )
    if summary.icons_unclassified:
        console.print(f"{summary.icons_unclassified} new icons over the scan's classification budget: "
                      "`groupscan icons classify` classifies them, and the next scan rescores their groups.")
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in summary.timings.items())
    console.print(f"[dim]timings: {timing}[/]")
