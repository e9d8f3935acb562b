#!/usr/bin/env python3
"""Write docs/policy.md: every policy key with its type, its default and what it does, taken from the policy's
models (scanner/policy/) and the commented default policy (scanner/data/policy.yaml). Run it after adding or
changing a key; tests/test_docs.py fails while a key is missing from the docs.

    .venv/bin/python scripts/policy_reference.py
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
import types
import typing
from pathlib import Path

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner import policy as policy_module  # noqa: E402
from scanner.policy import Policy, default_policy  # noqa: E402

OUT = ROOT / "docs" / "policy.md"
# Mappings whose keys a deployer names (a category, a tier): documented once, under a placeholder.
FIXED = {"version": "The policy format's version; 1 is the only one."}
NAMED = {"categories": "<category>", "tiers": "<tier>", "signals.lexicon.rules": "<category>",
         "fusion.category_context": "<category>"}


def field_comments(cls: type) -> dict[str, str]:
    """Comment lines right above each field in the model's source, and the class docstring's first sentence."""
    lines = textwrap.dedent(inspect.getsource(cls)).splitlines()
    node = ast.parse("\n".join(lines)).body[0]
    found: dict[str, str] = {}
    assert isinstance(node, ast.ClassDef)
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            above, i = [], item.lineno - 2
            while i >= 0 and lines[i].strip().startswith("#"):
                above.insert(0, lines[i].strip().lstrip("#").strip())
                i -= 1
            if above:
                found[item.target.id] = " ".join(above)
    return found


def yaml_comments() -> dict[str, str]:
    """Comment lines right above each key of the default policy file, by dotted path."""
    found: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    pending: list[str] = []
    for line in (ROOT / "scanner" / "data" / "policy.yaml").read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text.startswith("#"):
            pending.append(text.lstrip("#").strip())
            continue
        match = re.match(r"([A-Za-z_]\w*):", text)
        if not text or text.startswith("-") or not match:
            pending = []
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group(1)))
        if pending:
            found[".".join(key for _, key in stack)] = " ".join(pending)
        pending = []
    return found


def model_of(annotation: object) -> tuple[type[BaseModel] | None, str]:
    """The model a field holds, and how: "" (the model), "{}" (a mapping of them), "[]" (a list of them)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            found, how = model_of(arg)
            if found is not None:
                return found, how
    if origin is dict and args and isinstance(args[-1], type) and issubclass(args[-1], BaseModel):
        return args[-1], "{}"
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0], "[]"
    return None, ""


def type_name(annotation: object) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    text = text or re.sub(r"scanner\.policy\.(sections\.|signals\.)?", "", str(annotation).replace("typing.", ""))
    return text.replace("|", "or")


def lookup(data: object, path: list[str]) -> object:
    for key in path:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, dict) and key.startswith("<") and data:
            data = next(iter(data.values()))
        else:
            return None
    return data


def shown(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 50 else "(see scanner/data/policy.yaml)"


def rows(model: type[BaseModel], prefix: str, defaults: dict, from_yaml: dict[str, str]) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    comments = field_comments(model)
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        sub, how = model_of(field.annotation)
        what = FIXED.get(path) or from_yaml.get(path) or comments.get(name) or ""
        if not what and sub is not None and sub.__doc__ and sub.__doc__ != BaseModel.__doc__:
            what = " ".join(sub.__doc__.split())
        found.append((path, type_name(field.annotation), shown(lookup(defaults, path.split("."))), what))
        if path in NAMED and sub is None:
            found.append((f"{path}.{NAMED[path]}", "", "", "one entry per name the deployer chooses"))
        if sub is not None:
            inner = f"{path}.{NAMED.get(path, '<name>')}." if how == "{}" else (f"{path}[]." if how == "[]"
                                                                                 else f"{path}.")
            found += rows(sub, inner, defaults, from_yaml)
    return found


def render() -> str:
    defaults = default_policy().model_dump(mode="json")
    table = rows(Policy, "", defaults, yaml_comments())
    lines = ["# Policy reference", "",
             "Every key of the policy file, generated by `scripts/policy_reference.py` from `scanner/policy/` and",
             "the commented default, `scanner/data/policy.yaml` (which `groupscan policy` prints merged with yours).",
             "A deployer's file gives only the keys it changes. `signals.<name>` is the section of the signal",
             "registered as `<name>` (a plugin's section is validated by the plugin's own model).", "",
             "| key | type | default | what it does |", "|---|---|---|---|"]
    for path, kind, default, what in table:
        cells = [f"`{path}`", kind.replace("\n", " "), f"`{default}`" if default else "", what]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    assert policy_module  # the models' source is read through it
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
