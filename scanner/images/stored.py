"""Icon classifications and thumbnails as stored, for a scan's icon signals: what the classifier already
classified in earlier scans (never classify an icon twice), the backlog of icons left unclassified
(``scanner.images.icon_backlog``), and the moderator-safe thumbnails of icons seen for the first time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from scanner.images import icon_backlog
from scanner.images.icon import IconSignal
from scanner.images.icon_classifier import classifier_model_id
from scanner.images.icon_pool import Budget, ClassifyPlan, Digests
from scanner.policy import Policy
from scanner.signals.base import MakesThumbnails
from scanner.store.models import IconClassification, IconThumbnail


def _icon_signals(signals: Sequence[object]) -> list[IconSignal]:
    return [s for s in signals if isinstance(s, IconSignal) and s.classifier is not None]


def classify_plan(engine: Engine, policy: Policy) -> ClassifyPlan | None:
    """What icon workers started before the signals exist classify: the policy's classifier, minus the icons
    it has classified in earlier scans, within the scan's budget."""
    icon = policy.signals.icon
    model_id = classifier_model_id(icon.classifier)
    if model_id is None:
        return None
    with Session(engine) as session:
        known = session.exec(select(IconClassification.icon_sha256).where(
            col(IconClassification.model_id) == model_id)).all()
    return ClassifyPlan(icon.classifier, Digests(known), Budget(icon.classify_budget))


def backlog_to_rescore(engine: Engine, signals: Sequence[object]) -> tuple[set[str], set[str]]:
    """Icons ``groupscan icons classify`` has classified since they were left unclassified, and their groups:
    this scan scores those groups again (``scanner.images.icon_backlog``)."""
    shas: set[str] = set()
    groups: set[str] = set()
    for signal in _icon_signals(signals):
        assert signal.classifier is not None
        found, showing = icon_backlog.to_rescore(engine, signal.classifier.model_id)
        shas |= found
        groups |= showing
    return shas, groups


def store_backlog(engine: Engine, signals: Sequence[object], scan_id: int, rescored: set[str]) -> int:
    """After the scan stored its scores: the icons it could not classify join the backlog, those it classified
    leave it, and the classified ones whose groups it scored again are done. Returns the backlog's new icons."""
    added = 0
    for signal in _icon_signals(signals):
        assert signal.classifier is not None
        model_id = signal.classifier.model_id
        icon_backlog.rescored(engine, model_id, rescored)
        icon_backlog.settle(engine, model_id, set(signal.new_classifications))
        added += icon_backlog.record(engine, model_id, signal.unclassified, scan_id)
    return added


def attach_classifications(engine: Engine, signals: Sequence[object], preload_all: bool = False) -> None:
    """Let icon signals read stored classifications as they need them (a rescan reads those of the icons it
    hashes, not a million rows). ``preload_all``: the signals run elsewhere (a Ray runner) and get them all."""
    if preload_all:
        preload_classifications(engine, signals)
        return
    for signal in _icon_signals(signals):
        assert signal.classifier is not None
        model_id = signal.classifier.model_id

        def stored(model_id: str = model_id) -> Digests:
            with Session(engine) as session:
                return Digests(session.exec(select(IconClassification.icon_sha256).where(
                    col(IconClassification.model_id) == model_id)).all())

        def fetch(shas: Sequence[str], model_id: str = model_id) -> dict[str, dict[str, float]]:
            found: dict[str, dict[str, float]] = {}
            with Session(engine) as session:
                for start in range(0, len(shas), 500):
                    found.update((sha, dict(scores)) for sha, scores in session.exec(
                        select(IconClassification.icon_sha256, IconClassification.scores).where(
                            col(IconClassification.model_id) == model_id,
                            col(IconClassification.icon_sha256).in_(shas[start:start + 500]))).all())
            return found

        signal.attach(stored, fetch)


def preload_classifications(engine: Engine, signals: Sequence[object]) -> None:
    """Give icon signals the scores earlier scans stored for their classifier model, so no icon is classified
    twice."""
    for signal in _icon_signals(signals):
        assert signal.classifier is not None
        with Session(engine) as session:
            rows = session.exec(select(IconClassification).where(
                col(IconClassification.model_id) == signal.classifier.model_id)).all()
        signal.preload({row.icon_sha256: dict(row.scores) for row in rows})


def store_classifications(engine: Engine, signals: Sequence[object], scan_id: int) -> None:
    for signal in _icon_signals(signals):
        assert signal.classifier is not None
        if not signal.new_classifications:
            continue
        with Session(engine) as session, session.begin():
            known = set(session.exec(select(IconClassification.icon_sha256).where(
                col(IconClassification.model_id) == signal.classifier.model_id)).all())
            rows = [dict(icon_sha256=sha, model_id=signal.classifier.model_id, scores=scores,
                         created_scan_id=scan_id)
                    for sha, scores in sorted(signal.new_classifications.items()) if sha not in known]
            if rows:
                session.execute(insert(IconClassification), rows)
        signal.new_classifications.clear()


def store_thumbnails(engine: Engine, signals: Sequence[object], policy: Policy, scan_id: int) -> int:
    """Store the moderator-safe thumbnails of icons seen for the first time (one transaction). Returns how many."""
    made: dict[str, bytes] = {}
    for signal in signals:
        if isinstance(signal, MakesThumbnails):
            made.update(signal.thumbnails)
    made = {sha: png for sha, png in made.items() if png}
    if not made:
        return 0
    with Session(engine) as session, session.begin():
        known = set(session.exec(select(IconThumbnail.icon_sha256)).all())
        rows = [dict(icon_sha256=sha, png=png, size=policy.signals.icon.thumbnail_size,
                     blur=policy.signals.icon.thumbnail_blur, created_scan_id=scan_id)
                for sha, png in sorted(made.items()) if sha not in known]
        if rows:
            session.execute(insert(IconThumbnail), rows)
    return len(rows)
