"""Hostile documents through the whole run: not feeds, XML attacks, broken encodings, and
HTML, template and YAML traps. The site stays safe and the run completes."""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path

import lxml.html
import pytest
import yaml
from faultsite import Site
from helpers import rss
from hexo_site import build_hexo_site, require_hexo

from newsstand.demo.server import FeedServer, Resource

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 64


def front(post: bytes) -> dict:
    text = post.decode("utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("\n---\n", 1)[0][4:])


def body(post: bytes) -> str:
    return post.decode("utf-8").split("\n---\n", 1)[1]


# -- not a feed ---------------------------------------------------------------------------


def test_an_html_page_names_the_feed_it_links_to(server: FeedServer, tmp_path: Path) -> None:
    page = (b'<!DOCTYPE html><html><head><title>Blog</title><link rel="alternate"'
            b' type="application/rss+xml" href="/real-feed.xml"></head><body>hi</body></html>')
    reason = Site(server, tmp_path).fault(Resource(page, "text/html")).failure("/bad")["reason"]
    assert "HTML page" in reason and server.url("/real-feed.xml") in reason


@pytest.mark.parametrize(("document", "content_type", "says"), [
    (b"", "application/xml", "empty"),
    (b'{"data": [1, 2, 3], "status": "ok"}', "application/json", "json"),
    (PNG, "image/png", "image"),
], ids=["empty", "json-not-json-feed", "image"])
def test_not_a_feed(server: FeedServer, tmp_path: Path, document: bytes, content_type: str,
                    says: str) -> None:
    reason = Site(server, tmp_path).fault(Resource(document, content_type)).failure("/bad")
    assert says in reason["reason"].lower()


# -- XML attacks --------------------------------------------------------------------------

LAUGHS = "".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
)
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
def test_xml_attacks_are_never_expanded_nor_fetched(server: FeedServer, tmp_path: Path,
                                                    attack: str) -> None:
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
    head = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            "<title>t</title><item><title>")
    tail = ("</title><guid>e1</guid><description>&lt;p&gt;" + "正文" * 200
            + "&lt;/p&gt;</description><pubDate>Thu, 01 Apr 2021 00:12:07 GMT</pubDate></item>"
            "</channel></rss>")
    return (bom + head.encode(codec) + title.encode(codec) + broken + tail.encode(codec))


@pytest.mark.parametrize(("document", "expected"), [
    (_feed("新闻标题", broken=b"\xff\xfe broken"), "新闻标题"),
    (_feed("带 BOM 的标题", bom=b"\xef\xbb\xbf"), "带 BOM 的标题"),
    (_feed("其实是 GBK 编码的中文标题", "gbk"), "其实是 GBK 编码的中文标题"),
    (_feed("NUL\x00 and\x01 controls\x1b \x7f here"), "NUL"),
], ids=["invalid-utf8", "bom", "gbk-declared-utf8", "control-characters"])
def test_broken_encodings_give_readable_titles_and_valid_yaml(
        server: FeedServer, tmp_path: Path, document: bytes, expected: str) -> None:
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

HOSTILE_HTML = [
    '<p>a</p><script>alert("s1")</script>',
    '<img src="x.png" onerror="alert(\'s2\')">',
    '<svg onload="alert(\'s3\')"><circle r="1"/></svg>',
    '<iframe srcdoc="&lt;script&gt;alert(\'s4\')&lt;/script&gt;"></iframe>',
    '<a href="javascript:alert(\'s5\')">j</a><a href=" JaVaScRiPt:alert(1)">k</a>',
    '<a href="vbscript:msgbox(\'s6\')">v</a>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/"><a href="rel">r</a>',
    '<p style="width: expression(alert(\'s7\'))">e</p>'
    '<div style="background: url(javascript:alert(1))">u</div>',
    '<form action="https://evil.example/"><input name="pw"></form>',
    '<p>{{ site.title }} {% raw %} {# note #} {{ 7*7 }}</p>',
]
HOSTILE_TITLES = [
    "{{ config.title }} and {% if true %}x{% endif %} {# c #}",
    "---", "key: value", "&anchor x", "*alias", "!!python/object:os.system ls",
    "@at start", "% percent", "| pipe", "> fold", "- dash", "'quote\"", "# hash",
    "[1, 2]", "{a: 1}", "true", "2021-04-01", "~", "null",
]


def hostile_feed() -> bytes:
    entries = [
        {"title": f"html {i}", "guid": f"h{i}", "link": f"https://example.com/h{i}",
         "date": "Thu, 01 Apr 2021 00:12:07 GMT", "html": html}
        for i, html in enumerate(HOSTILE_HTML)
    ] + [
        {"title": title.replace("]]>", ""), "guid": f"t{i}", "link": f"https://example.com/t{i}",
         "date": "Thu, 01 Apr 2021 00:12:07 GMT", "html": "<p>ok</p>"}
        for i, title in enumerate(HOSTILE_TITLES)
    ]
    return rss(entries)


SCRIPT_URL = r"((java|vb|live)script:|data:text/html)"


def assert_safe(html: str) -> None:
    """No script element, no on* attribute, no script URL, nothing that redirects."""
    # lxml takes no control characters (the publisher drops them from posts too)
    html = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]", "", html)
    if not html.strip():
        return
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower().rsplit("}", 1)[-1]
        assert tag not in {"script", "iframe", "meta", "base", "form", "object", "embed",
                           "style"}, lxml.html.tostring(element)
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, value)
            assert name.lower() != "srcdoc"
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            for url in squeezed.split(","):  # srcset holds several
                assert not re.match(SCRIPT_URL, url), value
            assert not re.search(r"url\(['\"]?" + SCRIPT_URL, squeezed), value
            assert "expression(" not in squeezed, value


def test_hostile_content_and_titles_through_the_run(server: FeedServer,
                                                    tmp_path: Path) -> None:
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


def test_hexo_builds_the_hostile_posts_safely(server: FeedServer, tmp_path: Path) -> None:
    require_hexo()
    site = Site(server, tmp_path / "site")
    site.second_run(Resource(hostile_feed()))
    build = build_hexo_site(site.posts_dir, tmp_path / "hexo").check(allow_warnings=False)
    articles = [p for p in build.pages()
                if re.match(r"\d{4}$", p.relative_to(build.public).parts[0])]
    assert len(articles) == len(site.posts())
    seen = ""
    for page in articles:
        html = page.read_text("utf-8")
        content = html.split('<div class="post-content">', 1)[1].split("</article>", 1)[0]
        assert_safe(content.rsplit("</div>", 1)[0])
        seen += html
    shown = html_module.unescape(seen)
    assert "{{ site.title }}" in shown and "{{ 7*7 }}" in shown  # shown, never evaluated
    assert "{{ config.title }}" in shown and "49" not in shown
