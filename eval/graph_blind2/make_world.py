#!/usr/bin/env python3
"""Blind adversarial test world for a chat-group network detector.

usage: make_world.py OUT --seed S --background N

Writes OUT/groups.jsonl, OUT/icons/*.png, OUT/truth.csv.
Content is indicator vocabulary only (see README.md). Phone numbers are masked,
invite links and ids are made up, icons are random abstract shapes.
"""
import argparse
import csv
import json
import os
import random
import string
from datetime import datetime, timedelta, timezone

import numpy as np
from PIL import Image, ImageDraw

T_START = datetime(2025, 11, 1, tzinfo=timezone.utc)
T_END = datetime(2026, 5, 1, tzinfo=timezone.utc)


def iso(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------- icons
def _dct_mat(n):
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n))
    m[0] *= 1 / np.sqrt(2)
    return m * np.sqrt(2 / n)


_D64 = _dct_mat(64)


def phash256(img):
    """PDQ-like 256-bit perceptual hash (DCT of 64x64 luma, 16x16 low band, median)."""
    g = np.asarray(img.convert("L").resize((64, 64), Image.BILINEAR), dtype=np.float64)
    c = _D64 @ g @ _D64.T
    band = c[1:17, 1:17].flatten()
    bits = band > np.median(band)
    val = 0
    for b in bits:
        val = (val << 1) | int(b)
    return "%064x" % val


