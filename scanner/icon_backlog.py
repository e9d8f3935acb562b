"""The icon classifier's backlog: icons a scan hashed but did not classify, classified later, outside any scan.

A cold scan of a big platform meets hundreds of thousands of new icons; at the classifier's few dozen icons a
second that would hold the scan for hours. A scan classifies up to ``signals.icon.classify_budget`` of them (in
the icon workers) and records the rest here (``pending``, with the file it read). ``groupscan icons classify``
classifies them in batches, each batch committed with its ``icon_classification`` rows in one transaction: killed
at any moment, it resumes with what is still pending and never classifies a committed icon again. Rows it has
classified are ``classified``: the next scan scores the groups that show those icons again (as if they had new
snapshots, so a scoped rescan takes their components along, ``scanner.scope``) and then drops the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, insert, update
from sqlmodel import Session, col, func, select

from scanner.policy import Policy
from scanner.signals.icon_classifier import IconClassifier, load_classifier
from scanner.signals.icon_pool import Examiner, HashLimits
from scanner.signals.pdq import IconHash
from scanner.store.models import Group, IconBacklog, IconClassification, ScanRun

PENDING, CLASSIFIED, FAILED = "pending", "classified", "failed"


def record(engine: Engine, model_id: str, unclassified: Mapping[str, Path], scan_id: int) -> int:
    """Add the icons a scan left unclassified (sha256 -> the file it read); returns how many are new. Icons the
    scan did classify leave the backlog (another path of theirs may have been recorded by an earlier scan)."""
    with Session(engine) as session, session.begin():
        known = set(session.exec(select(IconBacklog.icon_sha256).where(
            col(IconBacklog.model_id) == model_id)).all())
        rows = [dict(icon_sha256=sha, model_id=model_id, path=str(path)[:4096], state=PENDING, scan_id=scan_id)
                for sha, path in sorted(unclassified.items()) if sha not in known]
        if rows:
            session.execute(insert(IconBacklog), rows)
    return len(rows)


def settle(engine: Engine, model_id: str, classified: set[str]) -> None:
    """Drop pending rows of icons a scan has classified itself."""
    if not classified:
        return
    with Session(engine) as session, session.begin():
        session.execute(delete(IconBacklog).where(col(IconBacklog.model_id) == model_id,
                                                  col(IconBacklog.state) == PENDING,
                                                  col(IconBacklog.icon_sha256).in_(sorted(classified))))


def to_rescore(engine: Engine, model_id: str) -> tuple[set[str], set[str]]:
    """Icons classified since the scan that left them (sha256) and the groups that show them."""
    with Session(engine) as session:
        shas = set(session.exec(select(IconBacklog.icon_sha256).where(
            col(IconBacklog.model_id) == model_id, col(IconBacklog.state) == CLASSIFIED)).all())
        if not shas:
            return set(), set()
        groups = set(session.exec(select(Group.group_id).where(col(Group.icon_sha256).in_(sorted(shas)))).all())
    return shas, groups


def rescored(engine: Engine, model_id: str, shas: set[str]) -> None:
    """A scan has scored the groups of these classified icons again: they leave the backlog."""
    if not shas:
        return
    with Session(engine) as session, session.begin():
        session.execute(delete(IconBacklog).where(col(IconBacklog.model_id) == model_id,
                                                  col(IconBacklog.state) == CLASSIFIED,
                                                  col(IconBacklog.icon_sha256).in_(sorted(shas))))


def counts(engine: Engine, model_id: str) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(IconBacklog.state, func.count()).where(col(IconBacklog.model_id) == model_id)
                            .group_by(col(IconBacklog.state))).all()
    return {PENDING: 0, CLASSIFIED: 0, FAILED: 0, **{state: int(n) for state, n in rows}}


@dataclass
class BacklogRun:
    classified: int = 0  # classified by this run
    reused: int = 0  # classified meanwhile by a scan: taken as they are
    failed: int = 0
    left: int = 0  # still pending when the run stopped (its budget)


def classify(engine: Engine, policy: Policy, budget: int | None = None, batch: int = 32, threads: int = 2,
             classifier: IconClassifier | None = None,
             progress: Callable[[int, int], None] | None = None) -> BacklogRun:
    """Classify pending icons, oldest scan first, ``batch`` at a time, each batch committed with its
    classifications; at most ``budget`` icons (None: all). A file gone, changed (its sha256 differs) or refused
    by the safe loader is ``failed`` with the reason."""
    icon = policy.signals.icon
    classifier = classifier or load_classifier(icon.classifier, threads=threads)
    if classifier is None:
        raise ValueError("the policy's icon classifier is 'upstream': nothing runs here")
    model_id = classifier.model_id
    run = BacklogRun()
    total = counts(engine, model_id)[PENDING]
    goal = total if budget is None else min(total, budget)
    examiner = Examiner(HashLimits.of(icon), classifier, batch_size=batch)
    scan_id = _last_scan(engine)
    done = 0
    while done < goal:
        with Session(engine) as session:
            rows = session.exec(select(IconBacklog).where(col(IconBacklog.model_id) == model_id,
                                                          col(IconBacklog.state) == PENDING)
                                .order_by(col(IconBacklog.scan_id), col(IconBacklog.icon_sha256))
                                .limit(min(batch, goal - done))).all()
            todo = [(row.icon_sha256, Path(row.path)) for row in rows]
            already = dict(session.exec(select(IconClassification.icon_sha256, IconClassification.scores).where(
                col(IconClassification.model_id) == model_id,
                col(IconClassification.icon_sha256).in_([sha for sha, _ in todo]))).all())
        if not todo:
            break
        examiner.known = already
        found = examiner.examine([path for sha, path in todo])
        new: list[dict] = []
        states: dict[str, tuple[str, str | None]] = {}
        for (sha, _), (outcome, scores) in zip(todo, found, strict=True):
            if sha in already:
                states[sha] = (CLASSIFIED, None)
                run.reused += 1
            elif not isinstance(outcome, IconHash):
                states[sha] = (FAILED, str(outcome)[:512])
            elif outcome.sha256 != sha:
                states[sha] = (FAILED, "the file has changed since the scan read it")
            elif scores is None:
                states[sha] = (FAILED, "not classified")
            else:
                new.append(dict(icon_sha256=sha, model_id=model_id, scores=scores, created_scan_id=scan_id))
                states[sha] = (CLASSIFIED, None)
        with Session(engine) as session, session.begin():
            if new:
                session.execute(insert(IconClassification), new)
            for sha, (state, error) in states.items():
                session.execute(update(IconBacklog).where(col(IconBacklog.model_id) == model_id,
                                                          col(IconBacklog.icon_sha256) == sha)
                                .values(state=state, error=error))
        run.classified += len(new)
        run.failed += sum(state == FAILED for state, _ in states.values())
        done += len(todo)
        if progress:
            progress(done, goal)
    run.left = counts(engine, model_id)[PENDING]
    return run


def _last_scan(engine: Engine) -> int:
    """Classifications name a scan: the backlog's are credited to the newest (their icons' rows are older)."""
    with Session(engine) as session:
        found = session.exec(select(func.max(ScanRun.id))).one()
    if not found:
        raise ValueError("no scan yet: the backlog is empty")
    return int(found)
