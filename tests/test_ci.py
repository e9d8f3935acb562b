"""The README's test command is the one CI runs, and it runs every real-server test: a skip for a missing
server fails where servers are required (tests/conftest.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.support.factories import ROOT


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"Run the tests:\n\n```bash\n(.*?)\n```", readme, flags=re.DOTALL)
    return block.strip()


def test_ci_runs_exactly_the_readme_test_command_which_bootstraps_the_servers():
    command = readme_test_command()
    assert "\n" not in command and "scripts/bootstrap-test-servers" in command
    assert command.index("bootstrap-test-servers") < command.index("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci
    assert os.access(ROOT / "scripts" / "bootstrap-test-servers", os.X_OK)


def test_a_skip_for_a_missing_server_fails_only_where_servers_are_required(tmp_path):
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_inner.py").write_text(
        "import pytest\nfrom tests.support.servers import missing_server\n\n"
        "def test_needs_a_server():\n    pytest.skip(missing_server('no homeserver here'))\n\n"
        "@pytest.mark.skipif(True, reason=missing_server('no browser here'))\ndef test_marked():\n    pass\n\n"
        "def test_other_skip():\n    pytest.skip('not a server')\n")
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "GROUPSCAN_REQUIRE_SERVERS")}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT), base.get("PYTHONPATH", "")])

    def run(extra: dict[str, str]) -> tuple[int, str]:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                              cwd=tmp_path, env={**base, **extra}, capture_output=True, text=True, timeout=120,
                              check=False)
        return done.returncode, done.stdout.strip().splitlines()[-1]

    code, summary = run({})
    assert code == 0 and re.match(r"3 skipped\b", summary), summary
    for required in ({"GROUPSCAN_REQUIRE_SERVERS": "1"}, {"CI": "true"}):
        code, summary = run(required)
        # The skip in the test body fails it; the skipif marker's skip happens at setup, so pytest calls it an error.
        assert code == 1 and re.match(r"1 failed, 1 skipped, 1 error\b", summary), (required, summary)
