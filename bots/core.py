"""The platform-neutral half of every bot.

Adapters turn platform events into ``GroupSnapshot``s and hand them to ``BotCore.rescore``, which stores and
scores them through ``scanner.engine.pipeline.scan_records``: the very path of ``groupscan scan``, so a group scores the
same whether a bot or a batch scan saw it. After a rescore, ``alerts`` says which cases to announce: each case
once per change of state (opened, reopened, severity changed), at most ``max_alerts`` at a time with a summary of
the rest, remembered in the database so a restart never repeats one. Policy rules to publish, the sync position
and other memory also live in the database (``bot_state``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Self

import yaml
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine
from sqlmodel import Session, select

from scanner.auth.users import User
from scanner.engine.pipeline import ScanSummary, scan_records
from scanner.engine.scanlock import DatabaseLock
from scanner.escalation.policylist import mark_published, rules_to_publish
from scanner.images.hashbank import HashBank
from scanner.policy import Policy
from scanner.review.case_view import case_detail
from scanner.review.cases import OPEN_STATUSES, CaseNotFound, QueueFilter, queue
from scanner.schema import GroupSnapshot, Located
from scanner.store import audit
from scanner.store.queries import counts
from scanner.store.review_models import BotAlert, BotState
from scanner.store.tx import write

log = logging.getLogger("groupscan.bot")


class BotConfig(BaseModel):
    """What every bot's YAML config shares: unknown keys are errors (a misspelt setting must not silently fall
    back to its default), and the token is read from the environment, never from the file."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def load(cls, path: Path) -> Self:
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def token_from_env(given: str | None, variable: str, what: str) -> str:
    """``given``, else the environment variable the config names; a clear error when neither is set."""
    token = given or os.environ.get(variable)
    if not token:
        raise ValueError(f"no {what}: set ${variable} (never put it in the config file)")
    return token


@dataclass(frozen=True)
class Alert:
    case_id: str
    state_key: str
    text: str
    html: str


@dataclass(frozen=True)
class AlertBatch:
    alerts: list[Alert]
    suppressed: int
    summary: str | None
    keys: dict[str, str]  # every case this batch covers (shown or summarised) -> its state


