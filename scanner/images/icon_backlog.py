"""The icon classifier's backlog: icons a scan hashed but did not classify, classified later, outside any scan.

A cold scan of a big platform meets hundreds of thousands of new icons; at the classifier's few dozen icons a
second that would hold the scan for hours. A scan classifies up to ``signals.icon.classify_budget`` of them (in
the icon workers) and records the rest here (``pending``, with the file it read). ``groupscan icons classify``
classifies them in batches, each batch committed with its ``icon_classification`` rows in one transaction: killed
at any moment, it resumes with what is still pending and never classifies a committed icon again. Rows it has
classified are ``classified``: the next scan scores the groups that show those icons again (as if they had new
snapshots, so a scoped rescan takes their components along, ``scanner.engine.scope``) and then drops the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, insert, update
from sqlmodel import Session, col, func, select

from scanner.images.icon_classifier import IconClassifier, load_classifier
from scanner.images.icon_pool import ClassifyPlan, Digests, Examined, Examiner, HashLimits, IconPrefetch
from scanner.images.pdq import IconHash
from scanner.policy import Policy
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


def classify(engine: Engine, policy: Policy, budget: int | None = None, batch: int = 32, workers: int = 1,
             classifier: IconClassifier | None = None,
             progress: Callable[[int, int], None] | None = None) -> BacklogRun:
    """Classify pending icons, oldest scan first, ``batch`` at a time, each batch committed with its
    classifications; at most ``budget`` icons (None: all). With ``workers`` > 1 the icon worker processes of a
    scan do the work (``scanner.images.icon_pool``) while this process commits, in order. A file gone, changed
    (its sha256 differs) or refused by the safe loader is ``failed`` with the reason."""
    icon = policy.signals.icon
    classifier = classifier or load_classifier(icon.classifier, threads=1 if workers > 1 else 2)
    if classifier is None:
        raise ValueError("the policy's icon classifier is 'upstream': nothing runs here")
    model_id = classifier.model_id
    run = BacklogRun()
    with Session(engine) as session:
        query = (select(IconBacklog.icon_sha256, IconBacklog.path)
                 .where(col(IconBacklog.model_id) == model_id, col(IconBacklog.state) == PENDING)
                 .order_by(col(IconBacklog.scan_id), col(IconBacklog.icon_sha256)))
        todo = [(sha, Path(path)) for sha, path in session.exec(query if budget is None else query.limit(budget))]
        # Classified meanwhile by a scan (the same icon seen again): taken as stored, never run again.
        already = set(session.exec(select(IconClassification.icon_sha256).where(
            col(IconClassification.model_id) == model_id)).all()) & {sha for sha, _ in todo}
    if todo:
        scan_id = _last_scan(engine)
        limits = HashLimits.of(icon)
        examiner = Examiner(limits, classifier, already, batch_size=batch)
        batches = [todo[i:i + batch] for i in range(0, len(todo), batch)]
        if workers > 1 and len(batches) > 1:
            found_batches = _pooled(batches, limits, workers, ClassifyPlan(classifier.name, Digests(already)),
                                    examiner)
        else:
            found_batches = (examiner.examine([path for _, path in part]) for part in batches)
        done = 0
        for part, found in zip(batches, found_batches, strict=True):
            _commit(engine, model_id, scan_id, part, found, already, run)
            done += len(part)
            if progress:
                progress(done, len(todo))
    run.left = counts(engine, model_id)[PENDING]
    return run


def _pooled(batches: list[list[tuple[str, Path]]], limits: HashLimits, workers: int, plan: ClassifyPlan,
            local: Examiner) -> Iterator[list[Examined]]:
    """Each batch's outcomes, in order, from a pool that works ahead (chunks of one batch each)."""
    prefetch: IconPrefetch[int] = IconPrefetch(limits, workers, chunk=len(batches[0]), plan=plan, local=local)
    try:
        n = 0
        for part in batches:
            for _, path in part:
                prefetch.add(n, path)
                n += 1
        prefetch.flush()
        n = 0
        for part in batches:
            keys = range(n, n + len(part))
            found: dict[int, Examined] = {}
            for key in keys:
                if key not in found:
                    found.update(prefetch.take(key))
            yield [found[key] for key in keys]
            n += len(part)
    finally:
        prefetch.close()


def _commit(engine: Engine, model_id: str, scan_id: int, part: list[tuple[str, Path]], found: list[Examined],
            already: set[str], run: BacklogRun) -> None:
    """One batch's classifications and backlog states, in one transaction."""
    new: list[dict] = []
    states: dict[str, tuple[str, str | None]] = {}
    for (sha, _), (outcome, scores) in zip(part, found, strict=True):
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


def _last_scan(engine: Engine) -> int:
    """Classifications name a scan: the backlog's are credited to the newest (their icons' rows are older)."""
    with Session(engine) as session:
        found = session.exec(select(func.max(ScanRun.id))).one()
    if not found:
        raise ValueError("no scan yet: the backlog is empty")
    return int(found)
