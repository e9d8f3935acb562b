"""Write the synthetic groupscan sample: groups.jsonl, icons/, labels.csv, hash list.

Usage::

    python -m sample_groups.generate --seed 7 --groups 5000 --out sample_groups/

Everything is derived from ``--seed`` (no clock, no global RNG, sorted output,
fixed PNG options), so the same seed and group count give byte-identical files.
The planted structures are described in sample_groups/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import Counter
from pathlib import Path

import numpy as np

from . import adversarial, benign_groups, links, networks, vocab
from .icons import bits_to_hex, hex_to_bits, png_bytes
from .world import END, Group, Icon, Observation, World, iso

LABEL_ORDER = ["child_safety", "sexual_solicitation", "incitement", "scam", "adult_content", "benign"]
N_DECOYS = 10


def build_world(seed: int, n_groups: int, with_adversarial: bool = True) -> tuple[World, Counter]:
    """Create every group, edge and observation for one seed: ``n_groups`` in the base world, plus the
    adversarial suite (``sample_groups/adversarial.py``, ``adversarial.total()`` groups) unless left out."""
    if n_groups < networks.MIN_GROUPS:
        raise SystemExit(f"--groups must be at least {networks.MIN_GROUPS}")
    w = World(seed)
    stats: Counter = Counter()
    rings = {
        "cs1": networks.build_child_safety(w, stats),
        "ss1": networks.build_solicitation(w, stats),
        "inc1": networks.build_incitement(w, stats),
        "sc1": networks.build_scam(w, stats),
        "ad1": networks.build_adult(w, stats),
    }
    hard = benign_groups.build_hard_negatives(w, stats)
    n_normal = n_groups - networks.fixed_ring_total()
    benign = benign_groups.build_benign(w, n_normal, stats)
    benign_groups.add_spam(w, benign, rings, stats)
    benign_groups.add_benign_posts(w, benign + hard, stats)
    directories = benign_groups.build_directories(w, benign + hard, rings, stats)
    benign_groups.add_revisions(w, benign + hard + directories, round(n_groups * 0.05), stats)
    if with_adversarial:
        adversarial.build(w, rings, benign, stats)
    w.resolve_edges()
    assert len(w.groups) == n_groups + (adversarial.total() if with_adversarial else 0), (len(w.groups), n_groups)
    return w, stats


def render_edges(w: World) -> None:
    """Choose each edge's surface text: a varied URL, or a phrase with the link in a description."""
    r = random.Random(f"{w.seed}:surface")
    for e in w.edges:
        phrases = vocab.LINK_PHRASES[("benign" if e.src.label == "benign" else "risky", e.purpose)]
        if e.channel == "posted":
            e.text, e.form = links.surface(e.url, r)
        elif e.channel == "description":
            e.text, e.form = r.choice(phrases).format(u=links.plain_in_text(e.url, r)), "in_description"
        else:
            e.text, e.form = r.choice(phrases).format(u=links.defang(e.url, r)), "defanged"


def icon_signals(obs: Observation, r: random.Random) -> dict | None:
    """Upstream icon evidence. Shapes used (all valid for scanner/schema.py, which wants a dict,
    never null, for "classifier"): null; {"pdq": null, "classifier": {"explicit": p}};
    {"classifier": {"explicit": p}} (pdq key absent); {"pdq": null, "classifier": {}};
    and for icons known only upstream {"pdq": hex} or {"pdq": hex, "classifier": {"explicit": p}}."""
    icon = obs.icon
    if icon is None:
        return None
    classifier = {"explicit": obs.explicit} if obs.explicit is not None else None
    if icon.pdq_only:
        return {"pdq": icon.pdq, "classifier": classifier} if classifier else {"pdq": icon.pdq}
    if classifier is not None:
        return {"classifier": classifier} if r.random() < 0.3 else {"pdq": None, "classifier": classifier}
    if obs.empty_signals:
        return {"pdq": None, "classifier": {}}
    return None


