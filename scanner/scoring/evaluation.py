"""Evaluation against ground truth: planted networks (cluster level), flagged groups per category, and the
false-positive side on real public group names.

Definitions (printed with the figures, so nobody has to guess them):
- a planted network is *recovered* when some flagged cluster holds at least half of the network's groups and
  at least half of that cluster's member groups are planted groups of the network's label (coverage >= 0.5 and
  purity >= 0.5); groups only *connected* to a case (``scanner.graph.ties``) are not members, and two linked
  networks of one label (a respawn chain and the ring it cross-posts with) make one pure case;
- per network, group recall = its groups flagged / its groups, and cohesion = coverage;
- per benign role (link-spam victims, bridge clubs, coordinated networks, ...): how many were flagged, at which
  severity, and how many are shown as only connected to a case;
- cluster recall = recovered networks / planted networks;
- cluster precision = flagged clusters of 2+ groups whose members proper (connected groups aside) are mostly of
  one harmful label / all flagged clusters of 2+ groups (a single flagged group is measured by the group-level
  figures instead);
- group precision/recall per category: a group counts as flagged for its top category.
- public names: the share of real public group names whose name alone (no description, no graph) reaches the
  review threshold. These are measured only: never train on them or write rules for their rows.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner.policy import Policy
from scanner.text.lexicon import Lexicon, default_lexicon


@dataclass(frozen=True)
class Label:
    group_id: str
    label: str
    ring_id: str
    role: str


def read_labels(path: Path) -> dict[str, Label]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["group_id"]: Label(row["group_id"], row["label"], row.get("ring_id") or "", row.get("role") or "")
            for row in csv.DictReader(handle)
        }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def network_metrics(clusters: Sequence[dict], labels: dict[str, Label], groups: Sequence[dict] = ()) -> dict:
    rings: dict[str, set[str]] = {}
    for label in labels.values():
        if label.ring_id:
            rings.setdefault(label.ring_id, set()).add(label.group_id)
    ring_of = {g: r for r, members in rings.items() for g in members}
    flagged = [c for c in clusters if c["flagged"]]
    rank = {c["cluster_id"]: i + 1 for i, c in enumerate(clusters)}
    flagged_ids = {g["group_id"] for g in groups if g["flagged"]} if groups else None
    categories = {g["group_id"]: g["category"] for g in groups}
    per_ring = {}
    for ring_id, members in sorted(rings.items()):
        best, best_overlap = None, 0
        for cluster in flagged:
            overlap = len(members & set(cluster["members"]))
            if overlap > best_overlap:
                best, best_overlap = cluster, overlap
        coverage = best_overlap / len(members)
        category = Counter(labels[g].label for g in members).most_common(1)[0][0]
        purity = 0.0
        if best:
            proper = [g for g in best["members"] if g not in set(best.get("connected", ()))]
            alike = sum(1 for g in proper if g in ring_of and labels[g].label == category)
            purity = alike / len(proper) if proper else 0.0
        per_ring[ring_id] = {
            "size": len(members),
            "label": category,
            "cluster_id": best["cluster_id"] if best else None,
            "cluster_size": best["size"] if best else 0,
            "cluster_rank": rank[best["cluster_id"]] if best else None,
            "cluster_category": best["category"] if best else None,
            "coverage": round(coverage, 4),
            "purity": round(purity, 4),
            "recovered": bool(best) and coverage >= 0.5 and purity >= 0.5,
            "cohesion": round(coverage, 4),
        }
        if flagged_ids is not None:
            per_ring[ring_id]["group_recall"] = round(sum(1 for g in members if g in flagged_ids) / len(members), 4)
            per_ring[ring_id]["groups_by_category"] = dict(sorted(Counter(
                categories[g] for g in members if g in flagged_ids).items()))
    multi = [c for c in flagged if c["size"] >= 2]
    pure = 0
    for cluster in multi:
        # Over its members proper (not the groups only connected to it), by harmful label.
        proper = [g for g in cluster["members"] if g not in set(cluster.get("connected", ()))]
        counts = Counter(labels[g].label if g in labels else "benign" for g in proper)
        top, count = counts.most_common(1)[0]
        if top != "benign" and count * 2 > len(proper):
            pure += 1
    # A benign cluster holds no planted group and no group labelled harmful (a group that renamed itself to an
    # abusive name makes its old friends' cluster a case of its own).
    benign_ranks = [rank[c["cluster_id"]] for c in clusters
                    if c["size"] >= 2 and not any(g in ring_of or (g in labels and labels[g].label != "benign")
                                                  for g in c["members"])]
    recovered = sum(1 for r in per_ring.values() if r["recovered"])
    return {
        "planted_networks": len(rings),
        "recovered": recovered,
        "cluster_recall": _ratio(recovered, len(rings)),
        "flagged_clusters": len(flagged),
        "flagged_multi_group_clusters": len(multi),
        "cluster_precision": _ratio(pure, len(multi)),
        "best_benign_cluster_rank": min(benign_ranks) if benign_ranks else None,
        "networks": per_ring,
    }


def group_metrics(groups: Sequence[dict], labels: dict[str, Label], categories: Sequence[str]) -> dict:
    predicted = {g["group_id"]: (g["category"] if g["flagged"] else "benign") for g in groups}
    out: dict[str, dict] = {}
    for category in categories:
        tp = sum(1 for g, p in predicted.items() if p == category and labels.get(g) and labels[g].label == category)
        fp = sum(1 for g, p in predicted.items()
                 if p == category and (not labels.get(g) or labels[g].label != category))
        fn = sum(1 for g, lab in labels.items() if lab.label == category and predicted.get(g) != category)
        out[category] = {"support": tp + fn, "flagged": tp + fp, "precision": _ratio(tp, tp + fp),
                         "recall": _ratio(tp, tp + fn)}
    bad = {g for g, lab in labels.items() if lab.label != "benign"}
    flagged = {g for g, p in predicted.items() if p != "benign"}
    out["any_harm"] = {"support": len(bad), "flagged": len(flagged),
                       "precision": _ratio(len(bad & flagged), len(flagged)),
                       "recall": _ratio(len(bad & flagged), len(bad))}
    hard = [g for g, lab in labels.items() if lab.role == "hard_negative"]
    out["hard_negatives"] = {"count": len(hard), "flagged": sum(1 for g in hard if g in flagged),
                             "flagged_ids": sorted(g for g in hard if g in flagged)}
    return out


def role_metrics(groups: Sequence[dict], labels: dict[str, Label], severe: Sequence[str] = ("P0", "P1")) -> dict:
    """Per role of benign groups (and of harmful groups outside planted networks): how many, flagged, flagged
    share, flagged at a ``severe`` tier (a planted network's severity), by severity, and shown as connected."""
    by_id = {g["group_id"]: g for g in groups}
    out: dict[str, dict] = {}
    for label in labels.values():
        if label.ring_id or label.group_id not in by_id:
            continue
        group = by_id[label.group_id]
        key = f"{label.label}/{label.role}"
        row = out.setdefault(key, {"count": 0, "flagged": 0, "severe": 0, "connected": 0, "by_severity": {}})
        row["count"] += 1
        if group["flagged"]:
            row["flagged"] += 1
            row["by_severity"][group["severity"]] = row["by_severity"].get(group["severity"], 0) + 1
            row["severe"] += group["severity"] in severe
        row["connected"] += group.get("membership") == "connected"
    for row in out.values():
        row["flagged_share"] = _ratio(row["flagged"], row["count"])
    return dict(sorted(out.items()))


def public_names_metrics(path: Path, policy: Policy, lexicon: Lexicon | None = None) -> dict:
    """Text-only flag rate on real public names (the false-positive side), with the scan's text signals: the
    lexicon and, when the policy enables it, the text model (``scanner.scoring.names``)."""
    from scanner.scoring.names import classify_names

    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    results = classify_names([row["name"] for row in rows], policy, lexicon or default_lexicon())
    flagged = []
    best_scores = []
    for row, result in zip(rows, results, strict=True):
        scores = result["categories"]
        best_scores.append(max(scores.values(), default=0.0))
        if result["flagged"]:
            category = result["flagged"][0]
            flagged.append({"name": row["name"], "topic": row.get("topic", ""), "category": category,
                            "score": round(scores[category], 4)})
    by_category = Counter(f["category"] for f in flagged)
    # How the false-positive side moves with the threshold, for deployers choosing one.
    at = {f"{t:.1f}": _ratio(sum(1 for b in best_scores if b >= t), len(rows)) for t in (0.2, 0.3, 0.4, 0.5, 0.6)}
    return {"names": len(rows), "flagged": len(flagged), "flagged_share": _ratio(len(flagged), len(rows)),
            "flagged_share_at_threshold": at, "by_category": dict(sorted(by_category.items())),
            "flagged_names": flagged}
