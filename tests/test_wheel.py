"""A wheel works anywhere: build it, install it into a fresh venv, and run ``scan``, ``classify-names`` and the
dashboard from a folder outside the checkout, with the checkout off every path (issue: the text model, the data
files, the migrations and the dashboard pages are package data found through importlib.resources).

The fresh venv gets the wheel from pip; its dependencies are the ones this interpreter already has, layered
under it by a ``.pth`` line (``pip install --no-index`` still checks every pinned requirement against them), so
the test needs no download beyond the build backend. ``GROUPSCAN_WHEEL_FULL_INSTALL=1`` installs the
dependencies from PyPI instead (a few minutes and about 1 GB).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.cli import app
from tests.support.factories import ROOT, SAMPLE

pytestmark = pytest.mark.sqlite_only("packaging, not the database: the wheel's scan uses its own SQLite file")

# What a build must not copy from a working checkout.
IGNORE = shutil.ignore_patterns(".git", ".venv*", "node_modules", "build", "dist", "*.egg-info", "__pycache__",
                                ".*_cache", "groupscan.db*", "*.db.cache", "test-artifacts", "models-trained")
# The scan's figures that must not depend on how groupscan was installed.
FIGURES = ("records_read", "snapshots_new", "groups", "clusters", "flagged_groups", "flagged_clusters", "models",
           "exit_code")


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory):
    """(venv python, venv bin, seconds per step) with groupscan installed from a freshly built wheel."""
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    seconds = {}
    started = time.monotonic()
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=IGNORE, symlinks=False)
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(base / "dist"), str(source)],
                base, env)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (base / "dist").glob("groupscan-*.whl")
    seconds["build"] = time.monotonic() - started

    started = time.monotonic()
    venv = base / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, env)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    full = os.environ.get("GROUPSCAN_WHEEL_FULL_INSTALL", "") not in ("", "0")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    if not full:
        purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base, env)
        Path(purelib.stdout.strip(), "zz_groupscan_test_dependencies.pth").write_text(
            sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
        install.append("--no-index")
    installed = run([*install, str(wheel)], base, env, timeout=1800)
    assert installed.returncode == 0, installed.stderr[-3000:]
    seconds["venv_and_install"] = time.monotonic() - started
    found = run([str(python), "-c", "import scanner, models, dashboard; print(scanner.__file__, models.__file__)"],
                base, env)
    assert found.returncode == 0 and str(venv) in found.stdout and str(ROOT) not in found.stdout, found
    return python, venv / "bin", env, seconds


def test_a_wheel_in_a_fresh_venv_scans_the_sample_like_the_editable_install(wheel_venv, tmp_path):
    python, bin_dir, env, seconds = wheel_venv
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(SAMPLE, elsewhere / "sample_groups", ignore=IGNORE)
    started = time.monotonic()
    scanned = run([str(bin_dir / "groupscan"), "scan", "sample_groups/", "--db", "wheel.db", "--json"], elsewhere,
                  env)
    seconds["scan"] = time.monotonic() - started
    print("wheel test seconds:", {k: round(v, 1) for k, v in seconds.items()})
    assert scanned.returncode == 10, scanned.stderr[-3000:]
    wheel = json.loads(scanned.stdout)

    editable = CliRunner().invoke(app, ["scan", str(elsewhere / "sample_groups"), "--db",
                                        str(tmp_path / "editable.db"), "--json"])
    assert editable.exit_code == 10, editable.output
    reference = json.loads(editable.stdout)
    assert {k: wheel[k] for k in FIGURES} == {k: reference[k] for k in FIGURES}
    assert wheel["models"]["text_model"] == reference["models"]["text_model"] != ""
    assert [(c["cluster_id"], c["risk"], c["category"]) for c in wheel["top_clusters"]] == \
        [(c["cluster_id"], c["risk"], c["category"]) for c in reference["top_clusters"]]
    assert [(r["line"], r["reason"]) for r in wheel["rejected"]] == \
        [(r["line"], r["reason"]) for r in reference["rejected"]]


def test_a_wheel_classifies_names_and_serves_the_dashboard(wheel_venv, tmp_path):
    python, bin_dir, env, _ = wheel_venv
    (tmp_path / "names.txt").write_text("t33n xxx new link\ncricket club\n", encoding="utf-8")
    named = run([str(bin_dir / "groupscan"), "classify-names", "names.txt", "--json"], tmp_path, env)
    assert named.returncode == 0, named.stderr[-3000:]
    rows = [json.loads(line) for line in named.stdout.splitlines()]
    assert rows[0]["flagged"] == ["child_safety"] and rows[1]["flagged"] == []
    assert rows[0]["model_version"] and rows[0]["model"]["child_safety"] > rows[1]["model"]["child_safety"]

    # The dashboard's entry point, run by streamlit's own test runner: it builds the page list from the pages
    # shipped in the wheel (st.Page refuses a path that does not exist) and renders the sign-in page.
    script = ("from streamlit.testing.v1 import AppTest\n"
              "from scanner.cli.review import dashboard_entry\n"
              "entry = dashboard_entry()\n"
              "at = AppTest.from_file(str(entry), default_timeout=120).run()\n"
              "import json; print(json.dumps({'entry': str(entry), 'exception': [str(e.value) for e in at.exception],"
              " 'titles': [t.value for t in at.title], 'inputs': [t.label for t in at.text_input]}))\n")
    shown = run([str(python), "-c", script], tmp_path, {**env, "GROUPSCAN_DATABASE_URL": str(tmp_path / "d.db")})
    assert shown.returncode == 0, shown.stderr[-3000:]
    page = json.loads(shown.stdout.strip().splitlines()[-1])
    assert page["entry"].startswith(str(python.parent.parent)) and page["exception"] == []
    assert page["titles"] == ["groupscan review"] and page["inputs"][:2] == ["User name", "Password"]
