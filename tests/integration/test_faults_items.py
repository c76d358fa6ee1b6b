"""Awkward items through the whole run: no titles, too many, too big, repeated ids, odd
and missing dates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from support.faultsite import Site, items, run_cli
from support.helpers import rss

from newsstand.demo.server import FeedServer, Resource


def front(post: bytes) -> dict:
    return yaml.safe_load(post.decode("utf-8").split("\n---\n", 1)[0][4:])


def bad_posts(site: Site) -> list[dict]:
    return [front(d) for p, d in site.posts().items() if p.startswith("c/bad/")]


def item(n: int, **fields: str) -> dict:
    return {
        "title": f"bad item {n}",
        "guid": f"bad-{n}",
        "link": f"https://example.com/b/{n}",
        "date": "Thu, 01 Apr 2021 00:12:07 GMT",
        "html": f"<p>text {n}</p>",
        **fields,
    }


def test_untitled_items_take_words_of_their_text_then_their_date(
    server: FeedServer, tmp_path: Path
) -> None:
    site = Site(server, tmp_path)
    site.second_run(
        Resource(
            rss(
                [
                    item(10, title="", html="<p>Words of the text stand in for the title</p>"),
                    item(11, title="   ", html="<p></p>", date="Fri, 02 Apr 2021 03:04:05 GMT"),
                ]
            )
        )
    )
    titles = {p["title"] for p in bad_posts(site)}
    assert "Words of the text stand in for the title" in titles
    assert "2021-04-02 03:04" in titles


def test_10000_items_keep_only_the_limit(server: FeedServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path, fetch={"max_bytes": 8_000_000})
    site.first_run()
    config = site.config.read_text().replace('source = "bad"', 'source = "bad"\nlimit = 50')
    site.config.write_text(config)
    server.routes["/bad"] = Resource(rss([item(n) for n in range(100, 10_100)]))
    second = run_cli(site.config)
    assert second.code == 0 and second.data["feeds"]["failed"] == 0, second.output
    assert site.entries("bad") == 3 + 50 and len(bad_posts(site)) == 53


@pytest.mark.slow
def test_a_20_mb_item_is_cut_at_the_cap_or_stored_when_the_cap_allows(
    server: FeedServer, tmp_path: Path
) -> None:
    huge = rss([item(20, html="<p>" + "大" * (7 * 1024 * 1024) + "</p>")])  # 21 MB
    assert len(huge) > 20_000_000
    reason = Site(server, tmp_path / "a").fault(Resource(huge)).failure("/bad")["reason"]
    assert "limit" in reason
    site = Site(server, tmp_path / "b", fetch={"max_bytes": 64 * 1024 * 1024, "timeout": 30})
    second = site.second_run(Resource(huge))
    assert second.data["feeds"]["failed"] == 0 and site.entries("bad") == 4


def test_duplicate_ids_and_a_link_under_a_changed_id(server: FeedServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path)
    second = site.second_run(
        Resource(
            rss(
                [
                    item(1, guid="same", title="first under same"),
                    item(2, guid="same", title="second under same"),
                    {
                        **items("bad", 1)[0],
                        "guid": "bad-0-renamed",
                    },  # bad item 0: same link, a new id
                ]
            )
        )
    )
    assert second.data["feeds"]["failed"] == 0
    titles = sorted(p["title"] for p in bad_posts(site))
    assert titles.count("bad item 0") == 1, titles
    assert "first under same" in titles and "second under same" in titles
    assert site.entries("bad") == 5
    again = run_cli(site.config)  # the same document again: nothing new, nothing doubled
    assert again.code == 0 and site.entries("bad") == 5 and len(bad_posts(site)) == 5


def test_missing_and_unparseable_dates_keep_their_first_seen_time(
    server: FeedServer, tmp_path: Path
) -> None:
    site = Site(server, tmp_path)
    document = rss([item(5, date=""), item(6, date="sometime last week, probably")])
    site.second_run(Resource(document))
    dates = {p["title"]: p["date"] for p in bad_posts(site)}
    server.routes["/bad"] = Resource(document + b" ")  # fetched and parsed again
    later = run_cli(site.config)
    assert later.code == 0
    assert {p["title"]: p["date"] for p in bad_posts(site)} == dates
    assert dates["bad item 5"] and dates["bad item 6"]


def test_chinese_dates_are_read_in_the_feed_or_site_timezone(
    server: FeedServer, tmp_path: Path
) -> None:
    site = Site(
        server, tmp_path, site={"timezone": "Asia/Shanghai"}, output__hexo={"date_format": "iso"}
    )
    config = site.config.read_text()
    site.config.write_text(
        config.replace('source = "good"', 'source = "good"\ntimezone = "Asia/Tokyo"')
    )
    site.first_run()
    server.routes["/bad"] = Resource(
        rss([item(7, date="2021年04月01日 08:12"), item(8, date="2021-04-01 08:12:07")])
    )
    server.routes["/good"] = Resource(
        rss([{"title": "tokyo", "guid": "t", "date": "2021-04-01 08:12:07"}])
    )
    assert run_cli(site.config).code == 0
    dates = {p["title"]: p["date"] for p in bad_posts(site)}
    assert dates["bad item 7"] == "2021-04-01T08:12:00+08:00"
    assert dates["bad item 8"] == "2021-04-01T08:12:07+08:00"
    (tokyo,) = [front(d) for p, d in site.posts().items() if "tokyo" in p]
    assert tokyo["date"] == "2021-04-01T07:12:07+08:00"  # 08:12:07 in Tokyo


def test_future_dates_are_kept_but_never_above_the_present(
    server: FeedServer, tmp_path: Path
) -> None:
    site = Site(server, tmp_path)
    site.second_run(Resource(rss([item(9, date="Thu, 01 Apr 2100 00:00:00 GMT")])))
    (future,) = [p for p in bad_posts(site) if p["title"] == "bad item 9"]
    assert datetime.fromisoformat(future["date"]) <= datetime.now(UTC)
    assert site.entries("bad") == 4
