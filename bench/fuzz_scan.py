"""Scan a folder of hostile input as an attacker would write it, and check that the scan survives (issue 23).

    .venv/bin/python bench/fuzz_scan.py --records 100000 [--csv-rows 10000] [--timeout 3600] [--keep DIR]

Writes ``groups.jsonl`` with ``--records`` mixed records: valid groups (some with tiny generated PNG icons, some
with hostile non-image icons: an EPS or an ICO named .png, truncated, huge-dimension and empty files, random
bytes) and every hostile record kind of the issue (deep nesting, huge integers, lone surrogates, 64-bit
overflows, dates out of range after their offset, NUL and control characters, blank ids, duplicate keys,
booleans for integers, icon paths that are folders, FIFOs or character devices, oversized lines...). Then
``groups.csv`` with ``--csv-rows`` rows of the CSV kinds (fields over the csv limit, deep JSON cells, unclosed
quotes, invalid UTF-8, short rows, blank lines, multi-line fields). Each file is scanned by ``groupscan scan`` in
a child process under ``--timeout``, into one database. Prints, for each scan: exit code, wall time, the child's
peak RSS; then rejected records by kind and by reason, and checks that every hostile record is in
``groupscan rejected`` at its line with a reason, that every valid group is stored, and that no traceback was
printed. Exit status 1 if any check fails.

Images are generated abstract blocks; "hostile" images are not images at all. Nothing graphic is written.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
GROUPSCAN = [sys.executable, "-m", "scanner.cli"]  # run from the repository: this checkout's code
DEEP = "[" * 10_000 + "]" * 10_000


def base(group_id: str, rng: random.Random) -> dict:
    return {"schema": 1, "platform": rng.choice(["whatsapp", "telegram", "discord", "signal"]), "group_id": group_id,
            "observed_at": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00Z",
            "name": f"group {group_id} {rng.choice(['family', 'jobs', 'cricket', 'new link', 'paid 18+'])}",
            "description": rng.choice(["", "weekly updates", "backup group, join the new link"]),
            "member_count": rng.randint(0, 5000), "admins": [f"u:{rng.randint(0, 2000)}"],
            "own_invite_links": [], "posted_invite_links": []}


def dumps(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=True)  # lone surrogates are written as \\ud800 escapes, as attackers do


def replace_value(obj: dict, key: str, raw: str) -> str:
    """The record's JSON with ``key``'s value replaced by raw JSON text (for what json.dumps cannot write)."""
    obj = {**obj, key: "@@RAW@@"}
    return dumps(obj).replace('"@@RAW@@"', raw, 1)


# Hostile JSONL kinds: name -> function(valid record) -> the line written. Every one must be rejected.
HOSTILE: dict[str, Callable[[dict], str]] = {
    "deep_nesting_line": lambda r: DEEP,
    "deep_nesting_field": lambda r: replace_value(r, "description", DEEP),
    "int_5000_digits": lambda r: replace_value(r, "member_count", "9" * 5000),
    "surrogate_admins": lambda r: dumps({**r, "admins": ["\ud800"]}),
    "surrogate_invite_links": lambda r: dumps({**r, "own_invite_links": ["https://t.me/+\udc00x"]}),
    "surrogate_classifier_label": lambda r: dumps({**r, "icon_signals": {"classifier": {"\udfff": 0.5}}}),
    "member_count_1e30": lambda r: dumps({**r, "member_count": 10**30}),
    "member_count_2_63": lambda r: dumps({**r, "member_count": 2**63}),
    "date_max_after_offset": lambda r: dumps({**r, "observed_at": "9999-12-31T23:59:59-12:00"}),
    "date_min_after_offset": lambda r: dumps({**r, "created_at": "0001-01-01T00:00:00+14:00"}),
    "nul_in_icon_path": lambda r: dumps({**r, "icon": {"path": "icons/a\x00.png"}}),
    "icon_is_directory": lambda r: dumps({**r, "icon": {"path": "icons"}}),
    "icon_is_dot": lambda r: dumps({**r, "icon": {"path": "."}}),
    "icon_is_fifo": lambda r: dumps({**r, "icon": {"path": "hostile/pipe.png"}}),
    "icon_is_char_device": lambda r: dumps({**r, "icon": {"path": "hostile/zero.png"}}),
    "icon_escapes_folder": lambda r: dumps({**r, "icon": {"path": "../../etc/passwd"}}),
    "duplicate_key": lambda r: dumps(r)[:-1] + ', "group_id": "wa:other"}',
    "blank_group_id": lambda r: dumps({**r, "group_id": "   "}),
    "nul_in_group_id": lambda r: dumps({**r, "group_id": r["group_id"] + "\x00"}),
    "escape_code_in_group_id": lambda r: dumps({**r, "group_id": r["group_id"] + "\x1b[2J"}),
    "nul_in_name": lambda r: dumps({**r, "name": "a\x00b"}),
    "schema_true": lambda r: dumps({**r, "schema": True}),
    "schema_float": lambda r: dumps({**r, "schema": 1.0}),
    "member_count_true": lambda r: dumps({**r, "member_count": True}),
    "classifier_nan": lambda r: replace_value(r, "icon_signals", '{"classifier": {"explicit": NaN}}'),
    "invalid_json": lambda r: dumps(r)[:-5],
    "not_an_object": lambda r: "[1, 2, 3]",
    "unknown_field": lambda r: dumps({**r, "admin": ["x"]}),
    "unknown_schema": lambda r: dumps({**r, "schema": 2}),
    "name_over_limit": lambda r: dumps({**r, "name": "x" * 5000}),
    "too_many_admins": lambda r: dumps({**r, "admins": [f"u:{i}" for i in range(5001)]}),
}
RARE = {"line_over_4_mib"}  # written a few times only: each is 4 MiB
BAD_BYTES = {"not_utf8": b'{"schema": 1, "name": "caf\xe9"}'}


def abstract_png(rng: np.random.Generator, size: int = 32) -> bytes:
    blocks = (rng.random((4, 4, 3)) * 255).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(blocks).resize((size, size), Image.Resampling.NEAREST).save(out, format="PNG")
    return out.getvalue()


def hostile_images(rng: np.random.Generator) -> dict[str, bytes]:
    """Files named .png that are not PNGs a decoder should see. None shows anything."""
    ico = io.BytesIO()
    Image.open(io.BytesIO(abstract_png(rng, 64))).save(ico, format="ICO")
    png = abstract_png(rng)
    header = png[:16] + (60_000).to_bytes(4, "big") + (60_000).to_bytes(4, "big") + png[24:33]
    return {"eps.png": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n", "ico.png": ico.getvalue(),
            "truncated.png": png[: len(png) // 2], "huge.png": header, "empty.png": b"",
            "random.png": rng.bytes(2048)}


def write_folder(folder: Path, records: int, csv_rows: int, seed: int) -> dict:
    """Write the data; returns what the checks need: hostile (file, line) -> kind, valid group ids."""
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    (folder / "icons").mkdir(parents=True)
    (folder / "hostile").mkdir()
    good_icons = []
    for i in range(300):
        (folder / "icons" / f"i{i}.png").write_bytes(abstract_png(nrng))
        good_icons.append(f"icons/i{i}.png")
    bad_icons = []
    for name, data in hostile_images(nrng).items():
        (folder / "hostile" / name).write_bytes(data)
        bad_icons.append(f"hostile/{name}")
    os.mkfifo(folder / "hostile" / "pipe.png")
    try:
        os.mknod(folder / "hostile" / "zero.png", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero
    except PermissionError:
        os.mkfifo(folder / "hostile" / "zero.png")  # not root: a second FIFO stands in for the device
    kinds = sorted(HOSTILE) + sorted(BAD_BYTES)
    expected_bad: dict[tuple[str, int], str] = {}
    valid: set[str] = set()
    icon_kinds: Counter[str] = Counter()
    jsonl = folder / "groups.jsonl"
    rare_left = 3
    with jsonl.open("wb") as out:
        for line in range(1, records + 1):
            record = base(f"wa:{line}", rng)
            roll = rng.random()
            if roll < 0.40:  # hostile
                if rare_left and line % 20_000 == 7:
                    rare_left -= 1
                    kind = "line_over_4_mib"
                    text = dumps({**record, "description": "x" * (4 * 1024 * 1024 + 10)})
                else:
                    kind = kinds[line % len(kinds)]
                    text = None
                if kind in BAD_BYTES:
                    out.write(BAD_BYTES[kind] + b"\n")
                else:
                    out.write((text or HOSTILE[kind](record)).encode("utf-8") + b"\n")
                expected_bad[(str(jsonl), line)] = kind
                continue
            if roll < 0.70:
                record["icon"] = {"path": rng.choice(good_icons)}
                icon_kinds["generated PNG"] += 1
            elif roll < 0.73:
                record["icon"] = {"path": rng.choice(bad_icons)}
                icon_kinds["hostile non-image"] += 1
            if roll > 0.99:
                record["name"] = "evil \x1b[2J [bold]markup[/x] \u202ename"  # valid: shown escaped
            if roll > 0.995:
                record["member_count"] = 2**63 - 1
            out.write(dumps(record).encode("utf-8") + b"\n")
            valid.add(record["group_id"])
    csv_path = folder / "groups.csv"
    csv_bad: dict[tuple[str, int], str] = {}
    csv_valid: set[str] = set()
    header = "schema,platform,group_id,observed_at,name,description,member_count,icon_path,icon_classifier\n"
    with csv_path.open("wb") as out:
        out.write(header.encode())
        line = 2  # the physical line the next record starts on
        for row in range(csv_rows):
            gid = f"csv:{row}"
            roll = rng.random()
            start = f"1,telegram,{gid},2026-09-01T10:00:00Z"
            kind, body = "", f"{start},name {row},,{row},,\n".encode()
            if roll < 0.05:
                kind, body = "csv_field_over_limit", f"{start},n,{'x' * 140_000},,,\n".encode()
            elif roll < 0.10:
                kind, body = "csv_deep_classifier", f'{start},n,,,,"{DEEP}"\n'.encode()
            elif roll < 0.15:
                kind, body = "csv_unclosed_quote", f'{start},"unclosed,,,,\n'.encode()
            elif roll < 0.20:
                kind, body = "csv_not_utf8", f"{start},caf".encode() + b"\xe9,,,,\n"
            elif roll < 0.25:
                kind, body = "csv_short_row", f"{start}\n".encode()
            elif roll < 0.30:
                kind, body = "csv_member_count_1e30", f"{start},n,,{10**30},,\n".encode()
            elif roll < 0.35:
                out.write(b"\n\n")  # blank lines: the next record's line number must still be right
                line += 2
            elif roll < 0.40:
                body = f'{start},name,"two\nlines",{row},,\n'.encode()
            out.write(body)
            if kind:
                csv_bad[(str(csv_path), line)] = kind
            else:
                csv_valid.add(gid)
            line += body.count(b"\n")
    return {"jsonl": jsonl, "csv": csv_path, "bad": expected_bad, "valid": valid, "csv_bad": csv_bad,
            "csv_valid": csv_valid, "icons": icon_kinds}


def scan(path: Path, db: str, timeout: float) -> dict:
    started = time.perf_counter()
    try:
        done = subprocess.run([*GROUPSCAN, "scan", str(path), "--db", db, "--json"], capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT)
        code, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        code, stdout, stderr = "timeout", "", str(expired.stderr or "")
    wall = time.perf_counter() - started
    # The largest child process so far (the scan; its icon workers are smaller).
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"code": code, "wall": wall, "peak_mb": peak / 1024,
            "traceback": "Traceback" in stderr or "Traceback" in stdout, "stderr": stderr[-2000:]}


def stored(db: str) -> tuple[dict[tuple[str, int], str], set[str]]:
    from sqlmodel import Session, select

    from scanner.store.db import open_database
    from scanner.store.models import Group, RejectedRecord

    engine = open_database(db)
    with Session(engine) as session:
        rejected = {(r.source, r.line): r.reason for r in session.exec(select(RejectedRecord)).all()}
        groups = set(session.exec(select(Group.group_id)).all())
    engine.dispose()
    return rejected, groups


def reason_class(reason: str) -> str:
    """A short class of a reason for the table: the field and the start of the message."""
    head = reason.split(";")[0]
    return head[:60]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--keep", type=Path, help="Write the data and database here and keep them.")
    args = parser.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="groupscan-fuzz-"))
    folder = tmp / "data"
    if folder.exists():
        shutil.rmtree(folder)
    db = str(tmp / "fuzz.db")
    for suffix in ("", "-wal", "-shm"):
        Path(db + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    data = write_folder(folder, args.records, args.csv_rows, args.seed)
    print(f"wrote {args.records} JSONL records ({len(data['bad'])} hostile, {len(data['valid'])} valid; icons: "
          f"{dict(data['icons'])}) and {args.csv_rows} CSV rows ({len(data['csv_bad'])} hostile) in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    failures = []
    for name, path in (("jsonl", data["jsonl"]), ("csv", data["csv"])):
        result = scan(path, db, args.timeout)
        print(f"scan {name}: exit {result['code']}, wall {result['wall']:.1f} s, peak RSS {result['peak_mb']:.0f} MB"
              f", traceback {'YES' if result['traceback'] else 'no'}", flush=True)
        if result["code"] not in (0, 10) or result["traceback"]:
            failures.append(f"scan {name}: exit {result['code']}\n{result['stderr']}")
    rejected, groups = stored(db)
    expected = {**data["bad"], **data["csv_bad"]}
    by_kind: Counter[str] = Counter()
    for key, kind in expected.items():
        if key in rejected and rejected[key].strip():
            by_kind[kind] += 1
        else:
            failures.append(f"{kind} at {Path(key[0]).name}:{key[1]} is not in `groupscan rejected`")
    unexpected = sorted(set(rejected) - set(expected))
    for key in unexpected[:10]:
        failures.append(f"unexpected rejection {Path(key[0]).name}:{key[1]}: {rejected[key]}")
    missing = (data["valid"] | data["csv_valid"]) - groups
    if missing:
        failures.append(f"{len(missing)} valid groups not stored, e.g. {sorted(missing)[:5]}")
    print(f"rejected: {len(rejected)} records ({len(unexpected)} not planted); valid groups stored: "
          f"{len((data['valid'] | data['csv_valid']) & groups)} of {len(data['valid'] | data['csv_valid'])}")
    print("rejected by kind:")
    for kind, count in sorted(by_kind.items()):
        print(f"  {count:>6}  {kind}")
    print("rejected by reason:")
    for reason, count in Counter(reason_class(r) for r in rejected.values()).most_common(40):
        print(f"  {count:>6}  {reason}")
    for failure in failures[:30]:
        print("FAIL", failure)
    print("all checks passed" if not failures else f"{len(failures)} checks failed")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
