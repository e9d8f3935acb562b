"""Icon signal: PDQ hash of the icon (computed here or given upstream) and upstream classifier scores.

Explicit-imagery scores from the platform's own classifier are taken as given (we never look at the image for
content here; the ONNX icon classifier is a later plugin). An explicit icon alone suggests adult content; the
combination with minor indicators in the text is scored in ``scanner.scoring``, where signals meet.
Files are hashed once per distinct path and content: icons are reused across groups and across re-scans.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scanner.policy import IconPolicy
from scanner.reasons import Reason
from scanner.schema import GroupSnapshot
from scanner.signals.base import ScanContext, SignalResult
from scanner.signals.pdq import IconError, IconHash, hash_icon_file


class IconSignal:
    name = "icon"
    version = "1"

    def __init__(self, policy: IconPolicy) -> None:
        self.policy = policy
        self._cache: dict[tuple[Path, int, int], IconHash | IconError] = {}
        # icon sha256 -> moderator-safe thumbnail (blurred greyscale PNG); the pipeline stores new ones.
        self.thumbnails: dict[str, bytes] = {}

    def _hash(self, path: Path) -> IconHash | IconError:
        try:
            stat = path.stat()
            key = (path, stat.st_size, stat.st_mtime_ns)
        except OSError as error:
            return IconError(f"icon file unreadable: {error.strerror}")
        if key not in self._cache:
            try:
                found = hash_icon_file(path, self.policy.max_image_bytes, self.policy.max_image_pixels,
                                       self.policy.thumbnail_size, self.policy.thumbnail_blur)
                self.thumbnails[found.sha256] = found.thumbnail
                self._cache[key] = found
            except IconError as error:
                self._cache[key] = error
        return self._cache[key]

    def score(self, snapshots: Sequence[GroupSnapshot], context: ScanContext) -> list[SignalResult]:
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
        if explicit is not None:
            features["explicit"] = explicit
            weight = explicit * self.policy.explicit_adult_weight
            if weight > 0:
                scores["adult_content"] = weight
                reasons.append(
                    Reason("icon", "upstream_classifier", f"{self.policy.explicit_label}={explicit:.2f}",
                           "adult_content", weight,
                           f"The platform's icon classifier scored the icon {explicit:.2f} explicit.")
                )
        return SignalResult(snap.group_id, self.name, scores, tuple(reasons), frozenset(), features)
