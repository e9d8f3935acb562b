"""The presentation layer: what the scanner stored, said for a moderator. Reasons become plain sentences
("its icon is on the hash list 'demo_known_icons'"), categories labels, times the user's own zone, audit rows
sentences. Everything goes through the translation layer (``dashboard.i18n``). The scanner's stored sentences
are untouched: they stay available behind "technical detail", and any reason this module does not know is shown
as the scanner wrote it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from dashboard.i18n import _, language

CATEGORIES = {"child_safety": "child safety", "sexual_solicitation": "sexual solicitation",
              "incitement": "incitement to violence", "adult_content": "adult content", "scam": "scam",
              "evasion": "ban evasion"}
ACTIONS = {"benign": "Benign", "violating": "Violating", "more_info": "Needs more info",
           "escalate": "Escalate (needs a lead's approval)"}
STATUSES = {"open": "open", "needs_info": "needs more info", "escalation_pending": "waiting for a lead",
            "benign": "benign", "violating": "violating", "escalated": "escalated"}
EVENTS = {"first seen": "first seen", "renamed": "renamed", "icon changed": "icon changed",
          "description changed": "description changed", "invite link changed": "invite link changed"}
DECISION_STATES = {"pending": "pending", "approved": "approved", "rejected": "rejected", "undone": "undone",
                   "final": "final"}
_SHARE = re.compile(r"^(\d+)/(\d+);\s*")


def category(name: str | None) -> str:
    if not name:
        return "–"
    return _(CATEGORIES[name]) if name in CATEGORIES else name.replace("_", " ")


def action(name: str) -> str:
    return _(ACTIONS[name]) if name in ACTIONS else name.replace("_", " ")


def status(name: str) -> str:
    return _(STATUSES[name]) if name in STATUSES else name.replace("_", " ")


def event(name: str) -> str:
    return _(EVENTS[name]) if name in EVENTS else name


def decision_state(name: str) -> str:
    return _(DECISION_STATES[name]) if name in DECISION_STATES else name


def hash_lists(member: dict) -> list[str]:
    """The hash lists a member's icon matched (their names, as the deployer called them)."""
    return sorted({str(r.get("feature", "")) for r in member.get("reasons", []) if r.get("signal") == "hash_bank"})


def _quoted(parts: list[str]) -> str:
    words = [w.strip().strip('"') for p in parts for w in (p.split('", "') if '"' in p else [p])]
    return ", ".join(f"“{w}”" for w in words if w)


def _lexicon(feature: str, parts: list[str]) -> str | None:
    first = _quoted(parts[:1])
    rest = _quoted(parts[1:])
    sentences = {
        "minor+sexual": _("its name or description mixes words about minors ({a}) with sexual words ({b})",
                          a=first, b=rest),
        "minor+trade": _("its name or description mixes words about minors ({a}) with words of selling ({b})",
                         a=first, b=rest),
        "sexual": _("its name or description has sexual words ({a})", a=_quoted(parts)),
        "sexual+trade": _("its name or description has sexual words ({a}) with words of selling ({b})",
                          a=first, b=rest),
        "solicitation": _("its name or description offers paid sex ({a})", a=_quoted(parts)),
        "solicitation+trade": _("its name or description offers paid sex ({a}) with prices or areas ({b})",
                                a=first, b=rest),
        "scam": _("its name or description has scam phrases ({a})", a=_quoted(parts)),
        "scam+money": _("its name or description has scam phrases ({a}) with sums of money ({b})",
                        a=first, b=rest),
        "riot": _("its name or description talks of riots ({a})", a=_quoted(parts)),
        "violence+coordination": _("its name or description has words of violence ({a}) with calls to gather "
                                   "({b})", a=first, b=rest),
        "evasion": _("its name uses the wording of groups that come back after a ban ({a})", a=_quoted(parts)),
    }
    return sentences.get(feature)


def _graph(feature: str, value: str, reason: dict) -> str | None:
    if feature == "proximity":
        return _("it is closely tied (invite links, admins, icons) to groups with strong {category} evidence",
                 category=category(reason.get("category")))
    if feature == "structure":
        numbers = dict(re.findall(r"(\w+)=(\d+)", value))
        return _("{pairs} pairs of groups post each other's invite links; {admins} admins run several groups; "
                 "{icons} icons are shared", pairs=numbers.get("linked_pairs", "0"),
                 admins=numbers.get("shared_admins", "0"), icons=numbers.get("icon_families", "0"))
    if feature == "successor_of":
        return _("it looks like a new copy of an older group (a similar name, started later, linked from it)")
    if feature == "has_successor":
        return _("it posts the invite link of a newer group with a similar name (a backup)")
    return None


