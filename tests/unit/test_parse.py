"""parse: bytes of any feed format in, normalised entries out; anything else a ParseError."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import pickle
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.paths import SHARED

from newsstand.demo.server import LoopbackHTTPServer
from newsstand.model import Entry, ParsedFeed
from newsstand.parse import ParseError, parse, parse_date

CORPUS = SHARED / "corpus"
URL = "http://127.0.0.1:1200/test/feed"
SHANGHAI = ZoneInfo("Asia/Shanghai")

needs_shared = pytest.mark.needs_shared  # skipped by conftest.py where ../shared is absent


def rss(items: str, channel: str = "", *, declaration: str = "UTF-8", namespaces: str = "") -> str:
    head = f'<?xml version="1.0" encoding="{declaration}"?>\n' if declaration else ""
    return (
        f'{head}<rss version="2.0" {namespaces}><channel><title>Channel</title>'
        f"<link>https://example.com/</link>{channel}{items}</channel></rss>"
    )


def only_entry(feed: ParsedFeed) -> Entry:
    assert len(feed.entries) == 1, feed
    return feed.entries[0]


# ---------------------------------------------------------------------------------------
# The acceptance item


@needs_shared
def test_sina_finance_acceptance_item() -> None:
    body = (SHARED / "acceptance" / "sina-finance.xml").read_bytes()
    feed = parse(body, url="http://127.0.0.1:1200/sina/finance")
    entry = only_entry(feed)
    item = re.search(rb"<item>(.*?)</item>", body, re.DOTALL).group(1)
    cdata = re.search(rb"<description><!\[CDATA\[(.*?)\]\]></description>", item, re.DOTALL)
    link = re.search(rb"<link>(.*?)</link>", item).group(1).decode()
    guid = re.search(rb"<guid[^>]*>(.*?)</guid>", item).group(1).decode()

    assert entry.title == "大连着力打造先进制造业集聚中心 聚焦战略性新兴产业等重点"
    assert entry.published == datetime(2021, 4, 1, 0, 12, 7, tzinfo=UTC)
    assert entry.link == link
    assert entry.id == guid
    assert entry.thumbnail == "https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"
    assert entry.content.encode("utf-8") == cdata.group(1)  # byte for byte, untouched
    assert entry.author is None  # the item names none: the channel's webMaster is not it
    assert feed.title == "新浪财经－国內"
    assert feed.link == "http://finance.sina.com.cn/china/"
    assert feed.ttl_minutes == 5
    assert feed.warnings == ()


# ---------------------------------------------------------------------------------------
# The corpus: every document parses, or is really not a feed

# Documents in the corpus that are not feeds, and why ParseError is the right answer.
NOT_FEEDS = {
    "feedparser/illformed/rss_empty_document.xml": "only a comment, no element at all",
    "real/egoist-1.xml": "an HTML fragment served at a feed URL",
    "real/hexun-1.xml": "a GBK HTML maintenance page served at a feed URL",
    "real/yx-bsh-1.xml": "an HTML page served at /feed",
    "real/v2ex-5.json": "a JSON Feed cut off mid-document: not JSON at all",
}


def corpus_documents() -> Iterator[tuple[str, bytes, str | None]]:
    manifest = json.loads((CORPUS / "MANIFEST.json").read_text(encoding="utf-8"))
    for record in manifest:
        body = (CORPUS / record["file"]).read_bytes()
        header = re.search(rb"Header:\s*Content-type:\s*([^\r\n]*)", body[:600])
        content_type = header.group(1).decode("ascii").strip() if header else None
        yield record["file"], body, content_type


@needs_shared
def test_every_corpus_document_parses_or_is_not_a_feed() -> None:
    failures: dict[str, str] = {}
    entries = 0
    for name, body, content_type in corpus_documents():
        try:
            feed = parse(body, url="http://example.com/feed.xml", content_type=content_type)
        except ParseError as error:
            failures[name] = str(error)
            assert "\n" not in str(error)
            continue
        entries += len(feed.entries)
        for entry in feed.entries:
            assert entry.id
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", entry.title), (name, entry)
            assert entry.published is None or entry.published.utcoffset() == timedelta(0)
            assert entry.updated is None or entry.updated.utcoffset() == timedelta(0)
            assert entry.link is None or entry.link.startswith(("http://", "https://"))
            assert entry.thumbnail is None or entry.thumbnail.startswith(("http://", "https://"))
    assert set(failures) == set(NOT_FEEDS), failures
    assert entries > 1500


@needs_shared
def test_parsing_is_deterministic_across_the_corpus() -> None:
    for name, body, content_type in list(corpus_documents())[::7]:
        try:
            first = parse(body, url="http://example.com/feed.xml", content_type=content_type)
        except ParseError:
            continue
        again = parse(body, url="http://example.com/feed.xml", content_type=content_type)
        assert first == again, name


@needs_shared
@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("feedparser/illformed/chardet/big5.xml", "big5"),
        ("feedparser/illformed/chardet/gb2312.xml", "gb2312"),
        ("feedparser/illformed/chardet/shiftjis.xml", "shift_jis"),
        ("feedparser/illformed/chardet/eucjp.xml", "euc_jp"),
        ("feedparser/illformed/chardet/euckr.xml", "euc_kr"),
        ("feedparser/illformed/chardet/koi8r.xml", "koi8_r"),
        ("real/kc0011-1.xml", "gb2312"),
        ("real/qq-news-1.xml", "gb18030"),
        ("real/miniflux-koi8r-1.xml", "koi8_r"),
        ("real/miniflux-cp1252-1.xml", "cp1252"),
        ("real/example-pl-1.rss", "iso8859_2"),
        ("real/uol-1.rss", "cp1252"),
    ],
)
def test_encodings_give_the_right_title_text(name: str, codec: str) -> None:
    body = (CORPUS / name).read_bytes()
    raw_title = re.search(rb"<title>(.*?)</title>", body, re.DOTALL).group(1)
    expected = " ".join(raw_title.decode(codec).replace("<![CDATA[", "").replace("]]>", "").split())
    feed = parse(body, url="http://example.com/")
    titles = [feed.title] + [entry.title for entry in feed.entries]
    assert expected in titles


@needs_shared
@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("feedparser/encoding/euc-kr.xml", lambda f: f.title == "\ub144"),
        ("feedparser/encoding/euc-kr-item.xml", lambda f: f.entries[0].content == "\ub144"),
        (
            "feedparser/encoding/euc-kr-attribute.xml",
            lambda f: f.entries[0].content == '<img alt="\ub144" />',
        ),
        ("feedparser/entities/160.xml", lambda f: f.title == "testing \xa0 entity"),
        ("feedparser/entities/8217.xml", lambda f: f.title == "testing \u2019 entity"),
        ("feedparser/entities/eacute.xml", lambda f: f.title == "testing \xe9 entity"),
        ("feedparser/entities/attr_amp.xml", lambda f: f.link == "http://domain/?a=1&b=2"),
        ("feedparser/illformed/always_strip_doctype.xml", lambda f: f.title == "found"),
        ("feedparser/wellformed/cdf/channel_title.xml", lambda f: f.title == "Example feed"),
        (
            "feedparser/illformed/rss_item_link_corrupted_ampersands.xml",
            lambda f: f.entries[0].link == "http://link/get?a=1&b=2",
        ),
        (
            "feedparser/json/example.json",
            lambda f: f.title == "My Example Feed" and len(f.entries) == 2,
        ),
        ("real/caogen-1.xml", lambda f: len(f.entries) > 10),  # UTF-8 BOM, broken markup
        ("real/tmioe-1.xml", lambda f: len(f.entries) >= 5),  # truncated mid-character
        ("real/mlog-club-1.atom", lambda f: len(f.entries) == 185),  # junk after </feed>
        ("real/scripting-1.json", lambda f: len(f.entries) == 50),  # RSS-in-JSON
        ("real/youtube-1.atom", lambda f: all(e.thumbnail for e in f.entries)),
    ],
)
def test_corpus_expectations(name: str, check: Callable[[ParsedFeed], bool]) -> None:
    body = (CORPUS / name).read_bytes()
    header = re.search(rb"Header:\s*Content-type:\s*([^\r\n]*)", body[:600])
    content_type = header.group(1).decode() if header else None
    assert check(parse(body, url="http://example.com/", content_type=content_type))


@needs_shared
@pytest.mark.parametrize(
    "name",
    [
        "feedparser/encoding/u16.xml",
        "feedparser/encoding/utf-16be-bom.xml",
        "feedparser/encoding/utf-16le.xml",
        "feedparser/encoding/utf-32be-bom.xml",
        "feedparser/encoding/utf-32le-autodetect.xml",
        "feedparser/encoding/utf-8-bom.xml",
    ],
)
def test_corpus_unicode_encodings_read_as_feeds_without_warnings(name: str) -> None:
    feed = parse((CORPUS / name).read_bytes(), url="http://example.com/")
    assert feed.warnings == ()


@needs_shared
@pytest.mark.parametrize("path", sorted((SHARED / "data/rsshub/sample-feeds").glob("*.xml")))
def test_rsshub_sample_feeds(path: Path) -> None:
    feed = parse(path.read_bytes(), url="https://rsshub.app/some/route")
    assert feed.entries
    assert feed.warnings == ()
    assert feed.ttl_minutes
    for entry in feed.entries:
        assert entry.title and entry.link and entry.published and entry.content
        assert entry.id == entry.link  # guid and link coincide in RSSHub output
    assert sum(entry.thumbnail is not None for entry in feed.entries) >= len(feed.entries) // 2


# ---------------------------------------------------------------------------------------
# Formats


def test_rss_item_fields() -> None:
    items = """<item>
      <title>  A &amp;amp; B &lt;b&gt;bold&lt;/b&gt;\n  title </title>
      <link>/posts/1</link>
      <guid isPermaLink="false">post-1</guid>
      <dc:creator>Writer</dc:creator>
      <pubDate>Thu, 01 Apr 2021 08:12:07 +0800</pubDate>
      <atom:updated>2021-04-02T00:00:00Z</atom:updated>
      <description>&lt;p&gt;summary&lt;/p&gt;</description>
      <content:encoded><![CDATA[<p>full <img src="data:image/gif;base64,R0l">
        <img src='/a.png'></p>]]></content:encoded>
    </item>"""
    namespaces = (
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:atom="http://www.w3.org/2005/Atom"'
    )
    feed = parse(rss(items, "<ttl>60</ttl>", namespaces=namespaces).encode(), url=URL)
    entry = only_entry(feed)
    assert entry.title == "A & B bold title"
    assert entry.link == "https://example.com/posts/1"  # against the channel link
    assert entry.id == "post-1"
    assert entry.author == "Writer"
    assert entry.published == datetime(2021, 4, 1, 0, 12, 7, tzinfo=UTC)
    assert entry.updated == datetime(2021, 4, 2, tzinfo=UTC)
    assert entry.content == (
        "<p>full <img src=\"data:image/gif;base64,R0l\">\n        <img src='/a.png'></p>"
    )
    assert entry.thumbnail == "https://example.com/a.png"
    assert feed.ttl_minutes == 60


def test_rss_guid_permalink_is_the_link_and_summary_is_the_fallback_content() -> None:
    items = (
        "<item><title>t</title><guid>https://example.com/p</guid>"
        "<description><![CDATA[<p>only a summary</p>]]></description>"
        "<author>someone@example.com (Some One)</author></item>"
    )
    entry = only_entry(parse(rss(items).encode(), url=URL))
    assert entry.link == "https://example.com/p"
    assert entry.content == "<p>only a summary</p>"
    assert entry.author == "Some One"


def test_rss_unescaped_html_in_description_is_serialised_back() -> None:
    items = "<item><title>t</title><description><p>a &amp; <b>b</b></p> tail</description></item>"
    entry = only_entry(parse(rss(items).encode(), url=URL))
    assert entry.content == "<p>a &amp; <b>b</b></p> tail"


def test_rdf_rss_1_0() -> None:
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://example.org/"><title>RDF feed</title><link>http://example.org/</link></channel>
  <item rdf:about="http://example.org/1"><title>One</title><link>http://example.org/1</link>
    <dc:date>2021-04-01T08:12:07+08:00</dc:date><description>first</description></item>
  <item rdf:about="http://example.org/2"><title>Two</title><link>http://example.org/2</link></item>
</rdf:RDF>"""
    feed = parse(body, url=URL)
    assert feed.title == "RDF feed"
    assert [e.title for e in feed.entries] == ["One", "Two"]
    assert feed.entries[0].published == datetime(2021, 4, 1, 0, 12, 7, tzinfo=UTC)
    assert feed.entries[0].content == "first"