def hamming(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


class IconMaker:
    def __init__(self, out, rng):
        self.out = out
        self.rng = rng
        os.makedirs(os.path.join(out, "icons"), exist_ok=True)
        self.n = 0

    def _rand_color(self):
        r = self.rng
        return (r.randrange(256), r.randrange(256), r.randrange(256))

    def new_spec(self, nshapes=None):
        r = self.rng
        spec = {"bg": self._rand_color(), "shapes": []}
        for _ in range(nshapes or r.randint(3, 7)):
            kind = r.choice(["ellipse", "rect", "poly", "line"])
            x0, y0 = r.randrange(0, 100), r.randrange(0, 100)
            w, h = r.randrange(20, 90), r.randrange(20, 90)
            pts = [(r.randrange(128), r.randrange(128)) for _ in range(r.randint(3, 5))]
            spec["shapes"].append({"k": kind, "box": [x0, y0, min(127, x0 + w), min(127, y0 + h)],
                                   "pts": pts, "c": self._rand_color(), "w": r.randint(3, 10)})
        return spec

    def jitter(self, spec, amount=1.0):
        """look-alike variant: small colour / position shifts and a small badge."""
        r = self.rng
        s = json.loads(json.dumps(spec))
        cj = lambda c: tuple(max(0, min(255, v + r.randint(-int(14 * amount), int(14 * amount)))) for v in c)
        s["bg"] = cj(s["bg"])
        for sh in s["shapes"]:
            dx, dy = r.randint(-int(3 * amount), int(3 * amount)), r.randint(-int(3 * amount), int(3 * amount))
            b = sh["box"]
            sh["box"] = [min(127, max(0, b[0] + dx)), min(127, max(0, b[1] + dy)),
                         min(127, max(0, b[2] + dx)), min(127, max(0, b[3] + dy))]
            if sh["box"][2] <= sh["box"][0]:
                sh["box"][2] = min(127, sh["box"][0] + 2)
            if sh["box"][3] <= sh["box"][1]:
                sh["box"][3] = min(127, sh["box"][1] + 2)
            sh["pts"] = [(min(127, max(0, x + dx)), min(127, max(0, y + dy))) for x, y in sh["pts"]]
            sh["c"] = cj(sh["c"])
        bx, by = r.randrange(96, 118), r.randrange(4, 24)
        s["shapes"].append({"k": "ellipse", "box": [bx, by, bx + 9, by + 9], "pts": [],
                            "c": self._rand_color(), "w": 1})
        return s

    def render(self, spec):
        img = Image.new("RGB", (128, 128), tuple(spec["bg"]))
        d = ImageDraw.Draw(img)
        for sh in spec["shapes"]:
            c = tuple(sh["c"])
            if sh["k"] == "ellipse":
                d.ellipse(sh["box"], fill=c)
            elif sh["k"] == "rect":
                d.rectangle(sh["box"], fill=c)
            elif sh["k"] == "poly":
                d.polygon([tuple(p) for p in sh["pts"]], fill=c)
            else:
                d.line([tuple(p) for p in sh["pts"]], fill=c, width=sh["w"])
        return img

    def save(self, spec, prefix="ic"):
        img = self.render(spec)
        self.n += 1
        name = "%s_%05d.png" % (prefix, self.n)
        img.save(os.path.join(self.out, "icons", name))
        return "icons/" + name, phash256(img)

    def lookalike_family(self, k, prefix="lk", max_dist=16):
        base = self.new_spec(nshapes=self.rng.randint(4, 6))
        base_hash = phash256(self.render(base))
        out = []
        for i in range(k):
            amt = 1.0
            for _ in range(12):
                v = base if i == 0 else self.jitter(base, amt)
                h = phash256(self.render(v))
                if hamming(h, base_hash) <= max_dist:
                    break
                amt *= 0.7
            out.append(self.save(v, prefix))
        return out


# ----------------------------------------------------------------------------- ids / links
class Ids:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def _uniq(self, f):
        while True:
            v = f()
            if v not in self.used:
                self.used.add(v)
                return v

    def _tok(self, n, alphabet=string.ascii_letters + string.digits):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def group_id(self, platform):
        r = self.rng
        if platform == "telegram":
            return self._uniq(lambda: "tg:-100%010d" % r.randrange(10 ** 9, 10 ** 10))
        if platform == "whatsapp":
            return self._uniq(lambda: "wa:120363%011d@g.us" % r.randrange(10 ** 10, 10 ** 11))
        return self._uniq(lambda: "mx:!%s:%s" % (self._tok(18, string.ascii_letters), r.choice(MX_SERVERS)))

    def user(self, platform):
        r = self.rng
        if platform == "telegram":
            return self._uniq(lambda: "tg:user:%d" % r.randrange(10 ** 6, 10 ** 10))
        if platform == "whatsapp":
            return self._uniq(lambda: "wa:user:%d" % r.randrange(10 ** 6, 10 ** 10))
        return self._uniq(lambda: "mx:@%s:%s" % (self._tok(8, string.ascii_lowercase + string.digits),
                                                 r.choice(MX_SERVERS)))

    def link(self, platform, alias_hint=None):
        r = self.rng
        if platform == "telegram":
            if r.random() < 0.7:
                return self._uniq(lambda: "https://t.me/+" + self._tok(16, string.ascii_letters + string.digits + "_-"))
            return self._uniq(lambda: "https://t.me/joinchat/" + self._tok(22, string.ascii_letters + string.digits + "_-"))
        if platform == "whatsapp":
            return self._uniq(lambda: "https://chat.whatsapp.com/" + self._tok(22))
        base = "".join(ch for ch in (alias_hint or "room").lower() if ch.isascii() and ch.isalnum())[:18] or "room"
        return self._uniq(lambda: "https://matrix.to/#/#%s%s:%s" % (base, self._tok(3, string.digits),
                                                                   r.choice(MX_SERVERS)))


MX_SERVERS = ["chatnest.example", "mx.sampleserver.net", "talkhub.example.org", "riot.example.in"]


# ----------------------------------------------------------------------------- group model
class Group:
    def __init__(self, world, platform, name, desc, role, network="", category="benign", expect="no_flag",
                 members=100, created=None, admins=None, icon=None):
        self.w = world
        self.platform = platform
        self.gid = world.ids.group_id(platform)
        self.name, self.desc = name, desc
        self.role, self.network, self.category, self.expect = role, network, category, expect
        self.members = min(members, 1024) if platform == "whatsapp" else members
        self.created = created
        self.admins = admins or [world.ids.user(platform)]
        self.own_links = [world.ids.link(platform, name)]
        self.posted = []  # (url, seen_at datetime)
        self.icon = icon  # dict: path/pdq/explicit
        self.obs = []
        world.groups.append(self)

    def post(self, url, t):
        self.posted.append((url, t))

    def post_group(self, other, t, which=-1):
        floor = max([c for c in (self.created, other.created) if c] or [t])
        if t < floor:  # a link cannot be seen before both groups exist
            t = floor + timedelta(hours=1 + self.w.rng.random() * 48)
        self.post(other.own_links[which], t)

    def snap(self, t, **over):
        """record an observation; rendered lazily (so links posted later in the build are included)."""
        self.obs.append((t, dict(over)))

    def last_t(self):
        return max(t for t, _ in self.obs)

    def render(self):
        out = []
        for t, over in self.obs:
            over = dict(over)
            ic = over.pop("icon", self.icon)
            d = {"schema": 1, "platform": self.platform, "group_id": self.gid, "observed_at": iso(t),
                 "name": over.pop("name", self.name), "description": over.pop("description", self.desc),
                 "member_count": int(over.pop("member_count", self.members)),
                 "created_at": iso(self.created) if self.created else None,
                 "admins": list(over.pop("admins", self.admins)),
                 "own_invite_links": list(over.pop("own_invite_links", self.own_links)),
                 "posted_invite_links": [{"url": u, "seen_at": iso(s)}
                                         for u, s in sorted(self.posted, key=lambda x: x[1]) if s <= t]}
            if ic:
                mode = ic.get("mode", "both")
                if ic.get("path") and mode in ("both", "image"):
                    d["icon"] = {"path": ic["path"]}
                sig = {}
                if ic.get("pdq") and mode in ("both", "signals"):
                    sig["pdq"] = ic["pdq"]
                if ic.get("explicit") is not None and mode in ("both", "signals"):
                    sig["classifier"] = {"explicit": round(ic["explicit"], 3)}
                if sig:
                    d["icon_signals"] = sig
            assert not over, over
            out.append(d)
        return out


class World:
    def __init__(self, out, seed):
        self.rng = random.Random(seed)
        np.random.seed(seed % (2 ** 32))
        self.ids = Ids(self.rng)
        self.icons = IconMaker(out, self.rng)
        self.groups = []
        self.out = out

    def t_between(self, a, b):
        span = (b - a).total_seconds()
        return a + timedelta(seconds=self.rng.uniform(0, span))

    def icon(self, explicit=None, lo=0.0, hi=0.12, mode=None, path_pdq=None):
        r = self.rng
        if path_pdq is None:
            path_pdq = self.icons.save(self.icons.new_spec())
        if mode is None:
            x = r.random()
            mode = "both" if x < 0.7 else ("image" if x < 0.85 else "signals")
        if explicit is None:
            explicit = r.uniform(lo, hi)
        return {"path": path_pdq[0], "pdq": path_pdq[1], "explicit": explicit, "mode": mode}


# ----------------------------------------------------------------------------- vocab
CITIES = ["Pune", "Mumbai", "Delhi", "Bengaluru", "Chennai", "Hyderabad", "Kolkata", "Lucknow", "Jaipur", "Patna",
          "Indore", "Bhopal", "Kochi", "Coimbatore", "Nagpur", "Surat", "Vadodara", "Guwahati", "Bhubaneswar",
          "Nashik", "Mysuru", "Madurai", "Vizag", "Ranchi", "Dehradun", "Dhaka", "Lahore", "Kathmandu", "Colombo",
          "Chandigarh", "Ludhiana", "Agra", "Varanasi", "Thrissur", "Mangaluru", "Rajkot", "Siliguri"]
EN_TOPICS = ["Family", "Cousins Gang", "Office Team", "College Friends", "Morning Walkers", "Cricket Lovers",
             "Tech Jobs Updates", "Recipes & Cooking", "Gardening Tips", "Photography Club", "Book Club",
             "Trekking Buddies", "Flat Hunting", "Buy & Sell", "Carpool", "Startup Founders", "UPSC Aspirants",
             "NEET Prep Doubts", "Temple Committee", "Wedding Planning", "Kitty Party", "Yoga Sessions",
             "Pet Lovers", "Old Bollywood Songs", "Anime Fans", "Gamers Lounge", "Farmers Market", "Mandi Rates",
             "Dairy Suppliers", "Tiffin Service", "Doctors Forum", "Nurses Network", "Advocates Bar",
             "CA Students", "Railway Commuters", "Power Cut Alerts", "Marathon Runners", "Chess Club",
             "Bird Watchers", "Vintage Cars", "Home Bakers", "Mobile Repair Techs", "Electricians Union",
             "Auto Drivers Welfare", "Tailoring Classes", "Quiz Club", "Classical Music Rasikas",
             "Hostel Mates", "Badminton Sunday", "Alumni"]
HINGLISH_NAMES = ["Apna Parivar", "Masti Ki Paathshala", "Dosti Forever", "Ghar Ki Baatein", "Sab Milke",
                  "Yaaron Ki Mehfil", "Gaon Ke Log", "Mohalla Updates", "Shaadi Ki Tayyari", "Bhai Log",
                  "Chai Pe Charcha", "Jugaad Tips", "Purane Dost", "Rishtedaar Group", "Kheti Baadi Salah",
                  "Bhajan Mandali", "Sasural Wale", "Gali No 4 Wale", "Tution Wale Sir Ke Students",
                  "Dukaan Updates", "Namma Ooru Nanbargal", "Adda Bondhura", "Amma Samayal", "Snehithulu",
                  "Aamchi Mumbai Katta", "Kutumbam", "Sangam Friends", "Pind Di Sath"]
HINGLISH_DESC = ["Sirf family members, koi forward nahi please", "Good morning msgs sirf 9 baje tak",
                 "Kal meeting 5 baje, sab aana", "Birthday wishes aur photos yahan daalo",
                 "Politics ki baat nahi karni", "Naye members ka swagat hai", "Bazaar bhav roz update",
                 "Kheti ke liye mausam ki jankari", "Sab log apna naam aur gaon likho",
                 "Kripya spam mat bhejo", "Shaadi ki photos aur video yahan", "Bachpan ke dost, masti only",
                 "Sunday cricket match 7 baje ground pe", "Paani supply timing updates"]
NATIVE = [  # (name, description)
    ("परिवार समूह", "परिवार के सभी सदस्यों के लिए"), ("गाँव के समाचार", "गाँव की ताज़ा खबरें"),
    ("सुबह की सैर", "रोज़ सुबह 6 बजे पार्क में"), ("भजन संध्या", "हर मंगलवार भजन"),
    ("किसान मंडी भाव", "आज के मंडी भाव"), ("मोहल्ला समिति", "मोहल्ले की सूचनाएँ"),
    ("குடும்பம்", "குடும்ப உறுப்பினர்கள் மட்டும்"), ("நண்பர்கள் குழு", "பள்ளி நண்பர்கள்"),
    ("சமையல் குறிப்புகள்", "தினமும் ஒரு சமையல்"), ("கிரிக்கெட் ரசிகர்கள்", "போட்டி செய்திகள்"),
    ("পরিবার", "পরিবারের সবার জন্য"), ("বন্ধুদের আড্ডা", "পুরনো বন্ধুরা"),
    ("রান্নার রেসিপি", "নতুন রেসিপি প্রতিদিন"), ("পাড়ার খবর", "পাড়ার নোটিশ"),
    ("కుటుంబం", "కుటుంబ సభ్యులకు మాత్రమే"), ("స్నేహితుల గ్రూప్", "కాలేజీ స్నేహితులు"),
    ("వంటకాలు", "రోజువారీ వంటలు"), ("आमचं कुटुंब", "फक्त कुटुंबासाठी"),
    ("मित्र मंडळ", "जुने मित्र"), ("गणेशोत्सव मंडळ", "उत्सवाची तयारी"),
    ("ಕುಟುಂಬ", "ಕುಟುಂಬದ ಗುಂಪು"), ("ಗೆಳೆಯರ ಬಳಗ", "ಶಾಲಾ ಗೆಳೆಯರು"),
    ("കുടുംബം", "കുടുംബാംഗങ്ങൾക്ക് മാത്രം"), ("കൂട്ടുകാർ", "പഴയ കൂട്ടുകാർ"),
    ("પરિવાર", "પરિવાર માટે"), ("મિત્ર મંડળ", "જૂના મિત્રો"),
    ("خاندان", "صرف خاندان کے لیے"), ("دوستوں کی محفل", "پرانے دوست"),
    ("ਪਰਿਵਾਰ", "ਪਰਿਵਾਰ ਲਈ"), ("ଗାଁ ଖବର", "ଗାଁର ଖବର"),
]
EN_DESC = ["Only relevant posts please.", "Updates and discussion.", "No spam, no forwards.",
           "Weekly meetups, all welcome.", "Share tips and questions here.", "Admin approval needed for posts.",
           "Official group for members.", "Be respectful. Politics not allowed.", "", "",
           "Job posts only, no promotions.", "Photos from events go here."]


# ----------------------------------------------------------------------------- planted networks
def build_cs_chain(w, t0):
    """child_safety respawn chain: 6 generations, ban -> successor announced with new-link wording."""
    r = w.rng
    net = "cs_chain_1"
    names = ["K1ds C0llection Pvt 🔒", "K1ds C0llection Pvt - Backup", "K1ds Col1ection 2.0 🔒",
             "Kidz C0llection 3.0 (new link)", "K1dz Coll3ction Respawn", "K1ds Collection v5 backup 🔒"]
    descs = ["13-15 & std 7-9 collection. Paid access only, UPI to admin. Private - don't share link.",
             "Backup of old group. Age 12-16 only, new link after every ban. c.p links daily, ₹299 lifetime.",
             "Same collection as before 🔒 class 6-9, sk00l and teen folders. Paid. Don't share, no forwarding.",
             "New link. Old group removed. Y0ung 11-14 collection, pay admin then get private links.",
             "Naya link, purana ban ho gaya. 12-15 saal wala collection, te3n & k!ds folder, ₹199 paid. Share mat karna.",
             "v5 backup. 10-15 yrs collection, links in DM after payment. Private, new link if banned."]
    plats = ["telegram", "telegram", "telegram", "telegram", "whatsapp", "telegram"]
    fam = w.icons.lookalike_family(len(names), prefix="chain")
    persistent_admin = w.ids.user("telegram")
    gens = []
    t = t0
    for i, nm in enumerate(names):
        p = plats[i]
        admins = [w.ids.user(p)] + ([persistent_admin] if p == "telegram" else [])
        g = Group(w, p, nm, descs[i], "chain", net, "child_safety", "flag", members=r.randint(300, 2500),
                  created=t, admins=admins,
                  icon=w.icon(explicit=r.uniform(0.55, 0.9), path_pdq=fam[i], mode="both"))
        g.gen_t = t
        gens.append(g)
        t = t + timedelta(days=r.randint(14, 24))
    for i, g in enumerate(gens):
        g.snap(g.gen_t + timedelta(days=2))
        if i == 2:  # link rotation inside the group ("new link")
            old = g.own_links[0]
            g.own_links = [w.ids.link(g.platform)]
            g.old_link = old
            t_first = g.obs[-1][0]
            g.obs[-1] = (t_first, {"own_invite_links": [old]})
            g.snap(g.gen_t + timedelta(days=6), description=g.desc + " NEW LINK, old one revoked.")
        if i + 1 < len(gens):
            nxt = gens[i + 1]
            g.post_group(nxt, nxt.gen_t + timedelta(hours=3))
            g.snap(nxt.gen_t + timedelta(days=1),
                   name=g.name + " ❌ removed",
                   description="⚠️ This group will be banned. Join BACKUP / NEW LINK now, don't share outside: "
                               + nxt.own_links[-1],
                   member_count=int(g.members * 0.4))
        else:
            g.snap(min(T_END, g.gen_t + timedelta(days=5)), member_count=g.members * 1.3)
    return gens


def build_cs_camo(w, t0, chain):
    r = w.rng
    net = "cs_camo_1"
    spec = [("Class 8 Science Notes PDF", "Notes and worksheets shared daily."),
            ("NCERT Study Material Hub", "Students age 11-14 only. Private material, paid collection ₹199, don't share."),
            ("Board Exam Tips 2026", "Tips, sample papers."),
            ("Maths Olympiad Practice", "std 6-8 only 🔒 new link in bio, paid members get backup folder."),
            ("English Grammar Worksheets", "Daily worksheets."),
            ("Tuition Batch Resources", "Class 7-9 batch. Private links after payment, no forwarding."),
            ("Hindi Vyakaran Notes", "Notes shared by teachers."),
            ("GK Quiz Junior", "Juniors 10-13 yrs. Collection folder, don't share link.")]
    admins_pool = [w.ids.user("telegram") for _ in range(3)]
    gs = []
    for i, (nm, ds) in enumerate(spec):
        p = "telegram" if i % 4 != 3 else "whatsapp"
        ad = [r.choice(admins_pool)] if p == "telegram" else [w.ids.user(p)]
        if i == 0:
            ad.append(chain[2].admins[-1])  # admin shared with chain generation 3
        g = Group(w, p, nm, ds, "camo_ring", net, "child_safety", "flag", members=r.randint(80, 900),
                  created=w.t_between(t0, t0 + timedelta(days=40)), admins=ad,
                  icon=w.icon(explicit=r.uniform(0.82, 0.97), mode=r.choice(["both", "both", "signals"])))
        gs.append(g)
    for i, g in enumerate(gs):
        for j in r.sample(range(len(gs)), 3):
            if j != i:
                g.post_group(gs[j], g.created + timedelta(days=r.randint(2, 30)))
    # cross-link with chain: camo posts chain gen3's OLD (rotated) link, chain gen4 posts a camo link
    gs[1].post(chain[2].old_link, chain[2].gen_t + timedelta(days=3))
    gs[3].post_group(chain[3], chain[3].gen_t + timedelta(days=2))
    chain[3].post_group(gs[5], chain[3].gen_t + timedelta(days=4))
    for g in gs:
        g.snap(max(p[1] for p in g.posted) + timedelta(days=1) if g.posted else g.created + timedelta(days=10))
    return gs


def build_solicitation(w, t0):
    r = w.rng
    net = "sol_1"
    spec = [("Mumbai Night Friendship 24x7", "whatsapp",
             "Rates: 2 hr 4k, full night 9k. Incall/outcall Andheri, Bandra, Juhu. Timing 10am-4am. "
             "Booking WhatsApp 98XXXXXX12. Advance via UPI nightxx@ybl. Hot 18+ verified profiles."),
            ("Pune Hot Call Service", "whatsapp",
             "Koregaon Park, Viman Nagar, Hinjewadi covered. 3k/shot 8k night. Booking 97XXXXXX40, Paytm advance."),
            ("Delhi NCR Escort Booking", "telegram",
             "Sexy 18+ escorts. Gurgaon, Noida, Dwarka hotels. Rates in DM, GPay only. 24x7 booking."),
            ("Bangalore Independent Models", "telegram",
             "Indiranagar, Whitefield, Koramangala. Incall hotel rooms. Booking @bookingdesk_xx, UPI advance 50%."),
            ("Hyderabad Massage & More", "whatsapp",
             "Full service massage, hot girls 18+, Banjara Hills, Gachibowli. 2k/hr. Booking 99XXXXXX07."),
            ("Kolkata Night Service", "whatsapp",
             "Salt Lake, Park Street. Rates fixed, timing 8pm-5am, advance booking only, PhonePe."),
            ("Goa Party Booking", "telegram", "Booking open. Rates in DM. Paytm only. All beaches covered."),
            ("Chennai Call Booking", "whatsapp", "T Nagar, OMR, Velachery. Booking ke liye call karo 96XXXXXX88, "
             "rates DM me, advance UPI. Hot 18+ only."),
            ("Mumbai Night Friendship 2.0 (backup)", "whatsapp",
             "Backup group, old one banned. Same rates, same numbers. Booking 98XXXXXX12, hot 18+ only."),
            ("Escort Agents Coordination", "telegram", "Agents only. Share new bookings, areas and rates here.")]
    fam = w.icons.lookalike_family(5, prefix="sol")
    agents_wa = [w.ids.user("whatsapp") for _ in range(2)]
    agents_tg = [w.ids.user("telegram") for _ in range(2)]
    gs = []
    for i, (nm, p, ds) in enumerate(spec):
        ad = [r.choice(agents_wa if p == "whatsapp" else agents_tg), w.ids.user(p)]
        ic = w.icon(explicit=r.uniform(0.4, 0.85), path_pdq=fam[i % 5]) if i % 2 == 0 else \
            w.icon(explicit=r.uniform(0.3, 0.8))
        g = Group(w, p, nm, ds, "solicitation", net, "sexual_solicitation", "flag", members=r.randint(150, 3000),
                  created=w.t_between(t0, t0 + timedelta(days=60)), admins=ad, icon=ic)
        gs.append(g)
    gs[8].created = gs[0].created + timedelta(days=50)
    for i, g in enumerate(gs):
        for j in r.sample(range(len(gs)), 4):
            if j != i:
                g.post_group(gs[j], max(g.created, gs[j].created) + timedelta(days=r.randint(1, 20)))
    gs[0].post_group(gs[8], gs[8].created + timedelta(hours=5))  # respawn announcement
    for g in gs:
        g.snap(max(p[1] for p in g.posted) + timedelta(days=1))
    gs[0].snap(max(gs[0].last_t() + timedelta(days=1), gs[8].created + timedelta(days=2)), description="Banned soon. NEW LINK backup: " + gs[8].own_links[0],
               member_count=gs[0].members // 3)
    return gs


def build_incitement(w, t0):
    r = w.rng
    net = "inc_1"
    spec = [("Jaago Yoddha Ward 9", "Enough talk. Sunday 7am meet at the old water tank behind the market. "
             "Bring lathis, rods and petrol bottles. Burn their shops, teach them a lesson."),
            ("Sher Dal Action Team", "The termites must go from our area. Attack plan for Friday night, "
             "gather at the bus depot gate 9pm. Bring weapons, no phones."),
            ("Raksha Squad North", "Time and point will be shared here only. Be ready with rods and bottles. "
             "Delete chats after reading."),
            ("Operation Safai Volunteers", "Clean out community X from the colony. Burn their carts, "
             "teach them a lesson. Meet at the temple ground 6am."),
            ("Sunday Action Group", "Shanivar raat purane pul pe milo. Lathi, patthar aur petrol le aana, "
             "unko sabak sikhana hai. Those people will learn."),
            ("Yoddha Core Members", "Only trusted. Plan for the attack, list of their houses, weapons arranged."),
            ("yoddha-core (moved)", "Moved here, phones are watched. Same plan, same time. Bring the bottles.")]
    core = [w.ids.user("telegram") for _ in range(2)]
    gs = []
    for i, (nm, ds) in enumerate(spec):
        p = "matrix" if i == 6 else ("telegram" if i % 3 != 2 else "whatsapp")
        ad = [core[i % 2], w.ids.user("telegram")] if p == "telegram" else [w.ids.user(p)]
        g = Group(w, p, nm, ds, "incitement", net, "incitement", "flag", members=r.randint(40, 600),
                  created=w.t_between(t0, t0 + timedelta(days=30)), admins=ad,
                  icon=w.icon(lo=0.0, hi=0.08) if r.random() < 0.7 else None)
        gs.append(g)
    gs[6].created = gs[5].created + timedelta(days=12)
    for i, g in enumerate(gs[:6]):
        for j in range(6):
            if j != i and r.random() < 0.5:
                g.post_group(gs[j], max(g.created, gs[j].created) + timedelta(days=r.randint(1, 10)))
    gs[5].post_group(gs[6], gs[6].created + timedelta(hours=2))  # move to matrix
    return gs


def build_scam(w, t0, default_icon):
    r = w.rng
    net = "scam_1"
    names = ["Happy Family 2026", "Sunshine Friends", "Morning Positive Vibes", "Smart Ladies Club",
             "Ghar Baithe Saathi", "Royal Friends Circle", "Golden Life Group", "Star Team 786", "Lucky Members",
             "Shubh Labh Group", "Daily Motivation", "Aapka Apna Group"]
    descs = ["Earn ₹2000-₹5000 daily from mobile! Simple YouTube like tasks. Register with ₹500 deposit, "
             "VIP level gets ₹1500/day. Contact HR madam 98XXXXXX45.",
             "100% guaranteed return, double your money in 10 days. Withdraw to UPI anytime.",
             "Part time job: rate hotels & earn daily. Task 1-3 free, then prepaid task deposit ₹1000 for 30% commission.",
             "KBC lucky draw winner list! You won ₹25 lakh prize, pay processing fee ₹4,999 to claim.",
             "Instant loan without CIBIL, 5 lakh in 10 min. File charge ₹999 first.",
             "Free recharge ₹239 plan for all users, claim link inside, share to 10 groups.",
             "Crypto trading bot, guaranteed 3% daily returns. Minimum deposit ₹5000.",
             "Work from home, earn ₹800 per task. Joining fee refundable. Telegram task group link inside.",
             "Invest ₹1000 get ₹3000 in 48 hours. Guaranteed doubling scheme, limited slots.",
             "Roz ₹3000 kamao ghar baithe, sirf ₹500 deposit, paisa double guaranteed, same day withdraw.",
             "रोज़ ₹2000 कमाएँ घर बैठे, ₹500 जमा करें, 100% गारंटीड रिटर्न। Like & subscribe task.",
             "Government subsidy loan scheme, registration fee ₹499, guaranteed approval."]
    hr_tg = [w.ids.user("telegram") for _ in range(2)]
    hr_wa = [w.ids.user("whatsapp") for _ in range(2)]
    gs = []
    for i, nm in enumerate(names):
        p = "whatsapp" if i % 3 else "telegram"
        ad = [(hr_wa if p == "whatsapp" else hr_tg)[i % 2]] + ([w.ids.user(p)] if r.random() < 0.5 else [])
        if i in (4, 9):
            ic = dict(default_icon, mode="both")
        else:
            ic = w.icon(lo=0.0, hi=0.1) if r.random() < 0.8 else None
        g = Group(w, p, nm, descs[i], "scam_ring", net, "scam", "flag", members=r.randint(200, 8000),
                  created=w.t_between(t0, t0 + timedelta(days=45)), admins=ad, icon=ic)
        gs.append(g)
    for i, g in enumerate(gs):
        for j in r.sample(range(len(gs)), 3):
            if j != i:
                g.post_group(gs[j], max(g.created, gs[j].created) + timedelta(days=r.randint(1, 15)))
    return gs


def build_adult(w, t0):
    r = w.rng
    net = "adult_1"
    spec = [("18+ Desi Hot Videos", "18+ only. New hot videos daily. Premium ₹99, backup channel link below."),
            ("XXX HD Videos Daily", "xxx 18+ daily uploads, join backup."),
            ("Nude Reels 18+ Only", "18+ nude reels, adults only."),
            ("Sexy Clips Premium", "Sexy clips, premium ₹149 lifetime, 18+."),
            ("Hot Web Series 18+", "Hot web series episodes, 18+ only, new link if removed.")]
    fam = w.icons.lookalike_family(3, prefix="adult")
    gs = []
    adm = w.ids.user("telegram")
    for i, (nm, ds) in enumerate(spec):
        ic = w.icon(explicit=r.uniform(0.88, 0.99), path_pdq=fam[i] if i < 3 else None, mode="both")
        g = Group(w, "telegram", nm, ds, "adult_ring", net, "adult_content", "flag", members=r.randint(2000, 40000),
                  created=w.t_between(t0, t0 + timedelta(days=60)), admins=[adm, w.ids.user("telegram")], icon=ic)
        gs.append(g)
    for i, g in enumerate(gs):
        g.post_group(gs[(i + 1) % len(gs)], max(g.created, gs[(i + 1) % len(gs)].created) + timedelta(days=3))
    return gs


# ----------------------------------------------------------------------------- benign structures / traps
POPULAR = ["India News Live 24x7", "IPL Cricket Updates", "Daily Current Affairs UPSC", "Bollywood Masala",
           "Govt Jobs Alert India", "Railway Exam Prep", "Tech News India", "Desi Memes Hub",
           "Motivational Quotes Daily", "Recipes by Mom", "Travel India Explorers", "Kisan Samachar",
           "Sarkari Result Updates", "Shayari Duniya", "Cricket Live Score", "English Speaking Practice",
           "Health Tips Daily", "Devotional Bhajans", "Mobile Offers & Deals", "Weather Alerts India"]


def build_popular(w):
    r = w.rng
    gs = []
    for nm in POPULAR:
        p = "telegram" if r.random() < 0.75 else "whatsapp"
        g = Group(w, p, nm, r.choice(["Official channel discussion group.", "Daily updates. No spam.",
                                      "Largest community, join and share."]),
                  "poisoned_bystander", "", "benign", "no_flag", members=r.randint(20000, 200000),
                  created=w.t_between(datetime(2018, 1, 1, tzinfo=timezone.utc),
                                      datetime(2021, 12, 31, tzinfo=timezone.utc)),
                  admins=[w.ids.user(p) for _ in range(r.randint(2, 4))], icon=w.icon())
        gs.append(g)
    return gs


def poison(w, harmful, popular, k):
    r = w.rng
    for g in harmful:
        for b in r.sample(popular, k):
            g.post_group(b, (g.created or T_START) + timedelta(days=r.randint(1, 10)))


def build_bridge(w, chain, scam):
    r = w.rng
    out = []
    # cycling club: its admin also admins chain generation 2
    club_admin = chain[1].admins[0]
    a = Group(w, "telegram", "Sunday Riders Cycling Club", "Weekend rides from the city, 6am start, helmets compulsory.",
              "bridge", "benign_cycling", "benign", "no_flag", members=r.randint(300, 900),
              created=datetime(2021, 3, 4, tzinfo=timezone.utc), admins=[club_admin, w.ids.user("telegram")],
              icon=w.icon())
    b = Group(w, "telegram", "Sunday Riders - Ride Announcements", "Route and timing announcements only.",
              "bridge", "benign_cycling", "benign", "no_flag", members=r.randint(200, 700),
              created=datetime(2021, 3, 5, tzinfo=timezone.utc), admins=[club_admin], icon=w.icon())
    a.post_group(b, datetime(2026, 1, 10, tzinfo=timezone.utc))
    b.post_group(a, datetime(2026, 1, 11, tzinfo=timezone.utc))
    out += [a, b]
    # retired bank employees association: admin also admins a scam group
    sc = [g for g in scam if g.platform == "whatsapp"][0]
    c = Group(w, "whatsapp", "Retired Bank Employees Assn - Nagpur", "Pension updates and get-togethers.",
              "bridge", "benign_bank_assn", "benign", "no_flag", members=r.randint(100, 256),
              created=datetime(2020, 7, 1, tzinfo=timezone.utc), admins=[sc.admins[0], w.ids.user("whatsapp")],
              icon=w.icon())
    out.append(c)
    for g in out:
        g.snap(w.t_between(datetime(2026, 3, 1, tzinfo=timezone.utc), T_END))
    return out


def build_coordinated(w):
    r = w.rng
    out = []
    logo = w.icons.save(w.icons.new_spec(5), "party")
    state_admins = [w.ids.user("whatsapp") for _ in range(3)]
    state = Group(w, "whatsapp", "Jan Seva Morcha - State Karyakarta", "Official state group of JSM workers. "
                  "Share district group links here.", "coordinated_benign", "benign_party", "benign", "no_flag",
                  members=1024, created=datetime(2022, 2, 1, tzinfo=timezone.utc), admins=list(state_admins),
                  icon=w.icon(path_pdq=logo, mode="both"))
    out.append(state)
    dists = []
    for i in range(1, 37):
        g = Group(w, "whatsapp", "JSM Karyakarta - Zila %02d" % i,
                  r.choice(["Rally on 14th at district HQ 10am. Bring flags and banners. Fight against price rise! "
                            "Share this link with all booth workers.",
                            "Dharna at collectorate gate Monday 11am, peaceful protest, bring placards.",
                            "Booth level meeting Sunday 5pm at party office. Attack the issues, not people.",
                            "District workers group. New link for 2026 after group was full."]),
                  "coordinated_benign", "benign_party", "benign", "no_flag", members=r.randint(150, 1024),
                  created=w.t_between(datetime(2022, 3, 1, tzinfo=timezone.utc), datetime(2024, 1, 1, tzinfo=timezone.utc)),
                  admins=list(state_admins[:2]) + [w.ids.user("whatsapp")], icon=w.icon(path_pdq=logo))
        dists.append(g)
    out += dists
    for i, g in enumerate(dists):
        g.post_group(state, w.t_between(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 3, 1, tzinfo=timezone.utc)))
        state.post_group(g, w.t_between(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 3, 1, tzinfo=timezone.utc)))
        for j in (i - 1, i + 1, i + 5):
            if 0 <= j < len(dists):
                g.post_group(dists[j], w.t_between(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 3, 20, tzinfo=timezone.utc)))
    # NGO
    ngo_admins = [w.ids.user("telegram") for _ in range(2)]
    ngo_icon = w.icons.lookalike_family(20, prefix="ngo")
    ngo = []
    for i, c in enumerate(CITIES[:20]):
        g = Group(w, "telegram", "Asha Kiran Foundation - Volunteers %s" % c,
                  r.choice(["Child rights awareness. School kits donation drive for class 1-5 kids, collection "
                            "points listed weekly.",
                            "Volunteers for children's education camp, age 6-14. Collection of books and uniforms.",
                            "Volunteer coordination. Private group for registered volunteers, please don't share link."]),
                  "coordinated_benign", "benign_ngo", "benign", "no_flag", members=r.randint(80, 1500),
                  created=w.t_between(datetime(2019, 1, 1, tzinfo=timezone.utc), datetime(2023, 1, 1, tzinfo=timezone.utc)),
                  admins=[ngo_admins[i % 2], w.ids.user("telegram")], icon=w.icon(path_pdq=ngo_icon[i]))
        ngo.append(g)
    for i, g in enumerate(ngo):
        for j in r.sample(range(len(ngo)), 4):
            if j != i:
                g.post_group(ngo[j], w.t_between(datetime(2025, 12, 1, tzinfo=timezone.utc), datetime(2026, 4, 1, tzinfo=timezone.utc)))
    out += ngo
    return out, dists


