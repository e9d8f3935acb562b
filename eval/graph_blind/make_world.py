#!/usr/bin/env python3
"""Adversarial synthetic test world for groupscan (blind graph author).

usage: python make_world.py OUT_DIR [--seed N] [--background 3000]

Writes OUT_DIR/groups.jsonl   GroupSnapshot lines (schema 1), shuffled
       OUT_DIR/labels.csv     group_id,label,ring_id,role
       OUT_DIR/icons/*.png    64x64 abstract generated icons (no imagery of people)
       OUT_DIR/roles.md       what each role means, counts

Content rules: indicator vocabulary only (age words, "paid", "new link", "backup", prices,
"earn daily", generic calls against "the other community"); no act is described, no real
person is named, icons are noise/shape abstractions.  Fully deterministic for a given seed.
Standard library + numpy + Pillow only.
"""
import argparse
import csv
import json
import os
import random
import string
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
from PIL import Image, ImageDraw

UTC = timezone.utc
Y2026 = datetime(2026, 1, 1, tzinfo=UTC)


def iso(dt):
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


class World:
    def __init__(self, seed, n_background):
        self.seed = seed
        self.r = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.nbg = n_background
        self.groups = []          # list of group dicts (internal)
        self.by_key = {}
        self.used_ids = set()
        self.used_links = set()
        self.icons = {}           # relpath -> np.ndarray
        self.admin_counter = {"tg": 5000, "wa": 700000}
        self.extra_obs = []       # second observations (renames)

    # ------------------------------------------------------------------ ids
    def gid(self, platform):
        while True:
            if platform == "telegram":
                g = "tg:-100" + "".join(self.r.choice(string.digits) for _ in range(10))
            else:
                g = "wa:120363" + "".join(self.r.choice(string.digits) for _ in range(12))
            if g not in self.used_ids:
                self.used_ids.add(g)
                return g

    def link(self, platform):
        while True:
            if platform == "telegram":
                alphabet = string.ascii_letters + string.digits + "_-"
                u = "https://t.me/+" + "".join(self.r.choice(alphabet) for _ in range(16))
            else:
                alphabet = string.ascii_letters + string.digits
                u = "https://chat.whatsapp.com/" + "".join(self.r.choice(alphabet) for _ in range(22))
            if u not in self.used_links:
                self.used_links.add(u)
                return u

    def admin(self, platform):
        p = "tg" if platform == "telegram" else "wa"
        self.admin_counter[p] += self.r.randint(1, 97)
        return f"{p}:user:{self.admin_counter[p]}"

    # ---------------------------------------------------------------- icons
    def _icon_name(self):
        return "icons/" + "".join(self.r.choice("0123456789abcdef") for _ in range(16)) + ".png"

    def abstract_icon_array(self):
        r = self.r
        bg = tuple(r.randint(0, 255) for _ in range(3))
        im = Image.new("RGB", (64, 64), bg)
        d = ImageDraw.Draw(im)
        for _ in range(r.randint(2, 5)):
            col = tuple(r.randint(0, 255) for _ in range(3))
            x0, y0 = r.randint(-10, 50), r.randint(-10, 50)
            x1, y1 = x0 + r.randint(8, 40), y0 + r.randint(8, 40)
            kind = r.random()
            if kind < 0.35:
                d.ellipse([x0, y0, x1, y1], fill=col)
            elif kind < 0.7:
                d.rectangle([x0, y0, x1, y1], fill=col)
            else:
                pts = [(r.randint(0, 63), r.randint(0, 63)) for _ in range(3)]
                d.polygon(pts, fill=col)
        a = np.asarray(im, dtype=np.int16)
        a = a + self.np.normal(0, 3, a.shape).round().astype(np.int16)
        return np.clip(a, 0, 255).astype(np.uint8)

    def lookalike_array(self, base):
        """Same abstract icon with small perturbations (noise, brightness, tiny shift)."""
        a = base.astype(np.int16)
        a = a + int(self.r.randint(-8, 8))
        dx, dy = self.r.randint(-1, 1), self.r.randint(-1, 1)
        a = np.roll(np.roll(a, dx, axis=1), dy, axis=0)
        a = a + self.np.normal(0, 5, a.shape).round().astype(np.int16)
        return np.clip(a, 0, 255).astype(np.uint8)

    def default_icon_array(self):
        im = Image.new("RGB", (64, 64), (223, 227, 232))
        d = ImageDraw.Draw(im)
        d.ellipse([22, 12, 42, 32], fill=(160, 168, 178))
        d.pieslice([10, 36, 54, 80], 180, 360, fill=(160, 168, 178))
        return np.asarray(im, dtype=np.uint8)

    def add_icon(self, arr):
        p = self._icon_name()
        while p in self.icons:
            p = self._icon_name()
        self.icons[p] = arr
        return p

    # --------------------------------------------------------------- groups
    def add_group(self, key, platform, name, desc, members, created, observed, admins,
                  label="benign", ring="", role="background", icon=None, icon_signals=None,
                  n_links=1):
        g = {
            "key": key, "platform": platform, "group_id": self.gid(platform),
            "name": name, "description": desc, "member_count": int(members),
            "created_at": created, "observed_at": observed, "admins": list(dict.fromkeys(admins)),
            "own_invite_links": [self.link(platform) for _ in range(n_links)],
            "posted": [],  # (target_key, link_index or None, seen_at or None)
            "icon": icon, "icon_signals": icon_signals,
            "label": label, "ring": ring, "roles": [role],
        }
        assert key not in self.by_key, key
        self.by_key[key] = g
        self.groups.append(g)
        return g

    def feasible(self, src_key, dst_key):
        """A group can only post a link of a group that existed before it was observed."""
        src, dst = self.by_key[src_key], self.by_key[dst_key]
        return not (dst["created_at"] and dst["created_at"] >= src["observed_at"])

    def post(self, src_key, dst_key, seen=None, link_index=-1):
        src, dst = self.by_key[src_key], self.by_key[dst_key]
        if src is dst:
            return False
        if seen is None and not self.feasible(src_key, dst_key):
            return False
        for t, _, _ in src["posted"]:
            if t == dst_key:
                return False
        src["posted"].append((dst_key, link_index, seen))
        return True

    def rand_dt(self, lo, hi):
        span = (hi - lo).total_seconds()
        if span <= 0:
            return lo
        return lo + timedelta(seconds=int(self.r.random() * span))

    def logmembers(self, lo, hi):
        return int(round(10 ** self.r.uniform(np.log10(lo), np.log10(hi))))


