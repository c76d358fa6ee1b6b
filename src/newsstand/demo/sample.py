"""The offline demo: sample feeds shipped in the package, served as an RSSHub stand-in."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from .server import FeedServer, Resource

# route served by the stand-in -> (file, content type, category, source, channel)
FEEDS: dict[str, tuple[str, str, str, str, str]] = {
    "/demo/finance": (
        "finance.xml",
        "application/rss+xml; charset=utf-8",
        "金融",
        "示例财经",
        "示例财经－国内",
    ),
    "/demo/gbk-news": ("gbk-news.xml", "application/rss+xml", "新闻", "示例日报", "要闻"),
    "/demo/tech": (
        "tech.atom",
        "application/atom+xml; charset=utf-8",
        "Technology",
        "Example Tech",
        "Articles",
    ),
    "/demo/notes": (
        "notes.json",
        "application/feed+json; charset=utf-8",
        "Technology",
        "Example Notes",
        "Notes",
    ),
}


def _files(folder: str) -> Traversable:
    return resources.files("newsstand.demo").joinpath(folder)


PORT = 1200  # RSSHub's usual port: the same URLs run after run, so a rerun changes nothing


def demo_server() -> FeedServer:
    """A loopback server answering the demo routes and their images (not started)."""
    try:
        server = FeedServer(port=PORT)
    except OSError:  # taken (perhaps by a real RSSHub): any free port will do
        server = FeedServer()
    for route, (name, content_type, *_place) in FEEDS.items():
        body = _files("feeds").joinpath(name).read_bytes()
        # The feeds point their images at "{base}"; fill in where this server listens.
        body = body.replace(b"{base}", server.base.encode())
        server.routes[route] = Resource(body, content_type)
    types = {".jpg": "image/jpeg", ".png": "image/png"}  # raster only: the site keeps them
    for image in _files("images").iterdir():
        kind = types.get(image.name[image.name.rfind(".") :])
        if kind:
            server.routes[f"/images/{image.name}"] = Resource(image.read_bytes(), kind)
    return server


def demo_config(instance: str) -> str:
    """The demo's newsstand.toml, with ``instance`` as its RSSHub instance."""
    lines = [
        "# Written by `newsstand demo`: sample feeds served from 127.0.0.1.",
        "# `newsstand init` writes a commented starter config for your own feeds.",
        "[site]",
        'title = "newsstand demo"',
        'timezone = "Asia/Shanghai"',
        "",
        "[rsshub]",
        f'instances = ["{instance}"]',
        "",
        "[images]",
        "# the site keeps its own copies of the pictures, those inside the entries too:",
        "# it shows them after the demo's server is gone",
        "content = true",
        "",
        "[output.hexo]",
        'dir = "source/_posts"',
    ]
    for route, (_name, _type, category, source, channel) in FEEDS.items():
        lines += [
            "",
            "[[feeds]]",
            f'route = "{route}"',
            f'category = "{category}"',
            f'source = "{source}"',
            f'channel = "{channel}"',
        ]
    return "\n".join(lines) + "\n"
