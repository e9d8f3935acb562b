"""The monthly transparency and compliance report (``groupscan report --month 2026-10``): what regulators ask
platforms for. Per category: cases flagged (opened), reviewed (first action), actioned (violating or escalated),
escalated (approved); hours to first action and to decision (median, p90); deadline breaches; and hash-list hits
by bank. Written as CSV, Markdown and PNG charts (matplotlib, no browser needed)."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scanner.auth.users import User, require
from scanner.review.cases import utc
from scanner.store import audit
from scanner.store.models import HashHit
from scanner.store.review_models import ReviewCase, ReviewDecision
from scanner.store.tx import write

COLUMNS = ["category", "flagged", "reviewed", "actioned", "escalated", "first_action_median_h", "first_action_p90_h",
           "decision_median_h", "decision_p90_h", "deadline_breaches"]


class MonthError(ValueError):
    pass


def month_bounds(month: str) -> tuple[datetime, datetime]:
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise MonthError(f"month {month!r}: expected YYYY-MM, e.g. 2026-10") from None
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values else None


@dataclass
class MonthReport:
    month: str
    rows: list[dict]
    bank_hits: dict[str, int]
    totals: dict


def compute(engine: Engine, month: str) -> MonthReport:
    start, end = month_bounds(month)

    def inside(at: datetime | None) -> bool:
        at = utc(at)
        return at is not None and start <= at < end

    with Session(engine) as session:
        cases = session.exec(select(ReviewCase)).all()
        decisions = session.exec(select(ReviewDecision)).all()
        hits = session.exec(select(HashHit.bank).where(col(HashHit.first_seen_at) >= start,
                                                      col(HashHit.first_seen_at) < end)).all()
    category_of = {c.case_id: c.category or "none" for c in cases}
    flagged: Counter[str] = Counter()
    reviewed: Counter[str] = Counter()
    breaches: Counter[str] = Counter()
    first_action: dict[str, list[float]] = defaultdict(list)
    to_decision: dict[str, list[float]] = defaultdict(list)
    for case in cases:
        category = case.category or "none"
        opened = utc(case.opened_at)
        assert opened is not None
        if inside(opened):
            flagged[category] += 1
        if inside(case.first_action_at):
            reviewed[category] += 1
            first_action[category].append((utc(case.first_action_at) - opened).total_seconds() / 3600)  # type: ignore[operator]
        if inside(case.decided_at):
            to_decision[category].append((utc(case.decided_at) - opened).total_seconds() / 3600)  # type: ignore[operator]
        deadline = utc(case.deadline_at)
        decided = utc(case.decided_at)
        if deadline and inside(deadline) and (decided is None or decided > deadline):
            breaches[category] += 1
    actioned: Counter[str] = Counter()
    escalated: Counter[str] = Counter()
    for d in decisions:
        category = d.category or category_of.get(d.case_id, "none")
        if d.action == "violating" and d.state == "final" and inside(d.created_at):
            actioned[category] += 1
        if d.action == "escalate" and d.state == "approved" and inside(d.reviewed_at):
            actioned[category] += 1
            escalated[category] += 1
    categories = sorted(set(flagged) | set(reviewed) | set(actioned) | set(breaches) | set(to_decision))
    rows = [{"category": c, "flagged": flagged[c], "reviewed": reviewed[c], "actioned": actioned[c],
             "escalated": escalated[c], "first_action_median_h": _pct(first_action[c], 50),
             "first_action_p90_h": _pct(first_action[c], 90), "decision_median_h": _pct(to_decision[c], 50),
             "decision_p90_h": _pct(to_decision[c], 90), "deadline_breaches": breaches[c]} for c in categories]
    every_first = [h for v in first_action.values() for h in v]
    every_decision = [h for v in to_decision.values() for h in v]
    totals = {"flagged": sum(flagged.values()), "reviewed": sum(reviewed.values()),
              "actioned": sum(actioned.values()), "escalated": sum(escalated.values()),
              "deadline_breaches": sum(breaches.values()),
              "first_action_median_h": _pct(every_first, 50), "first_action_p90_h": _pct(every_first, 90),
              "decision_median_h": _pct(every_decision, 50), "decision_p90_h": _pct(every_decision, 90)}
    return MonthReport(month, rows, dict(sorted(Counter(hits).items())), totals)


def _fmt(value: object) -> str:
    return "–" if value is None else str(value)


def markdown(report: MonthReport) -> str:
    lines = [f"# Transparency report, {report.month}", "",
             "Cases are networks (clusters) of chat groups flagged from metadata only and reviewed by people.", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in report.rows:
        lines.append("| " + " | ".join(_fmt(row[c]) for c in COLUMNS) + " |")
    lines.append("| **all** | " + " | ".join(_fmt(report.totals.get(c)) for c in COLUMNS[1:]) + " |")
    lines += ["", "Times are hours from a case's opening (median, p90); a breach is a deadline in the month that "
              "passed before a decision.", "", "## Hash-list hits (groups matching a list for the first time)", ""]
    if report.bank_hits:
        lines += ["| bank | groups |", "|---|---|"] + [f"| {b} | {n} |" for b, n in report.bank_hits.items()]
    else:
        lines.append("None this month.")
    return "\n".join(lines) + "\n"


def _charts(report: MonthReport, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    if report.rows:
        fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
        labels = [r["category"] for r in report.rows]
        x = np.arange(len(labels))
        for offset, key in enumerate(("flagged", "reviewed", "actioned", "escalated")):
            ax.bar(x + (offset - 1.5) * 0.2, [r[key] for r in report.rows], width=0.2, label=key)
        ax.set_xticks(x, [label.replace("_", " ") for label in labels])
        ax.set_ylabel("cases")
        ax.set_title(f"Cases by category, {report.month}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "cases.png", metadata={"Software": None})
        plt.close(fig)
        made.append("cases.png")
    if report.bank_hits:
        fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
        ax.barh(list(report.bank_hits), list(report.bank_hits.values()))
        ax.set_xlabel("groups")
        ax.set_title(f"Hash-list hits by bank, {report.month}")
        fig.tight_layout()
        fig.savefig(out / "hash_hits.png", metadata={"Software": None})
        plt.close(fig)
        made.append("hash_hits.png")
    return made


def write_report(engine: Engine, user: User, month: str, out: Path) -> list[str]:
    """Write ``report-YYYY-MM.csv``, ``.md``, ``bank-hits-YYYY-MM.csv`` and charts into ``out``; audited."""
    require(user, "view_metrics")
    report = compute(engine, month)
    out.mkdir(parents=True, exist_ok=True)
    table = io.StringIO()
    writer = csv.DictWriter(table, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(report.rows)
    (out / f"report-{month}.csv").write_text(table.getvalue(), encoding="utf-8")
    banks = io.StringIO()
    bank_writer = csv.writer(banks, lineterminator="\n")
    bank_writer.writerow(["bank", "groups"])
    bank_writer.writerows(report.bank_hits.items())
    (out / f"bank-hits-{month}.csv").write_text(banks.getvalue(), encoding="utf-8")
    (out / f"report-{month}.md").write_text(markdown(report), encoding="utf-8")
    files = [f"report-{month}.csv", f"bank-hits-{month}.csv", f"report-{month}.md", *_charts(report, out)]
    write(engine, lambda session: audit.append(session, user.name, "report_run", month,
                                               {"files": files, "totals": report.totals}))
    return files
