"""Invite links: canonical forms a group owns, and the messy forms people post.

The invite graph is only useful if a scanner can tell that
``T.ME/joinchat/AbC...`` and ``https://t.me/+AbC...?utm_source=x`` are the same
invite. This module produces the clean form a group owns and the varied
surface forms seen when other groups post it, plus defanged forms found inside
description text. Invite codes are case-sensitive and are never altered; only
scheme, host, path prefix, query string and trailing punctuation vary
(Telegram public usernames, which are case-insensitive, may also change case).
"""

from __future__ import annotations

import random
import string

ALNUM = string.ascii_letters + string.digits
MATRIX_SERVERS = ["example.org", "example.com", "matrix.example.net"]


def wa_code(rng: random.Random) -> str:
    """22-character WhatsApp invite code."""
    return "".join(rng.choice(ALNUM) for _ in range(22))


def tg_code(rng: random.Random) -> str:
    """16-character Telegram invite hash; '-'/'_' only inside, never at the ends."""
    inner = ALNUM + "-_"
    body = [rng.choice(ALNUM)]
    body += [rng.choice(inner) if rng.random() < 0.1 else rng.choice(ALNUM) for _ in range(14)]
    body.append(rng.choice(ALNUM))
    return "".join(body)


def slug(text: str, rng: random.Random, *, min_len: int = 6) -> str:
    """ASCII username/alias derived from words, padded with digits if short."""
    s = "".join(ch.lower() if ch.isascii() and ch.isalnum() else "_" for ch in text)
    s = "_".join(part for part in s.split("_") if part)[:24] or "grp"
    if not s[0].isalpha():
        s = "g" + s
    while len(s) < min_len:
        s += str(rng.randint(0, 9))
    return s + "_" + str(rng.randint(10, 9999))


def whatsapp(code: str) -> str:
    return f"https://chat.whatsapp.com/{code}"


def telegram_private(code: str, old_form: bool = False) -> str:
    return f"https://t.me/joinchat/{code}" if old_form else f"https://t.me/+{code}"


def telegram_public(username: str) -> str:
    return f"https://t.me/{username}"


def matrix(alias: str, server: str) -> str:
    return f"https://matrix.to/#/#{alias}:{server}"


def _split(url: str) -> tuple[str, str, str]:
    """Return (scheme, host, rest) of one of our canonical URLs."""
    scheme, _, tail = url.partition("://")
    host, _, rest = tail.partition("/")
    return scheme, host, "/" + rest


def kind_of(url: str) -> str:
    """'wa', 'tg_private', 'tg_public' or 'mx' for a canonical URL."""
    _, host, rest = _split(url)
    if host == "chat.whatsapp.com":
        return "wa"
    if host == "matrix.to":
        return "mx"
    if rest.startswith("/+") or rest.startswith("/joinchat/"):
        return "tg_private"
    return "tg_public"


def surface(url: str, rng: random.Random) -> tuple[str, str]:
    """A posted surface form of canonical ``url`` and a short tag naming the change."""
    scheme, host, rest = _split(url)
    kind = kind_of(url)
    tags: list[str] = []
    options = ["identity"] * 9 + ["http", "http", "noscheme", "noscheme", "noscheme", "upperhost",
                                   "utm", "utm", "punct", "punct"]
    if kind == "tg_private":
        options += ["joinchat_swap"] * 3 + ["telegram_me"] * 2
    elif kind == "tg_public":
        options += ["username_case"] * 2 + ["telegram_me"] * 2
    elif kind == "wa":
        options += ["wa_invite_path"]
    elif kind == "mx":
        options = [o for o in options if o != "utm"] + ["mx_encoded"]
    first = rng.choice(options)
    picks = [first]
    if first != "identity" and rng.random() < 0.25:
        second = rng.choice([o for o in options if o not in ("identity", first)])
        picks.append(second)
    query = ""
    punct = ""
    for p in picks:
        if p == "http":
            scheme = "http"
        elif p == "noscheme":
            scheme = ""
        elif p == "upperhost":
            host = rng.choice([host.upper(), host.capitalize()])
        elif p == "utm":
            query = rng.choice(["?utm_source=x", "?utm_source=whatsapp&utm_medium=share", "?ref=dir"])
        elif p == "punct":
            punct = rng.choice([".", ",", ")", "!", "..", "!!"])
        elif p == "joinchat_swap":
            rest = ("/joinchat/" + rest[2:]) if rest.startswith("/+") else ("/+" + rest[len("/joinchat/"):])
        elif p == "telegram_me":
            host = "telegram.me"
        elif p == "username_case":
            name = rest[1:]
            rest = "/" + rng.choice([name.upper(), name.capitalize(), name.swapcase()])
        elif p == "wa_invite_path":
            rest = "/invite" + rest
        elif p == "mx_encoded":
            rest = rest.replace("/#/#", "/#/%23", 1)
        tags.append(p)
    text = (f"{scheme}://" if scheme else "") + host + rest + query + punct
    return text, "+".join(tags)


def defang(url: str, rng: random.Random) -> str:
    """Defanged form as seen in descriptions: hxxps://chat[.]whatsapp[.]com/..."""
    scheme, host, rest = _split(url)
    host = host.replace(".", "[.]")
    style = rng.choice(["hxxps", "hxxp", "none"])
    prefix = {"hxxps": "hxxps://", "hxxp": "hxxp://", "none": ""}[style]
    return prefix + host + rest


def plain_in_text(url: str, rng: random.Random) -> str:
    """How a link is usually typed inside a description: often without scheme."""
    scheme, host, rest = _split(url)
    if rng.random() < 0.6:
        return host + rest
    return url
