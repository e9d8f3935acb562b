"""Hostile input never stops a scan (issue 23): one regression test per crash class found by fuzzing, then the
inputs that were accepted silently. Every bad record comes out as a ``Rejected`` with its line and a reason
naming the field; its neighbours are kept. Hostile files are made here (FIFOs, device nodes, deep nesting);
images are generated and abstract."""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlmodel import Session, select
from typer.testing import CliRunner

from scanner.cli import app
from scanner.cli.display import escape
from scanner.engine.pipeline import ScanSummary, run_scan
from scanner.images.banks import import_bank, list_banks, load_banks
from scanner.images.hashbank import HashBankError
from scanner.images.pdq import IconError, hash_icon_bytes, hash_icon_file, load_rgb
from scanner.policy import default_policy
from scanner.schema import GroupSnapshot, Located, Rejected, parse_snapshot
from scanner.sources.csv_source import CsvSource
from scanner.sources.jsonl import JsonLinesSource
from scanner.store.db import open_database
from scanner.store.models import RejectedRecord, ScanRun, Snapshot
from scanner.store.snapshots import ingest
from tests.support.factories import snapshot, write_jsonl

pytestmark = pytest.mark.timeout(120)  # a FIFO must never hang a test
H1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
CSV_HEADER = "schema,platform,group_id,observed_at,name,description,member_count,icon_path,icon_classifier\n"


def jsonl(tmp_path: Path, *records) -> list:
    """Read ``records`` (dicts or raw lines) between two valid ones; returns what the reader yields."""
    path = write_jsonl(tmp_path / "groups.jsonl", [snapshot("wa:first"), *records, snapshot("wa:last")])
    return list(JsonLinesSource().read(path))


def only_rejection(out: list) -> Rejected:
    """The valid neighbours are kept, and exactly one record in between was rejected."""
    assert [r.snapshot.group_id for r in out if isinstance(r, Located)] == ["wa:first", "wa:last"]
    (bad,) = [r for r in out if isinstance(r, Rejected)]
    assert bad.line == 2
    return bad


def csv_rows(tmp_path: Path, text: str, header: str = CSV_HEADER) -> list:
    path = tmp_path / "groups.csv"
    path.write_bytes((header + text).encode("utf-8") if isinstance(text, str) else header.encode() + text)
    return list(CsvSource().read(path))


def png_bytes(size: int = 32, seed: int = 1) -> bytes:
    blocks = (np.random.default_rng(seed).random((4, 4, 3)) * 255).astype("uint8")  # abstract blocks
    out = io.BytesIO()
    Image.fromarray(blocks).resize((size, size), Image.Resampling.NEAREST).save(out, format="PNG")
    return out.getvalue()


# --- the crash classes of the table, one test each -------------------------------------------------


def test_json_nested_10000_deep_is_rejected(tmp_path):
    deep = "[" * 10_000 + "]" * 10_000
    bad = only_rejection(jsonl(tmp_path, deep))
    assert "nested too deeply" in bad.reason
    inside = json.dumps(snapshot("wa:x", description="")).replace('""', "[" * 10_000 + "]" * 10_000, 1)
    bad = only_rejection(jsonl(tmp_path, inside))
    assert "nested too deeply" in bad.reason


def test_an_integer_of_5000_digits_is_rejected(tmp_path):
    line = json.dumps(snapshot("wa:x")).replace('"member_count": 10', '"member_count": ' + "9" * 5000)
    bad = only_rejection(jsonl(tmp_path, line))
    assert "digits" in bad.reason or "integer" in bad.reason


@pytest.mark.parametrize("field", ["admins", "own_invite_links"])
def test_a_lone_surrogate_is_rejected_naming_the_field(tmp_path, field):
    line = json.dumps(snapshot("wa:x", **{field: ["SURROGATE"]})).replace("SURROGATE", "\\ud800")
    bad = only_rejection(jsonl(tmp_path, line))
    assert field in bad.reason and "surrogate" in bad.reason


