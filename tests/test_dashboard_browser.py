"""Real-browser runs: `groupscan dashboard` (the real CLI, a real Streamlit server on 127.0.0.1) driven by
Playwright in Debian's Chromium. Signs in, opens the top case, claims it, decides through the confirmation, and
saves screenshots of the queue and the case view under test-artifacts/dashboard/ for a person to look at. Every
request every page makes is recorded: none may go to another host. A reload keeps the session (an HttpOnly,
SameSite=Strict cookie); a signed-out link to a case shows the sign-in form and then the case; SIGTERM to
`groupscan dashboard` stops the server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session, select

from scanner.auth.users import User, add_user, authenticate
from scanner.engine.pipeline import run_scan
from scanner.policy import default_policy
from scanner.review.prefs import Preferences, save_preferences
from scanner.store import audit
from scanner.store.db import open_database
from scanner.store.review_models import ReviewCase, ReviewDecision
from tests.support.factories import with_icons, write_jsonl
from tests.support.servers import missing_server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "dashboard"
PASSWORD = "correct horse battery"
USERS = {"mia": "moderator", "lee": "lead", "ada": "auditor", "adm": "admin", "raj": "lead", "tom": "moderator"}
REVEAL_SECONDS = 5
# Chromium on a machine without internet: no background calls home, no sandbox as root (as the env notes say).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_dashboard(db: Path, port: int, log: Path, new_session: bool = True,
                    policy: Path | None = None) -> subprocess.Popen:
    extra = ["--policy", str(policy)] if policy else []
    return subprocess.Popen([sys.executable, "-m", "scanner.cli", "dashboard", "--db", str(db), "--port",
                             str(port), *extra], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=new_session)


def wait_healthy(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.5)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("browser")
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "groups.jsonl", with_icons(data))
    db = tmp_path / "browser.db"
    engine = open_database(str(db))
    run_scan(engine, data, default_policy())
    for name, role in USERS.items():
        add_user(engine, name, role, PASSWORD)
    save_preferences(engine, User("raj", "lead"), Preferences(0.0, False, 50, "hi", "Asia/Kolkata"))
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"review:\n  reveal_seconds: {REVEAL_SECONDS}\n", encoding="utf-8")
    port = free_port()
    process = start_dashboard(db, port, tmp_path / "server.log", policy=policy)
    try:
        wait_healthy(port, process, tmp_path / "server.log")
        yield f"http://127.0.0.1:{port}", engine
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(missing_server("Debian's chromium is not installed (scripts/bootstrap-test-servers installs it)"))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Recorder:
    """Every request a page makes (documents, scripts, fonts, images, websockets, fetches), by host."""

    def __init__(self, context) -> None:
        self.urls: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))
        context.on("websocket", lambda socket: self.urls.append(socket.url))

    def foreign(self) -> list[str]:
        return [u for u in self.urls if urlsplit(u).scheme not in ("data", "blob", "about")
                and urlsplit(u).hostname not in ("127.0.0.1", "localhost")]


def new_page(browser, recorder_list: list | None = None):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    recorder = Recorder(context)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page, recorder


def session_cookie(context, wait: float = 10.0) -> dict:
    deadline = time.time() + wait
    while time.time() < deadline:
        found = [c for c in context.cookies() if c["name"] == "groupscan_session"]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("no session cookie")


def choose(page, combobox: str, option: str | None = None, attempts: int = 4) -> None:
    """Pick ``option`` (the first when None) in a Streamlit selectbox. Why a loop: a click sometimes opens the
    list and sometimes only focuses it (then a key opens it), and a rerun that lands between the two closes it
    again; a test that tried once failed now and then on a loaded machine."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.get_by_role("combobox", name=combobox, exact=True)
    choice = page.get_by_role("option", name=option) if option else page.get_by_role("option").first
    for _attempt in range(attempts):
        box.click()
        for opener in (None, "ArrowDown"):
            if opener:
                page.keyboard.press(opener)
            try:
                choice.wait_for(state="visible", timeout=5000)
            except PlaywrightTimeout:
                continue
            choice.click()
            return
        page.keyboard.press("Escape")
    raise AssertionError(f"option {option or '(first)'} of {combobox!r} never showed")


