"""CSV source, for exports from spreadsheets and SQL tools.

Columns are the JSON fields flattened: ``schema, platform, group_id, observed_at, name, description,
member_count, created_at, admins, own_invite_links, posted_invite_links, icon_path, icon_pdq, icon_classifier``.
List columns hold items separated by whitespace; ``icon_classifier`` holds a JSON object such as
``{"explicit": 0.9}``. Empty cells mean "not given". Line numbers are the CSV record's first physical line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from scanner.schema import Located, Rejected, excerpt, parse_snapshot
from scanner.sources.base import SourceRecord

REQUIRED_COLUMNS = ("schema", "platform", "group_id", "observed_at")
LIST_COLUMNS = ("admins", "own_invite_links")


def _cell(row: dict[str, str | None], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    value = value.strip()
    return value or None


def row_to_record(row: dict[str, str | None]) -> dict:
    """Turn one CSV row into the JSON shape of a GroupSnapshot (validation happens afterwards)."""
    schema = _cell(row, "schema")
    record: dict = {
        "schema": int(schema) if schema and schema.isdigit() else schema,
        "platform": _cell(row, "platform"),
        "group_id": _cell(row, "group_id"),
        "observed_at": _cell(row, "observed_at"),
        "name": row.get("name") or "",
        "description": row.get("description") or "",
    }
    for key in ("member_count", "created_at"):
        if _cell(row, key) is not None:
            record[key] = _cell(row, key)
    for key in LIST_COLUMNS:
        record[key] = (_cell(row, key) or "").split()
    record["posted_invite_links"] = [{"url": url} for url in (_cell(row, "posted_invite_links") or "").split()]
    if _cell(row, "icon_path"):
        record["icon"] = {"path": _cell(row, "icon_path")}
    pdq, classifier = _cell(row, "icon_pdq"), _cell(row, "icon_classifier")
    if pdq or classifier:
        signals: dict = {"pdq": pdq}
        if classifier:
            try:
                signals["classifier"] = json.loads(classifier)
            except json.JSONDecodeError as error:
                raise ValueError(f"icon_classifier is not a JSON object: {error.msg}") from None
        record["icon_signals"] = signals
    return record


class CsvSource:
    name = "csv"

    def handles(self, location: Path) -> bool:
        return location.suffix.lower() == ".csv"

    def read(self, location: Path) -> Iterator[SourceRecord]:
        root = location.parent
        dirs: dict[str, str] = {}  # folders' real paths, for this read only (icon path checks)
        # utf-8-sig: spreadsheet exports often start with a byte-order mark, which would hide the first column.
        with location.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                yield Rejected(str(location), 1, f"CSV header lacks columns {missing}", "")
                return
            line = reader.line_num + 1
            for row in reader:
                try:
                    if None in row:
                        raise ValueError(f"row has {len(row[None]) if row[None] else 0} cells too many")
                    yield Located(parse_snapshot(row_to_record(row), root, dirs), str(location), line)
                except ValueError as error:
                    text = ",".join(v for v in row.values() if isinstance(v, str))
                    yield Rejected(str(location), line, str(error), excerpt(text))
                line = reader.line_num + 1