def records(w: World) -> list[dict]:
    """One dict per observation, sorted by (observed_at, group_id); assigns icon paths."""
    out_edges: dict[str, list] = {}
    for e in w.edges:
        out_edges.setdefault(e.src.gid, []).append(e)
    rows: list[tuple[str, str, Group, Observation]] = []
    for g in w.groups:
        for obs in g.observations:
            rows.append((iso(obs.at), g.gid, g, obs))
    rows.sort(key=lambda t: (t[0], t[1]))
    path_rng = random.Random(f"{w.seed}:paths")
    sig_rng = random.Random(f"{w.seed}:signals")
    used_paths: set[str] = set()
    recs = []
    for at, gid, g, obs in rows:
        edges = sorted((e for e in out_edges.get(gid, []) if e.seen_at < obs.at),
                       key=lambda e: (e.seen_at, e.text))
        posted = [{"url": e.text, "seen_at": iso(e.seen_at)} for e in edges if e.channel == "posted"]
        extra = [e.text for e in edges if e.channel != "posted"]
        description = "\n".join([obs.description] + extra) if obs.description else "\n".join(extra)
        icon_obj = None
        if obs.icon is not None and not obs.icon.pdq_only:
            if not obs.icon.path:
                while True:
                    p = f"icons/{path_rng.getrandbits(48):012x}.png"
                    if p not in used_paths:
                        used_paths.add(p)
                        break
                obs.icon.path = p
            icon_obj = {"path": obs.icon.path}
        recs.append({
            "schema": 1,
            "platform": g.platform,
            "group_id": gid,
            "observed_at": at,
            "name": obs.name,
            "description": description,
            "member_count": obs.member_count,
            "created_at": iso(g.created) if g.show_created else None,
            "admins": list(g.admins),
            "own_invite_links": list(obs.own_links),
            "posted_invite_links": posted,
            "icon": icon_obj,
            "icon_signals": icon_signals(obs, sig_rng),
        })
    return recs


def insert_malformed(lines: list[str]) -> list[int]:
    """Insert the three deliberately broken lines (see README, "Malformed lines").

    Returns their 1-based line numbers: 101, the middle of the file, and the last line.
    The two parseable ones copy the observed_at of the line before them.
    """
    lines.insert(100, '{"schema": 1, "platform": "telegram", "group_id": "tg:-1009900000001", '
                      '"observed_at": "2026-09-02T00:00:00Z", "name": "truncated rec')
    mid = len(lines) // 2
    prev = json.loads(lines[mid - 1])
    lines.insert(mid, dumps({**prev, "platform": "whatsapp", "group_id": "wa:120363999999999901@g.us",
                             "name": "Member count is text", "description": "", "member_count": "many",
                             "created_at": None, "admins": [], "own_invite_links": [],
                             "posted_invite_links": [], "icon": None, "icon_signals": None}))
    last = json.loads(lines[-1])
    lines.append(dumps({**last, "platform": "telegram", "group_id": "tg:-1009900000003",
                        "name": "Icon path escapes the folder", "description": "", "member_count": 12,
                        "created_at": None, "admins": [], "own_invite_links": [],
                        "posted_invite_links": [], "icon": {"path": "../../etc/passwd"},
                        "icon_signals": None}))
    return [101, mid + 1, len(lines)]


def dumps(rec: dict) -> str:
    return json.dumps(rec, ensure_ascii=False)


def hashlist_text(w: World, seed: int) -> str:
    """Fake demo hash list: two cs1 family bases plus random decoys, in a seeded order."""
    rng = np.random.default_rng([seed, 0xDEC0])
    entries = [hx for _, hx in w.hashlist_families]
    icon_hashes = sorted({o.icon.pdq for g in w.groups for o in g.observations if o.icon is not None})
    icon_bits = np.stack([hex_to_bits(h) for h in icon_hashes])
    decoys: list[str] = []
    while len(decoys) < N_DECOYS:
        bits = rng.integers(0, 2, 256).astype(np.uint8)
        if int((icon_bits != bits[None, :]).sum(axis=1).min()) >= 80:
            decoys.append(bits_to_hex(bits))
    entries += decoys
    random.Random(f"{seed}:hashlist").shuffle(entries)
    head = [
        "# groupscan FAKE DEMO hash list. NOT a real hash list. Do not use for enforcement.",
        "# Every entry is the PDQ hash of a synthetic ABSTRACT image (gradients + shapes) made by",
        f"# sample_groups/generate.py (seed {seed}), or a random 256-bit decoy. It matches no real content.",
        "# It lists the base images of two icon families of the synthetic cs1 ring plus "
        f"{N_DECOYS} decoys.",
        "# Format: lines starting with '#' are comments; then one 'pdq <64 lowercase hex>' per line,",
        "# bits packed most-significant-bit first as in python-threatexchange.",
    ]
    return "\n".join(head + [f"pdq {h}" for h in entries]) + "\n"


