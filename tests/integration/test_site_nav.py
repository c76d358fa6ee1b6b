"""How a reader gets around the site: numbered pages on every list, older and newer on an
entry page and more of its source, the icons and the web manifest."""

from __future__ import annotations

import json
import re
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.helpers import dated_item, serve_feed
from support.site_check import check_site, parse

from newsstand import pipeline

START = datetime(2024, 3, 1, tzinfo=UTC)


def _items(numbers, prefix: str = "Item") -> list[dict]:
    return [
        dated_item(n, START + timedelta(hours=n), title=f"{prefix} {n}", guid=f"{prefix}-{n}")
        for n in numbers
    ]


def pager_of(page: Path) -> list[str]:
    """The pager as a reader sees it: ``[最新]`` the page it is on, ``…`` a gap."""
    (nav,) = [e for e in parse(page).iter("nav") if e.get("class") == "pager"]
    (numbers,) = [e for e in nav.iter("span") if e.get("class") == "numbers"]
    shown = []
    for element in numbers:
        text = "".join(element.itertext()).strip()
        shown.append(f"[{text}]" if element.get("class") == "current" else text)
    return shown


def links(page: Path, css_class: str) -> dict[str, str]:
    """Link text -> href of the <a> elements with ``css_class`` (within the pager)."""
    return {
        "".join(a.itertext()).strip(): a.get("href")
        for a in parse(page).iter("a")
        if a.get("class") == css_class or css_class == "*"
    }


def test_lists_have_numbered_pages_that_never_move(server, make_config) -> None:
    url = serve_feed(server, "/feed", _items(range(47)))
    config = make_config(
        [{"url": url, "category": "c", "source": "s"}], output__site={"per_page": 5}
    )
    pipeline.run(config)
    site = config.site_output.dir
    check_site(site)  # every number links to a page that is there
    # 47 entries: the front shows the newest 5, pages 1..9 the 42 before them (1 the oldest)
    assert pager_of(site / "index.html") == ["[最新]", "9", "8", "…", "1"]
    assert pager_of(site / "page/5.html") == ["最新", "…", "7", "6", "[5]", "4", "3", "…", "1"]
    assert pager_of(site / "page/9.html") == ["最新", "[9]", "8", "7", "…", "1"]
    assert pager_of(site / "page/1.html") == ["最新", "…", "3", "2", "[1]"]
    page5 = links(site / "page/5.html", "*")
    assert page5["7"] == "/page/7.html" and page5["最新"] == "/" and page5["1"] == "/page/1.html"
    assert page5["← 较新"] == "/page/6.html" and page5["较早 →"] == "/page/4.html"
    channel = site / "category/c/s/s"
    assert pager_of(channel / "page/5.html") == pager_of(site / "page/5.html")

    before = (site / "page/5.html").read_bytes()
    serve_feed(server, "/feed", _items(range(67)))  # 20 more: four more pages
    pipeline.run(config)
    assert pager_of(site / "index.html") == ["[最新]", "13", "12", "…", "1"]
    assert (site / "page/5.html").read_bytes() == before  # far from the newest: as it was


def test_a_short_list_has_no_pager(server, make_config) -> None:
    url = serve_feed(server, "/feed", _items(range(3)))
    config = make_config([{"url": url, "category": "c", "source": "s"}])
    pipeline.run(config)
    page = parse(config.site_output.dir / "index.html")
    assert not [e for e in page.iter("nav") if e.get("class") == "pager"]


def _entry(site: Path, title: str) -> Path:
    """The entry page of the entry titled ``title``."""
    heading = re.compile(rf"<h1>{re.escape(title)}</h1>")
    (found,) = [p for p in (site / "posts").rglob("*.html") if heading.search(p.read_text("utf-8"))]
    return found


def test_an_entry_links_older_and_newer_in_its_channel_and_more_of_its_source(
    server, make_config
) -> None:
    news = serve_feed(server, "/news", _items(range(0, 20, 2), "要闻"))  # even hours
    notes = serve_feed(server, "/notes", _items(range(1, 20, 2), "快讯"))  # odd hours
    other = serve_feed(server, "/other", _items(range(5), "别家"))
    config = make_config(
        [
            {"url": news, "category": "新闻", "source": "日报", "channel": "要闻"},
            {"url": notes, "category": "新闻", "source": "日报", "channel": "快讯"},
            {"url": other, "category": "新闻", "source": "晚报"},
        ]
    )
    pipeline.run(config)
    site = config.site_output.dir
    check_site(site)
    page = _entry(site, "要闻 10")
    nav = links(page, "older") | links(page, "newer")
    # older and newer within its channel (要闻: every other hour), not the other channel
    assert nav == {
        "← 上一篇 要闻 8": _entry_href(site, "要闻 8"),
        "下一篇 → 要闻 12": _entry_href(site, "要闻 12"),
    }
    text = page.read_text("utf-8")
    more = re.search(r'<section class="more">(.*?)</section>', text, re.S).group(1)
    titles = re.findall(r'<a href="/posts/[^"]+">([^<]+)</a>', more)
    # four more of its source nearest in time, newest first: 快讯 are in between
    assert titles == ["快讯 13", "快讯 11", "快讯 9", "快讯 7"]
    assert 'href="/category/新闻/日报/"' in more  # the source
    assert "更多来自日报" in more and "别家" not in more
    oldest, newest = _entry(site, "要闻 0"), _entry(site, "要闻 18")
    assert not links(oldest, "older") and links(oldest, "newer")
    assert links(newest, "older") and not links(newest, "newer")
    # the links to other entries are outside the article
    article = re.search(r"<article.*?</article>", text, re.S).group(0)
    assert "要闻 8" not in article and "快讯" not in article
    assert ">2024-03-01 10:00</time>" in article


def _entry_href(site: Path, title: str) -> str:
    return "/" + _entry(site, title).relative_to(site).as_posix()


def test_the_site_has_icons_and_a_web_manifest(server, make_config) -> None:
    url = serve_feed(server, "/feed", _items(range(2)))
    config = make_config(
        [{"url": url, "category": "c", "source": "s"}],
        site={"title": "我的新闻"},
        output__site={"base_path": "/news/"},
    )
    pipeline.run(config)
    site = config.site_output.dir
    check_site(site, "/news/")  # the icon and manifest links of every page resolve
    ico = (site / "favicon.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, 3)  # an icon file with three sizes
    sizes = [ico[6 + 16 * i] for i in range(count)]
    assert sizes == [16, 32, 48]
    manifest = json.loads((site / "manifest.webmanifest").read_text("utf-8"))
    assert manifest["name"] == "我的新闻" and manifest["start_url"] == "/news/"
    for icon in manifest["icons"]:
        file = site / icon["src"].removeprefix("/news/")
        assert file.is_file(), icon
        if icon["type"] == "image/png":
            assert file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = struct.unpack(">II", file.read_bytes()[16:24])
            assert f"{width}x{height}" == icon["sizes"]
    home = (site / "index.html").read_text("utf-8")
    assert '<link rel="icon" href="/news/favicon.ico"' in home
    assert '<link rel="manifest" href="/news/manifest.webmanifest">' in home
