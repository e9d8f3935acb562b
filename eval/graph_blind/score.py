#!/usr/bin/env python3
"""Score groupscan output against a world written by make_world.py.

usage: python score.py OUT_DIR GROUPS_JSON [CLUSTERS_JSON] [--json]

GROUPS_JSON   = output of `groupscan groups --json`
CLUSTERS_JSON = output of `groupscan clusters --json`

The output schema of groupscan is unknown to this (blind) author, so both files are read
tolerantly: a list, JSON lines, or an object holding the list under a common key; field names are
looked up from a set of synonyms (see *_KEYS).  Printed "schema notes" say which fields were used.

A group counts as flagged if its own record is flagged OR it belongs to a flagged cluster.
Its severity is the most severe (lowest Pn) of the two, its category the group's own category if
it has one, else the cluster's.

Per role (roles joined by ';' count for each) and per ring: count, flagged share, P0 share, category
distribution of flagged members.  Rings also get recall (= flagged share) and cohesion (largest
number of ring members inside one flagged cluster / ring size).
"""
import argparse
import csv
import json
import os
import sys
from collections import Counter, defaultdict

ID_KEYS = ("group_id", "id", "gid", "group")
CID_KEYS = ("cluster_id", "id", "cid", "network_id", "cluster")
GROUP_CLUSTER_KEYS = ("cluster_id", "cluster", "network_id", "cid")
MEMBER_KEYS = ("members", "group_ids", "groups", "member_ids", "nodes", "member_group_ids")
FLAG_KEYS = ("flagged", "flag", "is_flagged", "review", "needs_review", "for_review", "escalate")
STATUS_KEYS = ("status", "decision", "action", "verdict")
SEV_KEYS = ("severity", "sev", "priority", "level")
CAT_KEYS = ("category", "top_category", "risk_category", "label", "predicted_category", "primary_category")
CATS_KEYS = ("categories", "category_scores", "scores", "risks")
LIST_KEYS = ("groups", "clusters", "items", "results", "data", "networks", "records")
FLAG_STATUS = {"flagged", "flag", "review", "needs_review", "escalate", "escalated", "p0", "p1", "p2", "p3", "alert"}

notes = Counter()


def load(path):
    if not path:
        return []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [json.loads(l) for l in text.splitlines() if l.strip().startswith(("{", "["))]
    return as_list(data)


def as_list(data):
    if isinstance(data, list):
        return [x for x in data if isinstance(x, dict)]
    if isinstance(data, dict):
        for k in LIST_KEYS:
            if isinstance(data.get(k), list):
                notes[f"list under '{k}'"] += 1
                return as_list(data[k])
        for k, v in data.items():  # first list of dicts anywhere at top level
            if isinstance(v, list) and v and isinstance(v[0], dict):
                notes[f"list under '{k}'"] += 1
                return as_list(v)
        vals = list(data.values())
        if vals and all(isinstance(v, dict) for v in vals):  # mapping id -> record
            notes["mapping id->record"] += 1
            return [dict(v, _key=k) for k, v in data.items()]
    return []


def first(rec, keys, tag):
    for k in keys:
        if k in rec and rec[k] not in (None, ""):
            notes[f"{tag}:{k}"] += 1
            return rec[k]
    return None


def norm_sev(v):
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return f"P{int(v)}" if 0 <= v <= 4 else None
    s = str(v).strip().upper()
    if s.startswith("P") and s[1:2].isdigit():
        return s[:2]
    if s.isdigit():
        return "P" + s
    return {"CRITICAL": "P0", "HIGH": "P1", "MEDIUM": "P2", "LOW": "P3"}.get(s)


def sev_rank(s):
    return int(s[1]) if s else 99


def norm_cat(rec):
    c = first(rec, CAT_KEYS, "category")
    if isinstance(c, dict):
        c = first(c, ("name", "category", "id"), "category.sub")
    if c is None:
        cs = first(rec, CATS_KEYS, "categories")
        if isinstance(cs, dict) and cs:
            num = {k: v for k, v in cs.items() if isinstance(v, (int, float))}
            if num:
                c = max(num, key=num.get)
            else:
                sub = {k: v.get("score", 0) for k, v in cs.items() if isinstance(v, dict)}
                c = max(sub, key=sub.get) if sub else None
        elif isinstance(cs, list) and cs:
            c = cs[0] if isinstance(cs[0], str) else first(cs[0], ("category", "name", "label"), "categories[0]")
    return str(c).lower() if c is not None else None


