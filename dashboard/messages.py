"""Every message id of the dashboard, for the catalogues and their test: the literal ``_("...")`` calls in the
dashboard's source, and the labels the presentation layer looks up by name (categories, actions, statuses, timeline
events, decision states, audit actions, roles)."""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).parent


def literal_ids(root: Path = HERE) -> dict[str, str]:
    """msgid -> first file:line where ``_("...")`` uses it."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def all_ids() -> dict[str, str]:
    from dashboard import plain
    from scanner.auth.users import ROLES

    ids = literal_ids()
    for table in (plain.CATEGORIES, plain.ACTIONS, plain.STATUSES, plain.EVENTS, plain.DECISION_STATES,
                  plain.AUDIT_ACTIONS):
        for text in table.values():
            ids.setdefault(text, "dashboard/plain.py")
    for role in ROLES:
        ids.setdefault(role, "scanner/auth/users.py ROLES")
    return ids
