"""Icon signal: PDQ hash of the icon (computed here or given upstream) and explicit-imagery scores.

Explicit-imagery scores come from the platform's own classifier (taken as given) and from the icon classifier the
policy picks (``scanner.images.icon_classifier``; open_nsfw by default), run where the icon is decoded and
hashed (``scanner.images.icon_pool``); the higher counts, a local score only from the policy's threshold up.
An explicit icon alone suggests adult content; the combination with minor indicators in the text is scored in
``scanner.scoring.risk``, where signals meet.
Files are hashed once per distinct path and content: icons are reused across groups and across re-scans.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from scanner.images.icon_classifier import IconClassifier, load_classifier
from scanner.images.icon_pool import (
    MIN_POOL_ICONS,
    AnyOf,
    Budget,
    ClassifyPlan,
    Digests,
    Examined,
    Examiner,
    HashLimits,
    IconKey,
    IconPrefetch,
    available_cpus,
    icon_key,
)
from scanner.images.pdq import IconError, IconHash
from scanner.policy import IconPolicy, Policy
from scanner.reasons import Reason
from scanner.schema import GroupSnapshot
from scanner.signals.base import ScanContext, SignalResult, SignalSetup, example

#: The category an explicit icon alone is evidence for (a verdict of the icon, no text needed).
ICON_CATEGORY = "adult_content"


def _icon_paths(snapshots: Sequence[GroupSnapshot], context: ScanContext) -> Iterator[Path]:
    """The icon file of each snapshot that names one, in order."""
    for snap in snapshots:
        if snap.icon is not None:
            yield context.data_root / snap.icon.path


class IconSignal:
    name = "icon"
    version = "2"
    order: ClassVar[int] = 20
    config_model: ClassVar[type[BaseModel] | None] = IconPolicy

    @classmethod
    def from_policy(cls, policy: Policy, setup: SignalSetup) -> IconSignal | None:
        return cls(policy.signals.icon) if policy.signals.icon.enabled else None

    @classmethod
    def examples(cls) -> list[GroupSnapshot]:
        return [example("ex:icon:upstream", "Family", icon_signals={"pdq": "a5" * 32,
                                                                    "classifier": {"explicit": 0.02}}),
                example("ex:icon:none", "Family")]

    def __init__(self, policy: IconPolicy, classifier: IconClassifier | None = None) -> None:
        self.policy = policy
        self.classifier = (classifier if classifier is not None
                           else load_classifier(policy.classifier, threads=min(2, available_cpus())))
        # icon sha256 -> classifier scores: each distinct icon is classified once; the pipeline preloads what
        # earlier scans stored (``preload``) and stores what is ``new_classifications``.
        self._classified: dict[str, dict[str, float]] = {}
        self.new_classifications: dict[str, dict[str, float]] = {}
        # Icons hashed but not classified (the scan's budget ran out; sha256 -> file): `groupscan icons classify`
        # does them. A runner hands them over like ``new_classifications``.
        self.unclassified_files: dict[str, Path] = {}
        self._budget = Budget(policy.classify_budget)
        self._examiner: Examiner | None = None
        self._cache: dict[IconKey, IconHash | IconError] = {}
        # icon sha256 -> moderator-safe thumbnail (blurred greyscale PNG); the pipeline stores new ones.
        self.thumbnails: dict[str, bytes] = {}
        self._prefetch: IconPrefetch[IconKey] | None = None
        self._stored_of: Callable[[], Container[str]] | None = None
        self._fetch: Callable[[Sequence[str]], dict[str, dict[str, float]]] | None = None
        self._stored_shas: Container[str] | None = None
        self._fetched: set[str] = set()  # asked of ``_fetch`` already (found or not)

    def cache_key(self) -> str:
        """Results depend on the snapshot (icon path), the policy and the classifier model. An icon file is
        taken to keep its content at a path a snapshot names: a new icon comes with a new snapshot."""
        return f"{self.version}:{self.classifier.model_id if self.classifier else 'none'}"

    def preload(self, classified: dict[str, dict[str, float]]) -> None:
        self._classified.update(classified)

    def preloaded(self) -> dict[str, dict[str, float]]:
        return dict(self._classified)

    def attach(self, stored: Callable[[], Container[str]],
               fetch: Callable[[Sequence[str]], dict[str, dict[str, float]]]) -> None:
        """Read stored classifications on demand instead of ``preload``-ing them all (a million rows took a
        minute): ``stored()`` says which icons have one (read once, when this signal first hashes an icon),
        ``fetch`` reads the scores of the icons a batch shows."""
        self._stored_of, self._fetch = stored, fetch
        self._examiner = None  # the next one knows the stored icons too
        if self._prefetch is not None:
            self._prefetch.local = self._local()

    def _stored(self) -> Container[str]:
        if self._stored_shas is None:
            self._stored_shas = self._stored_of() if self._stored_of is not None else Digests()
        return self._stored_shas

    def _known(self) -> Container[str]:
        """Icons with scores: classified here or earlier, or stored (scores fetched when a batch shows them)."""
        return AnyOf(self._classified, self._stored()) if self._stored_of is not None else self._classified

    @property
    def unclassified(self) -> dict[str, Path]:
        """Icons this signal hashed and its classifier has not scored (sha256 -> file): the backlog it leaves."""
        if self.classifier is None:
            return {}
        return {sha: path for sha, path in self.unclassified_files.items() if sha not in self._classified}

    def plan(self) -> ClassifyPlan | None:
        """What icon workers classify for this signal (nothing without a classifier)."""
        if self.classifier is None:
            return None
        known: Container[str] = Digests(self._classified)
        if self._stored_of is not None:
            known = AnyOf(known, self._stored())
        return ClassifyPlan(self.classifier.name, known, self._budget)

    def _local(self) -> Examiner:
        """Hashes and classifies in this process, from the same decoded image, sharing the scan's budget."""
        if self._examiner is None:
            self._examiner = Examiner(HashLimits.of(self.policy), self.classifier, self._known(), self._budget)
        return self._examiner

    def _keep(self, key: IconKey, examined: Examined) -> None:
        found, scores = examined
        if isinstance(found, IconHash):
            self.thumbnails[found.sha256] = found.thumbnail
            if scores is not None and found.sha256 not in self._classified:
                self._classified[found.sha256] = scores
                self.new_classifications[found.sha256] = scores
        self._cache[key] = found

    def _examine(self, paths: Iterable[Path]) -> None:
        """Hash (and classify) every file of ``paths`` not done yet: from the prefetch's workers where it took
        them, the others here in one go (the classifier batches them). Then read the stored scores of the
        icons among them classified in earlier scans (``attach``)."""
        here: dict[IconKey, Path] = {}
        wanted: list[IconKey] = []
        for path in paths:
            key = icon_key(path)
            if isinstance(key, IconError):
                continue
            wanted.append(key)
            if key in self._cache or key in here:
                continue
            if self._prefetch is not None and key in self._prefetch:
                for done, found in self._prefetch.take(key).items():
                    self._keep(done, found)
            else:
                here[key] = path
        if here:
            for key, found in zip(here, self._local().examine(list(here.values())), strict=True):
                self._keep(key, found)
        if self._fetch is not None and self.classifier is not None:
            missing = sorted({hashed.sha256 for key in wanted if isinstance(hashed := self._cache[key], IconHash)
                               and hashed.sha256 not in self._classified and hashed.sha256 not in self._fetched})
            if missing:
                self._fetched.update(missing)
                self._classified.update(self._fetch(missing))

    def _hash(self, path: Path) -> IconHash | IconError:
        key = icon_key(path)
        if isinstance(key, IconError):
            return key
        if key not in self._cache:
            self._examine([path])
        return self._cache[key]

    def prefetch(self, snapshots: Sequence[GroupSnapshot], context: ScanContext, workers: int,
                 min_icons: int = MIN_POOL_ICONS) -> int:
        """Start hashing and classifying, in ``workers`` processes, the icons of ``snapshots`` not done yet
        (``scanner.images.icon_pool``); ``score`` collects them as its batches reach them. Does nothing for
        fewer than ``min_icons`` icons or one worker, unless a prefetch was adopted (it takes the icons it lacks).
        Returns how many icons the pool took."""
        adopted = self._prefetch
        if adopted is None and workers < 2:
            return 0
        items: dict[IconKey, Path] = {}
        for path in _icon_paths(snapshots, context):
            key = icon_key(path)
            if not isinstance(key, IconError) and key not in self._cache:
                items[key] = path
        if adopted is None and len(items) < max(1, min_icons):
            return 0
        prefetch = adopted or IconPrefetch(HashLimits.of(self.policy), workers, plan=self.plan(),
                                           local=self._local())
        for key, path in items.items():
            prefetch.add(key, path)
        prefetch.flush()
        self._prefetch = prefetch
        return prefetch.added

    def adopt(self, prefetch: IconPrefetch[IconKey]) -> None:
        """Collect icons from a prefetch started before this signal existed (``IconFeed``, while a cold scan
        reads its records). Its workers and this process share one classification budget."""
        self.close()
        if prefetch.plan is not None:
            self._budget = prefetch.plan.budget
            self._examiner = None
        prefetch.local = self._local()
        self._prefetch = prefetch

    def close(self) -> None:
        """Stop a prefetch: what it has not hashed yet is hashed here if still needed."""
        if self._prefetch is not None:
            self._prefetch.close()
            self._prefetch = None

    def score(self, snapshots: Sequence[GroupSnapshot], context: ScanContext) -> list[SignalResult]:
        self._examine(_icon_paths(snapshots, context))
        return [self._one(snap, context) for snap in snapshots]

    def _one(self, snap: GroupSnapshot, context: ScanContext) -> SignalResult:
        features: dict[str, object] = {}
        reasons: list[Reason] = []
        scores: dict[str, float] = {}
        upstream = snap.icon_signals
        if snap.icon is not None:
            result = self._hash(context.data_root / snap.icon.path)
            if isinstance(result, IconError):
                features["icon_error"] = str(result)
            else:
                features.update(icon_sha256=result.sha256, pdq_quality=result.quality)
                if result.quality >= self.policy.min_pdq_quality:
                    features["pdq"] = result.pdq
                    features["pdq_dihedral"] = list(result.dihedral)
                else:
                    features["icon_error"] = f"PDQ quality {result.quality} below {self.policy.min_pdq_quality}"
        if "pdq" not in features and upstream is not None and upstream.pdq:
            features["pdq"] = upstream.pdq
            features["pdq_upstream"] = True
        explicit = (upstream.classifier.get(self.policy.explicit_label) if upstream else None)
        weight_of = self.policy.explicit_adult_weight
        who, feature = "The platform's icon classifier", "upstream_classifier"
        sha = str(features.get("icon_sha256", ""))
        local = self._classified.get(sha)
        if local is not None and self.classifier is not None:
            features["icon_classifier"] = self.classifier.model_id
            features["icon_classifier_explicit"] = local["explicit"]
            # Below the threshold a local score is kept as a feature, not evidence: benign icons score up to
            # about 0.3 (skin-toned flat colours), and every group has an icon.
            if local["explicit"] >= self.policy.classifier_threshold and (explicit is None
                                                                           or local["explicit"] > explicit):
                explicit = local["explicit"]
                weight_of = self.policy.classifier_adult_weight
                who, feature = f"The {self.classifier.name} icon classifier ({self.classifier.model_id})", "classifier"
        elif self.classifier is not None and sha and snap.icon is not None:
            self.unclassified_files.setdefault(sha, (context.data_root / snap.icon.path).resolve())
            features["icon_unclassified"] = True
        if explicit is not None:
            features["explicit"] = explicit
            weight = weight_of if feature == "classifier" else explicit * weight_of
            if weight > 0:
                scores[ICON_CATEGORY] = weight
                reasons.append(
                    Reason("icon", feature, f"{self.policy.explicit_label}={explicit:.2f}",
                           ICON_CATEGORY, weight,
                           f"{who} scored the icon {explicit:.2f} explicit.")
                )
        return SignalResult(snap.group_id, self.name, scores, tuple(reasons), frozenset(), features)
