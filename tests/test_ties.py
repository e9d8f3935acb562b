"""Ties (scanner.graph.ties): the graph cannot be turned against bystanders. Link-spam poisoning, a bridge admin
and a group that renames itself leave the innocent groups unflagged (shown as *connected* to the case); a
respawn and a camouflaged ring are still found, the ring as child_safety; every tie that moved a score is
named with its kind, direction and the other group; the fast support and walk agree with their slow twins."""

from __future__ import annotations

import random

import numpy as np
import pytest

from scanner.engine.pipeline import run_scan
from scanner.graph.backend import FastBackend, NetworkxBackend
from scanner.graph.build import project
from scanner.graph.groups import fold
from scanner.graph.ties import (
    NetworkSupport,
    category_support,
    support,
    support_reference,
    tie_strengths,
)
from scanner.policy import default_policy
from scanner.schema import GroupSnapshot
from scanner.store.db import open_database
from scanner.store.queries import cluster_dicts, group_detail, group_dicts
from tests.support.factories import planted_world, snapshot, write_jsonl


def tg(code: str) -> str:
    return f"https://t.me/+{code:A<16}"


def adversarial_records() -> list[dict]:
    """A child-safety ring of 8 (cross-posting, one shared admin) that posts the links of 5 popular benign groups;
    a runners' club sharing one admin with a ring group; a respawn of a ring group; a camouflaged ring of 5 study
    groups with explicit icons (upstream scores) linked both ways with the ring; a school family of 4 in which
    one group renames itself to an abusive name."""
    rng = random.Random(5)
    records = []
    day = "2026-09-10T10:00:00Z"
    for i in range(8):
        targets = rng.sample([j for j in range(8) if j != i], 3)
        posted = [{"url": tg(f"R{t}")} for t in targets] + [{"url": tg(f"P{i % 5}")}]
        if i < 5:
            posted.append({"url": tg(f"S{i}")})  # the camouflaged ring
        if i == 0:
            posted.append({"url": tg("NEW0")})  # announces its respawn
        records.append(snapshot(f"tg:ring{i}", platform="telegram", name=f"teen xxx club {i}", observed_at=day,
                                created_at="2026-08-01T00:00:00Z", own_invite_links=[tg(f"R{i}")],
                                admins=["tg:user:ringadmin", f"tg:user:solo{i}"], posted_invite_links=posted))
    records.append(snapshot("tg:respawn", platform="telegram", name="teen xxx club 0 new link", observed_at=day,
                            created_at="2026-09-05T00:00:00Z", own_invite_links=[tg("NEW0")]))
    for i, name in enumerate(["Cricket fans India", "Exam news updates", "Job alerts daily", "IPL live score",
                              "Govt jobs info"]):
        records.append(snapshot(f"tg:popular{i}", platform="telegram", name=name, member_count=15000,
                                observed_at=day, created_at="2021-01-01T00:00:00Z", own_invite_links=[tg(f"P{i}")],
                                admins=[f"tg:user:pop{i}"]))
    records.append(snapshot("tg:club", platform="telegram", name="Sunday Runners Club", observed_at=day,
                            own_invite_links=[tg("CLUB")], admins=["tg:user:solo3", "tg:user:clubowner"]))
    for i, name in enumerate(["study material hub", "notes sharing group", "exam notes pdf", "revision notes",
                              "formula sheets"]):
        posted = [{"url": tg(f"S{(i + 1) % 5}")}, {"url": tg(f"S{(i + 2) % 5}")}, {"url": tg(f"R{i}")}]
        records.append(snapshot(f"tg:study{i}", platform="telegram", name=name, observed_at=day,
                                own_invite_links=[tg(f"S{i}")], admins=["tg:user:studyadmin"],
                                posted_invite_links=posted, icon_signals={"classifier": {"explicit": 0.9}}))
    for i, letter in enumerate("ABCD"):
        posted = [{"url": tg(f"F{(i + 1) % 4}")}, {"url": tg(f"F{(i + 2) % 4}")}]
        records.append(snapshot(f"tg:family{i}", platform="telegram", name=f"Holy Cross class 7{letter} parents",
                                observed_at=day, own_invite_links=[tg(f"F{i}")],
                                admins=["tg:user:teacher", f"tg:user:parent{i}"], posted_invite_links=posted))
    records.append(snapshot("tg:family0", platform="telegram", name="teen xxx hot grp",
                            observed_at="2026-09-20T10:00:00Z", own_invite_links=[tg("F0")],
                            admins=["tg:user:teacher", "tg:user:parent0"],
                            posted_invite_links=[{"url": tg("F1")}, {"url": tg("F2")}]))
    return records


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    data = tmp_path_factory.mktemp("adversarial")
    write_jsonl(data / "groups.jsonl", adversarial_records())
    engine = open_database(str(data / "scan.db"))
    run_scan(engine, data, default_policy())
    groups = {g["group_id"]: g for g in group_dicts(engine)}
    yield engine, groups
    engine.dispose()


