"""The dashboard as an ASGI app (``st.App``): Streamlit's own routes plus the two that set and clear the session
cookie. ``groupscan dashboard`` runs ``streamlit run`` on this file, which finds ``app`` and serves it with
uvicorn on 127.0.0.1; the pages themselves are ``app.py``.

Why routes of our own: a cookie that JavaScript cannot read (HttpOnly) can only be set by an HTTP response, and
Streamlit's pages talk over a websocket. After a sign-in the page posts a one-time handoff code to
``/gs/session``; the answer sets the signed cookie (``scanner.review.sessions``). ``/gs/signout`` clears it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from scanner.policy import Policy, default_policy, load_policy
from scanner.review import sessions
from scanner.store.db import database_url, open_database

HERE = Path(__file__).parent
MAX_BODY = 1024


@lru_cache(maxsize=1)
def _engine() -> Engine:
    return open_database(database_url(None))


@lru_cache(maxsize=1)
def _policy() -> Policy:
    path = os.environ.get("GROUPSCAN_POLICY", "")
    return load_policy(Path(path)) if path else default_policy()


def _cookie(response: Response, value: str, max_age: int) -> None:
    response.set_cookie(sessions.COOKIE, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=False)  # served on 127.0.0.1 over http; a TLS proxy in front may add Secure


async def session_route(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"ok": False}, status_code=413)
    try:
        code = str((await request.json()).get("code", ""))
    except ValueError:
        return JSONResponse({"ok": False}, status_code=400)
    from starlette.concurrency import run_in_threadpool

    value = await run_in_threadpool(sessions.exchange, _engine(), code)
    if value is None:
        return JSONResponse({"ok": False}, status_code=403)
    response = JSONResponse({"ok": True})
    _cookie(response, value, int(_policy().review.session_max_hours * 3600))
    return response


async def signout_route(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    cookie = request.cookies.get(sessions.COOKIE)
    if cookie:
        await run_in_threadpool(sessions.end, _engine(), None, cookie)
    response = JSONResponse({"ok": True})
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _warm() -> None:
    """Import what the pages import, at start, so the first moderator to open a case does not wait for it
    (pandas, plotly, networkx and the evidence bundle's lxml took 2.6 s on a busy two-core machine)."""
    import networkx  # noqa: F401
    import pandas  # noqa: F401
    import plotly.express  # noqa: F401
    import plotly.graph_objects  # noqa: F401

    import dashboard.graphview  # noqa: F401
    import dashboard.plain  # noqa: F401
    import scanner.escalation.bundle  # noqa: F401
    import scanner.review.icons  # noqa: F401


_warm()
app = st.App(str(HERE / "app.py"), routes=[Route("/gs/session", session_route, methods=["POST"]),
                                           Route("/gs/signout", signout_route, methods=["POST"])])
