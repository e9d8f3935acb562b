"""Behaviour of scanner.graph.links: every surface form of an invite reduces to one canonical key, non-invite
URLs and garbage give nothing, and free text yields its links in order without duplicates."""

from __future__ import annotations

import dataclasses
import random

import pytest

from scanner.graph.links import InviteLink, canonicalize, extract_links, undefang

WA = "AbCdEfGhIjKlMnOpQrStUv"  # WhatsApp codes: 22 letters/digits, case-sensitive
TG = "AbCdEfGh12345678"  # Telegram invite hash, case-sensitive
TG_OLD = "AAAAAEkk2WdoDrB4-Q8-gg"  # older joinchat hash, with - and _

SURFACE_FORMS = [
    # WhatsApp
    (f"https://chat.whatsapp.com/{WA}", f"chat.whatsapp.com/{WA}"),
    (f"http://chat.whatsapp.com/{WA}", f"chat.whatsapp.com/{WA}"),
    (f"chat.whatsapp.com/{WA}", f"chat.whatsapp.com/{WA}"),
    (f"HTTPS://CHAT.WHATSAPP.COM/{WA}/", f"chat.whatsapp.com/{WA}"),
    (f"https://www.chat.whatsapp.com/{WA}?lang=en#x", f"chat.whatsapp.com/{WA}"),
    (f"https://chat.whatsapp.com/invite/{WA}", f"chat.whatsapp.com/{WA}"),
    (f"chat.whatsapp.com/{WA}).", f"chat.whatsapp.com/{WA}"),
    # Telegram private invites: every spelling is one invite
    (f"https://t.me/+{TG}", f"t.me/+{TG}"),
    (f"t.me/joinchat/{TG}", f"t.me/+{TG}"),
    (f"https://telegram.me/joinchat/{TG}/", f"t.me/+{TG}"),
    (f"telegram.me/+{TG}", f"t.me/+{TG}"),
    (f"https://telegram.dog/joinchat/{TG}", f"t.me/+{TG}"),
    (f"telegram.dog/+{TG}", f"t.me/+{TG}"),
    (f"tg://join?invite={TG}", f"t.me/+{TG}"),
    (f"TG://JOIN?invite={TG}", f"t.me/+{TG}"),
    (f"https://t.me/%2B{TG}", f"t.me/+{TG}"),
    (f"https://T.ME/JOINCHAT/{TG}?start=1", f"t.me/+{TG}"),
    (f"t.me/joinchat/{TG_OLD}", f"t.me/+{TG_OLD}"),
    # Telegram public usernames: case-insensitive; web preview and message links mean the channel
    ("https://t.me/Backup_Group", "t.me/backup_group"),
    ("t.me/backup_group/", "t.me/backup_group"),
    ("https://t.me/s/backup_group", "t.me/backup_group"),
    ("https://t.me/backup_group/123", "t.me/backup_group"),
    ("https://t.me/backup_group?start=ref", "t.me/backup_group"),
    ("www.t.me/backup_group#top", "t.me/backup_group"),
    ("telegram.me/backup_group", "t.me/backup_group"),
    ("tg://resolve?domain=Backup_Group", "t.me/backup_group"),
    ("https://backup_group.t.me", "t.me/backup_group"),
    ("t.me:443/backup_group", "t.me/backup_group"),
    # Matrix: the fragment is the target
    ("https://matrix.to/#/#school-news:Example.ORG", "matrix.to/#/#school-news:example.org"),
    ("https://matrix.to/#/%23school-news%3Aexample.org", "matrix.to/#/#school-news:example.org"),
    ("matrix.to/#/#school-news:example.org?via=example.org&via=matrix.org", "matrix.to/#/#school-news:example.org"),
    ("https://matrix.to/#/!AbCdEf123:example.org", "matrix.to/#/!AbCdEf123:example.org"),
    ("https://matrix.to/#/%21AbCdEf123%3AEXAMPLE.org?via=example.org", "matrix.to/#/!AbCdEf123:example.org"),
    ("https://matrix.to/#/!AbCdEf123:example.org/$event123?via=x", "matrix.to/#/!AbCdEf123:example.org"),
    ("matrix.to/#/#room:example.org:8448", "matrix.to/#/#room:example.org:8448"),
    ("matrix:r/school-news:example.org", "matrix.to/#/#school-news:example.org"),
    ("matrix:roomid/AbCdEf123:example.org?via=x", "matrix.to/#/!AbCdEf123:example.org"),
    # Discord
    ("https://discord.gg/AbC123", "discord.gg/AbC123"),
    ("discord.gg/AbC123/", "discord.gg/AbC123"),
    ("https://discord.com/invite/AbC123", "discord.gg/AbC123"),
    ("https://discordapp.com/invite/AbC123?event=1", "discord.gg/AbC123"),
    ("https://www.DISCORD.com/invite/AbC123", "discord.gg/AbC123"),
    ("https://canary.discord.com/invite/AbC123", "discord.gg/AbC123"),
    ("discord.gg/new-link", "discord.gg/new-link"),
    # defanged
    (f"hxxps://t[.]me/+{TG}", f"t.me/+{TG}"),
    (f"hxxp://chat(.)whatsapp[.]com/{WA}", f"chat.whatsapp.com/{WA}"),
    (f"chat[dot]whatsapp[dot]com/{WA}", f"chat.whatsapp.com/{WA}"),
    ("HXXPS[:]//discord[.]gg/AbC123", "discord.gg/AbC123"),
    ("matrix[.]to/#/#school-news:example[.]org", "matrix.to/#/#school-news:example.org"),
    # trailing punctuation, whitespace, invisible characters, fullwidth
    (f"  t.me/+{TG}.  ", f"t.me/+{TG}"),
    (f"t.me/+{TG}!?", f"t.me/+{TG}"),
    (f"'t.me/+{TG}'", f"t.me/+{TG}"),
    (f"(t.me/+{TG})", f"t.me/+{TG}"),
    (f"<https://t.me/+{TG}>", f"t.me/+{TG}"),
    (f't.me/+{TG}"', f"t.me/+{TG}"),
    (f"t.me/+{TG}]", f"t.me/+{TG}"),
    (f"t.\u200bme/+{TG}", f"t.me/+{TG}"),
    (f"ｔ.ｍｅ/+{TG}", f"t.me/+{TG}"),
]


