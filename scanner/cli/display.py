"""Text from records, made safe to print on a terminal.

Names, descriptions, ids, reasons and excerpts come from untrusted input. Printed raw, an ANSI escape sequence
in a group name recolours or rewrites the moderator's terminal, a bidirectional override reorders what follows,
and ``[bold]`` in a name is read as rich markup (``[/x]`` even raises). ``escape`` shows control and
bidirectional-format characters as ``\\xNN`` / ``\\uNNNN`` and escapes rich markup; ``--json`` output is JSON
and needs none of this.
"""

from __future__ import annotations

import re

from rich.markup import escape as escape_markup

# C0 and C1 controls, DEL, and the bidirectional embeddings, overrides and isolates (Trojan Source).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _show(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control and bidirectional-format characters shown as escapes."""
    return _UNSAFE.sub(_show, text)


def escape(text: str) -> str:
    """``text`` safe inside a rich markup string or table cell: controls shown as escapes, markup escaped."""
    return escape_markup(printable(text))
