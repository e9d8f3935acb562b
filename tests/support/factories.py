"""Test data made in code (synthetic, non-graphic): wire records, small worlds with planted rings, abstract
generated icons, and the scans and results tests compare."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlmodel import Session

from scanner.engine.pipeline import run_scan
from scanner.graph.groups import fold
from scanner.policy import default_policy
from scanner.schema import GroupSnapshot
from scanner.store.db import open_database
from scanner.store.models import Cluster, ClusterMember, Group

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_groups"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


def snapshot(group_id: str, **fields) -> dict:
    """A valid wire record with sensible defaults, overridden by ``fields``."""
    record = {
        "schema": 1,
        "platform": "whatsapp",
        "group_id": group_id,
        "observed_at": "2026-09-01T10:00:00Z",
        "name": f"group {group_id}",
        "description": "",
        "member_count": 10,
        "admins": [],
        "own_invite_links": [],
        "posted_invite_links": [],
    }
    record.update(fields)
    return record


def write_jsonl(path: Path, records: list) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wa(code: str) -> str:
    return f"https://chat.whatsapp.com/{code:0>22}"


def mini_world(seed: int = 5, bad: bool = True) -> list:
    rng = random.Random(seed)
    records: list = []
    for i in range(15):
        targets = rng.sample([r for r in range(15) if r != i], 3)
        records.append(snapshot(
            f"wa:ring{i}", name="t33n xxx new link" if i < 6 else f"friends {i}",
            own_invite_links=[wa(f"R{i}")], admins=[f"adm:{i % 2}"],
            posted_invite_links=[{"url": wa(f"R{t}")} for t in targets],
        ))
    for i in range(30):
        records.append(snapshot(f"wa:b{i}", name=["Class 8 parents", "Teen Patti players", "cricket"][i % 3],
                                own_invite_links=[wa(f"B{i}")], admins=[f"fam:{i // 3}"]))
    if bad:
        records.insert(3, "{bad json")
        records.insert(10, snapshot("wa:bad", member_count="many"))
    return records


def with_icons(data) -> list:
    """The mini world, with an abstract generated icon on ring0 (non-graphic: a gradient)."""
    icons = data / "icons"
    icons.mkdir(exist_ok=True)
    pixels = np.add.outer(np.arange(64), np.arange(64)).astype(np.uint8) * 2
    Image.fromarray(np.stack([pixels, pixels[::-1], pixels.T], axis=-1)).save(icons / "r0.png")
    records = mini_world(bad=False)
    records[0] = {**records[0], "icon": {"path": "icons/r0.png"}}
    return records


def planted_world(seed: int = 1):
    """A 20-group ring (cross-posted links, 2 shared admins), 3 benign families of 3, a link directory posting
    to 30 benign groups and 3 ring groups, and 40 isolated benign groups."""
    rng = random.Random(seed)
    records = []
    ring = [f"wa:ring{i}" for i in range(20)]
    for i, gid in enumerate(ring):
        targets = rng.sample([r for r in range(20) if r != i], 4)
        records.append(snapshot(gid, own_invite_links=[wa(f"R{i}")], admins=[f"adm:{i % 2}", f"solo:{i}"],
                                posted_invite_links=[{"url": wa(f"R{t}")} for t in targets]))
    benign = [f"wa:b{i}" for i in range(49)]
    for i, gid in enumerate(benign):
        family_admin = [f"family:{i // 3}"] if i < 9 else [f"own:{i}"]
        records.append(snapshot(gid, own_invite_links=[wa(f"B{i}")], admins=family_admin))
    directory_targets = [wa(f"B{i}") for i in range(9, 39)] + [wa("R0"), wa("R1"), wa("R2")]
    records.append(snapshot("wa:dir", admins=["own:dir"], posted_invite_links=[{"url": u} for u in directory_targets]))
    states = fold(GroupSnapshot.model_validate(r) for r in records)
    return states, ring


def icon(path, seed: int, rotate: bool = False, noise: int = 0) -> str:
    """An abstract generated icon (smooth colour field); the same seed gives a near-duplicate family."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, size=(4, 4, 3)).astype(np.uint8)
    pixels = np.asarray(Image.fromarray(coarse).resize((64, 64), Image.Resampling.BILINEAR)).astype(int)
    if noise:
        pixels = pixels + np.random.default_rng(seed + noise).integers(-noise, noise + 1, size=pixels.shape)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if rotate:
        image = image.transpose(Image.Transpose.ROTATE_90)
    path.parent.mkdir(exist_ok=True)
    image.save(path)
    return path.name


def results_of(engine) -> dict:
    with Session(engine) as session:
        groups = sorted((g.group_id, g.risk, g.category, g.cluster_id, g.icon_family, g.pdq, g.score_sha256,
                         str(g.reasons)) for g in session.exec(select(Group)).scalars())
        clusters = sorted((c.cluster_id, c.risk, c.size, c.active, c.score_sha256)
                          for c in session.exec(select(Cluster)).scalars())
        members = sorted(session.exec(select(ClusterMember.cluster_id, ClusterMember.group_id)).all())
    return {"groups": groups, "clusters": clusters, "members": members}


def two_databases(tmp_path):
    """A data folder, a database scanned with the cache, one scanned without it, and the cache folder."""
    data = tmp_path / "data"
    data.mkdir()
    return (data, open_database(str(tmp_path / "cached.sqlite")), open_database(str(tmp_path / "plain.sqlite")),
            tmp_path / "cache")


def matrix_ring(tmp_path):
    records = []
    for i in range(8):
        targets = [(i + 1) % 8, (i + 3) % 8]
        records.append(snapshot(
            f"mx:!ring{i}:example.org", platform="matrix", name="t33n xxx new link" if i < 4 else f"room {i}",
            own_invite_links=[f"https://matrix.to/#/#ring{i}:{'Example.ORG' if i == 1 else 'example.org'}"],
            admins=["mx:user:@boss:example.org"],
            posted_invite_links=[{"url": f"https://matrix.to/#/#ring{t}:example.org"} for t in targets]))
    data = tmp_path / "mx"
    data.mkdir()
    write_jsonl(data / "groups.jsonl", records)
    engine = open_database(str(tmp_path / "mx.db"))
    run_scan(engine, data, default_policy())
    return engine
