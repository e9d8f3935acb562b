"""Claims, decisions and four-eyes escalation.

A moderator claims a case before deciding: one holder at a time, and the claim lapses after the policy's
``review.claim_minutes`` so an abandoned case returns to the queue. The claim is a conditional UPDATE, so two
moderators pressing "claim" at once cannot both win, on SQLite or PostgreSQL.

Decisions cover the whole cluster or chosen members, and always record the group ids they covered. Their effects:
- benign (whole cluster): the case closes, and stays closed until its evidence changes (``cases.reopen_reason``);
- violating: the case closes; its groups become confirmed evidence at the next scan (``confirmed_groups``),
  which seeds propagation to their neighbours;
- needs more info: the case stays in the queue, marked;
- escalate: waits for a lead who is not the author (four eyes); approval closes it as escalated (and confirmed),
  rejection returns it to the queue.
Benign and violating decisions also write ``text_label`` rows, which ``groupscan train`` learns from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, delete, or_, update
from sqlmodel import Session, col, select

from scanner.auth.users import User, require
from scanner.plugins.actions import decision_made
from scanner.policy import Policy
from scanner.review.case_view import whole_cluster_groups
from scanner.review.cases import CaseNotFound, severity_rank, utc
from scanner.store import audit
from scanner.store.models import Group, TextLabel
from scanner.store.queries import members_of
from scanner.store.review_models import ReviewCase, ReviewDecision
from scanner.store.tx import write

ACTIONS = ("benign", "violating", "more_info", "escalate")
NOTE_REQUIRED_ACTIONS = ("benign", "violating")  # on the policy's note_required_severities
MAX_NOTE = 4000


class ReviewError(ValueError):
    """A review action that cannot be carried out as asked (the message says why)."""


class ClaimConflict(ReviewError):
    """Someone else holds the case."""


@dataclass(frozen=True)
class Claim:
    case_id: str
    assignee: str
    expires_at: datetime


def claim(engine: Engine, user: User, case_id: str, policy: Policy, now: datetime | None = None) -> Claim:
    """Take the case for ``policy.review.claim_minutes`` (renewing one's own claim is allowed)."""
    require(user, "claim")
    now = now or datetime.now(UTC)
    expires = now + timedelta(minutes=policy.review.claim_minutes)

    def action(session: Session) -> Claim:
        case = session.get(ReviewCase, case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id!r}")
        if case.status in ("benign", "violating", "escalated"):
            raise ReviewError(f"case {case_id} is closed ({case.status})")
        taken = session.execute(
            update(ReviewCase)
            .where(col(ReviewCase.case_id) == case_id,
                   or_(col(ReviewCase.assignee).is_(None), col(ReviewCase.assignee) == user.name,
                       col(ReviewCase.claim_expires_at) <= now))
            .values(assignee=user.name, claim_expires_at=expires,
                    first_action_at=case.first_action_at or now, updated_at=now))
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(case)
            raise ClaimConflict(f"case {case_id} is claimed by {case.assignee} until "
                                f"{utc(case.claim_expires_at):%H:%M} UTC")
        audit.append(session, user.name, "claim", case_id, {"expires_at": expires.isoformat()}, at=now)
        return Claim(case_id, user.name, expires)

    return write(engine, action)


def release(engine: Engine, user: User, case_id: str, now: datetime | None = None) -> None:
    require(user, "claim")
    now = now or datetime.now(UTC)

    def action(session: Session) -> None:
        done = session.execute(update(ReviewCase).where(col(ReviewCase.case_id) == case_id,
                                                        col(ReviewCase.assignee) == user.name)
                               .values(assignee=None, claim_expires_at=None, updated_at=now))
        if done.rowcount == 1:  # type: ignore[attr-defined]
            audit.append(session, user.name, "release", case_id, {}, at=now)

    write(engine, action)


TEXT_SIGNALS = frozenset({"lexicon", "text_model"})


def _labels(session: Session, user: User, group_ids: list[str], label: str, now: datetime,
            chosen: bool = False) -> int:
    """One text_label row per distinct non-empty name and description of the decided groups.

    A violating decision on a whole cluster is often made on structure (shared admins, cross-posted invites),
    and many members have harmless-looking names ("friends 7"); teaching the text model that those names are
    harmful would poison it. So a harm label is written only for groups whose own text already drew a text
    reason, or that the moderator chose one by one. Benign labels are written for every covered group.
    """
    rows = session.exec(select(Group.group_id, Group.name, Group.description, Group.reasons)
                        .where(col(Group.group_id).in_(group_ids))).all()
    wanted: dict[str, str] = {}
    for gid, name, description, reasons in rows:
        if label != "benign" and not chosen and not any(r.get("signal") in TEXT_SIGNALS for r in reasons):
            continue
        for text in (name, description):
            text = (text or "").strip()
            if text and text not in wanted:
                wanted[text] = gid
    if not wanted:
        return 0
    known = set(session.exec(select(TextLabel.text).where(col(TextLabel.text).in_(list(wanted)),
                                                          TextLabel.label == label,
                                                          TextLabel.source == "decision")).all())
    added = 0
    for text, gid in sorted(wanted.items()):
        if text not in known:
            session.add(TextLabel(text=text[:4000], label=label, source="decision", group_id=gid, author=user.name,
                                  created_at=now))
            added += 1
    return added


def note_required(action: str | None, severity: str | None, policy: Policy) -> bool:
    """Whether a decision needs a note: always for escalate and more info; for benign and violating on the
    severities the policy names (P0 and P1 by default). The dashboard asks for it; ``decide`` enforces it."""
    if action in ("escalate", "more_info"):
        return True
    return action in NOTE_REQUIRED_ACTIONS and severity in policy.review.note_required_severities


def decision_problem(action: str | None, category: str | None, note: str, severity: str | None,
                     policy: Policy) -> str | None:
    """What is missing from a decision before it can be recorded, or None (pure: the page asks it before showing
    the confirmation; ``decide`` refuses the same things)."""
    if action not in ACTIONS:
        return "Choose a decision."
    if action in ("violating", "escalate") and category not in policy.categories:
        return f"A {action} decision needs a category."
    if note_required(action, severity, policy) and not note.strip():
        return f"A {action.replace('_', ' ')} decision on a {severity or 'this'} case needs a note saying why."
    if len(note) > MAX_NOTE:
        return f"The note is {len(note)} characters, over {MAX_NOTE}."
    return None


def decide(engine: Engine, user: User, case_id: str, action: str, policy: Policy, note: str = "",
           category: str | None = None, group_ids: list[str] | None = None,
           now: datetime | None = None, confirmed_groups: int | None = None) -> int:
    """Record a decision by the claim holder; returns the decision id. ``group_ids`` None means the whole
    cluster.

    A decision cannot be made by accident, whoever calls this (dashboard, bot, script): benign and violating
    decisions on a case whose severity is in ``review.note_required_severities`` need a note, and when the
    caller showed the person a confirmation naming the number of groups, ``confirmed_groups`` is that number and
    the decision is refused if the case no longer has that many (a scan changed it in between)."""
    require(user, "decide")
    now = now or datetime.now(UTC)
    if action not in ACTIONS:
        raise ReviewError(f"unknown decision {action!r} (expected one of {', '.join(ACTIONS)})")
    if action in ("violating", "escalate"):
        if category not in policy.categories:
            raise ReviewError(f"a {action} decision needs a category, one of {', '.join(policy.categories)}")
    else:
        category = None
    if action in ("escalate", "more_info") and not note.strip():
        raise ReviewError(f"a {action.replace('_', ' ')} decision needs a note saying why")
    if len(note) > MAX_NOTE:
        raise ReviewError(f"note is {len(note)} characters, over {MAX_NOTE}")

    def act(session: Session) -> int:
        case = session.get(ReviewCase, case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id!r}")
        if case.status in ("benign", "violating", "escalated"):
            raise ReviewError(f"case {case_id} is closed ({case.status}); it reopens when its evidence changes")
        if case.status == "escalation_pending":
            raise ReviewError(f"case {case_id} waits for a lead's approval of its escalation")
        expires = utc(case.claim_expires_at)
        if case.assignee != user.name or expires is None or expires <= now:
            raise ReviewError(f"claim case {case_id} before deciding"
                              + (f" (it is held by {case.assignee})" if case.assignee and expires and expires > now
                                 else ""))
        if note_required(action, case.severity, policy) and not note.strip():
            raise ReviewError(f"a {action} decision on a {case.severity} case needs a note saying why")
        members = sorted(members_of(session, [case_id]).get(case_id, set()))
        proper = whole_cluster_groups(session, members)
        if group_ids:
            unknown = sorted(set(group_ids) - set(members))
            if unknown:
                raise ReviewError(f"not members of case {case_id}: {', '.join(unknown[:5])}")
            covered, scope = sorted(set(group_ids)), ("cluster" if set(group_ids) == set(proper) else "members")
        else:
            covered, scope = proper, "cluster"
        if confirmed_groups is not None and confirmed_groups != len(covered):
            raise ReviewError(f"you confirmed {confirmed_groups} group(s) but the decision now covers "
                              f"{len(covered)}: the case changed, look again")
        if action == "benign" and scope == "members":
            status = "open"
        else:
            status = {"benign": "benign", "violating": "violating", "more_info": "needs_info",
                      "escalate": "escalation_pending"}[action]
        decision = ReviewDecision(case_id=case_id, action=action, category=category, scope=scope, group_ids=covered,
                                  note=note.strip(), author=user.name, created_at=now,
                                  state="pending" if action == "escalate" else "final", risk=case.risk)
        session.add(decision)
        session.flush()
        values: dict = {"status": status, "updated_at": now, "first_action_at": case.first_action_at or now}
        if status in ("benign", "violating"):
            values.update(decided_at=now, evidence=_evidence(case, members))
        if action != "more_info":
            values.update(assignee=None, claim_expires_at=None)
        session.execute(update(ReviewCase).where(col(ReviewCase.case_id) == case_id).values(**values))
        labels = 0
        if action == "benign":
            labels = _labels(session, user, covered, "benign", now)
        elif action == "violating":
            labels = _labels(session, user, covered, str(category), now, chosen=scope == "members")
        audit.append(session, user.name, "decision", case_id,
                     {"decision_id": decision.id, "action": action, "category": category, "scope": scope,
                      "groups": len(covered), "group_ids": covered[:100], "note": note.strip(),
                      "text_labels": labels}, at=now)
        decision_made(session, policy, "escalation" if action == "escalate" else "decision",
                      _event(case, decision, now), now)
        assert decision.id is not None
        return decision.id

    return write(engine, act)


def undo(engine: Engine, user: User, decision_id: int, policy: Policy, now: datetime | None = None) -> str:
    """Withdraw one's own decision within ``review.undo_seconds`` of making it; returns the case id.

    The decision stays in the table, marked ``undone`` (so the history shows it and ``confirmed_groups`` ignores
    it), the text labels it wrote are removed, and the case goes back to the decider's claim, open, as it was
    before. Refused after the window, for someone else's decision, or once a lead reviewed an escalation."""
    require(user, "decide")
    now = now or datetime.now(UTC)

    def act(session: Session) -> str:
        decision = session.get(ReviewDecision, decision_id)
        if decision is None:
            raise ReviewError(f"no decision {decision_id}")
        if decision.author != user.name:
            raise ReviewError("only the moderator who made a decision can undo it")
        if decision.state not in ("final", "pending"):
            raise ReviewError(f"decision {decision_id} is {decision.state}; it can no longer be undone")
        made = utc(decision.created_at)
        assert made is not None
        if (now - made).total_seconds() > policy.review.undo_seconds:
            raise ReviewError(f"the {policy.review.undo_seconds} s to undo decision {decision_id} have passed")
        later = session.exec(select(ReviewDecision.id).where(ReviewDecision.case_id == decision.case_id,
                                                             col(ReviewDecision.id) > decision_id,
                                                             col(ReviewDecision.state) != "undone")).first()
        if later is not None:
            raise ReviewError(f"decision {decision_id} was followed by decision {later}; undo that one first")
        done = session.execute(update(ReviewDecision).where(col(ReviewDecision.id) == decision_id,
                                                            col(ReviewDecision.state) == decision.state)
                               .values(state="undone"))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ReviewError(f"decision {decision_id} changed just now; look again")
        removed = session.execute(delete(TextLabel).where(col(TextLabel.source) == "decision",
                                                          col(TextLabel.author) == user.name,
                                                          col(TextLabel.created_at) == decision.created_at))
        session.execute(update(ReviewCase).where(col(ReviewCase.case_id) == decision.case_id)
                        .values(status="open", decided_at=None, assignee=user.name,
                                claim_expires_at=now + timedelta(minutes=policy.review.claim_minutes),
                                updated_at=now))
        audit.append(session, user.name, "decision_undone", decision.case_id,
                     {"decision_id": decision_id, "action": decision.action, "category": decision.category,
                      "groups": len(decision.group_ids),
                      "text_labels_removed": removed.rowcount},  # type: ignore[attr-defined]
                     at=now)
        return decision.case_id

    return write(engine, act)


def _event(case: ReviewCase, decision: ReviewDecision, now: datetime) -> dict:
    """The webhook payload of a decision: enough to open a ticket, and the dashboard path of the case."""
    return {
        "case_id": case.case_id, "decision_id": decision.id, "action": decision.action,
        "category": decision.category, "scope": decision.scope, "groups": len(decision.group_ids),
        "group_ids": list(decision.group_ids)[:1000], "author": decision.author, "state": decision.state,
        "reviewer": decision.reviewer, "note": decision.note,
        "case": {"severity": case.severity, "risk": case.risk, "size": case.size},
        "at": now.isoformat(), "dashboard_path": f"/case?case={case.case_id}",
    }


def _evidence(case: ReviewCase, members: list[str]) -> dict:
    return {"members": members, "severity": case.severity, "severity_rank": severity_rank(case.severity),
            "risk": case.risk, "category": case.category}


def pending_escalations(engine: Engine, user: User) -> list[dict]:
    require(user, "view_queue")
    with Session(engine) as session:
        rows = session.exec(select(ReviewDecision).where(ReviewDecision.state == "pending",
                                                         ReviewDecision.action == "escalate")
                            .order_by(col(ReviewDecision.created_at))).all()
        return [{"id": d.id, "case_id": d.case_id, "category": d.category, "author": d.author,
                 "created_at": utc(d.created_at).isoformat(), "note": d.note,  # type: ignore[union-attr]
                 "groups": len(d.group_ids)} for d in rows]


def review_escalation(engine: Engine, user: User, decision_id: int, approve: bool, note: str = "",
                      now: datetime | None = None, policy: Policy | None = None) -> None:
    """A lead approves or rejects a pending escalation. The author can never review their own (four eyes)."""
    require(user, "approve_escalation")
    now = now or datetime.now(UTC)
    if not approve and not note.strip():
        raise ReviewError("rejecting an escalation needs a note for the moderator")
    if len(note) > MAX_NOTE:
        raise ReviewError(f"note is {len(note)} characters, over {MAX_NOTE}")

    def act(session: Session) -> None:
        decision = session.get(ReviewDecision, decision_id)
        if decision is None or decision.action != "escalate":
            raise ReviewError(f"no escalation {decision_id}")
        if decision.state != "pending":
            raise ReviewError(f"escalation {decision_id} was already {decision.state} by {decision.reviewer}")
        if decision.author == user.name:
            raise ReviewError("four eyes: an escalation must be approved by a lead other than its author")
        done = session.execute(update(ReviewDecision)
                               .where(col(ReviewDecision.id) == decision_id,
                                      col(ReviewDecision.state) == "pending")
                               .values(state="approved" if approve else "rejected", reviewer=user.name,
                                       reviewed_at=now, review_note=note.strip()))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ReviewError(f"escalation {decision_id} was reviewed by someone else just now")
        case = session.get(ReviewCase, decision.case_id)
        assert case is not None
        if approve:
            members = sorted(members_of(session, [case.case_id]).get(case.case_id, set()))
            session.execute(update(ReviewCase).where(col(ReviewCase.case_id) == case.case_id)
                            .values(status="escalated", decided_at=now, evidence=_evidence(case, members),
                                    updated_at=now))
            labels = _labels(session, user, list(decision.group_ids), str(decision.category), now,
                             chosen=decision.scope == "members")
        else:
            session.execute(update(ReviewCase).where(col(ReviewCase.case_id) == case.case_id)
                            .values(status="open", updated_at=now))
            labels = 0
        audit.append(session, user.name, "escalation_approved" if approve else "escalation_rejected",
                     decision.case_id, {"decision_id": decision_id, "author": decision.author,
                                        "category": decision.category, "note": note.strip(),
                                        "text_labels": labels}, at=now)
        if policy is not None:
            session.refresh(decision)
            decision_made(session, policy, "escalation", _event(case, decision, now), now)

    write(engine, act)


def confirmed_groups(engine: Engine) -> dict[str, dict]:
    """Groups a human confirmed as violating, with the category and the decision (the latest decision covering
    a group wins: a later benign decision withdraws an earlier confirmation). Read by the scan."""
    with Session(engine) as session:
        rows = session.exec(select(ReviewDecision).where(
            or_(and_(col(ReviewDecision.action).in_(("violating", "benign")), col(ReviewDecision.state) == "final"),
                and_(col(ReviewDecision.action) == "escalate", col(ReviewDecision.state) == "approved")))
            .order_by(col(ReviewDecision.created_at), col(ReviewDecision.id))).all()
    confirmed: dict[str, dict] = {}
    for d in rows:
        for gid in d.group_ids:
            if d.action == "benign":
                confirmed.pop(gid, None)
            else:
                confirmed[gid] = {"category": d.category, "case_id": d.case_id, "decision_id": d.id,
                                  "author": d.author,
                                  "at": utc(d.reviewed_at or d.created_at).isoformat()}  # type: ignore[union-attr]
    return confirmed
