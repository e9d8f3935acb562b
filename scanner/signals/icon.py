"""Icon signal: PDQ hash of the icon (computed here or given upstream) and upstream classifier scores.

Explicit-imagery scores come from the platform's own classifier (taken as given) and, when the policy picks one,
from an icon classifier plugin run here (``scanner.signals.icon_classifier``); the higher counts. An explicit
icon alone suggests adult content; the combination with minor indicators in the text is scored in
``scanner.scoring``, where signals meet.
Files are hashed once per distinct path and content: icons are reused across groups and across re-scans.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from scanner.policy import IconPolicy
from scanner.reasons import Reason
from scanner.schema import GroupSnapshot
from scanner.signals.base import ScanContext, SignalResult
from scanner.signals.icon_classifier import IconClassifier, load_classifier
from scanner.signals.icon_pool import MIN_POOL_ICONS, HashLimits, IconKey, IconPrefetch, hash_one, icon_key
from scanner.signals.pdq import IconError, IconHash, load_rgb


def _icon_paths(snapshots: Sequence[GroupSnapshot], context: ScanContext) -> Iterator[Path]:
    """The icon file of each snapshot that names one, in order."""
    for snap in snapshots:
        if snap.icon is not None:
            yield context.data_root / snap.icon.path


class IconSignal:
    name = "icon"
    version = "1"

    def __init__(self, policy: IconPolicy, classifier: IconClassifier | None = None) -> None:
        self.policy = policy
        self.classifier = classifier if classifier is not None else load_classifier(policy.classifier)
        # icon sha256 -> classifier scores: each distinct icon is classified once; the pipeline preloads what
        # earlier scans stored (``preload``) and stores what is ``new_classifications``.
        self._classified: dict[str, dict[str, float]] = {}
        self.new_classifications: dict[str, dict[str, float]] = {}
        self._cache: dict[IconKey, IconHash | IconError] = {}
        # icon sha256 -> moderator-safe thumbnail (blurred greyscale PNG); the pipeline stores new ones.
        self.thumbnails: dict[str, bytes] = {}
        self._prefetch: IconPrefetch[IconKey] | None = None

    def cache_key(self) -> str:
        """Results depend on the snapshot (icon path), the policy and the classifier model. An icon file is
        taken to keep its content at a path a snapshot names: a new icon comes with a new snapshot."""
        return f"{self.version}:{self.classifier.model_id if self.classifier else 'none'}"

    def preload(self, classified: dict[str, dict[str, float]]) -> None:
        self._classified.update(classified)

    def _keep(self, key: IconKey, found: IconHash | IconError) -> None:
        if isinstance(found, IconHash):
            self.thumbnails[found.sha256] = found.thumbnail
        self._cache[key] = found

    def _hash(self, path: Path) -> IconHash | IconError:
        key = icon_key(path)
        if isinstance(key, IconError):
            return key
        if key not in self._cache:
            if self._prefetch is not None and key in self._prefetch:
                for done, found in self._prefetch.take(key).items():
                    self._keep(done, found)
            else:
                self._keep(key, hash_one(path, HashLimits.of(self.policy)))
        return self._cache[key]

    def prefetch(self, snapshots: Sequence[GroupSnapshot], context: ScanContext, workers: int,
                 min_icons: int = MIN_POOL_ICONS) -> int:
        """Start hashing, in ``workers`` processes, the icons of ``snapshots`` not hashed yet
        (``scanner.signals.icon_pool``); ``score`` collects them as its batches reach them. Does nothing for
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
        prefetch = adopted or IconPrefetch(HashLimits.of(self.policy), workers)
        for key, path in items.items():
            prefetch.add(key, path)
        prefetch.flush()
        self._prefetch = prefetch
        return prefetch.added

    def adopt(self, prefetch: IconPrefetch[IconKey]) -> None:
        """Collect icons from a prefetch started before this signal existed (``IconFeed``, while a cold scan
        reads its records)."""
        self.close()
        self._prefetch = prefetch

    def close(self) -> None:
        """Stop a prefetch: what it has not hashed yet is hashed here if still needed."""
        if self._prefetch is not None:
            self._prefetch.close()
            self._prefetch = None

    def score(self, snapshots: Sequence[GroupSnapshot], context: ScanContext) -> list[SignalResult]:
        if self.classifier is not None:
            self._classify_new(snapshots, context)
        return [self._one(snap, context) for snap in snapshots]

    def _classify_new(self, snapshots: Sequence[GroupSnapshot], context: ScanContext) -> None:
        """Run the classifier once, batched, over the icons of this batch it has not seen (by sha256)."""
        assert self.classifier is not None
        pending: dict[str, Path] = {}
        for path in _icon_paths(snapshots, context):
            found = self._hash(path)
            if isinstance(found, IconHash) and found.sha256 not in self._classified:
                pending.setdefault(found.sha256, path)
        if not pending:
            return
        images: list[np.ndarray | None] = []
        for path in pending.values():
            try:
                images.append(load_rgb(path.read_bytes(), self.policy.max_image_pixels))
            except (OSError, IconError):
                images.append(None)
        ready = [(sha, img) for sha, img in zip(pending, images, strict=True) if img is not None]
        for (sha, _), scores in zip(ready, self.classifier.classify([img for _, img in ready]), strict=True):
            self._classified[sha] = scores
            self.new_classifications[sha] = scores

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
        who, feature = "The platform's icon classifier", "upstream_classifier"
        local = self._classified.get(str(features.get("icon_sha256", "")))
        if local is not None and self.classifier is not None:
            features["icon_classifier"] = self.classifier.model_id
            if explicit is None or local["explicit"] > explicit:
                explicit = local["explicit"]
                who, feature = f"The {self.classifier.name} icon classifier ({self.classifier.model_id})", "classifier"
        if explicit is not None:
            features["explicit"] = explicit
            weight = explicit * self.policy.explicit_adult_weight
            if weight > 0:
                scores["adult_content"] = weight
                reasons.append(
                    Reason("icon", feature, f"{self.policy.explicit_label}={explicit:.2f}",
                           "adult_content", weight,
                           f"{who} scored the icon {explicit:.2f} explicit.")
                )
        return SignalResult(snap.group_id, self.name, scores, tuple(reasons), frozenset(), features)