def test_link_spam_poisoning_flags_no_bystander(scanned):
    engine, groups = scanned
    assert all(groups[f"tg:ring{i}"]["flagged"] and groups[f"tg:ring{i}"]["severity"] == "P0" for i in range(8))
    for i in range(5):
        victim = groups[f"tg:popular{i}"]
        assert not victim["flagged"] and victim["severity"] is None, victim
        ring_cluster = groups["tg:ring0"]["cluster_id"]
        if victim["cluster_id"] == ring_cluster:
            assert victim["membership"] == "connected"
            assert victim["group_id"] in next(c for c in cluster_dicts(engine)
                                              if c["cluster_id"] == ring_cluster)["connected"]


def test_a_bridge_admin_is_not_the_network(scanned):
    _, groups = scanned
    club = groups["tg:club"]
    assert not club["flagged"] and club["severity"] != "P0"
    assert all(r["feature"] != "context" for r in club["reasons"])


def test_a_respawn_is_still_a_member_with_its_tie_named(scanned):
    engine, groups = scanned
    respawn = groups["tg:respawn"]
    assert respawn["flagged"] and respawn["membership"] == "member" and "evasion" in respawn["modifiers"]
    detail = group_detail(engine, "tg:respawn")
    assert detail["ties"], detail["reasons"]
    kinds = {(t["kind"], t["direction"], t["group_id"]) for t in detail["ties"]}
    assert ("successor_of", "respawn", "tg:ring0") in kinds or ("links_to", "inbound", "tg:ring0") in kinds


def test_the_camouflaged_ring_is_reviewed_as_child_safety(scanned):
    _, groups = scanned
    for i in range(5):
        group = groups[f"tg:study{i}"]
        assert group["flagged"] and group["category"] == "child_safety", group
        assert group["membership"] == "member"


def test_one_group_renaming_itself_does_not_drag_its_family(scanned):
    engine, groups = scanned
    renamed = groups["tg:family0"]
    assert renamed["flagged"] and renamed["category"] == "child_safety"
    for i in (1, 2, 3):
        sibling = groups[f"tg:family{i}"]
        assert not sibling["flagged"], sibling
    detail = group_detail(engine, "tg:family1")
    if detail["cluster"]["cluster_id"] == renamed["cluster_id"]:
        assert detail["membership"] == "connected"
        assert any(t["group_id"] == "tg:family0" for t in detail["ties"])


def test_every_context_reason_names_its_ties(scanned):
    engine, groups = scanned
    for gid, group in groups.items():
        if any(r["signal"] == "cluster" and r["feature"] == "context" for r in group["reasons"]):
            ties = group_detail(engine, gid)["ties"]
            assert ties and all(t["kind"] and t["direction"] and t["group_id"] in groups for t in ties), gid


