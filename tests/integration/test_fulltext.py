"""Full text over the whole run: a feed that gives only a teaser, with fulltext = true,
shows the article (its paragraphs, none of the page's navigation, ads or comments) in the
posts and on the site; a page that is refused keeps the teaser and says so once."""

from __future__ import annotations

import json

import pytest
from support.cli import cli
from support.helpers import rss
from support.paths import DATA

from newsstand import pipeline
from newsstand.demo.server import Resource

PAGE = (DATA / "articles" / "zh-article.html").read_bytes()
TEASER = "央行宣布降准0.5个百分点……"
PARAGRAPH = "此次降准共计释放长期资金约1万亿元"
BOILERPLATE = (
    "导航菜单最后一项",
    "开户即送888元红包",
    "这条评论不应出现",
    "京ICP备",
    "相关新闻标题甲",
)

pytestmark = pytest.mark.usefixtures("store_url")  # on each store backend


def teaser_feed(server, link: str) -> str:
    item = {"title": "央行宣布全面降准0.5个百分点", "link": link, "guid": "a1",
            "date": "Fri, 10 May 2024 00:01:00 GMT", "html": f"<p>{TEASER}</p>"}  # fmt: skip
    server.routes["/feed.xml"] = Resource(rss([item]), "application/rss+xml")
    return server.url("/feed.xml")


def the_post(config) -> str:
    (post,) = config.hexo.dir.rglob("*.md")
    return post.read_text(encoding="utf-8")


def the_entry_page(config) -> str:
    (page,) = (config.site_output.dir / "posts").rglob("*.html")
    return page.read_text(encoding="utf-8")


def test_a_teaser_feed_with_fulltext_reads_in_full(server, make_config) -> None:
    server.routes["/news/1.html"] = Resource(PAGE, "text/html; charset=utf-8")
    feed = teaser_feed(server, server.url("/news/1.html"))
    config = make_config([{"url": feed, "category": "金融", "source": "示例", "fulltext": True}])
    summary = pipeline.run(config)
    assert summary.articles is not None and summary.articles.used == 1
    for text in (the_post(config), the_entry_page(config)):
        assert PARAGRAPH in text and "业内专家认为" in text
        assert TEASER not in text
        for junk in BOILERPLATE:
            assert junk not in text, junk
        assert "ad-tracker-code" not in text
    # once per entry: the next run asks the feed again, not the page
    pages = sum(1 for request in server.requests if request[0] == "/news/1.html")
    (asked,) = [headers for path, headers in server.requests if path == "/news/1.html"]
    assert asked["Accept"].startswith("text/html")
    again = pipeline.run(config)
    assert again.articles is not None and again.articles.fetched == 0
    assert sum(1 for request in server.requests if request[0] == "/news/1.html") == pages == 1
    assert PARAGRAPH in the_post(config)


def test_a_refused_page_keeps_the_teaser_and_warns_once(server, make_config) -> None:
    server.routes["/news/1.html"] = Resource(b"forbidden", "text/plain", status=403)
    feed = teaser_feed(server, server.url("/news/1.html"))
    config = make_config([{"url": feed, "category": "金融", "source": "示例", "fulltext": True}])
    result = cli("run", "--json", "-c", str(config.path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    warnings = [w["warning"] for w in data["warnings"]]
    assert len(warnings) == 1 and "403" in warnings[0] and "kept the feed's text" in warnings[0]
    assert TEASER in the_post(config) and TEASER in the_entry_page(config)
    again = json.loads(cli("run", "--json", "-c", str(config.path)).stdout)
    assert again["warnings"] == []  # said once: the page is not asked again for this entry


def test_auto_keeps_a_full_feed_as_it_is(server, make_config) -> None:
    server.routes["/news/1.html"] = Resource(PAGE, "text/html; charset=utf-8")
    feed = teaser_feed(server, server.url("/news/1.html"))
    config = make_config(
        [{"url": feed, "category": "金融", "source": "示例"}], fetch={"fulltext": "auto"}
    )
    pipeline.run(config)
    assert PARAGRAPH in the_post(config)  # the teaser was short: the article is used
    off = make_config(
        [{"url": feed, "category": "金融", "source": "示例", "fulltext": False}],
        fetch={"fulltext": "auto"},
    )
    assert off.feeds[0].fulltext is False
