"""``groupscan scan --engine ray`` stores exactly what the local engine stores.

Ray listens on every interface, so everything that starts Ray here runs in new network and PID namespaces
(``unshare -n -p``) with only loopback up: nothing is reachable from outside, and when the namespace's first process
ends the kernel ends every process Ray left (the runner also calls ``ray.shutdown()``).

- end to end: the first 300 records of the bundled sample with their icons, scanned in two steps (150 records, then
  300, so the second scan reuses the first one's stored classifier scores and scan cache), once with each engine;
  with the ``nudenet`` extra installed its ONNX icon classifier runs too;
- the runner itself: preloaded classifier scores reach the workers, what workers make is merged back onto the
  driver's signals, signals the workers do not build run in the driver, and those alone do not start Ray.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from scanner.store.db import open_database
from tests.support.factories import ROOT, SAMPLE

pytestmark = pytest.mark.sqlite_only("the Ray scan runs with loopback only and cannot reach the PostgreSQL server")

GROUPSCAN = str(Path(sys.executable).with_name("groupscan"))
# Inside the namespaces: bring loopback up, then run the command given as arguments ($@). `sh` stays the
# namespace's first process, so everything still running when it exits is killed by the kernel.
IN_NAMESPACE = ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child",
                "sh", "-c", 'ip link set lo up && "$@"', "sh"]


def namespaces_usable() -> str | None:
    """Why the test cannot run here, or None."""
    if importlib.util.find_spec("ray") is None:
        return "ray is not installed (pip install -e '.[ray]')"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip (util-linux, iproute2) is missing"
    probe = subprocess.run([*IN_NAMESPACE, "true"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        return f"new network and PID namespaces are not permitted here: {probe.stderr.strip()[:200]}"
    return None


def raylets() -> set[str]:
    """Process ids of Ray's node processes (raylet, GCS server)."""
    found = subprocess.run(["pgrep", "-f", "raylet|gcs_server"], capture_output=True, text=True)
    return set(found.stdout.split())


def ray_gone(before: set[str], ray_tmp: Path) -> set[str]:
    """Wait up to 20 s for Ray processes started since ``before`` to be gone, then remove Ray's temporary folder.
    Returns the ones still running."""
    for _ in range(40):
        left = raylets() - before
        if not left:
            break
        time.sleep(0.5)
    for _ in range(10):
        shutil.rmtree(ray_tmp, ignore_errors=True)
        if not ray_tmp.exists():
            break
        time.sleep(0.5)
    return left


def nudenet_installed() -> bool:
    return importlib.util.find_spec("nudenet") is not None