@pytest.mark.parametrize("count", [10**30, 2**63])
def test_member_count_beyond_64_bits_is_rejected(tmp_path, count):
    bad = only_rejection(jsonl(tmp_path, snapshot("wa:x", member_count=count)))
    assert "member_count" in bad.reason
    (kept,) = [r for r in jsonl(tmp_path, snapshot("wa:x", member_count=2**63 - 1)) if
               isinstance(r, Located) and r.snapshot.group_id == "wa:x"]
    assert kept.snapshot.member_count == 2**63 - 1


@pytest.mark.parametrize("field,moment", [("observed_at", "9999-12-31T23:59:59-12:00"),
                                          ("created_at", "0001-01-01T00:00:00+14:00")])
def test_dates_out_of_range_after_their_offset_are_rejected(tmp_path, field, moment):
    bad = only_rejection(jsonl(tmp_path, snapshot("wa:x", **{field: moment})))
    assert field in bad.reason and ("out of range" in bad.reason or "outside" in bad.reason)


def test_the_extreme_dates_that_are_in_range_scan_end_to_end(tmp_path):
    """Go's zero time (exporters write it for "unknown") and the last representable day are kept and scanned."""
    write_jsonl(tmp_path / "groups.jsonl", [
        snapshot("wa:1", created_at="0001-01-01T00:00:00Z", observed_at="0001-01-01T00:00:00-14:00"),
        snapshot("wa:2", created_at="9999-12-30T23:59:59Z", observed_at="9999-12-30T23:59:59+14:00"),
        snapshot("wa:1", observed_at="2026-09-01T10:00:00Z")])
    summary = run_scan(open_database(str(tmp_path / "d.db")), tmp_path, default_policy())
    assert summary.groups == 2 and not summary.rejected
    result = CliRunner().invoke(app, ["show", "wa:1", "--db", str(tmp_path / "d.db")])
    assert result.exit_code == 0, result.output


def test_nul_in_an_icon_file_name_is_rejected(tmp_path):
    bad = only_rejection(jsonl(tmp_path, snapshot("wa:x", icon={"path": "icons/a\u0000.png"})))
    assert "icon.path" in bad.reason and "NUL" in bad.reason


@pytest.mark.parametrize("path", ["icons", ".", "icons/."])
def test_an_icon_path_that_is_a_directory_is_rejected(tmp_path, path):
    (tmp_path / "icons").mkdir()
    bad = only_rejection(jsonl(tmp_path, snapshot("wa:x", icon={"path": path})))
    assert "icon.path" in bad.reason and ("directory" in bad.reason or "data folder" in bad.reason)
    with pytest.raises(IconError, match="not a regular file"):
        hash_icon_file(tmp_path / "icons")


