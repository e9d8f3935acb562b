"""``python -m scanner.cli``: the same as the ``groupscan`` command (tests and benchmarks run this checkout's code
this way)."""

from scanner.cli import app

app()
