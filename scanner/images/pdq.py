"""PDQ perceptual hashes of icons, from images read defensively.

Group icons come from untrusted uploads: decompression bombs, truncated files, huge dimensions and animated
images are ordinary. Each becomes an ``IconError`` with a clear reason; nothing here may crash a scan.
What is checked before Pillow sees a byte (issue 23): the file is a regular file (a FIFO hung the scan, a device
was read to 6 GB), its size is within the limit, and it is read with that bound; the format, from its magic
bytes, is one of ``FORMATS`` (an ICO decodes on open, an EPS named ``.png`` runs Ghostscript), and Pillow is told
to try that format only; the pixel count is checked from the header, before any decoding.
Hex form follows python-threatexchange: the 256 bits, most significant first, as 64 lowercase hex digits.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from scanner.files.safefile import UnreadableFile, read_bounded

PDQ_BITS = 256
PDQ_HEX_LENGTH = 64


class IconError(ValueError):
    """An icon that cannot be hashed, with the reason."""


@dataclass(frozen=True)
class IconHash:
    sha256: str
    pdq: str
    quality: int
    width: int
    height: int
    # The hashes of the image's eight rotations and flips (the first is ``pdq``): a re-uploaded icon is often
    # rotated or mirrored, and comparing against all eight catches it (measured on ThreatExchange's dih-- photos:
    # 106 to 128 bits from the original by the plain hash, 0 to 8 by the nearest dihedral hash).
    dihedral: tuple[str, ...] = ()
    # A moderator-safe rendering (see ``safe_thumbnail``), made only when asked for.
    thumbnail: bytes = b""


def bits_to_hex(bits: np.ndarray) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def hex_to_bytes(pdq_hex: str) -> np.ndarray:
    """A PDQ hex string as the 32-byte row faiss binary indexes take."""
    if len(pdq_hex) != PDQ_HEX_LENGTH:
        raise ValueError(f"PDQ hash must be {PDQ_HEX_LENGTH} hex digits, got {len(pdq_hex)}")
    return np.frombuffer(bytes.fromhex(pdq_hex), dtype=np.uint8)


def hamming(a: str, b: str) -> int:
    return int(np.unpackbits(hex_to_bytes(a) ^ hex_to_bytes(b)).sum())


def dihedral_distance(variants: tuple[str, ...] | list[str], other: str) -> int:
    """Distance from an image (its eight dihedral hashes) to a hash: the nearest of the eight."""
    return min(hamming(v, other) for v in variants)


# The formats icons come in, by the Pillow plugin name, and how each file starts. Nothing else is decoded.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")


def sniff_format(data: bytes) -> str:
    """The allowed format ``data`` starts like, or "" (checked before any decoder runs)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"BM"):
        return "BMP"
    return ""


def read_icon_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of an icon file, read only if it is a regular file of at most ``max_bytes``
    (``scanner.files.safefile``): never waits on a FIFO, never reads a device without end. Raises ``IconError``."""
    try:
        return read_bounded(path, max_bytes)
    except UnreadableFile as error:
        raise IconError(f"icon file {error}") from None


def load_rgb(data: bytes, max_pixels: int) -> np.ndarray:
    """Decode ``data`` into an RGB array, refusing what could hurt the scanner. EXIF is ignored on purpose:
    an uploader controls it, and PDQ's dihedral hashes cover rotations anyway."""
    kind = sniff_format(data)
    if not kind:
        raise IconError(f"not an image of an allowed format ({', '.join(FORMATS)}): starts {data[:8]!r}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])  # reads the header only for these formats
            width, height = image.size
            if width * height > max_pixels:
                raise IconError(f"image is {width}x{height}, over the {max_pixels}-pixel limit")
            if getattr(image, "is_animated", False):
                image.seek(0)  # the first frame is what clients show as the icon
            image.load()
    except IconError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise IconError(f"decompression bomb refused: {error}") from None
    except (OSError, ValueError, SyntaxError, Image.UnidentifiedImageError) as error:
        raise IconError(f"not a readable image: {error}") from None
    except Exception as error:  # a decoder's own bug (struct.error, IndexError...) is the file's fault, not the scan's
        raise IconError(f"not a readable image: {type(error).__name__}: {error}") from None
    if image.width < 8 or image.height < 8:
        raise IconError(f"image is {image.width}x{image.height}, too small to hash")
    return np.asarray(image.convert("RGB"))


def safe_thumbnail(rgb: np.ndarray, size: int = 96, blur: float = 6.0) -> bytes:
    """A small, blurred, greyscale PNG of an icon: what a moderator sees by default. The blur keeps a shape
    recognisable for triage without showing detail; the original is shown only on an audited reveal."""
    from PIL import ImageFilter

    image = Image.fromarray(rgb).convert("L")
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    image = image.filter(ImageFilter.GaussianBlur(blur * image.width / size))
    out = io.BytesIO()
    # zlib level 4, not ``optimize``: 0.34 against 2.5 ms an icon (most of hashing an icon) for 5 % more bytes.
    image.save(out, format="PNG", compress_level=4)
    return out.getvalue()


def hash_icon_bytes(data: bytes, max_pixels: int = 4_000_000, thumbnail_size: int | None = None,
                    thumbnail_blur: float = 6.0, on_decoded: Callable[[np.ndarray], None] | None = None) -> IconHash:
    """``on_decoded`` sees the decoded image (the icon classifier works from it: one decode per icon)."""
    rgb = load_rgb(data, max_pixels)
    if on_decoded is not None:
        on_decoded(rgb)
    hashes, quality = pdqhash.compute_dihedral(rgb)
    dihedral = tuple(bits_to_hex(bits) for bits in hashes)
    thumbnail = safe_thumbnail(rgb, thumbnail_size, thumbnail_blur) if thumbnail_size else b""
    return IconHash(hashlib.sha256(data).hexdigest(), dihedral[0], int(quality), rgb.shape[1], rgb.shape[0], dihedral,
                    thumbnail)


def hash_icon_file(path: Path, max_bytes: int = 5_000_000, max_pixels: int = 4_000_000,
                   thumbnail_size: int | None = None, thumbnail_blur: float = 6.0,
                   on_decoded: Callable[[np.ndarray], None] | None = None) -> IconHash:
    data = read_icon_file(path, max_bytes)
    try:
        return hash_icon_bytes(data, max_pixels, thumbnail_size, thumbnail_blur, on_decoded)
    except IconError:
        raise
    except Exception as error:  # one icon never stops a scan, whatever the hasher trips on
        raise IconError(f"icon could not be hashed: {type(error).__name__}: {error}") from None
