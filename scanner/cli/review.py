"""``groupscan dashboard`` and ``groupscan audit verify``.

The dashboard is a separate package (``dashboard/``); the scanner never imports it, it only finds its entry
file and runs Streamlit on it, bound to 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from scanner.auth.users import UserError, add_user, set_password
from scanner.cli.common import DbOption, JsonOption, policy_from
from scanner.cli.console import console
from scanner.store.db import ENV_VARIABLE, database_url, open_database

DEMO_USERS = (("demo-moderator", "moderator"), ("demo-moderator2", "moderator"), ("demo-lead", "lead"),
              ("demo-lead2", "lead"), ("demo-auditor", "auditor"), ("demo-admin", "admin"))


def dashboard_entry(name: str = "app.py") -> Path:
    spec = importlib.util.find_spec("dashboard")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the dashboard package is not installed (pip install -e .)")
    return Path(list(spec.submodule_search_locations)[0]) / name


def run_forwarding_signals(command: list[str], env: dict[str, str]) -> int:
    """Run the server as a child and pass SIGTERM, SIGINT and SIGHUP on to it, so stopping ``groupscan
    dashboard`` (a service manager, a test, Ctrl-C) stops the server too instead of leaving it on the port.
    Returns the child's exit code, 0 when it stopped because we asked."""
    child = subprocess.Popen(command, env=env)
    asked: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        asked.append(signum)
        if child.poll() is None:
            child.send_signal(signal.SIGTERM if signum == signal.SIGHUP else signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    try:
        while True:
            try:
                code = child.wait(timeout=10 if asked else None)
                break
            except subprocess.TimeoutExpired:  # asked to stop, still running after 10 s
                child.kill()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
    return 0 if asked and code in (0, -signal.SIGTERM, -signal.SIGINT, 128 + signal.SIGTERM) else code


def demo_accounts(engine) -> list[tuple[str, str, str]]:
    """Throwaway accounts with fresh random passwords at every start (never a fixed default)."""
    made = []
    for name, role in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        try:
            add_user(engine, name, role, password)
        except UserError:
            set_password(engine, name, password)
        made.append((name, role, password))
    return made


app = typer.Typer()


@app.command()
def dashboard(
    db: DbOption = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8501,
    policy: Annotated[Path | None, typer.Option(help="Policy file (as for scan).")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Create throwaway demo users (printed here); every "
                                                       "page says DEMO.")] = False,
) -> None:
    """Start the moderators' dashboard on http://127.0.0.1:PORT (Streamlit)."""
    url = database_url(db)
    engine = open_database(url)
    policy_from(policy)  # validate before starting: a bad policy is exit 2 here, not a broken page
    env = dict(os.environ, **{ENV_VARIABLE: url})
    if policy:
        env["GROUPSCAN_POLICY"] = str(policy.resolve())
    if demo:
        env["GROUPSCAN_DEMO"] = "1"
        console.print("[bold red]DEMO MODE[/]: throwaway accounts (new passwords at every start):")
        for name, role, password in demo_accounts(engine):
            console.print(f"  {name:16} {role:10} {password}")
    # server.py: the pages (app.py) plus the session cookie routes. Nothing is fetched from the internet: no
    # usage statistics, and the pages use only bundled fonts and a local favicon.
    command = [sys.executable, "-m", "streamlit", "run", str(dashboard_entry("server.py")),
               "--server.address=127.0.0.1", f"--server.port={port}", "--server.headless=true",
               "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
               "--client.toolbarMode=minimal", "--client.showErrorLinks=false"]
    console.print(f"Dashboard on http://127.0.0.1:{port} (database {url})")
    raise typer.Exit(run_forwarding_signals(command, env))


audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command(name="verify")
def verify_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Exit 0 if every audit row is intact and chained to the one before; 1 naming the first broken row."""
    import json

    from scanner.store.audit import verify

    result = verify(open_database(db))
    if as_json:
        sys.stdout.write(json.dumps({"intact": result.intact, "rows": result.rows,
                                     "broken_id": result.broken_id, "problem": result.problem}) + "\n")
    elif result.intact:
        console.print(f"audit log intact: {result.rows} rows")
    else:
        console.print(f"[red]audit log broken at row {result.broken_id}[/]: {result.problem}")
    raise typer.Exit(0 if result.intact else 1)
