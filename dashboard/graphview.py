"""The cluster graph as a plotly figure that explains: groups coloured by their own evidence (on a hash list, own
text, own icon, or only tied in), admins and icons sized by how many groups they tie, a focus mode (one group
and its neighbours), and the same ties as a table for screen readers. Each group point carries its id in
``customdata`` so a click can open it. Labels go through the translation layer."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
import plotly.graph_objects as go

from dashboard.i18n import _

KIND_STYLE = {
    "admin": ("diamond", "#6c757d"),
    "icon": ("square", "#9467bd"),
    "invite_link": ("circle-open", "#17becf"),
}
EVIDENCE_COLOUR = {"hash": "#b2182b", "text": "#ef8a62", "icon": "#8c6bb1", "inherited": "#bdbdbd"}
TEXT_SIGNALS = {"lexicon", "text_model"}
ICON_SIGNALS = {"icon", "icon+lexicon"}


def kind_label(kind: str) -> str:
    return {"admin": _("admin"), "icon": _("icon"), "invite_link": _("invite link")}.get(kind, kind)


def evidence_label(kind: str) -> str:
    return {"hash": _("on a hash list"), "text": _("its own text"), "icon": _("its own icon"),
            "inherited": _("only through its ties")}[kind]


def evidence_of(reasons: list[dict]) -> str:
    """A group's strongest evidence of its own: hash list, then text, then icon; else only inherited (graph)."""
    signals = {str(r.get("signal", "")) for r in reasons}
    if "hash_bank" in signals:
        return "hash"
    if signals & TEXT_SIGNALS:
        return "text"
    if signals & ICON_SIGNALS:
        return "icon"
    return "inherited"


def focused(graph: dict, group_id: str | None, hops: int = 2) -> dict:
    """Only ``group_id`` and what lies within ``hops`` ties of it (a group, its admins/icons/links, their groups)."""
    if not group_id:
        return graph
    simple = nx.Graph()
    simple.add_nodes_from(n["id"] for n in graph["nodes"])
    simple.add_edges_from((e["source"], e["target"]) for e in graph["edges"])
    start = f"group:{group_id}"
    if start not in simple:
        return graph
    keep = set(nx.single_source_shortest_path_length(simple, start, cutoff=hops))
    return {**graph, "nodes": [n for n in graph["nodes"] if n["id"] in keep],
            "edges": [e for e in graph["edges"] if e["source"] in keep and e["target"] in keep]}


def ties(graph: dict, names: dict[str, str]) -> list[dict]:
    """Each admin, icon and invite link with the groups it ties, most groups first (the graph as a table)."""
    groups_of: dict[str, set[str]] = defaultdict(set)
    kinds = {n["id"]: n["kind"] for n in graph["nodes"]}
    for edge in graph["edges"]:
        for tie, other in ((edge["source"], edge["target"]), (edge["target"], edge["source"])):
            if kinds.get(tie) in KIND_STYLE and kinds.get(other) == "group":
                groups_of[tie].add(other.removeprefix("group:"))
    rows = [{_("tie"): kind_label(kinds[tie]), _("which"): tie.split(":", 1)[-1][:60], _("groups"): len(groups),
             _("group names"): ", ".join(sorted(names.get(g, g) for g in groups))[:300]}
            for tie, groups in groups_of.items() if len(groups) > 1]
    return sorted(rows, key=lambda r: (-int(r[_("groups")]), str(r[_("which")])))


def figure(graph: dict, evidence: dict[str, str] | None = None, names: dict[str, str] | None = None) -> go.Figure:
    evidence = evidence or {}
    names = names or {}
    position = {n["id"]: (n["x"], n["y"]) for n in graph["nodes"]}
    degree: dict[str, int] = defaultdict(int)
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    for edge in graph["edges"]:
        degree[edge["source"]] += 1
        degree[edge["target"]] += 1
        if edge["source"] in position and edge["target"] in position:
            (x0, y0), (x1, y1) = position[edge["source"]], position[edge["target"]]
            edge_x += [x0, x1, None]
            edge_y += [y0, y1, None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=edge_x, y=edge_y, mode="lines", line={"width": 0.6, "color": "#cccccc"},
                             hoverinfo="skip", showlegend=False))
    for kind, (symbol, colour) in KIND_STYLE.items():
        nodes = [n for n in graph["nodes"] if n["kind"] == kind]
        if nodes:
            fig.add_trace(go.Scatter(
                x=[n["x"] for n in nodes], y=[n["y"] for n in nodes], mode="markers", name=kind_label(kind),
                marker={"symbol": symbol, "color": colour,
                        "size": [6 + 2 * min(degree[n["id"]], 10) for n in nodes]},
                text=[f"{kind_label(kind)} {n['id'].split(':', 1)[-1][:40]}<br>"
                      + _("ties {n} groups", n=degree[n["id"]]) for n in nodes], hoverinfo="text"))
    groups = [n for n in graph["nodes"] if n["kind"] == "group"]
    for kind, colour in EVIDENCE_COLOUR.items():
        chosen = [n for n in groups if evidence.get(n["id"].removeprefix("group:"), "inherited") == kind]
        if not chosen:
            continue
        fig.add_trace(go.Scatter(
            x=[n["x"] for n in chosen], y=[n["y"] for n in chosen], mode="markers",
            name=_("group: {evidence}", evidence=evidence_label(kind)),
            marker={"size": [10 + 8 * float(n["risk"]) for n in chosen], "color": colour,
                    "line": {"width": 1, "color": "#333"}},
            customdata=[n["id"].removeprefix("group:") for n in chosen],
            text=[f"{names.get(n['id'].removeprefix('group:'), n['label'])}<br>{_('risk')} {n['risk']:.2f}"
                  for n in chosen], hoverinfo="text"))
    fig.update_layout(height=480, margin={"l": 0, "r": 0, "t": 10, "b": 0}, clickmode="event+select",
                      xaxis={"visible": False}, yaxis={"visible": False}, legend={"orientation": "h"},
                      dragmode="pan")
    return fig


def selected_group(event: object) -> str | None:
    """The group id of the clicked point, from ``st.plotly_chart(on_select=...)``'s event, if a group."""
    try:
        points = event["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    for point in points:
        data = point.get("customdata")
        if isinstance(data, list) and data:
            data = data[0]
        if isinstance(data, str):
            return data
    return None
