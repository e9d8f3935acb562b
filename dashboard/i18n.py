"""One translation layer for the dashboard: English message ids, a gettext PO catalogue per other language
(``dashboard/locale/hi.po``), read with Babel. Every label, message and reason sentence a page shows goes through
``_``; ``tests/test_dashboard_i18n.py`` fails when a string passed to ``_`` is missing from a catalogue or its
translation drops a ``{placeholder}``.

The language is a per-user preference (Settings; the policy's ``review.language`` until chosen), kept in the
Streamlit session as ``language``. Devanagari is drawn with the system's fonts (Debian fonts-noto-core), never
fetched from the internet.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE = Path(__file__).parent / "locale"
LANGUAGES = {"en": "English", "hi": "हिन्दी"}


@lru_cache(maxsize=8)
def catalogue(language: str) -> dict[str, str]:
    """msgid -> translation for one language ({} for English, the language of the message ids)."""
    if language == "en" or language not in LANGUAGES:
        return {}
    with (LOCALE / f"{language}.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.id, str) and m.string}


def translate(text: str, language: str, **fields: object) -> str:
    out = catalogue(language).get(text, text)
    return out.format(**fields) if fields else out


def language() -> str:
    """The signed-in user's language for this run (English outside a Streamlit session)."""
    try:
        import streamlit as st
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        if get_script_run_ctx(suppress_warning=True) is None:  # not in a page run (a unit test, a script)
            return "en"
        return str(st.session_state.get("language", "en"))
    except Exception:  # noqa: BLE001 - no session at all
        return "en"


def _(text: str, **fields: object) -> str:
    """``text`` in the user's language, with ``{fields}`` filled in."""
    return translate(text, language(), **fields)
