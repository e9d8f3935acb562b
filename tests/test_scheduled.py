"""Scheduled scans: one scan per database (a real second process is refused or waits), a killed scan's lock is
recovered, the change summary names a planted new ring, and the exit codes match the documented table."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select
from typer.testing import CliRunner

from scanner.cli import app
from scanner.engine.scanlock import DatabaseLock
from scanner.store import audit
from scanner.store.db import open_database
from scanner.store.models import ScanLock, ScanRun
from tests.support.factories import mini_world, snapshot, wa, write_jsonl

GROUPSCAN = [sys.executable, "-m", "scanner.cli"]


def world(tmp_path, extra: list | None = None):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    write_jsonl(data / "groups.jsonl", mini_world(bad=False) + (extra or []))
    return data


def second_ring() -> list:
    return [snapshot(f"wa:new{i}", name="school girls 18+ paid vip" if i < 3 else f"club {i}",
                     own_invite_links=[wa(f"N{i}")], admins=["adm:new"], observed_at="2026-09-05T10:00:00Z",
                     posted_invite_links=[{"url": wa(f"N{(i + k) % 6}")} for k in (1, 2)]) for i in range(6)]


def test_exit_codes_and_the_change_summary_name_a_new_ring(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "s.db")
    data = world(tmp_path)
    first = runner.invoke(app, ["scan", str(data), "--db", db, "--json"])
    assert first.exit_code == 10, first.output  # a new P0 case
    changes = json.loads(first.stdout)["changes"]
    assert len(changes["new_clusters"]) == 1 and changes["new_clusters"][0]["severity"] == "P0"
    again = runner.invoke(app, ["scan", str(data), "--db", db, "--json"])
    assert again.exit_code == 0, again.output  # nothing new
    assert json.loads(again.stdout)["changes"]["new_clusters"] == []
    world(tmp_path, second_ring())
    third = runner.invoke(app, ["scan", str(data), "--db", db])
    assert third.exit_code == 10
    assert "new: [P0]" in third.stdout and "school girls 18+ paid vip" in third.stdout
    runs = json.loads(runner.invoke(app, ["runs", "--db", db, "--json"]).stdout)
    (named,) = runs[0]["changes"]["new_clusters"]
    assert named["size"] == 6 and "school girls 18+ paid vip" in named["names"]
    assert runs[0]["changes"]["attention"] == [named["cluster_id"]]
    bad = tmp_path / "bad.yaml"
    bad.write_text("review_threshold: 7\n")
    assert runner.invoke(app, ["scan", str(data), "--db", db, "--policy", str(bad)]).exit_code == 2
    unreachable = runner.invoke(app, ["scan", "--source", "matrix-admin", "--homeserver", "http://127.0.0.1:9",
                                      "--db", db], env={"GROUPSCAN_MATRIX_ADMIN_TOKEN": "x"})
    assert unreachable.exit_code == 1 and "homeserver" in unreachable.output
    # The same source as a location URI.
    unreachable = runner.invoke(app, ["scan", "matrix-admin:http://127.0.0.1:9", "--db", db],
                                env={"GROUPSCAN_MATRIX_ADMIN_TOKEN": "x"})
    assert unreachable.exit_code == 1 and "homeserver" in unreachable.output
    assert "Exit codes: 0 done" in runner.invoke(app, ["scan", "--help"]).stdout.replace("\n", " ")


def test_a_second_scan_is_refused_or_waits_while_one_runs(tmp_path):
    db = str(tmp_path / "l.db")
    data = world(tmp_path)
    engine = open_database(db)
    holder = DatabaseLock(engine)
    holder.acquire()
    try:
        refused = subprocess.run([*GROUPSCAN, "scan", str(data), "--db", db], capture_output=True, text=True,
                                 timeout=300)
        assert refused.returncode == 3 and "another scan holds the database" in refused.stderr
        with Session(engine) as session:
            assert session.exec(select(ScanRun)).all() == []  # it did nothing
    finally:
        holder.release()
    both = [subprocess.Popen([*GROUPSCAN, "scan", str(data), "--db", db, "--wait", "300"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    codes = sorted(p.wait(timeout=600) for p in both)
    assert codes == [0, 10], [p.stderr.read() for p in both if p.stderr]
    with Session(engine) as session:
        runs = sorted(session.exec(select(ScanRun)).all(), key=lambda r: r.started_at)
    assert len(runs) == 2 and runs[0].finished_at <= runs[1].started_at  # one after the other, never overlapping


def test_a_killed_scans_lock_is_recovered(tmp_path):
    db = str(tmp_path / "k.db")
    data = world(tmp_path)
    engine = open_database(db)
    victim = subprocess.Popen([*GROUPSCAN, "scan", str(data), "--db", db], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        with Session(engine) as session:
            if session.get(ScanLock, "scan") is not None:
                break
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    with Session(engine) as session:
        stale = session.get(ScanLock, "scan")
    assert stale is not None and stale.pid == victim.pid  # killed while holding it
    result = subprocess.run([*GROUPSCAN, "scan", str(data), "--db", db], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 10), result.stderr
    assert "recovered the lock of an abandoned scan" in result.stderr
    (event,) = audit.events(engine, action="scan_lock_recovered")
    assert event["details"]["stale_pid"] == victim.pid
    with Session(engine) as session:
        assert session.get(ScanLock, "scan") is None  # released at the end


def test_a_lock_from_another_host_is_stale_only_after_its_heartbeat_stops(tmp_path):
    engine = open_database(str(tmp_path / "h.db"))
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        session.add(ScanLock(name="scan", holder="elsewhere:1:x", pid=1, host="elsewhere", acquired_at=now,
                             heartbeat_at=now))
    assert not DatabaseLock(engine, stale_after=60).try_acquire()  # alive elsewhere: respected
    with Session(engine) as session, session.begin():
        row = session.get(ScanLock, "scan")
        row.heartbeat_at = now - timedelta(minutes=5)
        session.add(row)
    taker = DatabaseLock(engine, stale_after=60)
    assert taker.try_acquire() and taker.recovered.host == "elsewhere"
    assert not DatabaseLock(engine, stale_after=60).try_acquire()


def _state(db: str) -> dict:
    """Everything a scan decides, without scan ids (a resumed database has one more run)."""
    from scanner.store.models import Cluster, Group, RejectedRecord, Snapshot
    from scanner.store.review_models import ReviewCase

    with Session(open_database(db)) as session:
        return {
            "groups": sorted((g.group_id, g.risk, g.cluster_id, g.category, g.flagged, g.score_sha256)
                             for g in session.exec(select(Group))),
            "clusters": sorted((c.cluster_id, c.risk, c.size, c.active, c.score_sha256)
                               for c in session.exec(select(Cluster))),
            "snapshots": sorted(s.content_hash for s in session.exec(select(Snapshot))),
            "rejected": sorted((r.source, r.line) for r in session.exec(select(RejectedRecord))),
            "cases": sorted((c.case_id, c.status, c.severity, c.size) for c in session.exec(select(ReviewCase))),
        }


def test_kill_9_in_the_middle_then_the_same_command_equals_a_clean_run(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "groups.jsonl", mini_world(bad=True) + second_ring())
    clean = str(tmp_path / "clean.db")
    subprocess.run([*GROUPSCAN, "scan", str(data), "--db", clean], capture_output=True, timeout=300)
    crashed = str(tmp_path / "crashed.db")
    engine = open_database(crashed)
    victim = subprocess.Popen([*GROUPSCAN, "scan", str(data), "--db", crashed], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until it has stored its input, then kill it mid-scan
        with Session(engine) as session:
            run = session.exec(select(ScanRun)).first()
            if run is not None and run.status == "running" and session.exec(select(ScanLock)).first():
                from scanner.store.models import Snapshot

                if session.exec(select(Snapshot.id)).first() is not None:
                    break
        time.sleep(0.02)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    with Session(engine) as session:
        killed = session.exec(select(ScanRun)).one()
        assert killed.status == "running"  # killed before it finished
        # ...and its row shows what it committed (issue 23: an abandoned run showed 0 read, 0 new).
        from scanner.store.models import Snapshot

        stored = len(session.exec(select(Snapshot.id)).all())
        assert killed.snapshots_new == stored > 0 and killed.records_read >= stored
    resumed = subprocess.run([*GROUPSCAN, "scan", str(data), "--db", crashed], capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode in (0, 10), resumed.stderr
    assert "stopped before finishing" in resumed.stderr
    assert _state(crashed) == _state(clean)
    with Session(engine) as session:
        assert [r.status for r in session.exec(select(ScanRun).order_by(ScanRun.id))] == ["abandoned", "done"]
