"""Text-model commands: ``groupscan classify-names`` and ``groupscan train``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scanner.cli.common import DbOption, JsonOption, LexiconOption, PolicyOption, policy_from, short
from scanner.cli.console import console
from scanner.cli.errors import BadInput
from scanner.scoring.names import classify_names
from scanner.store.db import open_database
from scanner.text.lexicon import LexiconError, load_lexicon
from scanner.text.model.model import TextModelError
from scanner.text.model.retrain import LabelFileError, read_label_file, retrain, store_labels
from scanner.text.text_model import TextModelSignal, load_text_model

app = typer.Typer()


@app.command(name="classify-names")
def classify_names_command(
    file: Annotated[str, typer.Argument(help="A file with one name per line, or - for standard input.")],
    policy_file: PolicyOption = None,
    lexicon_file: LexiconOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per input line "
                                                          "(a stable contract).")] = False,
) -> None:
    """Classify bare group names with the scan's text signals (lexicon + text model).

    With --json, prints per input line: {"text", "normalized", "categories": {category: p}, "flagged":
    [category...], "reasons": [...]} (plus "model", "lexicon", "model_version"). A category is flagged when
    its score reaches the policy's review threshold.
    """
    policy = policy_from(policy_file)
    try:
        lexicon = load_lexicon(lexicon_file)
    except LexiconError as error:
        raise BadInput(str(error)) from error
    try:
        raw = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{file}: cannot read: {error}") from error
    model = None
    if policy.signals.text_model.enabled:
        try:
            model = TextModelSignal(policy.signals.text_model, load_text_model(policy.signals.text_model.path),
                                    categories=list(policy.categories), lexicon=lexicon)
        except TextModelError as error:
            raise BadInput(str(error)) from error
    lines = raw.splitlines()
    results = classify_names(lines, policy, lexicon, model)
    if as_json:
        for result in results:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{len(results)} names, {sum(bool(r['flagged']) for r in results)} flagged "
                        f"(model {results[0]['model_version'] if results else '-'})")
    for column in ("name", "flagged", "top category", "strongest reason"):
        table.add_column(column)
    for result in results:
        top = max(result["categories"].items(), key=lambda kv: kv[1], default=("-", 0.0))
        reason = result["reasons"][0]["sentence"] if result["reasons"] else ""
        table.add_row(short(result["text"], 50), ", ".join(result["flagged"]) or "-",
                      f"{top[0]} {top[1]:.2f}", short(reason, 90))
    console.print(table)


@app.command()
def train(
    db: DbOption = None,
    labels: Annotated[Path | None, typer.Option("--labels", help="CSV/TSV with 'text' and 'label' columns to "
                                                "add to the reviewed labels first.", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Directory for the new model (default: "
                                             "models-trained/VERSION).", show_default=False)] = None,
    base_limit: Annotated[int | None, typer.Option("--base-limit", help="Use at most this many base-corpus "
                                                   "rows (quick runs).", show_default=False)] = None,
    as_json: JsonOption = False,
) -> None:
    """Retrain the text model's head from reviewed labels plus the base corpus, as a new model version.

    Scans keep using the current model until the policy's signals.text_model.path names the new directory.
    """
    engine = open_database(db)
    try:
        base = load_text_model(None)
        if labels is not None:
            rows = read_label_file(labels, base.labels)
            store_labels(engine, rows, f"import:{labels.name}")
        result = retrain(engine, out, base_limit=base_limit)
    except (LabelFileError, TextModelError, ValueError) as error:
        raise BadInput(str(error)) from error
    payload = {"version": result.version, "directory": str(result.directory), "base_rows": result.base_rows,
               "label_rows": result.label_rows, "heldout": result.heldout, "seconds": round(result.seconds, 1)}
    if as_json:
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    console.print(f"Trained [bold]{result.version}[/] on {result.base_rows} base rows and "
                      f"{result.label_rows} reviewed labels in {result.seconds:.0f} s -> {result.directory}")
    console.print(f"To use it, set in your policy:  signals: {{text_model: {{path: {result.directory}}}}}")
