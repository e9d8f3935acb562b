"""Tile a generated data folder into one K times bigger: K disjoint copies of every group, for scale benchmarks.

    .venv/bin/python -m bench.tile_data --data /tmp/scale-data/groups-100000-seed-11 --copies 10 --icon-copies 2 \\
        --out /tmp/scale-data/tiled-1000000

Why: the scale issue asks for a cold scan of 1,000,000 groups "with 10% of groups with new icons". The generator
(``python -m sample_groups.generate``) needs about 6 hours for 1M groups (drawing icons and saving them as optimised
PNG is most of it), while tiling a 100,000-group folder ten times takes minutes. The base has ~51% of groups with
an icon, so keeping icons in 2 copies out of 10 gives ~10% of the 1M groups with an icon, every one of them new
to a cold scan. ``bench/scale.py --tile`` tiles the folded groups in memory for the graph stages only; this script
writes a real data folder, so the whole scan (read, validate, signals, graph) can run on it.

What the output holds (``OUT``):

- ``groups.jsonl``: copy 0 (every line of the input, unchanged, byte for byte), then copy 1, ..., copy K-1, written
  streaming (the input is read K times, never held whole). Lines the project's reader rejects (``JsonLinesSource``:
  not UTF-8, not JSON, or refused by ``scanner.schema.parse_snapshot``) are "malformed": they are in copy 0 only,
  so a scan of ``OUT`` rejects as many lines as a scan of ``DATA``. (This is wider than "not JSON or not a dict
  with group_id": the generator's "member_count is text" and "icon path escapes the folder" lines are dicts with a
  group_id, and tiling them would multiply the rejected lines by K.)
- Copy k >= 1 of a valid record is disjoint from the other copies: ``group_id`` and each admin id get
  ``bench.scale_tiling.copy_id(value, k)`` (the suffix ``~copy{k}``, accepted by ``GroupSnapshot``). Invite links are
  suffixed differently, see below. Posted links (and links written in the description, which
  ``scanner.graph.groups.fold`` also reads as posted links) get the same per-copy form as the own links, so each
  copy's invite graph is the base graph on that copy's groups.
- Icons: copies ``0 .. icon_copies-1`` keep their icon; later copies get ``"icon": null, "icon_signals": null``.
  Copy 0 uses the original files, hard-linked into ``OUT/icons`` (copied if hard links fail). Copy k in
  ``1 .. icon_copies-1`` uses new files ``icons/c{k}-{name}.png``: the original with its luminance inverted (RGB,
  ``PIL.ImageOps.invert``, same size, PNG without optimize). That gives a new sha256 and a PDQ hash close to the
  bitwise complement, so copy k's icons are far from copy 0's (no false near-duplicates across copies) but keep
  the distances among themselves (icon families stay families). Their ``icon_signals.pdq`` is set to null (an
  upstream hash of the original would be wrong for the new file); the classifier scores are kept. Each distinct
  source icon is inverted once per copy, in a process pool (``--workers``, default 2). A source icon that PIL
  cannot read is copied unchanged under the new name (the scanner refuses both alike).
- ``labels.csv``: the rows of every copy, ``group_id`` and a non-empty ``ring_id`` suffixed with ``copy_id`` (rings
  stay per copy). ``hashlists/``: copied unchanged. ``icon_truth.csv``: copy 0's rows only (the inverted icons have
  no ground truth family hash; the copies are not written). Other files of ``DATA`` (e.g. a ``delta1.jsonl``
  made for another benchmark) are not copied.

Invite links: ``copy_id`` on the URL (``https://t.me/+Code~copy1``) passes ``GroupSnapshot`` validation (a URL is
any non-empty string), but ``scanner.graph.links.canonicalize`` refuses it (invite codes are ``[A-Za-z0-9_-]``
for Telegram, alphanumeric for WhatsApp, ...), so the link would silently leave the invite graph; and on a URL with
a query string (``...?utm_source=x~copy1``) the suffix lands in the query and the link stays copy 0's. So the
suffix goes on the invite code itself, in a form the canonicaliser keeps:

    Telegram invite  t.me/+{code}-copy{k}          (codes: [A-Za-z0-9_-]{8,64})
    Telegram name    t.me/{name}_c{k}              (usernames: [a-z][a-z0-9_]{4,31}; short to fit 32)
    WhatsApp         chat.whatsapp.com/{code}copy{k}  (codes: [A-Za-z0-9]{10,40}; no separator allowed)
    Discord          discord.gg/{code}-copy{k}     (codes: [A-Za-z0-9-]{2,32})
    Matrix           matrix.to/#/#{local}~copy{k}:{server}  (the same for !room ids)

A code too long for its suffix is cut and given 8 hex digits of its SHA-1 before the suffix (deterministic,
disjoint in practice; the base data has none). The suffix is inserted into the URL as written (defanged, upper
case, percent-encoded ``%23``, with a query string), and the result is checked with ``canonicalize``: when that
fails, the URL is replaced by the canonical form ``https://{canonical}``. Descriptions are rewritten the same way
and checked with ``extract_links``. Every tiled record is validated with ``parse_snapshot`` before it is written.

Prints one summary line at the end: records written, groups, groups with an icon, new icon files, seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from bench.scale_tiling import copy_id
from bench.tile_links import Counters, TileError, tile_description, tile_url
from scanner.schema import parse_snapshot

GROUPS = "groups.jsonl"
WRITTEN = ("groups.jsonl", "labels.csv", "icon_truth.csv", "icons", "hashlists")
BOM = b"\xef\xbb\xbf"


# ----------------------------------------------------------------------------------------------- icons
def icon_name(path: str, k: int) -> str:
    """Copy k's icon path for the icon at ``path`` (a data-relative path as in the record)."""
    posix = PurePosixPath(path.replace("\\", "/"))
    return str(posix.parent / f"c{k}-{posix.stem}.png")


