"""One scan at a time per database, with a lock that lives in the database itself (so it works for scans on
different machines sharing a PostgreSQL server, where a pid file would not).

A lock is a ``scan_lock`` row: taking it is an INSERT (the primary key refuses a second holder); holding it is a
heartbeat every ``stale_after / 4`` seconds from a background thread; a lock whose heartbeat is older than
``stale_after``, or whose holder is a dead process on this host, is stale and taken over with an UPDATE
conditioned on the old holder, so two waiting scans cannot both take it. Recoveries are audited.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from scanner.store import audit
from scanner.store.models import ScanLock
from scanner.store.tx import write


@dataclass(frozen=True)
class Holder:
    holder: str
    pid: int
    host: str
    acquired_at: datetime
    heartbeat_at: datetime


class LockBusy(RuntimeError):
    def __init__(self, holder: Holder) -> None:
        super().__init__(f"another scan holds the database (pid {holder.pid} on {holder.host}, since "
                         f"{holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC, last heartbeat "
                         f"{holder.heartbeat_at:%H:%M:%S} UTC)")
        self.holder = holder


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DatabaseLock:
    def __init__(self, engine: Engine, name: str = "scan", stale_after: float = 600.0) -> None:
        self.engine = engine
        self.name = name
        self.stale_after = stale_after
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.holder = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.recovered: Holder | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def _current(self) -> Holder | None:
        with Session(self.engine) as session:
            row = session.get(ScanLock, self.name)
            if row is None:
                return None
            return Holder(row.holder, row.pid, row.host, _utc(row.acquired_at), _utc(row.heartbeat_at))

    def _stale(self, holder: Holder, now: datetime) -> bool:
        if now - holder.heartbeat_at > timedelta(seconds=self.stale_after):
            return True
        return holder.host == self.host and not _alive(holder.pid)

    def try_acquire(self) -> bool:
        now = datetime.now(UTC)
        try:
            with Session(self.engine) as session, session.begin():
                session.add(ScanLock(name=self.name, holder=self.holder, pid=self.pid, host=self.host,
                                     acquired_at=now, heartbeat_at=now))
            return True
        except IntegrityError:
            pass
        holder = self._current()
        if holder is None or not self._stale(holder, now):
            return False

        def take(session: Session) -> bool:
            done = session.execute(update(ScanLock).where(col(ScanLock.name) == self.name,
                                                          col(ScanLock.holder) == holder.holder)
                                   .values(holder=self.holder, pid=self.pid, host=self.host, acquired_at=now,
                                           heartbeat_at=now))
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            audit.append(session, "system", "scan_lock_recovered", self.name,
                         {"stale_holder": holder.holder, "stale_pid": holder.pid, "stale_host": holder.host,
                          "last_heartbeat": holder.heartbeat_at.isoformat()}, at=now)
            return True

        if write(self.engine, take):
            self.recovered = holder
            return True
        return False

    def acquire(self, wait: float = 0.0, poll: float = 1.0) -> None:
        """Take the lock, waiting up to ``wait`` seconds; raise ``LockBusy`` naming the holder otherwise."""
        deadline = time.monotonic() + wait
        while not self.try_acquire():
            holder = self._current()
            if time.monotonic() >= deadline:
                if holder is None:
                    continue
                raise LockBusy(holder)
            time.sleep(min(poll, max(0.05, deadline - time.monotonic())))
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, daemon=True)
        self._beat.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.stale_after / 4):
            with Session(self.engine) as session, session.begin():
                session.execute(update(ScanLock).where(col(ScanLock.name) == self.name,
                                                       col(ScanLock.holder) == self.holder)
                                .values(heartbeat_at=datetime.now(UTC)))

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=10)
        with Session(self.engine) as session, session.begin():
            session.execute(delete(ScanLock).where(col(ScanLock.name) == self.name,
                                                   col(ScanLock.holder) == self.holder))

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
