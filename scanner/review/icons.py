"""Icons as moderators see them: the stored blurred greyscale thumbnail by default (blurred further if the user
asked), and the original only on an explicit, permitted, audited reveal."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageFilter
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scanner.auth.users import User, require
from scanner.policy import Policy
from scanner.store import audit
from scanner.store.models import Group, IconThumbnail, Snapshot
from scanner.store.queries import members_of
from scanner.store.tx import write


class RevealError(LookupError):
    """The original icon cannot be shown (not a member of the case, no icon, file gone or changed)."""


def thumbnail(engine: Engine, user: User, icon_sha256: str, extra_blur: float = 0.0) -> bytes | None:
    """The moderator-safe PNG, blurred by ``extra_blur`` more than the policy's floor. None if none was made."""
    require(user, "view_case")
    with Session(engine) as session:
        row = session.get(IconThumbnail, icon_sha256)
        if row is None:
            return None
        png = bytes(row.png)
    return _blurred(png, extra_blur)


def thumbnails(engine: Engine, user: User, icon_sha256s: list[str], extra_blur: float = 0.0) -> dict[str, bytes]:
    """``thumbnail`` for many icons in one query (a case view shows dozens)."""
    require(user, "view_case")
    with Session(engine) as session:
        rows = session.exec(select(IconThumbnail.icon_sha256, IconThumbnail.png)
                            .where(col(IconThumbnail.icon_sha256).in_(sorted(set(icon_sha256s))))).all()
    return {sha: _blurred(bytes(png), extra_blur) for sha, png in rows}


def _blurred(png: bytes, extra_blur: float) -> bytes:
    if extra_blur <= 0:
        return png
    image = Image.open(io.BytesIO(png)).convert("L").filter(ImageFilter.GaussianBlur(extra_blur))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _original_path(session: Session, group_id: str, icon_sha256: str) -> Path | None:
    """The newest stored observation of the group that carried an icon, resolved against its source's folder
    (icon paths are relative to the data set, as in ``ScanContext``)."""
    rows = session.exec(select(Snapshot.payload, Snapshot.source).where(Snapshot.group_id == group_id)
                        .order_by(col(Snapshot.observed_at).desc(), col(Snapshot.id).desc())).all()
    for payload, source in rows:
        icon = payload.get("icon")
        if icon and icon.get("path"):
            candidate = Path(source).parent / icon["path"]
            if candidate.is_file() and hashlib.sha256(candidate.read_bytes()).hexdigest() == icon_sha256:
                return candidate
    return None


MIN_REASON = 5


def reveal(engine: Engine, user: User, case_id: str, group_id: str, policy: Policy, reason: str = "",
           now: datetime | None = None) -> bytes:
    """The original icon of one member, downscaled to ``review.reveal_max_px``, as PNG. A reveal needs a reason
    (friction: a person looks at an original only when they must), and every reveal (and every refused attempt
    by a permitted user) is written to the audit log first, with that reason. The dashboard shows the original
    for ``review.reveal_seconds`` and then blurs it again."""
    require(user, "reveal_icon")
    now = now or datetime.now(UTC)
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise RevealError("say why you need to see the original (a few words; it is audited)")
    reason = reason[:500]

    def act(session: Session) -> tuple[Path | None, str, str]:
        if group_id not in members_of(session, [case_id]).get(case_id, set()):
            problem, sha = f"{group_id} is not a member of case {case_id}", ""
            path = None
        else:
            group = session.get(Group, group_id)
            sha = (group.icon_sha256 if group else None) or ""
            path = _original_path(session, group_id, sha) if sha else None
            problem = "" if path else ("the group has no icon" if not sha else
                                       "the original file is no longer where the scan read it, or has changed")
        audit.append(session, user.name, "icon_reveal" if path else "icon_reveal_refused", case_id,
                     {"group_id": group_id, "icon_sha256": sha, "problem": problem, "reason": reason}, at=now)
        return path, sha, problem

    path, _sha, problem = write(engine, act)
    if path is None:
        raise RevealError(problem)
    image = Image.open(path)
    image.thumbnail((policy.review.reveal_max_px, policy.review.reveal_max_px))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    return out.getvalue()
