"""The static site: sound pages, resolving links, valid feeds, incremental and atomic builds."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from support import articles
from support.articles import publish_article
from support.helpers import dated_item, serve_feed, write_config
from support.site_check import check_site, pages, parse

from newsstand import pipeline
from newsstand.config import load_config
from newsstand.demo import sample
from newsstand.parse import parse as parse_feed
from newsstand.publish.site import SiteError, build_site
from newsstand.publish.site.nearby import MORE
from newsstand.store import open_store


@pytest.fixture
def demo_site(tmp_path: Path):
    with sample.demo_server() as server:
        path = tmp_path / "demo" / "newsstand.toml"
        path.parent.mkdir()
        path.write_text(sample.demo_config(server.base), encoding="utf-8")
        config = load_config(path)
        summary = pipeline.run(config)
    assert summary.complete and not summary.failed
    return config, summary


def test_demo_site_is_sound_and_complete(demo_site) -> None:
    config, _summary = demo_site
    site = config.site_output.dir
    counted = check_site(site)
    assert counted["pages"] == len(pages(site)) > 19 + 4 * 3
    assert counted["links"] > 500
    for name in (
        "index.html",
        "404.html",
        "categories/index.html",
        "archives/index.html",
        "search/index.html",
        "opml.xml",
        "sitemap.xml",
        "robots.txt",
    ):
        assert (site / name).is_file(), name
    # the category tree with counts, and one page per category, source and channel
    tree = (site / "categories/index.html").read_text("utf-8")
    for category, source, channel in ((c, s, ch) for *_x, c, s, ch in sample.FEEDS.values()):
        assert category in tree and source in tree and channel in tree
        assert (site / "category" / category / source / channel / "index.html").is_file()
    # entries: one page each, under posts/
    with open_store(config.store.url, lock=False) as store:
        stored = list(store.items())
    assert len(list((site / "posts").rglob("*.html"))) == len(stored) == 19


def test_site_feeds_read_back_with_the_right_entries(demo_site) -> None:
    config, _ = demo_site
    site = config.site_output.dir
    with open_store(config.store.url, lock=False) as store:
        rows = store.site_index()
        titles = {item.uid: item.entry.title for item in store.items()}
    newest = [titles[row[1]] for row in reversed(rows)]
    for name in ("atom.xml", "rss.xml", "feed.json"):
        if name == "feed.json":  # feedparser 6.0 reads no JSON Feed: our own parser does
            parsed = parse_feed(
                (site / name).read_bytes(),
                url=config.site.url,
                content_type="application/feed+json",
            )
            links = [e.link for e in parsed.entries]
        else:
            parsed = feedparser.parse((site / name).read_bytes())
            assert not parsed.bozo, (name, parsed.get("bozo_exception"))
            links = [e.link for e in parsed.entries]
        assert [e.title for e in parsed.entries] == newest[:50], name
        assert all(link.startswith(config.site.url + "/posts/") for link in links)
    data = json.loads((site / "feed.json").read_text("utf-8"))
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    finance = [titles[row[1]] for row in reversed(rows) if row[4] == "金融"]
    parsed = feedparser.parse((site / "category/金融/atom.xml").read_bytes())
    assert not parsed.bozo and [e.title for e in parsed.entries] == finance
    from lxml import etree

    outlines = etree.parse(str(site / "opml.xml")).getroot().iter("outline")
    urls = {o.get("xmlUrl") for o in outlines if o.get("xmlUrl")}
    assert urls == {config.rsshub.instances[0] + route for route in sample.FEEDS}
    sitemap = etree.parse(str(site / "sitemap-1.xml")).getroot()
    assert len(sitemap) == 19 + 1


def test_an_article_on_its_category_path(server, make_config) -> None:
    post = publish_article(server, make_config)
    site = post.parents[5] / "public"
    check_site(site)
    path = ["category", *articles.PLACE.values()]
    for depth in (2, 3):
        page = (site / Path(*path[:depth]) / "index.html").read_text("utf-8")
        assert f'href="/{"/".join(_q(p) for p in path[: depth + 1])}/"' in page
    channel = (site / Path(*path) / "index.html").read_text("utf-8")
    (href,) = re.findall(r'<h2><a href="(/posts/[^"]+)"', channel)
    article = (site / href.lstrip("/")).read_text("utf-8")
    assert articles.TEXT in article and "<style" not in article and "编辑备注" not in article
    assert f'<a class="button" href="{articles.LINK}"' in article
    assert 'referrerpolicy="no-referrer"' in article and 'loading="lazy"' in article
    assert "Content-Security-Policy" in article


def _q(text: str) -> str:
    """A place as pages link it: Chinese as it is (3 bytes a character, not the 9 of its
    percent-encoding), what a URL cannot hold (here a space) percent-encoded."""
    return text.replace(" ", "%20")


HOSTILE = (
    '<p>text</p><script>alert(1)</script><img src="x.png" onerror="alert(2)">'
    '<svg onload="alert(3)"><circle r="1"/></svg><iframe srcdoc="<script>alert(4)</script>">'
    '</iframe><a href="javascript:alert(5)">j</a><a href="vbscript:msgbox(6)">v</a>'
    '<meta http-equiv="refresh" content="0;url=https://evil.test/"><base href="https://evil.test/">'
    '<div style="background:url(javascript:alert(7))">css</div><form action="https://evil.test/">'
    '<input name="x"></form><object data="x.swf"></object><embed src="x.swf">'
)


def test_no_script_reaches_the_site_even_from_an_unsanitised_feed(server, make_config) -> None:
    now = datetime.now(UTC)
    url = serve_feed(
        server,
        "/evil",
        [
            dated_item(1, now, html=HOSTILE, title="<script>alert('title')</script>{{ x }}"),
        ],
    )
    config = make_config([{"url": url, "category": "c", "source": "s", "clean": False}])
    assert pipeline.run(config).complete
    site = config.site_output.dir
    check_site(site)  # only the site's own scripts; no on* attribute anywhere
    for page in pages(site):
        doc = parse(page)
        for element in doc.iter():
            for attr in ("href", "src", "action", "data"):
                value = (element.get(attr) or "").strip().lower()
                assert not value.startswith(("javascript:", "vbscript:")), (page, value)
            assert element.tag not in ("base", "iframe", "object", "embed"), page
            if element.tag == "form":  # only the site's own search box
                assert element.get("action") == "/search/", page
            if element.tag == "meta":
                assert (element.get("http-equiv") or "").lower() != "refresh"
    from lxml import etree

    for name, tag in (
        ("atom.xml", "{http://www.w3.org/2005/Atom}content"),
        ("rss.xml", "description"),
    ):
        bodies = [e.text for e in etree.parse(str(site / name)).iter(tag)]
        assert bodies and all("<script" not in b and "onerror" not in b for b in bodies if b)


def test_rebuilds_are_incremental(server, make_config) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    items = [dated_item(n, start + timedelta(hours=n)) for n in range(30)]
    url = serve_feed(server, "/feed", items)
    config = make_config(
        [{"url": url, "category": "c", "source": "s"}], output__site={"per_page": 5}
    )
    first = pipeline.run(config).site
    site = config.site_output.dir
    assert first.rendered == first.pages
    inodes = {p: p.stat().st_ino for p in site.rglob("*") if p.is_file()}

    again = build_site(config)
    assert again.skipped and again.rendered == 0
    assert {p: p.stat().st_ino for p in site.rglob("*") if p.is_file()} == inodes

    serve_feed(
        server, "/feed", items + [dated_item(n, start + timedelta(hours=n)) for n in (30, 31)]
    )
    third = pipeline.run(config).site
    # the two entry pages and the few old ones next to them (their newer entry, more of
    # the source), the fronts of home, category, source, channel, month and day, each
    # list's new page and the two below it (their pagers name it), the feeds, the
    # sitemap... not the history
    assert 0 < third.rendered <= 40, third
    unchanged = [p for p in inodes if p.exists() and p.stat().st_ino == inodes[p]]
    old_entries = [p for p in inodes if "posts" in p.parts]
    assert len([p for p in old_entries if p not in unchanged]) <= 1 + MORE
    for lst in ("", "category/c/", "category/c/s/", "category/c/s/s/"):
        for number in (1, 2):  # pages far from the newest never change
            assert site / f"{lst}page/{number}.html" in unchanged
    assert third.indexed == 1
    check_site(site)

    # a new category is in the top bar of every page, old ones included
    other = serve_feed(server, "/other", [dated_item(99, start)])
    config = load_config(
        write_config(
            config.root,
            [
                {"url": url, "category": "c", "source": "s"},
                {"url": other, "category": "新分类", "source": "s"},
            ],
            output__site={"per_page": 5},
        )
    )
    fourth = pipeline.run(config).site
    assert fourth.rendered == fourth.pages
    assert "新分类" in old_entries[0].read_text("utf-8")
    check_site(site)


def test_a_failed_build_leaves_the_old_site(server, make_config, tmp_path: Path) -> None:
    url = serve_feed(server, "/feed", [dated_item(1, datetime(2024, 1, 1, tzinfo=UTC))])
    config = make_config([{"url": url, "category": "c", "source": "s"}])
    pipeline.run(config)
    site = config.site_output.dir
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}

    theme = tmp_path / "broken-theme"
    theme.mkdir()
    (theme / "entry.html").write_text(
        "{% extends 'base.html' %}{% block main %}{{ no_such_value }}{% endblock %}"
    )
    broken = load_config(
        write_config(
            config.root,
            [{"url": url, "category": "c", "source": "s"}],
            output__site={"theme_dir": str(theme)},
        )
    )
    with pytest.raises(SiteError, match=r"entry\.html.*no_such_value"):
        build_site(broken)
    after = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    assert not site.with_name(".public.new").exists()


def test_leftovers_of_a_killed_build_are_cleared(server, make_config) -> None:
    url = serve_feed(server, "/feed", [dated_item(1, datetime(2024, 1, 1, tzinfo=UTC))])
    config = make_config([{"url": url, "category": "c", "source": "s"}])
    site = config.site_output.dir
    staging = site.with_name(".public.new")
    (staging / "posts").mkdir(parents=True)
    (staging / "posts" / "half.html").write_text("<p>half")
    pipeline.run(config)
    assert not staging.exists()
    assert not list(site.rglob("half.html"))
    # killed between the two renames of a swap: the old tree is put back
    retired = site.with_name(".public.old-1")
    site.rename(retired)
    assert build_site(config).skipped
    assert (site / "index.html").is_file() and not retired.exists()


def test_base_path_prefixes_every_link(server, make_config) -> None:
    url = serve_feed(
        server, "/feed", [dated_item(n, datetime(2024, 1, 1, n, tzinfo=UTC)) for n in range(3)]
    )
    config = make_config(
        [{"url": url, "category": "中文 分类", "source": "s"}],
        output__site={"base_path": "/news/", "language": "en"},
    )
    pipeline.run(config)
    site = config.site_output.dir
    counted = check_site(site, "/news/")
    assert counted["links"] > 50
    home = (site / "index.html").read_text("utf-8")
    assert '<html lang="en">' in home and 'href="/news/category/中文%20' in home
    assert not re.search(r'(href|src)="/(?!news/)', home)


def test_future_dates_never_sort_above_the_present(server, make_config) -> None:
    url = serve_feed(
        server,
        "/feed",
        [
            dated_item(1, datetime(2099, 1, 1, tzinfo=UTC)),
            dated_item(2, datetime(2021, 1, 1, tzinfo=UTC)),
        ],
    )
    config = make_config([{"url": url, "category": "c", "source": "s"}])
    pipeline.run(config)
    later = serve_feed(server, "/later", [dated_item(3, datetime.now(UTC) + timedelta(seconds=1))])
    config = load_config(
        write_config(
            config.root,
            [
                {"url": url, "category": "c", "source": "s"},
                {"url": later, "category": "c", "source": "t"},
            ],
        )
    )
    pipeline.run(config)
    home = (config.site_output.dir / "index.html").read_text("utf-8")
    assert re.findall(r">Item (\d)</a></h2>", home) == ["3", "1", "2"]
    assert "2099" not in home  # shown, like in the posts, at the time it was first seen
    db = sqlite3.connect(config.state.db)  # but kept as the feed gave it
    assert (
        db.execute("SELECT COUNT(*) FROM entries WHERE published LIKE '2099%'").fetchone()[0] == 1
    )
    db.close()


def test_page_names_cannot_escape_or_clash(server, make_config) -> None:
    url = serve_feed(server, "/feed", [dated_item(1, datetime(2024, 1, 1, tzinfo=UTC))])
    config = make_config(
        [{"url": url, "category": "../..", "source": "page", "channel": "index.html"}]
    )
    pipeline.run(config)
    site = config.site_output.dir
    check_site(site)
    assert not (site.parent / "category").exists()
    assert all(site in p.parents for p in site.rglob("*"))


def test_build_command_reports_and_fails_in_one_line(server, make_config, tmp_path) -> None:
    from click.testing import CliRunner

    from newsstand.cli import main

    url = serve_feed(server, "/feed", [dated_item(1, datetime(2024, 1, 1, tzinfo=UTC))])
    config = make_config([{"url": url, "category": "c", "source": "s"}])
    pipeline.run(config, do_publish=False)
    runner = CliRunner()
    done = runner.invoke(main, ["build", "-c", str(config.path)])
    assert done.exit_code == 0, done.output
    assert "pages in" in done.output and "newsstand serve" in done.output
    again = runner.invoke(main, ["build", "--json", "-c", str(config.path)])
    assert json.loads(again.output)["skipped"] is True

    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "list.html").write_text("{% if %}")  # a syntax error
    broken = write_config(
        config.root,
        [{"url": url, "category": "c", "source": "s"}],
        output__site={"theme_dir": str(theme)},
    )
    failed = runner.invoke(main, ["build", "-c", str(broken)])
    assert failed.exit_code == 1
    (line,) = failed.output.strip().splitlines()
    assert line.startswith("error: site build failed: template") and "list.html" in line