def _counted(projection, successions, harmful) -> set[tuple[int, int]]:
    """The ordered pairs (i, j) of ties that count for i, j being in the harmful set, as the slow twin reads them:
    both ends of every edge, and each respawn for its successor."""
    counts = {(int(a), int(b)) for a, b in zip(projection.src, projection.dst, strict=True) if harmful[b]}
    counts |= {(int(b), int(a)) for a, b in zip(projection.src, projection.dst, strict=True) if harmful[a]}
    return counts | {(after, before) for before, after in successions if harmful[before]}


def test_support_agrees_with_its_slow_twin():
    states, ring = planted_world()
    policy = default_policy().graph
    projection, _ = project(states, {}, policy)
    rng = np.random.default_rng(3)
    n = len(projection.groups)
    harmful = rng.random(n) < 0.4
    successions = [(0, 5), (7, 2)]
    ties = tie_strengths(projection, policy.edge_weights, policy.ties, successions)
    fast = support(projection, ties, harmful[projection.dst], harmful[projection.src],
                   harmful[ties.extra[1]], policy.ties)
    counts = _counted(projection, successions, harmful)
    slow = support_reference(projection, policy.edge_weights, policy.ties, counts, successions)
    assert np.allclose(fast, slow, atol=1e-12)
    assert fast.max() > 0.7 and (fast == 0).any()


def test_inbound_links_alone_never_make_a_member():
    policy = default_policy().graph
    records = [snapshot(f"wa:s{i}", own_invite_links=[f"https://chat.whatsapp.com/{'S' + str(i):0>22}"],
                        posted_invite_links=[{"url": f"https://chat.whatsapp.com/{'V':0>22}"}]) for i in range(30)]
    records.append(snapshot("wa:victim", own_invite_links=[f"https://chat.whatsapp.com/{'V':0>22}"]))
    states = fold(GroupSnapshot.model_validate(r) for r in records)
    projection, _ = project(states, {}, policy)
    ties = tie_strengths(projection, policy.edge_weights, policy.ties)
    everyone = np.ones(projection.edges, dtype=bool)
    value = support(projection, ties, everyone, everyone, np.zeros(0, dtype=bool), policy.ties)
    victim = projection.groups.index("wa:victim")
    assert value[victim] == pytest.approx(policy.ties.inbound_max)  # 30 spammers weigh as much as inbound_max
    assert value[victim] < policy.ties.member_min
    assert value[projection.groups.index("wa:s0")] == pytest.approx(policy.ties.posted_by_it)


def test_the_directed_walk_agrees_with_its_networkx_twin():
    states, _ = planted_world()
    projection, _ = project(states, {}, default_policy().graph)
    assert projection.inbound < 1
    walk = projection.walk()
    assert (walk != walk.T).nnz > 0  # direction matters on this graph
    seeds = np.zeros(len(projection.groups))
    seeds[[0, 3]] = [1.0, 0.5]
    fast = FastBackend().personalized_rank(projection, seeds, 0.15, 300)
    twin = NetworkxBackend().personalized_rank(projection, seeds, 0.15, 300)
    assert np.allclose(fast, twin, atol=1e-9)
    # The directory posted ring links (its own act): the walk reaches it more than the groups it did not choose.
    index = {g: i for i, g in enumerate(projection.groups)}
    assert walk[index["wa:ring0"], index["wa:dir"]] > walk[index["wa:dir"], index["wa:ring0"]]


def test_a_respawn_alone_is_support_when_no_edge_counts():
    states, _ = planted_world()
    policy = default_policy().graph
    projection, _ = project(states, {}, policy)
    ties = tie_strengths(projection, policy.edge_weights, policy.ties, [(0, 5)])
    nothing = np.zeros(projection.edges, dtype=bool)
    value = support(projection, ties, nothing, nothing, np.array([True]), policy.ties)
    assert value[5] == pytest.approx(policy.ties.successor) and value.sum() == pytest.approx(policy.ties.successor)