# ---------------------------------------------------------------- vocabulary
CITIES = ["Pune", "Nagpur", "Indore", "Lucknow", "Jaipur", "Surat", "Kochi", "Mysuru", "Bhopal",
          "Nashik", "Vadodara", "Coimbatore", "Patna", "Ranchi", "Guwahati", "Dehradun"]
SURNAMES = ["Sharma", "Patel", "Iyer", "Khan", "Das", "Reddy", "Nair", "Joshi", "Gupta", "Singh",
            "Fernandes", "Kulkarni", "Mehta", "Bose", "Pillai", "Yadav", "Chopra", "Menon", "Ghosh",
            "Rao", "Shaikh", "Desai", "Verma", "Mishra", "D'Souza", "Banerjee", "Agarwal", "Naidu"]
SCHOOLS = ["Greenfield High", "St. Anne's Convent", "Vidya Niketan", "Modern English School",
           "Sunrise Public School", "Holy Cross", "Kendriya Vidyalaya No. 2", "Little Flower School",
           "DAV Public School", "Gurukul Academy", "Blue Bells School", "City Montessori"]
RELIGIOUS = ["Shri Ganesh Mandir Satsang", "St. Thomas Church Youth", "Masjid-e-Noor Jamaat",
             "Gurudwara Sewa Committee", "Bible Study Circle", "Quran Study Circle",
             "Bhajan Mandali", "Jain Sangh Updates", "Sai Baba Seva Samiti", "Ramadan Iftar Volunteers",
             "Christmas Choir", "Navratri Garba Committee"]
SHOPS = ["Buy & Sell", "Sarees Wholesale", "Mobile Deals", "Second Hand Furniture", "Organic Veggies",
         "Home Bakers", "Kids Clothes Resale", "Electronics Clearance", "Books Exchange", "Plant Lovers Market"]
JOBS = ["Jobs & Internships", "IT Jobs Freshers", "Walk-in Interviews", "Driver Jobs", "Teachers Vacancies",
        "Work From Home Data Entry (verified)", "Govt Exam Alerts", "Nursing Jobs", "Hotel & Hospitality Jobs"]
TEAMS = ["Cricket Club", "Sunday Cricket", "Box Cricket League", "Tennis Ball Cricket", "Cricket Fans",
         "Corporate Cricket Cup", "Gully Cricket Gang"]
NEWS = ["News Updates", "Breaking News", "Traffic & Weather", "Local Khabar", "Power Cut Alerts",
        "Civic Issues", "Election Results Live"]


def background_text(r, cat, city):
    sn = r.choice(SURNAMES)
    if cat == "family":
        name = r.choice([f"{sn} Family", f"{sn} Parivar", f"Cousins {sn}", f"{sn} Family ({city})",
                         f"{sn} Wedding {r.randint(2025, 2027)}", f"Nani's House - {sn}s"])
        desc = r.choice(["Family updates, birthdays and festival plans.", "Only family. Please no forwards.",
                         "Wedding planning: dates, venue, shopping list.", "Photos from the get-together.", ""])
    elif cat == "school":
        sc = r.choice(SCHOOLS)
        name = r.choice([f"{sc} Alumni {r.randint(1995, 2020)}", f"{sc} PTA {city}",
                         f"{sc} Class of {r.randint(1998, 2022)}", f"{sc} Old Students", f"{sc} Staff Room"])
        desc = r.choice(["Reunion planning and school memories.", "Parents-teachers association updates.",
                         "Alumni network: jobs, meetups, donations to the school library.",
                         "Staff notices only.", ""])
    elif cat == "jobs":
        name = f"{city} {r.choice(JOBS)}"
        desc = r.choice(["Daily job openings. Never pay anyone for a job offer.",
                         "Paid internships for students, stipend Rs 8,000-15,000/month.",
                         "Share verified openings only. Walk-in details with address.",
                         "Salary 18k-25k, freshers welcome, send CV to HR.", ""])
    elif cat == "cricket":
        name = r.choice([f"{city} {r.choice(TEAMS)}", f"{r.choice(TEAMS)} {city} {r.choice(['A', 'B', 'XI'])}"])
        desc = r.choice(["Match every Sunday 7am. Entry fee 200 per player, paid to captain.",
                         "Scores, fixtures and nets timing.", "Fans of the game. Live score chat, no politics.",
                         "U-14 and U-17 coaching batches, fees paid monthly.", ""])
    elif cat == "news":
        name = f"{city} {r.choice(NEWS)}"
        desc = r.choice(["Verified local news only. No rumours.", "Traffic, weather and civic alerts.",
                         "Breaking news as it happens. Forward responsibly.", ""])
    elif cat == "religion":
        name = f"{r.choice(RELIGIOUS)} {city}"
        desc = r.choice(["Prayer timings and events.", "Seva schedule and donations.",
                         "Weekly study, all welcome.", "Festival preparations and volunteer list.", ""])
    else:  # shopping
        name = f"{city} {r.choice(SHOPS)}"
        desc = r.choice([f"Prices from Rs {r.choice([99, 199, 499, 999])}, COD available.",
                         "Buy and sell within the society. No spam.", "Daily deals, wholesale rates, DM for price.",
                         "Fresh stock every Monday. Cash or UPI.", ""])
    return name, desc


