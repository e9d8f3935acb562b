"""The cluster graph as a plotly figure: groups coloured by risk, admins, icons and invite links in muted
shapes. Each group point carries its id in ``customdata`` so a click can open it."""

from __future__ import annotations

import plotly.graph_objects as go

KIND_STYLE = {
    "admin": ("diamond", "#6c757d", "admin"),
    "icon": ("square", "#9467bd", "icon"),
    "invite_link": ("circle-open", "#17becf", "invite link"),
}


def figure(graph: dict) -> go.Figure:
    position = {n["id"]: (n["x"], n["y"]) for n in graph["nodes"]}
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    for edge in graph["edges"]:
        if edge["source"] in position and edge["target"] in position:
            (x0, y0), (x1, y1) = position[edge["source"]], position[edge["target"]]
            edge_x += [x0, x1, None]
            edge_y += [y0, y1, None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=edge_x, y=edge_y, mode="lines", line={"width": 0.6, "color": "#bbbbbb"},
                             hoverinfo="skip", showlegend=False))
    for kind, (symbol, colour, label) in KIND_STYLE.items():
        nodes = [n for n in graph["nodes"] if n["kind"] == kind]
        if nodes:
            fig.add_trace(go.Scatter(
                x=[n["x"] for n in nodes], y=[n["y"] for n in nodes], mode="markers", name=label,
                marker={"symbol": symbol, "size": 8, "color": colour},
                text=[n["id"].split(":", 1)[-1][:40] for n in nodes], hoverinfo="text"))
    groups = [n for n in graph["nodes"] if n["kind"] == "group"]
    fig.add_trace(go.Scatter(
        x=[n["x"] for n in groups], y=[n["y"] for n in groups], mode="markers", name="group",
        marker={"size": 14, "color": [n["risk"] for n in groups], "colorscale": "YlOrRd", "cmin": 0, "cmax": 1,
                "line": {"width": 1, "color": "#333"}, "colorbar": {"title": "risk", "thickness": 12}},
        customdata=[n["id"].removeprefix("group:") for n in groups],
        text=[f"{n['label']}<br>risk {n['risk']:.2f} {n['category']}" for n in groups], hoverinfo="text"))
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