def test_atom_entry_fields() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
      xml:base="https://blog.example.org/">
  <title type="html">Blog &lt;em&gt;name&lt;/em&gt;</title>
  <link rel="self" href="/atom.xml"/><link href="/"/>
  <author><name>Feed Author</name></author>
  <entry>
    <id>tag:example.org,2021:1</id>
    <title>Entry &amp; one</title>
    <link rel="alternate" href="posts/1"/>
    <link rel="enclosure" type="image/jpeg" href="/enclosure.jpg"/>
    <updated>2021-04-02T00:00:00Z</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"
      ><p>Hello <b>x</b> &amp; y</p></div></content>
    <media:thumbnail url="thumb.jpg"/>
  </entry>
  <entry xml:base="https://other.example.net/dir/">
    <id>tag:example.org,2021:2</id>
    <title type="text">Plain</title>
    <link href="page"/>
    <published>2021-04-01T00:00:00Z</published>
    <summary>a &lt; b and c</summary>
    <author><name>Entry Author</name></author>
  </entry>
</feed>"""
    feed = parse(body, url="https://blog.example.org/atom.xml")
    assert feed.title == "Blog name"
    assert feed.link == "https://blog.example.org/"
    first, second = feed.entries
    assert first.id == "tag:example.org,2021:1"
    assert first.title == "Entry & one"
    assert first.link == "https://blog.example.org/posts/1"
    assert first.content == "<p>Hello <b>x</b> &amp; y</p>"
    assert first.thumbnail == "https://blog.example.org/thumb.jpg"  # media:thumbnail first
    assert first.author == "Feed Author"  # inherited from the feed
    assert first.published == first.updated == datetime(2021, 4, 2, tzinfo=UTC)
    assert second.link == "https://other.example.net/dir/page"
    assert second.content == "<p>a &lt; b and c</p>"  # type text: escaped into a paragraph
    assert second.author == "Entry Author"
    assert second.updated is None


def test_atom_0_3() -> None:
    body = b"""<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Old Atom</title><link rel="alternate" href="http://example.org/"/>
  <entry><title>Old entry</title><link rel="alternate" href="http://example.org/1"/>
    <id>urn:1</id><issued>2004-04-06T23:05:43-05:00</issued><modified>2004-04-07T00:00:00Z</modified>
    <content type="text/html" mode="escaped">&lt;p&gt;hi&lt;/p&gt;</content></entry>
