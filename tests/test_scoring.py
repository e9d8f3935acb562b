from __future__ import annotations

import itertools

import pytest

from scanner.policy import default_policy
from scanner.reasons import Reason
from scanner.scoring.clusters import score_clusters
from scanner.scoring.risk import (
    Evidence,
    cluster_categories,
    direct_evidence,
    noisy_or,
    top_category,
)
from scanner.signals.base import SignalResult

POLICY = default_policy()


def test_noisy_or_is_monotone_and_bounded():
    values = [0.0, 0.1, 0.5, 0.9, 1.0]
    for a, b, c in itertools.product(values, repeat=3):
        assert 0.0 <= noisy_or([a, b]) <= 1.0
        assert noisy_or([a, b, c]) >= noisy_or([a, b]) - 1e-12
    assert noisy_or([]) == 0.0
    assert noisy_or([0.5, 0.5]) == pytest.approx(0.75)


def result(signal, scores, features=None, modifiers=()):
    reasons = tuple(Reason(signal, "f", "v", c, s, f"{signal} says {c}") for c, s in scores.items())
    return SignalResult("g", signal, scores, reasons, frozenset(modifiers), features or {})


def test_explicit_icon_with_minor_indicator_is_child_safety_evidence():
    text = result("lexicon", {}, {"indicators": {"minor": 0.8}})
    icon = result("icon", {"adult_content": 0.54}, {"explicit": 0.9})
    evidence = direct_evidence([text, icon], POLICY)
    assert evidence.scores["child_safety"] == pytest.approx(0.9 * 0.9 * 0.8)
    assert any(r.feature == "explicit_icon_with_minor_indicator" for r in evidence.reasons)
    alone = direct_evidence([icon], POLICY)
    assert "child_safety" not in alone.scores


def test_signals_for_the_same_category_combine():
    evidence = direct_evidence([result("lexicon", {"scam": 0.5}), result("hash_bank", {"scam": 0.5})], POLICY)
    assert evidence.scores["scam"] == pytest.approx(0.75)


def test_cluster_risk_rewards_corroboration():
    one = cluster_categories([Evidence({"scam": 0.6})], POLICY.cluster_corroboration)
    three = cluster_categories([Evidence({"scam": 0.6})] * 3, POLICY.cluster_corroboration)
    assert one["scam"] == pytest.approx(0.6)
    assert three["scam"] > one["scam"]
    many_weak = cluster_categories([Evidence({"scam": 0.1})] * 50, POLICY.cluster_corroboration)
    assert many_weak["scam"] < POLICY.review_threshold


def test_tie_goes_to_the_more_severe_category():
    assert top_category({"scam": 0.7, "child_safety": 0.7}, POLICY) == ("child_safety", 0.7)
    assert top_category({}, POLICY) == (None, 0.0)
    # Above the review threshold the most severe category wins, even with a lower score.
    assert top_category({"adult_content": 0.98, "child_safety": 0.91}, POLICY) == ("child_safety", 0.91)
    assert top_category({"adult_content": 0.98, "child_safety": 0.3}, POLICY) == ("adult_content", 0.98)
    assert top_category({"scam": 0.4, "incitement": 0.2}, POLICY) == ("scam", 0.4)


def test_cluster_context_follows_internal_share_and_evasion_raises_tier():
    strong = Evidence({"incitement": 0.9}, (Reason("lexicon", "riot", "riot", "incitement", 0.9, "riot"),),
                      frozenset({"evasion"}))
    evasive = Evidence({"incitement": 0.6}, (), frozenset({"evasion"}))
    quiet = Evidence({})
    hub = Evidence({})
    clusters, groups = score_clusters(
        ["c-1"], [[0, 1, 2, 3]], ["g0", "g1", "g2", "g3"], [strong, evasive, quiet, hub],
        [1.0, 1.0, 1.0, 0.1], [{}], POLICY,
    )
    (cluster,) = clusters
    assert cluster.category == "incitement" and cluster.flagged
    assert cluster.severity == "P0"  # P1 raised by evasion in two members
    assert cluster.deadline_hours == POLICY.tiers["P0"]
    by_id = {g.group_id: g for g in groups}
    assert by_id["g2"].flagged and by_id["g2"].cluster_id == "c-1"
    assert any(r.signal == "cluster" for r in by_id["g2"].reasons)
    assert not by_id["g3"].flagged  # a hub with 10% of its ties inside is not pulled in
    assert by_id["g2"].severity == "P1"  # no evasion of its own
    assert cluster.reasons[0].sentence.startswith("1 of 4 groups")


def test_scores_are_deterministic():
    args = (["c-1"], [[0, 1]], ["a", "b"], [Evidence({"scam": 0.8}), Evidence({"scam": 0.3})], [1.0, 1.0], [{}],
            POLICY)
    assert score_clusters(*args) == score_clusters(*args)


def test_every_category_score_has_a_reason():
    a = Evidence({"incitement": 0.9, "scam": 0.4}, (Reason("lexicon", "riot", "riot", "incitement", 0.9, "riot"),
                                                    Reason("lexicon", "scam", "x", "scam", 0.4, "scam")))
    b = Evidence({})
    _, groups = score_clusters(["c-1"], [[0, 1]], ["a", "b"], [a, b], [1.0, 1.0], [{}], POLICY)
    for group in groups:
        for category, value in group.categories.items():
            if value > 0:
                assert any(r.category == category for r in group.reasons), (group.group_id, category)


def test_context_does_not_move_a_group_into_a_more_severe_category_without_a_marker():
    """A solicitation group in a cluster that also carries child-safety evidence stays a solicitation case;
    with an explicit icon of its own, category_context reviews it as child_safety, and says so."""
    cs = Evidence({"child_safety": 0.9}, (Reason("lexicon", "cs", "x", "child_safety", 0.9, "cs"),))
    cs2 = Evidence({"child_safety": 0.8}, (Reason("lexicon", "cs", "y", "child_safety", 0.8, "cs"),))
    ss = Evidence({"sexual_solicitation": 0.9}, (Reason("lexicon", "ss", "z", "sexual_solicitation", 0.9, "ss"),))
    quiet = Evidence({})
    args = (["c-1"], [[0, 1, 2, 3]], ["cs", "cs2", "ss", "quiet"], [cs, cs2, ss, quiet], [1.0] * 4, [{}], POLICY)
    _, groups = score_clusters(*args)
    by_id = {g.group_id: g for g in groups}
    assert by_id["ss"].category == "sexual_solicitation" and by_id["ss"].categories["child_safety"] < 0.5
    assert by_id["quiet"].category == "child_safety"  # no category of its own: the network's
    _, groups = score_clusters(*args, features={"ss": {"explicit": 0.9}})
    marked = next(g for g in groups if g.group_id == "ss")
    assert marked.category == "child_safety"
    assert any(r.feature == "category_context" and "explicit icon" in r.sentence for r in marked.reasons)