def any_case(engine) -> str:
    with Session(engine) as session:
        return session.exec(select(ReviewCase.case_id)).first()


def sign_in(page, name: str) -> None:
    page.get_by_role("textbox", name="User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_open_claim_decide_in_a_real_browser(server, browser):
    from playwright.sync_api import expect

    url, engine = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context, page, recorder = new_page(browser)
    try:
        page.goto(url)
        sign_in(page, "mia")
        expect(page.get_by_role("heading", name="Queue")).to_be_visible()
        expect(page.get_by_text("child safety").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)

        page.get_by_role("button", name="Open case", exact=True).first.click()
        expect(page.get_by_role("heading", name="Case c-")).to_be_visible()
        page.get_by_role("button", name="Claim").click()
        expect(page.get_by_text("Claimed by mia")).to_be_visible()
        page.get_by_role("button", name="Record decision").click()  # an untouched click records nothing
        expect(page.get_by_text("Choose a decision.")).to_be_visible()
        page.get_by_text("Violating", exact=True).click()
        page.get_by_role("combobox", name="Category").click()
        page.get_by_role("option", name="child safety").click()
        page.get_by_role("button", name="Record decision").click()
        expect(page.get_by_text("needs a note")).to_be_visible()
        page.get_by_role("textbox", name="Note").fill("Shared admins and cross-posted invites with the known ring.")
        page.get_by_role("button", name="Record decision").click()
        expect(page.get_by_text("group(s) (the whole cluster) as violating")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile(r"^Confirm(?! and)"))).to_be_visible()
        page.keyboard.press("Alt+y")  # the keyboard shortcut shown on the Confirm button
        expect(page.get_by_text("Decision recorded: Violating.")).to_be_visible()
        expect(page.get_by_role("button", name="Undo “Violating”")).to_be_visible()
        page.get_by_role("tab", name="Graph").click()
        expect(page.locator(".js-plotly-plot").first).to_be_visible()
        page.wait_for_timeout(1500)  # let plotly finish drawing before the picture
        page.screenshot(path=str(ARTIFACTS / "case.png"), full_page=True)
        page.get_by_role("tab", name="Members").click()
        expect(page.get_by_text("Icons are blurred and greyscale.")).to_be_visible()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "case_members.png"), full_page=True)
        for path in ("/settings", "/queue"):
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
    finally:
        context.close()
    with Session(engine) as session:
        decision = session.exec(select(ReviewDecision)).one()
    assert (decision.author, decision.action, decision.category) == ("mia", "violating", "child_safety")
    assert (ARTIFACTS / "queue.png").stat().st_size > 10_000 and (ARTIFACTS / "case.png").stat().st_size > 10_000
    assert any(urlsplit(u).path.endswith(".woff2") for u in recorder.urls) or recorder.urls
    assert recorder.foreign() == [], "requests left the machine"


def test_a_reload_keeps_the_user_and_the_page_and_sign_out_ends_it(server, browser):
    from playwright.sync_api import expect

    url, engine = server
    case_id = any_case(engine)
    context, page, recorder = new_page(browser)
    try:
        page.goto(url)
        sign_in(page, "lee")
        expect(page.get_by_role("heading", name="Queue")).to_be_visible()
        cookie = session_cookie(context)  # the page fetches it right after the sign-in
        page.goto(f"{url}/case?case={case_id}")  # a new page load: the cookie alone signs lee in
        expect(page.get_by_role("heading", name=f"Case {case_id}")).to_be_visible()
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie").find("groupscan_session") == -1
        page.reload()
        expect(page.get_by_role("heading", name=f"Case {case_id}")).to_be_visible()
        assert f"case={case_id}" in page.url
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="groupscan review")).to_be_visible()
        page.wait_for_timeout(500)
        page.reload()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    finally:
        context.close()
    assert [e["action"] for e in audit.events(engine, actor="lee", action="logout")] == ["logout"]
    assert recorder.foreign() == []


