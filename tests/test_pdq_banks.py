"""PDQ hashing and hash-bank matching, checked against ThreatExchange's own test images and hash sets."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from scanner.images.hashbank import (
    BruteForceIndex,
    FaissIndex,
    HashBankError,
    match_banks,
    near_duplicate_pairs,
    read_bank,
)
from scanner.images.pdq import IconError, hamming, hash_icon_bytes, hash_icon_file


def read_hashes(path):
    return [line.split()[0].strip().lower() for line in path.read_text().splitlines() if line.strip()]


def test_faiss_index_agrees_with_brute_force_on_pdq_regression_set(shared_eval):
    needles = read_hashes(shared_eval / "pdq" / "needles.txt")
    haystack = read_hashes(shared_eval / "pdq" / "haystack.txt")
    assert len(needles) == 100 and len(haystack) == 1350
    fast = FaissIndex(haystack).range_search(needles, 31)
    slow = BruteForceIndex(haystack).range_search(needles, 31)
    assert fast == slow
    assert fast, "the regression set has matches within 31"
    assert all(d <= 31 for _, _, d in fast)
    assert all(hamming(needles[q], haystack[e]) == d for q, e, d in fast)


def test_threshold_is_inclusive():
    a = "0" * 64
    b = "f" + "0" * 63  # 4 bits apart
    assert FaissIndex([b]).range_search([a], 4) == [(0, 0, 4)]
    assert FaissIndex([b]).range_search([a], 3) == []
    assert BruteForceIndex([b]).range_search([a], 4) == [(0, 0, 4)]


def test_rotated_and_mirrored_copies_match_through_dihedral_hashes(shared_eval):
    folder = shared_eval / "pdq"
    original = hash_icon_file(folder / "dih--bridge-1-original.jpg", max_pixels=50_000_000)
    assert len(original.dihedral) == 8 and original.dihedral[0] == original.pdq
    copies = [hash_icon_file(p, max_pixels=50_000_000) for p in sorted(folder.glob("dih--*.jpg"))]
    assert len(copies) == 8
    for copy in copies:
        assert min(hamming(copy.pdq, v) for v in original.dihedral) <= 31
    rotated = [c for c in copies if hamming(c.pdq, original.pdq) > 31]
    assert len(rotated) == 7  # without the dihedral hashes, all but the original itself would be missed
    bank = tmp_bank([original.pdq])
    queries = [c.pdq for c in copies]
    assert len(match_banks([bank], queries)) == 1
    variants = {c.pdq: c.dihedral for c in copies}
    assert sorted(m.query for m in match_banks([bank], queries, variants)) == list(range(8))
    # and as near-duplicate icons across groups
    pairs = near_duplicate_pairs([original.pdq, *[c.pdq for c in rotated]], 31,
                                 {original.pdq: original.dihedral, **variants})
    assert {(0, j) for j in range(1, 8)} <= {(i, j) for i, j, _ in pairs}
    assert not near_duplicate_pairs([original.pdq, rotated[0].pdq], 31)


def tmp_bank(hashes):
    from scanner.images.hashbank import BankEntry, HashBank

    return HashBank("test", "child_safety", 31, tuple(BankEntry(h, i + 1) for i, h in enumerate(hashes)), "test")


def test_hash_icons_json_contract(shared_eval, tmp_path):
    import json

    from typer.testing import CliRunner

    from scanner.cli import app

    folder = tmp_path / "icons"
    folder.mkdir()
    (folder / "a.jpg").write_bytes((shared_eval / "pdq" / "dih--bridge-5-flipx.jpg").read_bytes())
    (folder / "broken.png").write_bytes(b"not an image")
    result = CliRunner().invoke(app, ["hash-icons", str(folder), "--json", "--max-pixels", "50000000"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["path"].rsplit("/", 1)[1] for r in rows] == ["a.jpg", "broken.png"]
    good, bad = rows
    assert {"path", "sha256", "pdq", "quality", "pdq_dihedral"} <= set(good)
    assert len(good["pdq_dihedral"]) == 8 and good["pdq_dihedral"][0] == good["pdq"] and len(good["pdq"]) == 64
    assert set(bad) == {"path", "error"} and "not an image of an allowed format" in bad["error"]
    missing = CliRunner().invoke(app, ["hash-icons", str(tmp_path / "nope")])
    assert missing.exit_code == 2


def test_edited_photos_stay_within_match_distance(shared_eval):
    folder = shared_eval / "pdq"
    original = hash_icon_file(folder / "bridge-mods--aaa-orig.jpg", max_pixels=50_000_000)
    assert original.quality >= 50
    distances = {}
    for path in sorted(folder.glob("bridge-mods--*.jpg")):
        distances[path.name] = hamming(original.pdq, hash_icon_file(path, max_pixels=50_000_000).pdq)
    assert len(distances) == 12
    assert all(d <= 31 for d in distances.values()), distances


def test_bank_file_formats_and_errors(tmp_path):
    path = tmp_path / "bank.pdq"
    path.write_text("# demo\n\npdq " + "a" * 64 + "\n" + "B" * 64 + "  # trailing comment\n")
    bank = read_bank(path, "child_safety", 31)
    assert bank.name == "bank" and [e.line for e in bank.entries] == [3, 4]
    assert bank.entries[1].pdq == "b" * 64
    path.write_text("pdq " + "a" * 64 + "\nnot-a-hash\n")
    with pytest.raises(HashBankError, match=r"bank.pdq:2"):
        read_bank(path, "child_safety", 31)


def test_match_banks_respects_per_bank_threshold_and_switch(tmp_path):
    rng = random.Random(3)
    entry = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    flipped = format(int(entry, 16) ^ ((1 << 20) - 1), "064x")  # 20 bits apart
    (tmp_path / "a.pdq").write_text(entry + "\n")
    strict = read_bank(tmp_path / "a.pdq", "child_safety", 10, name="strict")
    loose = read_bank(tmp_path / "a.pdq", "child_safety", 31, name="loose")
    matches = match_banks([strict, loose], [flipped])
    assert [(m.bank, m.distance) for m in matches] == [("loose", 20)]
    from dataclasses import replace
    assert match_banks([replace(loose, enabled=False)], [flipped]) == []


def test_near_duplicate_pairs_are_unique_and_ordered():
    a = "0" * 64
    b = "f" + "0" * 63
    c = "f" * 64
    assert near_duplicate_pairs([a, b, c], 31) == [(0, 1, 4)]


def _png(size, mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size, 128).save(buffer, format="PNG")
    return buffer.getvalue()


def test_hostile_images_are_clear_rejections():
    with pytest.raises(IconError, match="not a readable image"):
        hash_icon_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(IconError, match="pixel limit"):
        hash_icon_bytes(_png((3000, 3000)), max_pixels=1_000_000)
    with pytest.raises(IconError, match="too small"):
        hash_icon_bytes(_png((4, 4)))
    truncated = _png((64, 64))[:60]
    with pytest.raises(IconError):
        hash_icon_bytes(truncated)


def test_animated_image_hashes_its_first_frame():
    frames = [Image.new("RGB", (64, 64), (i * 60, 0, 0)) for i in range(3)]
    for index, frame in enumerate(frames):
        for x in range(64):
            frame.putpixel((x, (x * (index + 1)) % 64), (255, 255, 255))
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    first = io.BytesIO()
    frames[0].save(first, format="GIF")
    assert hash_icon_bytes(buffer.getvalue()).pdq == hash_icon_bytes(first.getvalue()).pdq


def _flip(pdq_hex: str, bits: range) -> str:
    value = int(pdq_hex, 16)
    for bit in bits:
        value ^= 1 << bit
    return f"{value:064x}"


def test_a_negative_bank_suppresses_hits_nearer_to_a_benign_look_alike(tmp_path):
    from scanner.images.hashbank import bank_results

    base = f"{random.Random(5).getrandbits(256):064x}"
    known_bad = base
    benign_look_alike = _flip(base, range(0, 25))
    (tmp_path / "bad.pdq").write_text(f"{known_bad}\n", encoding="utf-8")
    (tmp_path / "memes.negative.pdq").write_text(f"pdq {benign_look_alike}\n", encoding="utf-8")
    bad = read_bank(tmp_path / "bad.pdq", "child_safety", 31)
    negative = read_bank(tmp_path / "memes.negative.pdq", "child_safety", 31)
    assert negative.negative and not bad.negative
    near_benign = _flip(base, range(0, 22))  # 22 bits from the bad entry, 3 from the benign look-alike
    near_bad = _flip(base, range(0, 3))  # 3 from the bad entry, 22 from the look-alike
    results = {r.group_id: r for r in bank_results(["g1", "g2"], {"g1": near_benign, "g2": near_bad},
                                                   [bad, negative], 0.95)}
    assert results["g1"].scores == {} and results["g1"].features["bank_suppressed"] == ["bad"]
    assert results["g2"].scores["child_safety"] > 0.8 and results["g2"].features["bank_hits"] == ["bad"]
    # without the negative bank, g1 would have been a hit
    alone = {r.group_id: r for r in bank_results(["g1"], {"g1": near_benign}, [bad], 0.95)}
    assert alone["g1"].scores["child_safety"] > 0.6


def test_scans_store_one_blurred_greyscale_thumbnail_per_icon(tmp_path):
    import numpy as np

    from scanner.engine.pipeline import run_scan
    from scanner.images.pdq import load_rgb
    from scanner.policy import load_policy
    from scanner.store.db import open_database
    from scanner.store.queries import group_dicts, icon_thumbnail
    from tests.support.factories import snapshot, write_jsonl

    rng = np.random.default_rng(3)
    (tmp_path / "icons").mkdir()
    for name in ("a", "b"):
        pixels = (rng.random((200, 160, 3)) * 255).astype("uint8")  # sharp noise: high-frequency detail
        Image.fromarray(pixels).save(tmp_path / "icons" / f"{name}.png")
    records = [snapshot(f"g{i}", icon={"path": f"icons/{'a' if i < 2 else 'b'}.png"}) for i in range(3)]
    data = write_jsonl(tmp_path / "groups.jsonl", records)
    engine = open_database(str(tmp_path / "t.db"))
    policy = load_policy(None)
    run_scan(engine, data, policy)
    run_scan(engine, data, policy)  # a rescan stores nothing twice
    shas = {g["icon_sha256"] for g in group_dicts(engine)}
    assert len(shas) == 2
    for sha in shas:
        png = icon_thumbnail(engine, sha)
        assert png is not None
        image = Image.open(io.BytesIO(png))
        assert image.mode == "L" and max(image.size) == 96
        grey = load_rgb(png, 10_000_000)[:, :, 0].astype(float)
        assert np.abs(np.diff(grey, axis=1)).mean() < 3  # blurred: neighbouring pixels barely differ
    from sqlmodel import Session, select

    from scanner.store.models import IconThumbnail

    with Session(engine) as session:
        assert len(session.exec(select(IconThumbnail)).all()) == 2
    assert icon_thumbnail(engine, "0" * 64) is None


def test_nudenet_plugin_scores_icons_once_each_in_batches(tmp_path):
    pytest.importorskip("onnxruntime")
    import numpy as np

    from scanner.images.icon import IconSignal
    from scanner.images.icon_classifier import IconClassifierError, NudeNetClassifier, load_classifier
    from scanner.policy import load_policy
    from scanner.schema import parse_snapshot
    from scanner.signals.base import ScanContext
    from tests.support.factories import snapshot

    try:
        classifier = load_classifier("nudenet")
    except IconClassifierError:
        pytest.skip("the nudenet extra is not installed")
    assert isinstance(classifier, NudeNetClassifier) and classifier.model_id.startswith("nudenet-320n-")
    rng = np.random.default_rng(2)
    (tmp_path / "icons").mkdir()
    for name in ("a", "b"):  # abstract images only
        Image.fromarray((rng.random((120, 90, 3)) * 255).astype("uint8")).save(tmp_path / "icons" / f"{name}.png")
    calls = []
    original = classifier.scores

    def counting(images):
        calls.append(len(images))
        return original(images)

    classifier.scores = counting  # type: ignore[method-assign]
    policy = load_policy(None).signals.icon
    signal = IconSignal(policy, classifier)
    snaps = [parse_snapshot(snapshot(f"g{i}", icon={"path": f"icons/{'a' if i % 2 else 'b'}.png"}), tmp_path)
             for i in range(6)]
    first = signal.score(snaps, ScanContext(tmp_path))
    signal.score(snaps, ScanContext(tmp_path))
    assert calls == [2]  # one batch, each distinct icon once, nothing again on a rescan
    for result in first:
        assert result.features["icon_classifier"] == classifier.model_id
        assert 0.0 <= result.features["icon_classifier_explicit"] < 0.5  # noise is not explicit
        assert "explicit" not in result.features  # below the policy's threshold: no evidence
    scores = classifier.classify([np.asarray(Image.open(tmp_path / "icons" / "a.png").convert("RGB"))])[0]
    assert set(scores) >= {"explicit", "FACE_FEMALE"} and all(0 <= v <= 1 for v in scores.values())
    with pytest.raises(IconClassifierError):
        load_classifier("other")


def test_icon_classifications_are_stored_and_never_repeated_across_scans(tmp_path, monkeypatch):
    import numpy as np
    from sqlmodel import Session, select

    from scanner.engine.pipeline import run_scan
    from scanner.images.icon_classifier import IconClassifierError, NudeNetClassifier, load_classifier
    from scanner.policy import load_policy
    from scanner.store.db import open_database
    from scanner.store.models import IconClassification
    from tests.support.factories import snapshot, write_jsonl

    try:
        load_classifier("nudenet")
    except IconClassifierError:
        pytest.skip("the nudenet extra is not installed")
    calls: list[int] = []
    original = NudeNetClassifier.scores

    def counting(self, images):
        calls.append(len(images))
        return original(self, images)

    monkeypatch.setattr(NudeNetClassifier, "scores", counting)
    rng = np.random.default_rng(4)
    (tmp_path / "icons").mkdir()
    Image.fromarray((rng.random((100, 100, 3)) * 255).astype("uint8")).save(tmp_path / "icons" / "a.png")
    data = write_jsonl(tmp_path / "g.jsonl", [snapshot(f"g{i}", icon={"path": "icons/a.png"}) for i in range(3)])
    (tmp_path / "policy.yaml").write_text("signals:\n  icon:\n    classifier: nudenet\n", encoding="utf-8")
    policy = load_policy(tmp_path / "policy.yaml")
    engine = open_database(str(tmp_path / "c.db"))
    run_scan(engine, data, policy)
    run_scan(engine, data, policy)  # a new signal object, as in a new process: it reads the stored scores
    assert calls == [1]
    with Session(engine) as session:
        rows = session.exec(select(IconClassification)).all()
    assert len(rows) == 1 and rows[0].model_id.startswith("nudenet-320n-") and "explicit" in rows[0].scores
