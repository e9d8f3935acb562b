from __future__ import annotations

import json

import pytest

from scanner.schema import GroupSnapshot, Located, Rejected
from scanner.sources import SourceError, resolve
from scanner.sources.csv_source import CsvSource
from scanner.sources.jsonl import JsonLinesSource
from tests.support.factories import snapshot, write_jsonl


def read_all(path):
    source, file = resolve(path)
    return list(source.read(file))


def test_bad_lines_are_rejected_with_reasons_and_neighbours_kept(tmp_path):
    records = [
        snapshot("wa:1"),
        "{not json",
        snapshot("wa:2", member_count="many"),
        snapshot("wa:3", name="x" * 5000),
        snapshot("wa:4", icon={"path": "../../etc/passwd"}),
        snapshot("wa:5", schema=2),
        snapshot("wa:6", admins="not a list"),
        "[1, 2]",
        snapshot("wa:7", unexpected_field=1),
        snapshot("wa:8", observed_at="2026-09-01T10:00:00"),
        snapshot("wa:9", icon={"path": "/etc/passwd"}),
        snapshot("wa:10"),
    ]
    path = write_jsonl(tmp_path / "groups.jsonl", records)
    out = read_all(tmp_path)
    kept = [r.snapshot.group_id for r in out if isinstance(r, Located)]
    rejected = {r.line: r.reason for r in out if isinstance(r, Rejected)}
    assert kept == ["wa:1", "wa:10"]
    assert set(rejected) == {2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
    assert "invalid JSON" in rejected[2]
    assert "member_count" in rejected[3]
    assert "4096-byte limit" in rejected[4]
    assert "escapes the data folder" in rejected[5]
    assert "unknown schema version 2" in rejected[6]
    assert "admins" in rejected[7]
    assert "not an object" in rejected[8]
    assert "unexpected_field" in rejected[9]
    assert "timezone" in rejected[10].lower()
    assert "escapes the data folder" in rejected[11]
    assert all(isinstance(r, Rejected) and r.source == str(path) for r in out if isinstance(r, Rejected))


def test_name_limit_counts_bytes_not_characters(tmp_path):
    devanagari = "ब" * 1400  # 3 bytes each: 4200 bytes, under 4096 characters
    write_jsonl(tmp_path / "g.jsonl", [snapshot("wa:1", name=devanagari)])
    (only,) = read_all(tmp_path / "g.jsonl")
    assert isinstance(only, Rejected) and "bytes" in only.reason


def test_icon_symlink_escaping_the_folder_is_rejected(tmp_path):
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"x")
    data = tmp_path / "data"
    data.mkdir()
    (data / "link.png").symlink_to(outside)
    # A folder that is a link out, and links that stay inside (allowed), read in one pass (the folder cache).
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "a.png").write_bytes(b"x")
    (data / "out").symlink_to(tmp_path / "elsewhere")
    (data / "icons").mkdir()
    (data / "icons" / "b.png").write_bytes(b"x")
    (data / "icons" / "same.png").symlink_to(data / "icons" / "b.png")
    (data / "inside").symlink_to(data / "icons")
    write_jsonl(data / "groups.jsonl", [
        snapshot("wa:1", icon={"path": "link.png"}), snapshot("wa:2", icon={"path": "out/a.png"}),
        snapshot("wa:3", icon={"path": "icons/same.png"}), snapshot("wa:4", icon={"path": "inside/b.png"}),
        snapshot("wa:5", icon={"path": "out/a.png"})])
    first, second, third, fourth, fifth = read_all(data)
    assert isinstance(first, Rejected) and "escapes" in first.reason
    assert isinstance(second, Rejected) and isinstance(fifth, Rejected) and "escapes" in fifth.reason
    assert not isinstance(third, Rejected) and not isinstance(fourth, Rejected)


def test_valid_record_round_trips_and_hash_is_stable(tmp_path):
    record = snapshot("tg:-100", platform="telegram", icon_signals={"pdq": "A" * 64, "classifier": {"explicit": 0.5}},
                      posted_invite_links=[{"url": "https://t.me/+abc", "seen_at": "2026-09-01T09:00:00Z"}])
    write_jsonl(tmp_path / "g.jsonl", [record, record])
    first, second = read_all(tmp_path / "g.jsonl")
    assert first.snapshot.icon_signals.pdq == "a" * 64
    assert first.snapshot.content_hash() == second.snapshot.content_hash()
    again = GroupSnapshot.model_validate(first.snapshot.to_wire())
    assert again.content_hash() == first.snapshot.content_hash()
    assert first.snapshot.to_wire()["schema"] == 1


def test_csv_source_reads_lists_and_rejects_bad_rows(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text(
        "schema,platform,group_id,observed_at,name,admins,own_invite_links,posted_invite_links,icon_classifier\n"
        '1,whatsapp,wa:1,2026-09-01T10:00:00Z,"Class 8 parents, A",wa:user:1 wa:user:2,'
        "https://chat.whatsapp.com/AAAA,https://t.me/+x https://t.me/+y,\"{\"\"explicit\"\": 0.2}\"\n"
        "1,whatsapp,wa:2,yesterday,bad date,,,,\n"
        "1,whatsapp,wa:3,2026-09-01T10:00:00Z,third,,,,{oops\n",
        encoding="utf-8",
    )
    out = list(CsvSource().read(path))
    first = out[0]
    assert isinstance(first, Located)
    assert first.snapshot.name == "Class 8 parents, A"
    assert first.snapshot.admins == ["wa:user:1", "wa:user:2"]
    assert [p.url for p in first.snapshot.posted_invite_links] == ["https://t.me/+x", "https://t.me/+y"]
    assert first.snapshot.icon_signals.classifier == {"explicit": 0.2}
    assert isinstance(out[1], Rejected) and out[1].line == 3 and "observed_at" in out[1].reason
    assert isinstance(out[2], Rejected) and "icon_classifier" in out[2].reason


def test_resolve_errors_are_clear(tmp_path):
    with pytest.raises(SourceError, match="without groups.jsonl"):
        resolve(tmp_path)
    with pytest.raises(SourceError, match="does not exist"):
        resolve(tmp_path / "nope.jsonl")
    (tmp_path / "x.xml").write_text("<a/>")
    with pytest.raises(SourceError, match="unknown format"):
        resolve(tmp_path / "x.xml")


def test_non_utf8_line_is_rejected(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_bytes(json.dumps(snapshot("wa:1")).encode() + b"\n\xff\xfe\n")
    out = list(JsonLinesSource().read(path))
    assert isinstance(out[0], Located) and isinstance(out[1], Rejected) and "UTF-8" in out[1].reason


def test_byte_order_marks_are_tolerated(tmp_path):
    csv_path = tmp_path / "g.csv"
    csv_path.write_bytes(b"\xef\xbb\xbfschema,platform,group_id,observed_at,name\n"
                         b"1,telegram,tg:1,2026-09-01T00:00:00Z,hello\n")
    (only,) = list(CsvSource().read(csv_path))
    assert isinstance(only, Located) and only.snapshot.name == "hello"
    jsonl_path = tmp_path / "g.jsonl"
    jsonl_path.write_bytes(b"\xef\xbb\xbf" + json.dumps(snapshot("wa:1")).encode() + b"\n")
    (first,) = list(JsonLinesSource().read(jsonl_path))
    assert isinstance(first, Located)
