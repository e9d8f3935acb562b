"""Blind training rows: texts written for training by authors who saw only the category definitions and the
content rules (``models/text/blind_train/``, README there). Read by the build, by the settings' cross-validation
and by ``groupscan train`` (which refits the head on the same rows the shipped head saw)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from scanner.text.model.corpus import LABELS

#: Rows are grouped in runs of this many consecutive rows of one file: an author's chunk shares topics and
#: phrasing, so cross-validation and temperature calibration must not split one.
CHUNK = 25
TRUE = {"1", "true", "yes", "y", "t"}


@dataclass(frozen=True)
class BlindRow:
    text: str
    label: str
    kind: str
    hard_negative: bool
    language: str
    group: str


def read_blind(directory: Path) -> list[BlindRow]:
    """Rows of every ``*.tsv`` in ``directory`` (columns ``kind label hard_negative language script text``);
    rows with an empty text or an unknown label are skipped."""
    rows: list[BlindRow] = []
    for path in sorted(directory.glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for i, row in enumerate(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)):
                text, label = (row.get("text") or "").strip(), (row.get("label") or "").strip()
                if not text or label not in LABELS:
                    continue
                rows.append(BlindRow(text, label, (row.get("kind") or "name").strip() or "name",
                                     (row.get("hard_negative") or "0").strip().lower() in TRUE,
                                     f"{row.get('language', '')} x {row.get('script', '')}",
                                     f"{path.stem}:{i // CHUNK}"))
    return rows