def test_a_whole_cluster_decision_leaves_connected_groups_out(tmp_path):
    """A violating decision makes its groups confirmed seeds of the next scan: on the whole cluster it covers the
    ring's members, not the popular groups whose links the ring posted (a moderator may still pick one)."""
    from scanner.auth.users import add_user
    from scanner.review.case_view import case_detail
    from scanner.review.decisions import claim, confirmed_groups, decide

    write_jsonl(tmp_path / "groups.jsonl", adversarial_records())
    engine = open_database(str(tmp_path / "scan.db"))
    policy = default_policy()
    run_scan(engine, tmp_path, policy)
    groups = {g["group_id"]: g for g in group_dicts(engine)}
    case_id = groups["tg:ring0"]["cluster_id"]
    connected = {g for g, row in groups.items() if row["cluster_id"] == case_id and row["membership"] == "connected"}
    assert {g for g in connected if g.startswith("tg:popular")}, "the poisoned groups should sit in the ring's case"
    moderator = add_user(engine, "mod", "moderator", "a long enough passphrase")
    detail = case_detail(engine, moderator, case_id)
    assert detail["decision_size"] == detail["size"] - len(connected)
    assert {m["group_id"] for m in detail["members"] if m["membership"] == "connected"} == connected

    claim(engine, moderator, case_id, policy)
    decide(engine, moderator, case_id, "violating", policy, note="the ring cross-posts its links",
           category="child_safety", confirmed_groups=detail["decision_size"])
    confirmed = confirmed_groups(engine)
    assert "tg:ring0" in confirmed and not connected & set(confirmed)

    run_scan(engine, tmp_path, policy)  # the confirmation seeds the next scan; the victims stay unflagged
    after = {g["group_id"]: g for g in group_dicts(engine)}
    assert all(not after[g]["flagged"] for g in connected if g.startswith("tg:popular"))
    engine.dispose()


def _scan(tmp_path, records):
    write_jsonl(tmp_path / "groups.jsonl", records)
    engine = open_database(str(tmp_path / "scan.db"))
    try:
        run_scan(engine, tmp_path, default_policy())
        return {g["group_id"]: g for g in group_dicts(engine)}
    finally:
        engine.dispose()


def test_a_dense_community_does_not_inherit_one_members_evidence(tmp_path):
    """A school's twelve groups post each other's links and share the school's admin; one of them carries
    child-safety wording (misread or hijacked). Risk is carried by the groups with evidence: the other eleven
    inherit nothing through ties to groups that have none (before per-category ties, all twelve were P0)."""
    day = "2026-09-10T10:00:00Z"
    records = []
    for i in range(12):
        posted = [{"url": tg(f"SCH{(i + k) % 12}")} for k in (1, 2, 3)]
        name = {0: "class 8 school girls paid collection new link",
                1: "kids annual day photos collection"}.get(i, f"St Marys school section {i}")
        records.append(snapshot(f"wa:school{i}", name=name, observed_at=day, own_invite_links=[tg(f"SCH{i}")],
                                admins=["wa:user:principal", f"wa:user:teacher{i}"], posted_invite_links=posted))
    groups = _scan(tmp_path, records)
    assert groups["wa:school0"]["flagged"] and groups["wa:school0"]["category"] == "child_safety"
    # Groups 2-8 have no tie of their own to the two with evidence; group 9 posted one of their links (a tie,
    # not membership); 10 and 11 posted both (two strong ties of their own: reviewed with them).
    flagged = {g["group_id"] for g in groups.values() if g["flagged"]}
    assert flagged <= {"wa:school0", "wa:school1", "wa:school10", "wa:school11"}, flagged