@pytest.mark.parametrize(("url", "canonical"), SURFACE_FORMS)
def test_surface_form_to_canonical(url: str, canonical: str | None) -> None:
    link = canonicalize(url)
    if canonical is None:
        assert link is None
    else:
        assert link is not None
        assert link.canonical == canonical


@pytest.mark.parametrize(("url", "canonical"), [(u, c) for u, c in SURFACE_FORMS if c is not None])
def test_canonical_form_is_a_fixed_point(url: str, canonical: str) -> None:
    """Stored keys are fed back through canonicalize (a group's own links, posted links): must not drift."""
    link = canonicalize(url)
    assert canonicalize(canonical) == link


@pytest.mark.parametrize(
    ("url", "platform", "kind", "code"),
    [
        (f"t.me/joinchat/{TG}", "telegram", "invite", TG),
        ("t.me/Backup_Group", "telegram", "username", "backup_group"),
        (f"chat.whatsapp.com/{WA}", "whatsapp", "invite", WA),
        ("discord.com/invite/AbC123", "discord", "invite", "AbC123"),
        ("matrix.to/#/#news:Example.org", "matrix", "alias", "#news:example.org"),
        ("matrix.to/#/!AbC:example.org", "matrix", "room_id", "!AbC:example.org"),
    ],
)
def test_link_fields(url: str, platform: str, kind: str, code: str) -> None:
    link = canonicalize(url)
    assert link is not None
    assert (link.platform, link.kind, link.code) == (platform, kind, code)


def test_joinchat_and_plus_forms_are_the_same_invite() -> None:
    forms = [
        f"https://t.me/joinchat/{TG}",
        f"https://t.me/+{TG}",
        f"telegram.me/joinchat/{TG}",
        f"telegram.me/+{TG}",
        f"telegram.dog/joinchat/{TG}",
        f"tg://join?invite={TG}",
    ]
    links = {canonicalize(form) for form in forms}
    assert len(links) == 1
    assert None not in links


# --- case sensitivity --------------------------------------------------------------------------------------


def test_invite_codes_are_case_sensitive() -> None:
    assert canonicalize(f"t.me/+{TG}") != canonicalize(f"t.me/+{TG.lower()}")
    assert canonicalize(f"chat.whatsapp.com/{WA}") != canonicalize(f"chat.whatsapp.com/{WA.upper()}")
    assert canonicalize("discord.gg/AbC123") != canonicalize("discord.gg/abc123")


def test_usernames_hosts_and_matrix_servers_are_not() -> None:
    assert canonicalize("t.me/BACKUP_GROUP") == canonicalize("T.ME/backup_group")
    assert canonicalize(f"CHAT.WhatsApp.COM/{WA}") == canonicalize(f"chat.whatsapp.com/{WA}")
    assert canonicalize("matrix.to/#/#news:EXAMPLE.org") == canonicalize("matrix.to/#/#news:example.org")


def test_matrix_localpart_keeps_its_case() -> None:
    assert canonicalize("matrix.to/#/#News:example.org") != canonicalize("matrix.to/#/#news:example.org")


