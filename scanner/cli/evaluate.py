"""``groupscan eval DATA``: scan a labelled data set into a throwaway database and report precision and recall
(planted networks, flagged groups per category, roles) and the flagged share of real public group names."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scanner.cli.common import JsonOption, LexiconOption, PolicyOption
from scanner.cli.configuration import configuration
from scanner.cli.console import console
from scanner.cli.display import escape
from scanner.cli.errors import BadInput
from scanner.engine.pipeline import run_scan
from scanner.engine.runner import LocalRunner
from scanner.images.icon_pool import available_cpus
from scanner.scoring.evaluation import (
    group_metrics,
    network_metrics,
    public_names_metrics,
    read_labels,
    role_metrics,
)
from scanner.sources import SourceError
from scanner.store.db import open_database
from scanner.store.queries import cluster_dicts, group_dicts

app = typer.Typer()


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
        raise BadInput(f"{labels_path} not found: eval needs ground-truth labels")
    policy, lexicon, banks = configuration(path, policy_file, lexicon_file, None, True)
    with tempfile.TemporaryDirectory(prefix="groupscan-eval-") as tmp:
        engine = open_database(str(Path(tmp) / "eval.db"))
        try:
            run_scan(engine, path, policy, banks, lexicon, runner=LocalRunner(workers=available_cpus()))
        except SourceError as error:
            raise BadInput(str(error)) from error
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
