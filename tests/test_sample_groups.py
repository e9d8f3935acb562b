"""End to end on the bundled synthetic data set: every planted network is found as a flagged cluster, ranked
above every benign cluster, and the generator is deterministic."""

from __future__ import annotations

import filecmp
import subprocess
import sys

import pytest

from scanner.engine.pipeline import run_scan
from scanner.images.hashbank import read_bank
from scanner.policy import default_policy
from scanner.scoring.evaluation import group_metrics, network_metrics, read_labels
from scanner.store.db import open_database
from scanner.store.queries import cluster_dicts, group_dicts, rejected_dicts
from tests.support.factories import SAMPLE


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    engine = open_database(str(tmp_path_factory.mktemp("e2e") / "sample.db"))
    banks = [read_bank(p, "child_safety", 31) for p in sorted((SAMPLE / "hashlists").glob("*.pdq"))]
    summary = run_scan(engine, SAMPLE, default_policy(), banks)
    yield engine, summary
    engine.dispose()


def test_every_planted_network_is_a_flagged_cluster_above_benign_ones(scanned):
    engine, _ = scanned
    clusters = cluster_dicts(engine)
    labels = read_labels(SAMPLE / "labels.csv")
    metrics = network_metrics(clusters, labels)
    assert metrics["planted_networks"] >= 4
    for ring, found in metrics["networks"].items():
        assert found["recovered"], (ring, found)
        assert found["cluster_category"] == found["label"], (ring, found)
        assert found["cluster_rank"] < metrics["best_benign_cluster_rank"], (ring, found)
    assert metrics["cluster_recall"] >= 0.9 and metrics["cluster_precision"] >= 0.9


def test_group_level_flags_and_hard_negatives(scanned):
    engine, _ = scanned
    labels = read_labels(SAMPLE / "labels.csv")
    metrics = group_metrics(group_dicts(engine), labels, list(default_policy().categories))
    assert metrics["child_safety"]["recall"] >= 0.9
    assert metrics["any_harm"]["precision"] >= 0.9
    assert metrics["hard_negatives"]["flagged"] <= 0.1 * metrics["hard_negatives"]["count"]


def test_child_safety_cluster_explains_itself(scanned):
    engine, _ = scanned
    top = cluster_dicts(engine, limit=1)[0]
    assert top["category"] == "child_safety" and top["severity"] == "P0" and top["deadline_hours"] == 1
    signals = {r["signal"] for r in top["reasons"]}
    assert {"hash_bank", "lexicon"} <= signals
    assert all(r["sentence"] for r in top["reasons"])
    assert top["structure"]["linked_pairs"] > 0 and top["structure"]["shared_admins"] > 0
    assert top["structure"]["component_size"] >= top["size"]


def test_malformed_lines_are_quarantined_and_the_rest_stored(scanned):
    engine, summary = scanned
    assert [r.line for r in summary.rejected] == [101, 2844, 5689]
    assert len(rejected_dicts(engine)) == 3
    assert summary.groups == len(read_labels(SAMPLE / "labels.csv"))


def test_generator_is_deterministic(tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run([sys.executable, "-m", "sample_groups.generate", "--seed", "3", "--groups", "800",
                        "--out", str(out), "--quiet"], check=True, cwd=SAMPLE.parent)
        outputs.append(out)
    comparison = filecmp.dircmp(outputs[0], outputs[1])
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    assert (outputs[0] / "labels.csv").read_bytes() == (outputs[1] / "labels.csv").read_bytes()
    icons = sorted(p.name for p in (outputs[0] / "icons").iterdir())
    assert icons and all(filecmp.cmp(outputs[0] / "icons" / i, outputs[1] / "icons" / i, shallow=False)
                         for i in icons)


def test_every_score_carries_its_reasons(scanned):
    engine, _ = scanned
    for group in group_dicts(engine):
        for category, value in group["categories"].items():
            if value > 0:
                assert any(r["category"] == category for r in group["reasons"]), (group["group_id"], category)
        if group["flagged"]:
            assert all(r["sentence"] and 0 <= r["weight"] <= 1 for r in group["reasons"])
    for cluster in cluster_dicts(engine, flagged_only=True):
        assert any(r["category"] == cluster["category"] for r in cluster["reasons"])


def test_committed_sample_keeps_its_documented_icon_properties():
    """Variants near their family base, unrelated icons far apart, PDQ quality >= 50 (sample_groups/check.py)."""
    from sample_groups.check import main

    assert main([str(SAMPLE)]) == 0
