"""Builders for each planted structure: the four rings, adult set, directories, benign.

Each ``build_*`` function adds groups and invite edges to a World and returns
the groups it made. The structures mirror what trust-and-safety analysts see:
rings that cross-post invites, share admins and reuse near-duplicate icons;
benign school/society clusters with the same shape; link directories that
touch everything; hard negatives whose names contain risky-looking words.
Counts that the README documents are constants at the top.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from . import obfuscate, vocab
from .world import BASE, END, Group, Icon, World

CS_ORIGINALS = 43
CS_BACKUPS = 12  # 11 backups of originals + 1 backup of a backup (x -> "2.0" -> "3.0")
SS_ORIGINALS, SS_BACKUPS = 27, 3
INC_GROUPS = 25
SC_GROUPS = 30
AD_GROUPS = 10
DIRECTORIES = 15
RESPAWN_PAIRS = {  # hard-negative "new link" group -> name of the old group that posts it
    "New link, old group full": "Job Alerts Pune",
    "Office team backup group": "Office team",
    "Link 2 - college notes": "College notes",
    "Backup: family photos": "Family photos",
}
TEACHER_CLUSTER = ["Class 8 parents", "कक्षा 8 अभिभावक समूह", "Class 9 maths doubts",
                   "Class 10 board exam prep", "Class 12 chemistry batch"]
TOWN_CLUSTER = ["Sundarpur cricket club", "Sundarpur residents welfare", "Sundarpur market association",
                "Sundarpur lathi khel academy", "Ganesh visarjan volunteers"]
MIN_GROUPS = 800


def fixed_ring_total() -> int:
    """Groups that do not scale with --groups (rings, directories, hard negatives, old groups)."""
    return (CS_ORIGINALS + CS_BACKUPS + SS_ORIGINALS + SS_BACKUPS + INC_GROUPS + SC_GROUPS
            + AD_GROUPS + DIRECTORIES + len(vocab.HARD_NEGATIVES) + len(RESPAWN_PAIRS))


def draw_members(r: random.Random, platform: str, lo: int, hi: int) -> int:
    n = int(round(r.lognormvariate(0, 1) * (lo + hi) / 4))
    n = max(lo, min(hi, n))
    return min(n, 1024) if platform == "whatsapp" else n


def pick_channel(r: random.Random, p_desc: float = 0.14, p_defang: float = 0.06) -> str:
    x = r.random()
    if x < p_defang:
        return "defanged"
    if x < p_defang + p_desc:
        return "description"
    return "posted"


def cross_post(w: World, groups: list[Group], lo: int, hi: int, *, dangling: float = 0.1,
                duplicate: float = 0.12, targets: list[Group] | None = None) -> None:
    """Each group posts links to lo..hi distinct other members; with probability ``dangling``
    per link it also posts one to a group outside the dataset."""
    r = w.rng
    pool = [g for g in (targets or groups) if g.linkable]
    for g in groups:
        others = [t for t in pool if t is not g]
        k = min(r.randint(lo, hi), len(others))
        for t in r.sample(others, k):
            w.connect(g, t, pick_channel(r))
            if r.random() < duplicate:  # the same invite posted again in another form
                w.connect(g, t, "posted")
            if r.random() < dangling:
                w.connect(g, None, pick_channel(r))


def late_time(w: World, g: Group, after: datetime, max_days: float = 4) -> datetime | None:
    """A time after both ``after`` and g's last observation, inside the window."""
    lo = max(after, g.last.at) + timedelta(hours=1)
    hi = min(END - timedelta(minutes=5), lo + timedelta(days=max_days))
    if lo >= hi:
        return None
    return w.in_window(lo, hi)


def set_icon(w: World, g: Group, icon: Icon | None, explicit: float | None) -> None:
    g.first.icon = icon
    g.first.explicit = explicit if icon is not None else None


# ------------------------------------------------------------------ cs1
def cs_name(r: random.Random, stats: Counter, kinds: list[str]) -> str:
    """Indicator-vocabulary ring name, often obfuscated; ~15% innocuous-looking.

    ``kinds`` is a shuffled queue of obfuscation names, so every kind shows up.
    """
    if r.random() < 0.15:
        stats["cs1 name: innocuous"] += 1
        return r.choice(vocab.CS_INNOCUOUS)
    age, adult = r.choice(vocab.CS_AGE), r.choice(vocab.CS_ADULT)
    x = r.random()
    if x < 0.65:
        kind = kinds.pop() if kinds else r.choice(sorted(obfuscate.OBFUSCATIONS))
        age = obfuscate.apply(kind, age, r)
        stats[f"cs1 obfuscation: {kind}"] += 1
    else:
        stats["cs1 name: plain indicators"] += 1
    y = r.random()
    if y < 0.25:
        forms = [f"desi {age} {adult}", f"{age} {adult} masti"]
        if "wali" not in age:
            forms.append(f"{age} wali {adult} group")
        name = r.choice(forms)
    else:
        parts = [age, adult] if r.random() < 0.7 else [adult, age]
        if r.random() < 0.5:
            parts.append(r.choice(vocab.CS_SUFFIX))
        name = " ".join(parts)
    if r.random() < 0.3:
        name += " | " + r.choice(vocab.CS_TRADE)
    if r.random() < 0.12:  # obfuscate the whole name with invisible characters too
        name = obfuscate.zero_width(name, r)
        stats["cs1 obfuscation: zero_width (whole name)"] += 1
    return name


