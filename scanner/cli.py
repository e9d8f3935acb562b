"""``groupscan``: the command line. Thin: it parses options, calls ``scanner`` services and prints.

``--json`` outputs are contracts that scripts rely on: fields are added, never renamed. Exit codes: 0 done;
2 bad input or configuration (unreadable source, invalid policy, lexicon or hash list); 1 any other failure.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from scanner.banks import load_banks
from scanner.display import escape
from scanner.evaluation import group_metrics, network_metrics, public_names_metrics, read_labels, role_metrics
from scanner.export import NotFound, cluster_graph, write_graphml
from scanner.pipeline import ScanSummary, close_abandoned_runs, run_scan, scan_records
from scanner.policy import Policy, PolicyError, load_policy
from scanner.runner import LocalRunner, SignalRunner
from scanner.signals.hashbank import HashBank, HashBankError, read_bank
from scanner.signals.icon_pool import available_cpus
from scanner.signals.lexicon import Lexicon, LexiconError, load_lexicon
from scanner.signals.pdq import IconError, hash_icon_file
from scanner.signals.text_model import load_text_model
from scanner.sources import SourceError, resolve
from scanner.store.db import ENV_VARIABLE, open_database
from scanner.store.queries import cluster_dicts, group_detail, group_dicts, rejected_dicts, run_dicts
from scanner.textmodel.model import TextModelError

app = typer.Typer(
    name="groupscan",
    help="Find networks of abusive chat groups from metadata only, for human review.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
if not console.is_terminal:
    # Logs and pipes (cron, CI) get a wide table instead of 80 columns of wrapped reasons.
    console = Console(width=160)
errors = Console(stderr=True, soft_wrap=True)

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


def _fail(message: str, code: int = 2) -> None:
    errors.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def _policy(path: Path | None) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as error:
        _fail(str(error))
        raise


def _banks(location: Path, explicit: list[Path] | None, auto: bool, policy: Policy) -> list[HashBank]:
    folder = location if location.is_dir() else location.parent
    paths = list(explicit or [])
    if auto and (folder / "hashlists").is_dir():
        # *.negative.pdq files are negative banks (known benign look-alikes), see read_bank.
        paths += sorted(p for p in (folder / "hashlists").iterdir() if p.suffix in {".pdq", ".txt"})
    settings = policy.signals.hash_banks
    try:
        return [read_bank(p, settings.default_category, settings.default_threshold) for p in paths]
    except HashBankError as error:
        _fail(str(error))
        raise


def _configuration(
    location: Path, policy_file: Path | None, lexicon_file: Path | None, hash_lists: list[Path] | None, auto: bool
) -> tuple[Policy, Lexicon, list[HashBank]]:
    """Policy, lexicon and hash banks for a scan, all validated before any database is touched."""
    policy = _policy(policy_file)
    try:
        lexicon = load_lexicon(lexicon_file)
    except LexiconError as error:
        _fail(str(error))
        raise
    if policy.signals.text_model.enabled:
        try:
            load_text_model(policy.signals.text_model.path)
        except TextModelError as error:
            _fail(str(error))
    return policy, lexicon, _banks(location, hash_lists, auto, policy)


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def _cluster_table(clusters: list[dict], title: str) -> Table:
    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("cluster", no_wrap=True)
    table.add_column("size", justify="right")
    table.add_column("category")
    table.add_column("sev")
    table.add_column("risk", justify="right")
    table.add_column("three strongest reasons", ratio=1)
    for cluster in clusters:
        reasons = "\n".join(f"• {escape(_short(r['sentence'], 160))}" for r in cluster["reasons"][:3])
        table.add_row(escape(cluster["cluster_id"]), str(cluster["size"]), cluster["category"] or "-",
                      cluster["severity"] or "-", f"{cluster['risk']:.2f}", reasons)
    return table


@app.command()
def scan(
    path: Annotated[Path | None, typer.Argument(help="A .jsonl or .csv file, or a folder holding groups.jsonl "
                                                     "(not with --source matrix-admin).")] = None,
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
    from scanner.notify import notify
    from scanner.scancache import default_folder as default_cache_folder
    from scanner.scanlock import DatabaseLock, LockBusy
    from scanner.sources.matrix_admin import HomeserverError

    if source not in ("file", "matrix-admin"):
        _fail(f"--source {source!r}: expected file or matrix-admin")
    location = (path or Path(".")) if source == "file" else media_dir
    policy, lexicon, banks = _configuration(location, policy_file, lexicon_file, hash_list,
                                            auto_hash_lists and source == "file")
    from scanner.ray_runner import RayUnavailable, ray_runner

    if engine_name not in ("local", "ray"):
        _fail(f"--engine {engine_name!r}: expected local or ray")
    if workers is not None and workers < 1:
        _fail("--workers must be at least 1")
    runner: SignalRunner | None = None
    try:
        runner = (ray_runner(policy, lexicon, address=ray_address, workers=ray_workers) if engine_name == "ray"
                  else LocalRunner(workers=workers or available_cpus()))
    except RayUnavailable as error:
        _fail(str(error))
    if source == "file":
        if path is None:
            _fail("give a PATH to scan (or --source matrix-admin --homeserver URL)")
        try:
            resolve(location)  # fail before creating a database for a path that cannot be read
        except SourceError as error:
            _fail(str(error))
    elif not homeserver:
        _fail("--source matrix-admin needs --homeserver URL")
    admin = _homeserver_admin(homeserver, token_file) if source == "matrix-admin" else None
    engine = open_database(db)
    folder = (cache_dir or default_cache_folder(engine.url.render_as_string())) if cache else None
    banks = banks + load_banks(engine)  # banks imported with `groupscan hashlist import`, enabled ones
    lock = DatabaseLock(engine, stale_after=stale_after)
    try:
        lock.acquire(wait=wait)
    except LockBusy as busy:
        _fail(f"{busy}; this scan did nothing (--wait SECONDS to queue behind it)", code=3)
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
                _fail(str(error))
                raise
            except HomeserverError as error:
                _fail(f"homeserver: {error}", code=1)
                raise
            except RayUnavailable as error:
                _fail(str(error), code=1)
                raise
    finally:
        lock.release()
    problems = notify(engine, policy, summary)
    clusters = cluster_dicts(engine, limit=top, flagged_only=True)
    code = 10 if summary.needs_attention else 0
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
            "changes": summary.changes, "exit_code": code, "notification_problems": problems,
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        raise typer.Exit(code)
    _print_summary(summary, banks, str(engine.url))
    _print_changes(summary)
    if clusters:
        console.print(_cluster_table(clusters, f"Top {len(clusters)} flagged clusters"))
    else:
        console.print("No cluster reached the review threshold.")
    raise typer.Exit(code)


def _homeserver_admin(homeserver: str | None, token_file: Path | None):
    from scanner.sources.matrix_admin import TOKEN_VARIABLE, SynapseAdmin

    token = os.environ.get(TOKEN_VARIABLE)
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            _fail(f"--token-file: {error}")
    if not token:
        _fail(f"no admin token: set ${TOKEN_VARIABLE} or give --token-file (never a flag value)")
    assert homeserver is not None and token is not None
    return SynapseAdmin(homeserver, token)


def _print_changes(summary: ScanSummary) -> None:
    from scanner.notify import summary_text

    lines = summary_text(summary).splitlines()[1:]
    console.print("[bold]changes since the previous scan:[/] " + ("" if lines != ["Nothing new."] else "none"))
    if lines != ["Nothing new."]:
        for line in lines:
            console.print(f"  {escape(line)}")


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
        console.print(_cluster_table(items, f"{len(items)} clusters"))


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
        table.add_row(escape(item["group_id"]), escape(_short(item["name"], 40)), item["category"] or "-",
                      f"{item['risk']:.2f}", escape(item["cluster_id"] or ""), escape(_short(reason, 100)))
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
        _fail(f"no group {group_id!r} in the database")
        return
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
        exported = cluster_graph(open_database(db), cluster_id, _policy(policy_file))
    except NotFound as error:
        _fail(str(error))
        raise
    write_graphml(exported, out)
    console.print(f"{escape(str(out))}: {exported.number_of_nodes()} nodes, {exported.number_of_edges()} edges")


@app.command()
def policy(
    path: Annotated[Path | None, typer.Argument(help="A policy file to merge over the default.")] = None,
) -> None:
    """Validate a policy file and print the effective policy (the default with the file merged over it).
    Exit 2 names the file and line of the first problem."""
    import yaml

    effective = _policy(path)
    sys.stdout.write(yaml.safe_dump(effective.model_dump(mode="json"), sort_keys=False, allow_unicode=True))


def _default_public_names() -> Path | None:
    for base in (Path.cwd(), *Path.cwd().parents):
        candidate = base.parent / "shared" / "eval" / "public_group_names.tsv"
        if candidate.is_file():
            return candidate
    return None


@app.command(name="eval")
def evaluate(
    path: Annotated[Path, typer.Argument(help="A data set folder with groups.jsonl and labels.csv.")],
    policy_file: PolicyOption = None,
    lexicon_file: LexiconOption = None,
    public_names: Annotated[
        Path | None, typer.Option(help="TSV of real public group names (default: ../shared/eval/"
                                       "public_group_names.tsv if present).", show_default=False)
    ] = None,
    show_names: Annotated[bool, typer.Option(help="List the public names that were flagged.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Scan a labelled data set into a throwaway database and report precision and recall: planted networks
    (cluster level), flagged groups per category, and the flagged share of real public group names."""
    labels_path = path / "labels.csv"
    if not labels_path.is_file():
        _fail(f"{labels_path} not found: eval needs ground-truth labels")
    policy, lexicon, banks = _configuration(path, policy_file, lexicon_file, None, True)
    with tempfile.TemporaryDirectory(prefix="groupscan-eval-") as tmp:
        engine = open_database(str(Path(tmp) / "eval.db"))
        try:
            run_scan(engine, path, policy, banks, lexicon, runner=LocalRunner(workers=available_cpus()))
        except SourceError as error:
            _fail(str(error))
        all_clusters = cluster_dicts(engine)
        all_groups = group_dicts(engine)
        engine.dispose()
    labels = read_labels(labels_path)
    result = {
        "networks": network_metrics(all_clusters, labels, all_groups),
        "groups": group_metrics(all_groups, labels, list(policy.categories)),
        "roles": role_metrics(all_groups, labels),
    }
    names_path = public_names or _default_public_names()
    if names_path is not None and names_path.is_file():
        result["public_names"] = public_names_metrics(names_path, policy, lexicon)
        result["public_names"]["source"] = str(names_path)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return
    _print_eval(result, show_names)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _print_eval(result: dict, show_names: bool) -> None:
    net = result["networks"]
    console.print(f"[bold]Planted networks[/]: recall {_fmt(net['cluster_recall'])} "
                  f"({net['recovered']}/{net['planted_networks']}), precision {_fmt(net['cluster_precision'])} "
                  f"over {net['flagged_multi_group_clusters']} flagged clusters of 2+ groups; best-ranked benign "
                  f"cluster: #{net['best_benign_cluster_rank']}")
    table = Table(title="networks (recovered = coverage >= 0.5 and purity >= 0.5)")
    for column in ("ring", "label", "size", "cluster", "rank", "cluster size", "category", "coverage", "purity",
                   "group recall", "recovered"):
        table.add_column(column)
    for ring, r in net["networks"].items():
        table.add_row(ring, r["label"], str(r["size"]), str(r["cluster_id"]), str(r["cluster_rank"]),
                      str(r["cluster_size"]), str(r["cluster_category"]), _fmt(r["coverage"]), _fmt(r["purity"]),
                      _fmt(r.get("group_recall")), "yes" if r["recovered"] else "[red]no[/]")
    console.print(table)
    table = Table(title="groups outside planted networks, by label/role (severe = P0 or P1; connected = shown as "
                        "connected to a case, not a member)")
    for column in ("label/role", "groups", "flagged", "share", "severe", "by severity", "connected"):
        table.add_column(column)
    for role, m in result.get("roles", {}).items():
        table.add_row(role, str(m["count"]), str(m["flagged"]), _fmt(m["flagged_share"]), str(m["severe"]),
                      str(m["by_severity"]), str(m["connected"]))
    console.print(table)
    table = Table(title="flagged groups by top category")
    for column in ("category", "support", "flagged", "precision", "recall"):
        table.add_column(column)
    for category, m in result["groups"].items():
        if category == "hard_negatives":
            continue
        table.add_row(category, str(m["support"]), str(m["flagged"]), _fmt(m["precision"]), _fmt(m["recall"]))
    console.print(table)
    hard = result["groups"]["hard_negatives"]
    console.print(f"hard negatives flagged: {hard['flagged']} of {hard['count']} {hard['flagged_ids'][:10]}")
    names = result.get("public_names")
    if names:
        console.print(f"[bold]Real public group names[/] ({escape(names['source'])}): {names['flagged']} of "
                      f"{names['names']} flagged by name alone ({_fmt(names['flagged_share'])}); "
                      f"by category {names['by_category']}")
        shares = ", ".join(f">= {t}: {_fmt(v)}" for t, v in names["flagged_share_at_threshold"].items())
        console.print(f"  flagged share by threshold: {shares}")
        if show_names:
            for item in names["flagged_names"]:
                console.print(f"  {item['category']} {item['score']:.2f}  {escape(item['name'])}")
    else:
        console.print("[dim]public names: file not found, skipped (--public-names FILE)[/]")


