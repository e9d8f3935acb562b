"""Dashboard timings in a real browser: p50 and p95 of first paint and full load of the queue and of a case page,
on the sample data (sample_groups, synthetic). `groupscan dashboard` (the real CLI and server on 127.0.0.1),
driven by Playwright in Debian's Chromium (/usr/bin/chromium).

    .venv/bin/python bench/dashboard_timing.py [--runs 20] [--cases 5] [--screenshots docs/dashboard]

First paint: from the navigation until the page's heading is visible. Full load: until the script run is over
(Streamlit's ``data-test-script-state`` is ``notRunning``) and the network is idle. Each case is timed cold (its
first opening in the server process) and warm. With ``--screenshots`` it also saves the queue and a case's members
(blurred icons only) in English and in Hindi, for the README. Not a test: figures for the issue notes.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
DONE = "[data-test-script-state='notRunning']"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(folder: Path) -> tuple[Path, list[str]]:
    from sqlmodel import Session, col, select

    from scanner.auth.users import User, add_user
    from scanner.review.prefs import Preferences, save_preferences
    from scanner.store.db import open_database
    from scanner.store.review_models import ReviewCase

    db = folder / "bench.db"
    # As a deployer scans: the CLI, which also loads the sample's demo hash lists (sample_groups/hashlists).
    scan = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", str(ROOT / "sample_groups"), "--db",
                           str(db)], stdout=subprocess.DEVNULL)
    if scan.returncode not in (0, 10):  # 10: the scan flagged something (as the sample data is meant to)
        raise RuntimeError(f"scan failed with exit code {scan.returncode}")
    engine = open_database(str(db))
    add_user(engine, "bench", "lead", PASSWORD)
    add_user(engine, "bench-hi", "lead", PASSWORD)
    save_preferences(engine, User("bench", "lead"), Preferences(0.0, False, 240, "en", "Asia/Kolkata"))
    save_preferences(engine, User("bench-hi", "lead"), Preferences(0.0, False, 240, "hi", "Asia/Kolkata"))
    with Session(engine) as session:
        cases = list(session.exec(select(ReviewCase.case_id).order_by(col(ReviewCase.severity_rank),
                                                                       col(ReviewCase.size).desc())).all())
    engine.dispose()
    return db, cases


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def timed(page, url: str, heading: str) -> tuple[float, float]:
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.get_by_role("heading", name=heading).first.wait_for(state="visible", timeout=30_000)
    first = time.perf_counter() - start
    page.wait_for_selector(DONE, timeout=30_000)
    page.wait_for_load_state("networkidle")
    return first, time.perf_counter() - start


def sign_in(page, url: str, name: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(DONE, timeout=30_000)
    deadline = time.time() + 10
    while not [c for c in page.context.cookies() if c["name"] == "groupscan_session"]:
        if time.time() > deadline:
            raise RuntimeError("no session cookie")
        time.sleep(0.1)


def screenshots(browser, url: str, case_id: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for user, language, queue, case, members in (("bench", "en", "Queue", "Case", "Members"),
                                                 ("bench-hi", "hi", "कतार", "केस", "सदस्य")):
        context = browser.new_context(viewport={"width": 1400, "height": 1100})
        page = context.new_page()
        sign_in(page, url, user)
        timed(page, f"{url}/queue", queue)
        page.screenshot(path=str(folder / f"queue_{language}.png"))
        timed(page, f"{url}/case?case={case_id}", f"{case} {case_id}")
        page.wait_for_timeout(500)
        page.screenshot(path=str(folder / f"case_{language}.png"))
        page.get_by_role("tab", name=members).click()
        page.wait_for_selector(DONE, timeout=30_000)
        page.wait_for_timeout(1500)
        page.locator("[data-testid='stImage']").first.scroll_into_view_if_needed()
        page.mouse.wheel(0, -220)
        page.wait_for_timeout(800)
        page.screenshot(path=str(folder / f"members_{language}.png"))
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed loads of the queue")
    parser.add_argument("--cases", type=int, default=5, help="cases to open (each cold once, then warm)")
    parser.add_argument("--screenshots", type=Path, help="save README pictures here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db, cases = prepare(folder)
        port = free_port()
        log = (folder / "server.log").open("wb")
        server = subprocess.Popen([sys.executable, "-m", "scanner.cli", "dashboard", "--db", str(db), "--port",
                                   str(port)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                        break
                except OSError:
                    if time.time() > deadline:
                        raise RuntimeError((folder / "server.log").read_text()) from None
                    time.sleep(0.5)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                sign_in(page, url, "bench")
                figures: dict[str, list[tuple[float, float]]] = {"queue": [], "case (cold)": [], "case (warm)": []}
                for _ in range(args.runs):
                    figures["queue"].append(timed(page, f"{url}/queue", "Queue"))
                chosen = cases[:args.cases]
                for case_id in chosen:
                    figures["case (cold)"].append(timed(page, f"{url}/case?case={case_id}", f"Case {case_id}"))
                for _ in range(max(1, args.runs // max(1, len(chosen)))):
                    for case_id in chosen:
                        figures["case (warm)"].append(timed(page, f"{url}/case?case={case_id}", f"Case {case_id}"))
                print(f"dashboard on the sample data ({len(cases)} cases), Chromium headless, this machine:")
                print(f"{'page':14} {'n':>4} {'first paint p50':>16} {'p95':>8} {'full load p50':>14} {'p95':>8}")
                for name, values in figures.items():
                    first = [v[0] for v in values]
                    full = [v[1] for v in values]
                    print(f"{name:14} {len(values):4d} {statistics.median(first):15.2f}s "
                          f"{percentile(first, 0.95):7.2f}s {statistics.median(full):13.2f}s "
                          f"{percentile(full, 0.95):7.2f}s")
                if args.screenshots:
                    screenshots(browser, url, cases[0], args.screenshots)
                    print(f"screenshots in {args.screenshots}")
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
            log.close()


if __name__ == "__main__":
    main()
