"""Abstract group icons, their near-duplicate variants, and PDQ helpers.

Icons are synthetic abstract pictures (a gradient, smooth colour noise and a few
flat geometric shapes), posterised to 5 bits per channel so a 96x96 PNG stays
around 3 KB. Such images have enough structure for a PDQ quality of 50 or more
and land about 128 bits apart from each other, like unrelated photos do.
Near-duplicate variants (resized, re-coloured, hue-shifted, 1px-cropped,
JPEG-recompressed, brightened) mimic how a ring reuses one picture across
groups; a few deliberately far variants (3% crop, mirror) show PDQ's limits.

PDQ hex follows python-threatexchange: the 256 bits from ``pdqhash.compute``
packed most-significant-bit first (``numpy.packbits``) and written as 64
lowercase hex characters.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pdqhash
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

SIZE = 96


def pdq_bits(img: Image.Image) -> tuple[np.ndarray, int]:
    """256 PDQ bits (uint8 0/1) and quality for an image."""
    bits, quality = pdqhash.compute(np.asarray(img.convert("RGB")))
    return bits.astype(np.uint8), int(quality)


def bits_to_hex(bits: np.ndarray) -> str:
    """MSB-first packing, as python-threatexchange writes PDQ hashes."""
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def hex_to_bits(hex_str: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(hex_str), dtype=np.uint8))


def png_bytes(img: Image.Image) -> bytes:
    """PNG with fixed options (no metadata) so output is byte-identical per seed."""
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _smooth_noise(rng: np.random.Generator, size: int) -> np.ndarray:
    k = int(rng.integers(3, 7))
    amp = float(rng.uniform(20, 50))
    out = np.zeros((size, size, 3), np.float32)
    for c in range(3):
        grid = Image.fromarray(rng.normal(0, 1, (k, k)).astype(np.float32), mode="F")
        out[:, :, c] = np.asarray(grid.resize((size, size), Image.BICUBIC)) * amp
    return out


def draw_abstract(rng: np.random.Generator, size: int = SIZE) -> Image.Image:
    """One abstract icon: gradient + smooth noise + 4-8 flat shapes, posterised."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    angle = rng.uniform(0, 2 * math.pi)
    t = math.cos(angle) * xx + math.sin(angle) * yy
    t = (t - t.min()) / (t.max() - t.min())
    c0 = rng.integers(0, 256, 3)
    c1 = rng.integers(0, 256, 3)
    arr = c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]
    arr = arr + _smooth_noise(rng, size)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(4, 9))):
        kind = int(rng.integers(0, 4))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        x0, y0 = (int(v) for v in rng.integers(-20, size, 2))
        w, h = (int(v) for v in rng.integers(12, 60, 2))
        box = [x0, y0, x0 + w, y0 + h]
        if kind == 0:
            draw.ellipse(box, fill=colour)
        elif kind == 1:
            draw.rectangle(box, fill=colour)
        elif kind == 2:
            pts = [tuple(int(v) for v in rng.integers(-10, size + 10, 2)) for _ in range(3)]
            draw.polygon(pts, fill=colour)
        else:
            pts = [tuple(int(v) for v in rng.integers(0, size, 2)) for _ in range(2)]
            draw.line(pts, fill=colour, width=int(rng.integers(2, 7)))
    return ImageOps.posterize(img, 5)