</feed>"""
    entry = only_entry(parse(body, url=URL))
    assert entry.title == "Old entry"
    assert entry.published == datetime(2004, 4, 7, 4, 5, 43, tzinfo=UTC)
    assert entry.updated == datetime(2004, 4, 7, tzinfo=UTC)
    assert entry.content == "<p>hi</p>"


JSON_FEED_1_1 = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON 订阅",
    "home_page_url": "https://json.example.org/",
    "authors": [{"name": "Feed Person"}],
    "items": [
        {
            "id": 42,
            "url": "/posts/42",
            "title": "Entry <b>bold</b> &amp; more",
            "content_html": "<p>HTML <img src='https://img.example.org/in-content.png'></p>",
            "summary": "the summary",
            "image": "/images/42.jpg",
            "date_published": "2021-04-01T08:12:07+08:00",
            "date_modified": "2021-04-02T00:00:00Z",
            "authors": [{"name": "Item Person"}, {"name": "Second"}],
        },
        {
            "id": "text-only",
            "content_text": "line one\nline two\n\n<not a tag> & more",
            "attachments": [{"url": "https://img.example.org/a.png", "mime_type": "image/png"}],
        },
        "not an object",
    ],
}


def test_json_feed_1_1() -> None:
    body = json.dumps(JSON_FEED_1_1, ensure_ascii=False).encode()
    feed = parse(body, url="https://json.example.org/feed.json", content_type="application/json")
    assert feed.title == "JSON 订阅"
    assert feed.link == "https://json.example.org/"
    first, second = feed.entries
    assert first.id == "42"
    assert first.link == "https://json.example.org/posts/42"
    assert first.title == "Entry bold & more"
    assert first.author == "Item Person"
    assert first.content == JSON_FEED_1_1["items"][0]["content_html"]
    assert first.thumbnail == "https://json.example.org/images/42.jpg"
    assert first.published == datetime(2021, 4, 1, 0, 12, 7, tzinfo=UTC)
    assert first.updated == datetime(2021, 4, 2, tzinfo=UTC)
    assert second.content == "<p>line one<br>\nline two</p><p>&lt;not a tag&gt; &amp; more</p>"
    assert second.thumbnail == "https://img.example.org/a.png"
    assert second.author == "Feed Person"
    assert any("not JSON objects" in warning for warning in feed.warnings)


def test_json_feed_is_recognised_by_content_not_content_type() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1", "title": "t", "items": []})
    feed = parse(b"\n  " + body.encode(), url=URL, content_type="text/html; charset=utf-8")
    assert feed.title == "t"
    assert feed.entries == ()


# ---------------------------------------------------------------------------------------
# Titles, ids, thumbnails, dates


def test_titles_are_plain_text_without_control_characters() -> None:
    items = (
        "<item><title><![CDATA[ <b>粗体</b>\u3000标题&nbsp;&#x4e2d;\x01\x08 don\x92t\t\n end ]]>"
        "</title><link>https://example.com/1</link></item>"
        "<item><title>a &lt; b</title><link>https://example.com/2</link></item>"
        "<item><title>&#128;&#150;</title><link>https://example.com/3</link></item>"
        "<item><link>https://example.com/4</link></item>"
    )
    feed = parse(rss(items).encode(), url=URL)
    titles = [e.title for e in feed.entries]
    assert titles == ["粗体\u3000标题\xa0中 don\u2019t end", "a < b", "\u20ac\u2013", ""]
    assert any("control characters" in warning for warning in feed.warnings)


def test_ids_are_stable_and_fall_back_to_link_then_hash() -> None:
    items = (
        "<item><title>with link</title><link>https://example.com/a</link></item>"
        "<item><title>bare</title><pubDate>Thu, 01 Apr 2021 00:12:07 GMT</pubDate></item>"
    )
    body = rss(items).encode()
    first, second = parse(body, url=URL).entries
    assert first.id == "https://example.com/a"
    expected = hashlib.sha1(b"bare\nThu, 01 Apr 2021 00:12:07 GMT").hexdigest()
    assert second.id == expected
    assert parse(body, url=URL) == parse(body, url=URL)


def test_repeated_ids_are_made_unique_and_exact_repeats_dropped() -> None:
    item = "<item><title>{}</title><guid>same</guid><link>https://example.com/{}</link></item>"
    items = item.format("a", 1) + item.format("a", 1) + item.format("b", 2)
    feed = parse(rss(items).encode(), url=URL)
    assert [e.id for e in feed.entries] == ["same", "https://example.com/2"]
    assert len(feed.warnings) == 2


def test_thumbnail_priority() -> None:
    namespaces = 'xmlns:media="http://search.yahoo.com/mrss/"'
    content = "<description><![CDATA[<img src='/in-content.png'>]]></description>"
    cases = [
        (
            '<media:content url="/video.mp4" type="video/mp4"/>'
            '<media:content url="/content.jpg" medium="image"/>'
            '<media:thumbnail url="/thumb.jpg"/>'
            '<enclosure url="/enclosure.png" type="image/png"/>',
            "https://example.com/thumb.jpg",
        ),
        (
            '<enclosure url="/enclosure.png" type="image/png"/>'
            '<media:group><media:content url="/group.jpg" type="image/jpeg"/></media:group>',
            "https://example.com/group.jpg",
        ),
        (
            '<enclosure url="/audio.mp3" type="audio/mpeg"/><enclosure url="/e.webp"/>',
            "https://example.com/e.webp",
        ),
        ("", "https://example.com/in-content.png"),
    ]
    for extra, expected in cases:
        items = f"<item><title>t</title>{extra}{content}</item>"
        entry = only_entry(parse(rss(items, namespaces=namespaces).encode(), url=URL))
        assert entry.thumbnail == expected, extra


def test_thumbnail_skips_data_urls_and_tracking_pixels() -> None:
    html = (
        '<img src="data:image/png;base64,AAAA"><img src="https://t.example/p.gif" width="1" '
        'height="1"><IMG data-src="//cdn.example.org/lazy.jpg" SRC="data:image/gif;base64,R">'
    )
    items = f"<item><title>t</title><description><![CDATA[{html}]]></description></item>"
    entry = only_entry(parse(rss(items).encode(), url="https://feeds.example.com/x"))
    assert entry.thumbnail == "https://cdn.example.org/lazy.jpg"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thu, 01 Apr 2021 00:12:07 GMT", datetime(2021, 4, 1, 0, 12, 7)),
        ("Thu, 01 Apr 2021 08:12:07 +0800", datetime(2021, 4, 1, 0, 12, 7)),
        ("Thu,01 Apr 2021 08:12:07 +08:00", datetime(2021, 4, 1, 0, 12, 7)),
        ("1 Apr 2021 08:12 GMT+8", datetime(2021, 4, 1, 0, 12)),
        ("Thursday, April 1, 2021 8:12 PM EST", datetime(2021, 4, 2, 1, 12)),
        ("01 Apr 21 00:12:07 Z", datetime(2021, 4, 1, 0, 12, 7)),
        ("Thu, 01 Apr 2021 08:12:07 +0800 (CST)", datetime(2021, 4, 1, 0, 12, 7)),
        ("Seg, 24 Set 2018 19:42:40 -0300", datetime(2018, 9, 24, 22, 42, 40)),
        ("2021-04-01T08:12:07+08:00", datetime(2021, 4, 1, 0, 12, 7)),
        ("2021-04-01T00:12:07.123Z", datetime(2021, 4, 1, 0, 12, 7)),
        ("20210401T001207Z", datetime(2021, 4, 1, 0, 12, 7)),
        ("2021-04-01 08:12:07", datetime(2021, 4, 1, 0, 12, 7)),  # default_tz
        ("2021年04月01日 08:12", datetime(2021, 4, 1, 0, 12)),
        ("2021年4月1日", datetime(2021, 3, 31, 16, 0)),
        ("2021/04/01 下午 3:12", datetime(2021, 4, 1, 7, 12)),
        ("Thu Apr 01 08:12:07 CST 2021", datetime(2021, 4, 1, 0, 12, 7)),
        ("1617235927", datetime(2021, 4, 1, 0, 12, 7)),
        ("1617235927000", datetime(2021, 4, 1, 0, 12, 7)),
        ("2021-04", datetime(2021, 4, 1)),  # W3CDTF year-month, via feedparser's registry
        ("Thu, 31 Feb 2021 00:00:00 GMT", None),
        ("yesterday", None),
        ("", None),
        ("9" * 400, None),
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    found = parse_date(text, SHANGHAI)
    assert found == (expected.replace(tzinfo=UTC) if expected else None)
    assert found is None or found.tzinfo is UTC


def test_dates_without_zone_use_default_tz_and_published_falls_back_to_updated() -> None:
    items = "<item><title>t</title><dc:date>2021-04-01 08:12:07</dc:date></item>"
    namespaces = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'
    body = rss(items, namespaces=namespaces).encode()
    assert only_entry(parse(body, url=URL, default_tz=SHANGHAI)).published == datetime(
        2021, 4, 1, 0, 12, 7, tzinfo=UTC
    )
    assert only_entry(parse(body, url=URL)).published == datetime(2021, 4, 1, 8, 12, 7, tzinfo=UTC)
    eastern = timezone(timedelta(hours=-5))
    assert only_entry(parse(body, url=URL, default_tz=eastern)).published.hour == 13
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>t</title>'
        b"<updated>2021-04-01T00:00:00Z</updated></entry></feed>"
    )
    entry = only_entry(parse(atom, url=URL))
    assert entry.published == entry.updated == datetime(2021, 4, 1, tzinfo=UTC)


def test_unreadable_dates_give_none() -> None:
    items = "<item><title>t</title><pubDate>sometime soon</pubDate></item>"
    assert only_entry(parse(rss(items).encode(), url=URL)).published is None


# ---------------------------------------------------------------------------------------
# Encodings

CHINESE_ITEM = (
    "<item><title>大连着力打造先进制造业集聚中心</title><link>https://example.com/1</link>"
    "<description>战略性新兴产业等重点项目，总投资规模达2.5万亿元。</description></item>"
)


def test_gbk_feed_declared_as_utf8() -> None:
    body = rss(CHINESE_ITEM, declaration="UTF-8").encode("gbk")
    feed = parse(body, url=URL, content_type="application/rss+xml; charset=utf-8")
    assert only_entry(feed).title == "大连着力打造先进制造业集聚中心"
    assert only_entry(feed).content == "战略性新兴产业等重点项目，总投资规模达2.5万亿元。"
    assert feed.warnings  # the lie is reported


@pytest.mark.parametrize(
    ("codec", "declaration", "content_type"),
    [
        ("gb18030", "gb2312", None),  # GBK characters beyond GB2312 under a gb2312 label
        ("big5", "big5", None),
        ("big5", "", "text/xml; charset=big5"),
        ("big5", "", None),  # nothing declared at all: guessed
        ("shift_jis", "Shift_JIS", None),
        ("utf-16", "UTF-16", None),  # with a BOM
        ("utf-16-le", "UTF-16", None),  # without one
        ("utf-16-be", "", None),
        ("utf-32", "UTF-32", None),
        ("utf-8-sig", "UTF-8", None),
    ],
)
def test_encodings(codec: str, declaration: str, content_type: str | None) -> None:
    titles = {"shift_jis": "日本語のフィード", "big5": "傳統中文標題"}
    title = titles.get(codec, "镕")  # U+9555: in GBK, not in GB2312
    items = f"<item><title>{title}</title><link>https://example.com/1</link></item>"
    body = rss(items, declaration=declaration).encode(codec)
    assert only_entry(parse(body, url=URL, content_type=content_type)).title == title


def test_http_charset_is_used_when_the_bytes_are_not_utf8() -> None:
    body = rss(CHINESE_ITEM, declaration="").encode("gb18030")
    feed = parse(body, url=URL, content_type="application/xml; charset=GBK")
    assert only_entry(feed).title == "大连着力打造先进制造业集聚中心"
    assert feed.warnings == ()


def test_forbidden_control_characters_do_not_break_the_document() -> None:
    items = "<item><title>bad\x00\x0b\x1f chars</title><link>https://example.com/1</link></item>"
    feed = parse(rss(items).encode(), url=URL)
    assert only_entry(feed).title == "bad chars"
    assert feed.warnings


# ---------------------------------------------------------------------------------------
# Broken documents


def test_unclosed_tags_fall_back_to_the_lenient_parser_with_a_warning() -> None:
    items = "".join(
        f"<item><title>Item {i}</title><link>https://example.com/{i}</link>"
        f"<description><p>unclosed <b>bold</description></item>"
        for i in range(7)
    )
    feed = parse(rss(items).encode(), url=URL)
    assert [e.title for e in feed.entries] == [f"Item {i}" for i in range(7)]
    assert len(feed.warnings) == 1
    assert feed.warnings[0].startswith("not well-formed XML (line ")
    assert "recovered 7 items" in feed.warnings[0]


def test_bare_ampersands_and_html_entities_are_repaired() -> None:
    items = (
        "<item><title>Tom & Jerry&nbsp;&hellip; &copy;</title>"
        "<link>https://example.com/?a=1&b=2</link>"
        "<description><![CDATA[<p>kept & as&nbsp;is</p>]]></description></item>"
    )
    feed = parse(rss(items).encode(), url=URL)
    entry = only_entry(feed)
    assert entry.title == "Tom & Jerry\xa0\u2026 \xa9"
    assert entry.link == "https://example.com/?a=1&b=2"
    assert entry.content == "<p>kept & as&nbsp;is</p>"  # CDATA untouched
    assert "not well-formed XML" in feed.warnings[0]


def test_junk_around_the_document_and_undeclared_prefixes_are_repaired() -> None:
    body = (
        "PHP Warning: something\n" + rss("<item><itunes:title>t</itunes:title><title>T</title>"
        "<link>https://example.com/1</link></item>", declaration="") + "\n<!-- cache -->junk"
    )  # fmt: skip
    feed = parse(body.encode(), url=URL)
    assert only_entry(feed).title == "T"
    assert feed.warnings


def test_truncated_document_recovers_what_is_there() -> None:
    items = "".join(
        f"<item><title>Item {i}</title><link>https://example.com/{i}</link></item>"
        for i in range(5)
    )
    body = rss(items).encode()[:-60]
    feed = parse(body, url=URL)
    assert [e.title for e in feed.entries][:4] == [f"Item {i}" for i in range(4)]
    assert feed.warnings


# ---------------------------------------------------------------------------------------
# Hostile XML


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>laughs &lol9;</title>
<item><title>item &lol9;</title><link>https://example.com/1</link>
<description>&lol9;<p>&lol9;</p></description>{broken}</item></channel></rss>"""


