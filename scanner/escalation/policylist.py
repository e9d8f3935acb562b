"""Matrix policy lists: violating groups on Matrix as ``m.policy.rule.room`` state events (MSC2313), which
Draupnir, Mjolnir and Meowlnir read from a policy room and enforce.

- one rule per entity: the room id (from a ``mx:!room`` group id, or a ``matrix.to/#/!room`` link of its own),
  and each alias the group advertised, exactly as advertised (the server name keeps its case: a consumer compares
  aliases as strings). Draupnir's room takedown acts on room ids only; the alias rules serve the consumers that
  resolve or ban aliases;
- ``recommendation`` is ``m.ban`` (with a ``reason`` a reader of the list can follow), or, with ``takedown=True``,
  MSC4204's ``org.matrix.msc4204.takedown`` with no ``reason`` (MSC4204: a takedown SHOULD NOT carry one, and on
  a hashed rule it would tell what the hidden entity is);
- ``hashed=True`` leaves the entity out and publishes ``org.matrix.msc4205.hashes: {"sha256": ...}``: standard
  base64 *with* its ``=`` padding of the SHA-256 of the entity, the form MSC4205's example, Draupnir's
  ``takedownEntity`` and its hash store use (unpadded hashes match nothing there);
- the ``state_key`` follows matrix-protection-suite's convention, padded base64 of SHA-256 over
  ``entity + recommendation`` (``StandardPolicyRoomEditor.createPolicy``/``takedownEntity``), hashed or not, so a
  re-export replaces the rule Draupnir's own ``ban``/``takedown`` command made for the same room instead of adding
  a second one. ``tests/draupnir/`` checks all of this with the library Draupnir runs.
Publishing the events into a room is the Matrix bot's job; this module only builds them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import unquote

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scanner.auth.users import User, require
from scanner.graph.links import canonicalize, undefang
from scanner.review.decisions import confirmed_groups
from scanner.store import audit
from scanner.store.models import Group, Snapshot
from scanner.store.tx import write

EVENT_TYPE = "m.policy.rule.room"
BAN = "m.ban"
TAKEDOWN = "org.matrix.msc4204.takedown"
HASHES_KEY = "org.matrix.msc4205.hashes"


def _b64_sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def entity_hash(entity: str) -> str:
    """MSC4205's form: standard base64, padded, of SHA-256 over the UTF-8 entity."""
    return _b64_sha256(entity)


def state_key(entity: str, recommendation: str) -> str:
    """matrix-protection-suite's state key for a rule: padded base64 of SHA-256 over entity + recommendation."""
    return _b64_sha256(entity + recommendation)


def rule_event(entity: str, reason: str, takedown: bool = False, hashed: bool = False) -> dict:
    recommendation = TAKEDOWN if takedown else BAN
    content: dict = {"recommendation": recommendation}
    if not takedown:
        content["reason"] = reason
    if hashed:
        content[HASHES_KEY] = {"sha256": entity_hash(entity)}
    else:
        content["entity"] = entity
    return {"type": EVENT_TYPE, "state_key": state_key(entity, recommendation), "content": content}


def advertised(link: str) -> str | None:
    """The Matrix room id or alias a link points to, spelled as the link spells it. ``canonicalize`` lower-cases
    the server name (right for comparing links); a policy rule must carry the alias as advertised."""
    found = canonicalize(link)
    if found is None or found.platform != "matrix":
        return None
    text = unquote(unicodedata.normalize("NFKC", undefang(link)), errors="replace")
    # The local part is kept as is by canonicalize; find the server name in its own case.
    match = re.search(re.escape(found.code[1:]) + r"(?![A-Za-z0-9.\-])", text, flags=re.IGNORECASE)
    return found.code[0] + match.group(0) if match else found.code


def matrix_entities(group_id: str, own_links: list[str]) -> list[str]:
    """The room id behind a Matrix group id, and the room ids and aliases among its own invite links, as
    advertised. Room version 12 ids have no ``:server`` part, so any ``!`` id is accepted."""
    entities = []
    room = group_id.removeprefix("mx:")
    if room[:1] in ("!", "#") and len(room) > 1:
        entities.append(room)
    for link in own_links:
        found = advertised(link)
        if found and found not in entities:
            entities.append(found)
    return entities


# The state keys of rules published before they followed matrix-protection-suite's convention.
LEGACY_STATE_KEY = "groupscan:"


def rule_digest(rule: dict) -> str:
    """What a published rule looked like, to publish it again only when it changed."""
    return hashlib.sha256(json.dumps(rule, sort_keys=True).encode("utf-8")).hexdigest()


def rules_to_publish(engine: Engine, published: dict[str, str], takedown: bool = False,
                     hashed: bool = False) -> list[dict]:
    """Rules not yet published in their current form, given ``published`` (state key -> ``rule_digest``). Rules
    published under the old ``groupscan:`` state keys come back with empty content, which removes a policy rule
    (MSC2313), since their rules are now published under matrix-protection-suite's state keys."""
    current = build_rules(engine, takedown, hashed)
    keys = {rule["state_key"] for rule in current}
    retired = [{"type": EVENT_TYPE, "state_key": key, "content": {}} for key in sorted(published)
               if key.startswith(LEGACY_STATE_KEY) and key not in keys]
    return retired + [rule for rule in current if published.get(rule["state_key"]) != rule_digest(rule)]


def mark_published(published: dict[str, str], rules: Sequence[dict]) -> dict[str, str]:
    """``published`` after ``rules`` went out: a rule with empty content was removed."""
    after = dict(published)
    after.update({rule["state_key"]: rule_digest(rule) for rule in rules if rule["content"]})
    for rule in rules:
        if not rule["content"]:
            after.pop(rule["state_key"], None)
    return after


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
