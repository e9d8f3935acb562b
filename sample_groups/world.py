"""In-memory model of the synthetic world: groups, their observations, invite edges.

The network builders (networks.py) create groups and edges here; generate.py
turns the finished world into JSON Lines. Keeping the model separate means the
timing rules (a link can only be posted after the target exists and before the
posting group is observed) live in one place.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from PIL import Image

from . import icons, links

BASE = datetime(2026, 9, 1, tzinfo=UTC)
WINDOW = timedelta(days=30)  # observations fall in [BASE, BASE + WINDOW)
END = BASE + WINDOW


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Icon:
    """One icon file (or, if ``pdq_only``, an icon known only by its upstream PDQ)."""

    image: Image.Image
    family: str
    transform: str
    pdq: str
    quality: int
    family_base_pdq: str
    pdq_only: bool = False
    path: str = ""


@dataclass
class Observation:
    at: datetime
    name: str
    description: str
    member_count: int
    own_links: list[str]
    icon: Icon | None = None
    explicit: float | None = None
    empty_signals: bool = False  # icon_signals = {"pdq": null, "classifier": null}
    change: str = ""  # what changed versus the previous observation (for the README)
    link_reset_at: datetime | None = None  # when own_links were replaced, if they were


@dataclass
class Group:
    gid: str
    platform: str
    label: str
    ring_id: str
    role: str
    created: datetime
    show_created: bool
    admins: list[str]
    observations: list[Observation] = field(default_factory=list)

    @property
    def first(self) -> Observation:
        return self.observations[0]

    @property
    def last(self) -> Observation:
        return self.observations[-1]

    @property
    def linkable(self) -> bool:
        """False for groups whose invite link is unknown (own_invite_links is empty)."""
        return bool(self.first.own_links)


@dataclass
class Edge:
    """``src`` posted an invite to ``dst`` (None = a group outside the dataset)."""

    src: Group
    dst: Group | None
    url: str
    channel: str  # "posted" | "description" | "defanged"
    seen_at: datetime | None = None
    purpose: str = "cross"  # "cross" (advertises a sibling) or "respawn" (announces a replacement)
    text: str = ""  # surface form (posted) or description phrase
    form: str = ""  # tag naming the surface change


class World:
    """Seeded factories for ids, admins, links and icons, plus the groups and edges."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(f"groupscan-sample:{seed}")
        self.nrng = np.random.default_rng([seed, 0x6A5C])
        self.bank = icons.IconBank(np.random.default_rng([seed, 0x1C0]))
        self.groups: list[Group] = []
        self.edges: list[Edge] = []
        self._ids: set[str] = set()
        self._admin_ids: set[str] = set()
        self._codes: set[str] = set()
        self._solo = 0
        self.hashlist_families: list[tuple[str, str]] = []  # (family, base pdq) put in the demo list

    # ------------------------------------------------------------ identifiers
    def _unique(self, make: Callable[[], str], pool: set[str]) -> str:
        while True:
            v = make()
            if v not in pool:
                pool.add(v)
                return v

    def group_id(self, platform: str) -> str:
        r = self.rng
        if platform == "whatsapp":
            return self._unique(lambda: f"wa:120363{r.randint(10**11, 10**12 - 1)}@g.us", self._ids)
        if platform == "telegram":
            return self._unique(lambda: f"tg:-100{r.randint(10**9, 10**10 - 1)}", self._ids)
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        return self._unique(
            lambda: "mx:!" + "".join(r.choice(letters) for _ in range(18)) + ":" + r.choice(links.MATRIX_SERVERS),
            self._ids)

    def admin(self, platform: str) -> str:
        r = self.rng
        if platform == "whatsapp":
            return self._unique(lambda: f"wa:user:{r.randint(1000, 99999999)}", self._admin_ids)
        if platform == "telegram":
            return self._unique(lambda: f"tg:user:{r.randint(10, 9999999999)}", self._admin_ids)
        return self._unique(lambda: f"mx:user:@u{r.randint(100, 999999)}:{r.choice(links.MATRIX_SERVERS)}",
                            self._admin_ids)

    def own_link(self, platform: str, name: str, *, public_prob: float = 0.25,
                 old_form_prob: float = 0.3) -> str:
        """A fresh canonical invite link for a group on ``platform``."""
        r = self.rng
        if platform == "whatsapp":
            return links.whatsapp(self._unique(lambda: links.wa_code(r), self._codes))
        if platform == "telegram":
            if r.random() < public_prob:
                return links.telegram_public(self._unique(lambda: links.slug(name, r), self._codes))
            code = self._unique(lambda: links.tg_code(r), self._codes)
            return links.telegram_private(code, old_form=r.random() < old_form_prob)
        alias = self._unique(lambda: links.slug(name, r), self._codes)
        return links.matrix(alias, r.choice(links.MATRIX_SERVERS))

    def dangling_link(self) -> str:
        """A link to a group that is not in the dataset."""
        platform = self.rng.choice(["whatsapp", "whatsapp", "telegram"])
        return self.own_link(platform, "x" + str(self.rng.randint(0, 10**6)))

    # ------------------------------------------------------------ time
    def before_base(self, lo_days: float, hi_days: float) -> datetime:
        secs = self.rng.uniform(lo_days, hi_days) * 86400
        return (BASE - timedelta(seconds=int(secs))).replace(microsecond=0)

    def in_window(self, lo: datetime = BASE, hi: datetime = END) -> datetime:
        span = int((hi - lo).total_seconds())
        return lo + timedelta(seconds=self.rng.randrange(max(span, 1)))

    # ------------------------------------------------------------ groups
    def add_group(self, *, platform: str, label: str, ring_id: str, role: str, name: str,
                  description: str, member_count: int, admins: list[str],
                  created: datetime | None = None, show_created: bool | None = None,
                  observed: datetime | None = None, extra_links: int = 0,
                  public_prob: float = 0.25, no_link: bool = False) -> Group:
        r = self.rng
        created = created or self.before_base(20, 1200)
        if show_created is None:
            show_created = r.random() < {"telegram": 0.6, "whatsapp": 0.3, "matrix": 0.8}[platform]
        own = [self.own_link(platform, name, public_prob=public_prob)]
        for _ in range(extra_links):
            own.append(self.own_link(platform, name, public_prob=0.0))
        if no_link:
            own = []
        g = Group(gid=self.group_id(platform), platform=platform, label=label, ring_id=ring_id,
                  role=role, created=created, show_created=show_created, admins=admins)
        at = observed or self.in_window(max(BASE, created + timedelta(hours=2)), END - timedelta(days=1))
        g.observations.append(Observation(at=at, name=name, description=description,
                                          member_count=member_count, own_links=own))
        self.groups.append(g)
        return g

    def add_observation(self, g: Group, at: datetime, change: str, **updates: object) -> Observation:
        """Append a later observation copying the previous one with ``updates`` applied."""
        prev = g.last
        if at <= prev.at:
            raise ValueError("observations must move forward in time")
        obs = Observation(at=at, name=prev.name, description=prev.description,
                          member_count=prev.member_count, own_links=list(prev.own_links),
                          icon=prev.icon, explicit=prev.explicit, empty_signals=prev.empty_signals,
                          change=change)
        for k, v in updates.items():
            setattr(obs, k, v)
        g.observations.append(obs)
        return obs

    def connect(self, src: Group, dst: Group | None, channel: str = "posted", url: str | None = None,
                purpose: str = "cross") -> Edge:
        if url is None:
            if dst is None:
                url = self.dangling_link()
            else:
                if not dst.linkable:
                    raise ValueError(f"{dst.gid} has no invite link to post")
                url = self.rng.choice(dst.first.own_links)
        e = Edge(src=src, dst=dst, url=url, channel=channel, purpose=purpose)
        self.edges.append(e)
        return e

    # ------------------------------------------------------------ icons
    def icon_family(self, family: str) -> tuple[Image.Image, str]:
        """Create a family base image (registered in the bank); returns (image, pdq hex)."""
        img, hx, _ = self.bank.new_base(family)
        return img, hx

    def variant_icon(self, family: str, base: Image.Image, base_hex: str, *, exact: bool = False,
                     far: str | None = None) -> Icon:
        if exact:
            _, q = icons.pdq_bits(base)
            return Icon(base, family, "exact", base_hex, q, base_hex)
        img, steps, hx, q = self.bank.new_variant(base, family, far)
        return Icon(img, family, steps, hx, q, base_hex)

    def solo_icon(self) -> Icon:
        self._solo += 1
        family = f"solo-{self._solo:05d}"
        img, hx, q = self.bank.new_base(family)
        return Icon(img, family, "original", hx, q, hx)

    # ------------------------------------------------------------ timing
    def resolve_edges(self) -> None:
        """Give each edge a ``seen_at`` after both groups exist and before src's last observation."""
        for e in self.edges:
            lo = e.src.created
            if e.dst is not None:
                lo = max(lo, e.dst.created)
            hi = e.src.last.at - timedelta(minutes=1)
            lo = max(lo, hi - timedelta(days=25))
            if lo >= hi:
                raise ValueError(f"infeasible edge {e.src.gid} -> {e.dst.gid if e.dst else e.url}")
            e.seen_at = lo + timedelta(seconds=self.rng.randrange(int((hi - lo).total_seconds())))
            if e.dst is not None and e.url in e.dst.first.own_links:
                # after a link reset, people post the new link
                for obs in e.dst.observations:
                    if obs.link_reset_at is not None and e.seen_at >= obs.link_reset_at:
                        e.url = obs.own_links[0]
