"""One real-browser run: `groupscan dashboard` (the real CLI, a real Streamlit server on 127.0.0.1) driven by
Playwright in Debian's Chromium. Signs in, opens the top case, claims it, decides, and saves screenshots of the
queue and the case view under test-artifacts/dashboard/ for a person to look at."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import Session, select

from scanner.pipeline import run_scan
from scanner.policy import default_policy
from scanner.store.db import open_database
from scanner.store.models import ReviewDecision
from scanner.users import add_user
from tests.conftest import missing_server, with_icons, write_jsonl

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "dashboard"
PASSWORD = "correct horse battery"
# Chromium on a machine without internet: no background calls home, no sandbox as root (as the env notes say).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "groups.jsonl", with_icons(data))
    db = tmp_path / "browser.db"
    engine = open_database(str(db))
    run_scan(engine, data, default_policy())
    add_user(engine, "mia", "moderator", PASSWORD)
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "scanner.cli", "dashboard", "--db", str(db), "--port",
                                str(port)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    raise RuntimeError((tmp_path / "server.log").read_text()) from None
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", engine
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason=missing_server(
    "Debian's chromium is not installed (scripts/bootstrap-test-servers installs it)"))
def test_sign_in_open_claim_decide_in_a_real_browser(server):
    from playwright.sync_api import expect, sync_playwright

    url, engine = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(url)
            page.get_by_role("textbox", name="User name").fill("mia")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Queue")).to_be_visible()
            expect(page.get_by_text("child safety").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)

            page.get_by_role("button", name="Open case", exact=True).first.click()
            expect(page.get_by_role("heading", name="Case c-")).to_be_visible()
            page.get_by_role("button", name="Claim").click()
            expect(page.get_by_text("Claimed by mia")).to_be_visible()
            page.get_by_text("Violating", exact=True).click()
            page.get_by_role("textbox", name="Note").fill("Shared admins and cross-posted invites with the known ring.")
            page.get_by_role("button", name="Record decision").click()
            expect(page.get_by_text("Decision recorded: Violating.")).to_be_visible()
            page.get_by_role("tab", name="Graph").click()
            expect(page.locator(".js-plotly-plot").first).to_be_visible()
            page.wait_for_timeout(1500)  # let plotly finish drawing before the picture
            page.screenshot(path=str(ARTIFACTS / "case.png"), full_page=True)
            page.get_by_role("tab", name="Members").click()
            expect(page.get_by_text("Icons are blurred and greyscale.")).to_be_visible()
            page.wait_for_timeout(1000)
            page.screenshot(path=str(ARTIFACTS / "case_members.png"), full_page=True)
        finally:
            browser.close()
    with Session(engine) as session:
        decision = session.exec(select(ReviewDecision)).one()
    assert (decision.author, decision.action, decision.category) == ("mia", "violating", "child_safety")
    assert (ARTIFACTS / "queue.png").stat().st_size > 10_000 and (ARTIFACTS / "case.png").stat().st_size > 10_000
