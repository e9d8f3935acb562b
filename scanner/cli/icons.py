"""Icons outside a scan: ``groupscan hash-icons`` (PDQ hashes), ``groupscan classify-icons`` (the policy's icon
classifier on files) and ``groupscan icons classify`` (the classifier's backlog in the database)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from scanner.cli.common import DbOption, JsonOption, PolicyOption, policy_from
from scanner.cli.console import console, errors
from scanner.cli.display import escape as display_escape
from scanner.cli.errors import BadInput
from scanner.images.icon_classifier import IconClassifier, IconClassifierError, load_classifier
from scanner.images.icon_pool import Examiner, HashLimits, available_cpus
from scanner.images.pdq import IconError, hash_icon_file
from scanner.store.db import open_database

app = typer.Typer()


def _classifier(name: str) -> IconClassifier:
    """The policy's icon model; no model (the ``upstream`` classifier) is bad input."""
    try:
        classifier = load_classifier(name, threads=min(2, available_cpus()))
    except IconClassifierError as error:
        raise BadInput(str(error)) from error
    if classifier is None:
        raise BadInput("the policy's icon classifier is 'upstream': no model runs here (pick open_nsfw or nudenet)")
    return classifier


def _image_files(path: Path) -> list[Path]:
    """The files an icon command reads: ``path`` itself, or the visible files of a folder (not recursive)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    if path.is_file():
        return [path]
    raise BadInput(f"{path}: no such file or folder")


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
    files = _image_files(path)
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
        table.add_row(display_escape(row["path"]), display_escape(row.get("pdq") or row["error"]),
                      str(row.get("quality", "")))
    console.print(table)


@app.command(name="classify-icons")
def classify_icons(
    path: Annotated[Path, typer.Argument(help="An image file, or a folder of images (not recursive).")],
    as_json: JsonOption = False,
    policy_file: PolicyOption = None,
) -> None:
    """Classify icons with the policy's icon classifier (open_nsfw by default), read as a scan reads them.

    With --json, prints an array with, per file, {"path", "sha256", "model_id", "scores": {label: p},
    "explicit": p, "flagged": bool} (flagged: explicit at or above the policy's classifier_threshold), or
    {"path", "error"} for a file the safe loader refuses, as hash-icons does (a stable contract).
    """
    policy = policy_from(policy_file).signals.icon
    files = _image_files(path)
    classifier = _classifier(policy.classifier)
    limits = HashLimits(policy.max_image_bytes, policy.max_image_pixels, None, 0.0)
    rows: list[dict] = []
    seen: dict[str, dict[str, float]] = {}
    found = Examiner(limits, classifier).examine(files)
    for file, (outcome, scores) in zip(files, found, strict=True):
        if isinstance(outcome, IconError):
            rows.append({"path": str(file), "error": str(outcome)})
            continue
        # None: the same content as an earlier file of this run (each content is classified once).
        scores = seen.setdefault(outcome.sha256, scores) if scores is not None else seen[outcome.sha256]
        explicit = float(scores["explicit"])
        rows.append({"path": str(file), "sha256": outcome.sha256, "model_id": classifier.model_id,
                     "scores": {k: v for k, v in scores.items() if k != "explicit"}, "explicit": explicit,
                     "flagged": explicit >= policy.classifier_threshold})
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"{len(rows)} files, {sum(bool(r.get('flagged')) for r in rows)} flagged, "
                        f"{sum('error' in r for r in rows)} refused ({classifier.model_id})")
    for column in ("path", "explicit / error", "flagged"):
        table.add_column(column)
    for row in rows:
        value = f"{row['explicit']:.4f}" if "explicit" in row else row["error"]
        table.add_row(escape(row["path"]), escape(value), "yes" if row.get("flagged") else "")
    console.print(table)


icons = typer.Typer(help="The icon classifier's backlog: icons scans hashed but left unclassified.",
                    no_args_is_help=True)
app.add_typer(icons, name="icons")


@icons.command(name="classify")
def classify_backlog(
    db: DbOption = None,
    budget: Annotated[int | None, typer.Option("--budget", help="Classify at most this many icons, then "
                                               "stop (run again to go on).", show_default=False)] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Icons per committed batch.")] = 32,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Icon worker processes (default: "
                                                "one per CPU).", show_default=False)] = None,
    policy_file: PolicyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Classify the icons scans left unclassified (their classification budget ran out), in committed
    batches: safe to kill and run again, nothing is classified twice. The next scan rescores their groups.

    With --json, prints {"model_id", "classified", "reused", "failed", "left"}.
    """
    from scanner.images import icon_backlog

    policy = policy_from(policy_file)
    engine = open_database(db)
    classifier = _classifier(policy.signals.icon.classifier)
    workers = workers or available_cpus()
    bar = Progress("classifying icons", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=errors, disable=as_json or not errors.is_terminal)
    with bar:
        task = bar.add_task("icons", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            if not errors.is_terminal and not as_json:
                errors.print(f"classified {done}/{total}")

        try:
            run = icon_backlog.classify(engine, policy, budget, batch, workers, classifier=classifier,
                                       progress=progress)
        except ValueError as error:
            raise BadInput(str(error)) from error
    out = {"model_id": classifier.model_id, "classified": run.classified, "reused": run.reused,
           "failed": run.failed, "left": run.left}
    if as_json:
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        console.print(f"{run.classified} icons classified ({run.reused} already were, {run.failed} failed),"
                          f" {run.left} left; the next scan rescores their groups.")