def test_a_character_device_in_the_folder_is_rejected_and_never_read(tmp_path):
    try:
        os.mknod(tmp_path / "zero.png", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers
    except PermissionError:
        pytest.skip("cannot make device nodes here")
    bad = only_rejection(jsonl(tmp_path, snapshot("wa:x", icon={"path": "zero.png"})))
    assert "character device" in bad.reason and "icon.path" in bad.reason
    with pytest.raises(IconError, match="not a regular file"):
        hash_icon_file(tmp_path / "zero.png")
    with pytest.raises(IconError, match="not a regular file"):
        hash_icon_file(Path("/dev/zero"))


def test_a_fifo_in_the_folder_is_rejected_and_never_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    bad = only_rejection(jsonl(tmp_path, snapshot("wa:x", icon={"path": "pipe.png"})))
    assert "FIFO" in bad.reason and "icon.path" in bad.reason
    with pytest.raises(IconError, match="not a regular file"):
        hash_icon_file(tmp_path / "pipe.png")  # would block forever in open() without the check


def test_a_full_scan_with_a_fifo_icon_and_a_directory_icon_finishes(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "ok.png").write_bytes(png_bytes())
    write_jsonl(tmp_path / "groups.jsonl", [
        snapshot("wa:1", icon={"path": "icons/ok.png"}), snapshot("wa:2", icon={"path": "pipe.png"}),
        snapshot("wa:3", icon={"path": "icons"}), snapshot("wa:4", member_count=2**64),
        snapshot("wa:5", observed_at="9999-12-31T23:59:59-12:00"), snapshot("wa:6")])
    engine = open_database(str(tmp_path / "s.db"))
    summary = run_scan(engine, tmp_path, default_policy())
    assert summary.groups == 2 and summary.snapshots_new == 2
    assert sorted(r.line for r in summary.rejected) == [2, 3, 4, 5]


def test_a_csv_field_over_the_csv_limit_costs_one_row(tmp_path):
    big = "x" * 140_000
    out = csv_rows(tmp_path, f"1,whatsapp,wa:1,2026-09-01T10:00:00Z,one,,,,\n"
                             f"1,whatsapp,wa:2,2026-09-01T10:00:00Z,two,\"{big}\",,,\n"
                             f"1,whatsapp,wa:3,2026-09-01T10:00:00Z,three,{big},,,\n"
                             f"1,whatsapp,wa:4,2026-09-01T10:00:00Z,four,,,,\n")
    assert [r.snapshot.group_id for r in out if isinstance(r, Located)] == ["wa:1", "wa:4"]
    assert [(r.line, "field larger than field limit" in r.reason) for r in out if isinstance(r, Rejected)] == [
        (3, True), (4, True)]
    assert [r.line for r in out if isinstance(r, Located)] == [2, 5]


def test_a_csv_icon_classifier_nested_10000_deep_is_rejected(tmp_path):
    deep = '"' + "[" * 10_000 + "]" * 10_000 + '"'
    out = csv_rows(tmp_path, f"1,whatsapp,wa:1,2026-09-01T10:00:00Z,one,,,,{deep}\n"
                             "1,whatsapp,wa:2,2026-09-01T10:00:00Z,two,,,,\n")
    first, second = out
    assert isinstance(first, Rejected) and "icon_classifier" in first.reason and "nested too deeply" in first.reason
    assert isinstance(second, Located)


def _import(tmp_path: Path, content: bytes | None, name: str = "list.txt", *args: str):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    return CliRunner().invoke(app, ["hashlist", "import", str(path), "--bank", "b", "--db",
                                    str(tmp_path / "b.db"), *args])


@pytest.mark.parametrize("content", [bytes(range(256)) * 4, f"{H1}\n# caf\xe9\n".encode("latin-1"),
                                     b"\xff\xfe" + f"{H1}\n".encode("utf-16-le")])
def test_hashlist_import_of_binary_or_latin1_exits_2_with_the_line(tmp_path, content):
    result = _import(tmp_path, content)
    assert result.exit_code == 2, result.output
    assert "not UTF-8" in result.output and "list.txt:" in result.output
    assert "Traceback" not in result.output


def test_hashlist_import_of_a_big_csv_field_a_fifo_and_dev_zero_exits_2(tmp_path):
    result = _import(tmp_path, f"pdq,label\n{H1},\"{'x' * 140_000}\"\n".encode(), "big.csv")
    assert result.exit_code == 2 and "big.csv:" in result.output and "unreadable CSV" in result.output
    os.mkfifo(tmp_path / "pipe.txt")
    result = _import(tmp_path, None, "pipe.txt")
    assert result.exit_code == 2 and "FIFO" in result.output
    result = CliRunner().invoke(app, ["hashlist", "import", "/dev/zero", "--bank", "b", "--db",
                                      str(tmp_path / "b.db")])
    assert result.exit_code == 2 and "character device" in result.output


# --- accepted silently before ----------------------------------------------------------------------------


def test_duplicate_json_keys_are_refused(tmp_path):
    line = json.dumps(snapshot("wa:x"))[:-1] + ', "group_id": "wa:other"}'
    bad = only_rejection(jsonl(tmp_path, line))
    assert "duplicate key 'group_id'" in bad.reason


@pytest.mark.parametrize("group_id,why", [("   ", "blank"), ("\u200b\u2060", "blank"), ("wa:\u0000x", "NUL"),
                                          ("wa:\u001b[31m", "U+001B")])
def test_blank_and_control_character_ids_are_refused(tmp_path, group_id, why):
    bad = only_rejection(jsonl(tmp_path, snapshot(group_id)))
    assert "group_id" in bad.reason and why in bad.reason


def test_nul_in_a_name_is_refused_and_escape_codes_are_shown_escaped(tmp_path):
    bad = only_rejection(jsonl(tmp_path, snapshot("wa:x", name="a\u0000b")))
    assert "name" in bad.reason and "NUL" in bad.reason
    assert escape("x\x1b[2Jy\u202e[bold]") == "x\\x1b[2Jy\\u202e\\[bold]"


@pytest.mark.parametrize("field,value", [("schema", True), ("schema", 1.0), ("member_count", True),
                                         ("member_count", 12.0)])
def test_booleans_and_floats_are_not_integers(tmp_path, field, value):
    bad = only_rejection(jsonl(tmp_path, snapshot("wa:x", **{field: value})))
    assert field in bad.reason or "schema version" in bad.reason


def test_classifier_labels_and_scores_are_strict(tmp_path):
    line = json.dumps(snapshot("wa:x", icon_signals={"classifier": {"SURROGATE": 0.5}})).replace(
        "SURROGATE", "\\udc80")
    bad = only_rejection(jsonl(tmp_path, line))
    assert "icon_signals.classifier" in bad.reason
    bad = only_rejection(jsonl(tmp_path, snapshot("wa:x", icon_signals={"classifier": {"explicit": True}})))
    assert "icon_signals.classifier" in bad.reason


def test_csv_line_numbers_survive_blank_lines_and_multiline_fields(tmp_path):
    out = csv_rows(tmp_path, "\n\n1,whatsapp,wa:1,2026-09-01T10:00:00Z,one,\"two\nlines\",,,\n"
                             "\n1,whatsapp,wa:2,yesterday,bad,,,,\n"
                             "1,whatsapp,wa:3,2026-09-01T10:00:00Z,three,,,,\n")
    assert [(type(r).__name__, r.line) for r in out] == [("Located", 4), ("Rejected", 7), ("Located", 8)]
    assert out[0].snapshot.description == "two\nlines"


def test_an_unclosed_csv_quote_costs_one_record(tmp_path):
    out = csv_rows(tmp_path, "1,whatsapp,wa:1,2026-09-01T10:00:00Z,\"unclosed,,,,\n"
                             "1,whatsapp,wa:2,2026-09-01T10:00:00Z,two,,,,\n"
                             "1,whatsapp,wa:3,2026-09-01T10:00:00Z,three,,,,\n")
    assert [(type(r).__name__, r.line) for r in out] == [("Rejected", 2), ("Located", 3), ("Located", 4)]
    assert "unclosed quote" in out[0].reason


def test_invalid_utf8_in_csv_is_rejected_as_in_jsonl(tmp_path):
    out = csv_rows(tmp_path, b"1,whatsapp,wa:1,2026-09-01T10:00:00Z,caf\xe9,,,,\n"
                             b"1,whatsapp,wa:2,2026-09-01T10:00:00Z,two,,,,\n")
    assert isinstance(out[0], Rejected) and out[0].line == 2 and "not UTF-8" in out[0].reason
    assert isinstance(out[1], Located) and out[1].line == 3


@pytest.mark.parametrize("header,why", [
    ("schema,platform,group_id,observed_at,admin\n", "unknown columns ['admin']"),
    ("schema,platform,group_id,observed_at,name,name\n", "repeats columns ['name']"),
    ("schema,platform,observed_at\n", "lacks columns ['group_id']"),
])
def test_csv_headers_are_checked(tmp_path, header, why):
    out = csv_rows(tmp_path, "1,whatsapp,wa:1,2026-09-01T10:00:00Z,x,y\n", header=header)
    (only,) = out
    assert isinstance(only, Rejected) and only.line == 1 and why in only.reason


def test_short_and_long_csv_rows_are_refused(tmp_path):
    out = csv_rows(tmp_path, "1,whatsapp,wa:1,2026-09-01T10:00:00Z\n"
                             "1,whatsapp,wa:2,2026-09-01T10:00:00Z,two,,,,,extra\n"
                             "1,whatsapp,wa:3,2026-09-01T10:00:00Z,three,,,,\n")
    assert [(type(r).__name__, r.line) for r in out] == [("Rejected", 2), ("Rejected", 3), ("Located", 4)]
    assert "4 cells, the header 9" in out[0].reason and "10 cells" in out[1].reason


def _ico_bytes() -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(png_bytes(64))).save(out, format="ICO")
    return out.getvalue()


