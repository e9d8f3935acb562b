#!/usr/bin/env python3
"""Score a group-network detector's output against OUT/truth.csv.

usage: score.py OUT GROUPS_JSON [CLUSTERS_JSON]

The tool's output shape is unknown, so both files are read tolerantly:
 - a JSON list, JSON Lines, an object holding a list (any key), or an object mapping id -> record;
 - group id under group_id / id / gid / group;
 - flag under flagged / flag / is_flagged / status / severity / priority / risk (first found wins);
 - severity "P0".."P3" (or 0..3) under severity / priority / sev / level / risk_level;
 - category under category / top_category / label / categories (list -> first, dict -> argmax);
 - clusters: records with a member list (members / member_ids / group_ids / groups / nodes), members
   being ids or records with group_id/id and optionally cluster_role / membership ("member"/"connected").
   Clusters may also come inside GROUPS_JSON (key "clusters"), or as a per-group cluster_id.
"""
import csv
import json
import sys
from collections import Counter, defaultdict

USED = defaultdict(Counter)  # purpose -> field -> count

ID_KEYS = ["group_id", "id", "gid", "group", "groupId"]
FLAG_KEYS = ["flagged", "flag", "is_flagged", "isFlagged", "alert"]
STATUS_KEYS = ["status", "decision", "verdict", "action"]
SEV_KEYS = ["severity", "priority", "sev", "level", "risk_level", "tier"]
SCORE_KEYS = ["risk", "risk_score", "score", "propagated_risk", "final_score"]
CAT_KEYS = ["category", "top_category", "topCategory", "label", "categories", "category_scores", "harm_category"]
MEMBER_KEYS = ["members", "member_ids", "group_ids", "groups", "nodes", "member_groups"]
CL_ID_KEYS = ["cluster_id", "id", "cluster", "name", "network_id"]
ROLE_KEYS = ["cluster_role", "membership", "role_in_cluster", "member_role"]
PER_GROUP_CLUSTER_KEYS = ["cluster_id", "cluster", "network_id", "component"]

POS_STATUS = {"flag", "flagged", "alert", "review", "escalate", "escalated", "harmful", "suspicious", "high",
              "critical", "block", "blocked", "report", "reported", "takedown", "positive", "yes", "true", "bad",
              "p0", "p1", "p2", "p3", "medium"}
NEG_STATUS = {"clear", "ok", "benign", "none", "not_flagged", "unflagged", "safe", "no", "false", "pass",
              "ignore", "allow", "allowed", "negative", "clean", "low_risk", "no_flag", "", "null", "p4", "info"}


def load_any(path):
    with open(path, encoding="utf-8") as f:
        txt = f.read()
    try:
        return json.loads(txt)
    except json.JSONDecodeError:
        out = []
        for line in txt.splitlines():
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
        return out


def find_records(data, prefer=("groups", "results", "items", "data", "records", "nodes", "flags")):
    """return list of dict records from a tolerant container."""
    if isinstance(data, list):
        if data and all(isinstance(x, list) for x in data):  # list of lists: flatten
            return [y for x in data for y in x if isinstance(y, dict)]
        return [x for x in data if isinstance(x, dict)]
    if isinstance(data, dict):
        for k in prefer:
            if k in data and isinstance(data[k], list) and any(isinstance(x, dict) for x in data[k]):
                USED["container"][k] += 1
                return [x for x in data[k] if isinstance(x, dict)]
            if k in data and isinstance(data[k], dict) and data[k] and all(isinstance(v, dict) for v in data[k].values()):
                USED["container"][k + " (id->record)"] += 1
                return [dict(v, _key_id=kk) for kk, v in data[k].items()]
        for k, v in data.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                USED["container"][k] += 1
                return v
        if data and all(isinstance(v, dict) for v in data.values()):
            USED["container"]["(id->record)"] += 1
            return [dict(v, _key_id=k) for k, v in data.items()]
    return []


def get_first(rec, keys, purpose):
    for k in keys:
        if k in rec and rec[k] is not None:
            USED[purpose][k] += 1
            return rec[k]
    return None


