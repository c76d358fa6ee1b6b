"""A fetched picture's bytes -> a small WebP file of the site, or the reason it is refused.

Pure (runs in the worker processes). The bytes are decoded by Pillow, whatever the URL's
extension or the server's Content-Type claim, and only by its JPEG, PNG, GIF, WebP and
AVIF readers. The pixel count is checked from the header before anything is decoded, so
a decompression bomb (a few KB of PNG that would decode to gigabytes) costs nothing;
animations are judged by all their frames, and only the first frame is kept. An SVG is
never kept: opened from the site it would run its scripts on the site's origin, and
rasterising it would need a renderer that newsstand does not ship.

The file's name is the hash of its bytes: the same picture at 50 URLs, or in 50 entries,
is one file.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "AVIF")  # the only readers Pillow may use
MAX_PIXELS = 50_000_000  # width x height of a still picture (a 50 MP camera photo)
MAX_ANIMATION = 200_000_000  # width x height x frames of an animation
MAX_FRAMES = 2000
TALL = 2  # a thumbnail is at most this many times its width high (the top is kept)
AIM = 30_000  # bytes: a thumbnail's aim
QUALITIES = (80, 70, 60, 50, 40, 30)  # WebP qualities tried, until a file is within AIM
# libwebp's effort: 2 makes files ~4 % larger than 4 (the default) in a third of the time
# at 400 px and a quarter at 800 px (bench/bench_images.py's photos)
METHOD = 2
_SVG = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg\b", re.S | re.I
)

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard too (checked again below)


@dataclass(frozen=True, slots=True)
class Made:
    """A picture ready to publish."""

    name: str  # "<hash>.webp": the file's name in the cache and on the site
    data: bytes
    width: int  # pixels
    height: int  # pixels


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str  # one line: what the bytes were, and why they are not kept


def make(data: bytes, width: int, *, thumbnail: bool = True, aim: int = AIM) -> Made | Refused:
    """``data`` as a WebP at most ``width`` pixels wide (a thumbnail: also at most
    ``TALL`` times as high, and re-encoded at lower qualities until within ``aim`` bytes)."""
    if _SVG.match(data[:4096]):
        return Refused("an SVG picture: not published (its scripts would run on the site)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as im:
                return _make(im, width, thumbnail, aim)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Refused("a decompression bomb: too many pixels to decode")
    except UnidentifiedImageError:
        return Refused(f"not a picture newsstand keeps ({', '.join(FORMATS)})")
    except (OSError, ValueError, EOFError, SyntaxError, MemoryError) as exc:
        return Refused(f"a broken picture ({type(exc).__name__}: {str(exc)[:100]})")


def _make(im: Image.Image, width: int, thumbnail: bool, aim: int) -> Made | Refused:
    w, h = im.size
    if w < 1 or h < 1:
        return Refused("a picture without pixels")
    if w * h > MAX_PIXELS:
        return Refused(f"a decompression bomb: {w} x {h} pixels")
    frames = getattr(im, "n_frames", 1)
    if frames > MAX_FRAMES or frames * w * h > MAX_ANIMATION:
        return Refused(f"an animation too large to decode: {frames} frames of {w} x {h}")
    if im.format == "JPEG":  # decode at a fraction of the size when that is enough
        im.draft("RGB", (width, width * h // w or 1))
    im.seek(0)
    im.load()
    frame = ImageOps.exif_transpose(im)
    has_alpha = frame.mode in ("RGBA", "LA", "PA") or (
        frame.mode == "P" and "transparency" in frame.info
    )
    frame = frame.convert("RGBA" if has_alpha else "RGB")
    if frame.width > width:
        frame = frame.resize(
            (width, max(1, round(frame.height * width / frame.width))),
            Image.Resampling.BICUBIC,
            reducing_gap=3.0,  # a large reduction: by whole factors first (fast, as sharp)
        )
    if thumbnail and frame.height > TALL * frame.width:
        frame = frame.crop((0, 0, frame.width, TALL * frame.width))
    data = b""
    for quality in QUALITIES:
        out = io.BytesIO()
        frame.save(out, "WEBP", quality=quality, method=METHOD)
        data = out.getvalue()
        if not thumbnail or len(data) <= aim:
            break
    name = hashlib.sha256(data).hexdigest()[:32] + ".webp"
    return Made(name, data, frame.width, frame.height)
