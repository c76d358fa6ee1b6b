"""The whole run over a loopback server: history kept, nothing rewritten needlessly; on
each store backend (SQLite, PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.helpers import rss

from newsstand import pipeline, workers
from newsstand.demo.server import Resource

pytestmark = pytest.mark.usefixtures("store_url")


def items(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "title": f"Item {i}",
            "link": f"https://example.com/{i}",
            "guid": f"g{i}",
            "date": f"Mon, 0{1 + i % 9} Jan 2024 10:00:00 GMT",
            "html": f'<p>text {i}</p><img src="/img/{i}.png">',
        }
        for i in range(start, start + n)
    ]


def posts(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*.md")}


def test_second_run_is_304_and_touches_nothing(server, make_config) -> None:
    server.routes["/a"] = Resource(rss(items(3)))
    config = make_config([{"url": server.url("/a"), "category": "c", "source": "s"}])
    first = pipeline.run(config)
    assert first.feeds[0].new == 3 and first.published.written == 3
    before = posts(config.hexo.dir)
    second = pipeline.run(config)
    assert second.feeds[0].status == 304 and second.published.written == 0
    assert posts(config.hexo.dir) == before
    assert "If-None-Match" in server.requests[-1][1]


def test_history_is_kept_and_only_new_posts_are_written(server, make_config) -> None:
    server.routes["/a"] = Resource(rss(items(3)))
    config = make_config([{"url": server.url("/a"), "category": "c", "source": "s"}])
    pipeline.run(config)
    before = posts(config.hexo.dir)
    server.routes["/a"] = Resource(rss(items(2, start=3)))  # the old items scrolled off
    summary = pipeline.run(config)
    assert summary.feeds[0].new == 2 and summary.published.written == 2
    after = posts(config.hexo.dir)
    assert len(after) == 5 and all(after[p] == before[p] for p in before)


def test_a_failing_feed_is_reported_and_loses_nothing(server, make_config) -> None:
    server.routes["/a"] = Resource(rss(items(2)))
    server.routes["/b"] = Resource(rss(items(2, start=10)))
    config = make_config(
        [
            {"url": server.url("/a"), "category": "c", "source": "a"},
            {"url": server.url("/b"), "category": "c", "source": "b"},
        ]
    )
    pipeline.run(config)
    server.routes["/a"] = Resource(b"<html><body>oops</body></html>", "text/html")
    server.routes["/b"] = Resource(rss(items(3, start=10)))
    summary = pipeline.run(config)
    assert [r.ok for r in summary.feeds] == [False, True]
    assert "not a feed" in summary.feeds[0].error.lower() or "html" in summary.feeds[0].error
    assert len(posts(config.hexo.dir)) == 5
    data = summary.to_json()
    assert data["feeds"]["failed"] == 1 and data["feeds"]["failures"][0]["feed"].endswith("/a")


def test_limit_include_exclude(server, make_config) -> None:
    server.routes["/a"] = Resource(rss(items(6)))
    config = make_config(
        [{"url": server.url("/a"), "category": "c", "source": "s", "limit": 2, "exclude": "Item 0"}]
    )
    summary = pipeline.run(config)
    assert summary.feeds[0].new == 2
    titles = sorted(p.name.split("-")[0] for p in config.hexo.dir.rglob("*.md"))
    assert titles == ["Item 1", "Item 2"]


def test_removed_feed_takes_its_posts_along(server, make_config, tmp_path) -> None:
    server.routes["/a"] = Resource(rss(items(2)))
    server.routes["/b"] = Resource(rss(items(2, start=5)))
    feeds = [
        {"url": server.url("/a"), "category": "c", "source": "a"},
        {"url": server.url("/b"), "category": "c", "source": "b"},
    ]
    config = make_config(feeds)
    pipeline.run(config)
    mine = config.hexo.dir / "c" / "note.md"
    mine.write_text("mine")
    config = make_config(feeds[:1])
    summary = pipeline.run(config)
    assert summary.published.removed == 2
    assert sorted(p.parent.parent.name for p in config.hexo.dir.rglob("*.md") if p != mine) == [
        "a",
        "a",
    ]
    assert mine.read_text() == "mine"
    assert not (config.hexo.dir / "c" / "b").exists()


def test_many_feeds_at_once(server, make_config) -> None:
    feeds = []
    for n in range(12):
        server.routes[f"/f{n}"] = Resource(rss(items(3, start=n * 10)))
        feeds.append({"url": server.url(f"/f{n}"), "category": "c", "source": f"s{n}"})
    config = make_config(feeds)
    summary = pipeline.run(config)
    assert all(r.ok for r in summary.feeds) and sum(r.new for r in summary.feeds) == 36
    assert len(posts(config.hexo.dir)) == 36


def test_changed_settings_rewrite_every_post(server, make_config) -> None:
    server.routes["/a"] = Resource(rss(items(3)))
    feeds = [{"url": server.url("/a"), "category": "c", "source": "s"}]
    pipeline.run(make_config(feeds))
    config = make_config(feeds, output__hexo={"date_format": "rfc822"})
    summary = pipeline.run(config)
    assert summary.feeds[0].status == 304 and summary.published.written == 3
    for post in config.hexo.dir.rglob("*.md"):
        assert re.search(r"\ndate: \w{3}, 0\d Jan 2024 10:00:00 GMT\n", post.read_text("utf-8"))
    assert pipeline.run(config).published.written == 0


def test_retention_removes_stored_items_and_their_posts(server, make_config) -> None:
    server.routes["/a"] = Resource(rss(items(4)))
    feed = {"url": server.url("/a"), "category": "c", "source": "s"}
    pipeline.run(make_config([feed]))
    config = make_config([{**feed, "keep_per_feed": 2}])
    server.routes["/a"] = Resource(rss(items(4)) + b" ")  # a changed body: fetched again
    summary = pipeline.run(config)
    assert summary.retention_removed == 2 and summary.published.removed == 2
    kept = posts(config.hexo.dir)
    assert len(kept) == 2
    server.routes["/a"] = Resource(rss(items(4)) + b"  ")  # still in the feed: no churn
    again = pipeline.run(config)
    assert again.feeds[0].new == 0 and again.retention_removed == 0
    assert again.feeds[0].updated == 0, again.feeds
    assert again.published.written == 0 and again.published.removed == 0
    assert posts(config.hexo.dir) == kept


def test_unchanged_feeds_without_validators_change_nothing(server, make_config) -> None:
    # No ETag/Last-Modified: every run gets the whole body again (parsed in fresh worker
    # processes, as there are enough feeds), and must still find nothing new.
    feeds = []
    for n in range(workers.POOL_THRESHOLD + 1):
        server.routes[f"/f{n}"] = Resource(rss(items(2, start=n * 10)), etag="")
        feeds.append({"url": server.url(f"/f{n}"), "category": "c", "source": f"s{n}"})
    config = make_config(feeds)
    pipeline.run(config)
    before = posts(config.hexo.dir)
    again = pipeline.run(config)
    assert {r.status for r in again.feeds} == {200}
    assert sum(r.new + r.updated for r in again.feeds) == 0
    assert again.published.written == 0 and posts(config.hexo.dir) == before
