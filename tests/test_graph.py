"""Graph: projection, CPM communities on planted structure, PageRank against the networkx twin, stable ids."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from scanner.graph.build import project, typed_graph
from scanner.graph.cluster import communities
from scanner.graph.groups import fold
from scanner.graph.identity import assign_ids, fresh_id
from scanner.graph.propagate import personalized_pagerank, proximity
from scanner.policy import default_policy
from scanner.schema import GroupSnapshot
from tests.support.factories import planted_world


def wa(code: str) -> str:
    return f"https://chat.whatsapp.com/{code:0>22}"


def test_projection_links_admins_and_hubs():
    states, ring = planted_world()
    projection, _ = project(states, {}, default_policy().graph)
    index = {g: i for i, g in enumerate(projection.groups)}
    a, b = index["wa:b0"], index["wa:b1"]
    assert projection.kinds[(min(a, b), max(a, b))] == {"shared_admin": pytest.approx(0.5)}
    assert any("links_to" in k for k in projection.kinds.values())
    policy = default_policy().graph.model_copy(update={"max_groups_per_admin": 5})
    capped, _ = project(states, {}, policy)
    assert any("adm:0" in hub for hub in capped.hubs)


def test_cpm_recovers_the_ring_and_leaves_the_directory_out():
    states, ring = planted_world()
    projection, _ = project(states, {}, default_policy().graph)
    found = communities(projection, 0.05, 42)
    named = [{projection.groups[i] for i in members} for members in found]
    best = max(named, key=lambda members: len(members & set(ring)))
    assert best >= set(ring)
    assert len(best) <= len(ring) + 1
    assert "wa:dir" not in best
    family = next(m for m in named if "wa:b0" in m)
    assert family == {"wa:b0", "wa:b1", "wa:b2"}
    assert communities(projection, 0.05, 42) == found  # deterministic


def test_pagerank_matches_networkx_twin():
    states, _ = planted_world()
    projection, _ = project(states, {}, default_policy().graph)
    adjacency = projection.adjacency()
    seeds = np.zeros(len(projection.groups))
    seeds[[0, 3]] = [1.0, 0.5]
    ours = personalized_pagerank(adjacency, seeds, restart=0.15, max_iter=500)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(projection.groups)))
    for (i, j), w in projection.weights.items():
        graph.add_edge(i, j, weight=w)
    personalization = {i: float(seeds[i]) for i in range(len(seeds))}
    theirs = nx.pagerank(graph, alpha=0.85, personalization=personalization, dangling=personalization,
                         weight="weight", tol=1e-12, max_iter=1000)
    assert np.allclose(ours, [theirs[i] for i in range(len(seeds))], atol=1e-8)


def test_proximity_reaches_ring_members_not_the_directory_or_benign():
    states, ring = planted_world()
    projection, _ = project(states, {}, default_policy().graph)
    index = {g: i for i, g in enumerate(projection.groups)}
    direct = np.zeros(len(projection.groups))
    for gid in ring[:3]:
        direct[index[gid]] = 0.9
    labels = projection.components()
    values = proximity(projection.adjacency(), direct, 0.6, 0.15, 300, labels)
    ring_values = [values[index[g]] for g in ring[3:]]
    assert min(ring_values) > 0.3
    assert values[index["wa:dir"]] < min(ring_values)
    assert max(values[index[f"wa:b{i}"]] for i in range(49)) < 0.1
    assert not proximity(projection.adjacency(), np.zeros_like(direct), 0.6, 0.15, 300, labels).any()


def test_typed_graph_has_kinds_and_times():
    states, ring = planted_world()
    graph = typed_graph(states, {"wa:ring0": "0" * 64, "wa:ring1": "f" + "0" * 63}, 31)
    kinds = {d["kind"] for _, _, d in graph.edges(data=True)}
    assert kinds == {"owns_link", "admin_of", "links_to", "uses_icon", "near_duplicate_icon"}
    edge = next(d for u, v, d in graph.edges(data=True) if d["kind"] == "links_to")
    assert edge["first_seen"].endswith("Z")
    nx.write_graphml(nx.DiGraph(graph), "/dev/null")  # exportable as evidence


def test_stable_ids_follow_overlap_and_fresh_ids_are_deterministic():
    first = assign_ids([["a", "b", "c"], ["d"]], {})
    assert first == [fresh_id(["a", "b", "c"]), fresh_id(["d"])]
    previous = {first[0]: frozenset("abc"), first[1]: frozenset("d")}
    grown = assign_ids([["a", "b", "c", "e"], ["d"]], previous)
    assert grown == first
    renamed_min = assign_ids([["0", "a", "b", "c"]], previous)
    assert renamed_min == [first[0]]
    split = assign_ids([["a"], ["b", "c", "x", "y"]], {first[0]: frozenset("abc")})
    assert len(set(split)) == 2 and first[0] not in split  # jaccard below 0.5 for both halves


def test_fast_backend_agrees_with_networkx_twin_on_sample_groups():
    import json

    from scanner.graph.backend import FastBackend, NetworkxBackend
    from tests.support.factories import SAMPLE

    records = []
    for line in (SAMPLE / "groups.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            records.append(GroupSnapshot.model_validate(json.loads(line)))
        except Exception:  # the sample's three deliberately malformed lines
            continue
    projection, _ = project(fold(records), {}, default_policy().graph)
    fast, twin = FastBackend(), NetworkxBackend()
    assert np.array_equal(fast.components(projection), twin.components(projection))
    seeds = np.zeros(len(projection.groups))
    seeds[np.flatnonzero(fast.components(projection) == 0)[:5]] = 1.0
    assert np.allclose(fast.personalized_rank(projection, seeds, 0.15, 300),
                       twin.personalized_rank(projection, seeds, 0.15, 300), atol=1e-9)


def _two_worlds():
    """The planted world, and the same world beside a second, disjoint copy of it (ids prefixed ``x``, sorted
    before it, so every index of the first world shifts)."""
    states, ring = planted_world()
    records = []
    for gid, state in states.items():
        snap = state.latest
        records.append(snap.model_copy(update={
            "group_id": "a" + gid,
            "admins": ["x" + a for a in snap.admins],
            "own_invite_links": [u.replace("/0", "/X", 1) for u in snap.own_invite_links],
            "posted_invite_links": [p.model_copy(update={"url": p.url.replace("/0", "/X", 1)})
                                    for p in snap.posted_invite_links]}))
    both = fold([*records, *(s.latest for s in states.values())])
    return states, both, ring


def test_a_component_partition_and_rank_do_not_depend_on_other_components():
    states, both, ring = _two_worlds()
    alone, _ = project(states, {}, default_policy().graph)
    joint, _ = project(both, {}, default_policy().graph)
    assert joint.edges == 2 * alone.edges  # the copy is disjoint and the same shape
    shift = len(both) - len(states)
    named_alone = [[alone.groups[i] for i in c] for c in communities(alone, 0.05, 42)]
    named_joint = [[joint.groups[i] for i in c] for c in communities(joint, 0.05, 42)]
    assert [c for c in named_joint if not c[0].startswith("a")] == named_alone
    # Partitioning only the components of some groups gives those components' communities, the same ones.
    mask = np.zeros(len(joint.groups), dtype=bool)
    mask[joint.groups.index("wa:ring3")] = True
    only = [[joint.groups[i] for i in c] for c in communities(joint, 0.05, 42, only=mask)]
    labels = joint.components()
    home = labels[joint.groups.index("wa:ring3")]
    assert only == [c for c in named_joint if labels[joint.groups.index(c[0])] == home]
    assert len(only) > 3 and any(set(ring) <= set(c) for c in only)
    # Proximity: seeds in both worlds, and the first world's figures are bit for bit those it has alone.
    index_alone = {g: i for i, g in enumerate(alone.groups)}
    direct_alone = np.zeros(len(alone.groups))
    direct_joint = np.zeros(len(joint.groups))
    for gid in ring[:3]:
        direct_alone[index_alone[gid]] = 0.9
        direct_joint[shift + index_alone[gid]] = 0.9
    direct_joint[joint.groups.index("awa:ring7")] = 0.7  # the other world's seed, weaker
    by_alone = proximity(alone.adjacency(), direct_alone, 0.6, 0.15, 300, alone.components())
    by_joint = proximity(joint.adjacency(), direct_joint, 0.6, 0.15, 300, joint.components())
    assert np.array_equal(by_joint[shift:], by_alone)
    assert by_joint[joint.groups.index("awa:ring7")] == 1.0  # the other world's own seed is its reference
    assert by_joint[:shift].any()


def test_component_pagerank_is_each_component_solved_alone():
    from scanner.graph.propagate import component_pagerank

    _, both, _ = _two_worlds()
    joint, _ = project(both, {}, default_policy().graph)
    labels = joint.components()
    seeds = np.zeros(len(joint.groups))
    seeds[[joint.groups.index("wa:ring0"), joint.groups.index("awa:ring5"), joint.groups.index("awa:ring6")]] = 1
    seeds[joint.groups.index("wa:b45")] = 1.0  # an isolated seed: its walk stays on it
    rank = component_pagerank(joint.adjacency(), seeds, labels, 0.15, 500)
    for label in np.unique(labels[seeds > 0]):
        members = np.flatnonzero(labels == label)
        sub = joint.adjacency()[members][:, members]
        alone = personalized_pagerank(sub, seeds[members], 0.15, 500)
        assert np.allclose(rank[members], alone, atol=1e-10)
        assert rank[members].sum() == pytest.approx(1.0)
    assert not rank[~np.isin(labels, labels[seeds > 0])].any()


def test_a_pair_is_joined_as_igraph_joins_it():
    """Components of two groups skip igraph: check the shortcut against igraph's own CPM Leiden."""
    import igraph as ig

    from scanner.graph.build import Projection

    for weight in (0.01, 0.049, 0.051, 0.5, 2.0):
        projection = Projection.from_edges(["a", "b", "c"], [("links_to", np.array([0]), np.array([2]),
                                                              np.array([weight]))])
        ours = communities(projection, 0.05, 42)
        graph = ig.Graph(n=2, edges=[(0, 1)])
        theirs = graph.community_leiden(objective_function="CPM", weights=[weight], resolution=0.05,
                                        n_iterations=-1).membership
        assert (ours == [[0, 2], [1]]) == (theirs[0] == theirs[1]), weight
