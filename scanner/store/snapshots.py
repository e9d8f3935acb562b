"""Snapshots as stored: a scan's ingest (valid records deduplicated by content hash, rejected records
quarantined with file, line and reason, committed in batches) and the reads that come back to them.

Crash safety: snapshots are committed in batches and are unique by content hash, so a scan killed mid-read
resumes by re-reading (known snapshots are skipped).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import OperationalError, StatementError
from sqlmodel import Session, col, select

from scanner.schema import GroupSnapshot, Located, Rejected, stored_snapshot, utc_iso
from scanner.store.models import RejectedRecord, ScanRun, Snapshot

# Records per ingest transaction: each commit checkpoints the WAL, and at 1,000 the commits were a third of
# reading a million records (5,000: 12 s less per 200,000). Also how much a crash makes a scan read again.
BATCH = 5000

Progress = Callable[[str, int, int], None]


class IngestCounts(Protocol):
    """What ingest counts as it goes (a scan's ``ScanSummary``): the run it belongs to and its running totals."""

    scan_id: int
    records_read: int
    snapshots_new: int
    snapshots_known: int
    rejected: list[Rejected]


def _store_batch(session: Session, batch: list[Located], scan_id: int) -> tuple[int, int]:
    """Insert the batch's snapshots that are not stored yet. A Core ``executemany`` of plain rows: ORM objects
    cost 120 µs a record, most of what reading a big export took."""
    found: dict[str, tuple[Located, dict]] = {}
    for item in batch:
        wire, digest = item.snapshot.wire_and_hash()
        found.setdefault(digest, (item, wire))
    known = set(session.exec(select(Snapshot.content_hash).where(col(Snapshot.content_hash).in_(list(found)))).all())
    rows = [dict(content_hash=digest, group_id=item.snapshot.group_id, platform=item.snapshot.platform,
                 observed_at=item.snapshot.observed_at, payload=wire, source=item.source, line=item.line,
                 scan_id=scan_id)
            for digest, (item, wire) in found.items() if digest not in known]
    if rows:
        session.connection().execute(Snapshot.__table__.insert(), rows)  # type: ignore[attr-defined]
    return len(rows), len(batch) - len(rows)


def _utf8(text: str) -> str:
    """``text`` storable as UTF-8 text everywhere: a lone surrogate from a hostile record shown as ``\\udc80``,
    a NUL as ``\\x00`` (PostgreSQL refuses NUL in text)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _store_rejected(session: Session, rejected: Sequence[Rejected], scan_id: int) -> None:
    for item in rejected:
        item = Rejected(item.source, item.line, _utf8(item.reason), _utf8(item.excerpt))
        digest = hashlib.sha256(item.excerpt.encode("utf-8")).hexdigest()
        exists = session.exec(select(RejectedRecord.id).where(
            RejectedRecord.source == item.source, RejectedRecord.line == item.line,
            RejectedRecord.excerpt_sha256 == digest)).first()
        if exists is None:
            session.add(RejectedRecord(source=item.source, line=item.line, reason=item.reason[:2000],
                                       excerpt=item.excerpt[:400], excerpt_sha256=digest, scan_id=scan_id))


def _commit_batch(engine: Engine, batch: list[Located], bad: list[Rejected], summary: IngestCounts) -> tuple[int, int]:
    """One transaction: the batch's new snapshots, its rejected records, and the run's counts so far (a run
    killed later still shows what it committed)."""
    with Session(engine) as session, session.begin():
        new, known = _store_batch(session, batch, summary.scan_id) if batch else (0, 0)
        _store_rejected(session, bad, summary.scan_id)
        session.execute(update(ScanRun).where(col(ScanRun.id) == summary.scan_id).values(
            records_read=summary.records_read, snapshots_new=summary.snapshots_new + new,
            snapshots_known=summary.snapshots_known + known, rejected=len(summary.rejected) + len(bad)))
    return new, known


def ingest(engine: Engine, records: Iterable[Located | Rejected], summary: IngestCounts,
           progress: Progress | None = None) -> None:
    """Store valid snapshots (deduplicated) and quarantine rejected records, committing every ``BATCH``.
    A batch the database refuses is stored again one record at a time: the record it refuses is quarantined
    with the database's reason, and the rest of the batch is kept."""
    batch: list[Located] = []
    bad: list[Rejected] = []

    def flush() -> None:
        try:
            new, known = _commit_batch(engine, batch, bad, summary)
        except (StatementError, ValueError, OverflowError) as error:
            if isinstance(error, OperationalError):  # the database itself (locked, gone), not a record
                raise
            for item in batch:
                try:
                    one_new, one_known = _commit_batch(engine, [item], [], summary)
                except (StatementError, ValueError, OverflowError) as refused:
                    if isinstance(refused, OperationalError):
                        raise
                    reason = f"could not be stored: {type(refused).__name__}: {refused}".splitlines()[0]
                    bad.append(Rejected(item.source, item.line, reason, item.snapshot.group_id[:200]))
                    continue
                summary.snapshots_new += one_new
                summary.snapshots_known += one_known
            new = known = 0
            _commit_batch(engine, [], bad, summary)
        summary.snapshots_new += new
        summary.snapshots_known += known
        summary.rejected.extend(bad)
        batch.clear()
        bad.clear()

    for record in records:
        summary.records_read += 1
        if isinstance(record, Rejected):
            bad.append(record)
        else:
            batch.append(record)
        if len(batch) + len(bad) >= BATCH:
            flush()
            if progress:
                progress("read", summary.records_read, 0)
    flush()


def load_snapshots(engine: Engine) -> list[GroupSnapshot]:
    with Session(engine) as session:
        payloads = session.exec(select(Snapshot.payload).order_by(col(Snapshot.id))).all()
    return [stored_snapshot(p) for p in payloads]


def database_id(engine: Engine) -> str:
    """When this database's first scan started: tells a database from one made again under the same URL."""
    with Session(engine) as session:
        first = session.exec(select(ScanRun.started_at).order_by(col(ScanRun.id)).limit(1)).first()
    return utc_iso(first) if first else ""


def snapshot_extent(engine: Engine) -> tuple[int, int, str]:
    """(newest snapshot id, number of snapshots, the newest one's content hash)."""
    with Session(engine) as session:
        newest, count = session.exec(select(func.max(Snapshot.id), func.count(col(Snapshot.id)))).one()
        digest = session.exec(select(Snapshot.content_hash).where(Snapshot.id == newest)).first() if newest else ""
    return int(newest or 0), int(count or 0), digest or ""
