"""Invite links in tiled copies (``bench/tile_data.py``): copy k of a link gets a per-copy invite code (within
each platform's code alphabet and length), in posted links and inside descriptions alike, so every copy's invite
graph is the base graph on that copy's groups; what could not be rewritten is counted."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from bench.scale_tiling import copy_id
from scanner.graph import links as links_module
from scanner.graph.links import InviteLink, canonicalize, extract_links, undefang


class TileError(Exception):
    """The tiling cannot go on (bad arguments, an output folder in the way, a record that would not validate)."""


@dataclass(frozen=True)
class _Rewrite:
    needle: str  # the code as written in a URL or a description (Matrix: the local part)
    ignore_case: bool  # Telegram usernames
    matrix: bool  # the needle sits between a sigil (# ! %23 %21) and ":"
    grow: bool  # True: insert ``suffix`` after each occurrence (keeps its case); False: replace it with ``core``
    suffix: str
    core: str  # the new code (Matrix: the new local part)
    canonical: str  # the canonical key the rewritten link must have


def _fit(code: str, suffix: str, limit: int, sep: str) -> tuple[str, bool]:
    """``code + suffix`` if it fits in ``limit`` characters, else a cut code with a digest. True if not cut."""
    if len(code) + len(suffix) <= limit:
        return code + suffix, True
    digest = hashlib.sha1(code.encode()).hexdigest()[:8]
    keep = limit - len(suffix) - len(digest) - len(sep)
    return f"{code[:keep]}{sep}{digest}{suffix}", False


_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


# (platform, kind or None for any other kind) -> (suffix, the code's length limit, separator before a digest,
# case-insensitive code, canonical form): the per-copy form of every non-Matrix invite (see the module docstring).
_FORMS: dict[tuple[str, str | None], tuple[str, int, str, bool, str]] = {
    ("telegram", "username"): ("_c{k}", 32, "_", True, "t.me/{code}"),
    ("telegram", None): ("-copy{k}", 64, "-", False, "t.me/+{code}"),
    ("whatsapp", None): ("copy{k}", 40, "", False, "chat.whatsapp.com/{code}"),
    ("discord", None): ("-copy{k}", 32, "-", False, "discord.gg/{code}"),
}


def _rewrite(link: InviteLink, k: int) -> _Rewrite:
    """How copy k writes ``link``: the new code and where to put it."""
    if link.platform == "matrix":
        sigil, body = link.code[0], link.code[1:]
        local, _, server = body.partition(":")
        suffix = f"~copy{k}"
        canonical = f"matrix.to/#/{sigil}{local}{suffix}:{server}"
        return _Rewrite(local, False, True, True, suffix, local + suffix, canonical)
    form = _FORMS.get((link.platform, link.kind)) or _FORMS.get((link.platform, None))
    if form is not None:
        suffix_format, limit, sep, ignore_case, canonical_format = form
        suffix = suffix_format.format(k=k)
        core, grow = _fit(link.code, suffix, limit, sep)
        return _Rewrite(link.code, ignore_case, False, grow, suffix, core, canonical_format.format(code=core))
    # A platform added to links.py after this script: there is no per-copy form to rely on.
    raise TileError(f"no per-copy form for {link.platform} links ({link.canonical})")


def _bounded(rewrite: _Rewrite, text: str, start: int, end: int) -> bool:
    """True if ``text[start:end]`` is the whole code, not a part of a longer token."""
    if rewrite.matrix:
        before = (start >= 1 and text[start - 1] in "#!") or text[max(0, start - 3) : start].lower() in ("%23", "%21")
        after = text[end : end + 1] == ":" or text[end : end + 3].lower() == "%3a"
        return before and after
    return (start == 0 or text[start - 1] not in _CODE_CHARS) and (end == len(text) or text[end] not in _CODE_CHARS)


def _apply(rewrite: _Rewrite, text: str) -> str:
    """``text`` with every occurrence of the code given copy k's form (a plain scan: a regex per code would be
    compiled a million times)."""
    hay, needle = text, rewrite.needle
    if rewrite.ignore_case:
        hay, needle = text.lower(), needle.lower()
        if len(hay) != len(text):  # lower() changed the length (a few non-ASCII letters): no safe positions
            return text
    parts: list[str] = []
    done = 0
    at = hay.find(needle)
    while at >= 0:
        end = at + len(needle)
        if _bounded(rewrite, hay, at, end):
            parts.append(text[done:at])
            parts.append(text[at:end] + rewrite.suffix if rewrite.grow else rewrite.core)
            done = end
        at = hay.find(needle, end if done == end else at + 1)
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


@dataclass
class Counters:
    records: int = 0
    malformed: int = 0
    base_groups: int = 0
    base_groups_with_icon: int = 0
    url_fallbacks: int = 0
    description_fallbacks: int = 0
    icons_inverted: int = 0
    icons_copied_unreadable: int = 0
    icons_missing: int = 0
    hard_linked: int = 0
    copied_not_linked: int = 0
    icon_refs: set[str] = field(default_factory=set)


def tile_url(url: str, k: int, counters: Counters | None = None) -> str:
    """The URL of copy k for ``url`` (k >= 1): same invite, per-copy code. A URL that is no invite link we know
    gets ``copy_id`` (it is not in the graph either way)."""
    link = canonicalize(url)
    if link is None:
        return copy_id(url, k)
    rewrite = _rewrite(link, k)
    candidate = _apply(rewrite, url)
    found = canonicalize(candidate)
    if candidate != url and found is not None and found.canonical == rewrite.canonical:
        return candidate
    fallback = f"https://{rewrite.canonical}"
    found = canonicalize(fallback)
    if found is None or found.canonical != rewrite.canonical:
        raise TileError(f"cannot write {url!r} for copy {k}: {fallback!r} canonicalises to {found}")
    if counters is not None:
        counters.url_fallbacks += 1
    return fallback


def tile_description(text: str, k: int, counters: Counters | None = None) -> str:
    """The description of copy k: every invite link in it rewritten as ``tile_url`` would."""
    found = extract_links(text)
    if not found:
        return text
    rewrites = [_rewrite(link, k) for link in found]
    expected = [r.canonical for r in rewrites]
    new = text
    for rewrite in rewrites:
        new = _apply(rewrite, new)
    if [link.canonical for link in extract_links(new)] == expected:
        return new
    # Fallback: the text as extract_links sees it (NFKC, undefanged), each link replaced by its canonical URL.
    flat = undefang(unicodedata.normalize("NFKC", text))
    by_canonical = dict(zip([link.canonical for link in found], expected, strict=True))

    def replace(match: re.Match[str]) -> str:
        link = canonicalize(match.group(0))
        return f"https://{by_canonical[link.canonical]}" if link is not None else match.group(0)

    new = links_module._CANDIDATE.sub(replace, flat)
    if [link.canonical for link in extract_links(new)] != expected:
        raise TileError(f"cannot rewrite the links of description {text[:80]!r} for copy {k}")
    if counters is not None:
        counters.description_fallbacks += 1
    return new
