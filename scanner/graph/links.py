"""Invite-link extraction and canonicalisation.

Abusive groups advertise each other by posting invite links, and they post them in every spelling a platform
accepts ("t.me/joinchat/X", "telegram.me/+X", "tg://join?invite=X"), behind defanging ("hxxps://t[.]me/…")
and glued to emoji or text in other scripts. Linking a posted link to the group that owns it only works if
both reduce to the same key, so ``canonicalize`` maps every surface form of one invite to one ``canonical``
string, and maps its own output to itself (stored canonical keys can be re-read).

Case rules follow the platforms: invite codes are case-sensitive (WhatsApp, Telegram, Discord), Telegram
usernames and Matrix server names are not.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

__all__ = ["InviteLink", "canonicalize", "extract_links", "undefang"]


@dataclass(frozen=True)
class InviteLink:
    """One invite, reduced to the key shared by every way of writing it.

    ``platform`` is "whatsapp", "telegram", "matrix" or "discord"; ``kind`` is "invite" (a private invite
    hash), "username" (a public Telegram name), "alias" or "room_id" (Matrix); ``code`` is the hash, name,
    alias or room id; ``canonical`` is the join key.
    """

    platform: str
    kind: str
    code: str
    canonical: str


# Longest input we look at: a URL field is capped at 2048 characters upstream; anything longer is not a link.
_MAX_URL = 4096

_TRAILING = ".,;:!?)]}'\"*>"
_LEADING = "([{<'\""
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))

_DEFANG_DOT = re.compile(r"\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}", re.IGNORECASE)
_DEFANG_COLON = re.compile(r"\[\s*:\s*\]")
_DEFANG_SCHEME = re.compile(r"\bhxxp(s?)(?=\[?:)", re.IGNORECASE)
_DEFANG_SLASHES = re.compile(r"\[\s*(:?//)\s*\]")

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):(//)?", re.IGNORECASE)
_USERNAME = re.compile(r"[a-z][a-z0-9_]{4,31}")
_TELEGRAM_CODE = re.compile(r"[A-Za-z0-9_-]{8,64}")
_WHATSAPP_CODE = re.compile(r"[A-Za-z0-9]{10,40}")
_DISCORD_CODE = re.compile(r"[A-Za-z0-9-]{2,32}")
_MATRIX_SERVER = re.compile(r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_MATRIX_LOCAL = re.compile(r"[^\s:/?#]+")

_TELEGRAM_HOSTS = frozenset({"t.me", "telegram.me", "telegram.dog"})
_DISCORD_INVITE_HOSTS = frozenset({"discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"})
# First path segments of t.me that are features, not chats. Shorter ones fail the username rule anyway.
_TELEGRAM_RESERVED = frozenset(
    {
        "addemoji", "addlist", "addstickers", "addtheme", "boost", "confirmphone", "contact", "giftcode",
        "invoice", "joinchat", "login", "proxy", "setlanguage", "share", "socks",
    }
)  # fmt: skip


def undefang(text: str) -> str:
    """Undo the usual defanging ("hxxps", "[.]", "(.)", "[dot]", "[:]") and drop zero-width characters, so a
    link written not to be clickable is still recognised."""
    text = text.translate(_INVISIBLE)
    if "[" not in text and "(" not in text and "{" not in text and "xx" not in text.lower():
        return text  # nothing defanged (most text): four regex passes saved, a third of folding a big export
    text = _DEFANG_DOT.sub(".", text)
    text = _DEFANG_SLASHES.sub(r"\1", text)
    text = _DEFANG_COLON.sub(":", text)
    return _DEFANG_SCHEME.sub(r"http\1", text)


def canonicalize(url: str) -> InviteLink | None:
    """The invite a URL points to, or None when it is not an invite link we know (or not a URL at all).

    Accepts http/https/no scheme, ``tg://`` and ``matrix:`` URIs, any host case, ``www.``, ports, trailing
    slashes, query strings and fragments (the fragment is the target only on matrix.to), surrounding punctuation
    and defanged spellings. Never raises.
    """
    if not isinstance(url, str) or len(url) > _MAX_URL:
        return None
    return _canonicalize(url)


@functools.lru_cache(maxsize=1 << 16)
def _canonicalize(url: str) -> InviteLink | None:
    """``canonicalize`` of a string, memoised: the same link is posted by many groups of a network."""
    s = unicodedata.normalize("NFKC", undefang(url)).strip().lstrip(_LEADING).rstrip(_TRAILING)
    if not s:
        return None
    scheme_match = _SCHEME.match(s)
    if scheme_match:
        scheme, rest = scheme_match.group(1).lower(), s[scheme_match.end() :]
        if scheme == "tg":
            return _telegram_uri(rest)
        if scheme == "matrix":
            return _matrix_uri(rest)
        if scheme in {"http", "https"}:
            s = rest
        elif scheme_match.group(2):
            return None  # ftp://, javascript://, ...
        # else "t.me:443/x": a host and port, not a scheme
    s = s.lstrip("/")
    authority, path, query, fragment = _split(s)
    host = _host(authority)
    return _dispatch(host, path, query, fragment)


def extract_links(text: str) -> list[InviteLink]:
    """Every known invite link in free text, de-duplicated by ``canonical``, in order of first appearance.

    A link may touch any non-ASCII text or emoji: it ends at the first character that cannot be in a URL,
    so "बच्चेt.me/+Code🔥" still yields the invite.
    """
    if not isinstance(text, str):
        return []
    seen: set[str] = set()
    out: list[InviteLink] = []
    for match in _CANDIDATE.finditer(undefang(unicodedata.normalize("NFKC", text))):
        link = canonicalize(match.group(0))
        if link is not None and link.canonical not in seen:
            seen.add(link.canonical)
            out.append(link)
    return out


_URL_CHAR = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_HOSTS = r"(?:t\.me|telegram\.(?:me|dog)|chat\.whatsapp\.com|discord(?:app)?\.com|discord\.gg|matrix\.to)"
_CANDIDATE = re.compile(
    rf"(?<![A-Za-z0-9\-.@/])"
    rf"(?:https?://|(?<!:)//)?(?:[A-Za-z0-9-]+\.)*{_HOSTS}(?![A-Za-z0-9-]){_URL_CHAR}*"
    rf"|(?<![A-Za-z0-9])tg://{_URL_CHAR}+"
    rf"|(?<![A-Za-z0-9])matrix:(?:r|roomid)/{_URL_CHAR}+",
    re.IGNORECASE,
)


def _split(rest: str) -> tuple[str, str, str, str]:
    """authority, path, query, fragment of a scheme-less URL."""
    before_fragment, _, fragment = rest.partition("#")
    before_query, _, query = before_fragment.partition("?")
    authority, slash, path = before_query.partition("/")
    return authority, slash + path, query, fragment


def _host(authority: str) -> str:
    """Lower-cased host without user info, port, trailing dot or ``www.``."""
    host = authority.rpartition("@")[2]
    if not host.startswith("["):
        host = host.partition(":")[0]
    host = host.lower().rstrip(".")
    return host.removeprefix("www.")


def _segments(path: str) -> list[str]:
    return [unquote(part, errors="replace") for part in path.split("/") if part]


def _dispatch(host: str, path: str, query: str, fragment: str) -> InviteLink | None:
    if host in _TELEGRAM_HOSTS:
        return _telegram_path(_segments(path))
    if host.endswith(".t.me"):
        return _telegram_username(host.removesuffix(".t.me"))
    if host == "chat.whatsapp.com":
        return _whatsapp(_segments(path))
    if host == "discord.gg":
        segments = _segments(path)
        return _discord(segments[0]) if segments else None
    if host in _DISCORD_INVITE_HOSTS:
        segments = _segments(path)
        return _discord(segments[1]) if len(segments) >= 2 and segments[0] == "invite" else None
    if host == "matrix.to":
        return _matrix_target(unquote(fragment, errors="replace").lstrip("/"))
    return None


# --- Telegram ----------------------------------------------------------------------------------------------


def _telegram_invite(code: str) -> InviteLink | None:
    """``t.me/+<code>``; a code of digits only is a phone number (``t.me/+15551234567``), not an invite."""
    code = code.rstrip(_TRAILING)
    if not _TELEGRAM_CODE.fullmatch(code) or code.isdigit():
        return None
    return InviteLink("telegram", "invite", code, f"t.me/+{code}")


def _telegram_username(name: str) -> InviteLink | None:
    """``t.me/<username>``: 5-32 of [a-z0-9_], starting with a letter, case-insensitive."""
    name = name.lower()
    if not _USERNAME.fullmatch(name) or name in _TELEGRAM_RESERVED:
        return None
    return InviteLink("telegram", "username", name, f"t.me/{name}")


def _telegram_path(segments: list[str]) -> InviteLink | None:
    if not segments:
        return None
    first = segments[0]
    if first.lower() == "joinchat":
        return _telegram_invite(segments[1]) if len(segments) > 1 else None
    if first.startswith("+"):
        return _telegram_invite(first[1:])
    if first.lower() == "s":  # t.me/s/<name>: the public web preview of a channel
        return _telegram_username(segments[1]) if len(segments) > 1 else None
    # t.me/<name>, t.me/<name>/<message id>; t.me/c/<id>/<msg> (private message links) fail the username rule.
    return _telegram_username(first)


def _telegram_uri(rest: str) -> InviteLink | None:
    """``tg://join?invite=<code>`` and ``tg://resolve?domain=<username>``."""
    action, _, query = rest.partition("?")
    params = parse_qs(query.partition("#")[0])
    action = action.strip("/").lower()
    if action == "join" and params.get("invite"):
        return _telegram_invite(params["invite"][0])
    if action == "resolve" and params.get("domain"):
        return _telegram_username(params["domain"][0])
    return None