HARD_NEGATIVE_TEXT = [
    ("{city} Junior Cricket Academy", "U-14 / U-17 batches (age 13-17). Fees paid monthly, new batch link shared after payment."),
    ("Teen Robotics Club {city}", "For students 13-17. School project help, Saturday workshops, Rs 500 kit fee."),
    ("{city} Class 10 Board Exam Prep", "School students only. Paid test series Rs 299. Backup group if this one fills up."),
    ("{city} Adults 18+ Football League", "18+ players only. Registration 300, paid at the ground. Sunday 6am."),
    ("Double Decker Bus Fans {city}", "Photos of double deckers. No politics."),
    ("{city} Teen Reading Circle", "Ages 13-17, library Saturdays. Parents welcome."),
    ("{city} Stock Market Learners", "Education only. No tips, no 'double your money' schemes - report them."),
    ("{city} School Van Parents", "Pickup timings for school kids. Monthly fee paid to driver by 5th."),
]


def build(world):
    w, r = world, world.r
    obs_lo, obs_hi = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)

    # ================================================================ background
    cats = ["family", "school", "jobs", "cricket", "news", "religion", "shopping"]
    cat_w = [0.26, 0.14, 0.12, 0.13, 0.12, 0.11, 0.12]
    bg_keys = []
    n_default = min(500, w.nbg // 6)
    for i in range(w.nbg):
        platform = "whatsapp" if r.random() < 0.55 else "telegram"
        cat = r.choices(cats, cat_w)[0]
        city = r.choice(CITIES)
        name, desc = background_text(r, cat, city)
        role = "background"
        if r.random() < 0.02:
            t = r.choice(HARD_NEGATIVE_TEXT)
            name, desc = t[0].format(city=city), t[1]
            role = "hard_negative_text"
        observed = w.rand_dt(obs_lo, obs_hi)
        created = w.rand_dt(datetime(2016, 1, 1, tzinfo=UTC), observed - timedelta(days=3)) if r.random() < 0.6 else None
        members = w.logmembers(20, 20000) if cat != "family" else w.logmembers(20, 300)
        icon = None if r.random() < 0.04 else {"path": w.add_icon(w.abstract_icon_array())}
        na = r.choice([1, 1, 1, 2, 2, 3])
        admins = [w.admin(platform) for _ in range(na)]
        key = f"bg{i}"
        g = w.add_group(key, platform, name, desc, members, iso(created), iso(observed), admins,
                        role=role, icon=icon)
        g["_cat"], g["_city"] = cat, city
        bg_keys.append(key)

    # default icon for a subset of background (disjoint from directory-listed)
    default_path = w.add_icon(w.default_icon_array())
    perm = bg_keys[:]
    r.shuffle(perm)
    default_keys = perm[:n_default]
    listed_keys = perm[n_default:n_default + min(50, max(0, w.nbg - n_default))]
    for k in default_keys:
        g = w.by_key[k]
        g["icon"] = {"path": default_path}
        g["roles"] = ["default_icon"]

    # benign migrations: a benign group announcing a "new link" for a successor group
    pool = perm[n_default + 50:]
    n_mig = min(10, len(pool) // 10)
    for j in range(n_mig):
        old = w.by_key[pool[j]]
        old_obs = datetime.fromisoformat(old["observed_at"].replace("Z", "+00:00"))
        new_created = old_obs - timedelta(days=r.randint(2, 20))
        key = f"mig{j}"
        base_icon = w.icons[old["icon"]["path"]] if old["icon"] and old["icon"]["path"] != default_path else w.abstract_icon_array()
        new = w.add_group(key, old["platform"], old["name"] + " (new group)",
                          "Old group hit the member limit - this is the new one.",
                          max(20, old["member_count"] // 3), iso(new_created),
                          iso(old_obs + timedelta(days=r.randint(1, 30))), old["admins"][:1] + [w.admin(old["platform"])],
                          role="benign_migration", icon={"path": w.add_icon(w.lookalike_array(base_icon))})
        old["description"] = (old["description"] + " " if old["description"] else "") + "Group full! New link for the backup group below."
        old["roles"] = ["benign_migration"]
        w.post(old["key"], key, seen=iso(new_created + timedelta(hours=r.randint(1, 40))))

    # ordinary background ties
    by_cat_city = {}
    for k in bg_keys:
        g = w.by_key[k]
        by_cat_city.setdefault((g["_cat"], g["_city"]), []).append(k)
        by_cat_city.setdefault((g["_cat"], None), []).append(k)
    for k in bg_keys:
        g = w.by_key[k]
        if r.random() < 0.12:
            for _ in range(r.randint(1, 3)):
                pool_ = by_cat_city[(g["_cat"], g["_city"])] if r.random() < 0.7 else by_cat_city[(g["_cat"], None)]
                w.post(k, r.choice(pool_))
        if r.random() < 0.03:
            other = w.by_key[r.choice(by_cat_city[(g["_cat"], g["_city"])])]
            if other is not g and other["platform"] == g["platform"]:
                other["admins"].append(g["admins"][0])

    # ================================================================ harmful rings
    # ---- child-safety respawn chain (telegram, 8 groups)
    cs_admin = w.admin("telegram")        # shared admin chain <-> camouflaged ring
    chain_names = ["Teen Chat 13-17", "Teen Chat 13-17 (backup)", "Teen Chat 13–17 NEW LINK", "T33n Chat 13-17 v4",
                   "teen chat 13 17 backup 5", "Teen Chat 13-17 #6", "Teen chat 13-17 new link", "TEEN CHAT 13-17 v8"]
    chain_descs = [
        "13-17 only. school age. paid vip for full access, price list in dm.",
        "backup of the old group. 13-17 only. paid vip, dm admin. new link if banned.",
        "new link after ban. teen 13-17 only, school kids. vip paid content, dm.",
        "we moved again. 13-17 only. paid access. save the backup link.",
        "backup 5. teen 13-17. vip content paid, price in dm. new link in pinned.",
        "new link. 13-17 school. paid vip. join backup before ban.",
        "new link here. 13-17 teen only. paid, dm for price list.",
        "v8. 13-17 only. paid vip content. backup link will be posted here.",
    ]
    chain_base_icon = w.abstract_icon_array()
    t0 = datetime(2026, 3, 2, 21, 0, tzinfo=UTC) + timedelta(days=r.randint(0, 60))
    chain = []
    for i in range(8):
        created = t0 + timedelta(days=6 * i + r.randint(0, 2), minutes=r.randint(0, 720))
        chain.append(created)
    chain_keys = []
    for i in range(8):
        created = chain[i]
        observed = (chain[i + 1] + timedelta(days=r.randint(1, 3))) if i < 7 else created + timedelta(days=4)
        admins = [w.admin("telegram")]
        if i in (1, 4, 6):
            admins.append(cs_admin)
        key = f"chain{i}"
        w.add_group(key, "telegram", chain_names[i], chain_descs[i], r.randint(140, 900), iso(created), iso(observed),
                    admins, label="child_safety", ring="cs_respawn", role="respawn_chain",
                    icon={"path": w.add_icon(w.lookalike_array(chain_base_icon))}, n_links=r.choice([1, 1, 2]))
        chain_keys.append(key)
    for i in range(7):
        w.post(chain_keys[i], chain_keys[i + 1], seen=iso(chain[i + 1] + timedelta(hours=r.randint(1, 20))))
        if i + 2 < 8 and r.random() < 0.3:  # occasional skip-ahead repost; old group still observed later
            w.post(chain_keys[i], chain_keys[i + 2], seen=iso(chain[i + 2] + timedelta(hours=3)))
            w.by_key[chain_keys[i]]["observed_at"] = iso(chain[i + 2] + timedelta(days=1, hours=r.randint(0, 20)))

    # ---- camouflaged child-safety ring (telegram, 10 groups)
    camo_names = ["Class 9 Study Material", "NCERT Notes PDF Share", "Maths Practice Sheets", "Science Revision Hub",
                  "English Grammar Worksheets", "Board Exam Notes Archive", "Study Group Notes 2026",
                  "Homework Help Materials", "Sample Papers Collection", "Chapter Summaries Library"]
    camo_descs = ["Notes and PDFs.", "Study material uploads.", "Join the backup too.", "Worksheets shared daily.",
                  "Material archive.", "", "Only members share.", "Notes. Links in pinned.", "Papers and notes.", ""]
    camo_keys = []
    for i in range(10):
        created = t0 + timedelta(days=r.randint(-40, 25), minutes=r.randint(-600, 600))
        observed = t0 + timedelta(days=r.randint(45, 70))
        key = f"camo{i}"
        sig = {"classifier": {"explicit": 0.9}} if i % 2 == 0 else None
        w.add_group(key, "telegram", camo_names[i], camo_descs[i], r.randint(60, 600), iso(created), iso(observed),
                    [cs_admin, w.admin("telegram")], label="child_safety", ring="cs_camo",
                    role="camouflaged" + ("_explicit_signal" if sig else ""),
                    icon={"path": w.add_icon(w.abstract_icon_array())}, icon_signals=sig)
        camo_keys.append(key)
    for k in camo_keys:  # camo -> chain (sometimes an older, rotated link of the target)
        for t in r.sample(chain_keys, r.randint(1, 3)):
            w.post(k, t, link_index=r.choice([0, -1]))
    for k in chain_keys:  # chain -> camo
        ok = [c for c in camo_keys if w.feasible(k, c)]
        for t in r.sample(ok, min(len(ok), r.randint(1, 2))):
            w.post(k, t)
    for k in camo_keys:   # a little intra-ring linking
        if r.random() < 0.5:
            w.post(k, r.choice(camo_keys))

    # ---- poisoned bystanders: 20 large, old benign groups the CS ring posts links to
    bys_names = ["India Cricket Fans Official", "Mumbai Local Train Updates", "Daily Current Affairs", "Govt Job Alerts India",
                 "Bollywood Movie News", "UPSC Aspirants Community", "Stock Market News India", "Recipes & Cooking Tips",
                 "Tech Deals India", "Railway Exam Preparation", "Weather Alerts India", "Motivational Quotes Daily",
                 "Travel India Group", "Photography Lovers", "IPL Live Scores", "English Speaking Practice",
                 "Memes India Clean", "Book Lovers India", "Health Tips Daily", "Car & Bike Enthusiasts"]
    bys_keys = []
    for i, nm in enumerate(bys_names):
        platform = "telegram" if i % 3 else "whatsapp"
        created = w.rand_dt(datetime(2015, 1, 1, tzinfo=UTC), datetime(2020, 12, 31, tzinfo=UTC))
        observed = w.rand_dt(obs_lo, obs_hi)
        key = f"bys{i}"
        w.add_group(key, platform, nm, r.choice(["Official community. Be respectful.", "Daily updates.", "No spam, no promotions.", ""]),
                    r.randint(6000, 20000), iso(created), iso(observed), [w.admin(platform) for _ in range(r.randint(1, 3))],
                    role="poisoned_bystander", icon={"path": w.add_icon(w.abstract_icon_array())})
        bys_keys.append(key)
        if r.random() < 0.3:
            w.post(key, r.choice(bg_keys))
    for k in camo_keys:
        for t in r.sample(bys_keys, r.randint(4, 8)):
            w.post(k, t)
    for k in chain_keys:
        w.post(k, r.choice(bys_keys))
    covered = {t for k in camo_keys + chain_keys for t, _, _ in w.by_key[k]["posted"]}
    for k in bys_keys:  # every bystander is posted at least once
        if k not in covered:
            w.post(r.choice(camo_keys), k)

    # ---- bridge: runners' club sharing exactly one admin with one chain group
    bridge_admin = w.by_key["chain3"]["admins"][0]
    w.add_group("bridge", "telegram", "Pune Morning Runners Club", "5k/10k runs every Sunday 6am. All levels welcome.",
                r.randint(300, 1500), iso(datetime(2022, 4, 10, tzinfo=UTC)), iso(w.rand_dt(obs_lo, obs_hi)),
                [bridge_admin, w.admin("telegram"), w.admin("telegram")], role="bridge",
                icon={"path": w.add_icon(w.abstract_icon_array())})
    sport_bg = [k for k in bg_keys if w.by_key[k]["_cat"] == "cricket"]
    for t in r.sample(sport_bg, min(3, len(sport_bg))):
        w.post("bridge", t)
    for s in r.sample(sport_bg, min(2, len(sport_bg))):
        w.post(s, "bridge")

    # ---- solicitation star (whatsapp, hub + 12 spokes)
    areas = ["Andheri", "Bandra", "Powai", "Thane", "Vashi", "Koregaon Park", "Hinjewadi", "Baner", "Kothrud",
             "Whitefield", "Indiranagar", "Koramangala"]
    w.add_group("sol_hub", "whatsapp", "Night Friends 18+ Directory",
                "18+ only. All areas listed below, rates vary. Pay in advance, UPI only. New links weekly.",
                r.randint(800, 3000), iso(datetime(2026, 2, 1, tzinfo=UTC) + timedelta(days=r.randint(0, 90))),
                iso(datetime(2026, 7, 1, tzinfo=UTC) + timedelta(days=r.randint(0, 60))), [w.admin("whatsapp")],
                label="sexual_solicitation", ring="sol_star", role="solicitation_hub",
                icon={"path": w.add_icon(w.abstract_icon_array())})
    sol_keys = []
    for i, a in enumerate(areas):
        key = f"sol{i}"
        price = r.choice([2000, 2500, 3000, 3500, 4000])
        desc = (f"18+ only. {a} coverage area. Rates: {price}/hr, {price * 3}/night. "
                f"Available {r.choice(['9pm-4am', '8pm-2am', '10pm-5am'])}. Advance via UPI/Paytm. No time-pass.")
        w.add_group(key, "whatsapp", f"{a} 18+ Meet {r.choice(['VIP', 'Night', 'Friends', 'Service'])}", desc,
                    r.randint(50, 700), iso(datetime(2026, 2, 10, tzinfo=UTC) + timedelta(days=r.randint(0, 90))),
                    iso(datetime(2026, 7, 1, tzinfo=UTC) + timedelta(days=r.randint(0, 60))), [w.admin("whatsapp")],
                    label="sexual_solicitation", ring="sol_star", role="solicitation_spoke",
                    icon={"path": w.add_icon(w.abstract_icon_array())})
        sol_keys.append(key)
        w.post("sol_hub", key)
    w.by_key["sol7"]["icon"] = {"path": default_path}
    w.by_key["sol7"]["roles"].append("default_icon_harmful")

    # ---- incitement cell (telegram, 6 groups, 2 shared admins, cross-linked)
    inc_admins = [w.admin("telegram"), w.admin("telegram")]
    inc = [("Wake Up Brothers", "They are taking over our area. Time to burn their shops. Gather Friday 6pm, bring sticks."),
           ("Defend Our Street", "Attack the other community before they attack us. Bring rods. Location in pinned."),
           ("Sher Sena Local Unit", "No more talking. Burn their houses, drive them out. Riot plan for Sunday."),
           ("Protect Our Mohalla", "Teach that community a lesson. Petrol and stones ready. Meet at the market."),
           ("Zero Tolerance Youth", "Burn them out. Attack their community this weekend. Stay ready, new link if banned."),
           ("Ground Action Team", "Weapons list in pinned. Block the road, attack when the signal comes.")]
    inc_keys = []
    for i, (nm, ds) in enumerate(inc):
        key = f"inc{i}"
        w.add_group(key, "telegram", nm, ds, r.randint(80, 1500),
                    iso(datetime(2026, 4, 1, tzinfo=UTC) + timedelta(days=r.randint(0, 60))),
                    iso(datetime(2026, 8, 1, tzinfo=UTC) + timedelta(days=r.randint(0, 40))),
                    inc_admins + [w.admin("telegram")], label="incitement", ring="inc_cell", role="incitement_cell",
                    icon={"path": w.add_icon(w.abstract_icon_array())})
        inc_keys.append(key)
    for k in inc_keys:
        for t in r.sample([x for x in inc_keys if x != k], r.randint(2, 4)):
            w.post(k, t)

    # ---- scam ring (whatsapp, 15 "Income Club N", cross-linked, shared admin)
    scam_admin = w.admin("whatsapp")
    scam_keys = []
    for i in range(15):
        key = f"scam{i}"
        nm = r.choice(["Income Club {n}", "Daily Income Club {n}", "Income Club VIP {n}", "Income Club {n} Official"]).format(n=i + 1)
        amt = r.choice([3000, 5000, 8000, 10000])
        ds = r.choice([
            f"Earn daily Rs {amt} from home. Double your money in 7 days. 100% guaranteed returns. Min deposit 999 via UPI.",
            f"Invest 1000 get 2000 in 24 hours. Earn daily {amt}. Refer 3 friends for bonus. Withdraw anytime.",
            f"Guaranteed profit daily. Double your money scheme, deposit USDT or UPI. Earn {amt} per day, no work.",
            f"Task job: like videos, earn daily {amt}. Pay registration 499 to start. Money doubled in one week."])
        w.add_group(key, "whatsapp", nm, ds, r.randint(100, 3000),
                    iso(datetime(2026, 1, 20, tzinfo=UTC) + timedelta(days=r.randint(0, 150))),
                    iso(datetime(2026, 6, 20, tzinfo=UTC) + timedelta(days=r.randint(0, 120))),
                    [scam_admin, w.admin("whatsapp")], label="scam", ring="scam_ring", role="scam_member",
                    icon={"path": w.add_icon(w.abstract_icon_array())})
        scam_keys.append(key)
    for k in scam_keys:
        for t in r.sample([x for x in scam_keys if x != k], r.randint(2, 4)):
            w.post(k, t)
    w.by_key["scam4"]["icon"] = {"path": default_path}
    w.by_key["scam4"]["roles"].append("default_icon_harmful")

    # ---- extra control: small adult-content ring (explicit upstream signal, no minor indicators)
    adult_admin = w.admin("telegram")
    adult_keys = []
    for i, nm in enumerate(["18+ Uncensored Memes", "Adults Only 18+ Club", "18+ Night Chat", "After Dark 18+"]):
        key = f"adult{i}"
        w.add_group(key, "telegram", nm, "18+ only. Adults only, verify age. No minors, instant ban.",
                    r.randint(500, 5000), iso(datetime(2025, 10, 1, tzinfo=UTC) + timedelta(days=r.randint(0, 200))),
                    iso(w.rand_dt(datetime(2026, 6, 1, tzinfo=UTC), obs_hi)), [adult_admin, w.admin("telegram")],
                    label="adult_content", ring="adult_ctrl", role="adult_control",
                    icon={"path": w.add_icon(w.abstract_icon_array())}, icon_signals={"classifier": {"explicit": 0.92}})
        adult_keys.append(key)
    for k in adult_keys:
        w.post(k, r.choice([x for x in adult_keys if x != k]))

    # ================================================================ adversarial benign structures
    # ---- spammed directory
    w.add_group("directory", "telegram", "Pune WhatsApp & Telegram Groups Directory",
                "Share your group link here. Jobs, cricket, buy & sell, society groups. Admins remove spam weekly.",
                r.randint(9000, 16000), iso(datetime(2021, 6, 1, tzinfo=UTC)), iso(datetime(2026, 10, 20, tzinfo=UTC)),
                [w.admin("telegram"), w.admin("telegram")], role="spammed_directory",
                icon={"path": w.add_icon(w.abstract_icon_array())})
    for k in listed_keys:
        w.by_key[k]["roles"] = ["directory_listed"]
        w.post("directory", k)
    for k in r.sample(scam_keys, 3) + r.sample(sol_keys, 2) + ["chain5", "chain6", r.choice(inc_keys)]:
        w.post("directory", k)

    # ---- renamed: benign residents' group hijacked / renamed to an abusive-looking name
    rn_obs1 = datetime(2026, 5, 3, 9, 0, tzinfo=UTC)
    g = w.add_group("renamed", "telegram", "Green Valley Society Residents",
                    "Maintenance, water timings and society notices.", r.randint(150, 400),
                    iso(datetime(2023, 8, 14, tzinfo=UTC)), iso(rn_obs1), [w.admin("telegram"), w.admin("telegram")],
                    label="child_safety", role="renamed_to_abusive", icon={"path": w.add_icon(w.abstract_icon_array())})
    g["_second"] = {"observed_at": iso(rn_obs1 + timedelta(days=r.randint(40, 90))),
                    "name": "teen 13-17 vip - paid - new link",
                    "description": "13-17 only. school. paid vip access, price list in dm. backup link soon.",
                    "icon": {"path": w.add_icon(w.abstract_icon_array())}}

    # ---- coordinated benign: 40 ward groups of a (fictional) party
    party = "Jan Vikas Morcha"
    pa = [w.admin("whatsapp") for _ in range(3)]
    ward_keys = []
    for i in range(40):
        key = f"ward{i}"
        ward = r.randint(1, 160)
        ds = r.choice([f"Booth volunteers of Ward {ward}. Door-to-door campaign Saturday 5pm.",
                       "Rally at the ground on Sunday. Let's defeat the opposition at the ballot box. No abuse, no violence.",
                       f"Voter list check camp, Ward {ward} office. Bring ID.",
                       "Cleanliness drive and water supply complaints. Fight for our ward's rights - peacefully.",
                       "Our party will crush them in the elections! Volunteers report to the booth captain."])
        w.add_group(key, "whatsapp", f"{party} Ward {ward} {r.choice(['Karyakarta', 'Volunteers', 'Booth Team', 'Sampark'])}",
                    ds, r.randint(80, 1200), iso(datetime(2025, 11, 1, tzinfo=UTC) + timedelta(days=r.randint(0, 120))),
                    iso(w.rand_dt(datetime(2026, 4, 1, tzinfo=UTC), obs_hi)), pa + [w.admin("whatsapp")],
                    role="coordinated_benign", icon={"path": w.add_icon(w.abstract_icon_array())})
        ward_keys.append(key)
    for k in ward_keys:
        for t in r.sample([x for x in ward_keys if x != k], r.randint(3, 6)):
            w.post(k, t)

    # ---- dense school: 60 class groups, shared teacher admins, densely cross-linked
    school = "Sunrise Public School"
    teachers = [w.admin("whatsapp") for _ in range(8)]
    sch_keys = []
    classes = [(c, s) for c in range(1, 13) for s in "ABCDE"]
    for i, (c, s) in enumerate(classes[:60]):
        key = f"school{i}"
        age = c + 5
        ds = r.choice([f"Official group for Class {c}{s} parents. Homework, PTM dates, fees paid receipts. Students aged {age}-{age + 1}.",
                       f"Class {c}{s} notices only. School timings 7:30-1:30. Annual day practice after school.",
                       f"Class {c}{s}: exam timetable, paid picnic Rs 650 by Friday, new link for the combined group below.",
                       f"Parents of Class {c}{s} students. Uniform, books, school van updates."])
        w.add_group(key, "whatsapp", f"{school} Class {c}{s} Parents 2026", ds, r.randint(25, 70),
                    iso(datetime(2025, 4, 1, tzinfo=UTC) + timedelta(days=r.randint(0, 20))),
                    iso(w.rand_dt(datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 10, 30, tzinfo=UTC))),
                    r.sample(teachers, r.randint(1, 3)) + [w.admin("whatsapp")], role="dense_school",
                    icon={"path": w.add_icon(w.abstract_icon_array())})
        sch_keys.append(key)
    for k in sch_keys:
        for t in r.sample([x for x in sch_keys if x != k], r.randint(6, 12)):
            w.post(k, t)

    return {"default_path": default_path, "chain_keys": chain_keys}


def serialize(w, out):
    os.makedirs(os.path.join(out, "icons"), exist_ok=True)
    lines = []

    def posted_list(g):
        res = []
        obs = datetime.fromisoformat(g["observed_at"].replace("Z", "+00:00"))
        src_created = datetime.fromisoformat(g["created_at"].replace("Z", "+00:00")) if g["created_at"] else obs - timedelta(days=365)
        for tkey, li, seen in g["posted"]:
            t = w.by_key[tkey]
            url = t["own_invite_links"][li]
            if seen is None:
                lo = src_created
                if t["created_at"]:
                    lo = max(lo, datetime.fromisoformat(t["created_at"].replace("Z", "+00:00")))
                lo = max(lo, obs - timedelta(days=300))
                seen_dt = w.rand_dt(lo, obs) if lo < obs else obs
                seen = iso(seen_dt)
            if seen > g["observed_at"]:
                seen = g["observed_at"]
            res.append({"url": url, "seen_at": seen})
        return res

    def rec(g, override=None):
        d = {"schema": 1, "platform": g["platform"], "group_id": g["group_id"], "observed_at": g["observed_at"],
             "name": g["name"], "description": g["description"], "member_count": g["member_count"],
             "created_at": g["created_at"], "admins": list(dict.fromkeys(g["admins"])), "own_invite_links": g["own_invite_links"],
             "posted_invite_links": posted_list(g)}
        if g["icon"]:
            d["icon"] = g["icon"]
        if g["icon_signals"]:
            d["icon_signals"] = g["icon_signals"]
        if override:
            d.update(override)
        return d

    for g in w.groups:
        lines.append(rec(g))
        if "_second" in g:
            s = g["_second"]
            lines.append(rec(g, {"observed_at": s["observed_at"], "name": s["name"],
                                 "description": s["description"], "icon": s["icon"],
                                 "member_count": g["member_count"] + 37}))
    w.r.shuffle(lines)
    with open(os.path.join(out, "groups.jsonl"), "w", encoding="utf-8") as f:
        for d in lines:
            f.write(json.dumps(d, ensure_ascii=False, sort_keys=False) + "\n")

    for rel, arr in w.icons.items():
        Image.fromarray(arr, "RGB").save(os.path.join(out, rel), format="PNG")

    with open(os.path.join(out, "labels.csv"), "w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f)
        cw.writerow(["group_id", "label", "ring_id", "role"])
        for g in sorted(w.groups, key=lambda g: g["group_id"]):
            cw.writerow([g["group_id"], g["label"], g["ring"], ";".join(g["roles"])])
    return lines


ROLE_DOC = {
    "background": "Ordinary benign group (family, school alumni, jobs, cricket, news, religion, shopping). Some post links of similar groups; a few share an admin.",
    "hard_negative_text": "Benign background group whose text contains indicator vocabulary in an innocent sense (age ranges 13-17, 'paid', 'backup', '18+', 'double').",
    "default_icon": "Benign background group using the platform-like identical default icon (also used by 2 harmful groups).",
    "directory_listed": "Benign background group whose link is listed by the spammed directory.",
    "benign_migration": "Benign group pair: the old one says 'group full, new link for the backup group' and posts the successor's link; successor has a look-alike icon and a shared admin.",
    "respawn_chain": "ring cs_respawn (child_safety): 8 successive groups, each created after the previous; old posts new link with new-link/backup wording; similar names; look-alike icons; some have 2 own links (rotation).",
    "camouflaged": "ring cs_camo (child_safety): bland study-material names, no indicator text; evidence only ties to the respawn chain both ways and a shared admin with 3 chain groups.",
    "camouflaged_explicit_signal": "Same as camouflaged, plus upstream icon_signals.classifier.explicit = 0.9 (the icon itself is abstract).",
    "poisoned_bystander": "Large old benign group whose invite link the child-safety groups post; posts nothing back to them.",
    "bridge": "Benign runners' club sharing exactly one admin with one respawn-chain group (chain3's own admin).",
    "solicitation_hub": "ring sol_star (sexual_solicitation): hub posting 12 spokes' links.",
    "solicitation_spoke": "ring sol_star: spoke with 18+, area, rates, timing, payment wording.",
    "incitement_cell": "ring inc_cell (incitement): 6 groups sharing 2 admins, cross-linked, generic calls to burn/attack 'the other community'.",
    "scam_member": "ring scam_ring (scam): 15 'Income Club N' names, scam descriptions (earn daily, double your money), cross-linked, one shared admin.",
    "default_icon_harmful": "Secondary role on the 2 harmful groups (scam4 and one solicitation spoke) that use the shared default icon.",
    "adult_control": "EXTRA control ring adult_ctrl (adult_content): 18+ wording, upstream explicit=0.92, explicit 'no minors' text; should not become child_safety.",
    "spammed_directory": "Benign public link directory (large, old) listing 50 benign groups plus links spammed in by harmful groups (3 scam, 2 solicitation, 2 respawn-chain, 1 incitement).",
    "renamed_to_abusive": "Benign residents' group observed twice; the later observation renames it to a child-safety indicator name/description (hijack). Labelled child_safety (judgement: current state carries child-safety indicators), no ring, no graph ties to rings.",
    "coordinated_benign": "40 ward groups of a fictional political party, cross-linked (3-6 each) and all sharing 3 admins; civic campaign text with mild political words ('defeat', 'crush them in the elections', 'fight for rights').",
    "dense_school": "60 class parents' groups of one school, densely cross-linked (6-12 each), sharing 8 teacher admins; text has ages, 'school', 'paid', 'new link'.",
}


def write_roles(w, out, seed, nlines):
    counts = {}
    for g in w.groups:
        for ro in g["roles"]:
            counts.setdefault(ro, {"n": 0, "labels": {}})
            counts[ro]["n"] += 1
            counts[ro]["labels"][g["label"]] = counts[ro]["labels"].get(g["label"], 0) + 1
    rings = {}
    for g in w.groups:
        if g["ring"]:
            rings.setdefault(g["ring"], [g["label"], 0])
            rings[g["ring"]][1] += 1
    with open(os.path.join(out, "roles.md"), "w", encoding="utf-8") as f:
        f.write(f"# Roles in this world (seed {seed})\n\n")
        f.write(f"{len(w.groups)} groups, {nlines} snapshot lines, {len(w.icons)} icon files.\n")
        f.write("`role` in labels.csv may hold several roles joined by ';'.\n\n")
        f.write("| role | groups | labels | meaning |\n|---|---|---|---|\n")
        for ro in sorted(counts):
            lab = ", ".join(f"{k}:{v}" for k, v in sorted(counts[ro]["labels"].items()))
            f.write(f"| {ro} | {counts[ro]['n']} | {lab} | {ROLE_DOC.get(ro, '')} |\n")
        f.write("\n## Rings\n\n| ring_id | label | members |\n|---|---|---|\n")
        for k in sorted(rings):
            f.write(f"| {k} | {rings[k][0]} | {rings[k][1]} |\n")
        f.write("\nAll text uses indicator vocabulary only; icons are generated abstract 64x64 PNGs. "
                "Party, school and people names are fictional; admin ids are opaque counters.\n")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--background", type=int, default=3000)
    a = ap.parse_args(argv)
    w = World(a.seed, a.background)
    build(w)
    lines = serialize(w, a.out)
    write_roles(w, a.out, a.seed, len(lines))
    print(f"wrote {len(w.groups)} groups ({len(lines)} lines), {len(w.icons)} icons to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
