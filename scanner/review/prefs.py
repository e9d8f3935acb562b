"""Per-user preferences. Defaults protect: icons blurred and greyscale, a break reminder. Language and time zone
default to the policy's (``review.language``, ``review.timezone``) until the user picks their own."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlmodel import Session

from scanner.auth.users import User
from scanner.policy import Policy
from scanner.store import audit
from scanner.store.review_models import UserPreference
from scanner.store.tx import write

MAX_EXTRA_BLUR = 12.0
LANGUAGES = ("en", "hi")


@dataclass(frozen=True)
class Preferences:
    extra_blur: float
    hide_icons: bool
    break_minutes: int
    language: str = "en"
    timezone: str = "UTC"


def preferences(engine: Engine, user: User, policy: Policy) -> Preferences:
    with Session(engine) as session:
        row = session.get(UserPreference, user.name)
    review = policy.review
    if row is None:
        return Preferences(0.0, False, review.break_minutes, review.language, review.timezone)
    return Preferences(row.extra_blur, row.hide_icons, row.break_minutes, row.language or review.language,
                       row.timezone or review.timezone)


def save_preferences(engine: Engine, user: User, prefs: Preferences) -> Preferences:
    """Store the user's own preferences (anyone may set their own). Blur can only be added, never removed."""
    if prefs.language not in LANGUAGES:
        raise ValueError(f"unknown language {prefs.language!r} (expected one of {', '.join(LANGUAGES)})")
    try:
        ZoneInfo(prefs.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{prefs.timezone!r} is not a time zone") from None
    clean = Preferences(min(max(0.0, float(prefs.extra_blur)), MAX_EXTRA_BLUR), bool(prefs.hide_icons),
                        min(max(5, int(prefs.break_minutes)), 240), prefs.language, prefs.timezone)

    def act(session: Session) -> None:
        row = session.get(UserPreference, user.name) or UserPreference(name=user.name)
        row.extra_blur, row.hide_icons, row.break_minutes = clean.extra_blur, clean.hide_icons, clean.break_minutes
        row.language, row.timezone = clean.language, clean.timezone
        session.add(row)
        audit.append(session, user.name, "preferences", user.name, asdict(clean))

    write(engine, act)
    return clean