# --- not invites -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "https://example.com/t.me/backup_group",
        "https://t.me/share/url?url=https://example.com",
        "https://t.me/share",
        "https://t.me/addstickers/SomePack",
        "https://t.me/proxy?server=1.2.3.4",
        "https://t.me/setlanguage/xx",
        "https://t.me/c/1234567890/12",  # private message link: an internal id, not a joinable chat
        "https://t.me/+15551234567",  # a phone number, not an invite
        "https://t.me/",
        "t.me",
        "https://t.me/abc",  # usernames are at least 5 characters
        "https://t.me/1backup",  # and start with a letter
        "https://t.me/joinchat/",
        "https://t.me/joinchat/short",
        "https://matrix.to/#/@someone:example.org",  # a user, not a room
        "https://matrix.to/#/#nodomain",
        "https://matrix.to/",
        "https://chat.whatsapp.com/",
        "https://chat.whatsapp.com/abc",
        "https://wa.me/15551234567",
        "https://discord.com/channels/123/456",
        "https://discord.com/invite/",
        "https://discord.gg/",
        "https://nott.me/backup_group",
        "https://t.me.example.com/backup_group",
        "ftp://t.me/backup_group",
        "mailto:someone@example.com",
        "tg://msg?text=new+link",
        "tg://join",
        "matrix:u/someone:example.org",
    ],
)
def test_non_invite_urls_give_none(url: str) -> None:
    assert canonicalize(url) is None
    assert extract_links(url) == []


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        " ",
        ":::",
        "http://",
        "https://[",
        "https://[::1",
        "//",
        "#/#",
        "%",
        "%E0%A4",
        "t.me/%FF%FE",
        "tg://",
        "tg://join?invite=%",
        "matrix:",
        "matrix:r/",
        "matrix.to/#/%",
        "\x00\x01\x02",
        "🔞🔞🔞",
        "http://" + "a" * 10_000,
        "t.me/" + "+" * 5000,
    ],
)
def test_garbage_gives_none(garbage: str) -> None:
    assert canonicalize(garbage) is None


@pytest.mark.parametrize("not_a_string", [None, 42, b"t.me/backup_group", ["t.me/backup_group"]])
def test_non_strings_give_none(not_a_string: object) -> None:
    assert canonicalize(not_a_string) is None  # type: ignore[arg-type]
    assert extract_links(not_a_string) == []  # type: ignore[arg-type]


def test_random_input_never_raises() -> None:
    alphabet = list("t.me/+joinchat:#!@?&=%2BAbc_-[]()hxxps tg whatsapp discord matrix.to 0123 \u200b🔥बच्चे")
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        canonicalize(text)
        for link in extract_links(text):
            assert canonicalize(link.canonical) == link


# --- extraction from free text -----------------------------------------------------------------------------


def test_extract_from_multilingual_text_in_order_without_duplicates() -> None:
    text = (
        f"नया लिंक 👉t.me/+{TG}🔥 backup: https://chat.whatsapp.com/{WA}. "
        f"पुराना ग्रुप बंद, नया: t.me/joinchat/{TG}, "
        "குழு discord.gg/AbC123 (matrix.to/#/#school-news:example.org) "
        "বাংলা telegram.me/Backup_Group।"
        f" again HTTPS://T.ME/+{TG} and t.me/backup_group"
    )
    assert [link.canonical for link in extract_links(text)] == [
        f"t.me/+{TG}",
        f"chat.whatsapp.com/{WA}",
        "discord.gg/AbC123",
        "matrix.to/#/#school-news:example.org",
        "t.me/backup_group",
    ]


def test_extract_links_touching_non_ascii_and_emoji() -> None:
    text = f"बच्चेt.me/+{TG}बच्चे 🔗discord.gg/AbC123🔗 «chat.whatsapp.com/{WA}»"
    assert [link.canonical for link in extract_links(text)] == [
        f"t.me/+{TG}",
        "discord.gg/AbC123",
        f"chat.whatsapp.com/{WA}",
    ]


def test_extract_defanged_links() -> None:
    text = f"new link hxxps://t[.]me/+{TG} backup chat[.]whatsapp[.]com/{WA}"
    assert [link.canonical for link in extract_links(text)] == [f"t.me/+{TG}", f"chat.whatsapp.com/{WA}"]


def test_extract_ignores_non_invites_and_lookalike_hosts() -> None:
    text = "see https://example.com and https://t.me/share/url?url=x, nott.me/backup_group, t.me.example.com/x"
    assert extract_links(text) == []


def test_extract_tg_and_matrix_uris() -> None:
    text = f"open tg://join?invite={TG} or matrix:r/school-news:example.org."
    assert [link.canonical for link in extract_links(text)] == [
        f"t.me/+{TG}",
        "matrix.to/#/#school-news:example.org",
    ]


def test_extract_link_after_a_colon_but_not_inside_another_scheme() -> None:
    text = "link:t.me/backup_group ftp://t.me/other_group"
    assert [link.canonical for link in extract_links(text)] == ["t.me/backup_group"]


def test_extract_from_empty_text() -> None:
    assert extract_links("") == []
    assert extract_links("no links here, just a school group") == []


def test_undefang() -> None:
    assert undefang("hxxps[:]//t[.]me/x (.) [dot] {.}") == "https://t.me/x . . ."


def test_invite_link_is_frozen() -> None:
    link = canonicalize("t.me/backup_group")
    assert isinstance(link, InviteLink)
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.code = "x"  # type: ignore[misc]