class BotCore:
    """One bot's memory and decisions; ``channel`` names where it alerts (e.g. ``matrix:!mods:server``)."""

    def __init__(self, engine: Engine, policy: Policy, data_root: Path, channel: str, dashboard_url: str = "",
                 banks: Sequence[HashBank] = (), max_alerts: int = 5, lock_wait: float = 3600.0,
                 cache_dir: Path | None = None) -> None:
        self.engine = engine
        self.policy = policy
        self.data_root = data_root
        self.channel = channel
        self.dashboard_url = dashboard_url.rstrip("/")
        self.banks = list(banks)
        self.max_alerts = max_alerts
        self.lock_wait = lock_wait
        # The incremental-scan cache (scanner.engine.scancache): a bot rescores often, a few rooms at a time.
        self.cache_dir = cache_dir
        self.reader = User(f"bot:{channel}"[:64], "auditor")  # read-only role for queue and case reads
        data_root.mkdir(parents=True, exist_ok=True)
        self.source_name = str(data_root / f"{channel.split(':', 1)[0]}-bot.events")

    # --- scoring -----------------------------------------------------------------------------------------------
    def rescore(self, snapshots: Sequence[GroupSnapshot]) -> ScanSummary:
        """Store and score new observations through the scan path (an empty list rescores what is stored).
        Holds the database's scan lock, as `groupscan scan` does, waiting up to ``lock_wait`` seconds for a
        running scan: two scans at once would both insert the same new groups."""
        located = [Located(snap, self.source_name, index) for index, snap in enumerate(snapshots, start=1)]
        lock = DatabaseLock(self.engine)
        lock.acquire(wait=self.lock_wait, poll=0.5)
        try:
            return scan_records(self.engine, located, self.source_name, self.data_root, self.policy, self.banks,
                                cache_dir=self.cache_dir)
        finally:
            lock.release()

    # --- alerts ------------------------------------------------------------------------------------------------
    def case_link(self, case_id: str) -> str:
        return f"{self.dashboard_url}/case?case={case_id}" if self.dashboard_url else f"case {case_id}"

    def _alert(self, row: dict) -> Alert:
        category = (row["category"] or "unknown").replace("_", " ")
        why = row["top_reason"] or "see the case"
        reopened = " (reopened: the evidence changed)" if row["reopened"] else ""
        text = (f"[{row['severity'] or '-'}] {category}: case {row['case_id']}{reopened}, {row['size']} group(s), "
                f"risk {row['risk']:.2f}. {why} Review: {self.case_link(row['case_id'])}")
        html = (f"<b>[{row['severity'] or '-'}] {category}</b>: case <code>{row['case_id']}</code>{reopened}, "
                f"{row['size']} group(s), risk {row['risk']:.2f}.<br>{escape(why, quote=False)}<br>"
                f"<a href=\"{self.case_link(row['case_id'])}\">Review the case</a>")
        # Size in powers of two: a case is announced again when it doubles, not for every new member.
        state_key = f"{row['status']}|{row['severity']}|{row['reopened']}|{max(row['size'], 1).bit_length()}"
        return Alert(row["case_id"], state_key, text, html)

    def _open_rows(self) -> list[dict]:
        rows: list[dict] = []
        page = 1
        while True:
            result = queue(self.engine, self.reader, QueueFilter(), page=page, page_size=500)
            rows.extend(result.rows)
            if page >= result.pages:
                return [r for r in rows if r["status"] in OPEN_STATUSES]
            page += 1

    def alerts(self) -> AlertBatch:
        """Cases whose current state this channel has not announced yet, most severe first."""
        with Session(self.engine) as session:
            known = {a.case_id: a.state_key for a in session.exec(
                select(BotAlert).where(BotAlert.channel == self.channel)).all()}
        fresh = [a for a in map(self._alert, self._open_rows()) if known.get(a.case_id) != a.state_key]
        shown, rest = fresh[:self.max_alerts], fresh[self.max_alerts:]
        summary = (f"... and {len(rest)} more case(s) need review: {self.dashboard_url or 'the dashboard'}"
                   if rest else None)
        return AlertBatch(shown, len(rest), summary, {a.case_id: a.state_key for a in fresh})

    def mark_sent(self, batch: AlertBatch) -> None:
        """Remember what was announced (the summarised rest too), in one transaction, audited."""
        if not batch.keys:
            return
        now = datetime.now(UTC)

        def act(session: Session) -> None:
            for case_id, state_key in batch.keys.items():
                row = session.get(BotAlert, (self.channel, case_id))
                if row is None:
                    session.add(BotAlert(channel=self.channel, case_id=case_id, state_key=state_key, sent_at=now))
                else:
                    row.state_key, row.sent_at = state_key, now
                    session.add(row)
            audit.append(session, f"bot:{self.channel}"[:64], "bot_alert", self.channel,
                         {"cases": [a.case_id for a in batch.alerts], "summarised": batch.suppressed}, at=now)

        write(self.engine, act)

    # --- commands ----------------------------------------------------------------------------------------------
    def status_text(self) -> str:
        total = counts(self.engine)
        waiting = queue(self.engine, self.reader)
        return (f"groupscan: {total['groups']} groups in {total['clusters']} clusters; {waiting.total} case(s) "
                f"open, {waiting.breached} past deadline. Queue: {self.dashboard_url or 'the dashboard'}")

    def case_text(self, case_id: str) -> str:
        try:
            detail = case_detail(self.engine, self.reader, case_id)
        except CaseNotFound:
            return f"No case {case_id}."
        reasons = []
        for reason in detail["reasons"]:
            if reason["sentence"] not in reasons:
                reasons.append(reason["sentence"])
        return (f"Case {case_id}: {detail['status']}, [{detail['severity']}] "
                f"{(detail['category'] or '').replace('_', ' ')}, {detail['size']} group(s), risk "
                f"{detail['risk']:.2f}. " + " ".join(reasons[:3]) + f" {self.case_link(case_id)}")

    def group_text(self, group_id: str) -> str:
        from scanner.store.queries import group_detail

        found = group_detail(self.engine, group_id)
        if found is None:
            return f"{group_id} is not known yet."
        top = "; ".join(r["sentence"] for r in found["reasons"][:3]) or "no evidence"
        return (f"{found['name'] or group_id}: risk {found['risk']:.2f}"
                + (f", {found['category'].replace('_', ' ')}" if found["category"] else "")
                + f" ({'flagged' if found['flagged'] else 'not flagged'}). {top}")

    # --- memory ------------------------------------------------------------------------------------------------
    def get_state(self, key: str) -> dict:
        with Session(self.engine) as session:
            row = session.get(BotState, f"{self.channel}:{key}")
            return dict(row.value) if row else {}

    def put_state(self, key: str, value: dict) -> None:
        def act(session: Session) -> None:
            row = session.get(BotState, f"{self.channel}:{key}")
            if row is None:
                row = BotState(key=f"{self.channel}:{key}", value=value, updated_at=datetime.now(UTC))
            else:
                row.value, row.updated_at = value, datetime.now(UTC)
            session.add(row)

        write(self.engine, act)

    def rules_to_publish(self, room: str, takedown: bool = False, hashed: bool = False) -> list[dict]:
        """Policy rules not yet published to ``room`` in their current form. Rules this bot published under the
        old ``groupscan:`` state keys come back with empty content, which removes a policy rule (MSC2313), since
        their rules are now published under matrix-protection-suite's state keys."""
        return rules_to_publish(self.engine, self.get_state(f"rules:{room}"), takedown, hashed)

    def mark_published(self, room: str, rules: Sequence[dict]) -> None:
        self.put_state(f"rules:{room}", mark_published(self.get_state(f"rules:{room}"), rules))
        if rules:
            write(self.engine, lambda session: audit.append(
                session, f"bot:{self.channel}"[:64], "policy_rules_published", room,
                {"rules": len(rules), "state_keys": [r["state_key"] for r in rules][:50]}))
