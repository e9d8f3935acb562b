"""Per-user wellness preferences. Defaults protect: icons blurred and greyscale, a break reminder."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from scanner.policy import Policy
from scanner.review import audit
from scanner.review.tx import write
from scanner.store.models import UserPreference
from scanner.users import User

MAX_EXTRA_BLUR = 12.0


@dataclass(frozen=True)
class Preferences:
    extra_blur: float
    hide_icons: bool
    break_minutes: int


def preferences(engine: Engine, user: User, policy: Policy) -> Preferences:
    with Session(engine) as session:
        row = session.get(UserPreference, user.name)
    if row is None:
        return Preferences(0.0, False, policy.review.break_minutes)
    return Preferences(row.extra_blur, row.hide_icons, row.break_minutes)


def save_preferences(engine: Engine, user: User, prefs: Preferences) -> Preferences:
    """Store the user's own preferences (anyone may set their own). Blur can only be added, never removed."""
    clean = Preferences(min(max(0.0, float(prefs.extra_blur)), MAX_EXTRA_BLUR), bool(prefs.hide_icons),
                        min(max(5, int(prefs.break_minutes)), 240))

    def act(session: Session) -> None:
        row = session.get(UserPreference, user.name) or UserPreference(name=user.name)
        row.extra_blur, row.hide_icons, row.break_minutes = clean.extra_blur, clean.hide_icons, clean.break_minutes
        session.add(row)
        audit.append(session, user.name, "preferences", user.name, asdict(clean))

    write(engine, act)
    return clean