def _invert(task: tuple[str, str]) -> str:
    """Worker: write the luminance-inverted ``source`` as a new PNG at ``target``. Returns the outcome."""
    from PIL import Image, ImageOps

    source, target = task
    if not os.path.isfile(source):
        return "missing"
    try:
        with Image.open(source) as image:
            image.load()
            inverted = ImageOps.invert(image.convert("RGB"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        shutil.copyfile(source, target)
        return "unreadable"
    with open(target, "xb") as handle:  # never over an existing file: a name clash is a bug, not a rewrite
        inverted.save(handle, format="PNG")
    return "inverted"


def link_tree(source: Path, target: Path, counters: Counters) -> None:
    """Hard-link every file under ``source`` into ``target`` (copy where linking fails)."""
    for folder, _, files in os.walk(source):
        rel = Path(folder).relative_to(source)
        (target / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            link_file(Path(folder) / name, target / rel / name, counters)


def link_file(source: Path, target: Path, counters: Counters) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
        counters.hard_linked += 1
    except FileExistsError:
        pass
    except OSError:
        shutil.copy2(source, target)
        counters.copied_not_linked += 1


# ----------------------------------------------------------------------------------------------- records
def read_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        yield from enumerate(handle, start=1)


def decode(number: int, raw: bytes) -> Any:
    """The JSON value of a line, or raise ValueError (as ``JsonLinesSource`` would reject it)."""
    if number == 1:
        raw = raw.removeprefix(BOM)
    text = raw.decode("utf-8")  # UnicodeDecodeError is a ValueError
    if not text.strip():
        raise ValueError("blank")
    return json.loads(text)  # JSONDecodeError is a ValueError


def tile_record(obj: dict[str, Any], k: int, icon_copies: int, counters: Counters) -> dict[str, Any]:
    """Copy k (k >= 1) of a valid record."""
    new = dict(obj)
    new["group_id"] = copy_id(obj["group_id"], k)
    if obj.get("admins"):
        new["admins"] = [copy_id(a, k) for a in obj["admins"]]
    if obj.get("own_invite_links"):
        new["own_invite_links"] = [tile_url(u, k, counters) for u in obj["own_invite_links"]]
    if obj.get("posted_invite_links"):
        new["posted_invite_links"] = [{**p, "url": tile_url(p["url"], k, counters)}
                                      for p in obj["posted_invite_links"]]
    if isinstance(obj.get("description"), str):
        new["description"] = tile_description(obj["description"], k, counters)
    if k >= icon_copies:
        new["icon"] = None
        new["icon_signals"] = None
    else:
        if obj.get("icon") is not None:
            new["icon"] = {**obj["icon"], "path": icon_name(obj["icon"]["path"], k)}
        signals = obj.get("icon_signals")
        if signals is not None:
            new["icon_signals"] = {**signals, "pdq": None}
    return new


@dataclass(frozen=True)
class Summary:
    records: int
    groups: int
    groups_with_icon: int
    new_icon_files: int
    seconds: float
    malformed: int
    counters: Counters

    def line(self) -> str:
        c = self.counters
        share = self.groups_with_icon / self.groups if self.groups else 0.0
        extra = []
        if c.url_fallbacks or c.description_fallbacks:
            extra.append(f"{c.url_fallbacks} URLs and {c.description_fallbacks} descriptions in canonical form")
        if c.icons_copied_unreadable or c.icons_missing:
            extra.append(f"{c.icons_copied_unreadable} unreadable icons copied as-is, "
                         f"{c.icons_missing} referenced icons missing")
        if c.copied_not_linked:
            extra.append(f"{c.copied_not_linked} icons copied (hard link failed)")
        tail = f" ({'; '.join(extra)})" if extra else ""
        return (f"tiled: {self.records:,} records written ({self.malformed} malformed, copy 0 only), "
                f"{self.groups:,} groups, {self.groups_with_icon:,} groups with an icon ({share:.1%}), "
                f"{self.new_icon_files:,} new icon files made, {self.seconds:.1f} s{tail}")


def prepare_out(data: Path, out: Path, force: bool) -> None:
    data_real, out_real = data.resolve(), out.resolve()
    if data_real == out_real or data_real in out_real.parents or out_real in data_real.parents:
        raise TileError(f"--out {out} must be outside --data {data} (and not hold it)")
    if out.exists() and not out.is_dir():
        raise TileError(f"--out {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise TileError(f"--out {out} exists and is not empty (use --force to replace what this script writes)")
        for name in WRITTEN:
            target = out / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def tile(data: Path, out: Path, copies: int, icon_copies: int = 2, workers: int = 2, force: bool = False,
         log: bool = False) -> Summary:
    """Write the tiled folder; see the module docstring."""
    started = time.perf_counter()
    if copies < 1:
        raise TileError("--copies must be at least 1")
    if not 1 <= icon_copies <= copies:
        raise TileError("--icon-copies must be between 1 and --copies (copy 0 is always unchanged)")
    if workers < 1:
        raise TileError("--workers must be at least 1")
    source = data / GROUPS
    if not source.is_file():
        raise TileError(f"{data} has no {GROUPS}")
    prepare_out(data, out, force)
    counters = Counters()

    def say(message: str) -> None:
        if log:
            print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    # Copy 0's icons (the originals) and the files that do not change.
    if (data / "icons").is_dir():
        link_tree(data / "icons", out / "icons", counters)
    else:
        (out / "icons").mkdir()
    if (data / "hashlists").is_dir():
        shutil.copytree(data / "hashlists", out / "hashlists")
    if (data / "icon_truth.csv").is_file():
        shutil.copyfile(data / "icon_truth.csv", out / "icon_truth.csv")
    say(f"linked {counters.hard_linked + counters.copied_not_linked:,} icon files")

    valid = bytearray()  # per line: 1 if the record is tiled
    latest: dict[str, tuple[datetime, bool]] = {}  # group -> observed_at and icon of its latest snapshot
    records = 0
    with (out / GROUPS).open("wb", buffering=1 << 20) as sink:
        # Copy 0: every line unchanged; find the valid records, the groups and the icons.
        for number, raw in read_lines(source):
            sink.write(raw if raw.endswith(b"\n") else raw + b"\n")
            records += 1
            ok = 0
            try:
                snapshot = parse_snapshot(decode(number, raw), data)
            except ValueError as error:
                if str(error) != "blank":
                    counters.malformed += 1
            else:
                ok = 1
                seen = latest.get(snapshot.group_id)
                if seen is None or snapshot.observed_at >= seen[0]:  # fold's order: the last of equal times wins
                    latest[snapshot.group_id] = (snapshot.observed_at, snapshot.icon is not None)
                if snapshot.icon is not None:
                    counters.icon_refs.add(snapshot.icon.path)
            valid.append(ok)
        counters.base_groups = len(latest)
        counters.base_groups_with_icon = sum(1 for _, has in latest.values() if has)
        del latest
        say(f"copy 0: {records:,} lines, {counters.base_groups:,} groups, {len(counters.icon_refs):,} icons")

        # Icons of copies 1 .. icon_copies-1: invert each distinct source icon once per copy.
        for ref in sorted(counters.icon_refs):  # a referenced icon outside icons/ is linked too
            if not (out / ref).exists() and (data / ref).is_file():
                link_file(data / ref, out / ref, counters)
        tasks = []
        for k in range(1, icon_copies):
            for ref in sorted(counters.icon_refs):
                target = out / icon_name(ref, k)
                target.parent.mkdir(parents=True, exist_ok=True)
                tasks.append((str(data / ref), str(target)))
        if tasks:
            # spawn, never fork: a fork copies whatever locks the caller's other threads hold (a test run has
            # onnxruntime, gRPC and browser-driver threads), and a child that needs one waits forever.
            with multiprocessing.get_context("spawn").Pool(min(workers, len(tasks))) as pool:
                for outcome in pool.imap_unordered(_invert, tasks, chunksize=64):
                    if outcome == "inverted":
                        counters.icons_inverted += 1
                    elif outcome == "unreadable":
                        counters.icons_copied_unreadable += 1
                    else:
                        counters.icons_missing += 1
            say(f"icons: {counters.icons_inverted:,} inverted for copies 1..{icon_copies - 1}")

        # Copies 1 .. K-1: the valid records, suffixed, validated, in the input's order.
        for k in range(1, copies):
            for number, raw in read_lines(source):
                if not valid[number - 1]:
                    continue
                obj = tile_record(decode(number, raw), k, icon_copies, counters)
                try:
                    parse_snapshot(obj, out)
                except ValueError as error:
                    raise TileError(f"line {number}, copy {k}: the tiled record does not validate: {error}") from None
                sink.write(json.dumps(obj, ensure_ascii=False).encode("utf-8"))
                sink.write(b"\n")
                records += 1
            say(f"copy {k}: done, {records:,} records so far")

    if (data / "labels.csv").is_file():
        write_labels(data / "labels.csv", out / "labels.csv", copies)

    return Summary(records=records, groups=counters.base_groups * copies,
                   groups_with_icon=counters.base_groups_with_icon * icon_copies,
                   new_icon_files=counters.icons_inverted + counters.icons_copied_unreadable,
                   seconds=time.perf_counter() - started, malformed=counters.malformed, counters=counters)


def write_labels(source: Path, target: Path, copies: int) -> None:
    """Every copy's label rows: group_id and a non-empty ring_id suffixed per copy."""
    with target.open("w", newline="", encoding="utf-8") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        for k in range(copies):
            with source.open(newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                header = next(reader, None)
                if header is None:
                    return
                if k == 0:
                    writer.writerow(header)
                gid = header.index("group_id")
                ring = header.index("ring_id") if "ring_id" in header else -1
                for row in reader:
                    if not row:
                        continue
                    if k:
                        row[gid] = copy_id(row[gid], k)
                        if ring >= 0 and row[ring]:
                            row[ring] = copy_id(row[ring], k)
                    writer.writerow(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tile_data", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder made by sample_groups.generate")
    parser.add_argument("--copies", type=int, required=True, help="K: how many disjoint copies (copy 0 = DATA)")
    parser.add_argument("--icon-copies", type=int, default=2, help="copies that keep an icon (default 2)")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write (must be empty or absent)")
    parser.add_argument("--workers", type=int, default=2, help="processes inverting icons (default 2)")
    parser.add_argument("--force", action="store_true", help="write into a non-empty --out (replaces our files)")
    parser.add_argument("--quiet", action="store_true", help="only the summary line")
    args = parser.parse_args(argv)
    try:
        summary = tile(args.data, args.out, args.copies, args.icon_copies, args.workers, args.force,
                       log=not args.quiet)
    except TileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