@pytest.mark.parametrize("data,why", [
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n", "allowed format"),
    (b"\x00\x00\x01\x00", "allowed format"),
    (b"", "allowed format"),
])
def test_images_outside_the_allowlist_are_refused_before_decoding(data, why):
    with pytest.raises(IconError, match=why):
        load_rgb(data, 4_000_000)
    with pytest.raises(IconError, match=why):
        load_rgb(_ico_bytes(), 4_000_000)


def test_pixel_limit_is_checked_before_decoding():
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    # A valid PNG header claiming 60,000 x 60,000 pixels (3.6 gigapixels) with almost no data behind it.
    header = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0))
    bomb = header + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b"")
    with pytest.raises(IconError, match="decompression bomb"):  # past Pillow's own limit: refused on open
        load_rgb(bomb, 4_000_000)
    header = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 5_000, 5_000, 8, 2, 0, 0, 0))
    with pytest.raises(IconError, match="over the 4000000-pixel limit"):  # past ours: refused before decoding
        load_rgb(header + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""), 4_000_000)
    assert hash_icon_bytes(png_bytes()).width == 32  # a real small PNG still hashes


def test_empty_hashlist_never_empties_a_bank(tmp_path):
    engine = open_database(str(tmp_path / "b.db"))
    (tmp_path / "full.txt").write_text(f"{H1}\n")
    (tmp_path / "empty.txt").write_text("# nothing yet\n\n")
    assert import_bank(engine, tmp_path / "full.txt", "bank", "child_safety") == 1
    with pytest.raises(HashBankError, match="holds no hashes"):
        import_bank(engine, tmp_path / "empty.txt", "bank", "child_safety")
    assert list_banks(engine)[0]["entries"] == 1
    result = _import(tmp_path, b"# nothing\n", "none.txt")
    assert result.exit_code == 2 and "--replace-empty" in result.output
    assert import_bank(engine, tmp_path / "empty.txt", "bank", "child_safety", replace_empty=True) == 0
    assert list_banks(engine)[0]["entries"] == 0