@pytest.mark.parametrize("broken", ["", "<unclosed>"])
def test_billion_laughs_is_not_expanded(broken: str) -> None:
    feed = parse(BILLION_LAUGHS.format(broken=broken).encode(), url=URL)
    entry = only_entry(feed)
    text = repr(feed)
    assert "lollol" not in text
    assert len(text) < 5000
    assert entry.title.startswith("item")


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A loopback HTTP server that records every request it gets."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY leak "LEAKED-BY-HTTP">')

        def log_message(self, *args: object) -> None:
            pass

    server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)  # stops at once
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, requests
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


XXE_DOCUMENTS = [
    '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<rss><channel><title>&xxe;</title><item><title>t &xxe;</title>"
    "<description>&xxe;<b>&xxe;</b></description></item></channel></rss>",
    '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "http://127.0.0.1:{port}/entity">]>'
    "<rss><channel><item><title>t &xxe;</title><description>&xxe;</description></item>"
    "</channel></rss>",
    '<!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/dtd"> %remote;]>'
    "<rss><channel><item><title>t &leak;</title></item></channel></rss>",
    '<!DOCTYPE rss SYSTEM "http://127.0.0.1:{port}/external.dtd">'
    "<rss><channel><item><title>t &leak;</title></item></channel></rss>",
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://127.0.0.1:{port}/x.dtd">'
    "<rss><channel><item><title>t</title></item></channel></rss>",
    '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'  # broken: lenient path
    "<rss><channel><item><title>t &xxe;</title><description>&xxe;<p></description>"
    "</item></channel></rss>",
]


