"""Hash banks kept in the database: imported once (``groupscan hashlist import``), listed, switched on and off,
and loaded by every scan. Files in ``DATA/hashlists/`` and ``--hash-list`` still work for one-off runs.

Formats: ``plain`` (one hash per line, or ``pdq HASH``: python-threatexchange's local-file format is the same),
``csv`` (a ``pdq`` or ``hash`` column, optional ``label`` and ``category``), ``auto`` by file suffix.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert
from sqlmodel import Session, col, select

from scanner.images.hashbank import BankEntry, HashBank, HashBankError, read_bank, read_bank_csv
from scanner.store.models import HashBankEntryRecord, HashBankRecord

FORMATS = ("auto", "plain", "te", "csv")
MAX_BANK_NAME = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_bank_name(name: str) -> None:
    """A bank name is shown in reasons, tables and reports: 1 to 64 printable characters, not blank."""
    if not name.strip():
        raise HashBankError("a bank name must not be empty or blank")
    if len(name) > MAX_BANK_NAME:
        raise HashBankError(f"a bank name is at most {MAX_BANK_NAME} characters (this one has {len(name)})")
    if _CONTROL.search(name) or not name.isprintable():
        raise HashBankError(f"a bank name must be printable: {name!r}")


def read_any(path: Path, fmt: str, category: str, threshold: int, name: str, negative: bool,
             categories: Collection[str] | None = None) -> HashBank:
    if fmt not in FORMATS:
        raise HashBankError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if fmt == "csv" or (fmt == "auto" and path.suffix.lower() == ".csv"):
        return read_bank_csv(path, category, threshold, name, negative, categories)
    return read_bank(path, category, threshold, name, negative)


def import_bank(engine: Engine, path: Path, name: str, category: str, threshold: int = 31, fmt: str = "auto",
                negative: bool = False, categories: Collection[str] | None = None,
                replace_empty: bool = False) -> int:
    """Create or replace bank ``name`` with the hashes of ``path`` in one transaction; returns the entry count.
    ``categories``: the categories a bank may have (the policy's), checked for ``category`` and for a CSV's
    category column alike. A file without hashes is refused unless ``replace_empty``: a truncated or wrong file
    must not silently empty a bank that matched yesterday."""
    check_bank_name(name)
    if categories is not None and category not in categories:
        raise HashBankError(f"unknown category {category!r} (expected one of {', '.join(sorted(categories))})")
    bank = read_any(path, fmt, category, threshold, name, negative, categories)
    unique = {e.pdq: e for e in reversed(bank.entries)}  # first occurrence wins
    if not unique and not replace_empty:
        raise HashBankError(f"{path}: holds no hashes; bank {name!r} is left as it was (--replace-empty to import "
                            "an empty list on purpose)")
    with Session(engine) as session, session.begin():
        session.execute(delete(HashBankEntryRecord).where(col(HashBankEntryRecord.bank) == name))
        session.merge(HashBankRecord(name=name, category=bank.category, threshold=threshold, enabled=True,
                                     negative=negative, source=str(path), imported_at=datetime.now(UTC)))
        session.flush()
        if unique:
            session.execute(insert(HashBankEntryRecord), [
                dict(bank=name, pdq=e.pdq, label=e.label, line=e.line)
                for e in sorted(unique.values(), key=lambda e: e.line)])
    return len(unique)


def list_banks(engine: Engine) -> list[dict]:
    with Session(engine) as session:
        # One grouped count, not a load of every entry: a bank can hold a million hashes.
        counts = dict(session.exec(select(HashBankEntryRecord.bank, func.count()).group_by(
            col(HashBankEntryRecord.bank))).all())
        banks = session.exec(select(HashBankRecord).order_by(col(HashBankRecord.name))).all()
        return [{"name": bank.name, "category": bank.category, "threshold": bank.threshold,
                 "enabled": bank.enabled, "negative": bank.negative, "entries": int(counts.get(bank.name, 0)),
                 "source": bank.source, "imported_at": bank.imported_at.isoformat()} for bank in banks]


def set_enabled(engine: Engine, name: str, enabled: bool) -> bool:
    """Switch a bank on or off; False when there is no such bank."""
    with Session(engine) as session, session.begin():
        bank = session.get(HashBankRecord, name)
        if bank is None:
            return False
        bank.enabled = enabled
        return True


def load_banks(engine: Engine) -> list[HashBank]:
    """Every enabled bank, ready to match."""
    with Session(engine) as session:
        banks = session.exec(select(HashBankRecord).where(col(HashBankRecord.enabled)).order_by(
            col(HashBankRecord.name))).all()
        out = []
        for bank in banks:
            rows = session.exec(select(HashBankEntryRecord).where(col(HashBankEntryRecord.bank) == bank.name)
                                .order_by(col(HashBankEntryRecord.line))).all()
            out.append(HashBank(bank.name, bank.category, bank.threshold,
                                tuple(BankEntry(r.pdq, r.line, r.label) for r in rows), f"db:{bank.name}",
                                negative=bank.negative))
        return out
