"""The plugin registry: what is registered under ``groupscan.signals``, ``groupscan.sources`` and
``groupscan.actions``, loaded once per process.

Built-ins are entry points of groupscan itself (``[project.entry-points]`` in ``pyproject.toml``), exactly as a
third-party plugin declares its own. In a source checkout the checkout's ``pyproject.toml`` is read, so that an
editable install made before an entry point was added still sees it; an installed wheel reads its metadata.
Two plugins of one kind under one name are refused: which one ran would depend on install order.

Only the standard library is imported here: the registry sits below every layer that uses it, and the plugins
it loads are imported when asked for, never at import time.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

Kind = Literal["signals", "sources", "actions"]
GROUPS: dict[str, str] = {"signals": "groupscan.signals", "sources": "groupscan.sources",
                          "actions": "groupscan.actions"}
DISTRIBUTION = "groupscan"


class PluginError(RuntimeError):
    """A plugin that cannot be loaded, or two plugins of one kind with one name."""


def _checkout_entry_points(group: str) -> list[metadata.EntryPoint] | None:
    """groupscan's own entry points from the source checkout this module runs from, None when not a checkout."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if not pyproject.is_file():
        return None
    project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    if project.get("name") != DISTRIBUTION:
        return None
    table = project.get("entry-points", {}).get(group, {})
    return [metadata.EntryPoint(name, value, group) for name, value in table.items()]


def _is_own(point: metadata.EntryPoint) -> bool:
    dist = getattr(point, "dist", None)
    return dist is not None and (dist.metadata["Name"] or "").lower() == DISTRIBUTION


def entry_points(kind: Kind) -> list[metadata.EntryPoint]:
    """Every entry point registered for ``kind``: groupscan's own first, in the order it declares them, then
    other packages' by name."""
    group = GROUPS[kind]
    installed = list(metadata.entry_points(group=group))
    own = _checkout_entry_points(group)
    if own is None:
        own = [point for point in installed if _is_own(point)]
    others = sorted((point for point in installed if not _is_own(point)), key=lambda point: point.name)
    return [*own, *others]


@cache
def registered(kind: Kind) -> dict[str, Any]:
    """name -> the loaded object (a class, usually) of every plugin of ``kind``."""
    found: dict[str, Any] = {}
    for point in entry_points(kind):
        if point.name in found:
            raise PluginError(f"two {kind} are registered as {point.name!r} ({point.value} and another)")
        try:
            found[point.name] = point.load()
        except Exception as error:  # a broken plugin names itself instead of failing somewhere later
            raise PluginError(f"{GROUPS[kind]} plugin {point.name!r} ({point.value}) cannot be loaded: "
                              f"{type(error).__name__}: {error}") from error
    return found


def refresh() -> None:
    """Forget what was loaded, so plugins installed since (a test's, a notebook's) are found."""
    registered.cache_clear()
