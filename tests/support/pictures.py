"""Pictures for the image tests, made here: photos of noise and gradients (which do not
compress to nothing), a PNG decompression bomb, an SVG with a script, HTML posing as a
JPEG, and loopback hosts that serve them the way real image hosts do."""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from PIL import Image

from newsstand.demo.server import Resource

SVG_MARKER = "svg-script-ran-on-the-site"


def photo(width: int = 1200, height: int = 800, seed: int = 1, fmt: str = "JPEG") -> bytes:
    """A photo-like picture: a gradient with noise, as a camera makes."""
    rng = random.Random(seed)
    small = Image.new("RGB", (48, 32))
    small.putdata(
        [
            (
                (x * 5 + rng.randrange(60)) % 256,
                (y * 7 + rng.randrange(60)) % 256,
                (seed * 40 + rng.randrange(60)) % 256,
            )
            for y in range(32)
            for x in range(48)
        ]
    )
    im = small.resize((width, height), Image.Resampling.BICUBIC)
    noise = Image.frombytes("L", (width, height), rng.randbytes(width * height)).convert("RGB")
    im = Image.blend(im, noise, 0.15)
    out = io.BytesIO()
    if fmt == "PNG":
        im = im.convert("RGBA")
        im.putalpha(200)
    im.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def png_bomb(side: int = 20_000) -> bytes:
    """A real ``side`` x ``side`` 1-bit PNG of zeros: ~50 MB of pixels in a few KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


SVG = (
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">'
    f'<script>document.title = "{SVG_MARKER}"</script><rect width="400" height="300"'
    ' fill="red"/></svg>'
).encode()
HTML_AS_JPEG = b"<!DOCTYPE html><html><head><title>Not found</title></head><body>gone</body></html>"


def wants_referer(
    referer: str | None, body: bytes, kind: str = "image/jpeg"
) -> Callable[[BaseHTTPRequestHandler], Resource]:
    """A route that answers 403 unless the request's Referer is ``referer`` (None: the
    request must carry no Referer at all), as sinaimg.cn and mmbiz.qpic.cn do."""

    def answer(handler: BaseHTTPRequestHandler) -> Resource:
        if handler.headers.get("Referer") != referer:
            return Resource(b"hotlinking forbidden", "text/plain", status=403)
        return Resource(body, kind)

    return answer
