"""The site's icons, drawn here without an image library (pure): the ``favicon.ico``
browsers ask for, and the PNGs a phone puts on its home screen (the web manifest's, and
Apple's touch icon). The same picture as the shipped ``static/favicon.svg``: a page of
news, a headline bar and three lines, on the site's accent colour.
"""

from __future__ import annotations

import math
import struct
import zlib

ACCENT = bytes((0x25, 0x63, 0xEB, 0xFF))  # style.css --accent (light)
WHITE = bytes((0xFF, 0xFF, 0xFF, 0xFF))
CLEAR = bytes(4)
CORNER = 0.22  # corner radius, as a share of the side
# the headline and the lines: (left, right, top, bottom), as shares of the side
BARS = (
    (0.22, 0.78, 0.22, 0.36),
    (0.22, 0.78, 0.46, 0.53),
    (0.22, 0.78, 0.60, 0.67),
    (0.22, 0.60, 0.74, 0.81),
)
PNGS = {"icon-192.png": 192, "icon-512.png": 512, "apple-touch-icon.png": 180}
ICO_SIZES = (16, 32, 48)


def _row(size: int, y: int) -> bytes:
    """One row of RGBA pixels, with PNG's filter byte (none) in front."""
    radius, middle = size * CORNER, y + 0.5
    edge = min(middle, size - middle)  # distance from the nearer of top and bottom
    inset = radius - math.sqrt(max(0.0, radius**2 - (radius - edge) ** 2)) if edge < radius else 0
    left = round(inset)
    row = bytearray(CLEAR * size)
    row[left * 4 : (size - left) * 4] = ACCENT * (size - 2 * left)
    for x0, x1, y0, y1 in BARS:
        if y0 * size <= middle < y1 * size:
            a, b = round(x0 * size), round(x1 * size)
            row[a * 4 : b * 4] = WHITE * (b - a)
    return b"\0" + bytes(row)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(size: int) -> bytes:
    """The icon as a ``size`` × ``size`` PNG (8-bit RGBA)."""
    pixels = b"".join(_row(size, y) for y in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(pixels, 9))
        + _chunk(b"IEND", b"")
    )


def favicon_ico() -> bytes:
    """``favicon.ico``: the icon at 16, 32 and 48 pixels, each a PNG inside the ICO."""
    images = [png(size) for size in ICO_SIZES]
    offset = 6 + 16 * len(images)
    entries = b""
    for size, data in zip(ICO_SIZES, images, strict=True):
        entries += struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return struct.pack("<HHH", 0, 1, len(images)) + entries + b"".join(images)


def static_icons() -> dict[str, bytes]:
    """The PNG icons, by their name under ``static/``."""
    return {name: png(size) for name, size in PNGS.items()}
