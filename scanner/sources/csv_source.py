"""CSV source, for exports from spreadsheets and SQL tools.

Columns are the JSON fields flattened: ``schema, platform, group_id, observed_at, name, description,
member_count, created_at, admins, own_invite_links, posted_invite_links, icon_path, icon_pdq, icon_classifier``.
List columns hold items separated by whitespace; ``icon_classifier`` holds a JSON object such as
``{"explicit": 0.9}``. Empty cells mean "not given". Line numbers are the CSV record's first physical line.

The header is checked: a missing required column, an unknown one (``admin`` for ``admins`` silently dropped the
admins) or a duplicated one refuses the file with a reason. Rows are read as JSON Lines are: strict UTF-8,
bounded, each failure a rejected record. A row whose quoted field is never closed swallows the rows after it
into one cell; when such a record comes out with the wrong number of cells, only its first line is rejected and
reading resumes on its second line, so one bad quote costs one record (the reader is strict about quotes, so
such a record fails rather than coming out with rows swallowed into a cell).
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from scanner.schema import Located, Rejected, excerpt, parse_snapshot
from scanner.sources.base import SourceRecord
from scanner.sources.jsonl import MAX_RECORD_BYTES, bounded_lines, decode_json

REQUIRED_COLUMNS = ("schema", "platform", "group_id", "observed_at")
LIST_COLUMNS = ("admins", "own_invite_links")
COLUMNS = (*REQUIRED_COLUMNS, "name", "description", "member_count", "created_at", *LIST_COLUMNS,
           "posted_invite_links", "icon_path", "icon_pdq", "icon_classifier")


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
        "schema": int(schema) if schema and schema.isascii() and schema.isdigit() and len(schema) < 6 else schema,
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
                signals["classifier"] = decode_json(classifier)
            except ValueError as error:
                raise ValueError(f"icon_classifier is not a JSON object: {error}") from None
        record["icon_signals"] = signals
    return record


def header_problem(header: list[str]) -> str:
    """Why a CSV header cannot be read safely, or "" when it can."""
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    repeated = sorted({c for c in header if header.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"lacks columns {missing}")
    if unknown:
        problems.append(f"has unknown columns {unknown} (known: {', '.join(COLUMNS)})")
    if repeated:
        problems.append(f"repeats columns {repeated}")
    return f"CSV header {'; '.join(problems)}; no row of this file was read" if problems else ""


class _LineError(ValueError):
    """A physical line that cannot be part of a record (not UTF-8, too long), or a record grown too long."""


class _Lines:
    """Physical lines for ``csv.reader``: numbered, strictly decoded, bounded. The lines of the record being read
    are kept (``record``), so a broken record can be read again from its second line (``resume``)."""

    def __init__(self, handle: BinaryIO) -> None:
        self._lines = bounded_lines(handle, MAX_RECORD_BYTES)
        self._pending: deque[tuple[int, str, str]] = deque()
        self.record: list[tuple[int, str, str]] = []  # (line number, text, why unreadable or "")
        self._size = 0

    def start(self) -> None:
        self.record = []
        self._size = 0

    def resume(self) -> None:
        """Read the lines after the current record's first again, as new records."""
        self._pending.extendleft(reversed(self.record[1:]))

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._pending:
            item = self._pending.popleft()
        else:
            number, raw = next(self._lines)
            if raw is None:
                item = (number, "", f"line is over {MAX_RECORD_BYTES} bytes")
            else:
                if number == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")  # spreadsheet exports often start with a BOM
                try:
                    item = (number, raw.decode("utf-8"), "")
                except UnicodeDecodeError as error:
                    item = (number, repr(raw), f"not UTF-8: {error.reason} at byte {error.start} of line {number}")
        self.record.append(item)
        if item[2]:
            raise _LineError(item[2])
        self._size += len(item[1])
        if self._size > MAX_RECORD_BYTES:
            raise _LineError(f"record is over {MAX_RECORD_BYTES} bytes (a quoted field never closed?)")
        return item[1]


class CsvSource:
    name = "csv"

    def handles(self, location: Path) -> bool:
        return location.suffix.lower() == ".csv"

    def read(self, location: Path) -> Iterator[SourceRecord]:
        root = location.parent
        source = str(location)
        dirs: dict[str, str] = {}  # folders' real paths, for this read only (icon path checks)
        with location.open("rb") as handle:
            lines = _Lines(handle)
            # strict: a closing quote must be followed by a comma or the end of the line, and the file must not
            # end inside quotes. An unclosed quote then fails at the next row's quote instead of swallowing rows
            # until the cell count happens to match the header.
            reader = csv.reader(lines, strict=True)
            header: list[str] | None = None
            while True:
                lines.start()
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except (_LineError, csv.Error) as error:
                    reason = str(error) if isinstance(error, _LineError) else f"unreadable CSV: {error}"
                    number, text, _ = lines.record[0] if lines.record else (1, "", "")
                    if header is None:
                        yield Rejected(source, number, f"CSV header unreadable: {reason}", excerpt(text))
                        return
                    if len(lines.record) > 1:
                        reason += (f"; the record ran from line {number} to {lines.record[-1][0]} (an unclosed "
                                   "quote?): reading again from the next line")
                    yield Rejected(source, number, reason, excerpt(text))
                    lines.resume()
                    continue
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # a blank line
                number = lines.record[0][0]
                text = "".join(t for _, t, _ in lines.record)
                if header is None:
                    header = [c.strip() for c in cells]
                    problem = header_problem(header)
                    if problem:
                        yield Rejected(source, number, problem, excerpt(text))
                        return
                    continue
                if len(cells) != len(header):
                    reason = f"row has {len(cells)} cells, the header {len(header)}"
                    if len(lines.record) > 1:
                        reason += (f"; its quoted field runs from line {number} to {lines.record[-1][0]} "
                                   "(an unclosed quote?): reading again from the next line")
                        lines.resume()
                    yield Rejected(source, number, reason, excerpt(text))
                    continue
                try:
                    record = row_to_record(dict(zip(header, cells, strict=True)))
                    yield Located(parse_snapshot(record, root, dirs), source, number)
                except ValueError as error:
                    yield Rejected(source, number, str(error), excerpt(text))
                except RecursionError:
                    yield Rejected(source, number, "record nested too deeply", excerpt(text))
