"""Hash banks: named lists of PDQ hashes of known material, matched with a faiss binary index.

As in python-threatexchange, every fast index has a slow, obviously-correct twin (``BruteForceIndex``); tests
check that both return the same matches. Banks carry a category and a per-bank match threshold; the demo bank
shipped in sample_groups is a FAKE list of hashes of generated abstract images.

File formats read: one hash per line, or ``pdq HASH`` per line (the ThreatExchange signal-type prefix), with
``#`` comments and blank lines ignored. A bad line is an error naming file and line: a hash list is evidence,
and a silently skipped line is a silently missed match. The file itself is read as untrusted input
(``scanner.files.safefile``): a regular file of at most ``MAX_LIST_BYTES``, strict UTF-8 (a byte-order mark allowed),
CSV fields within the csv module's limit; anything else is a ``HashBankError`` with the line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from scanner.files.safefile import UnreadableFile, read_bounded
from scanner.images.pdq import PDQ_BITS, hex_to_bytes

# A hash list's size at most: about 3.5 million ``pdq HASH`` lines.
MAX_LIST_BYTES = 256 * 1024 * 1024


class HashBankError(ValueError):
    pass


def read_list_text(path: Path) -> str:
    """The text of a hash list, or ``HashBankError`` naming the file (and the line of a bad byte)."""
    try:
        data = read_bounded(path, MAX_LIST_BYTES)
    except UnreadableFile as error:
        raise HashBankError(f"{path}: cannot read hash list: it {error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise HashBankError(f"{path}:{line}: not UTF-8 ({error.reason} at byte {error.start}); a hash list is "
                            "plain text") from None


def _pdq_or_error(value: str, path: Path, number: int, shown: str) -> str:
    try:
        hex_to_bytes(value)
        int(value, 16)
    except ValueError:
        raise HashBankError(f"{path}:{number}: not a PDQ hash: {shown[:80]!r}") from None
    return value


@dataclass(frozen=True)
class BankEntry:
    pdq: str
    line: int
    label: str = ""


@dataclass(frozen=True)
class HashBank:
    name: str
    category: str
    threshold: int
    entries: tuple[BankEntry, ...]
    source: str
    enabled: bool = True
    # A negative bank lists known benign look-alikes (a popular meme, a default avatar): an icon nearer to one
    # of them than to a positive entry is not a hit, whatever the positive distance.
    negative: bool = False


@dataclass(frozen=True)
class Match:
    """One query hash within ``distance`` of a bank entry."""

    query: int
    bank: str
    entry: int
    distance: int


NEGATIVE_SUFFIX = ".negative"


def read_bank(path: Path, category: str, threshold: int, name: str | None = None,
              negative: bool | None = None) -> HashBank:
    """A plain PDQ list (one hash per line, or ``pdq HASH``; ``#`` comments). A file named ``*.negative.pdq`` is
    a negative bank unless ``negative`` says otherwise."""
    entries = []
    lines = read_list_text(Path(path)).split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) == 2 and parts[0].lower() == "pdq":
            parts = parts[1:]
        value = parts[0].lower() if len(parts) == 1 else ""
        entries.append(BankEntry(_pdq_or_error(value, path, number, raw.strip()), number))
    stem = Path(path).stem
    if negative is None:
        negative = stem.endswith(NEGATIVE_SUFFIX)
    return HashBank(name or stem, category, threshold, tuple(entries), str(path), negative=negative)


def read_bank_csv(path: Path, category: str, threshold: int, name: str | None = None,
                  negative: bool = False, categories: Collection[str] | None = None) -> HashBank:
    """A CSV hash list with a header: a ``pdq`` (or ``hash``) column, and optionally ``label`` (stored with each
    entry, shown in reasons) and ``category`` (must agree across rows; overrides ``category``). With
    ``categories``, a category cell must be one of them, as ``--label`` must."""
    reader = csv.reader(io.StringIO(read_list_text(Path(path)), newline=""))
    try:
        header = next(reader, [])
        columns = {c.strip().lower(): i for i, c in enumerate(header)}
        key = columns.get("pdq", columns.get("hash"))
        if key is None:
            raise HashBankError(f"{path}:1: a CSV hash list needs a 'pdq' or 'hash' column")
        entries = []
        found: dict[str, int] = {}
        for row in reader:
            number = reader.line_num
            if not row:
                continue
            cells = {column: (row[i].strip() if i < len(row) else "") for column, i in columns.items()}
            value = cells.get("pdq", cells.get("hash", "")).lower()
            entries.append(BankEntry(_pdq_or_error(value, path, number, value), number, cells.get("label", "")))
            if cells.get("category"):
                if categories is not None and cells["category"] not in categories:
                    raise HashBankError(f"{path}:{number}: unknown category {cells['category'][:80]!r} (expected one "
                                        f"of {', '.join(sorted(categories))})")
                found.setdefault(cells["category"], number)
    except csv.Error as error:
        raise HashBankError(f"{path}:{reader.line_num}: unreadable CSV: {error}") from None
    if len(found) > 1:
        raise HashBankError(f"{path}: one bank has one category; found {', '.join(sorted(found))}")
    return HashBank(name or Path(path).stem, next(iter(found)) if found else category, threshold,
                    tuple(entries), str(path), negative=negative)


def write_bank(bank: HashBank, path: Path) -> None:
    """A bank in python-threatexchange's local-file format (``pdq HASH`` per line), which our reader and
    ThreatExchange's ``LocalFileSignalExchangeAPI`` both read."""
    Path(path).write_text("".join(f"pdq {e.pdq}\n" for e in bank.entries), encoding="utf-8")


def _matrix(hashes: Sequence[str]) -> np.ndarray:
    if not hashes:
        return np.zeros((0, PDQ_BITS // 8), dtype=np.uint8)
    return np.stack([hex_to_bytes(h) for h in hashes])


class BruteForceIndex:
    """Every query against every entry: slow, obviously correct, the reference for the faiss index."""

    def __init__(self, hashes: Sequence[str]) -> None:
        self._bits = np.unpackbits(_matrix(hashes), axis=1).astype(bool)

    def range_search(self, queries: Sequence[str], threshold: int) -> list[tuple[int, int, int]]:
        found: list[tuple[int, int, int]] = []
        query_bits = np.unpackbits(_matrix(queries), axis=1).astype(bool)
        for qi, row in enumerate(query_bits):
            distances = (self._bits != row).sum(axis=1)
            found.extend((qi, int(ei), int(distances[ei])) for ei in np.flatnonzero(distances <= threshold))
        return sorted(found)


class FaissIndex:
    """faiss ``IndexBinaryFlat`` (exact Hamming). Range search there is strict (< radius), so we ask for
    threshold + 1 to keep PDQ's inclusive convention (distance <= 31 matches)."""

    def __init__(self, hashes: Sequence[str]) -> None:
        self._index = faiss.IndexBinaryFlat(PDQ_BITS)
        if hashes:
            self._index.add(_matrix(hashes))

    def range_search(self, queries: Sequence[str], threshold: int) -> list[tuple[int, int, int]]:
        if not queries or self._index.ntotal == 0:
            return []
        lims, distances, ids = self._index.range_search(_matrix(queries), threshold + 1)
        found = []
        for qi in range(len(queries)):
            for k in range(lims[qi], lims[qi + 1]):
                found.append((qi, int(ids[k]), int(distances[k])))
        return sorted(found)


def match_banks(banks: Sequence[HashBank], queries: Sequence[str],
                variants: Mapping[str, Sequence[str]] | None = None) -> list[Match]:
    """All matches of ``queries`` against the enabled banks, each within its bank's threshold. With
    ``variants``, each query is also tried rotated and mirrored; a match keeps the nearest variant's distance."""
    expanded, owner = expand_queries(queries, variants)
    matches: list[Match] = []
    for bank in banks:
        if not bank.enabled or not bank.entries:
            continue
        index = FaissIndex([e.pdq for e in bank.entries])
        best: dict[tuple[int, int], int] = {}
        for q, ei, distance in index.range_search(expanded, bank.threshold):
            key = (owner[q], ei)
            if key not in best or distance < best[key]:
                best[key] = distance
        matches.extend(Match(qi, bank.name, ei, d) for (qi, ei), d in sorted(best.items()))
    return matches


def expand_queries(hashes: Sequence[str], variants: Mapping[str, Sequence[str]] | None) -> tuple[list[str], list[int]]:
    """Every query hash with its dihedral variants (when known), and for each the index of the hash it stands for."""
    queries: list[str] = []
    owner: list[int] = []
    for i, h in enumerate(hashes):
        for v in (variants or {}).get(h) or (h,):
            queries.append(v)
            owner.append(i)
    return queries, owner


def near_duplicate_pairs(hashes: Sequence[str], radius: int,
                         variants: Mapping[str, Sequence[str]] | None = None) -> list[tuple[int, int, int]]:
    """Pairs (i, j, distance) with i < j and Hamming distance <= radius: the near-duplicate icon edges. With
    ``variants`` (hash -> its eight dihedral hashes), a rotated or mirrored copy counts too, at the distance of
    the nearest variant."""
    index = FaissIndex(hashes)
    queries, owner = expand_queries(hashes, variants)
    best: dict[tuple[int, int], int] = {}
    for q, j, d in index.range_search(queries, radius):
        i = owner[q]
        if i == j:
            continue
        key = (min(i, j), max(i, j))
        if key not in best or d < best[key]:
            best[key] = d
    return [(i, j, d) for (i, j), d in sorted(best.items())]


def bank_results(
    group_ids: Sequence[str], pdq_by_group: dict[str, str], banks: Sequence[HashBank], match_weight: float,
    variants: Mapping[str, Sequence[str]] | None = None,
):
    """Hash-list hits as signal results: one per group with a match, the closest match per bank a reason.
    A hit's weight falls a little with distance (distance 0 is the bank's full weight)."""
    from scanner.reasons import Reason
    from scanner.signals.base import SignalResult

    queried = [g for g in group_ids if g in pdq_by_group]
    matches = match_banks(banks, [pdq_by_group[g] for g in queried], variants)
    by_bank = {b.name: b for b in banks}
    nearest_benign: dict[str, int] = {}
    for match in matches:
        if by_bank[match.bank].negative:
            group_id = queried[match.query]
            nearest_benign[group_id] = min(nearest_benign.get(group_id, match.distance), match.distance)
    best: dict[tuple[str, str], Match] = {}
    suppressed: dict[str, list[str]] = {}
    for match in matches:
        group_id = queried[match.query]
        if by_bank[match.bank].negative:
            continue
        if group_id in nearest_benign and nearest_benign[group_id] <= match.distance:
            suppressed.setdefault(group_id, []).append(match.bank)
            continue
        key = (group_id, match.bank)
        if key not in best or match.distance < best[key].distance:
            best[key] = match
    per_group: dict[str, list[Match]] = {}
    for (group_id, _), match in sorted(best.items()):
        per_group.setdefault(group_id, []).append(match)
    results = []
    for group_id, group_matches in per_group.items():
        scores: dict[str, float] = {}
        reasons = []
        for match in group_matches:
            bank = by_bank[match.bank]
            weight = match_weight * (1 - 0.3 * match.distance / max(bank.threshold, 1))
            scores[bank.category] = max(scores.get(bank.category, 0.0), weight)
            entry = bank.entries[match.entry]
            label = f", labelled {entry.label!r}" if entry.label else ""
            reasons.append(Reason(
                "hash_bank", bank.name, f"distance={match.distance}; line={entry.line}", bank.category, weight,
                f"Icon matches hash list {bank.name!r} ({bank.category}) at PDQ distance {match.distance} "
                f"(entry on line {entry.line}{label}).",
            ))
        results.append(SignalResult(group_id, "hash_bank", scores, tuple(reasons),
                                    features={"bank_hits": [m.bank for m in group_matches]}))
    for group_id in sorted(set(suppressed) - set(per_group)):
        # Recorded, not scored: a moderator can still see that a positive entry was near.
        results.append(SignalResult(group_id, "hash_bank", {}, (), features={
            "bank_suppressed": sorted(set(suppressed[group_id])), "nearest_benign_distance": nearest_benign[group_id]}))
    return results