def test_hashlist_categories_are_checked_alike_from_label_and_column(tmp_path):
    categories = default_policy().categories
    (tmp_path / "l.csv").write_text(f"pdq,category\n{H1},no_such_harm\n")
    with pytest.raises(HashBankError, match="l.csv:2: unknown category 'no_such_harm'"):
        import_bank(open_database(str(tmp_path / "b.db")), tmp_path / "l.csv", "b", "child_safety",
                    categories=categories)
    result = _import(tmp_path, f"pdq,category\n{H1},no_such_harm\n".encode(), "c.csv")
    assert result.exit_code == 2 and "unknown category" in result.output
    result = _import(tmp_path, f"{H1}\n".encode(), "p.txt", "--label", "no_such_harm")
    assert result.exit_code == 2 and "unknown category" in result.output


@pytest.mark.parametrize("name,why", [("", "empty"), ("  ", "blank"), ("x" * 65, "at most 64"),
                                      ("a\x1bb", "printable")])
def test_bank_names_are_validated(tmp_path, name, why):
    (tmp_path / "l.txt").write_text(f"{H1}\n")
    with pytest.raises(HashBankError, match=why):
        import_bank(open_database(str(tmp_path / "b.db")), tmp_path / "l.txt", name, "child_safety")


def test_a_hashlist_with_a_byte_order_mark_is_read(tmp_path):
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + f"{H1}\n".encode())
    engine = open_database(str(tmp_path / "b.db"))
    assert import_bank(engine, tmp_path / "bom.txt", "bom", "child_safety") == 1
    assert load_banks(engine)[0].entries[0].pdq == H1


def open_run(tmp_path):
    """A database holding one running scan, as ``run_scan`` opens it before ingesting; returns it and the scan id."""
    import scanner.engine.pipeline as pipeline

    engine = open_database(str(tmp_path / "r.db"))
    with Session(engine) as session, session.begin():
        run = ScanRun(started_at=pipeline._now(), source="x")
        session.add(run)
        session.flush()
        return engine, int(run.id or 0)


