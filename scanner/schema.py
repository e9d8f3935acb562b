"""The wire format: one observation of one group (``GroupSnapshot``), version 1.

Every source (JSON Lines, CSV, bots) turns its input into these models, so the rest of the scanner sees one
validated shape. Validation is strict where a mistake would be silent later (unknown fields, schema version,
icon paths escaping the data set, oversized names) and lenient where producers differ harmlessly (``"12"`` for a
member count is accepted as 12).

Input is hostile (issue 23): every value a record can carry is bounded here, before anything downstream
hashes, stores or prints it. Integers fit 64 bits (SQLite and PostgreSQL refuse more, after all the scoring);
dates stay within ``MIN_DATE``..``MAX_DATE`` once converted to UTC (``9999-12-31T23:59:59-12:00`` overflowed);
strings are encodable (no lone surrogates, which JSON escapes can carry) and hold no NUL (PostgreSQL refuses
it); identifiers hold no control characters and are not blank (a whitespace-only id merged unrelated groups);
booleans and floats are not integers (``"schema": true``, ``member_count: 1.0``).

Icon paths are checked against the data set's folder, given as validation context::

    GroupSnapshot.model_validate(obj, context={"root": Path("sample_groups")})
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from scanner.files.safefile import kind_of

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})

MAX_NAME_BYTES = 4096
MAX_DESCRIPTION_BYTES = 64 * 1024
MAX_ID_LENGTH = 256
MAX_URL_LENGTH = 2048
MAX_LIST_ITEMS = 5000
MAX_CLASSIFIER_LABELS = 64
MAX_LABEL_LENGTH = 64
# The largest integer SQLite and PostgreSQL (BIGINT) store.
MAX_INT64 = 2**63 - 1
# Dates once converted to UTC: what Python (and so the database layer, which stores UTC) can represent, from
# Go's and .NET's zero time "0001-01-01T00:00:00Z" (exporters write it for "unknown") to a day before the end
# of year 9999, so that converting for display or adding a day never overflows.
MIN_DATE = datetime(1, 1, 1, tzinfo=UTC)
MAX_DATE = datetime(9999, 12, 31, tzinfo=UTC)

Platform = Literal["whatsapp", "telegram", "matrix", "discord", "signal", "other"]

_PDQ_HEX = re.compile(r"^[0-9a-f]{64}$")


def _check_utf8_size(value: str, limit: int, what: str) -> str:
    """Bytes within ``limit``, and encodable (``_encodable``: one encode does both)."""
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise ValueError(f"holds a lone surrogate at character {error.start} (not encodable as UTF-8)") from None
    if "\x00" in value:
        raise ValueError(f"holds a NUL character at character {value.index(chr(0))}")
    if size > limit:
        raise ValueError(f"{what} is {size} bytes, over the {limit}-byte limit")
    return value


def _encodable(value: str) -> str:
    """Refuse what cannot be stored or hashed as UTF-8: a lone surrogate (a JSON ``\\ud800`` escape) and NUL."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(f"holds a lone surrogate at character {error.start} (not encodable as UTF-8)") from None
    if "\x00" in value:
        raise ValueError(f"holds a NUL character at character {value.index(chr(0))}")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _stored(info: ValidationInfo) -> bool:
    """Validating a snapshot the database already holds (``stored_snapshot``)."""
    return bool(info.context) and bool(info.context.get("stored"))  # type: ignore[union-attr]


def _printable_id(value: str, info: ValidationInfo) -> str:
    """An identifier (group, admin, link, path): encodable, no control characters, not blank."""
    if value.isascii() and value.isprintable() and value.strip():
        return value  # the usual id, decided by three C loops
    if _stored(info):
        return value
    _encodable(value)
    found = _CONTROL.search(value)
    if found:
        raise ValueError(f"holds a control character (U+{ord(found.group()):04X}) at character {found.start()}")
    if not value.strip() or (not value.isascii()
                             and all(c.isspace() or unicodedata.category(c) == "Cf" for c in value)):
        raise ValueError("is blank (only whitespace or invisible characters)")
    return value


def _strict_int(value: object) -> object:
    """Integers as JSON integers or decimal strings (CSV cells), never booleans or floats: ``true`` is not 1."""
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    if isinstance(value, float):
        raise ValueError("must be an integer, not a number with a decimal point")
    if isinstance(value, str) and len(value) > 20:
        raise ValueError(f"is {len(value)} characters long, not a 64-bit integer")
    return value


