from __future__ import annotations

from scanner.graph.groups import fold
from scanner.graph.successors import name_tokens, similarity, successions
from scanner.schema import GroupSnapshot
from tests.support.factories import snapshot


def link(code: str) -> str:
    return f"https://t.me/+{code}AAAAAAAAAAAAAAA"


def states(*records):
    return fold(GroupSnapshot.model_validate(r) for r in records)


def test_respawn_is_found_and_siblings_are_not():
    world = states(
        snapshot("tg:1", platform="telegram", name="T33N xxx club", own_invite_links=[link("a")],
                 posted_invite_links=[{"url": link("b")}], created_at="2026-08-01T00:00:00Z"),
        snapshot("tg:2", platform="telegram", name="teen xxx club backup 2", own_invite_links=[link("b")],
                 created_at="2026-09-01T00:00:00Z"),
        snapshot("tg:3", platform="telegram", name="Lake View Tower A", own_invite_links=[link("c")],
                 posted_invite_links=[{"url": link("d")}], created_at="2026-08-01T00:00:00Z"),
        snapshot("tg:4", platform="telegram", name="Lake View Tower B", own_invite_links=[link("d")],
                 created_at="2026-09-01T00:00:00Z"),
    )
    found = successions(world)
    assert [(s.predecessor, s.successor) for s in found] == [("tg:1", "tg:2")]


def test_an_older_group_is_not_a_successor():
    world = states(
        snapshot("tg:1", platform="telegram", name="quiz night", own_invite_links=[link("a")],
                 posted_invite_links=[{"url": link("b")}], created_at="2026-09-01T00:00:00Z"),
        snapshot("tg:2", platform="telegram", name="quiz night", own_invite_links=[link("b")],
                 created_at="2026-08-01T00:00:00Z"),
    )
    assert successions(world) == []


def test_name_tokens_drop_markers_and_numbers():
    assert name_tokens("Teen Club BACKUP 3") == name_tokens("teen club")
    assert similarity(name_tokens("a b c"), frozenset()) == 0.0