def is_flagged(rec, any_flag_key):
    v = first(rec, FLAG_KEYS, "flag")
    if v is not None:
        if isinstance(v, str):
            return v.lower() in ("true", "yes", "1", "flagged", "review")
        return bool(v)
    st = first(rec, STATUS_KEYS, "status")
    if st is not None:
        return str(st).lower() in FLAG_STATUS
    if not any_flag_key:  # no explicit flag field in the whole file: any severity means flagged
        return norm_sev(first(rec, SEV_KEYS, "severity(no-flag-field)")) is not None
    return False


def has_flag_field(recs):
    return any(any(k in r for k in FLAG_KEYS + STATUS_KEYS) for r in recs)


def rid(rec, keys, tag):
    v = first(rec, keys, tag)
    if v is None:
        v = rec.get("_key")
    if isinstance(v, dict):
        v = first(v, ID_KEYS, tag + ".sub")
    return str(v) if v is not None else None


def members_of(c):
    m = first(c, MEMBER_KEYS, "members")
    out = []
    for x in m or []:
        if isinstance(x, dict):
            x = first(x, ID_KEYS, "member.id")
        if x is not None:
            out.append(str(x))
    return out


def score(out_dir, groups_path, clusters_path):
    labels = {}
    with open(os.path.join(out_dir, "labels.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            labels[row["group_id"]] = row

    grecs = load(groups_path)
    crecs = load(clusters_path)
    gflag_field = has_flag_field(grecs)
    cflag_field = has_flag_field(crecs)
    all_clusters_flagged = bool(crecs) and not cflag_field and not any(
        norm_sev(first(c, SEV_KEYS, "probe")) for c in crecs)
    if all_clusters_flagged:
        notes["clusters carry no flag/severity: every listed cluster treated as flagged"] += 1

    state = {g: {"flag": False, "sev": None, "cat": None, "ccat": None, "clusters": set()} for g in labels}
    unknown_ids = 0
    for rec in grecs:
        g = rid(rec, ID_KEYS, "group.id")
        if g not in state:
            unknown_ids += 1
            continue
        s = state[g]
        cl = first(rec, GROUP_CLUSTER_KEYS, "group.cluster")
        if cl is not None and not isinstance(cl, (dict, list)):
            s["gcluster"] = str(cl)
        if is_flagged(rec, gflag_field):
            s["flag"] = True
            sv = norm_sev(first(rec, SEV_KEYS, "severity"))
            if sev_rank(sv) < sev_rank(s["sev"]):
                s["sev"] = sv
            s["cat"] = norm_cat(rec) or s["cat"]

    flagged_clusters = {}  # cluster id -> member list
    for i, c in enumerate(crecs):
        cid = rid(c, CID_KEYS, "cluster.id") or f"#{i}"
        mem = members_of(c)
        if not (all_clusters_flagged or is_flagged(c, cflag_field)):
            continue
        flagged_clusters[cid] = mem
        sv = norm_sev(first(c, SEV_KEYS, "cluster.severity"))
        cat = norm_cat(c)
        for g in mem:
            if g not in state:
                unknown_ids += 1
                continue
            s = state[g]
            s["flag"] = True
            s["clusters"].add(cid)
            if sev_rank(sv) < sev_rank(s["sev"]):
                s["sev"] = sv
            if cat and not s["ccat"]:
                s["ccat"] = cat
    if not crecs:  # derive clusters from group records' cluster id, flagged members only
        tmp = defaultdict(list)
        for g, s in state.items():
            if s["flag"] and s.get("gcluster"):
                tmp[s["gcluster"]].append(g)
                s["clusters"].add(s["gcluster"])
        flagged_clusters = dict(tmp)

    def summarize(gids):
        n = len(gids)
        fl = [g for g in gids if state[g]["flag"]]
        p0 = [g for g in fl if state[g]["sev"] == "P0"]
        cats = Counter((state[g]["cat"] or state[g]["ccat"] or "none") for g in fl)
        sevs = Counter(state[g]["sev"] or "none" for g in fl)
        return {"count": n, "flagged": len(fl), "flagged_share": round(len(fl) / n, 4) if n else None,
                "p0_share": round(len(p0) / n, 4) if n else None,
                "flagged_as": dict(cats.most_common()), "severities": dict(sorted(sevs.items()))}

    by_role, by_ring, by_label = defaultdict(list), defaultdict(list), defaultdict(list)
    for g, row in labels.items():
        for ro in (row["role"] or "none").split(";"):
            by_role[ro].append(g)
        if row["ring_id"]:
            by_ring[row["ring_id"]].append(g)
        by_label[row["label"]].append(g)

    roles = {ro: summarize(gs) for ro, gs in sorted(by_role.items())}
    rings = {}
    for ring, gs in sorted(by_ring.items()):
        d = summarize(gs)
        d["label"] = labels[gs[0]]["label"]
        d["recall"] = d["flagged_share"]
        best, best_cid = 0, None
        for cid, mem in flagged_clusters.items():
            k = len(set(mem) & set(gs))
            if k > best:
                best, best_cid = k, cid
        d["cohesion"] = round(best / len(gs), 4)
        d["largest_cluster"] = best_cid
        d["largest_cluster_size"] = len(flagged_clusters[best_cid]) if best_cid is not None else 0
        d["largest_cluster_purity"] = round(best / len(flagged_clusters[best_cid]), 4) if best_cid is not None and flagged_clusters[best_cid] else None
        d["correct_category_share"] = round(sum(1 for g in gs if state[g]["flag"] and (state[g]["cat"] or state[g]["ccat"]) == d["label"]) / len(gs), 4)
        rings[ring] = d
    per_label = {lab: summarize(gs) for lab, gs in sorted(by_label.items())}
    return {
        "inputs": {"groups_records": len(grecs), "cluster_records": len(crecs), "flagged_clusters": len(flagged_clusters),
                   "ids_not_in_world": unknown_ids, "schema_notes": dict(notes.most_common())},
        "rings": rings, "roles": roles, "labels": per_label,
    }


def fmt_cats(d):
    return ", ".join(f"{k}:{v}" for k, v in d.items()) or "-"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("groups_json")
    ap.add_argument("clusters_json", nargs="?")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    res = score(a.out_dir, a.groups_json, a.clusters_json)
    if a.json:
        json.dump(res, sys.stdout, indent=2)
        print()
        return
    i = res["inputs"]
    print(f"inputs: {i['groups_records']} group records, {i['cluster_records']} cluster records, "
          f"{i['flagged_clusters']} flagged clusters, {i['ids_not_in_world']} ids not in world")
    print("schema notes:", fmt_cats(i["schema_notes"]))
    print("\nRINGS")
    print(f"{'ring':12} {'label':20} {'n':>4} {'recall':>7} {'P0':>6} {'cohes':>6} {'catOK':>6}  flagged_as")
    for k, d in res["rings"].items():
        print(f"{k:12} {d['label']:20} {d['count']:>4} {d['recall']:>7.2f} {d['p0_share']:>6.2f} {d['cohesion']:>6.2f} "
              f"{d['correct_category_share']:>6.2f}  {fmt_cats(d['flagged_as'])}")
    print("\nROLES")
    print(f"{'role':28} {'n':>5} {'flagged':>8} {'P0':>6}  flagged_as")
    for k, d in res["roles"].items():
        print(f"{k:28} {d['count']:>5} {d['flagged_share']:>8.3f} {d['p0_share']:>6.3f}  {fmt_cats(d['flagged_as'])}")
    print("\nLABELS")
    for k, d in res["labels"].items():
        print(f"{k:28} {d['count']:>5} {d['flagged_share']:>8.3f} {d['p0_share']:>6.3f}  {fmt_cats(d['flagged_as'])}")


if __name__ == "__main__":
    main()