@pytest.mark.parametrize("document", XXE_DOCUMENTS)
def test_external_entities_are_never_loaded(document: str, listener: tuple[int, list[str]]) -> None:
    port, requests = listener
    feed = parse(document.replace("{port}", str(port)).encode(), url=URL)
    text = repr(feed)
    assert "root:" not in text and "LEAKED" not in text
    assert only_entry(feed).title == "t"
    assert requests == []


# ---------------------------------------------------------------------------------------
# Not feeds


def test_html_page_names_the_feed_it_links_to() -> None:
    page = b"""<!DOCTYPE html><html><head><title>A blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml?x=1&amp;y=2">
</head><body><p>Hello</p></body></html>"""
    with pytest.raises(ParseError) as caught:
        parse(page, url="https://blog.example.org/posts/")
    assert caught.value.feed_url == "https://blog.example.org/feed.xml?x=1&y=2"
    assert "an HTML page" in str(caught.value)
    assert "https://blog.example.org/feed.xml?x=1&y=2" in str(caught.value)


def test_parse_error_survives_pickling() -> None:  # the pipeline parses in worker processes
    error = pickle.loads(pickle.dumps(ParseError("not a feed: x", feed_url="https://a/feed")))
    assert isinstance(error, ParseError)
    assert (str(error), error.feed_url) == ("not a feed: x", "https://a/feed")


