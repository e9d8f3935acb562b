"""Exports of stored results for people and tools: a cluster's typed graph (GraphML opens in Gephi, Cytoscape,
yEd, and goes into evidence bundles)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import BinaryIO

import networkx as nx
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scanner.graph.build import group_node, typed_graph
from scanner.graph.groups import fold
from scanner.policy import Policy
from scanner.schema import stored_snapshot
from scanner.store.models import ClusterMember, Group, Snapshot


class NotFound(LookupError):
    pass


def cluster_graph(engine: Engine, cluster_id: str, policy: Policy) -> nx.MultiDiGraph:
    """The typed graph of one cluster's groups, their admins, icons and invite links, with each group's risk."""
    with Session(engine) as session:
        query = select(ClusterMember.group_id).where(ClusterMember.cluster_id == cluster_id)
        members = sorted(session.exec(query).all())
        if not members:
            raise NotFound(f"no cluster {cluster_id!r}")
        payloads = session.exec(select(Snapshot.payload).where(col(Snapshot.group_id).in_(members))
                                .order_by(col(Snapshot.group_id), col(Snapshot.observed_at), col(Snapshot.id))).all()
        rows = {g.group_id: g for g in session.exec(select(Group).where(col(Group.group_id).in_(members))).all()}
    states = fold(stored_snapshot(p) for p in payloads)
    pdq = {g: row.pdq for g, row in rows.items() if row.pdq}
    graph = typed_graph(states, pdq, policy.graph.near_duplicate_radius)
    for gid, row in rows.items():
        graph.nodes[group_node(gid)].update(risk=row.risk, category=row.category or "", flagged=row.flagged,
                                            cluster_id=row.cluster_id)
    graph.graph["cluster_id"] = cluster_id
    return graph


def write_graphml(graph: nx.MultiDiGraph, path: Path | BinaryIO) -> None:
    """GraphML refuses None values; absent attributes are simply left out. Nodes and edges are written in sorted
    order, so the same graph always gives the same bytes (evidence bundles are compared by hash)."""
    clean = nx.MultiDiGraph(**{k: v for k, v in sorted(graph.graph.items()) if v is not None})
    for node, data in sorted(graph.nodes(data=True), key=lambda item: str(item[0])):
        clean.add_node(node, **{k: v for k, v in sorted(data.items()) if v is not None})
    edges = sorted(graph.edges(data=True), key=lambda e: (str(e[0]), str(e[1]), json.dumps(e[2], sort_keys=True,
                                                                                          default=str)))
    for u, v, data in edges:
        clean.add_edge(u, v, **{k: val for k, val in sorted(data.items()) if val is not None})
    nx.write_graphml(clean, path)