def make_data(folder: Path) -> None:
    """data/part1.jsonl (150 records) and data/groups.jsonl (300), with the icons they name and the hash list."""
    folder.mkdir()
    lines = (SAMPLE / "groups.jsonl").read_text(encoding="utf-8").splitlines()[:300]
    (folder / "groups.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "part1.jsonl").write_text("\n".join(lines[:150]) + "\n", encoding="utf-8")
    shutil.copytree(SAMPLE / "hashlists", folder / "hashlists")
    (folder / "icons").mkdir()
    for line in lines:
        try:
            icon = json.loads(line).get("icon")
        except json.JSONDecodeError:
            continue  # the sample's deliberately malformed lines stay in: they are quarantined alike
        if icon and (SAMPLE / icon["path"]).is_file():
            shutil.copy2(SAMPLE / icon["path"], folder / icon["path"])
    policy = "signals:\n  icon:\n    classifier: nudenet\n" if nudenet_installed() else "{}\n"
    (folder / "policy.yaml").write_text(policy, encoding="utf-8")


def scan(data: Path, target: str, db: Path, env: dict[str, str], *extra: str) -> dict:
    command = [GROUPSCAN, "scan", str(data / target), "--db", str(db), "--policy", str(data / "policy.yaml"),
               "--json", *extra]
    if "ray" in extra:
        command = [*IN_NAMESPACE, *command]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode in (0, 10), done.stderr[-3000:]
    return json.loads(done.stdout)


def stored(db: Path) -> dict[str, list]:
    engine = open_database(str(db))
    queries = {
        "groups": "SELECT group_id, risk, category, categories, reasons, modifiers, severity, flagged, cluster_id, "
                  "features, icon_family FROM group_state ORDER BY group_id",
        "clusters": "SELECT cluster_id, size, risk, category, reasons, structure, active FROM cluster "
                    "ORDER BY cluster_id",
        "classifications": "SELECT icon_sha256, model_id, scores, created_scan_id FROM icon_classification "
                           "ORDER BY icon_sha256",
        "thumbnails": "SELECT icon_sha256, png FROM icon_thumbnail ORDER BY icon_sha256",
        "hash_hits": "SELECT group_id, bank FROM hash_hit ORDER BY group_id, bank",
    }
    with engine.connect() as connection:
        found = {name: [tuple(row) for row in connection.execute(text(sql))] for name, sql in queries.items()}
    engine.dispose()
    return found


def test_ray_engine_stores_what_the_local_engine_stores(tmp_path):
    reason = namespaces_usable()
    if reason:
        pytest.skip(reason)
    data = tmp_path / "data"
    make_data(data)
    # Short: Ray's socket paths must fit in 107 bytes. Removed at the end, with Ray's session logs.
    ray_tmp = Path(tempfile.mkdtemp(prefix="gs-ray-", dir="/tmp"))
    # The graph stage (in the driver) orders some sets by hash: one seed for both engines' processes.
    env = {**os.environ, "PYTHONHASHSEED": "0", "RAY_TMPDIR": str(ray_tmp)}
    before = raylets()
    try:
        local_db, ray_db = tmp_path / "local.db", tmp_path / "ray.db"
        for db in (local_db, ray_db):  # the same first scan for both
            scan(data, "part1.jsonl", db, env)
        local = scan(data, ".", local_db, env, "--engine", "local")
        on_ray = scan(data, ".", ray_db, env, "--engine", "ray", "--ray-workers", "2")
    finally:
        left = ray_gone(before, ray_tmp)
    assert not left, f"Ray processes outlived the scan: {left}"

    assert on_ray["groups"] == local["groups"] == 298
    assert on_ray["flagged_groups"] == local["flagged_groups"] > 0
    expected, got = stored(local_db), stored(ray_db)
    for table, rows in expected.items():
        assert got[table] == rows, f"{table} differs between the local and the Ray engine"
    assert len(expected["thumbnails"]) > 100
    if nudenet_installed():
        by_scan = [row[3] for row in expected["classifications"]]
        # Scan 1 classified part 1's icons; the Ray scan preloaded those and classified only the new ones.
        assert by_scan.count(1) > 40 and by_scan.count(2) > 40


# Run in the namespaces with the data folder as argument; prints one JSON object.
RUNNER_CHECK = """
import functools, hashlib, json, sys
from pathlib import Path
import ray
from scanner.engine.assess import default_signals
from scanner.policy import load_policy
from scanner.engine.ray_runner import RayRunner
from scanner.engine.runner import LocalRunner
from scanner.schema import parse_snapshot
from scanner.signals.base import ScanContext

root = Path(sys.argv[1])
policy = load_policy(root / "policy.yaml")
snaps = [parse_snapshot(json.loads(line), root) for line in (root / "groups.jsonl").read_text().splitlines()]
context = ScanContext(root)
icon_a = hashlib.sha256((root / "icons" / "a.png").read_bytes()).hexdigest()
confirmed = {"g0": {"category": list(policy.categories)[0], "case_id": "7", "at": "2026-09-02T00:00:00Z"}}

def signals():
    made = default_signals(policy, None, confirmed)
    for signal in made:
        if getattr(signal, "classifier", None) is not None:
            signal.preload({icon_a: {"explicit": 0.99}})  # a score no model gives these images
    return made

local, remote = signals(), signals()
expected = LocalRunner(batch_size=2).run(snaps, local, context)
runner = RayRunner(functools.partial(default_signals, policy), workers=2, batch_size=2)
got = runner.run(snaps, remote, context)
started = "ray_start" in runner.timings
runner.timings.clear()
review = [s for s in remote if s.name == "review"]
alone = runner.run(snaps, review, context)
icon_l, icon_r = [next(s for s in made if s.name == "icon") for made in (local, remote)]
key = lambda r: (r.signal, r.group_id)
print(json.dumps({
    "equal": sorted(expected, key=key) == sorted(got, key=key),
    "signals": sorted({r.signal for r in got}),
    "review_scored": sorted(r.group_id for r in got if r.signal == "review" and r.scores),
    "ray_started": started,
    "review_alone_started_ray": "ray_start" in runner.timings,
    "review_alone": len(alone),
    "ray_left_running": ray.is_initialized(),
    "classifier": getattr(icon_r, "classifier", None) is not None,
    "explicit_a": sorted({r.features.get("explicit") for r in got
                          if r.signal == "icon" and r.features.get("icon_sha256") == icon_a}),
    "new_local": sorted(icon_l.new_classifications), "new_ray": sorted(icon_r.new_classifications),
    "icon_a": icon_a,
    "thumbnails_equal": icon_l.thumbnails == icon_r.thumbnails, "thumbnails": len(icon_r.thumbnails),
}))
"""


def test_ray_runner_merges_worker_state_and_keeps_local_signals_local(tmp_path):
    reason = namespaces_usable()
    if reason:
        pytest.skip(reason)
    import numpy as np
    from PIL import Image

    from tests.support.factories import snapshot, write_jsonl

    data = tmp_path / "data"
    (data / "icons").mkdir(parents=True)
    rng = np.random.default_rng(8)
    for name in ("a", "b", "c"):  # abstract noise images only
        Image.fromarray((rng.random((96, 96, 3)) * 255).astype("uint8")).save(data / "icons" / f"{name}.png")
    write_jsonl(data / "groups.jsonl", [snapshot(f"g{i}", name=["t33n xxx new link", "cricket club"][i % 2],
                                                 icon={"path": f"icons/{'abc'[i % 3]}.png"}) for i in range(7)])
    policy = "signals:\n  icon:\n    classifier: nudenet\n" if nudenet_installed() else "{}\n"
    (data / "policy.yaml").write_text(policy, encoding="utf-8")
    ray_tmp = Path(tempfile.mkdtemp(prefix="gs-ray-", dir="/tmp"))
    before = raylets()
    try:
        done = subprocess.run([*IN_NAMESPACE, sys.executable, "-c", RUNNER_CHECK, str(data)], capture_output=True,
                              text=True, cwd=ROOT, timeout=300, env={**os.environ, "RAY_TMPDIR": str(ray_tmp)})
    finally:
        left = ray_gone(before, ray_tmp)
    assert not left, f"Ray processes outlived the run: {left}"
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["equal"], found
    assert found["signals"] == ["icon", "lexicon", "review", "text_model"]
    assert found["review_scored"] == ["g0"]  # the factory builds no review signal: it ran in the driver
    assert found["ray_started"] and not found["review_alone_started_ray"] and found["review_alone"] == 7
    assert not found["ray_left_running"]
    assert found["thumbnails_equal"] and found["thumbnails"] == 3
    if found["classifier"]:
        assert found["explicit_a"] == [0.99]  # the preloaded score reached the workers
        assert found["new_ray"] == found["new_local"] and len(found["new_ray"]) == 2
        assert found["icon_a"] not in found["new_ray"]


def test_engine_ray_without_ray_installed_names_the_extra(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from scanner.cli import app

    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed: `import ray` fails
    data = tmp_path / "g.jsonl"
    data.write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["scan", str(data), "--db", str(tmp_path / "x.db"), "--engine", "ray"])
    assert result.exit_code == 2
    assert "pip install -e '.[ray]'" in result.output
    assert not (tmp_path / "x.db").exists()  # failed before touching a database
    result = CliRunner().invoke(app, ["scan", str(data), "--db", str(tmp_path / "x.db"), "--engine", "spark"])
    assert result.exit_code == 2 and "expected local or ray" in result.output
