"""Our policy lists read by Draupnir's own code: matrix-protection-suite (npm, tests/draupnir/), the library
Draupnir runs when it reads a policy room. ``tests/draupnir/check.js`` decodes every exported event with the
library's event decoder, parses it with its policy-rule parser, builds its room and list revisions, and looks up
every confirmed room id and alias, hashed rules included. Node and the package come from
scripts/bootstrap-test-servers (the README's test command runs it)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from scanner.auth.users import add_user
from scanner.cli import app
from scanner.policy import default_policy
from scanner.review.decisions import claim, decide
from tests.support.factories import ROOT, matrix_ring
from tests.support.review import MOD, ring_case
from tests.support.servers import missing_server

CHECK = ROOT / "tests" / "draupnir" / "check.js"
LIBRARY = ROOT / "tests" / "draupnir" / "node_modules" / "@gnuxie" / "matrix-protection-suite"
VARIANTS = {"plain": [], "takedown": ["--takedown"], "hashed": ["--hashed"], "takedown_hashed": ["--takedown",
                                                                                               "--hashed"]}
# The ring of tests/test_accountability.py: eight rooms, each with one alias (#ring1's server name is advertised
# as "Example.ORG", and a rule must keep that case).
EXPECTED = ([f"!ring{i}:example.org" for i in range(8)]
            + [f"#ring{i}:{'Example.ORG' if i == 1 else 'example.org'}" for i in range(8)])


def read_with_draupnir(variants: dict[str, list[dict]], expected: list[str], tmp_path) -> dict:
    node = shutil.which("node")
    if node is None or not LIBRARY.is_dir():
        pytest.skip(missing_server("Node.js and tests/draupnir/node_modules (scripts/bootstrap-test-servers)"))
    request = tmp_path / "draupnir-input.json"
    request.write_text(json.dumps({"policy_room": "!policy:example.org", "variants": variants,
                                   "expected": expected}), encoding="utf-8")
    done = subprocess.run([node, str(CHECK), str(request)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_draupnir_reads_every_export_variant_and_matches_every_room_and_alias(tmp_path):
    engine = matrix_ring(tmp_path)
    case_id = ring_case(engine)
    claim(engine, MOD, case_id, default_policy())
    decide(engine, MOD, case_id, "violating", default_policy(), category="child_safety", note="ring")
    add_user(engine, "lou", "lead", "a long enough password")
    db = str(engine.url).removeprefix("sqlite:///")
    exported = {}
    for name, flags in VARIANTS.items():
        done = CliRunner().invoke(app, ["policy-list", "export", *flags, "--db", db, "--as", "lou"])
        assert done.exit_code == 0, done.output
        exported[name] = json.loads(done.output)
    # The form this module wrote before (MSC4205 hashes without their "=" padding), as a control: the check
    # must be able to fail.
    unpadded = json.loads(json.dumps(exported["takedown_hashed"]))
    for event in unpadded:
        hashes = event["content"]["org.matrix.msc4205.hashes"]
        hashes["sha256"] = hashes["sha256"].rstrip("=")
    outside = "!elsewhere:example.org"

    result = read_with_draupnir({**exported, "unpadded_control": unpadded}, [*EXPECTED, outside], tmp_path)

    assert result["library"] == "6.0.0"
    for name in VARIANTS:
        report = result["variants"][name]
        assert report["events"] == len(EXPECTED) == 16, name
        assert report["errors"] == [], name
        assert report["decoded"] == report["parsed"] == 16, name
        assert report["room_revision_rules"] == report["list_revision_rules"] == 16, name
        assert set(report["recommendations"]) == {"org.matrix.msc4204.takedown" if "takedown" in name
                                                  else "m.ban"}, name
        assert set(report["match_types"]) == {"hashed-literal" if "hashed" in name else "literal"}, name
        assert {e: report["matched"][e] for e in EXPECTED} == dict.fromkeys(EXPECTED, True), name
        assert {e: report["matched_in_room_revision"][e] for e in EXPECTED} == dict.fromkeys(EXPECTED, True), name
        assert report["matched"][outside] is False, name
    # A takedown has the same state key whether the entity is hashed or not (Draupnir's takedownEntity), so a
    # hashed re-export replaces a plain one; a ban and a takedown of one room are two rules, as in Draupnir.
    keys = {name: set(result["variants"][name]["state_keys"]) for name in VARIANTS}
    assert keys["takedown"] == keys["takedown_hashed"] and keys["plain"] == keys["hashed"]
    assert not keys["plain"] & keys["takedown"]
    control = result["variants"]["unpadded_control"]
    assert control["parsed"] == 16 and not any(control["matched"].values())
