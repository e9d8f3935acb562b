"""Aggregate figures of the text signals on a blind evaluation set; never prints a row.

    .venv/bin/python bench/text_blind_eval.py /work/blind_text/dev.tsv [--json]

The set is a TSV with the columns ``id kind label hard_negative language script text`` (``kind`` is ``name`` or
``description``; ``label`` is a category or ``benign``), written by someone who never saw the lexicon, the
corpus or the model. Each text runs through ``classify_names`` (the path of ``groupscan classify-names``: lexicon
+ text model, fused as in a scan) as a name or a description, and counts as flagged when any category reaches
the policy's review threshold.

Printed, and nothing else: recall per category (flagged for its own category, and flagged at all), the share of
hard negatives and of other benign rows flagged, recall per language x script and per kind. No text, id or
reason of any row is printed or written, so the set stays blind: its rows must never turn into lexicon entries,
corpus words or rules.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

from scanner.policy import load_policy
from scanner.scoring.names import classify_names

COLUMNS = ("id", "kind", "label", "hard_negative", "language", "script", "text")
TRUE = {"1", "true", "yes", "y", "t"}


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            sys.exit(f"{path}: missing columns {missing}")
        return [row for row in reader if (row.get("text") or "").strip()]


def _share(hits: int, total: int) -> dict[str, float | int | None]:
    return {"n": total, "flagged": hits, "share": round(hits / total, 4) if total else None}


def evaluate(rows: list[dict[str, str]], policy_path: Path | None = None) -> dict:
    """Flag every row with the text signals and aggregate; returns figures only."""
    policy = load_policy(policy_path)
    flagged: list[list[str]] = [[] for _ in rows]
    for kind in ("name", "description"):
        index = [i for i, row in enumerate(rows) if (row["kind"] or "name").strip().lower() == kind]
        results = classify_names([rows[i]["text"] for i in index], policy, field=kind)
        for i, result in zip(index, results, strict=True):
            flagged[i] = result["flagged"]
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # own category, any harm, total
    by_language: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    hard, other_benign = [0, 0], [0, 0]
    hard_by_language: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    benign_flags: dict[str, int] = defaultdict(int)  # which category benign rows were flagged for
    for row, flags in zip(rows, flagged, strict=True):
        label = row["label"].strip()
        language = f"{row['language'].strip()} x {row['script'].strip()}"
        kind = row["kind"].strip() or "name"
        if label == "benign":
            bucket = hard if row["hard_negative"].strip().lower() in TRUE else other_benign
            bucket[0] += bool(flags)
            bucket[1] += 1
            for category in flags:
                benign_flags[category] += 1
            if bucket is hard:
                hard_by_language[language][0] += bool(flags)
                hard_by_language[language][1] += 1
            continue
        counts = by_category[label]
        counts[0] += label in flags
        counts[1] += bool(flags)
        counts[2] += 1
        for table, key in ((by_language, language), (by_kind, kind)):
            table[key][0] += bool(flags)
            table[key][1] += 1
    harmful = sum(c[2] for c in by_category.values())
    return {
        "rows": len(rows),
        "threshold": policy.review_threshold,
        "recall": {c: {"n": v[2], "own_category": round(v[0] / v[2], 4), "any_harm": round(v[1] / v[2], 4)}
                   for c, v in sorted(by_category.items())},
        "recall_any_harm": round(sum(c[1] for c in by_category.values()) / harmful, 4) if harmful else None,
        "hard_negatives_flagged": _share(*hard),
        "benign_flagged": _share(*other_benign),
        "recall_by_language_script": {k: _share(*v) for k, v in sorted(by_language.items())},
        "hard_negatives_flagged_by_language_script": {k: _share(*v) for k, v in sorted(hard_by_language.items())},
        "recall_by_kind": {k: _share(*v) for k, v in sorted(by_kind.items())},
        "benign_and_hard_negatives_flagged_by_category": dict(sorted(benign_flags.items())),
    }


def _print(figures: dict) -> None:
    print(f"{figures['rows']} rows, flagged at review threshold {figures['threshold']}")
    print("recall per category (own category / any harm):")
    for category, v in figures["recall"].items():
        print(f"  {category:22s} n={v['n']:5d}  {v['own_category']:.3f} / {v['any_harm']:.3f}")
    print(f"  {'any harm':22s}            {figures['recall_any_harm']}")
    for key in ("hard_negatives_flagged", "benign_flagged"):
        v = figures[key]
        print(f"{key.replace('_', ' ')}: {v['flagged']} of {v['n']} ({v['share']})")
    print(f"benign and hard negatives flagged, by category: {figures['benign_and_hard_negatives_flagged_by_category']}")
    for key in ("recall_by_language_script", "recall_by_kind", "hard_negatives_flagged_by_language_script"):
        print(key.replace("_", " ") + ":")
        for name, v in figures[key].items():
            print(f"  {name:28s} n={v['n']:5d}  {v['share']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path)
    parser.add_argument("--policy", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = evaluate(read_rows(args.path), args.policy)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _print(figures)


if __name__ == "__main__":
    main()