@app.command(name="hash-icons")
def hash_icons(
    path: Annotated[Path, typer.Argument(help="An image file, or a folder of images (not recursive).")],
    as_json: JsonOption = False,
    max_pixels: Annotated[int, typer.Option(help="Refuse images with more pixels than this.")] = 4_000_000,
    max_bytes: Annotated[int, typer.Option(help="Refuse files larger than this.")] = 5_000_000,
) -> None:
    """PDQ hashes of icons, with the eight dihedral (rotated and mirrored) hashes.

    With --json, prints an array with, per file, {"path", "sha256", "pdq", "quality", "pdq_dihedral": [8 hex],
    "width", "height"}, or {"path", "error"} for a file that cannot be hashed (a stable contract).
    """
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    elif path.is_file():
        files = [path]
    else:
        _fail(f"{path}: no such file or folder")
        return
    rows: list[dict] = []
    for file in files:
        try:
            found = hash_icon_file(file, max_bytes=max_bytes, max_pixels=max_pixels)
        except IconError as error:
            rows.append({"path": str(file), "error": str(error)})
            continue
        rows.append({"path": str(file), "sha256": found.sha256, "pdq": found.pdq, "quality": found.quality,
                     "pdq_dihedral": list(found.dihedral), "width": found.width, "height": found.height})
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"{len(rows)} files, {sum('error' in r for r in rows)} not hashed")
    for column in ("path", "pdq / error", "quality"):
        table.add_column(column)
    for row in rows:
        table.add_row(escape(row["path"]), escape(row.get("pdq") or row["error"]), str(row.get("quality", "")))
    console.print(table)


def _register_text_commands() -> None:
    from scanner.cli_banks import register as register_banks
    from scanner.cli_bots import register as register_bots
    from scanner.cli_escalation import register as register_escalation
    from scanner.cli_icons import register as register_icons
    from scanner.cli_review import register as register_review
    from scanner.cli_text import register
    from scanner.cli_users import register as register_users

    register(app)
    register_banks(app)
    register_users(app)
    register_review(app)
    register_escalation(app)
    register_bots(app)
    register_icons(app)


_register_text_commands()


if __name__ == "__main__":  # pragma: no cover
    app()
