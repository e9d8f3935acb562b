"""Builders for the benign side of the world: ordinary groups in many languages, the school and town clusters
shaped like rings, hard negatives whose names contain risky-looking words, link directories that touch
everything, spam and benign invite posts, and renamed groups (``generate.py`` calls them after the rings of
``networks.py``). Counts that the README documents are constants in ``networks.py``.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from . import obfuscate, vocab
from .networks import (
    DIRECTORIES,
    RESPAWN_PAIRS,
    TEACHER_CLUSTER,
    TOWN_CLUSTER,
    cross_post,
    draw_members,
    late_time,
    pick_channel,
    set_icon,
)
from .world import BASE, END, Group, World


def lang_name(r: random.Random, year: int) -> tuple[str, str]:
    """A benign (name, description) in a random language."""
    fill = {
        "surname": r.choice(vocab.SURNAMES), "city": r.choice(vocab.CITIES),
        "society": r.choice(vocab.SOCIETIES), "school": r.choice(vocab.SCHOOLS),
        "emoji": r.choice(vocab.EMOJI), "n": r.randint(1, 99), "year": year,
        "year2": r.randint(2024, 2028), "tower": r.choice(vocab.SECTION_LETTERS),
        "surname_hi": r.choice(vocab.SURNAMES_HI), "city_hi": r.choice(vocab.CITIES_HI),
        "name_ta": r.choice(vocab.NAMES_TA), "city_ta": r.choice(vocab.CITIES_TA),
        "name_bn": r.choice(vocab.NAMES_BN), "city_bn": r.choice(vocab.CITIES_BN),
    }
    lang = r.choices(["en", "hinglish", "hi", "ta", "bn"], weights=[35, 25, 20, 10, 10])[0]
    names = {"en": vocab.BENIGN_EN, "hinglish": vocab.BENIGN_HINGLISH, "hi": vocab.BENIGN_HI,
             "ta": vocab.BENIGN_TA, "bn": vocab.BENIGN_BN}[lang]
    descs = {"en": vocab.BENIGN_DESC_EN, "hinglish": vocab.BENIGN_DESC_HINGLISH, "hi": vocab.BENIGN_DESC_HI,
             "ta": vocab.BENIGN_DESC_TA, "bn": vocab.BENIGN_DESC_BN}[lang]
    name = r.choice(names).format(**fill)
    if r.random() < 0.08:
        name += " " + r.choice(vocab.EMOJI)
    return name, r.choice(descs)


def _benign_platform(r: random.Random) -> str:
    return r.choices(["whatsapp", "telegram", "matrix"], weights=[60, 35, 5])[0]


def _benign_icon(w: World, g: Group, stats: Counter, pdq_only_budget: list[int]) -> None:
    r = w.rng
    if r.random() >= 0.5:
        return
    icon = w.solo_icon()
    if pdq_only_budget[0] and r.random() < 0.01:
        icon.pdq_only = True
        pdq_only_budget[0] -= 1
    x = r.random()
    explicit = round(r.uniform(0.01, 0.2), 3) if x < 0.15 else None
    set_icon(w, g, icon, explicit)
    if explicit is None and x < 0.25:
        g.first.empty_signals = True


def build_benign(w: World, n_total: int, stats: Counter) -> list[Group]:
    """Benign majority: singles, admin-run clusters, logo-sharing clusters, fancy fonts."""
    r = w.rng
    out: list[Group] = []
    pdq_budget = [12]
    n_cluster_groups = int(n_total * 0.08)
    logo_clusters = 4
    made = 0
    cluster_id = 0
    while made < n_cluster_groups:
        size = r.randint(2, 5)
        template, theme = r.choice(vocab.CLUSTER_THEMES)
        platform = r.choice(["whatsapp", "whatsapp", "telegram"])
        admins = [w.admin(platform) for _ in range(r.randint(1, 2))]
        fill = {"school": r.choice(vocab.SCHOOLS), "grade": r.randint(1, 12), "city": r.choice(vocab.CITIES),
                "society": r.choice(vocab.SOCIETIES), "year": r.randint(1995, 2022),
                "surname": r.choice(vocab.SURNAMES)}
        logo = None
        if cluster_id < logo_clusters:
            logo = w.icon_family(f"benign-logo-{cluster_id + 1}")
        sections = vocab.SECTION_LETTERS[:size]
        group: list[Group] = []
        for s in sections:
            name = template.format(section=s, **fill)
            g = w.add_group(platform=platform, label="benign", ring_id="", role="normal", name=name,
                            description=r.choice(vocab.BENIGN_DESC_EN),
                            member_count=draw_members(r, platform, 8, 300),
                            admins=admins + ([w.admin(platform)] if r.random() < 0.3 else []))
            if logo is not None:
                set_icon(w, g, w.variant_icon(f"benign-logo-{cluster_id + 1}", logo[0], logo[1],
                                               exact=r.random() < 0.4), None)
            else:
                _benign_icon(w, g, stats, pdq_budget)
            group.append(g)
        cross_post(w, [g for g in group if r.random() < 0.6], 1, 3, dangling=0.0, duplicate=0.0,
                    targets=group)
        out += group
        made += size
        cluster_id += 1
    stats["benign clusters"] = cluster_id
    stats["benign clustered groups"] = made
    while len(out) < n_total:
        platform = _benign_platform(r)
        name, desc = lang_name(r, r.randint(1990, 2024))
        if r.random() < 0.015:
            style = r.choice(obfuscate.BENIGN_STYLES)
            name = obfuscate.apply(style, name, r)
            stats[f"benign fancy font: {style}"] += 1
        admins = [w.admin(platform) for _ in range(r.choices([1, 2, 3], weights=[6, 3, 1])[0])]
        g = w.add_group(platform=platform, label="benign", ring_id="", role="normal", name=name,
                        description=desc, member_count=draw_members(r, platform, 3, 1024), admins=admins,
                        extra_links=1 if platform == "telegram" and r.random() < 0.1 else 0,
                        no_link=r.random() < 0.04)
        _benign_icon(w, g, stats, pdq_budget)
        out.append(g)
    # some people admin unrelated groups too
    for g in r.sample(out, int(len(out) * 0.03)):
        other = r.choice(out)
        if other.platform == g.platform and other is not g:
            g.admins.append(other.admins[0])
    stats["benign pdq-only icons"] = 12 - pdq_budget[0]
    return out


def build_hard_negatives(w: World, stats: Counter) -> list[Group]:
    r = w.rng
    out: list[Group] = []
    by_name: dict[str, Group] = {}
    teacher = w.admin("whatsapp")
    town = w.admin("whatsapp")
    for name, desc, explicit in vocab.HARD_NEGATIVES:
        platform = "whatsapp" if name in TEACHER_CLUSTER + TOWN_CLUSTER else _benign_platform(r)
        admins = [w.admin(platform)]
        if name in TEACHER_CLUSTER:
            admins.insert(0, teacher)
        if name in TOWN_CLUSTER:
            admins.insert(0, town)
        created = observed = None
        if name in RESPAWN_PAIRS:
            created = w.in_window(BASE + timedelta(days=4), BASE + timedelta(days=15))
            observed = w.in_window(created + timedelta(hours=2), created + timedelta(days=4))
        g = w.add_group(platform=platform, label="benign", ring_id="", role="hard_negative", name=name,
                        description=desc, member_count=draw_members(r, platform, 10, 1024), admins=admins,
                        created=created, observed=observed)
        if r.random() < 0.6 or explicit is not None:
            set_icon(w, g, w.solo_icon(), explicit)
        out.append(g)
        by_name[name] = g
    for cluster in (TEACHER_CLUSTER, TOWN_CLUSTER):
        gs = [by_name[n] for n in cluster]
        cross_post(w, gs, 1, 3, dangling=0.0, duplicate=0.0)
    olds: list[Group] = []
    for new_name, old_name in sorted(RESPAWN_PAIRS.items()):
        new = by_name[new_name]
        old = w.add_group(platform=new.platform, label="benign", ring_id="", role="normal",
                          name=old_name, description="Group full", member_count=1024 if new.platform == "whatsapp"
                          else 5000, admins=list(new.admins),
                          observed=w.in_window(BASE, BASE + timedelta(days=3)))
        at = late_time(w, old, new.created + timedelta(hours=1), max_days=3)
        assert at is not None
        w.add_observation(old, at, "announces new group link")
        w.connect(old, new, "posted", purpose="respawn")
        w.connect(old, new, "description", purpose="respawn")
        olds.append(old)
    return out + olds


# ------------------------------------------------------------------ directories
def build_directories(w: World, benign: list[Group], rings: dict[str, list[Group]],
                      stats: Counter) -> list[Group]:
    r = w.rng
    shared_admin = w.admin("telegram")
    out: list[Group] = []
    for i, name in enumerate(vocab.DIRECTORY_NAMES[:DIRECTORIES]):
        platform = "telegram" if r.random() < 0.6 else "whatsapp"
        admins = [w.admin(platform)]
        if platform == "telegram" and i < 6:
            admins.append(shared_admin)
        g = w.add_group(platform=platform, label="benign", ring_id="", role="link_directory", name=name,
                        description=r.choice(vocab.DIRECTORY_DESC),
                        member_count=draw_members(r, platform, 300, 20000), admins=admins, public_prob=0.5,
                        observed=w.in_window(BASE + timedelta(days=10), END - timedelta(days=1)))
        if r.random() < 0.5:
            set_icon(w, g, w.solo_icon(), None)
        out.append(g)
    targets = [g for g in benign if g.linkable and g.created < BASE]
    for i, g in enumerate(out):
        k = r.randint(18, 48)  # + 2 other directories (+ up to 10 ring links): 20-60 links each
        for t in r.sample(targets, k):
            if r.random() < 0.08:
                w.connect(g, None, pick_channel(r, 0.1, 0.0))
            else:
                w.connect(g, t, pick_channel(r, 0.1, 0.0))
        for t in r.sample([d for d in out if d is not g and d.linkable], 2):
            w.connect(g, t, "posted")
        if i < 3:  # three directories also carry a handful of ring links
            ring_links = 0
            for ring in sorted(rings):
                members = [m for m in rings[ring] if m.role == "member" and m.linkable]
                for t in r.sample(members, r.randint(1, 2)):
                    w.connect(g, t, "posted")
                    ring_links += 1
            stats[f"directory {i} ring links"] = ring_links
    return out


def add_spam(w: World, benign: list[Group], rings: dict[str, list[Group]], stats: Counter) -> None:
    """Ring invites dropped into benign groups by spammers (edges benign -> ring)."""
    r = w.rng
    normal = [g for g in benign if g.role == "normal"]
    for ring, n in (("sc1", 20), ("ss1", 6)):
        members = [m for m in rings[ring] if m.role == "member" and m.linkable]
        for g in r.sample(normal, n):
            w.connect(g, r.choice(members), "posted")
        stats[f"benign groups with a spammed {ring} link"] = n


def add_benign_posts(w: World, benign: list[Group], stats: Counter) -> None:
    """Some ordinary groups share a link or two (to other benign groups or outside)."""
    r = w.rng
    targets = [g for g in benign if g.linkable and g.created < BASE]
    posters = r.sample(benign, int(len(benign) * 0.12))
    for g in posters:
        for _ in range(r.randint(1, 2)):
            if r.random() < 0.3:
                w.connect(g, None, pick_channel(r, 0.15, 0.0))
            else:
                t = r.choice(targets)
                if t is not g:
                    w.connect(g, t, pick_channel(r, 0.15, 0.0))
    stats["benign groups posting 1-2 links"] = len(posters)


def add_revisions(w: World, pool: list[Group], target_multi: int, stats: Counter) -> None:
    """Extra observations (rename, icon change, description edit, link reset) until
    ``target_multi`` groups in the whole world have more than one observation."""
    r = w.rng
    have = sum(1 for g in w.groups if len(g.observations) > 1)
    candidates = [g for g in pool if len(g.observations) == 1]
    r.shuffle(candidates)
    for g in candidates:
        if have >= target_multi:
            break
        extra = 1 if r.random() < 0.7 else 2
        ok = False
        for _ in range(extra):
            at = late_time(w, g, g.last.at, max_days=12)
            if at is None:
                break
            kind = r.choices(["rename", "icon", "description", "link_reset", "members"],
                             weights=[30, 25, 20, 10, 15])[0]
            if kind == "link_reset" and not g.linkable:
                kind = "members"
            upd: dict[str, object] = {"member_count": max(2, g.last.member_count + r.randint(-5, 25))}
            if kind == "rename":
                name, _ = lang_name(r, r.randint(1990, 2024))
                upd["name"] = r.choice([g.last.name + " " + r.choice(vocab.EMOJI), g.last.name + " (official)",
                                        name])
            elif kind == "icon":
                new = None if (g.last.icon is not None and r.random() < 0.3) else w.solo_icon()
                upd["icon"] = new
                upd["explicit"] = None
                upd["empty_signals"] = False
            elif kind == "description":
                upd["description"] = r.choice(vocab.BENIGN_DESC_EN + vocab.BENIGN_DESC_HI)
            elif kind == "link_reset":
                upd["own_links"] = [w.own_link(g.platform, g.last.name, public_prob=0.0)]
                upd["link_reset_at"] = g.last.at + (at - g.last.at) / 2
            w.add_observation(g, at, kind, **upd)
            stats[f"revision: {kind}"] += 1
            ok = True
        if ok:
            have += 1
