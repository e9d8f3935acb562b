"""The adversarial suite: structures built to turn the graph against bystanders, and rings built to hide in it.

Added on top of the base world, with a random stream of their own (``World.rng`` is swapped for the build and
restored), so the base world's groups, links and names are the same with or without the suite. What is planted
(``labels.csv`` roles in brackets):

- ``cs2`` a respawn chain of child-safety groups: each announces the next ("new link", "2.0"), which starts later
  under the same name, and carries one admin of its predecessor and a look-alike icon;
- ``cs3`` a camouflaged ring: study-material names, explicit icons by upstream scores, cross-posting, linked both
  ways with the chain (it should be reviewed as child_safety, not adult content);
- ``sc2`` a bland ring: "Income Club N" groups sharing an admin and cross-posting; a third of them carry scam
  descriptions, the rest say nothing (once some carry evidence the ring must be found whole);
- link-spam poisoning [poisoned]: popular, old benign groups (2,000-20,000 members) whose invite links the
  child-safety groups post, 1 to 4 times each;
- bridge admins [bridge]: benign clubs sharing one admin with a chain or ring group (one of them also has its
  link posted by the ring);
- a shared default icon [default_icon]: hundreds of unrelated benign groups with the same icon (two chain groups
  use it too);
- ring links spammed into benign directories [spammed_directory]: directories of study and job groups whose
  chats carry a handful of camouflaged-ring links;
- a benign family in which one group renames itself to an abusive name [renamed_to_abusive, renamed_family];
- a large benign coordinated network [coordinated]: a party's ward groups cross-linking, sharing admins and a
  logo, three of whose links the incitement ring posts.

Names use indicator vocabulary only (``vocab``), icons are generated abstract images, as in the base world.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from . import vocab
from .benign_groups import lang_name
from .networks import cross_post, draw_members, late_time, pick_channel, set_icon
from .world import BASE, END, Group, World

CHAIN = 6
CAMOUFLAGED = 12
BLAND = 15
POISONED = 20
BRIDGES = 3
DEFAULT_ICON = 250
SPAMMED_DIRECTORIES = 2
RENAMED_FAMILY = 4
WARDS = 60

POPULAR = ["Cricket fans India", "Exam news updates", "Job alerts daily", "IPL live score", "Govt jobs info",
           "Railway exam prep", "Bollywood news", "Stock market basics", "Recipe corner", "Travel deals India",
           "Board exam results", "English speaking practice", "Mobile tips & tricks", "Weather alerts",
           "Daily current affairs", "Football fans club", "UPSC aspirants", "Tech news today",
           "Home remedies", "Movie reviews hub"]
STUDY = ["study material hub", "notes sharing group", "exam notes pdf", "class notes exchange", "ncert solutions",
         "revision notes", "previous year papers", "study buddies", "formula sheets", "handwritten notes",
         "mock test series", "doubt solving room"]
CLUBS = ["Sunday Runners Club", "Morning Cyclists", "Book lovers circle"]
PARTY = "Jan Vikas Party"
WARD_DESC = ["Ward meeting at the community hall on Sunday", "Voter list help desk", "Cleanliness drive this week",
             "Water supply complaints here", "Ward office timings 10am-5pm", "Road repair updates"]
BLAND_DESC = ["members only", "daily updates", "welcome to the club", "", "admin approval needed"]
BLAND_SCAM = ["double your investment in 7 days", "task job: like videos, earn ₹3000 daily",
              "register with ₹500 get ₹5000", "100% guaranteed returns, withdraw daily via UPI"]


def total() -> int:
    return (CHAIN + CAMOUFLAGED + BLAND + POISONED + BRIDGES + DEFAULT_ICON + SPAMMED_DIRECTORIES + RENAMED_FAMILY
            + WARDS)


def build(w: World, rings: dict[str, list[Group]], benign: list[Group], stats: Counter) -> dict[str, list[Group]]:
    """Add the suite to ``w``; returns its groups by ring or role."""
    saved = w.rng
    w.rng = random.Random(f"groupscan-sample:{w.seed}:adversarial")
    try:
        return _build(w, rings, benign, stats)
    finally:
        w.rng = saved


def _cs_name(r: random.Random) -> str:
    """Plain indicator words (obfuscation is the base world's cs1 test; here the graph is under test)."""
    return f"{r.choice(vocab.CS_AGE)} {r.choice(vocab.CS_ADULT)} {r.choice(vocab.CS_SUFFIX)}"


def _build(w: World, rings: dict[str, list[Group]], benign: list[Group], stats: Counter) -> dict[str, list[Group]]:
    r = w.rng
    out: dict[str, list[Group]] = {}

    # cs2: a respawn chain, X -> X 2.0 -> X 3.0 ...; each carries one admin of its predecessor.
    platform = "telegram"
    chain_icon = w.icon_family("cs2-A")
    name = _cs_name(r)
    chain: list[Group] = []
    created = w.before_base(20, 60)
    admins = [w.admin(platform), w.admin(platform)]
    for i in range(CHAIN):
        suffix = "" if i == 0 else r.choice([f" {i + 1}.0", " new link", " backup", f" link {i + 1}"])
        if i:
            created = w.in_window(max(BASE, chain[-1].created) + timedelta(days=1),
                                  max(BASE, chain[-1].created) + timedelta(days=4))
            admins = [r.choice(chain[-1].admins), w.admin(platform)]
        g = w.add_group(platform=platform, label="child_safety", ring_id="cs2", role="member" if i == 0 else "backup",
                        name=name + suffix, description=r.choice(vocab.CS_DESC), admins=admins,
                        member_count=draw_members(r, platform, 30, 2000), created=created, public_prob=0.0,
                        observed=w.in_window(max(BASE, created) + timedelta(hours=2),
                                             max(BASE, created) + timedelta(hours=20)))
        if i not in (1, 4):  # two chain groups hide behind the shared default icon (below)
            set_icon(w, g, w.variant_icon("cs2-A", *chain_icon), round(r.uniform(0.6, 0.95), 3))
        chain.append(g)
    for before, after in zip(chain, chain[1:], strict=False):
        at = late_time(w, before, after.created + timedelta(hours=1), max_days=2)
        assert at is not None
        w.add_observation(before, at, "announces backup link")
        w.connect(before, after, "posted", purpose="respawn")
        if r.random() < 0.6:
            w.connect(before, after, r.choice(["description", "defanged"]), purpose="respawn")
    out["cs2"] = chain

    # cs3: a camouflaged ring linked both ways with the chain.
    ring_admins = [w.admin("whatsapp"), w.admin("whatsapp")]
    ring_icon = w.icon_family("cs3-A")
    camouflaged: list[Group] = []
    for i in range(CAMOUFLAGED):
        g = w.add_group(platform="whatsapp", label="child_safety", ring_id="cs3", role="member", name=STUDY[i],
                        description=r.choice(["notes daily", "join fast", "", "only serious members"]),
                        admins=[r.choice(ring_admins)] + ([w.admin("whatsapp")] if r.random() < 0.4 else []),
                        member_count=draw_members(r, "whatsapp", 30, 900), created=w.before_base(10, 90))
        if r.random() < 0.85:
            explicit = round(r.uniform(0.7, 0.95), 3) if r.random() < 0.7 else None
            set_icon(w, g, w.variant_icon("cs3-A", *ring_icon), explicit)
        camouflaged.append(g)
    cross_post(w, camouflaged, 2, 4, dangling=0.05)
    linkable_chain = [g for g in chain if g.linkable]
    for g in camouflaged:
        started = [t for t in linkable_chain if t.created < g.last.at - timedelta(hours=2)]
        for t in r.sample(started, min(len(started), r.randint(1, 2))):
            w.connect(g, t, pick_channel(r))
    for g in chain:
        for t in r.sample(camouflaged, r.randint(1, 3)):
            w.connect(g, t, pick_channel(r))
    out["cs3"] = camouflaged

    # sc2: a bland ring, a third of it with scam descriptions.
    bland_admin = w.admin("telegram")
    bland: list[Group] = []
    for i in range(BLAND):
        g = w.add_group(platform="telegram", label="scam", ring_id="sc2", role="member", name=f"Income Club {i + 1}",
                        description=r.choice(BLAND_SCAM) if i % 3 == 0 else r.choice(BLAND_DESC),
                        admins=[bland_admin] + ([w.admin("telegram")] if r.random() < 0.3 else []),
                        member_count=draw_members(r, "telegram", 50, 3000), created=w.before_base(5, 60))
        bland.append(g)
    cross_post(w, bland, 2, 4, dangling=0.0)
    out["sc2"] = bland

    harmful = chain + camouflaged

    # Link-spam poisoning: popular, old benign groups whose links the child-safety groups post.
    poisoned: list[Group] = []
    for name in POPULAR[:POISONED]:
        platform = r.choice(["telegram", "whatsapp"])
        g = w.add_group(platform=platform, label="benign", ring_id="", role="poisoned", name=name,
                        description=r.choice(vocab.BENIGN_DESC_EN), admins=[w.admin(platform)],
                        member_count=r.randint(2000, 20000) if platform == "telegram" else 1024,
                        created=w.before_base(700, 2200), public_prob=0.5)
        if r.random() < 0.6:
            set_icon(w, g, w.solo_icon(), round(r.uniform(0.01, 0.15), 3) if r.random() < 0.3 else None)
        for t in r.sample([b for b in benign if b.linkable], r.randint(0, 2)):
            w.connect(g, t, "posted")
        spammers = r.sample(harmful, r.randint(1, 4))
        for s in spammers:
            w.connect(s, g, pick_channel(r))
        stats["poisoned: ring posts of their links"] += len(spammers)
        poisoned.append(g)
    out["poisoned"] = poisoned

    # Bridge admins: benign clubs sharing one admin with a chain or ring group.
    bridges: list[Group] = []
    for i, (club, other) in enumerate(zip(CLUBS[:BRIDGES], [chain[2], camouflaged[3], chain[0]], strict=True)):
        shared = r.choice(other.admins)
        g = w.add_group(platform=other.platform, label="benign", ring_id="", role="bridge",
                        name=f"{club} {r.choice(vocab.CITIES)}", description=r.choice(vocab.BENIGN_DESC_EN),
                        admins=[shared, w.admin(other.platform)], member_count=draw_members(r, other.platform, 20, 400),
                        created=w.before_base(300, 1500))
        if i == 2:  # also its link posted by the ring: two weak ties
            w.connect(camouflaged[0], g, "posted")
        bridges.append(g)
    out["bridge"] = bridges

    # A shared default icon on hundreds of unrelated groups (and on two chain groups).
    default = w.icon_family("default-icon")
    defaults: list[Group] = []
    for _ in range(DEFAULT_ICON):
        platform = r.choice(["whatsapp", "whatsapp", "telegram"])
        name, description = lang_name(r, r.randint(1990, 2024))
        g = w.add_group(platform=platform, label="benign", ring_id="", role="default_icon",
                        name=name, description=description, admins=[w.admin(platform)],
                        member_count=draw_members(r, platform, 5, 500))
        set_icon(w, g, w.variant_icon("default-icon", *default, exact=True), None)
        defaults.append(g)
    for i in (1, 4):
        set_icon(w, chain[i], w.variant_icon("default-icon", *default, exact=True), None)
    out["default_icon"] = defaults

    # Benign directories into whose chats the camouflaged ring spammed its links.
    directories: list[Group] = []
    targets = [b for b in benign if b.linkable and b.created < BASE]
    for i in range(SPAMMED_DIRECTORIES):
        g = w.add_group(platform="whatsapp", label="benign", ring_id="", role="spammed_directory",
                        name=["Study groups directory", "Job groups list"][i],
                        description=r.choice(vocab.DIRECTORY_DESC), admins=[w.admin("whatsapp")],
                        member_count=1024, created=w.before_base(200, 900),
                        observed=w.in_window(BASE + timedelta(days=12), END - timedelta(days=1)))
        for t in r.sample(targets, r.randint(25, 40)):
            w.connect(g, t, pick_channel(r, 0.1, 0.0))
        for t in r.sample(camouflaged, r.randint(5, 8)):
            w.connect(g, t, "posted")
        directories.append(g)
    out["spammed_directory"] = directories

    # A benign family in which one group suddenly renames itself to an abusive name.
    family_admin = w.admin("whatsapp")
    school = r.choice(vocab.SCHOOLS)
    family: list[Group] = []
    for letter in vocab.SECTION_LETTERS[:RENAMED_FAMILY]:
        g = w.add_group(platform="whatsapp", label="benign", ring_id="", role="renamed_family",
                        name=f"{school} class 7{letter} parents", description=r.choice(vocab.BENIGN_DESC_EN),
                        admins=[family_admin, w.admin("whatsapp")], member_count=draw_members(r, "whatsapp", 20, 90),
                        created=w.before_base(100, 900))
        family.append(g)
    cross_post(w, family, 1, 2, dangling=0.0, duplicate=0.0)
    renamed = family[0]
    renamed.label, renamed.role = "child_safety", "renamed_to_abusive"
    at = late_time(w, renamed, BASE + timedelta(days=15), max_days=10)
    assert at is not None
    w.add_observation(renamed, at, "renamed to an abusive name", name=_cs_name(r))
    out["renamed_family"] = family

    # A large benign coordinated network: a party's ward groups.
    party_admins = [w.admin("whatsapp") for _ in range(4)]
    logo = w.icon_family("party-logo")
    city = r.choice(vocab.CITIES)
    wards: list[Group] = []
    for i in range(WARDS):
        g = w.add_group(platform="whatsapp", label="benign", ring_id="", role="coordinated",
                        name=f"{PARTY} Ward {i + 1} {city}", description=r.choice(WARD_DESC),
                        admins=r.sample(party_admins, r.randint(1, 2)) + [w.admin("whatsapp")],
                        member_count=draw_members(r, "whatsapp", 80, 1024), created=w.before_base(30, 700))
        if r.random() < 0.8:
            set_icon(w, g, w.variant_icon("party-logo", *logo, exact=r.random() < 0.5), None)
        wards.append(g)
    cross_post(w, wards, 3, 6, dangling=0.02, duplicate=0.0)
    for t in r.sample(wards, 3):
        w.connect(r.choice([m for m in rings["inc1"] if m.linkable]), t, "posted")
    out["coordinated"] = wards
    stats["adversarial groups"] = sum(len(v) for v in out.values())
    return out