def _date_in_range(value: datetime) -> datetime:
    # Comparing aware datetimes subtracts their offsets as timedeltas, which never overflows (converting
    # 9999-12-31T23:59:59-12:00 to UTC does).
    if not MIN_DATE <= value < MAX_DATE:
        raise ValueError(f"{value.isoformat()} is out of range: dates must fall within {utc_iso(MIN_DATE)} .. "
                         f"{utc_iso(MAX_DATE)} (exclusive) once converted to UTC")
    return value


Identifier = Annotated[str, AfterValidator(_printable_id)]
Count = Annotated[int, BeforeValidator(_strict_int), Field(ge=0, le=MAX_INT64)]
Moment = Annotated[AwareDatetime, AfterValidator(_date_in_range)]
Score = Annotated[float, Field(strict=True)]  # a number (an integer is taken), never a boolean or a string
Label = Annotated[str, Field(min_length=1, max_length=MAX_LABEL_LENGTH), AfterValidator(_printable_id)]


class _Strict(BaseModel):
    # Unknown fields are an error: a typo ("admin" for "admins") must not silently drop evidence.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class PostedLink(_Strict):
    """An invite link this group posted, which points at another group (an edge of the invite graph)."""

    url: Identifier = Field(min_length=1, max_length=MAX_URL_LENGTH)
    seen_at: Moment | None = None


def _resolve_inside(root: str, relative: str, dirs: dict[str, str] | None) -> tuple[str, str, str]:
    """(real path of ``root``/``relative``, real path of ``root``, what the file is if not a regular file or
    missing: "a FIFO", "a directory"... else ""). ``dirs`` caches the real paths of folders for one read of a
    source: then a record costs one ``lstat`` (is the file itself a link? what is it?) instead of one per path
    component, which was a fifth of reading a million records. Without it, plain ``os.path.realpath``.
    A missing icon is not the record's fault (the icon signal notes it); a FIFO would hang the hasher and a
    device would be read without end. ``stat`` never blocks (``open`` of a FIFO does)."""
    if dirs is None:
        root_path = os.path.realpath(root)
        resolved = os.path.realpath(os.path.join(root_path, relative))
        return resolved, root_path, _kind(resolved, os.stat)
    if root not in dirs:
        dirs[root] = os.path.realpath(root)
    root_path = dirs[root]
    parent, name = os.path.split(os.path.join(root_path, relative))
    if parent not in dirs:
        dirs[parent] = os.path.realpath(parent)
    candidate = os.path.join(dirs[parent], name)
    kind = _kind(candidate, os.lstat)
    if kind == "a symbolic link":
        candidate = os.path.realpath(candidate)
        kind = _kind(candidate, os.stat)
    return candidate, root_path, kind


def _kind(path: str, stat_call: Callable[[str], os.stat_result]) -> str:
    try:
        mode = stat_call(path).st_mode
    except (OSError, ValueError):  # missing, or a NUL in the path
        return ""
    return "a symbolic link" if stat.S_ISLNK(mode) else kind_of(mode)


class Icon(_Strict):
    """The group's icon, as a path relative to the data set. It must stay inside the data set."""

    path: Identifier = Field(min_length=1, max_length=1024)

    @field_validator("path")
    @classmethod
    def _inside_data_set(cls, value: str, info: ValidationInfo) -> str:
        posix = PurePosixPath(value.replace("\\", "/"))
        if posix.is_absolute() or ".." in posix.parts or re.match(r"^[A-Za-z]:", value):
            raise ValueError(f"icon path {value!r} escapes the data folder")
        if str(posix) == ".":
            raise ValueError(f"icon path {value!r} names the data folder, not a file")
        context = info.context or {}
        root = context.get("root")
        if root is not None:
            resolved, root_path, kind = _resolve_inside(str(root), str(posix), context.get("dirs"))
            if resolved != root_path and not resolved.startswith(root_path.rstrip(os.sep) + os.sep):
                raise ValueError(f"icon path {value!r} escapes the data folder (through a link)")
            if kind:
                raise ValueError(f"icon path {value!r} is {kind}, not a regular file")
        return str(posix)


class IconSignals(_Strict):
    """Icon evidence computed upstream: platforms often run their own classifiers and hashers."""

    pdq: str | None = Field(default=None, max_length=128)
    classifier: dict[Label, Score] = Field(default_factory=dict, max_length=MAX_CLASSIFIER_LABELS)

    @field_validator("pdq")
    @classmethod
    def _pdq_hex(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        if not _PDQ_HEX.match(value):
            raise ValueError("pdq must be 64 hexadecimal characters")
        return value

    @field_validator("classifier")
    @classmethod
    def _probabilities(cls, value: dict[str, float]) -> dict[str, float]:
        for label, score in value.items():
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"classifier score for {label!r} is {score}, not within 0..1")
        return value