def build_child_safety(w: World, stats: Counter) -> list[Group]:
    r = w.rng
    pool = {"telegram": [w.admin("telegram") for _ in range(2)],
            "whatsapp": [w.admin("whatsapp") for _ in range(2)]}
    fams = {k: w.icon_family(f"cs1-{k}") for k in "ABC"}
    w.hashlist_families = [("cs1-A", fams["A"][1]), ("cs1-B", fams["B"][1])]
    far_plan = ["crop3pct", "crop3pct", "mirror"]
    pdq_only_left = 6

    def admins_for(platform: str) -> list[str]:
        a = [r.choice(pool[platform])]
        if r.random() < 0.35:
            a.append(r.choice([x for x in pool[platform] if x not in a]))
        if r.random() < 0.3:
            a.append(w.admin(platform))  # singleton admin seen only here
        return a

    def give_icon(g: Group) -> None:
        nonlocal pdq_only_left
        if r.random() < 0.12:
            stats["cs1 icon: none"] += 1
            return
        key = r.choices("ABC", weights=[40, 35, 25])[0]
        base, hx = fams[key]
        fam = f"cs1-{key}"
        if far_plan and r.random() < 0.1:
            icon = w.variant_icon(fam, base, hx, far=far_plan.pop())
        else:
            icon = w.variant_icon(fam, base, hx, exact=r.random() < 0.1)
        if pdq_only_left and r.random() < 0.15:
            icon.pdq_only = True
            pdq_only_left -= 1
        explicit = round(r.uniform(0.7, 0.98), 3) if r.random() < 0.5 else None
        set_icon(w, g, icon, explicit)

    kinds = sorted(obfuscate.OBFUSCATIONS) * 3
    r.shuffle(kinds)
    originals: list[Group] = []
    for _ in range(CS_ORIGINALS):
        platform = "telegram" if r.random() < 0.6 else "whatsapp"
        name = cs_name(r, stats, kinds)
        desc = r.choice(vocab.CS_DESC)
        g = w.add_group(platform=platform, label="child_safety", ring_id="cs1", role="member",
                        name=name, description=desc, member_count=draw_members(r, platform, 30, 4000),
                        admins=admins_for(platform), public_prob=0.1, created=w.before_base(10, 300),
                        observed=w.in_window(BASE, BASE + timedelta(days=12)))
        give_icon(g)
        originals.append(g)
    cross_post(w, originals, 2, 6)

    # backups: later-created groups, announced by their originals
    backups: list[Group] = []
    parents = r.sample(originals, CS_BACKUPS - 1)
    chain: list[tuple[Group, Group]] = []
    for i, parent in enumerate(parents + [None]):  # last one is a backup of a backup
        if parent is None:
            parent = chain[0][1]
            suffix = " 3.0"
            base_name = chain[0][0].first.name
            created = w.in_window(parent.created + timedelta(days=3), parent.created + timedelta(days=6))
        else:
            suffix = " 2.0" if i == 0 else r.choice(vocab.BACKUP_SUFFIX)
            base_name = parent.first.name
            created = w.in_window(BASE + timedelta(days=5), BASE + timedelta(days=16))
        b = w.add_group(platform=parent.platform, label="child_safety", ring_id="cs1", role="backup",
                        name=base_name + suffix, description=r.choice(vocab.CS_DESC),
                        member_count=draw_members(r, parent.platform, 20, 800),
                        admins=list(parent.admins[:2]) + ([w.admin(parent.platform)] if r.random() < 0.3 else []),
                        created=created, show_created=r.random() < 0.8, public_prob=0.05,
                        observed=w.in_window(created + timedelta(hours=2), created + timedelta(days=3)))
        give_icon(b)
        backups.append(b)
        chain.append((parent, b))
        stats["cs1 backup suffix:" + suffix.strip()] += 1
    for parent, b in chain:
        at = late_time(w, parent, b.created + timedelta(hours=1), max_days=3)
        assert at is not None
        w.add_observation(parent, at, "announces backup link",
                          member_count=max(10, parent.last.member_count - r.randint(0, 40)))
        w.connect(parent, b, "posted", purpose="respawn")
        if r.random() < 0.6:
            w.connect(parent, b, r.choice(["description", "description", "defanged"]), purpose="respawn")
    cross_post(w, backups, 2, 6, targets=originals)

    # evasion: a few rename to innocuous names / swap icons / edit descriptions later
    quiet = [g for g in originals if len(g.observations) == 1]
    for g in r.sample(quiet, 3):
        at = late_time(w, g, g.last.at, max_days=10)
        if at:
            w.add_observation(g, at, "renamed to an innocuous name", name=r.choice(vocab.CS_INNOCUOUS))
    quiet = [g for g in originals if len(g.observations) == 1 and g.first.icon is not None]
    for g in r.sample(quiet, 2):
        at = late_time(w, g, g.last.at, max_days=10)
        if at:
            ring_icon, ring_explicit = g.first.icon, g.first.explicit
            g.first.icon, g.first.explicit = w.solo_icon(), None  # earlier: an unrelated icon
            w.add_observation(g, at, "icon changed to ring icon", icon=ring_icon, explicit=ring_explicit)
    quiet = [g for g in originals if len(g.observations) == 1]
    for g in r.sample(quiet, 2):
        at = late_time(w, g, g.last.at, max_days=10)
        if at:
            w.add_observation(g, at, "description changed", description=r.choice(vocab.CS_DESC[:6]))
    stats["cs1 far icon variants planned but unused"] = len(far_plan)
    return originals + backups


