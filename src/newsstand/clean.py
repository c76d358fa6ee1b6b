"""HTML sanitising and rewriting: the feed's own HTML in, HTML safe for a page out.

One pass of nh3 (ammonia) on an allowlist fit for articles. It drops scripts, styles,
comments, event handlers, forms, objects and script URLs; resolves relative URLs against
the item's link; and marks images and links so they leak nothing to third parties.
This runs last on the content (after parse has picked the thumbnail from the original
HTML) so that nothing later can reintroduce what it removed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import nh3

from .model import Entry

TAGS = frozenset(
    {
        # text
        "p", "br", "hr", "span", "div", "section", "article", "header", "footer", "aside",
        "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "del",
        "ins", "mark", "small", "sub", "sup", "abbr", "cite", "q", "dfn", "time", "kbd",
        "samp", "var", "ruby", "rt", "rp", "bdi", "bdo", "wbr", "center", "font", "strike",
        "tt", "big", "details", "summary", "address",
        # links and media
        "a", "img", "picture", "source", "figure", "figcaption", "audio", "video", "track",
        # lists, quotes, code
        "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "code",
        # tables
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    }
)  # fmt: skip

# Elements dropped together with everything inside them.
DROP_WITH_CONTENT = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "applet",
     "form", "button", "select", "textarea", "frame", "frameset", "math", "svg", "title"}
)  # fmt: skip

ATTRIBUTES: dict[str, set[str]] = {
    "*": {"title", "lang", "dir"},
    "a": {"href", "hreflang", "name"},
    "img": {"src", "alt", "width", "height", "srcset", "sizes"},
    "source": {"src", "srcset", "type", "media", "sizes"},
    "audio": {"src", "loop", "muted"},
    "video": {"src", "loop", "muted", "poster", "width", "height"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "abbr": {"title"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "headers", "align"},
    "th": {"colspan", "rowspan", "headers", "scope", "align"},
    "col": {"span"},
    "colgroup": {"span"},
    "details": {"open"},
    "code": {"class"},  # language-xyz for highlighters
    "pre": {"class"},
}

URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "magnet"})

_LAZY_SRC = re.compile(
    r"(<img\b[^>]*?)\sdata-(?:src|original|actualsrc|lazy-src)\s*=\s*(\"[^\"]*\"|'[^']*')",
    re.IGNORECASE,
)


# Attributes every such element gets. Added here rather than with nh3's
# set_tag_attribute_values, whose order changes from process to process (a Rust HashMap):
# the same item must give the same bytes on every run, or it would count as changed.
# nh3 has already dropped any of these the feed set, so none is doubled.
_MARKS = {
    "img": ' referrerpolicy="no-referrer" loading="lazy" decoding="async"',
    "video": ' controls preload="none"',
    "audio": ' controls preload="none"',
}
_MARKED_TAGS = re.compile(r"<(img|video|audio)\b")
# an <img> as nh3 writes it: attribute values in double quotes (which may hold a ">")
_IMG = re.compile(r'<img\b(?:[^>"]|"[^"]*")*>')
_IMG_SOURCE = re.compile(r'\s(?:src|srcset)="')


def _absolute(base: str | None) -> Callable[[str], str | None]:
    def rewrite(url: str) -> str | None:
        if not base:
            return None  # a relative URL with nothing to resolve it against goes nowhere
        return urljoin(base, url)

    return rewrite


def _srcset_filter(base: str | None) -> Callable[[str, str, str], str | None]:
    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if attr != "srcset":
            return value
        candidates = []
        for candidate in value.split(","):
            parts = candidate.split()
            if not parts:
                continue
            url = urljoin(base or "", parts[0])
            if urlsplit(url).scheme not in ("http", "https"):
                continue
            candidates.append(" ".join([url, *parts[1:]]))
        return ", ".join(candidates) or None

    return attribute_filter


def _promote_lazy_images(html: str) -> str:
    """Use the real image of lazy-loading markup (``data-src``) as ``src``.

    Sites such as WeChat put a placeholder (often a ``data:`` URL) in ``src`` and the
    article image in ``data-src``; without a script the reader would see no image.
    """
    if "data-" not in html:
        return html

    def promote(match: re.Match[str]) -> str:
        head = re.sub(r"\ssrc\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", "", match.group(1))
        return f"{head} src={match.group(2)}"

    return _LAZY_SRC.sub(promote, html)


def clean_html(html: str, base_url: str | None) -> str:
    """Sanitise ``html`` for a page, resolving relative URLs against ``base_url``."""
    if not html:
        return ""
    html = nh3.clean(
        _promote_lazy_images(html),
        tags=set(TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes=ATTRIBUTES,
        attribute_filter=_srcset_filter(base_url),
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=set(URL_SCHEMES),
        url_relative=_absolute(base_url),
    )
    # an image whose only source was dropped (a data: URL, a script URL) shows nothing
    html = _IMG.sub(lambda m: m.group(0) if _IMG_SOURCE.search(m.group(0)) else "", html)
    return _MARKED_TAGS.sub(lambda m: m.group(0) + _MARKS[m.group(1)], html)


def _safe_url(url: str | None, base: str | None) -> str | None:
    if not url:
        return None
    absolute = urljoin(base or "", url.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def clean_entry(entry: Entry) -> Entry:
    """The entry with sanitised content and a thumbnail that is a safe absolute URL."""
    return dataclasses.replace(
        entry,
        content=clean_html(entry.content, entry.link),
        thumbnail=_safe_url(entry.thumbnail, entry.link),
    )


__all__ = ["clean_entry", "clean_html"]
