"""bench/tile_data.py: K disjoint copies of a data folder, with new (inverted) icons in the first copies."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from bench.tile_data import main, tile
from scanner.graph.groups import fold, link_owners
from scanner.images.pdq import hamming, hash_icon_file
from scanner.schema import GroupSnapshot, Located, Rejected
from scanner.sources import resolve

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_groups"
COPIES, ICON_COPIES = 3, 2
COPY = re.compile(r"~copy(\d+)$")


def read(folder: Path) -> tuple[list[GroupSnapshot], int]:
    source, path = resolve(folder)
    snapshots, rejected = [], 0
    for item in source.read(path):
        if isinstance(item, Located):
            snapshots.append(item.snapshot)
        else:
            assert isinstance(item, Rejected)
            rejected += 1
    return snapshots, rejected


def copy_of(group_id: str) -> int:
    found = COPY.search(group_id)
    return int(found.group(1)) if found else 0


def base_id(group_id: str) -> str:
    return COPY.sub("", group_id)


@pytest.fixture(scope="module")
def tiled(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("tiled") / "out"
    summary = tile(SAMPLE, out, COPIES, ICON_COPIES, workers=2)
    base, base_rejected = read(SAMPLE)
    snapshots, rejected = read(out)
    return {"out": out, "summary": summary, "base": base, "base_rejected": base_rejected, "snapshots": snapshots,
            "rejected": rejected}


def test_records_validate_and_malformed_lines_stay_once(tiled) -> None:
    assert tiled["base_rejected"] == 3  # the generator's three malformed lines
    assert tiled["rejected"] == tiled["base_rejected"]
    assert len(tiled["snapshots"]) == COPIES * len(tiled["base"])
    for snap in tiled["snapshots"]:  # the reader validated them with the data root; once more without it
        GroupSnapshot.model_validate(snap.to_wire())
    lines = (tiled["out"] / "groups.jsonl").read_bytes().splitlines(keepends=True)
    assert tiled["summary"].records == len(lines)
    original = (SAMPLE / "groups.jsonl").read_bytes().splitlines(keepends=True)
    assert lines[: len(original)] == original  # copy 0 is the input, byte for byte


def test_copies_are_disjoint(tiled) -> None:
    base_groups = {s.group_id for s in tiled["base"]}
    by_copy: dict[int, set[str]] = {}
    for snap in tiled["snapshots"]:
        by_copy.setdefault(copy_of(snap.group_id), set()).add(snap.group_id)
    assert sorted(by_copy) == list(range(COPIES))
    total = sum(len(ids) for ids in by_copy.values())
    assert total == len(set().union(*by_copy.values())) == COPIES * len(base_groups)
    assert tiled["summary"].groups == COPIES * len(base_groups)
    for ids in by_copy.values():
        assert {base_id(g) for g in ids} == base_groups
    # Admins and invite links too: nothing of copy k is shared with another copy.
    admins: dict[str, set[int]] = {}
    links: dict[str, set[int]] = {}
    states = fold(tiled["snapshots"])
    for gid, state in states.items():
        for admin in state.admins:
            admins.setdefault(admin, set()).add(copy_of(gid))
        for canonical in state.own_links:
            links.setdefault(canonical, set()).add(copy_of(gid))
    assert all(len(copies) == 1 for copies in admins.values())
    assert all(len(copies) == 1 for copies in links.values())
    base_links = {c for s in fold(tiled["base"]).values() for c in s.own_links}
    assert len(links) == COPIES * len(base_links)


def test_each_copy_has_the_base_invite_graph(tiled) -> None:
    def edges(states: dict) -> set[tuple[str, str]]:
        owners = link_owners(states)
        return {(gid, owners[c]) for gid, s in states.items() for c in s.posted_links
                if c in owners and owners[c] != gid}

    base = edges(fold(tiled["base"]))
    assert len(base) > 100  # the sample's rings advertise each other
    found = edges(fold(tiled["snapshots"]))
    assert all(copy_of(a) == copy_of(b) for a, b in found)
    for k in range(COPIES):
        assert {(base_id(a), base_id(b)) for a, b in found if copy_of(a) == k} == base


def test_icons_per_copy(tiled) -> None:
    out = tiled["out"]
    by_copy: dict[int, list[GroupSnapshot]] = {}
    for snap in tiled["snapshots"]:
        by_copy.setdefault(copy_of(snap.group_id), []).append(snap)
    assert all(s.icon is None and s.icon_signals is None for s in by_copy[2])
    assert all(s.icon_signals is None or s.icon_signals.pdq is None for s in by_copy[1])
    base_icons = Counter(s.icon.path for s in tiled["base"] if s.icon is not None)
    copy1 = Counter(s.icon.path for s in by_copy[1] if s.icon is not None)
    assert sum(copy1.values()) == sum(base_icons.values())
    assert all(Path(p).name.startswith("c1-") for p in copy1)
    assert tiled["summary"].new_icon_files == len(base_icons)
    for path in base_icons:  # copy 0: the original files (hard links)
        assert (out / path).read_bytes() == (SAMPLE / path).read_bytes()
    for path in copy1:
        assert (out / path).is_file()
    # A sample of the inverted icons: new bytes, a PDQ hash far from the original's, the same size.
    pairs = sorted(base_icons)[::50]
    for path in pairs:
        new = out / Path(path).parent / f"c1-{Path(path).stem}.png"
        assert new.read_bytes() != (SAMPLE / path).read_bytes()
        before, after = hash_icon_file(SAMPLE / path), hash_icon_file(new)
        assert (before.width, before.height) == (after.width, after.height)
        assert hamming(before.pdq, after.pdq) > 64, path


def test_labels_and_side_files(tiled) -> None:
    out = tiled["out"]
    with (SAMPLE / "labels.csv").open(newline="") as handle:
        base = list(csv.DictReader(handle))
    with (out / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == COPIES * len(base)
    assert len({r["group_id"] for r in rows}) == len(rows)
    rings = {r["ring_id"] for r in rows if r["ring_id"]}
    assert len(rings) == COPIES * len({r["ring_id"] for r in base if r["ring_id"]})
    assert all(copy_of(r["ring_id"]) == copy_of(r["group_id"]) for r in rows if r["ring_id"])
    assert (out / "icon_truth.csv").read_bytes() == (SAMPLE / "icon_truth.csv").read_bytes()
    for path in (SAMPLE / "hashlists").iterdir():
        assert (out / "hashlists" / path.name).read_bytes() == path.read_bytes()


def test_refuses_a_non_empty_out(tmp_path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("x")
    code = main(["--data", str(SAMPLE), "--copies", "2", "--out", str(tmp_path), "--quiet"])
    assert code == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
