#!/usr/bin/env python3
"""Sanity checks for a world written by make_world.py: python verify_world.py OUT_DIR"""
import csv
import json
import os
import sys
from collections import Counter, defaultdict


def main(out):
    errs = []
    obs = defaultdict(list)
    with open(os.path.join(out, "groups.jsonl"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                d = json.loads(line)
            except Exception as e:  # noqa
                errs.append(f"line {n}: invalid JSON {e}")
                continue
            for k in ("schema", "platform", "group_id", "observed_at", "name", "admins", "own_invite_links",
                      "posted_invite_links"):
                if k not in d:
                    errs.append(f"line {n}: missing {k}")
            obs[d["group_id"]].append(d)
    labels = {}
    with open(os.path.join(out, "labels.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            labels[row["group_id"]] = row
    if set(labels) != set(obs):
        errs.append(f"labels/groups mismatch: {len(set(labels) ^ set(obs))}")
    link_owner = {}
    for gid, ds in obs.items():
        for d in ds:
            for u in d["own_invite_links"]:
                if link_owner.setdefault(u, gid) != gid:
                    errs.append(f"link {u} owned twice")
            if "icon" in d:
                p = d["icon"]["path"]
                if p.startswith("/") or ".." in p or not os.path.isfile(os.path.join(out, p)):
                    errs.append(f"{gid}: bad icon {p}")
            if not d["observed_at"].startswith("2026-"):
                errs.append(f"{gid}: observed not 2026")
    unresolved = 0
    time_bad = 0
    for gid, ds in obs.items():
        for d in ds:
            for p in d["posted_invite_links"]:
                t = link_owner.get(p["url"])
                if t is None:
                    unresolved += 1
                    continue
                tc = obs[t][0]["created_at"]
                if p["seen_at"] > d["observed_at"] or (tc and p["seen_at"] < tc):
                    time_bad += 1
    if unresolved:
        errs.append(f"{unresolved} posted links do not resolve")
    if time_bad:
        errs.append(f"{time_bad} posted links with seen_at outside [target created, poster observed]")
    rings = Counter(r["ring_id"] for r in labels.values() if r["ring_id"])
    expected = {"cs_respawn": 8, "cs_camo": 10, "sol_star": 13, "inc_cell": 6, "scam_ring": 15}
    for k, v in expected.items():
        if rings.get(k) != v:
            errs.append(f"ring {k}: {rings.get(k)} members, expected {v}")
    roles = Counter(ro for r in labels.values() for ro in r["role"].split(";"))
    for k, v in {"poisoned_bystander": 20, "bridge": 1, "spammed_directory": 1,
                 "directory_listed": 50, "renamed_to_abusive": 1, "coordinated_benign": 40, "dense_school": 60}.items():
        if roles.get(k) != v:
            errs.append(f"role {k}: {roles.get(k)} expected {v}")
    for gid, r in labels.items():
        if r["ring_id"] == "" and r["role"] != "renamed_to_abusive" and r["label"] != "benign":
            errs.append(f"{gid}: non-member non-benign")
    # structural checks
    by_role = defaultdict(list)
    for gid, r in labels.items():
        for ro in r["role"].split(";"):
            by_role[ro].append(gid)
    chain = sorted(by_role["respawn_chain"], key=lambda g: obs[g][0]["created_at"])
    chain_links = {u: g for g in chain for u in obs[g][0]["own_invite_links"]}
    for a, b in zip(chain, chain[1:]):
        if not any(chain_links.get(p["url"]) == b for p in obs[a][0]["posted_invite_links"]):
            errs.append(f"chain {a} does not post successor {b}")
    br = by_role["bridge"][0]
    shared = [(g, set(obs[g][0]["admins"]) & set(obs[br][0]["admins"])) for g in chain]
    shared = [(g, s) for g, s in shared if s]
    if len(shared) != 1 or len(shared[0][1]) != 1:
        errs.append(f"bridge shares {shared}")
    bys = set(by_role["poisoned_bystander"])
    cs = set(by_role["respawn_chain"]) | {g for g, r in labels.items() if r["ring_id"] == "cs_camo"}
    for b in bys:
        if any(link_owner.get(p["url"]) in cs for p in obs[b][0]["posted_invite_links"]):
            errs.append(f"bystander {b} posts back")
        if not any(link_owner.get(p["url"]) == b for g in cs for p in obs[g][0]["posted_invite_links"]):
            errs.append(f"bystander {b} never posted by CS ring")
    if not 1 <= roles.get("default_icon", 0) <= 500:
        errs.append("default_icon count out of range")
    rn = by_role["renamed_to_abusive"][0]
    if len(obs[rn]) != 2:
        errs.append("renamed group does not have 2 observations")
    default_users = Counter(d.get("icon", {}).get("path") for ds in obs.values() for d in ds[:1])
    top, cnt = default_users.most_common(1)[0]
    harm_default = [g for g, ds in obs.items() if ds[0].get("icon", {}).get("path") == top and labels[g]["label"] != "benign"]
    print(f"groups={len(obs)} lines={sum(len(v) for v in obs.values())} rings={dict(rings)}")
    print(f"most common icon used by {cnt} groups, {len(harm_default)} harmful")
    print(f"roles={dict(roles)}")
    if errs:
        print("ERRORS:\n  " + "\n  ".join(errs[:50]))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
