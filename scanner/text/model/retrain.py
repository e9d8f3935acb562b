"""``groupscan train``: retrain the text head on the base corpus plus reviewed labels, as a new model version.

Reviewed labels are rows of the ``text_label`` table (written by moderators' decisions, or imported from a file
with ``--labels``). They weigh more than a synthetic row each (``label_weight``), because they are real traffic.
The encoder is reused, not retrained; torch is never needed. The new model goes to its own directory: nothing
changes for scans until the policy's ``signals.text_model.path`` points there, so a bad retrain is one line to
undo, and each scan records which version scored each group.
"""

from __future__ import annotations

import copy
import csv
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scanner.store.models import TextLabel
from scanner.text.model.blind import read_blind
from scanner.text.model.corpus import Example, read_corpus
from scanner.text.model.gate import GATE_FILE
from scanner.text.model.metrics import per_category
from scanner.text.model.model import DEFAULT_MODEL_DIR, TextModel, load_encoder, read_meta
from scanner.text.model.train import HeadConfig, fit_head, write_head
from scanner.text.normalize import normalize


class LabelFileError(ValueError):
    """A labels file that cannot be used, with file and line."""


@dataclass
class TrainResult:
    version: str
    directory: Path
    base_rows: int
    label_rows: int
    heldout: dict
    seconds: float


def read_label_file(path: Path, labels: Sequence[str]) -> list[tuple[str, str]]:
    """CSV or TSV with a header holding ``text`` and ``label`` columns; every label must be one the model knows."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise LabelFileError(f"{path}: cannot read: {error}") from error
    delimiter = "\t" if "\t" in raw.split("\n", 1)[0] else ","
    reader = csv.DictReader(raw.splitlines(), delimiter=delimiter)
    if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
        raise LabelFileError(f"{path}:1: the header must name 'text' and 'label' columns")
    rows = []
    for line, row in enumerate(reader, start=2):
        text, label = (row.get("text") or "").strip(), (row.get("label") or "").strip()
        if not text:
            raise LabelFileError(f"{path}:{line}: empty text")
        if label not in labels:
            raise LabelFileError(f"{path}:{line}: unknown label {label!r} (expected one of {', '.join(labels)})")
        rows.append((text, label))
    return rows


def store_labels(engine: Engine, rows: Sequence[tuple[str, str]], source: str, author: str | None = None) -> int:
    """Add labelled texts (idempotent: a text already stored with that label and source is skipped)."""
    with Session(engine) as session, session.begin():
        known = set(session.exec(select(TextLabel.text, TextLabel.label).where(TextLabel.source == source)).all())
        fresh = [(t, lab) for t, lab in dict.fromkeys(rows) if (t, lab) not in known]
        now = datetime.now(UTC)
        session.add_all(TextLabel(text=t, label=lab, source=source, author=author, created_at=now) for t, lab in fresh)
    return len(fresh)


def stored_labels(engine: Engine) -> list[TextLabel]:
    with Session(engine) as session:
        return list(session.exec(select(TextLabel).order_by(col(TextLabel.id))).all())


def retrain(engine: Engine, out_dir: Path | None = None, base_dir: Path = DEFAULT_MODEL_DIR,
            base_limit: int | None = None, label_weight: float = 5.0, version: str | None = None) -> TrainResult:
    started = time.perf_counter()
    meta = read_meta(base_dir)
    labels = tuple(meta["labels"])
    corpus = read_corpus(base_dir / "base_corpus.tsv.gz")
    train: list[Example] = [e for e in corpus if e.split == "train"]
    heldout = [e for e in corpus if e.split == "heldout"]
    if base_limit is not None:
        step = max(1, len(train) // base_limit)
        train = train[::step][:base_limit]
    reviewed = [row for row in stored_labels(engine) if row.label in labels]
    # The blind training rows the shipped head was fitted with (models/text/blind_train), at the same weight.
    blind = read_blind(base_dir / "blind_train") if (base_dir / "blind_train").is_dir() else []
    if base_limit is not None:
        blind = blind[::max(1, len(blind) // max(1, base_limit // 10))]
    blind_weight = float(meta.get("blind_weight", 3.0))
    texts = ([normalize(e.text).text for e in train] + [normalize(r.text).text for r in blind]
             + [normalize(r.text).text for r in reviewed])
    targets = [e.label for e in train] + [r.label for r in blind] + [r.label for r in reviewed]
    groups = [e.template for e in train] + [r.group for r in blind] + [f"label:{r.id}" for r in reviewed]
    weights = np.array([1.0] * len(train) + [blind_weight] * len(blind) + [label_weight] * len(reviewed))
    allowed = {f.name for f in HeadConfig.__dataclass_fields__.values()}
    config = HeadConfig(**{k: v for k, v in meta.get("config", {}).items() if k in allowed})
    encoder_dir = (base_dir / meta.get("encoder_dir", ".")).resolve()
    encoder = load_encoder(encoder_dir) if meta.get("uses_encoder") else None
    embeddings = encoder.encode(texts) if encoder else None
    head = fit_head(texts, targets, labels, embeddings, config, groups=groups, sample_weight=weights)
    version = version or f"{meta['version']}+ft.{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}"
    directory = out_dir or Path("models-trained") / version
    extra = {"base_version": meta["version"], "reviewed_labels": len(reviewed), "base_rows": len(train),
             "blind_train_rows": len(blind), "blind_weight": blind_weight, "label_weight": label_weight}
    if meta.get("cascade"):
        # The e5 head and its encoder are reused as they are (fitting the head needs the encoder on thousands of
        # texts): the cascade's second opinion still reads the base model's e5 head, from the base directory.
        cascade = dict(meta["cascade"])
        cascade["encoder_dir"] = str((base_dir / cascade.get("encoder_dir", ".")).resolve())
        cascade["head"] = str((base_dir / cascade.get("head", "e5_head.npz")).resolve())
        extra["cascade"] = cascade
    if meta.get("fields"):
        # The reading per field (descriptions' band and prior, the names' word gate) belongs to the base model's
        # e5 files, which stay in the base directory: the gate's table is named by its full path.
        fields = copy.deepcopy(meta["fields"])
        for settings in fields.values():
            gate = settings.get("gate") if isinstance(settings, dict) else None
            if isinstance(gate, dict):
                gate["table"] = str((base_dir / gate.get("table", GATE_FILE)).resolve())
        extra["fields"] = fields
    if meta.get("category_shift"):
        # The per-category prior is a property of the deployment (what real names cost per category), not of
        # the rows: a head retrained on moderators' labels keeps it.
        extra["category_shift"] = meta["category_shift"]
    write_head(head, directory, version, str(encoder_dir) if encoder else None, extra)
    model = TextModel(directory)
    probs = model.predict([normalize(e.text).text for e in heldout])
    figures = per_category(probs, labels, [e.label for e in heldout])
    return TrainResult(version, directory, len(train), len(reviewed), figures, time.perf_counter() - started)