def build_dense(w):
    r = w.rng
    out = []
    crest = w.icons.save(w.icons.new_spec(4), "school")
    office = w.ids.user("whatsapp")
    pta = Group(w, "whatsapp", "SVN PTA Official", "Sunbeam Vidya Niketan PTA. All class group links posted here.",
                "dense_benign", "benign_school", "benign", "no_flag", members=480,
                created=datetime(2020, 6, 1, tzinfo=timezone.utc), admins=[office, w.ids.user("whatsapp")],
                icon=w.icon(path_pdq=crest))
    teachers = Group(w, "whatsapp", "SVN Teachers", "Staff only.", "dense_benign", "benign_school", "benign",
                     "no_flag", members=85, created=datetime(2020, 6, 1, tzinfo=timezone.utc), admins=[office],
                     icon=w.icon(path_pdq=crest))
    out += [pta, teachers]
    class_teachers = [w.ids.user("whatsapp") for _ in range(12)]
    for c in range(1, 13):
        for sec in "AB":
            age = "%d-%d" % (c + 5, c + 6)
            ds = r.choice(["Parents of Class %d%s (age %s). Private group, don't share link outside." % (c, sec, age),
                           "Class %d%s homework and circulars. New link for session 2026-27 posted in PTA group." % (c, sec),
                           "Std %d-%s parents. Fee payment reminders, photo collection from annual day." % (c, sec)])
            g = Group(w, "whatsapp", "SVN Class %d%s Parents" % (c, sec), ds, "dense_benign", "benign_school",
                      "benign", "no_flag", members=r.randint(35, 70),
                      created=w.t_between(datetime(2025, 4, 1, tzinfo=timezone.utc), datetime(2025, 5, 1, tzinfo=timezone.utc)),
                      admins=[office, class_teachers[c - 1]], icon=w.icon(path_pdq=crest))
            out.append(g)
    for nm, ds in [("SVN U-14 Football Team", "Boys & girls age 12-14. Practice 6am. Kit payment via school."),
                   ("SVN Sports Day Volunteers", "Parents volunteering for sports day."),
                   ("SVN Alumni 2010", "Batch of 2010."), ("SVN Annual Day Photos", "Photo collection, kids' "
                                                           "performances, private - parents only.")]:
        out.append(Group(w, "whatsapp", nm, ds, "dense_benign", "benign_school", "benign", "no_flag",
                         members=r.randint(40, 300), created=datetime(2024, 1, 1, tzinfo=timezone.utc),
                         admins=[office, w.ids.user("whatsapp")], icon=w.icon(path_pdq=crest)))
    sch = out[:]
    for g in sch:
        if g is not pta:
            pta.post_group(g, w.t_between(datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 4, 10, tzinfo=timezone.utc)))
            g.post_group(pta, w.t_between(datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 4, 10, tzinfo=timezone.utc)))
            for o in r.sample(sch, 3):
                if o is not g:
                    g.post_group(o, w.t_between(datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 4, 10, tzinfo=timezone.utc)))
    # housing society
    soc_adm = [w.ids.user("whatsapp") for _ in range(3)]
    soc = []
    for nm in ["Palm Grove Tower %s Residents" % x for x in "ABCDEFGH"] + \
              ["Palm Grove Kids Club (age 5-12)", "Palm Grove Maintenance", "Palm Grove Buy/Sell",
               "Palm Grove Ladies Kitty", "Palm Grove Seniors", "Palm Grove Security Alerts", "Palm Grove Festivals"]:
        g = Group(w, "whatsapp", nm, r.choice(["Residents only. Share link only with flat owners/tenants.",
                                               "Maintenance collection reminders and notices.",
                                               "Society events, kids' summer camp, new link after committee change."]),
                  "dense_benign", "benign_society", "benign", "no_flag", members=r.randint(40, 256),
                  created=w.t_between(datetime(2019, 1, 1, tzinfo=timezone.utc), datetime(2024, 1, 1, tzinfo=timezone.utc)),
                  admins=[r.choice(soc_adm), r.choice(soc_adm)], icon=w.icon() if r.random() < 0.6 else None)
        soc.append(g)
    for g in soc:
        for o in r.sample(soc, 5):
            if o is not g:
                g.post_group(o, w.t_between(datetime(2026, 2, 1, tzinfo=timezone.utc), datetime(2026, 4, 20, tzinfo=timezone.utc)))
    out += soc
    return out, soc