def test_a_signed_out_deep_link_shows_the_sign_in_form_then_the_case(server, browser):
    from playwright.sync_api import expect

    url, engine = server
    case_id = any_case(engine)
    context, page, recorder = new_page(browser)
    try:
        page.goto(f"{url}/case?case={case_id}")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        expect(page.get_by_text(f"Sign in to open case {case_id}")).to_be_visible()
        assert page.get_by_text("Page not found").count() == 0
        sign_in(page, "ada")
        expect(page.get_by_role("heading", name=f"Case {case_id}")).to_be_visible()
    finally:
        context.close()
    assert recorder.foreign() == []


def test_sigterm_to_groupscan_dashboard_stops_the_server(tmp_path):
    db = tmp_path / "empty.db"
    open_database(str(db)).dispose()
    port = free_port()
    process = start_dashboard(db, port, tmp_path / "server.log", new_session=False)
    try:
        wait_healthy(port, process, tmp_path / "server.log")
        process.send_signal(signal.SIGTERM)  # to groupscan only, by its PID: it must stop Streamlit itself
        assert process.wait(timeout=20) == 0
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_lead_reveals_an_icon_with_a_reason_and_it_is_blurred_again(server, browser):
    from playwright.sync_api import expect

    url, engine = server
    case_id = any_case(engine)
    context, page, recorder = new_page(browser)
    try:
        page.goto(f"{url}/case?case={case_id}")
        sign_in(page, "lee")
        expect(page.get_by_role("heading", name=f"Case {case_id}")).to_be_visible()
        page.get_by_role("tab", name="Members").click()
        expect(page.get_by_text("Icons are blurred and greyscale.")).to_be_visible()
        page.wait_for_timeout(1000)
        choose(page, "Group")
        page.get_by_role("button", name="Reveal original").click()
        expect(page.get_by_text("say why you need to see the original")).to_be_visible()
        page.get_by_role("textbox", name="Reason").fill("compare with the user report")
        page.get_by_role("button", name="Reveal original").click()
        expect(page.get_by_text("(original, blurred again in").first).to_be_visible()
        page.wait_for_timeout((REVEAL_SECONDS + 3) * 1000)
        expect(page.get_by_text("(original, blurred again in")).to_have_count(0)
    finally:
        context.close()
    events = audit.events(engine, action="icon_reveal")
    assert events and events[0]["actor"] == "lee" and events[0]["details"]["reason"] == "compare with the user report"
    assert recorder.foreign() == []


def test_hindi_pages_for_a_user_who_chose_hindi(server, browser):
    from playwright.sync_api import expect

    url, engine = server
    case_id = any_case(engine)
    context, page, recorder = new_page(browser)
    try:
        page.goto(url)
        sign_in(page, "raj")
        expect(page.get_by_role("heading", name="कतार")).to_be_visible()
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "queue_hi.png"), full_page=True)
        page.goto(f"{url}/case?case={case_id}")
        expect(page.get_by_role("heading", name=f"केस {case_id}")).to_be_visible()
        expect(page.get_by_role("tab", name="क्यों चिह्नित")).to_be_visible()
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "case_hi.png"), full_page=True)
        # Devanagari is drawn with a system font: the heading is as wide as text, not a row of empty boxes.
        assert page.evaluate("document.fonts.check('16px sans-serif', 'कतार')")
    finally:
        context.close()
    assert recorder.foreign() == []


def test_an_admin_disables_a_user_in_the_browser(server, browser):
    from playwright.sync_api import expect

    url, engine = server
    context, page, recorder = new_page(browser)
    try:
        page.goto(f"{url}/settings")
        sign_in(page, "adm")
        expect(page.get_by_role("heading", name="Settings")).to_be_visible()
        choose(page, "User", "tom")
        page.get_by_role("button", name="Disable").click()
        expect(page.get_by_role("button", name="Re-enable")).to_be_visible()
    finally:
        context.close()
    assert authenticate(engine, "tom", PASSWORD) is None
    assert audit.events(engine, action="user_disabled")[0]["target"] == "tom"
    assert recorder.foreign() == []
