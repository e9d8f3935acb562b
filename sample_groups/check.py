"""Sanity checks for a generated sample: icon PDQ properties, labels, malformed lines, size.

Usage::

    python -m sample_groups.check sample_groups/

It recomputes PDQ from every PNG (as a scanner would) and verifies, against the
ground truth in icon_truth.csv, that near-duplicate variants sit close to their
family base, that no two unrelated icons come within the match threshold, and
that every icon has usable PDQ quality. Exits 1 if a hard check fails.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from .icons import hex_to_bits, pdq_bits

THRESHOLD = 31
MIN_QUALITY = 50


def _packed(bits: np.ndarray) -> np.ndarray:
    return np.packbits(bits.astype(np.uint8), axis=-1).view(np.uint64)


def read_records(path: Path) -> tuple[list[dict], list[tuple[int, str]]]:
    """Valid records and (line number, reason) for each line a strict reader must reject."""
    good: list[dict] = []
    bad: list[tuple[int, str]] = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append((no, f"invalid JSON ({exc.msg})"))
                continue
            if not isinstance(rec.get("member_count"), int | None):
                bad.append((no, f"member_count is {rec.get('member_count')!r}"))
                continue
            icon = rec.get("icon")
            if icon:
                p = PurePosixPath(icon["path"])
                if p.is_absolute() or ".." in p.parts:
                    bad.append((no, f"icon path {icon['path']!r} leaves the folder"))
                    continue
            good.append(rec)
    return good, bad


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    root = Path(args[0] if args else "sample_groups")
    failures: list[str] = []

    recs, bad = read_records(root / "groups.jsonl")
    gids = {r["group_id"] for r in recs}
    print(f"records: {len(recs)} valid observations of {len(gids)} groups")
    print("malformed lines:")
    for no, why in bad:
        print(f"  line {no}: {why}")
    if len(bad) != 3:
        failures.append(f"expected 3 malformed lines, found {len(bad)}")
    keys = [(r["observed_at"], r["group_id"]) for r in recs]
    if keys != sorted(keys):
        failures.append("valid records are not sorted by (observed_at, group_id)")

    with open(root / "labels.csv", encoding="utf-8") as f:
        labels = list(csv.DictReader(f))
    label_ids = {row["group_id"] for row in labels}
    if label_ids != gids:
        failures.append(f"labels.csv and groups.jsonl disagree on {len(label_ids ^ gids)} group ids")
    print("labels (label, ring_id, role):")
    for k, v in sorted(Counter((r["label"], r["ring_id"], r["role"]) for r in labels).items()):
        print(f"  {k}: {v}")

    # ---------------------------------------------------------------- icons
    with open(root / "icon_truth.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    files = sorted((root / "icons").glob("*.png"))
    referenced = {r["icon"]["path"] for r in recs if r.get("icon")}
    on_disk = {f"icons/{p.name}" for p in files}
    if referenced != on_disk:
        failures.append(f"{len(referenced - on_disk)} missing icon files, {len(on_disk - referenced)} orphans")
    refs, fams, transforms, bases, hashes, quals = [], [], [], [], [], []
    for row in truth:
        ref = row["icon_ref"]
        if ref.startswith("upstream:"):
            bits, q = hex_to_bits(_upstream_pdq(recs, ref)), None
        else:
            bits, q = pdq_bits(Image.open(root / ref))
        refs.append(ref)
        fams.append(row["family"])
        transforms.append(row["transform"])
        bases.append(row["family_base_pdq"])
        hashes.append(bits)
        quals.append(q)
    H = _packed(np.stack(hashes))
    fam_arr = np.array(fams)
    n_upstream = sum(ref.startswith("upstream:") for ref in refs)
    print(f"icons: {len(files)} PNG files + {n_upstream} upstream-PDQ-only icons")

    # (a) near-duplicate variants against their family base
    print(f"(a) variant distance to family base (PDQ Hamming; match threshold <= {THRESHOLD}):")
    buckets = [(0, 0), (1, 15), (16, 31), (32, 47), (48, 256)]
    fam_names = sorted({f for f in fams if not f.startswith("solo-")})
    total = close = 0
    far: list[str] = []
    for fam in fam_names:
        idx = [i for i, f in enumerate(fams) if f == fam]
        base = _packed(hex_to_bits(bases[idx[0]]))
        d = np.bitwise_count(H[idx] ^ base[None, :]).sum(axis=1)
        hist = [int(((d >= lo) & (d <= hi)).sum()) for lo, hi in buckets]
        total += len(idx)
        close += int((d <= THRESHOLD).sum())
        far += [f"{fam} {transforms[i]} d={int(x)}" for i, x in zip(idx, d, strict=True) if x > THRESHOLD]
        print(f"  {fam:15s} n={len(idx):3d}  0:{hist[0]:3d}  1-15:{hist[1]:3d}  16-31:{hist[2]:3d}"
              f"  32-47:{hist[3]:3d}  48+:{hist[4]:3d}  max={int(d.max())}")
    print(f"  overall: {close}/{total} variants within {THRESHOLD} ({100 * close / max(total, 1):.1f}%)")
    for line in far:
        print(f"    farther: {line}")

    # (b) unrelated pairs
    n = len(H)
    min_unrelated = 256
    n_close = 0
    for i in range(n):
        d = np.bitwise_count(H[i + 1:] ^ H[i][None, :]).sum(axis=1)
        mask = fam_arr[i + 1:] != fam_arr[i]
        if mask.any():
            dd = d[mask]
            min_unrelated = min(min_unrelated, int(dd.min()))
            n_close += int((dd <= THRESHOLD).sum())
    n_pairs = n * (n - 1) // 2
    print(f"(b) unrelated icon pairs: {n_pairs} pairs checked (all icons), min distance {min_unrelated}, "
          f"{n_close} pairs <= {THRESHOLD}")
    if n_close:
        failures.append(f"{n_close} unrelated icon pairs within {THRESHOLD}")

    # (c) quality
    q = np.array([x for x in quals if x is not None])
    print(f"(c) PDQ quality of PNG icons: min {int(q.min())}, median {int(np.median(q))}, "
          f"{int((q < MIN_QUALITY).sum())} below {MIN_QUALITY}")
    if (q < MIN_QUALITY).any():
        failures.append("icons with PDQ quality below 50")

    # hash list
    print("hash list hashlists/demo_known_icons.pdq:")
    for line in (root / "hashlists" / "demo_known_icons.pdq").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        tag, hx = line.split()
        d = np.bitwise_count(H ^ _packed(hex_to_bits(hx))[None, :]).sum(axis=1)
        hit = d <= THRESHOLD
        fams_hit = Counter(fam_arr[hit].tolist())
        desc = ", ".join(f"{k} x{v}" for k, v in sorted(fams_hit.items())) or "none (decoy)"
        print(f"  {tag} {hx[:16]}...  matches <= {THRESHOLD}: {int(hit.sum()):3d} [{desc}]  "
              f"nearest {int(d.min())}")

    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    print(f"folder size: {size / 1e6:.1f} MB ({len(files)} icons, "
          f"{(root / 'groups.jsonl').stat().st_size / 1e6:.1f} MB groups.jsonl)")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("OK")
    return 0


def _upstream_pdq(recs: list[dict], ref: str) -> str:
    gid, _, at = ref.removeprefix("upstream:").rpartition("@")
    for r in recs:
        if r["group_id"] == gid and r["observed_at"] == at:
            return r["icon_signals"]["pdq"]
    raise KeyError(ref)


if __name__ == "__main__":
    sys.exit(main())
