"""PDQ hashing and hash-bank matching, checked against ThreatExchange's own test images and hash sets."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from scanner.signals.hashbank import (
    BruteForceIndex,
    FaissIndex,
    HashBankError,
    match_banks,
    near_duplicate_pairs,
    read_bank,
)
from scanner.signals.pdq import IconError, hamming, hash_icon_bytes, hash_icon_file


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