LOOKALIKES = [
    ("Police Escort Duty Roster - Zone 4", "VIP escort duty timings, report 0600 hrs at police lines."),
    ("Lipstick Shades Lovers 💄", "Nude, hot red and berry shades. Swatches & price list, COD available, booking open."),
    ("Nude Makeup Tutorials", "Everyday nude makeup looks, product links."),
    ("Hot Wheels Collectors India", "Die-cast collection, new arrivals, prices and trades."),
    ("Hot & Spicy Recipes", "Spicy recipes daily."),
    ("DU Debating Society", "Motion this week: This house would burn the rulebook. Teams meet 5pm at seminar hall."),
    ("U-14 Cricket Academy Trials 2026", "Age 12-14 boys & girls. Trials fee ₹500 via UPI. Private group for "
                                         "registered players, don't share link."),
    ("U-16 & U-19 Cricket Academy Batch", "Net practice 6am, age groups U-16 and U-19. Monthly fee collection."),
    ("Class 10 Board Coaching - Free PDF Collection", "CBSE class 10 notes collection, sample paper links, "
                                                      "new link if group full."),
    ("Kids Art & Craft Classes (age 5-10)", "New batch link, fees ₹800/month, weekend timing."),
    ("Teen Titans Fan Club", "Cartoon discussions and memes."),
    ("Young Entrepreneurs Network", "Founders under 35, monthly meetups."),
    ("XXXL Garments Wholesale Surat", "Plus-size kurtis, rates per piece, delivery all India."),
    ("Firecracker Sellers Sivakasi", "Diwali booking open, rates, delivery areas, advance payment."),
    ("Ayurvedic Massage Centre Kochi", "Rates 60 min ₹1200, timing 9am-8pm, booking 98XXXXXX31."),
    ("Call Taxi Booking 24x7 Mumbai", "Airport drops, rates per km, all areas covered, booking 24x7."),
    ("BGMI Squad Killers", "Scrims 9pm daily, AWM and M416 loadouts, attack strategy discussion."),
    ("Rifle Shooting Club (State Assn)", "Range timings, licensed weapons only, competition schedule."),
    ("Fire Safety Drill Team", "Mock drill Friday 10am at the main gate. Burn ward evacuation practice."),
    ("Mutual Fund SIP Learners", "Learn SIP basics. No tips, no guaranteed returns, SEBI rules followed."),
    ("Freelancing Jobs India", "Upwork/Fiverr leads. Never pay any deposit to get work."),
    ("Child Abuse Prevention Volunteers", "POCSO awareness sessions in schools. Report abuse material to the "
                                          "national cyber crime portal."),
    ("Adult Literacy Mission", "Evening classes for adults learning to read."),
    ("18+ Voter Registration Drive", "Turned 18? Register as a voter. Camp at ward office Saturday."),
    ("Backup & Data Recovery Services", "Hard disk backup, data recovery, rates on request."),
    ("New Link - Railway Jobs Updates", "Old group full, this is the new link. Backup group for RRB updates."),
    ("Private Tuition Class 6-8 Maths", "Private tuition, class 6-8, fees monthly, batch timings."),
    ("Ladies PG Booking Bangalore", "Rooms in HSR, BTM, Koramangala. Rates from 8k, booking advance."),
    ("Hot Yoga Studio Mumbai", "Hot yoga batches 7am/7pm, rates monthly, booking on call."),
    ("Young Scientists Club (class 6-9)", "Science projects and olympiad prep for students."),
    ("Collection Agents Association", "Recovery and collection agents welfare."),
    ("Kids Fashion New Collection 2026", "Kids wear new collection, prices, COD, age 2-12 sizes."),
    ("School Bus Tracking - Route 7", "Pickup timing updates for students on route 7."),
    ("Sexy Sadie - Beatles Tribute Band", "Gig schedule and rehearsal times."),
    ("Teach For Change Fellows", "Teach them a lesson they love - pedagogy tips for fellows."),
    ("Double Bed Furniture Deals", "Double bed, sofa sets, daily deals, guaranteed quality."),
    ("Baby Products Wholesale - New Collection", "Diapers, wipes, new collection, prices for retailers."),
    ("Lottery Results Kerala (official numbers)", "Result numbers only. We never ask for fees."),
    ("Daily Earn Honest Tips - Budgeting", "How to save daily, no investment schemes."),
    ("Girls Hostel Pune Rooms", "Rooms available, rates, areas near colleges, booking with ID."),
]


