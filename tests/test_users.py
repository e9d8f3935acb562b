"""Dashboard users: argon2 hashes, no default password, roles that the service checks itself."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from scanner.auth.users import PermissionDenied, User, UserError, add_user, authenticate, list_users, require
from scanner.cli import app
from scanner.store.db import open_database
from scanner.store.review_models import AppUser

PASSWORD = "correct horse battery"


def test_passwords_are_hashed_and_checked(tmp_path):
    engine = open_database(str(tmp_path / "u.db"))
    add_user(engine, "asha", "moderator", PASSWORD)
    with Session(engine) as session:
        stored = session.get(AppUser, "asha")
    assert stored is not None and stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    assert authenticate(engine, "asha", PASSWORD) == User("asha", "moderator")
    assert authenticate(engine, "asha", PASSWORD + "x") is None
    assert authenticate(engine, "nobody", PASSWORD) is None
    with pytest.raises(UserError, match="exists"):
        add_user(engine, "asha", "lead", PASSWORD)
    with pytest.raises(UserError, match="too short"):
        add_user(engine, "ben", "lead", "short")
    with pytest.raises(UserError, match="unknown role"):
        add_user(engine, "ben", "superuser", PASSWORD)
    assert [u["name"] for u in list_users(engine)] == ["asha"]  # no built-in default user


def test_roles_allow_only_their_actions():
    moderator, lead, auditor = User("m", "moderator"), User("l", "lead"), User("a", "auditor")
    require(moderator, "decide")
    require(lead, "approve_escalation")
    require(lead, "reveal_icon")
    for user, action in ((moderator, "approve_escalation"), (moderator, "reveal_icon"), (auditor, "decide"),
                         (User("x", "admin"), "decide")):
        with pytest.raises(PermissionDenied):
            require(user, action)


def test_cli_reads_the_password_from_the_environment_never_a_flag(tmp_path, monkeypatch):
    db = str(tmp_path / "u.db")
    runner = CliRunner()
    monkeypatch.setenv("GROUPSCAN_PASSWORD", PASSWORD)
    added = runner.invoke(app, ["users", "add", "lee", "--role", "lead", "--db", db])
    assert added.exit_code == 0, added.output
    assert json.loads(runner.invoke(app, ["users", "ls", "--db", db, "--json"]).stdout)[0]["role"] == "lead"
    assert authenticate(open_database(db), "lee", PASSWORD) is not None
    bad = runner.invoke(app, ["users", "add", "kim", "--role", "boss", "--db", db])
    assert bad.exit_code == 2 and "unknown role" in bad.stderr
    flag = runner.invoke(app, ["users", "add", "kim", "--role", "lead", "--password", PASSWORD, "--db", db])
    assert flag.exit_code != 0  # there is no --password option
    monkeypatch.delenv("GROUPSCAN_PASSWORD")
    prompted = runner.invoke(app, ["users", "add", "kim", "--role", "moderator", "--db", db],
                             input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0 and PASSWORD not in prompted.stdout
