"""Files shipped inside the installed packages (the text model, data files, migrations, dashboard pages), found
through ``importlib.resources`` so they are where the code is in an editable checkout, a wheel, or a container,
never at a path relative to a source tree.

Callers get a real ``Path``: onnxruntime, alembic and streamlit open files by name. pip installs wheels unpacked,
so the traversable is a directory on disk; anything else (a zip import) is refused with a clear error.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


class ResourceError(RuntimeError):
    """A package's shipped files are not on disk (not installed, or imported from a zip)."""


def package_path(package: str, *parts: str) -> Path:
    """The on-disk path of ``parts`` inside the installed ``package`` (which need not exist yet)."""
    try:
        found = resources.files(package)
    except ModuleNotFoundError as error:
        raise ResourceError(f"package {package!r} is not installed (pip install groupscan)") from error
    for part in parts:
        found = found.joinpath(part)
    path = Path(str(found))
    if not isinstance(found, Path) and not path.exists():
        raise ResourceError(f"{package}/{'/'.join(parts)}: not on disk (installed as a zip?); install unpacked")
    return path