def build_lookalikes(w):
    r = w.rng
    out = []
    for nm, ds in LOOKALIKES:
        p = r.choice(["whatsapp", "telegram", "telegram", "matrix"])
        ex = r.uniform(0.3, 0.6) if any(k in nm for k in ("Lipstick", "Nude", "Hot Yoga")) else r.uniform(0, 0.12)
        g = Group(w, p, nm, ds, "lookalike", "", "benign", "no_flag", members=r.randint(30, 4000),
                  created=w.t_between(datetime(2020, 1, 1, tzinfo=timezone.utc), datetime(2025, 10, 1, tzinfo=timezone.utc)),
                  admins=[w.ids.user(p)], icon=w.icon(explicit=ex) if r.random() < 0.8 else None)
        out.append(g)
    return out


def bg_text(r):
    x = r.random()
    if x < 0.45:
        nm = r.choice([f"{r.choice(CITIES)} {r.choice(EN_TOPICS)}", f"{r.choice(EN_TOPICS)} {r.choice(CITIES)}",
                       f"{r.choice(['Sharma', 'Iyer', 'Khan', 'Das', 'Patel', 'Reddy', 'Singh', 'Nair', 'Gupta', 'Joshi', 'Menon', 'Banerjee'])} Family",
                       f"{r.choice(EN_TOPICS)} Batch {r.randint(1995, 2024)}"])
        return nm, r.choice(EN_DESC)
    if x < 0.75:
        nm = r.choice(HINGLISH_NAMES)
        if r.random() < 0.5:
            nm += " " + r.choice(CITIES + ["❤️", "🙏", str(r.randint(1, 99))])
        return nm, r.choice(HINGLISH_DESC)
    nm, ds = r.choice(NATIVE)
    if r.random() < 0.5:
        nm += " " + str(r.randint(1, 50))
    return nm, ds


