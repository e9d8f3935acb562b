"""The docs keep up with the code (as Datasette's tests do): every CLI command is in the README or docs/, every
policy key in docs/policy.md (``scripts/policy_reference.py`` writes it), and every plugin in
docs/architecture.md. Also the tests' own rule: no test module imports another (shared code is in tests/support)."""

from __future__ import annotations

import ast
import re
import types
import typing

from pydantic import BaseModel
from typer.main import get_command

from scanner.cli import app
from scanner.plugins import registry
from scanner.policy import Policy
from tests.support.factories import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NAMED = {"categories": "<category>", "tiers": "<tier>", "signals.lexicon.rules": "<category>",
         "fusion.category_context": "<category>"}


def command_paths() -> list[str]:
    found: list[str] = []

    def walk(command, path: list[str]) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(None):
                walk(command.get_command(None, name), [*path, name])
        else:
            found.append(" ".join(path))

    walk(get_command(app), [])
    return found


def _model(annotation: object) -> tuple[type[BaseModel] | None, str]:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            if _model(arg)[0] is not None:
                return _model(arg)
    if origin is dict and args and isinstance(args[-1], type) and issubclass(args[-1], BaseModel):
        return args[-1], "{}"
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], "[]"
    return None, ""


def policy_keys(model: type[BaseModel] = Policy, prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        keys.append(path)
        sub, how = _model(field.annotation)
        if sub is not None:
            keys += policy_keys(sub, f"{path}.{NAMED.get(path, '<name>')}." if how == "{}"
                                else f"{path}[]." if how == "[]" else f"{path}.")
    return keys


def test_every_cli_command_is_in_the_docs():
    text = "\n".join(path.read_text(encoding="utf-8") for path in DOCS)
    paths = command_paths()
    assert len(paths) >= 30 and "hashlist import" in paths
    missing = [p for p in paths if not re.search(rf"`groupscan {re.escape(p)}[ `\]]", text)]
    assert not missing, f"commands missing from README.md and docs/: {missing}"


def test_every_policy_key_is_in_the_policy_reference():
    reference = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    keys = policy_keys()
    assert "signals.review.weight" in keys and "escalation.webhooks[].url" in keys
    missing = [k for k in keys if f"`{k}`" not in reference]
    assert not missing, f"policy keys missing from docs/policy.md (run scripts/policy_reference.py): {missing}"


def test_every_registered_plugin_is_in_the_architecture_doc():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for kind in registry.GROUPS:
        for name in registry.registered(kind):
            assert f"`{name}`" in text, f"{kind} plugin {name!r} missing from docs/architecture.md"


def test_no_test_module_imports_another():
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)} imports {n}" for n in names
                          if re.match(r"tests\.(test_\w+|conftest)$", n)]
    assert not offenders, offenders