def test_html_page_without_feed_links() -> None:
    with pytest.raises(ParseError, match="not a feed: an HTML page") as caught:
        parse(b"<html><head><title>Oops</title></head><body>502</body></html>", url=URL)
    assert caught.value.feed_url is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"  \r\n\t ", "only white space"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "PNG image"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip"),
        (b'{"data": [1, 2, 3]}', "JSON that is not a JSON Feed"),
        (b"[1, 2, 3]", "JSON that is not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "malformed JSON Feed"),
        (b"Service Unavailable", "plain text"),
        (b"<?xml version='1.0'?><opml version='2.0'><body/></opml>", "OPML"),
        (b"<?xml version='1.0'?><error><code>404</code></error>", "<error>"),
        (b"<!-- nothing here -->", "only comments"),
    ],
)
def test_not_feeds_raise_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)) as caught:
        parse(body, url=URL)
    assert str(caught.value).startswith("not a feed: ")
    assert "\n" not in str(caught.value)


# ---------------------------------------------------------------------------------------
# Properties


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_any_bytes_raise_nothing_but_parse_error(body: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse(body, url=URL)


_fragments = st.sampled_from(
    ["<item>", "</item>", "<title>", "</title>", "<link>", "</link>", "<![CDATA[", "]]>",
     "&", "&amp;", "&nbsp;", "&#0;", "&#x110000;", "<", ">", "<description>",
     "</description>", "<pubDate>", "</pubDate>", "<guid>", "</guid>", "<img src='x'>",
     "<!DOCTYPE rss [<!ENTITY a 'b'>]>", "&a;", "<?xml version='1.0'?>", "<entry>",
     "</entry>", "<feed xmlns='http://www.w3.org/2005/Atom'>", "</feed>", "xml:base='//x'",
     "\x00", "\ufeff", "\ud7ff", "年", "\u0085", " ", "\n"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(_fragments, st.text(max_size=20)), max_size=40),
    st.sampled_from(["utf-8", "gb18030", "utf-16", "big5"]),
    st.sampled_from([None, "text/xml; charset=gbk", "application/json", "text/html"]),
)
def test_feed_like_junk_raises_nothing_but_parse_error(
    parts: list[str], codec: str, content_type: str | None
) -> None:
    body = ("<rss><channel>" + "".join(parts) + "</channel></rss>").encode(codec, "replace")
    try:
        feed = parse(body, url=URL, content_type=content_type)
    except ParseError:
        return
    for entry in feed.entries:
        assert not re.search(r"[\x00-\x08\x0b-\x1f]", entry.title)
        assert entry.published is None or entry.published.tzinfo is not None