def build_background(w, n, default_icon, n_default):
    r = w.rng
    out = []
    power_users = {p: [w.ids.user(p) for _ in range(25)] for p in ("telegram", "whatsapp", "matrix")}
    for i in range(n):
        p = r.choices(["whatsapp", "telegram", "matrix"], [0.6, 0.33, 0.07])[0]
        nm, ds = bg_text(r)
        ad = [w.ids.user(p) for _ in range(r.randint(1, 3))]
        if r.random() < 0.05:
            ad.append(r.choice(power_users[p]))
        role = "default_icon" if i < n_default else "background"
        if role == "default_icon":
            ic = dict(default_icon, mode=r.choice(["both", "both", "image", "signals"]))
        else:
            ic = w.icon() if r.random() < 0.45 else None
        g = Group(w, p, nm, ds, role, "", "benign", "no_flag", members=r.randint(3, 1024 if p == "whatsapp" else 20000),
                  created=w.t_between(datetime(2016, 1, 1, tzinfo=timezone.utc), datetime(2026, 3, 1, tzinfo=timezone.utc))
                  if r.random() < 0.8 else None, admins=ad, icon=ic)
        out.append(g)
    r.shuffle(out)
    for g in out:
        if r.random() < 0.12:
            for o in r.sample(out, r.randint(1, 3)):
                if o is not g:
                    g.post_group(o, w.t_between(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 4, 25, tzinfo=timezone.utc)))
        if r.random() < 0.02:  # dead external links
            g.post(w.ids.link(r.choice(["telegram", "whatsapp"])), datetime(2026, 2, 1, tzinfo=timezone.utc))
    return out


