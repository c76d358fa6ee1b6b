"""Pictures for the image tests, made here: photos of noise and gradients (which do not
compress to nothing), a PNG decompression bomb, an SVG with a script, HTML posing as a
JPEG, and loopback hosts that serve them the way real image hosts do."""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler

from PIL import Image

from newsstand.demo.server import FeedServer, Resource
from support.helpers import rss

SVG_MARKER = "svg-script-ran-on-the-site"
WEIBO = "https://weibo.example/"  # the Referer the sinaimg-like host wants


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


def image_hosts(server: FeedServer) -> Iterator[tuple[FeedServer, FeedServer, FeedServer, str]]:
    """For a fixture: (the feed's host, the sinaimg-like host, the no-Referer host, a down
    host's base URL)."""
    with FeedServer(host="127.0.0.2") as sina, FeedServer(host="127.0.0.3") as wechat:
        down = FeedServer()
        gone = down.base
        down.stop()  # never served: its port is closed now
        yield server, sina, wechat, gone


def item(n: int, picture: str, link: str, text: str = "") -> dict:
    return {
        "title": f"第{n}条新闻",
        "link": link,
        "guid": f"g{n}",
        "date": f"Fri, {10 + n:02d} May 2024 08:00:00 GMT",
        "html": f'<p><img width="1200" src="{picture}" height="800" alt="图{n}"></p>'
        f"<p>{text or '正文' * 20}</p>",
    }


def setup(hosts, make_config, **images):
    server, sina, wechat, gone = hosts
    sina.routes["/large/a.jpg"] = wants_referer(WEIBO, photo(seed=1))
    wechat.routes["/mmbiz/b.png"] = wants_referer(None, photo(seed=2, fmt="PNG"), "image/png")
    server.routes["/pics/bomb.png"] = Resource(png_bomb(), "image/png")
    server.routes["/pics/script.svg"] = Resource(SVG, "image/svg+xml")
    server.routes["/pics/html.jpg"] = Resource(HTML_AS_JPEG, "image/jpeg")
    server.routes["/pics/same.jpg"] = Resource(photo(seed=1), "image/jpeg")  # a's bytes
    for n in range(1, 9):
        server.routes[f"/news/{n}.html"] = Resource(b"<p>page</p>", "text/html")
    pictures = [
        sina.url("/large/a.jpg"),
        wechat.url("/mmbiz/b.png"),
        server.url("/pics/bomb.png"),
        server.url("/pics/script.svg"),
        server.url("/pics/html.jpg"),
        gone + "/down.jpg",
        sina.url("/large/a.jpg"),  # the same picture in another entry
        server.url("/pics/same.jpg"),  # the same bytes at another URL
    ]
    items = [item(n, p, server.url(f"/news/{n}.html")) for n, p in enumerate(pictures, 1)]
    server.routes["/feed.xml"] = Resource(rss(items), "application/rss+xml")
    referers = {"127.0.0.2": WEIBO.rstrip("/") + "/", "127.0.0.3": ""}
    config = make_config(
        [{"url": server.url("/feed.xml"), "category": "新闻", "source": "示例"}],
        site={"url": "https://news.example.org"},
        images={"referers": referers, **images},
        fetch={"retries": 0},
    )
    return config, pictures
