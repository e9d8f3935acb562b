"""Source locations: `groupscan scan` takes a path or a location URI (`file:PATH`, `matrix-admin:URL`)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.sources import SourceError, parse_location
from tests.support.factories import snapshot, write_jsonl


@pytest.mark.parametrize("text, expected", [
    ("groups.jsonl", ("file", "groups.jsonl")),
    ("file:groups.jsonl", ("file", "groups.jsonl")),
    ("file:///srv/export/groups.jsonl", ("file", "/srv/export/groups.jsonl")),
    ("matrix-admin:https://hs.example.org", ("matrix-admin", "https://hs.example.org")),
    ("./odd:name.jsonl", ("file", "./odd:name.jsonl")),  # not a scheme of ours: a path
    ("C:\\data\\groups.csv", ("file", "C:\\data\\groups.csv")),
])
def test_locations_parse(text, expected):
    assert parse_location(text) == expected


@pytest.mark.parametrize("text", ["file:", "matrix-admin:"])
def test_a_scheme_with_nothing_after_it_is_refused(text):
    with pytest.raises(SourceError):
        parse_location(text)


def test_scan_reads_a_file_uri_as_it_reads_the_path(tmp_path):
    write_jsonl(tmp_path / "groups.jsonl", [snapshot("wa:a", name="teen xxx club paid"),
                                           snapshot("wa:b", name="Cooking club")])
    runner = CliRunner()
    by_path = runner.invoke(app, ["scan", str(tmp_path), "--db", str(tmp_path / "p.db"), "--json"])
    by_uri = runner.invoke(app, ["scan", f"file:{tmp_path}", "--db", str(tmp_path / "u.db"), "--json"])
    assert by_path.exit_code == by_uri.exit_code == 10, by_uri.output
    assert json.loads(by_path.stdout)["records_read"] == json.loads(by_uri.stdout)["records_read"] == 2
    refused = runner.invoke(app, ["scan", "file:", "--db", str(tmp_path / "x.db")])
    assert refused.exit_code == 2 and "nothing after file:" in refused.output