# ----------------------------------------------------------------- variants
def _resize(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    side = int(rng.choice([64, 72, 128]))
    return img.resize((side, side), Image.LANCZOS)


def _down_up(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    side = int(rng.integers(40, 60))
    return img.resize((side, side), Image.BILINEAR).resize(img.size, Image.BICUBIC)


def _recolour(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Rotate chroma in YCbCr: colours change, luminance (what PDQ sees) barely does."""
    arr = np.asarray(img.convert("YCbCr")).astype(np.float32)
    theta = math.radians(float(rng.uniform(60, 300)))
    cb, cr = arr[..., 1] - 128, arr[..., 2] - 128
    arr[..., 1] = 128 + cb * math.cos(theta) - cr * math.sin(theta)
    arr[..., 2] = 128 + cb * math.sin(theta) + cr * math.cos(theta)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "YCbCr").convert("RGB")


def _hue(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    shift = int(rng.integers(6, 12)) * int(rng.choice([-1, 1]))
    h, s, v = img.convert("HSV").split()
    h = h.point(lambda p: (p + shift) % 256)
    return Image.merge("HSV", (h, s, v)).convert("RGB")


def _jpeg(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=int(rng.integers(25, 55)))
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _brightness(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    return ImageEnhance.Brightness(img).enhance(float(rng.choice([0.8, 0.85, 1.15, 1.2])))


def _crop(img: Image.Image, rng: np.random.Generator, frac: float = 0.011) -> Image.Image:
    w, h = img.size
    c = max(1, round(w * frac))
    return img.crop((c, c, w - c, h - c)).resize((w, h), Image.BICUBIC)


def _crop_far(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    return _crop(img, rng, 0.03)


def _mirror(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    return ImageOps.mirror(img)


NEAR_TRANSFORMS = {
    "resize": _resize, "downup": _down_up, "recolour": _recolour, "hue": _hue,
    "jpeg": _jpeg, "brightness": _brightness, "crop1px": _crop,
}
FAR_TRANSFORMS = {"crop3pct": _crop_far, "mirror": _mirror}


def make_variant(base: Image.Image, rng: np.random.Generator, far: str | None = None
                 ) -> tuple[Image.Image, str]:
    """A near-duplicate of ``base`` and a '+'-joined description of the steps.

    ``far`` names a FAR_TRANSFORMS step to produce a deliberately distant variant.
    "resize" is applied last so the saved file really has the new size.
    """
    if far is not None:
        steps = [far]
    else:
        names = sorted(NEAR_TRANSFORMS)
        n = 1 if rng.random() < 0.6 else 2
        steps = [str(s) for s in rng.choice(names, size=n, replace=False)]
        steps.sort(key=lambda s: s == "resize")
    img = base
    for step in steps:
        fn = FAR_TRANSFORMS.get(step) or NEAR_TRANSFORMS[step]
        img = fn(img, rng)
    return img.convert("RGB"), "+".join(steps)


class IconBank:
    """Every icon hash issued so far, to keep unrelated icons far apart.

    New singleton icons and family bases are redrawn until they are at least
    ``min_new`` bits from everything issued; variants must stay ``min_other``
    bits from every icon of another family. This makes "no two unrelated icons
    within PDQ distance 31" true by construction (check.py verifies it).
    """

    def __init__(self, rng: np.random.Generator, min_quality: int = 70,
                 min_new: int = 64, min_other: int = 44) -> None:
        self.rng = rng
        self.min_quality = min_quality
        self.min_new = min_new
        self.min_other = min_other
        self._words = np.zeros((0, 4), dtype=np.uint64)
        self._family: list[str] = []

    @staticmethod
    def _pack(bits: np.ndarray) -> np.ndarray:
        return np.packbits(bits).view(np.uint64)

    def _add(self, bits: np.ndarray, family: str) -> None:
        self._words = np.vstack([self._words, self._pack(bits)[None, :]])
        self._family.append(family)

    def _min_dist(self, bits: np.ndarray, skip_family: str | None = None) -> int:
        if not self._family:
            return 256
        d = np.bitwise_count(self._words ^ self._pack(bits)[None, :]).sum(axis=1)
        if skip_family is not None:
            d = d[np.array([f != skip_family for f in self._family])]
        return int(d.min()) if d.size else 256

    def new_base(self, family: str, register: bool = True) -> tuple[Image.Image, str, int]:
        """A fresh abstract image far from all issued icons; returns (image, pdq hex, quality)."""
        while True:
            img = draw_abstract(self.rng)
            bits, q = pdq_bits(img)
            if q >= self.min_quality and self._min_dist(bits) >= self.min_new:
                if register:
                    self._add(bits, family)
                return img, bits_to_hex(bits), q

    def new_variant(self, base: Image.Image, family: str, far: str | None = None
                    ) -> tuple[Image.Image, str, str, int]:
        """A variant of a family base; returns (image, transform, pdq hex, quality)."""
        for _ in range(50):
            img, steps = make_variant(base, self.rng, far)
            bits, q = pdq_bits(img)
            if q >= 60 and self._min_dist(bits, skip_family=family) >= self.min_other:
                self._add(bits, family)
                return img, steps, bits_to_hex(bits), q
        raise RuntimeError(f"could not make a distinct variant for {family}")