def write(w: World, seed: int, out: Path) -> dict:
    render_edges(w)
    recs = records(w)
    lines = [dumps(r) for r in recs]
    bad_positions = insert_malformed(lines)

    out.mkdir(parents=True, exist_ok=True)
    icon_dir = out / "icons"
    icon_dir.mkdir(exist_ok=True)
    for old in sorted(icon_dir.glob("*.png")):
        old.unlink()
    (out / "groups.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    written: dict[str, Icon] = {}
    truth: list[list[str]] = []
    for g in sorted(w.groups, key=lambda g: g.gid):
        for obs in g.observations:
            ic = obs.icon
            if ic is None:
                continue
            if ic.pdq_only:
                ref = f"upstream:{g.gid}@{iso(obs.at)}"
            else:
                ref = ic.path
                if ref in written:
                    continue
                written[ref] = ic
                (out / ref).write_bytes(png_bytes(ic.image))
            truth.append([ref, ic.family, ic.transform, ic.family_base_pdq])
    truth.sort()
    with open(out / "icon_truth.csv", "w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f, lineterminator="\n")
        cw.writerow(["icon_ref", "family", "transform", "family_base_pdq"])
        cw.writerows(truth)

    with open(out / "labels.csv", "w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f, lineterminator="\n")
        cw.writerow(["group_id", "label", "ring_id", "role"])
        for g in sorted(w.groups, key=lambda g: g.gid):
            cw.writerow([g.gid, g.label, g.ring_id, g.role])

    (out / "hashlists").mkdir(exist_ok=True)
    (out / "hashlists" / "demo_known_icons.pdq").write_text(hashlist_text(w, seed), encoding="utf-8")
    return {"records": len(recs), "lines": len(lines), "malformed_line_numbers": bad_positions,
            "icons": len(written)}


def summary(w: World, stats: Counter, info: dict) -> str:
    by = Counter((g.label, g.ring_id, g.role) for g in w.groups)
    forms = Counter()
    for e in w.edges:
        for part in e.form.split("+"):
            forms[part] += 1
    multi = Counter(len(g.observations) for g in w.groups)
    changes = Counter(o.change for g in w.groups for o in g.observations[1:])
    lines = [f"{k}: {v}" for k, v in info.items()]
    lines.append("groups by (label, ring, role):")
    lines += [f"  {k}: {v}" for k, v in sorted(by.items())]
    lines.append(f"observations per group: {dict(sorted(multi.items()))}")
    lines.append("changes in later observations:")
    lines += [f"  {k}: {v}" for k, v in sorted(changes.items())]
    lines.append(f"edges: {len(w.edges)}; dangling: {sum(e.dst is None for e in w.edges)}")
    lines.append("edge surface forms:")
    lines += [f"  {k}: {v}" for k, v in sorted(forms.items())]
    lines.append("builder stats:")
    lines += [f"  {k}: {v}" for k, v in sorted(stats.items())]
    lines.append(f"observation window ends {iso(END)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--groups", type=int, default=5000)
    ap.add_argument("--out", type=Path, default=Path("sample_groups"))
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--no-adversarial", action="store_true",
                    help=f"leave out the adversarial suite ({adversarial.total()} groups on top of --groups)")
    args = ap.parse_args(argv)
    w, stats = build_world(args.seed, args.groups, not args.no_adversarial)
    info = write(w, args.seed, args.out)
    if not args.quiet:
        print(summary(w, stats, info))


if __name__ == "__main__":
    main()
