"""Hash banks in the database: import formats, listing, switching, use by scans, and interoperability with
python-threatexchange (a bank we export is read and matched by its code, and a hash it computes matches ours)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from scanner.images.banks import import_bank, list_banks, load_banks, set_enabled
from scanner.images.hashbank import HashBankError, match_banks, write_bank
from scanner.images.pdq import hash_icon_file
from scanner.store.db import open_database
from tests.support.factories import snapshot, write_jsonl

H1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
H2 = "0" * 63 + "1"


def test_import_plain_threatexchange_and_csv_formats(tmp_path):
    engine = open_database(str(tmp_path / "b.db"))
    (tmp_path / "plain.txt").write_text(f"# demo\n{H1}\n\n{H2}  # trailing comment\n{H1}\n", encoding="utf-8")
    (tmp_path / "te.txt").write_text(f"pdq {H1}\npdq {H2}\n", encoding="utf-8")
    (tmp_path / "labelled.csv").write_text(f"pdq,label,category\n{H1},case 12,scam\n{H2},case 13,scam\n",
                                           encoding="utf-8")
    assert import_bank(engine, tmp_path / "plain.txt", "plain", "child_safety") == 2  # duplicates once
    assert import_bank(engine, tmp_path / "te.txt", "te", "child_safety", fmt="te") == 2
    assert import_bank(engine, tmp_path / "labelled.csv", "labelled", "child_safety") == 2
    banks = {b.name: b for b in load_banks(engine)}
    assert banks["labelled"].category == "scam" and banks["labelled"].entries[0].label == "case 12"
    assert [e.pdq for e in banks["te"].entries] == [H1, H2]
    assert import_bank(engine, tmp_path / "te.txt", "plain", "child_safety") == 2  # re-import replaces
    assert {b["name"]: b["entries"] for b in list_banks(engine)} == {"labelled": 2, "plain": 2, "te": 2}


def test_bad_lists_name_their_line(tmp_path):
    engine = open_database(str(tmp_path / "b.db"))
    (tmp_path / "bad.csv").write_text(f"pdq\n{H1}\nnot-a-hash\n", encoding="utf-8")
    with pytest.raises(HashBankError, match="bad.csv:3"):
        import_bank(engine, tmp_path / "bad.csv", "bad", "child_safety")
    (tmp_path / "nohash.csv").write_text("label\nx\n", encoding="utf-8")
    with pytest.raises(HashBankError, match="'pdq' or 'hash' column"):
        import_bank(engine, tmp_path / "nohash.csv", "bad", "child_safety")
    assert list_banks(engine) == []  # nothing half-imported


def test_cli_import_ls_disable_and_scans_use_enabled_banks(tmp_path):
    import numpy as np
    from PIL import Image

    (tmp_path / "icons").mkdir()
    icon = tmp_path / "icons" / "i.png"
    blocks = (np.random.default_rng(1).random((8, 8, 3)) * 255).astype("uint8")  # an abstract block pattern
    Image.fromarray(blocks).resize((128, 128), Image.Resampling.NEAREST).save(icon)
    hashed = hash_icon_file(icon)
    assert hashed.quality >= 50
    pdq = hashed.pdq
    (tmp_path / "known.txt").write_text(f"pdq {pdq}\n", encoding="utf-8")
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    imported = runner.invoke(app, ["hashlist", "import", str(tmp_path / "known.txt"), "--bank", "demo",
                                   "--format", "te", "--label", "child_safety", "--db", db])
    assert imported.exit_code == 0, imported.output
    listed = json.loads(runner.invoke(app, ["hashlist", "ls", "--db", db, "--json"]).stdout)
    assert listed[0]["name"] == "demo" and listed[0]["entries"] == 1 and listed[0]["enabled"] is True
    data = write_jsonl(tmp_path / "g.jsonl", [snapshot("g1", icon={"path": "icons/i.png"})])

    def hits() -> bool:
        scanned = runner.invoke(app, ["scan", str(data), "--db", db, "--no-auto-hash-lists", "--json"])
        assert scanned.exit_code in (0, 10), scanned.output
        groups = json.loads(runner.invoke(app, ["groups", "--db", db, "--json"]).stdout)
        return any(r["signal"] == "hash_bank" for r in groups[0]["reasons"])

    assert hits()
    assert runner.invoke(app, ["hashlist", "disable", "demo", "--db", db]).exit_code == 0
    assert not hits()
    assert runner.invoke(app, ["hashlist", "enable", "nope", "--db", db]).exit_code == 2
    bad = runner.invoke(app, ["hashlist", "import", str(tmp_path / "known.txt"), "--bank", "x", "--label", "spam",
                              "--db", db])
    assert bad.exit_code == 2 and "unknown category" in bad.stderr
    assert set_enabled(open_database(db), "demo", True)


def test_round_trip_with_python_threatexchange(tmp_path, shared_eval):
    te_file = pytest.importorskip("threatexchange.exchanges.impl.file_api")
    from threatexchange.signal_type.pdq.signal import PdqSignal

    engine = open_database(str(tmp_path / "b.db"))
    ours = hash_icon_file(shared_eval / "pdq" / "bridge-mods--aaa-orig.jpg", max_pixels=50_000_000).pdq
    (tmp_path / "ours.txt").write_text(f"{ours}\n", encoding="utf-8")
    import_bank(engine, tmp_path / "ours.txt", "ours", "child_safety")
    exported = tmp_path / "exported.txt"
    write_bank(load_banks(engine)[0], exported)

    # ThreatExchange reads our export with its local-file API and its PDQ index matches an edited copy.
    config = te_file.FileCollaborationConfig(name="groupscan", api="local_file", enabled=True,
                                             filename=str(exported))
    fetched = [key for delta in te_file.LocalFileSignalExchangeAPI.for_collab(config).fetch_iter([PdqSignal], None)
               for key in delta.updates]
    assert fetched == [("pdq", ours)]
    edited = PdqSignal.hash_from_file(shared_eval / "pdq" / "bridge-mods--blur-a-lot.jpg")
    index = PdqSignal.get_index_cls().build([(h, "entry") for _, h in fetched])
    assert index.query(edited)

    # A hash ThreatExchange computes, in its own file format, is matched by our banks against our hash.
    theirs = PdqSignal.hash_from_file(Path(shared_eval / "pdq" / "bridge-mods--sharpen-a-lot.jpg"))
    (tmp_path / "theirs.txt").write_text(f"{PdqSignal.get_name()} {theirs}\n", encoding="utf-8")
    import_bank(engine, tmp_path / "theirs.txt", "theirs", "child_safety", fmt="te")
    bank = next(b for b in load_banks(engine) if b.name == "theirs")
    assert match_banks([bank], [ours])
