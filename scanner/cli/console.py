"""The two consoles every command prints through: results to standard output, progress and errors to standard
error (so ``--json`` output stays clean for a pipe)."""

from __future__ import annotations

from rich.console import Console

console = Console()
if not console.is_terminal:
    # Logs and pipes (cron, CI) get a wide table instead of 80 columns of wrapped reasons.
    console = Console(width=160)
errors = Console(stderr=True, soft_wrap=True)