# ------------------------------------------------------------------ ss1
def build_solicitation(w: World, stats: Counter) -> list[Group]:
    r = w.rng
    pool = {"whatsapp": [w.admin("whatsapp") for _ in range(2)], "telegram": [w.admin("telegram")]}
    fams = {k: w.icon_family(f"ss1-{k}") for k in "AB"}
    pdq_only_left = 2
    out: list[Group] = []
    for i in range(SS_ORIGINALS + SS_BACKUPS):
        backup_of = out[i - SS_ORIGINALS] if i >= SS_ORIGINALS else None
        platform = backup_of.platform if backup_of else ("whatsapp" if r.random() < 0.65 else "telegram")
        loc = r.choice(vocab.SS_LOCALITIES)
        if backup_of:
            name = backup_of.first.name + r.choice(vocab.BACKUP_SUFFIX)
        else:
            name = r.choice(vocab.SS_NAMES).format(loc=loc)
            if r.random() < 0.25:
                kind = r.choice(["leet", "small_caps", "math_bold", "cyrillic", "spaced"])
                name = name.replace("girls", obfuscate.apply(kind, "girls", r)).replace(
                    "paid", obfuscate.apply(kind, "paid", r))
                stats[f"ss1 obfuscation: {kind}"] += 1
        locs = ", ".join(sorted(r.sample(vocab.SS_LOCALITIES, r.randint(2, 4))))
        phone = f"+91 50000 {r.randint(0, 99999):05d}"
        bits = [t.format(locs=locs, rate=r.choice([1500, 2000, 3000, 5000]), phone=phone)
                for t in r.sample(vocab.SS_DESC, r.randint(3, 5))]
        admins = [r.choice(pool[platform])] + ([w.admin(platform)] if r.random() < 0.4 else [])
        created = None
        observed = None
        if backup_of:
            created = w.in_window(BASE + timedelta(days=6), BASE + timedelta(days=16))
            observed = w.in_window(created + timedelta(hours=2), created + timedelta(days=3))
            admins = list(backup_of.admins)
        else:
            observed = w.in_window(BASE, BASE + timedelta(days=14))
        g = w.add_group(platform=platform, label="sexual_solicitation", ring_id="ss1",
                        role="backup" if backup_of else "member", name=name,
                        description="\n".join(bits), member_count=draw_members(r, platform, 50, 3000),
                        admins=admins, created=created, observed=observed, public_prob=0.1)
        if r.random() < 0.85:
            key = "A" if r.random() < 0.55 else "B"
            base, hx = fams[key]
            icon = w.variant_icon(f"ss1-{key}", base, hx, exact=r.random() < 0.6)
            if pdq_only_left and r.random() < 0.15:
                icon.pdq_only = True
                pdq_only_left -= 1
            set_icon(w, g, icon, round(r.uniform(0.4, 0.85), 3) if r.random() < 0.4 else None)
        out.append(g)
        if backup_of:
            at = late_time(w, backup_of, g.created + timedelta(hours=1), max_days=3)
            assert at is not None
            w.add_observation(backup_of, at, "announces backup link")
            w.connect(backup_of, g, r.choice(["posted", "description"]), purpose="respawn")
    members = out[:SS_ORIGINALS]
    cross_post(w, members, 2, 5)
    cross_post(w, out[SS_ORIGINALS:], 2, 4, targets=members)
    for g in r.sample([g for g in members if len(g.observations) == 1], 2):
        at = late_time(w, g, g.last.at, max_days=10)
        if at:
            w.add_observation(g, at, "description changed (new rates)",
                              description=g.last.description + "\nnew rates ₹2500+")
    return out


