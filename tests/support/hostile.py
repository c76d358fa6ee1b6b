"""Hostile feed content for the fault tests: HTML and titles meant to run script, break
YAML or Hexo's templates, and the check that what newsstand wrote is safe."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import lxml.html
import yaml

from support.helpers import rss


def front(post: bytes) -> dict:
    text = post.decode("utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("\n---\n", 1)[0][4:])


def body(post: bytes) -> str:
    return post.decode("utf-8").split("\n---\n", 1)[1]


HOSTILE_HTML = [
    '<p>a</p><script>alert("s1")</script>',
    '<img src="x.png" onerror="alert(\'s2\')">',
    '<svg onload="alert(\'s3\')"><circle r="1"/></svg>',
    "<iframe srcdoc=\"&lt;script&gt;alert('s4')&lt;/script&gt;\"></iframe>",
    '<a href="javascript:alert(\'s5\')">j</a><a href=" JaVaScRiPt:alert(1)">k</a>',
    "<a href=\"vbscript:msgbox('s6')\">v</a>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/"><a href="rel">r</a>',
    "<p style=\"width: expression(alert('s7'))\">e</p>"
    '<div style="background: url(javascript:alert(1))">u</div>',
    '<form action="https://evil.example/"><input name="pw"></form>',
    "<p>{{ site.title }} {% raw %} {# note #} {{ 7*7 }}</p>",
]
HOSTILE_TITLES = [
    "{{ config.title }} and {% if true %}x{% endif %} {# c #}",
    "---",
    "key: value",
    "&anchor x",
    "*alias",
    "!!python/object:os.system ls",
    "@at start",
    "% percent",
    "| pipe",
    "> fold",
    "- dash",
    "'quote\"",
    "# hash",
    "[1, 2]",
    "{a: 1}",
    "true",
    "2021-04-01",
    "~",
    "null",
]


def hostile_feed() -> bytes:
    entries = [
        {
            "title": f"html {i}",
            "guid": f"h{i}",
            "link": f"https://example.com/h{i}",
            "date": "Thu, 01 Apr 2021 00:12:07 GMT",
            "html": html,
        }
        for i, html in enumerate(HOSTILE_HTML)
    ] + [
        {
            "title": title.replace("]]>", ""),
            "guid": f"t{i}",
            "link": f"https://example.com/t{i}",
            "date": "Thu, 01 Apr 2021 00:12:07 GMT",
            "html": "<p>ok</p>",
        }
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
        assert tag not in {
            "script",
            "iframe",
            "meta",
            "base",
            "form",
            "object",
            "embed",
            "style",
        }, lxml.html.tostring(element)
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, value)
            assert name.lower() != "srcdoc"
            squeezed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            for url in squeezed.split(","):  # srcset holds several
                assert not re.match(SCRIPT_URL, url), value
            assert not re.search(r"url\(['\"]?" + SCRIPT_URL, squeezed), value
            assert "expression(" not in squeezed, value


class Scan(HTMLParser):
    """Collects every start tag with its attributes, and comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.comments.append(data)


def scan(html: str) -> Scan:
    parser = Scan()
    parser.feed(html)
    parser.close()
    return parser