def test_a_killed_run_keeps_the_counts_it_committed(tmp_path, monkeypatch):
    import scanner.store.snapshots as snapshots

    monkeypatch.setattr(snapshots, "BATCH", 3)
    engine, scan_id = open_run(tmp_path)

    def records():
        for i in range(7):
            if i == 4:
                yield Rejected("x", i + 1, "bad", "")
            else:
                yield Located(parse_snapshot(snapshot(f"wa:{i}"), None), "x", i + 1)
        raise KeyboardInterrupt  # the process stops here: nothing after the last committed batch runs

    with pytest.raises(KeyboardInterrupt):
        ingest(engine, records(), ScanSummary(scan_id=scan_id, source="x"))
    with Session(engine) as session:
        row = session.get(ScanRun, scan_id)
        assert (row.records_read, row.snapshots_new, row.rejected, row.status) == (6, 5, 1, "running")


def test_a_record_the_database_refuses_costs_one_record(tmp_path):

    engine, scan_id = open_run(tmp_path)
    good = [Located(parse_snapshot(snapshot(f"wa:{i}"), None), "x", i + 1) for i in range(3)]
    # Built without validation (as a buggy plugin might): a lone surrogate cannot be hashed or stored.
    broken = GroupSnapshot.model_construct(**{**good[0].snapshot.__dict__, "group_id": "wa:\udc80"})
    summary = ScanSummary(scan_id=scan_id, source="x")
    ingest(engine, [good[0], Located(broken, "x", 9), *good[1:]], summary)
    assert summary.snapshots_new == 3 and [r.line for r in summary.rejected] == [9]
    assert "could not be stored" in summary.rejected[0].reason
    with Session(engine) as session:
        assert len(session.exec(select(Snapshot.id)).all()) == 3
        assert [r.line for r in session.exec(select(RejectedRecord)).all()] == [9]


def test_cli_tables_escape_control_characters_and_markup(tmp_path):
    write_jsonl(tmp_path / "groups.jsonl", [snapshot("wa:1", name="evil\u001b[2J [bold]name[/x]")])
    db = str(tmp_path / "c.db")
    assert CliRunner().invoke(app, ["scan", str(tmp_path), "--db", db]).exit_code in (0, 10)
    result = CliRunner().invoke(app, ["groups", "--db", db])
    assert result.exit_code == 0, result.output
    assert "\x1b[2J" not in result.output and "\\x1b" in result.output


def test_snapshots_an_earlier_version_stored_never_stop_a_scan(tmp_path):
    """A blank id or a control character in an admin id, accepted before these checks, is still folded from the
    database."""
    engine = open_database(str(tmp_path / "old.db"))
    old = snapshot("   ", admins=["u:\t1"])
    with Session(engine) as session, session.begin():
        run = ScanRun(started_at=parse_snapshot(snapshot("x"), None).observed_at, source="old.jsonl",
                      status="done")
        session.add(run)
        session.flush()
        session.add(Snapshot(content_hash="0" * 64, group_id="   ", platform="whatsapp",
                             observed_at=run.started_at, payload=old, source="old.jsonl", line=1,
                             scan_id=int(run.id or 0)))
    write_jsonl(tmp_path / "groups.jsonl", [snapshot("wa:1")])
    summary = run_scan(engine, tmp_path, default_policy())
    assert summary.groups == 2 and not summary.rejected


def test_raw_nul_and_control_bytes_in_a_line_are_quarantined_on_any_database(tmp_path):
    """The rejected line's excerpt is stored too: PostgreSQL refuses NUL in text, so it is stored escaped."""
    path = tmp_path / "groups.jsonl"
    path.write_bytes(json.dumps(snapshot("wa:1")).encode() + b'\n{"schema": 1, "name": "a\x00\x1b[2J"}\n'
                     + json.dumps(snapshot("wa:2")).encode() + b"\n")
    engine = open_database(str(tmp_path / "n.db"))
    summary = run_scan(engine, tmp_path, default_policy())
    assert summary.groups == 2 and [r.line for r in summary.rejected] == [2]
    with Session(engine) as session:
        (stored,) = session.exec(select(RejectedRecord)).all()
    assert "\x00" not in stored.excerpt and "\\x00" in stored.excerpt
    result = CliRunner().invoke(app, ["rejected", "--db", str(tmp_path / "n.db")])
    assert result.exit_code == 0 and "groups.jsonl:2" in result.output
