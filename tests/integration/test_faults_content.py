"""Hostile documents through the whole run: not feeds, XML attacks, broken encodings, and
HTML, template and YAML traps. The site stays safe and the run completes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.faultsite import Site
from support.hostile import HOSTILE_HTML, HOSTILE_TITLES, assert_safe, body, front, hostile_feed

from newsstand.demo.server import FeedServer, Resource

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 64


# -- not a feed ---------------------------------------------------------------------------


def test_an_html_page_names_the_feed_it_links_to(server: FeedServer, tmp_path: Path) -> None:
    page = (
        b'<!DOCTYPE html><html><head><title>Blog</title><link rel="alternate"'
        b' type="application/rss+xml" href="/real-feed.xml"></head><body>hi</body></html>'
    )
    reason = Site(server, tmp_path).fault(Resource(page, "text/html")).failure("/bad")["reason"]
    assert "HTML page" in reason and server.url("/real-feed.xml") in reason


@pytest.mark.parametrize(
    ("document", "content_type", "says"),
    [
        (b"", "application/xml", "empty"),
        (b'{"data": [1, 2, 3], "status": "ok"}', "application/json", "json"),
        (PNG, "image/png", "image"),
    ],
    ids=["empty", "json-not-json-feed", "image"],
)
def test_not_a_feed(
    server: FeedServer, tmp_path: Path, document: bytes, content_type: str, says: str
) -> None:
    reason = Site(server, tmp_path).fault(Resource(document, content_type)).failure("/bad")
    assert says in reason["reason"].lower()


# -- XML attacks --------------------------------------------------------------------------

LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
ATTACKS = {
    "billion-laughs": f'<!DOCTYPE rss [<!ENTITY lol0 "lol">{LAUGHS}]>'
    "<rss><channel><title>x</title><item><title>laughs &lol9;</title>"
    "<guid>l</guid><description>&lol9;</description></item></channel></rss>",
    "file-entity": '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<rss><channel><item><title>file &xxe;</title><guid>f</guid>"
    "<description>&xxe;</description></item></channel></rss>",
    "http-entity": '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{base}/secret">'
    '<!ENTITY % dtd SYSTEM "{base}/secret.dtd"> %dtd;]>'
    "<rss><channel><item><title>http &xxe;</title><guid>h</guid>"
    "<description>&xxe;</description></item></channel></rss>",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_xml_attacks_are_never_expanded_nor_fetched(
    server: FeedServer, tmp_path: Path, attack: str
) -> None:
    server.routes["/secret"] = Resource(b"SECRET-FROM-HTTP", "text/plain")
    server.routes["/secret.dtd"] = Resource(b'<!ENTITY leak "SECRET-FROM-DTD">', "text/plain")
    document = ATTACKS[attack].replace("{base}", server.base).encode()
    site = Site(server, tmp_path)
    site.second_run(Resource(document))
    assert server.hits["/secret"] == 0 and server.hits["/secret.dtd"] == 0
    everything = b"".join(site.posts().values()) + site.db.read_bytes()
    for leak in (b"root:", b"SECRET-FROM", b"lollollol"):
        assert leak not in everything


# -- encodings ----------------------------------------------------------------------------


def _feed(title: str, codec: str = "utf-8", bom: bytes = b"", broken: bytes = b"") -> bytes:
    """A feed declared as UTF-8 whose text is in ``codec``; ``broken`` ends the title."""
    head = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>t</title><item><title>"
    )
    tail = (
        "</title><guid>e1</guid><description>&lt;p&gt;"
        + "正文" * 200
        + "&lt;/p&gt;</description><pubDate>Thu, 01 Apr 2021 00:12:07 GMT</pubDate></item>"
        "</channel></rss>"
    )
    return bom + head.encode(codec) + title.encode(codec) + broken + tail.encode(codec)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (_feed("新闻标题", broken=b"\xff\xfe broken"), "新闻标题"),
        (_feed("带 BOM 的标题", bom=b"\xef\xbb\xbf"), "带 BOM 的标题"),
        (_feed("其实是 GBK 编码的中文标题", "gbk"), "其实是 GBK 编码的中文标题"),
        (_feed("NUL\x00 and\x01 controls\x1b \x7f here"), "NUL"),
    ],
    ids=["invalid-utf8", "bom", "gbk-declared-utf8", "control-characters"],
)
def test_broken_encodings_give_readable_titles_and_valid_yaml(
    server: FeedServer, tmp_path: Path, document: bytes, expected: str
) -> None:
    site = Site(server, tmp_path)
    second = site.second_run(Resource(document, "application/xml"))
    assert second.data["feeds"]["failed"] == 0, second.data
    titles = [front(p)["title"] for p in site.new_posts.values()]
    mine = [t for t in titles if expected in t]
    assert len(mine) == 1, titles
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", mine[0])
    if "\ufffd" in mine[0]:  # only where the bytes were not text at all
        assert "broken" in mine[0]


# -- content: HTML, templates, YAML -------------------------------------------------------


def test_hostile_content_and_titles_through_the_run(server: FeedServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path)
    second = site.second_run(Resource(hostile_feed()))
    assert second.data["feeds"]["failed"] == 0
    posts = {p: d for p, d in site.new_posts.items() if not p.startswith("c/good/")}
    assert len(posts) == len(HOSTILE_HTML) + len(HOSTILE_TITLES)
    titles = set()
    for post in posts.values():
        meta = front(post)
        titles.add(meta["title"])
        assert isinstance(meta["title"], str) and meta["categories"] == ["c", "bad", "bad"]
        html = body(post)
        assert_safe(html)
        assert "{{" not in html and "{%" not in html and "{#" not in html
    assert set(HOSTILE_TITLES) <= titles
    for path in posts:
        assert not Path(path).is_absolute() and ".." not in Path(path).parts
