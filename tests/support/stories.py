"""The Chinese story fixtures (tests/data/stories/zh_events.jsonl, written for these tests:
the same event as several outlets would headline it) served as one feed per outlet."""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import format_datetime

from newsstand.demo.server import Resource
from support.helpers import rss
from support.paths import DATA

FIXTURES = DATA / "stories" / "zh_events.jsonl"


def fixtures(*clusters: str) -> list[dict]:
    """The fixture entries of the named events (all of them when none is named)."""
    rows = [json.loads(line) for line in FIXTURES.open(encoding="utf-8")]
    return [r for r in rows if not clusters or r["cluster"] in clusters]


def item(row: dict) -> dict:
    return {
        "title": row["title"],
        "link": f"https://{row['source']}.example/{row['id']}",
        "guid": row["id"],
        "date": format_datetime(datetime.fromisoformat(row["published"])),
        "html": f"<p>{row['text']}</p>",
    }


def serve_outlets(server, rows: list[dict], category: str = "金融") -> list[dict]:
    """Serve ``rows`` as one feed per outlet; the ``[[feeds]]`` tables for them."""
    by_source: dict[str, list[dict]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(item(row))
    feeds = []
    for n, (source, items) in enumerate(sorted(by_source.items())):
        path = f"/outlet{n}.xml"
        server.routes[path] = Resource(rss(items, title=source), "application/rss+xml")
        feeds.append({"url": server.url(path), "category": category, "source": source})
    return feeds