class GroupSnapshot(_Strict):
    """One observation of one group at ``observed_at``. Several snapshots of a group form its timeline."""

    schema_version: Annotated[Literal[1], BeforeValidator(_strict_int)] = Field(alias="schema")
    platform: Platform
    group_id: Identifier = Field(min_length=1, max_length=MAX_ID_LENGTH)
    observed_at: Moment
    name: str = ""  # bounded, encodable and without NUL: ``_check_utf8_size``
    description: str = ""
    member_count: Count | None = None
    created_at: Moment | None = None
    admins: list[Identifier] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    own_invite_links: list[Identifier] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    posted_invite_links: list[PostedLink] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    icon: Icon | None = None
    icon_signals: IconSignals | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("name")
    @classmethod
    def _name_size(cls, value: str, info: ValidationInfo) -> str:
        return value if _stored(info) else _check_utf8_size(value, MAX_NAME_BYTES, "name")

    @field_validator("description")
    @classmethod
    def _description_size(cls, value: str, info: ValidationInfo) -> str:
        return value if _stored(info) else _check_utf8_size(value, MAX_DESCRIPTION_BYTES, "description")

    @field_validator("admins", "own_invite_links")
    @classmethod
    def _bounded_items(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item or len(item) > MAX_URL_LENGTH:
                raise ValueError("list items must be non-empty strings of at most 2048 characters")
        return value

    def to_wire(self) -> dict:
        """The JSON object for this snapshot, as it would appear in a .jsonl file."""
        return self.model_dump(mode="json", by_alias=True)

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form: the same observation always gets the same hash, so a
        re-scan of the same input stores nothing twice."""
        return self.wire_and_hash()[1]

    def wire_and_hash(self) -> tuple[dict, str]:
        """``to_wire()`` and ``content_hash()`` from one dump: the importer needs both for every record."""
        wire = self.to_wire()
        canonical = json.dumps(wire, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return wire, hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Rejected:
    """A record that could not be read: where it was and why. Kept so nothing is lost silently."""

    source: str
    line: int
    reason: str
    excerpt: str


@dataclass(frozen=True)
class Located:
    """A valid snapshot with the place it came from (file and line), for reasons and audit."""

    snapshot: GroupSnapshot
    source: str
    line: int


_STORED = {"stored": True}


def stored_snapshot(payload: object) -> GroupSnapshot:
    """A snapshot the database holds, validated again for its types. The checks on text that earlier versions
    did not make (printable ids, no NUL, sizes) are left out: a record they accepted must not stop every later
    scan. What could not be stored at all (64-bit overflow, dates out of range, lone surrogates) never was."""
    return GroupSnapshot.model_validate(payload, context=_STORED)


def describe_validation_error(error: ValidationError) -> str:
    """A one-line reason from a pydantic error: the first few problems, each with its field path."""
    parts = []
    for item in error.errors()[:3]:
        # A key of the record can hold a lone surrogate: shown escaped, or the reason could not be stored.
        where = ".".join(str(p) for p in item["loc"]).encode("utf-8", "backslashreplace").decode() or "record"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    more = len(error.errors()) - 3
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def parse_snapshot(obj: object, root: Path | None, dirs: dict[str, str] | None = None) -> GroupSnapshot:
    """Validate one decoded record. Raises ``ValueError`` with a clear reason (schema version first,
    because every other message is meaningless for a record of another version). ``dirs``: a cache of folders'
    real paths that a source keeps for one read (see ``_resolve_inside``)."""
    if not isinstance(obj, dict):
        raise ValueError(f"record is a JSON {type(obj).__name__}, not an object")
    version = obj.get("schema")
    if type(version) is not int or version not in SUPPORTED_SCHEMA_VERSIONS:  # true == 1 and 1.0 == 1 in Python
        raise ValueError(
            f"unknown schema version {version!r} (this groupscan reads {sorted(SUPPORTED_SCHEMA_VERSIONS)})"
        )
    try:
        return GroupSnapshot.model_validate(obj, context={"root": root, "dirs": dirs})
    except ValidationError as error:
        raise ValueError(describe_validation_error(error)) from None


def excerpt(text: str, limit: int = 200) -> str:
    """A short, single-line excerpt of a bad record for the quarantine table."""
    flat = text.replace("\n", " ").replace("\r", " ")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def utc_iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
