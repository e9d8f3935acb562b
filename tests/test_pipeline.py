"""The scan pipeline and the CLI contracts, on a small generated data set in a temporary SQLite database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlmodel import Session
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.pipeline import run_scan, scan_records
from scanner.policy import default_policy
from scanner.store.db import open_database
from scanner.store.models import Cluster, Group, RejectedRecord, ScanRun, Snapshot
from scanner.store.queries import cluster_dicts
from tests.support.factories import mini_world, snapshot, wa, write_jsonl


@pytest.fixture
def world(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "groups.jsonl", mini_world())
    return data


def table_dump(engine) -> dict:
    with Session(engine) as session:
        return {
            "groups": sorted((g.group_id, g.risk, g.cluster_id, g.score_sha256, g.updated_scan_id)
                             for g in session.exec(select(Group)).scalars()),
            "clusters": sorted((c.cluster_id, c.risk, c.size, c.score_sha256)
                               for c in session.exec(select(Cluster)).scalars()),
            "snapshots": session.exec(select(Snapshot.content_hash)).scalars().all(),
            "rejected": session.exec(select(RejectedRecord.line)).scalars().all(),
        }


def test_scan_twice_changes_nothing(world, tmp_path):
    engine = open_database(str(tmp_path / "db.sqlite"))
    first = run_scan(engine, world, default_policy())
    before = table_dump(engine)
    second = run_scan(engine, world, default_policy())
    assert table_dump(engine) == before
    assert first.snapshots_new == 45 and second.snapshots_new == 0 and second.snapshots_known == 45
    assert second.groups_changed == 0
    assert len(before["rejected"]) == 2 and len(first.rejected) == 2
    with Session(engine) as session:
        runs = session.exec(select(ScanRun).order_by(ScanRun.id)).scalars().all()
    assert [r.status for r in runs] == ["done", "done"]
    assert runs[0].rejected == 2 and runs[0].timings["signals"] >= 0


def test_a_cluster_that_comes_back_unchanged_is_active_again(world, tmp_path):
    """A cluster id that went inactive (its groups had merged into another cluster) and comes back with the same
    members and scores must be active again: its unchanged digest alone must not leave the row as it was."""
    engine = open_database(str(tmp_path / "db.sqlite"))
    run_scan(engine, world, default_policy())
    with Session(engine) as session, session.begin():
        cluster = session.exec(select(Cluster).order_by(Cluster.cluster_id)).scalars().first()
        assert cluster is not None
        cluster.active = False  # what a scan in which its group joined a bigger cluster leaves behind
        back = cluster.cluster_id
    run_scan(engine, world, default_policy())
    with Session(engine) as session:
        assert session.get(Cluster, back).active  # type: ignore[union-attr]


def test_planted_ring_is_the_top_flagged_cluster(world, tmp_path):
    engine = open_database(str(tmp_path / "db.sqlite"))
    run_scan(engine, world, default_policy())
    clusters = cluster_dicts(engine, flagged_only=True)
    assert clusters, "the ring is flagged"
    top = clusters[0]
    assert set(top["members"]) == {f"wa:ring{i}" for i in range(15)}
    assert top["category"] == "child_safety" and top["severity"] == "P0"
    assert all(not c["members"][0].startswith("wa:b") for c in clusters)


def test_growth_keeps_the_cluster_id(world, tmp_path):
    engine = open_database(str(tmp_path / "db.sqlite"))
    run_scan(engine, world, default_policy())
    (ring_id,) = [c["cluster_id"] for c in cluster_dicts(engine, flagged_only=True)]
    more = mini_world()
    more.append(snapshot("wa:ring15", name="friends 15", own_invite_links=[wa("R15")], admins=["adm:0"],
                         posted_invite_links=[{"url": wa("R1")}, {"url": wa("R2")}, {"url": wa("R3")}],
                         observed_at="2026-09-02T10:00:00Z"))
    write_jsonl(world / "groups.jsonl", more)
    run_scan(engine, world, default_policy())
    (after,) = cluster_dicts(engine, flagged_only=True)
    assert after["cluster_id"] == ring_id and "wa:ring15" in after["members"]


def test_crash_after_ingest_resumes_without_duplicates(world, tmp_path, monkeypatch):
    engine = open_database(str(tmp_path / "db.sqlite"))
    import scanner.engine.pipeline as pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline, "persist", boom)
    with pytest.raises(RuntimeError):
        run_scan(engine, world, default_policy())
    monkeypatch.undo()
    with Session(engine) as session:
        assert session.exec(select(ScanRun.status)).scalars().all() == ["failed"]
        assert session.exec(text("select count(*) from group_state")).one()[0] == 0
    resumed = run_scan(engine, world, default_policy())
    assert resumed.snapshots_new == 0 and resumed.groups == 45
    clean = open_database(str(tmp_path / "clean.sqlite"))
    run_scan(clean, world, default_policy())
    strip = lambda dump: {k: [row[:4] if isinstance(row, tuple) else row for row in v] for k, v in dump.items()}  # noqa: E731
    assert strip(table_dump(engine))["groups"] == strip(table_dump(clean))["groups"]
    assert table_dump(engine)["clusters"] == table_dump(clean)["clusters"]


def test_cli_json_contracts(world, tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "cli.sqlite")
    scanned = runner.invoke(app, ["scan", str(world), "--db", db, "--json"])
    assert scanned.exit_code == 10, scanned.output  # a new P0 case: the scheduler's "look now"
    summary = json.loads(scanned.stdout)
    assert summary["rejected"][0]["line"] == 4 and summary["groups"] == 45
    clusters = json.loads(runner.invoke(app, ["clusters", "--db", db, "--json"]).stdout)
    for item in clusters:
        assert {"cluster_id", "size", "members", "risk", "category", "severity", "reasons"} <= set(item)
        assert 0 <= item["risk"] <= 1 and item["size"] == len(item["members"])
    groups = json.loads(runner.invoke(app, ["groups", "--db", db, "--json"]).stdout)
    assert len(groups) == 45
    for item in groups:
        assert {"group_id", "risk", "categories", "flagged", "cluster_id", "reasons"} <= set(item)
        assert all(0 <= v <= 1 for v in item["categories"].values())
    flagged = [g for g in groups if g["flagged"]]
    assert flagged and all(g["reasons"] and g["reasons"][0]["sentence"] for g in flagged)
    table = runner.invoke(app, ["scan", str(world), "--db", db])
    assert table.exit_code == 0 and "Top 1 flagged clusters" in table.stdout and "rejected" in table.stdout
    rejected = runner.invoke(app, ["rejected", "--db", db, "--json"])
    assert [r["line"] for r in json.loads(rejected.stdout)] == [4, 11]
    runs = json.loads(runner.invoke(app, ["runs", "--db", db, "--json"]).stdout)
    assert len(runs) == 2


def test_cli_errors_exit_2(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["scan", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "x.db")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    policy = tmp_path / "p.yaml"
    policy.write_text("review_threshold: 3\n")
    bad = runner.invoke(app, ["scan", str(tmp_path), "--policy", str(policy)])
    assert bad.exit_code == 2 and "p.yaml:1" in bad.output


def test_a_failed_scan_records_its_error_clipped_to_the_column(tmp_path):
    engine = open_database(str(tmp_path / "f.sqlite"))

    def records():
        raise RuntimeError("x" * 10_000)
        yield

    with pytest.raises(RuntimeError):
        scan_records(engine, records(), str(tmp_path / "in.jsonl"), tmp_path, default_policy())
    with Session(engine) as session:
        (run,) = session.exec(select(ScanRun)).scalars().all()
    assert run.status == "failed" and run.error.startswith("RuntimeError: xxx") and len(run.error) == 4000


def test_cluster_graph_export(world, tmp_path):
    import networkx as nx

    runner = CliRunner()
    db = str(tmp_path / "g.sqlite")
    assert runner.invoke(app, ["scan", str(world), "--db", db]).exit_code == 10
    (ring,) = json.loads(runner.invoke(app, ["clusters", "--db", db, "--json", "--flagged"]).stdout)
    out = tmp_path / "ring.graphml"
    result = runner.invoke(app, ["graph", ring["cluster_id"], "--db", db, "--out", str(out)])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(out)
    groups = {n for n, d in graph.nodes(data=True) if d.get("kind") == "group"}
    assert groups == {f"group:{g}" for g in ring["members"]}
    assert {d["kind"] for _, _, d in graph.edges(data=True)} >= {"links_to", "admin_of", "owns_link"}
    assert all("risk" in graph.nodes[g] for g in groups)
    missing = runner.invoke(app, ["graph", "c-nope", "--db", db, "--out", str(out)])
    assert missing.exit_code == 2 and "no cluster" in missing.output


def test_eval_command_reports_networks_groups_and_public_names(world, tmp_path):
    lines = ["group_id,label,ring_id,role"]
    lines += [f"wa:ring{i},child_safety,r1,member" for i in range(15)]
    lines += [f"wa:b{i},benign,,{'hard_negative' if i % 3 < 2 else 'normal'}" for i in range(30)]
    (world / "labels.csv").write_text("\n".join(lines) + "\n")
    names = tmp_path / "names.tsv"
    names.write_text("name\ttopic\tinvite_link_format_only\nCricket lovers\tsports\t\nt33n xxx\tx\t\n")
    result = CliRunner().invoke(app, ["eval", str(world), "--json", "--public-names", str(names)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["networks"]["cluster_recall"] == 1.0 and report["networks"]["cluster_precision"] == 1.0
    assert report["networks"]["networks"]["r1"]["recovered"]
    assert report["groups"]["child_safety"]["recall"] == 1.0
    assert report["groups"]["hard_negatives"] == {"count": 20, "flagged": 0, "flagged_ids": []}
    assert report["public_names"]["names"] == 2 and report["public_names"]["flagged"] == 1
    assert report["public_names"]["flagged_share_at_threshold"]["0.5"] == 0.5
    assert report["public_names"]["flagged_names"][0]["name"] == "t33n xxx"
    missing = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert missing.exit_code == 2 and "labels.csv" in missing.output


def test_show_explains_a_group_with_its_timeline(world, tmp_path):
    records = mini_world(bad=False)
    records.append(snapshot("wa:ring3", name="study group", observed_at="2026-09-03T10:00:00Z",
                            own_invite_links=[wa("R3")], admins=["adm:1"]))
    write_jsonl(world / "groups.jsonl", records)
    runner = CliRunner()
    db = str(tmp_path / "show.sqlite")
    assert runner.invoke(app, ["scan", str(world), "--db", db]).exit_code == 10
    detail = json.loads(runner.invoke(app, ["show", "wa:ring3", "--db", db, "--json"]).stdout)
    assert detail["name"] == "study group" and detail["flagged"]
    assert [e["changes"] for e in detail["timeline"]] == [["first seen"], ["renamed"]]
    assert detail["cluster"]["size"] == 15 and detail["reasons"]
    text_out = runner.invoke(app, ["show", "wa:ring3", "--db", db])
    assert "renamed" in text_out.stdout and "reasons" in text_out.stdout
    assert runner.invoke(app, ["show", "wa:none", "--db", db]).exit_code == 2
