"""Review metrics with charts a lead can screenshot for a report."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import plain, state
from dashboard.i18n import _
from scanner.review.metrics import review_metrics

who = state.user()
assert who is not None
data = review_metrics(state.engine(), who)
st.title(_("Review metrics"))
cols = st.columns(4)
cols[0].metric(_("Open cases"), data["open_total"])
cols[1].metric(_("Open past deadline"), data["breached_open"])
overall = data["overall"]


def spread(stats: dict) -> str:
    if not stats["n"]:
        return "–"
    return f"{plain.hours(stats['median_h'])} / {plain.hours(stats['p90_h'])}"


def spread_one(stats: dict, key: str) -> str:
    return plain.hours(stats[key]) if stats.get(key) is not None else "–"


cols[2].metric(_("Time to first action (median / p90)"), spread(overall["first_action"]))
cols[3].metric(_("Time to decision (median / p90)"), spread(overall["decision"]))

open_frame = pd.DataFrame([{"severity": k, "cases": v} for k, v in data["open_by_severity"].items()])
if not open_frame.empty:
    st.plotly_chart(px.bar(open_frame, x="severity", y="cases", title=_("Open cases by severity"),
                           color="severity", color_discrete_map={"P0": "#d62728", "P1": "#ff7f0e",
                                                                 "P2": "#1f77b4", "P3": "#7f7f7f"}),
                    key="open_chart")
rows = []
for item in data["per_category_week"]:
    for kind in ("first_action", "decision"):
        for stat in ("median_h", "p90_h"):
            if item[kind][stat] is not None:
                rows.append({"week": item["week"], "category": item["category"],
                             "measure": f"{kind.replace('_', ' ')} {stat.removesuffix('_h')}",
                             "hours": item[kind][stat]})
times = pd.DataFrame(rows)
if not times.empty:
    st.plotly_chart(px.bar(times, x="week", y="hours", color="category", barmode="group", facet_row="measure",
                           title=_("Hours to first action and to decision, per category and week"), height=700),
                    key="time_chart")
breaches = pd.DataFrame([{"week": i["week"], "category": i["category"], "breaches": i["breaches"]}
                         for i in data["per_category_week"] if i["breaches"]])
if not breaches.empty:
    st.plotly_chart(px.bar(breaches, x="week", y="breaches", color="category", title=_("Deadline breaches")),
                    key="breach_chart")
moderators = pd.DataFrame([{"moderator": m, "action": a, "count": n}
                           for m, counts in data["decisions_per_moderator"].items() for a, n in counts.items()])
if not moderators.empty:
    st.plotly_chart(px.bar(moderators, x="moderator", y="count", color="action", title=_("Decisions per moderator")),
                    key="moderator_chart")
if data["per_category_week"]:
    st.dataframe(pd.DataFrame([{
        _("week"): item["week"], _("category"): plain.category(item["category"]),
        _("first action, median"): spread_one(item["first_action"], "median_h"),
        _("decision, median"): spread_one(item["decision"], "median_h"),
        _("deadline breaches"): item["breaches"]} for item in data["per_category_week"]]),
        hide_index=True, width="stretch")
else:
    st.caption(_("No case has been acted on yet: times and breaches appear after the first claims and decisions."))
