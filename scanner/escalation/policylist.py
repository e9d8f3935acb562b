"""Matrix policy lists: violating groups on Matrix as ``m.policy.rule.room`` state events (MSC2313), which
Draupnir, Mjolnir and Meowlnir read from a policy room and enforce.

- ``entity`` is the room id (from a ``mx:!room:server`` group id) and each canonical alias the group advertised;
  ``recommendation`` is ``m.ban``, or ``org.matrix.msc4204.takedown`` with ``takedown=True`` (MSC4204);
- ``hashed=True`` leaves the entity out and publishes ``org.matrix.msc4205.hashes: {"sha256": ...}`` (MSC4205:
  unpadded base64 of the SHA-256 of the entity), so a public list does not advertise where abuse lives;
- the ``state_key`` is derived from the entity's hash, so re-exporting replaces rules instead of adding copies.
Publishing the events into a room is the Matrix bot's job; this module only builds them.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scanner.review import audit
from scanner.review.decisions import confirmed_groups
from scanner.review.tx import write
from scanner.signals.links import canonicalize
from scanner.store.models import Group, Snapshot
from scanner.users import User, require

EVENT_TYPE = "m.policy.rule.room"
BAN = "m.ban"
TAKEDOWN = "org.matrix.msc4204.takedown"
HASHES_KEY = "org.matrix.msc4205.hashes"


def entity_hash(entity: str) -> str:
    """MSC4205's form: unpadded standard base64 of SHA-256 over the UTF-8 entity."""
    return base64.b64encode(hashlib.sha256(entity.encode("utf-8")).digest()).decode("ascii").rstrip("=")


def rule_event(entity: str, reason: str, takedown: bool = False, hashed: bool = False) -> dict:
    digest = entity_hash(entity)
    content: dict = {"reason": reason, "recommendation": TAKEDOWN if takedown else BAN}
    if hashed:
        content[HASHES_KEY] = {"sha256": digest}
    else:
        content["entity"] = entity
    return {"type": EVENT_TYPE, "state_key": f"groupscan:{hashlib.sha256(entity.encode()).hexdigest()[:32]}",
            "content": content}


def matrix_entities(group_id: str, own_links: list[str]) -> list[str]:
    """The room id behind a Matrix group id, and the aliases among its own invite links. Room version 12 ids have
    no ``:server`` part, so any ``!`` id is accepted."""
    entities = []
    room = group_id.removeprefix("mx:")
    if room.startswith("!") and len(room) > 1:
        entities.append(room)
    for link in own_links:
        found = canonicalize(link)
        if found and found.platform == "matrix" and found.code not in entities:
            entities.append(found.code)
    return entities


def build_rules(engine: Engine, takedown: bool = False, hashed: bool = False) -> list[dict]:
    """Rules for every Matrix group a human confirmed as violating (approved escalations included), sorted by
    state key. No permission check and no audit: callers (``policy_rules``, the Matrix bot) do both."""
    confirmed = confirmed_groups(engine)
    with Session(engine) as session:
        groups = session.exec(select(Group).where(col(Group.group_id).in_(sorted(confirmed)),
                                                  Group.platform == "matrix")).all()
        links: dict[str, set[str]] = {}
        for gid, payload in session.exec(select(Snapshot.group_id, Snapshot.payload)
                                         .where(col(Snapshot.group_id).in_([g.group_id for g in groups]))).all():
            links.setdefault(gid, set()).update(payload.get("own_invite_links", []))
    events: dict[str, dict] = {}
    for group in sorted(groups, key=lambda g: g.group_id):
        found = confirmed[group.group_id]
        category = str(found.get("category") or "").replace("_", " ")
        reason = f"{category} (groupscan case {found.get('case_id')}, reviewed by a moderator)"
        for entity in matrix_entities(group.group_id, sorted(links.get(group.group_id, set()))):
            event = rule_event(entity, reason, takedown, hashed)
            events[event["state_key"]] = event
    return [events[key] for key in sorted(events)]


def policy_rules(engine: Engine, user: User, takedown: bool = False, hashed: bool = False,
                 now: datetime | None = None) -> list[dict]:
    """``build_rules`` for a user allowed to export evidence, audited."""
    require(user, "export_evidence")
    rules = build_rules(engine, takedown, hashed)
    write(engine, lambda session: audit.append(session, user.name, "policy_list_exported", "",
                                               {"rules": len(rules), "takedown": takedown, "hashed": hashed},
                                               at=now or datetime.now(UTC)))
    return rules
