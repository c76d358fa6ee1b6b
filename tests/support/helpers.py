"""Helpers for tests: small feed documents and config files written to disk."""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path


def _key(key: str) -> str:
    """A key of an inline table: bare when TOML allows it, else quoted ("img.example.com")."""
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)


# Tests run the job again and again within seconds: every feed is due on every run unless
# a test sets the schedule itself (the schedule tests do).
EVERY_RUN = {"interval": 0, "min_interval": 0}


def write_config(root: Path, feeds: list[dict], **sections: dict) -> Path:
    """Write a newsstand.toml under ``root``: ``sections`` by name, then ``[[feeds]]``.
    ``[fetch]`` fetches every feed on every run unless ``fetch`` says otherwise;
    ``[images]`` is off unless ``images`` is given."""
    sections["fetch"] = {**EVERY_RUN, **sections.get("fetch", {})}
    # Tests' feeds point their pictures at hosts on the internet (example.org, the seed
    # post's sinaimg.cn), and no test reaches the internet: the image pass is off unless
    # a test asks for it (``images={}`` for the defaults).
    sections.setdefault("images", {"enabled": False})
    lines: list[str] = []
    for name, table in sections.items():
        lines.append(f"[{name.replace('__', '.')}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        lines.append("")
    for feed in feeds:
        lines.append("[[feeds]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in feed.items()]
        lines.append("")
    root.mkdir(parents=True, exist_ok=True)
    path = root / "newsstand.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def rss(items: list[dict], title: str = "Test feed", link: str = "https://example.com/") -> bytes:
    """A small RSS 2.0 document; each item dict has title, link, guid, date, html."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<rss version="2.0"><channel><title>{title}</title><link>{link}</link>',
        "<description>test</description>",
    ]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title><![CDATA[{item['title']}]]></title>")
        if item.get("link"):
            parts.append(f"<link>{item['link']}</link>")
        if item.get("guid"):
            parts.append(f'<guid isPermaLink="false">{item["guid"]}</guid>')
        if item.get("date"):
            parts.append(f"<pubDate>{item['date']}</pubDate>")
        parts.append(f"<description><![CDATA[{item.get('html', '<p>text</p>')}]]></description>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


def dated_item(n: int, when: datetime, **extra) -> dict:
    """Item ``n`` of a feed for ``rss``, published at ``when``."""
    return {
        "title": f"Item {n}",
        "link": f"https://example.com/{n}",
        "guid": f"id-{n}",
        "date": format_datetime(when),
        "html": f"<p>Body of item {n}</p>",
        **extra,
    }


def serve_feed(server, path: str, items: list[dict]) -> str:
    """Serve ``rss(items)`` at ``path`` of the loopback ``server``; returns its URL."""
    from newsstand.demo.server import Resource

    server.routes[path] = Resource(rss(items), "application/rss+xml")
    return server.url(path)


SY = "http://purl.org/rss/1.0/modules/syndication/"


def titled_items(name: str, count: int) -> list[dict]:
    """``count`` items for ``rss``, titled and identified by ``name``."""
    return [{"title": f"{name} {i}", "guid": f"{name}-{i}"} for i in range(count)]


def with_channel(doc: bytes, channel_extra: str) -> bytes:
    """An RSS document with extra elements in its channel (and the sy namespace declared)."""
    doc = doc.replace(b'<rss version="2.0">', f'<rss version="2.0" xmlns:sy="{SY}">'.encode())
    return doc.replace(b"<channel>", b"<channel>" + channel_extra.encode(), 1)