# --- WhatsApp and Discord ----------------------------------------------------------------------------------


def _whatsapp(segments: list[str]) -> InviteLink | None:
    """``chat.whatsapp.com/<code>``; the older ``chat.whatsapp.com/invite/<code>`` is the same invite."""
    if segments and segments[0] == "invite":
        segments = segments[1:]
    if not segments or not _WHATSAPP_CODE.fullmatch(segments[0]):
        return None
    code = segments[0]
    return InviteLink("whatsapp", "invite", code, f"chat.whatsapp.com/{code}")


def _discord(code: str) -> InviteLink | None:
    if not _DISCORD_CODE.fullmatch(code):
        return None
    return InviteLink("discord", "invite", code, f"discord.gg/{code}")


# --- Matrix ------------------------------------------------------------------------------------------------


def _matrix_target(target: str) -> InviteLink | None:
    """``#alias:server`` or ``!roomid:server``, ignoring ``?via=`` and a trailing ``/$event``; users
    (``@user:server``) are not rooms."""
    target = target.partition("?")[0].rstrip(_TRAILING)
    if len(target) < 2 or target[0] not in "#!":
        return None
    sigil, body = target[0], target[1:]
    local, colon, server = body.partition(":")
    server = server.partition("/")[0].rstrip(_TRAILING)
    if not colon or not _MATRIX_LOCAL.fullmatch(local) or not _MATRIX_SERVER.fullmatch(server):
        return None
    code = f"{sigil}{local}:{server.lower()}"
    kind = "alias" if sigil == "#" else "room_id"
    return InviteLink("matrix", kind, code, f"matrix.to/#/{code}")


def _matrix_uri(rest: str) -> InviteLink | None:
    """``matrix:r/alias:server`` and ``matrix:roomid/id:server`` (the spec's URI scheme)."""
    kind, _, body = unquote(rest, errors="replace").partition("/")
    sigil = {"r": "#", "roomid": "!"}.get(kind.lower())
    return _matrix_target(sigil + body) if sigil else None
