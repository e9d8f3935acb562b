"""Property-based fuzzing of everything that reads untrusted input (issue 23): the JSON Lines and CSV readers,
the snapshot schema, invite-link canonicalisation, the text normaliser, hash-list import and image loading.
The property is the same everywhere: any input either parses or is rejected with a reason; nothing raises
anything else, nothing hangs. Examples are few per test (``FUZZ``) so the file runs in well under a minute; the
hostile cases hypothesis once found are kept as explicit tests in ``test_hostile_input.py``.
Images are generated and abstract, or not images at all."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from scanner.graph.links import InviteLink, canonicalize, extract_links
from scanner.images.hashbank import HashBank, HashBankError, read_bank, read_bank_csv
from scanner.images.pdq import IconError, IconHash, hash_icon_bytes, load_rgb
from scanner.schema import MAX_INT64, MIN_DATE, GroupSnapshot, Located, Rejected, parse_snapshot
from scanner.sources.csv_source import CsvSource
from scanner.sources.jsonl import JsonLinesSource
from scanner.text.normalize import NormalizedText, normalize, tokens

pytestmark = pytest.mark.timeout(300)
# GROUPSCAN_FUZZ_EXAMPLES=5000 for a longer hunt than CI's.
EXAMPLES = int(os.environ.get("GROUPSCAN_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.data_too_large])
WORK = Path(tempfile.mkdtemp(prefix="groupscan-fuzz-"))  # hypothesis runs many examples per test function
(WORK / "icons").mkdir()
(WORK / "icons" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n")

# Any character, lone surrogates and controls included.
anychar = st.characters(codec=None, exclude_categories=())
text = st.text(anychar, max_size=40)
json_scalar = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**62, max_value=2**80)
               | st.floats(allow_nan=True, allow_infinity=True) | text)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(text, inner, max_size=4), max_leaves=12)
moments = st.sampled_from(["2026-09-01T10:00:00Z", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
                           "2026-09-01T10:00:00", "1899-12-31T23:59:59Z", "8999-12-31T23:59:59Z", "yesterday"])
ids = st.one_of(st.sampled_from(["wa:1", "tg:-100", "   ", "\u200b", "wa:\x00", "wa:\x1b[2J", "wa:\ud800"]), text)


def field(valid, hostile):
    """Mostly the valid value, sometimes a hostile one."""
    return st.one_of(st.just(valid), hostile) if not isinstance(valid, st.SearchStrategy) else \
        st.one_of(valid, hostile)


records = st.fixed_dictionaries(
    {"schema": field(1, st.sampled_from([True, 1.0, "1", 2, None])),
     "platform": field("whatsapp", json_value),
     "group_id": ids,
     "observed_at": field("2026-09-01T10:00:00Z", moments | json_value)},
    optional={"name": text | json_value, "description": text, "member_count": json_scalar,
              "created_at": moments, "admins": st.lists(ids, max_size=3) | json_value,
              "own_invite_links": st.lists(text, max_size=3),
              "posted_invite_links": st.lists(st.fixed_dictionaries({"url": text}, optional={"seen_at": moments}),
                                              max_size=2),
              "icon": st.fixed_dictionaries({"path": st.sampled_from(["icons/ok.png", "icons", ".", "../x",
                                                                      "icons/\x00.png", "missing.png"]) | text}),
              "icon_signals": st.fixed_dictionaries({}, optional={"pdq": text, "classifier": json_value}),
              "extra": json_value})


def lines_of(objects) -> bytes:
    out = []
    for item in objects:
        if isinstance(item, bytes):
            out.append(item.replace(b"\n", b" "))
        else:
            out.append(json.dumps(item, ensure_ascii=True).encode())  # lone surrogates become \ud800 escapes
    return b"\n".join(out) + b"\n"


def check_outcomes(out: list, lines: int) -> None:
    """Every outcome is a snapshot that can be stored, or a rejection with a place and a reason."""
    for item in out:
        assert isinstance(item, Located | Rejected)
        assert 1 <= item.line <= lines
        if isinstance(item, Rejected):
            assert item.reason.strip()
            continue
        snap = item.snapshot
        wire, digest = snap.wire_and_hash()
        json.dumps(wire, ensure_ascii=False).encode("utf-8")
        assert snap.member_count is None or 0 <= snap.member_count <= MAX_INT64
        assert snap.group_id.strip() and "\x00" not in snap.group_id
        assert snap.observed_at.astimezone(UTC) >= MIN_DATE
        assert GroupSnapshot.model_validate(wire).content_hash() == digest


@FUZZ
@given(st.lists(records | st.binary(max_size=200), min_size=1, max_size=6))
def test_jsonl_reader_parses_or_rejects_every_line(items):
    path = WORK / "groups.jsonl"
    data = lines_of(items)
    path.write_bytes(data)
    out = list(JsonLinesSource().read(path))
    check_outcomes(out, data.count(b"\n"))
    assert len(out) <= len(items)


cells = st.one_of(st.text(anychar.filter(lambda c: not ("\ud800" <= c <= "\udfff")), max_size=20),
                  st.sampled_from(['"', '""', '"unclosed', "a\nb", "\r", "{" * 50, "x" * 200, "wa:1",
                                   "2026-09-01T10:00:00Z", "1", "whatsapp"]))


@FUZZ
@given(st.lists(st.lists(cells, max_size=10), max_size=6), st.binary(max_size=100), st.booleans())
def test_csv_reader_parses_or_rejects_every_row(rows, tail, known_header):
    header = "schema,platform,group_id,observed_at,name,description,member_count,icon_path,icon_classifier"
    body = "\n".join(",".join(row) for row in rows)
    data = ((header if known_header else "schema,admin,group_id") + "\n" + body + "\n").encode("utf-8") + tail
    path = WORK / "groups.csv"
    path.write_bytes(data)
    out = list(CsvSource().read(path))
    check_outcomes(out, data.count(b"\n") + 1)


@FUZZ
@given(records | json_value)
def test_schema_validates_or_gives_a_reason(obj):
    try:
        snap = parse_snapshot(obj, WORK, {})
    except ValueError as error:
        assert str(error).strip()
        return
    check_outcomes([Located(snap, "x", 1)], 1)


@FUZZ
@given(st.one_of(text, st.builds(lambda a, b: f"https://{a}/{b}", st.sampled_from(
    ["t.me", "chat.whatsapp.com", "matrix.to", "discord.gg", "T.ME:443", "www.t.me"]), text)))
def test_link_canonicalisation_never_raises(value):
    found = canonicalize(value)
    assert found is None or isinstance(found, InviteLink)
    assert all(isinstance(link, InviteLink) for link in extract_links(value))


@FUZZ
@given(st.text(anychar, max_size=200))
def test_normaliser_never_raises(value):
    result = normalize(value)
    assert isinstance(result, NormalizedText) and isinstance(result.text, str)
    assert all(tok for tok in tokens(result.text))


H1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


@FUZZ
@given(st.lists(st.one_of(st.just(H1), st.just("pdq " + H1), st.just("pdq,label,category"),
                          st.just(f"{H1},x,scam"), st.just('"' + "x" * 200), st.text(anychar, max_size=70)),
                max_size=6),
       st.binary(max_size=60), st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_hashlist_import_reads_or_names_the_problem(lines, tail, encoding):
    body = "\n".join(lines).encode(encoding, errors="replace" if encoding == "latin-1" else "surrogatepass") + tail
    for name, reader in (("list.txt", read_bank), ("list.csv", read_bank_csv)):
        path = WORK / name
        path.write_bytes(body)
        try:
            bank = reader(path, "child_safety", 31)
        except HashBankError as error:
            assert str(error).startswith(str(path))
            continue
        assert isinstance(bank, HashBank)
        assert all(len(e.pdq) == 64 for e in bank.entries)


def _png(seed: int, size: int) -> bytes:
    blocks = (np.random.default_rng(seed).random((4, 4, 3)) * 255).astype("uint8")  # abstract blocks
    out = io.BytesIO()
    Image.fromarray(blocks).resize((size, size), Image.Resampling.NEAREST).save(out, format="PNG")
    return out.getvalue()


def _encoded(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(_png(1, 16))).convert("RGB").save(out, format=fmt)
    return out.getvalue()


VALID = {fmt: _encoded(fmt) for fmt in ("PNG", "JPEG", "GIF", "WEBP", "BMP", "ICO", "TIFF")}


@FUZZ
@given(st.sampled_from(sorted(VALID)), st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=8),
       st.integers(0, 5000), st.binary(max_size=64))
def test_image_loading_decodes_or_refuses(fmt, flips, cut, tail):
    data = bytearray(VALID[fmt])
    for where, value in flips:
        if where < len(data):
            data[where] = value
    data = bytes(data[: max(cut, 1)]) + tail
    try:
        rgb = load_rgb(data, 4_000_000)
    except IconError as error:
        assert str(error).strip()
    else:
        assert rgb.ndim == 3 and rgb.shape[2] == 3
        assert fmt in ("PNG", "JPEG", "GIF", "WEBP", "BMP")  # ICO and TIFF never reach a decoder
    with contextlib.suppress(IconError):
        assert isinstance(hash_icon_bytes(data), IconHash)


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_as_an_image_decode_or_refuse(data):
    try:
        load_rgb(data, 4_000_000)
    except IconError as error:
        assert str(error).strip()


def test_fuzz_inputs_reach_both_outcomes():
    """The generators are not all rejected: valid snapshots come out too (a fuzzer that only makes garbage
    tests one branch)."""
    ok = parse_snapshot({"schema": 1, "platform": "whatsapp", "group_id": "wa:1",
                         "observed_at": datetime(2026, 9, 1, tzinfo=UTC).isoformat()}, WORK, {})
    assert ok.group_id == "wa:1"
    seen = {"Located": 0, "Rejected": 0}

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(records)
    def count(record):
        try:
            parse_snapshot(record, WORK, {})
            seen["Located"] += 1
        except ValueError:
            seen["Rejected"] += 1

    count()
    assert seen["Located"] > 0 and seen["Rejected"] > 0