def test_a_camouflaged_ring_in_a_cluster_of_its_own_is_child_safety(tmp_path):
    """Six study-notes groups with explicit icons (upstream scores), two with minor and trade wording, posting
    each other's links, one link to a child-safety chain: the ring is its own cluster, a child-safety case, and
    each member, whose own evidence is only its icon, is reviewed as child_safety (fusion.category_context)."""
    day = "2026-09-10T10:00:00Z"
    records = []
    for i in range(4):
        posted = [{"url": tg(f"CH{i + 1}")}] if i < 3 else []
        records.append(snapshot(f"tg:chain{i}", platform="telegram", name=f"teen xxx club {i} backup new link",
                                observed_at=day, own_invite_links=[tg(f"CH{i}")], posted_invite_links=posted,
                                admins=["tg:user:chainadmin"]))
    descriptions = ["class 6 batch, fees by payment, private group", "class 9 batch, payment first, no forwards"]
    for i in range(6):
        posted = [{"url": tg(f"ST{(i + k) % 6}")} for k in (1, 2)]
        if i == 0:
            posted.append({"url": tg("CH0")})
        records.append(snapshot(f"tg:study{i}", platform="telegram", name=f"Science notes {i}", observed_at=day,
                                description=descriptions[i] if i < 2 else "Notes and worksheets shared daily.",
                                own_invite_links=[tg(f"ST{i}")], posted_invite_links=posted,
                                admins=[f"tg:user:notes{i % 2}"], icon_signals={"classifier": {"explicit": 0.92}}))
    groups = _scan(tmp_path, records)
    for i in range(6):
        group = groups[f"tg:study{i}"]
        assert group["flagged"] and group["category"] == "child_safety", group
    # Study group 4's own evidence is its icon: child_safety came from the ring, and its reasons say so.
    assert any(r["signal"] in ("cluster", "graph") and r["category"] == "child_safety" and r["weight"] > 0
               for r in groups["tg:study4"]["reasons"])


def test_category_support_agrees_with_its_slow_twin():
    states, _ = planted_world()
    policy = default_policy().graph
    projection, _ = project(states, {}, policy)
    rng = np.random.default_rng(5)
    n = len(projection.groups)
    harmful = rng.random(n) < 0.5
    own = np.where(rng.random(n) < 0.5, rng.random(n), 0.0)
    marked = rng.random(n) < 0.2
    successions = [(0, 5), (7, 2)]
    ties = tie_strengths(projection, policy.edge_weights, policy.ties, successions)
    network = NetworkSupport(ties, np.zeros(n), np.zeros(n, dtype=bool), np.zeros(n), harmful[projection.dst],
                             harmful[projection.src], harmful[ties.extra[1]])
    fast = category_support(projection, network, own, policy.ties, marked)
    for has, value in ((own >= policy.ties.own_min, fast.context),
                       ((own >= policy.ties.own_min) | marked, fast.support)):
        counts = _counted(projection, successions, harmful & has)
        slow = support_reference(projection, policy.edge_weights, policy.ties, counts, successions)
        assert np.allclose(value, slow, atol=1e-12)
        if value is fast.context:
            strongest = [max((float(own[j]) for i2, j in counts if i2 == i), default=0.0) for i in range(n)]
            assert np.allclose(fast.strongest, strongest)
    assert (fast.support >= fast.context).all() and (fast.support > fast.context).any()


def test_a_respawns_predecessor_is_a_tie_even_when_nothing_was_inherited():
    from scanner.store.queries import ties_of

    reasons = [{"signal": "graph", "feature": "successor_of", "value": "tg:old", "category": "evasion", "weight": 0.54},
               {"signal": "graph", "feature": "tie", "value": "successor_of|respawn|tg:old|0.9", "category": "cs"},
               {"signal": "graph", "feature": "tie", "value": "links_to|inbound|tg:a|b|0.3", "category": "cs"},
               {"signal": "lexicon", "feature": "minor+sexual", "value": "x", "category": "cs", "weight": 0.9}]
    ties = ties_of(reasons)
    assert [(t["kind"], t["group_id"], t["strength"]) for t in ties] == [
        ("successor_of", "tg:old", 0.9), ("links_to", "tg:a|b", 0.3)]
    assert ties_of(reasons[:1]) == [{"kind": "successor_of", "direction": "respawn", "group_id": "tg:old",
                                     "strength": 0.54, "category": "evasion"}]