# ------------------------------------------------------------------ inc1
def build_incitement(w: World, stats: Counter) -> list[Group]:
    r = w.rng
    pool = {"whatsapp": [w.admin("whatsapp") for _ in range(2)], "telegram": [w.admin("telegram")]}
    base, hx = w.icon_family("inc1-A")
    out: list[Group] = []
    for _ in range(INC_GROUPS):
        platform = "whatsapp" if r.random() < 0.7 else "telegram"
        name = r.choice(vocab.INC_NAMES).format(n=r.randint(1, 12))
        desc = "\n".join(r.sample(vocab.INC_DESC, r.randint(2, 3)))
        admins = [r.choice(pool[platform])] + ([w.admin(platform)] if r.random() < 0.5 else [])
        g = w.add_group(platform=platform, label="incitement", ring_id="inc1", role="member",
                        name=name, description=desc, member_count=draw_members(r, platform, 40, 1024),
                        admins=admins, created=w.before_base(2, 40), public_prob=0.05)
        if r.random() < 0.6:
            set_icon(w, g, w.variant_icon("inc1-A", base, hx, exact=r.random() < 0.3), None)
        out.append(g)
    cross_post(w, out, 2, 5, dangling=0.05)
    for g in r.sample(out, 2):
        at = late_time(w, g, g.last.at, max_days=8)
        if at:
            w.add_observation(g, at, "description changed (new time)",
                              description=g.last.description.replace("5pm", "7pm") + "\nkal subah 9 baje")
    return out


# ------------------------------------------------------------------ sc1
def build_scam(w: World, stats: Counter) -> list[Group]:
    r = w.rng
    pool = {"telegram": [w.admin("telegram") for _ in range(2)], "whatsapp": [w.admin("whatsapp")]}
    fams = {k: w.icon_family(f"sc1-{k}") for k in "AB"}
    out: list[Group] = []
    for _ in range(SC_GROUPS):
        platform = "telegram" if r.random() < 0.6 else "whatsapp"
        name = r.choice(vocab.SC_NAMES)
        if r.random() < 0.3:
            name += " " + r.choice(["VIP", "Official", "2026", "✅", "🚀"])
        desc = "\n".join(r.sample(vocab.SC_DESC, r.randint(2, 4)))
        admins = [r.choice(pool[platform])] + ([w.admin(platform)] if r.random() < 0.4 else [])
        g = w.add_group(platform=platform, label="scam", ring_id="sc1", role="member", name=name,
                        description=desc, member_count=draw_members(r, platform, 100, 20000),
                        admins=admins, public_prob=0.4)
        if r.random() < 0.8:
            key = "A" if r.random() < 0.5 else "B"
            b, hx = fams[key]
            ex = round(r.uniform(0.01, 0.1), 3) if r.random() < 0.3 else None
            set_icon(w, g, w.variant_icon(f"sc1-{key}", b, hx, exact=r.random() < 0.3), ex)
        out.append(g)
    cross_post(w, out, 2, 5)
    for g in r.sample(out, 2):
        at = late_time(w, g, g.last.at, max_days=10)
        if at:
            w.add_observation(g, at, "renamed", name=r.choice(vocab.SC_NAMES) + " 2.0")
    return out


# ------------------------------------------------------------------ ad1
def build_adult(w: World, stats: Counter) -> list[Group]:
    r = w.rng
    pool = [w.admin("telegram") for _ in range(2)]
    out: list[Group] = []
    for name in vocab.AD_NAMES[:AD_GROUPS]:
        platform = "telegram" if r.random() < 0.8 else "whatsapp"
        admins = [r.choice(pool)] if platform == "telegram" else [w.admin(platform)]
        g = w.add_group(platform=platform, label="adult_content", ring_id="ad1", role="member",
                        name=name, description=vocab.AD_DESC,
                        member_count=draw_members(r, platform, 200, 30000), admins=admins, public_prob=0.6)
        set_icon(w, g, w.solo_icon(), round(r.uniform(0.8, 0.95), 3))
        out.append(g)
    cross_post(w, out, 1, 3, dangling=0.1)
    return out