def build_directory(w, bg, harmful_spam):
    r = w.rng
    d1 = Group(w, "whatsapp", "WhatsApp Group Links India 🔗 All Categories",
               "Daily new group links: jobs, study, fun, shayari. Post your group link here.",
               "directory", "", "benign", "no_flag", members=1024,
               created=datetime(2022, 5, 1, tzinfo=timezone.utc), admins=[w.ids.user("whatsapp")], icon=w.icon())
    d2 = Group(w, "telegram", "Telegram Groups Directory - Jobs, Study, Fun",
               "Group promotion directory. Free listing. Links refreshed weekly.",
               "directory", "", "benign", "no_flag", members=18500,
               created=datetime(2021, 9, 1, tzinfo=timezone.utc), admins=[w.ids.user("telegram")], icon=w.icon())
    listed = r.sample([g for g in bg if g.role == "background"], min(160, len(bg) // 3))
    for k, g in enumerate(listed):
        g.role = "directory_listed"
        (d1 if k % 2 else d2).post_group(g, w.t_between(datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 4, 28, tzinfo=timezone.utc)))
    for k, g in enumerate(harmful_spam):
        (d1 if k % 2 else d2).post_group(g, w.t_between(datetime(2026, 2, 1, tzinfo=timezone.utc), datetime(2026, 4, 28, tzinfo=timezone.utc)))
    return [d1, d2]


def build_warning_posters(w, scam, sol):
    """benign awareness groups that post harmful links in order to warn about them."""
    r = w.rng
    a = Group(w, "whatsapp", "Cyber Crime Awareness Pune", "Beware of these fraud task-job groups! Do not deposit "
              "money. Report fraud on 1930. Links below are SCAM groups, do not join.", "warning_poster",
              "", "benign", "no_flag", members=640, created=datetime(2021, 8, 1, tzinfo=timezone.utc),
              admins=[w.ids.user("whatsapp")], icon=w.icon())
    b = Group(w, "telegram", "Fraud Alert India - Community Reports", "Members report suspicious groups here so "
              "others stay safe. Reported links are listed for awareness.", "warning_poster", "", "benign",
              "no_flag", members=12800, created=datetime(2020, 2, 1, tzinfo=timezone.utc),
              admins=[w.ids.user("telegram")], icon=w.icon())
    for g in r.sample(scam, 4):
        a.post_group(g, max(g.created, datetime(2026, 1, 20, tzinfo=timezone.utc)) + timedelta(days=r.randint(3, 20)))
    for g in r.sample(scam, 3) + r.sample(sol, 2):
        b.post_group(g, max(g.created, datetime(2026, 1, 20, tzinfo=timezone.utc)) + timedelta(days=r.randint(3, 20)))
    return [a, b]


def build_renamed(w, victims):
    """benign groups that turn into an abusive name/description at their latest observation."""
    r = w.rng
    new = [("K1ds c0llection new link 🔒 paid", "Age 12-15 collection, paid, don't share. Backup after ban.",
            "child_safety"),
           ("Earn ₹5000 Daily Guaranteed - Task Job", "Deposit ₹500 to start task, guaranteed doubling.", "scam"),
           ("18+ XXX Hot Videos", "18+ only hot videos, premium ₹99.", "adult_content")]
    for g, (nm, ds, cat) in zip(victims, new):
        g.role, g.category, g.expect = "renamed", cat, "flag"
        g.network = "renamed_" + cat
        t1 = w.t_between(datetime(2026, 2, 1, tzinfo=timezone.utc), datetime(2026, 3, 15, tzinfo=timezone.utc))
        g.snap(t1)
        g.snap(w.t_between(datetime(2026, 4, 10, tzinfo=timezone.utc), T_END), name=nm, description=ds,
               admins=[w.ids.user(g.platform)], own_invite_links=[w.ids.link(g.platform)])


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--background", type=int, default=3000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for f in os.listdir(os.path.join(a.out, "icons")) if os.path.isdir(os.path.join(a.out, "icons")) else []:
        if f.endswith(".png"):
            os.remove(os.path.join(a.out, "icons", f))
    w = World(a.out, a.seed)
    r = w.rng

    dspec = {"bg": (200, 205, 210), "shapes": [
        {"k": "ellipse", "box": [40, 20, 88, 68], "pts": [], "c": (150, 155, 160), "w": 1},
        {"k": "ellipse", "box": [20, 74, 108, 150], "pts": [], "c": (150, 155, 160), "w": 1}]}
    dimg = w.icons.render(dspec)
    dimg.save(os.path.join(a.out, "icons", "default_avatar.png"))
    default_icon = {"path": "icons/default_avatar.png", "pdq": phash256(dimg), "explicit": 0.02}

    t0 = datetime(2025, 11, 10, tzinfo=timezone.utc)
    chain = build_cs_chain(w, t0)
    camo = build_cs_camo(w, t0 + timedelta(days=20), chain)
    sol = build_solicitation(w, t0 + timedelta(days=10))
    inc = build_incitement(w, datetime(2026, 3, 1, tzinfo=timezone.utc))
    scam = build_scam(w, datetime(2026, 1, 5, tzinfo=timezone.utc), default_icon)
    adult = build_adult(w, datetime(2025, 12, 1, tzinfo=timezone.utc))

    popular = build_popular(w)
    poison(w, chain + sol + scam[:6], popular, 8)
    bridges = build_bridge(w, chain, scam)
    coord, party_dists = build_coordinated(w)
    for g in inc[:3]:  # the cell spams party district links
        for d in r.sample(party_dists, 2):
            g.post_group(d, g.created + timedelta(days=2))
    dense, society = build_dense(w)
    look = build_lookalikes(w)
    n_default = min(300, a.background // 3)
    bg = build_background(w, a.background, default_icon, n_default)
    dirs = build_directory(w, bg, [sol[1], sol[4], adult[0], scam[2], scam[7], chain[-1]])
    warn = build_warning_posters(w, scam, sol)
    v2 = Group(w, "whatsapp", "Sharma Family Group", "Sirf family members, koi forward nahi please",
               "background", "", "benign", "no_flag", members=48, created=datetime(2019, 4, 2, tzinfo=timezone.utc),
               icon=dict(default_icon, mode="both"))
    v3 = Group(w, "telegram", "Nashik Photography Club", "Weekly photo walks, all welcome.", "background", "",
               "benign", "no_flag", members=930, created=datetime(2020, 9, 9, tzinfo=timezone.utc), icon=w.icon())
    for v in (v2, v3):
        if bg:
            for o in r.sample(bg, min(2, len(bg))):
                v.post_group(o, datetime(2026, 1, 15, tzinfo=timezone.utc))
    victims = [society[2], v2, v3]
    build_renamed(w, victims)

    # observations for everything not yet observed; some benign get a harmless 2nd observation
    for g in w.groups:
        if g.obs:
            continue
        last_post = max([p[1] for p in g.posted], default=None)
        t = w.t_between(datetime(2026, 3, 1, tzinfo=timezone.utc), T_END)
        if last_post and last_post > t:
            t = min(T_END, last_post + timedelta(hours=6))
        if g.created and g.created > t:
            t = min(T_END, g.created + timedelta(days=3))
        if g.expect == "no_flag" and r.random() < 0.08:
            g.snap(t - timedelta(days=20), name=g.name + " (old)", member_count=max(2, g.members - 20))
        g.snap(t)
    # links posted after the last observation: add a final observation carrying the last state
    for g in w.groups:
        lp = max([p[1] for p in g.posted], default=None)
        if lp and lp > g.last_t() and g.role != "renamed":
            lt, lover = max(g.obs, key=lambda x: x[0])
            g.snap(min(T_END, lp + timedelta(hours=2)), **lover)
    rows = []
    for g in w.groups:
        rows.extend(g.render())
    r.shuffle(rows)
    rows.sort(key=lambda o: o["observed_at"])
    with open(os.path.join(a.out, "groups.jsonl"), "w", encoding="utf-8") as f:
        for o in rows:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    with open(os.path.join(a.out, "truth.csv"), "w", newline="", encoding="utf-8") as f:
        cw = csv.writer(f)
        cw.writerow(["group_id", "role", "network", "category", "expect"])
        for g in w.groups:
            cw.writerow([g.gid, g.role, g.network, g.category, g.expect])
    from collections import Counter
    c = Counter(g.role for g in w.groups)
    print("groups:", len(w.groups), "observations:", len(rows), dict(c))


if __name__ == "__main__":
    main()