def reason(item: dict) -> str:
    """One stored reason as a sentence for a moderator (in the user's language)."""
    signal, feature = str(item.get("signal", "")), str(item.get("feature", ""))
    value = str(item.get("value", ""))
    share = _SHARE.match(value)
    rest = value[share.end():] if share else value
    parts = [p.strip() for p in rest.split(";")]
    text: str | None
    if signal == "hash_bank":
        exact = "distance=0" in rest
        text = (_("its icon is on the hash list '{name}' (an exact match)", name=feature) if exact else
                _("its icon is on the hash list '{name}' (a close match)", name=feature))
    elif signal == "text_model":
        where = _("description") if feature.startswith("description") else _("name")
        text = _("the text model reads its {where} as {category}", where=where,
                 category=category(item.get("category")))
    elif signal == "lexicon":
        text = _lexicon(feature, parts)
    elif signal == "graph":
        text = _graph(feature, rest, item)
    elif signal == "icon":
        text = _("the platform's image check scored its icon as explicit")
    elif signal == "icon+lexicon":
        text = _("an icon judged explicit is on a group whose name mentions minors")
    elif signal == "cluster":
        text = _("almost all of its links, admins and icon look-alikes are inside this case")
    else:
        text = None
    if text is None:
        return str(item.get("sentence", ""))
    if share:
        text = _("{n} of {m} groups", n=share.group(1), m=share.group(2)) + ": " + text
    return text[:1].upper() + text[1:]


def technical(item: dict) -> str:
    """The scanner's own sentence and numbers, for the "technical detail" toggle."""
    return (f"{item.get('sentence', '')} ({item.get('signal', '')}, {item.get('feature', '')}, "
            f"{_('weight')} {float(item.get('weight', 0.0)):.2f})")


def when(iso: str | datetime | None, zone: str) -> str:
    """A stored UTC time in the user's time zone and language, e.g. '2 Dec 2026, 17:25 IST'."""
    if not iso:
        return "–"
    at = datetime.fromisoformat(iso.replace("Z", "+00:00")) if isinstance(iso, str) else iso
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    local = at.astimezone(ZoneInfo(zone))
    # The zone's own abbreviation ("IST"), the same in every language (Babel writes "+0530" in Hindi).
    return f"{format_datetime(local, 'd MMM y, HH:mm', tzinfo=ZoneInfo(zone), locale=language())} {local:%Z}"


def hours(value: float) -> str:
    """'3.5 h' as a moderator reads it: whole hours and minutes."""
    minutes = int(round(abs(value) * 60))
    return _("{h} h {m} min", h=minutes // 60, m=minutes % 60) if minutes >= 60 else _("{m} min", m=minutes)


AUDIT_ACTIONS = {
    "login": "signed in", "login_failed": "failed sign-in", "logout": "signed out",
    "session_expired": "session expired", "claim": "claimed a case", "release": "released a case",
    "decision": "recorded a decision", "decision_undone": "undid a decision",
    "escalation_approved": "approved an escalation", "escalation_rejected": "rejected an escalation",
    "icon_reveal": "revealed an original icon", "icon_reveal_refused": "was refused an icon reveal",
    "evidence_exported": "exported an evidence bundle", "preferences": "changed preferences",
    "user_added": "added a user", "user_disabled": "disabled a user", "user_enabled": "re-enabled a user",
    "password_reset": "started a password reset", "role_changed": "changed a role",
    "cases_opened": "opened cases", "case_reopened": "reopened a case", "webhook_retry": "resent a webhook",
    "case_viewed": "viewed a case", "password_reset_done": "set a new password with a reset token",
}


def audit_action(name: str) -> str:
    return _(AUDIT_ACTIONS[name]) if name in AUDIT_ACTIONS else name.replace("_", " ")


def audit_sentence(event: dict) -> str:
    """One audit row as a sentence: who did what, to what, with the details that matter."""
    details = event.get("details") or {}
    actor, target, name = event.get("actor", ""), event.get("target", ""), event.get("action", "")
    if name == "decision":
        return _("{actor} recorded “{action}” on {groups} group(s) of case {case}{category}", actor=actor,
                 action=action(details.get("action", "")), groups=details.get("groups", "?"), case=target,
                 category=f" ({category(details['category'])})" if details.get("category") else "")
    if name == "icon_reveal":
        return _("{actor} revealed the original icon of {group} in case {case}, because: {reason}", actor=actor,
                 group=details.get("group_id", ""), case=target, reason=details.get("reason") or "–")
    if name == "login_failed":
        return _("A sign-in as {target} failed", target=target) + (
            " " + _("(locked out)") if details.get("locked") else "")
    target = "" if target == actor else target  # "mia signed out", not "mia signed out mia"
    return _("{actor} {did} {target}", actor=actor, did=audit_action(name), target=target).strip()
