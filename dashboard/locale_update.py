"""Bring the catalogues in line with the source: ``python -m dashboard.locale_update`` adds every message id the
dashboard uses (``dashboard.messages.all_ids``) to each ``dashboard/locale/*.po``, untranslated, and keeps what
is translated. Ids no longer used are kept too (a translator decides), marked with the comment ``unused``."""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from dashboard.i18n import LANGUAGES, LOCALE
from dashboard.messages import all_ids


def update(language: str, translations: dict[str, str] | None = None) -> int:
    """Write the catalogue of ``language``; returns how many ids have no translation."""
    path = LOCALE / f"{language}.po"
    if path.exists():
        with path.open("rb") as handle:
            old = read_po(handle, locale=language)
    else:
        old = Catalog(locale=language)
    known = {str(m.id): str(m.string) for m in old if m.id}
    known.update(translations or {})
    catalog = Catalog(locale=language, project="groupscan dashboard", fuzzy=False)
    used = all_ids()
    for msgid, where in sorted(used.items()):
        catalog.add(msgid, known.get(msgid, ""), locations=[(where.split(":")[0], 0)],
                    flags=["python-brace-format"] if "{" in msgid else [])
    for msgid, text in sorted(known.items()):
        if msgid not in used:
            catalog.add(msgid, text, auto_comments=["unused"])
    with path.open("wb") as handle:
        write_po(handle, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)
    return sum(1 for msgid in used if not known.get(msgid))


if __name__ == "__main__":
    for code in LANGUAGES:
        if code != "en":
            print(f"{code}: {update(code)} untranslated")
