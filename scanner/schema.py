"""The wire format: one observation of one group (``GroupSnapshot``), version 1.

Every source (JSON Lines, CSV, bots) turns its input into these models, so the rest of the scanner sees one
validated shape. Validation is strict where a mistake would be silent later (unknown fields, schema version,
icon paths escaping the data set, oversized names) and lenient where producers differ harmlessly (``"12"`` for a
member count is accepted as 12).

Icon paths are checked against the data set's folder, given as validation context::

    GroupSnapshot.model_validate(obj, context={"root": Path("sample_groups")})
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

SCHEMA_VERSION = 1
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})

MAX_NAME_BYTES = 4096
MAX_DESCRIPTION_BYTES = 64 * 1024
MAX_ID_LENGTH = 256
MAX_URL_LENGTH = 2048
MAX_LIST_ITEMS = 5000

Platform = Literal["whatsapp", "telegram", "matrix", "discord", "signal", "other"]

_PDQ_HEX = re.compile(r"^[0-9a-f]{64}$")


def _check_utf8_size(value: str, limit: int, what: str) -> str:
    size = len(value.encode("utf-8"))
    if size > limit:
        raise ValueError(f"{what} is {size} bytes, over the {limit}-byte limit")
    return value


class _Strict(BaseModel):
    # Unknown fields are an error: a typo ("admin" for "admins") must not silently drop evidence.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class PostedLink(_Strict):
    """An invite link this group posted, which points at another group (an edge of the invite graph)."""

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    seen_at: AwareDatetime | None = None


def _resolve_inside(root: str, relative: str, dirs: dict[str, str] | None) -> tuple[str, str]:
    """(real path of ``root``/``relative``, real path of ``root``). ``dirs`` caches the real paths of folders
    for one read of a source: then a record costs one ``lstat`` (is the file itself a link?) instead of one per
    path component, which was a fifth of reading a million records. Without it, plain ``os.path.realpath``."""
    if dirs is None:
        root_path = os.path.realpath(root)
        return os.path.realpath(os.path.join(root_path, relative)), root_path
    if root not in dirs:
        dirs[root] = os.path.realpath(root)
    root_path = dirs[root]
    parent, name = os.path.split(os.path.join(root_path, relative))
    if parent not in dirs:
        dirs[parent] = os.path.realpath(parent)
    candidate = os.path.join(dirs[parent], name)
    return (os.path.realpath(candidate) if os.path.islink(candidate) else candidate), root_path


class Icon(_Strict):
    """The group's icon, as a path relative to the data set. It must stay inside the data set."""

    path: str = Field(min_length=1, max_length=1024)

    @field_validator("path")
    @classmethod
    def _inside_data_set(cls, value: str, info: ValidationInfo) -> str:
        posix = PurePosixPath(value.replace("\\", "/"))
        if posix.is_absolute() or ".." in posix.parts or re.match(r"^[A-Za-z]:", value):
            raise ValueError(f"icon path {value!r} escapes the data folder")
        context = info.context or {}
        root = context.get("root")
        if root is not None:
            resolved, root_path = _resolve_inside(str(root), str(posix), context.get("dirs"))
            if resolved != root_path and not resolved.startswith(root_path.rstrip(os.sep) + os.sep):
                raise ValueError(f"icon path {value!r} escapes the data folder (through a link)")
        return str(posix)


class IconSignals(_Strict):
    """Icon evidence computed upstream: platforms often run their own classifiers and hashers."""

    pdq: str | None = None
    classifier: dict[str, float] = Field(default_factory=dict)

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

    schema_version: Literal[1] = Field(alias="schema")
    platform: Platform
    group_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    observed_at: AwareDatetime
    name: str = ""
    description: str = ""
    member_count: int | None = Field(default=None, ge=0)
    created_at: AwareDatetime | None = None
    admins: list[str] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    own_invite_links: list[str] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    posted_invite_links: list[PostedLink] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    icon: Icon | None = None
    icon_signals: IconSignals | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("name")
    @classmethod
    def _name_size(cls, value: str) -> str:
        return _check_utf8_size(value, MAX_NAME_BYTES, "name")

    @field_validator("description")
    @classmethod
    def _description_size(cls, value: str) -> str:
        return _check_utf8_size(value, MAX_DESCRIPTION_BYTES, "description")

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


def describe_validation_error(error: ValidationError) -> str:
    """A one-line reason from a pydantic error: the first few problems, each with its field path."""
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item["loc"]) or "record"
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
    if version not in SUPPORTED_SCHEMA_VERSIONS:
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