def rec_id(rec):
    v = get_first(rec, ID_KEYS, "group id")
    if v is None and "_key_id" in rec:
        USED["group id"]["(object key)"] += 1
        v = rec["_key_id"]
    if isinstance(v, dict):
        v = v.get("group_id") or v.get("id")
    return None if v is None else str(v)


def parse_sev(v):
    """-> int 0..3 (P-level) or None (no severity / not flagged)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return int(v) if 0 <= v <= 3 else None
    s = str(v).strip().upper()
    if len(s) >= 2 and s[0] == "P" and s[1].isdigit():
        n = int(s[1])
        return n if n <= 3 else None
    named = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}
    return named.get(s)


def parse_cat(v):
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        if not v:
            return None
        x = v[0]
        if isinstance(x, dict):
            return str(x.get("category") or x.get("name") or x.get("label"))
        return str(x)
    if isinstance(v, dict):
        num = {k: x for k, x in v.items() if isinstance(x, (int, float)) and not isinstance(x, bool)}
        if num:
            return max(num, key=num.get)
        return str(v.get("name") or v.get("category") or v.get("label"))
    return str(v)


def truthy(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v > 0
    return str(v).strip().lower() in POS_STATUS


def interpret(rec):
    """-> (flagged: bool, sev: int|None, category: str|None)"""
    sev = parse_sev(get_first(rec, SEV_KEYS, "severity"))
    cat = parse_cat(get_first(rec, CAT_KEYS, "category"))
    f = get_first(rec, FLAG_KEYS, "flag")
    if f is not None:
        flagged = truthy(f)
    else:
        st = get_first(rec, STATUS_KEYS, "flag(status)")
        if st is not None and str(st).strip().lower() in POS_STATUS | NEG_STATUS:
            flagged = truthy(st)
            if sev is None:
                sev = parse_sev(st)
        elif sev is not None:
            USED["flag"]["(severity P0-P3)"] += 1
            flagged = True
        else:
            sc = get_first(rec, SCORE_KEYS, "flag(score>=0.5)")
            flagged = isinstance(sc, (int, float)) and sc >= 0.5
    if isinstance(cat, str) and cat.strip().lower() in ("", "none", "benign", "null", "clear", "ok"):
        cat = None if not flagged else cat
    return flagged, (sev if flagged else None), cat


CAT_ALIASES = {
    "child_safety": ["child_safety", "csam", "csae", "cse", "child_sexual_abuse", "child_abuse", "minor_safety",
                     "child_exploitation", "childsafety"],
    "sexual_solicitation": ["sexual_solicitation", "solicitation", "sex_solicitation", "commercial_sex",
                            "prostitution", "escort", "sex_work"],
    "adult_content": ["adult_content", "adult", "porn", "pornography", "nsfw", "sexual_content", "explicit"],
    "incitement": ["incitement", "violence", "violent_incitement", "incitement_to_violence", "hate_violence"],
    "scam": ["scam", "fraud", "financial_fraud", "scams"],
}


def norm_cat(c):
    if c is None:
        return None
    s = str(c).strip().lower().replace("-", "_").replace(" ", "_")
    for k, al in CAT_ALIASES.items():
        if s in al:
            return k
    return s


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    out_dir, gpath = sys.argv[1], sys.argv[2]
    cpath = sys.argv[3] if len(sys.argv) > 3 else None
    truth = {}
    with open(out_dir.rstrip("/") + "/truth.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            truth[r["group_id"]] = r

    graw = load_any(gpath)
    grecs = find_records(graw)
    res = {}
    group_membership = {}
    group_cluster = defaultdict(set)
    for rec in grecs:
        gid = rec_id(rec)
        if gid is None:
            continue
        fl, sev, cat = interpret(rec)
        prev = res.get(gid)
        if prev is None or (fl and (not prev[0] or (sev is not None and (prev[1] is None or sev < prev[1])))):
            res[gid] = (fl, sev, cat)
        m = get_first(rec, ROLE_KEYS, "per-group membership")
        if m is not None:
            group_membership[gid] = str(m).lower()
        c = get_first(rec, PER_GROUP_CLUSTER_KEYS, "per-group cluster id")
        if c is not None and not isinstance(c, (dict, list)):
            group_cluster[str(c)].add(gid)

    # clusters
    clusters = {}  # cid -> {"members": {gid: role}, "flag", "sev", "cat"}
    craw = load_any(cpath) if cpath else (graw.get("clusters") if isinstance(graw, dict) else None)
    if craw is not None:
        crecs = find_records(craw, prefer=("clusters", "networks", "components", "communities", "items", "data"))
        for i, c in enumerate(crecs):
            cid = get_first(c, CL_ID_KEYS, "cluster id")
            cid = str(cid if cid is not None and not isinstance(cid, (list, dict)) else "c%d" % i)
            mem = get_first(c, MEMBER_KEYS, "cluster members") or []
            mm = {}
            if isinstance(mem, dict):
                mem = [dict(v, group_id=k) if isinstance(v, dict) else {"group_id": k, "cluster_role": v}
                       for k, v in mem.items()]
            for x in mem:
                if isinstance(x, dict):
                    gid = rec_id(x)
                    role = get_first(x, ROLE_KEYS, "cluster member role") or "member"
                else:
                    gid, role = str(x), "member"
                if gid:
                    mm[gid] = str(role).lower()
            for key in ("connected", "connected_groups", "neighbors", "neighbours", "periphery"):
                if isinstance(c.get(key), list):
                    USED["cluster connected list"][key] += 1
                    for x in c[key]:
                        gid = rec_id(x) if isinstance(x, dict) else str(x)
                        if gid and gid not in mm:
                            mm[gid] = "connected"
            fl, sev, cat = interpret(c)
            clusters[cid] = {"members": mm, "flag": fl, "sev": sev, "cat": cat}
    elif group_cluster:
        for cid, gs in group_cluster.items():
            clusters[cid] = {"members": {g: group_membership.get(g, "member") for g in gs},
                             "flag": None, "sev": None, "cat": None}
    # per-group membership from cluster lists, if not given per group
    for cid, c in clusters.items():
        for gid, role in c["members"].items():
            group_membership.setdefault(gid, role)

    def is_core(role):
        return role in ("member", "core", "in", "inside", "true", "1")

    # ------------------------------------------------------------- per role
    def sevname(s):
        return "P%d" % s if s is not None else "-"

    ids_present = set(res)
    print("=" * 100)
    print("output: %d group records (%d match truth of %d), %d clusters" %
          (len(res), len(ids_present & set(truth)), len(truth), len(clusters)))
    print("=" * 100)
    roles = defaultdict(list)
    for gid, t in truth.items():
        roles[t["role"]].append(gid)
    order = ["chain", "camo_ring", "solicitation", "incitement", "scam_ring", "adult_ring", "renamed",
             "poisoned_bystander", "bridge", "default_icon", "directory", "directory_listed", "warning_poster",
             "coordinated_benign", "dense_benign", "lookalike", "background"]
    order += sorted(r for r in roles if r not in order)
    print("%-20s %6s %6s %6s %6s %6s %6s  %-9s %s" % ("role", "n", "in_out", "flag%", "P0%", "P0-1%", "expect",
                                                       "member/conn", "categories of flagged"))
    for role in order:
        if role not in roles:
            continue
        gs = roles[role]
        n = len(gs)
        inout = sum(g in res for g in gs)
        fl = [g for g in gs if res.get(g, (False,))[0]]
        p0 = sum(1 for g in fl if res[g][1] == 0)
        p01 = sum(1 for g in fl if res[g][1] is not None and res[g][1] <= 1)
        cats = Counter(res[g][2] or "?" for g in fl)
        exp = Counter(truth[g]["expect"] for g in gs).most_common(1)[0][0]
        mem = Counter(group_membership.get(g) for g in gs if g in group_membership)
        memstr = "%d/%d" % (sum(v for k, v in mem.items() if is_core(k)), sum(v for k, v in mem.items() if not is_core(k)))
        print("%-20s %6d %6d %6.1f %6.1f %6.1f %6s  %-9s %s" % (role, n, inout, 100 * len(fl) / n, 100 * p0 / n,
                                                                 100 * p01 / n, exp, memstr,
                                                                 ", ".join("%s:%d" % kv for kv in cats.most_common(5))))

    # ------------------------------------------------------------- per network
    print()
    print("per planted network (cohesion = largest share of members inside one cluster as core 'member'; "
          "cohesion_any counts 'connected' too)")
    nets = defaultdict(list)
    for gid, t in truth.items():
        if t["network"]:
            nets[t["network"]].append(gid)
    g2c = defaultdict(dict)
    for cid, c in clusters.items():
        for gid, role in c["members"].items():
            g2c[gid][cid] = role
    print("%-18s %-20s %4s %6s %5s %6s %6s  %-40s %s" % ("network", "category", "n", "recall", "P0%", "cohes",
                                                          "c_any", "best cluster (size, bad, sev, cat)",
                                                          "flagged categories"))
    for net in sorted(nets, key=lambda x: (x.startswith("benign"), x)):
        gs = nets[net]
        cat = Counter(truth[g]["category"] for g in gs).most_common(1)[0][0]
        fl = [g for g in gs if res.get(g, (False,))[0]]
        p0 = sum(1 for g in fl if res[g][1] == 0)
        cc_core, cc_any = Counter(), Counter()
        for g in gs:
            for cid, role in g2c.get(g, {}).items():
                cc_any[cid] += 1
                if is_core(role):
                    cc_core[cid] += 1
        best = (cc_core or cc_any).most_common(1)
        coh = cc_core.most_common(1)[0][1] / len(gs) if cc_core else 0.0
        cany = cc_any.most_common(1)[0][1] / len(gs) if cc_any else 0.0
        binfo = "-"
        if best:
            cid = best[0][0]
            c = clusters[cid]
            size = len(c["members"])
            n_noflag = sum(1 for m in c["members"] if truth.get(m, {}).get("expect") == "no_flag")
            binfo = "%s (%d, %d no_flag, %s, %s)" % (cid[:14], size, n_noflag, sevname(c["sev"]), c["cat"])
        cats = Counter(res[g][2] or "?" for g in fl)
        print("%-18s %-20s %4d %6.2f %5.1f %6.2f %6.2f  %-40s %s" % (net, cat, len(gs), len(fl) / len(gs),
                                                                    100 * p0 / len(gs), coh, cany, binfo,
                                                                    ", ".join("%s:%d" % kv for kv in cats.most_common(4))))

    # ------------------------------------------------------------- summary
    print()
    harm = [g for g, t in truth.items() if t["expect"] == "flag"]
    ben = [g for g, t in truth.items() if t["expect"] == "no_flag"]
    hfl = [g for g in harm if res.get(g, (False,))[0]]
    catok = sum(1 for g in hfl if norm_cat(res[g][2]) == truth[g]["category"])
    bfl = [g for g in ben if res.get(g, (False,))[0]]
    trap_roles = {"poisoned_bystander", "bridge", "default_icon", "directory", "directory_listed", "warning_poster",
                  "coordinated_benign", "dense_benign", "lookalike"}
    tr = [g for g in ben if truth[g]["role"] in trap_roles]
    trfl = [g for g in tr if res.get(g, (False,))[0]]
    trhi = [g for g in trfl if res[g][1] is not None and res[g][1] <= 1]
    print("harmful recall: %d/%d = %.3f; category correct among flagged: %d/%d" %
          (len(hfl), len(harm), len(hfl) / max(1, len(harm)), catok, len(hfl)))
    print("benign false-positive rate: %d/%d = %.4f; traps flagged %d/%d (at P0/P1: %d)" %
          (len(bfl), len(ben), len(bfl) / max(1, len(ben)), len(trfl), len(tr), len(trhi)))
    bad = Counter((truth[g]["role"], res[g][2] or "?", sevname(res[g][1])) for g in bfl)
    if bad:
        print("false positives by (role, category, severity):")
        for k, v in bad.most_common(15):
            print("   %-60s %d" % (k, v))
    miss = [g for g in harm if not res.get(g, (False,))[0]]
    if miss:
        print("missed harmful by role:", dict(Counter(truth[g]["role"] for g in miss)))

    print()
    print("field names used:")
    for purpose, cnt in USED.items():
        print("   %-28s %s" % (purpose, ", ".join("%s(%d)" % kv for kv in cnt.most_common())))


if __name__ == "__main__":
    main()
