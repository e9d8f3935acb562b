"""Sign in (the form lives in ``dashboard.signin``, which every signed-out address shows)."""

from __future__ import annotations

from dashboard.signin import form

form()
