"""Not a feed: say what it is. Also the byte patterns that recognise markup (HTML, comments,
DOCTYPE), which the XML reader and the loose fallback share."""

from __future__ import annotations

import re

from .errors import ParseError
from .text import absolute, attributes, plain

# Markup, recognised in the bytes (HTML, comments, processing instructions, DOCTYPE)
HTML_START = re.compile(
    rb"\s*(?:<!--.*?-->\s*|<\?.*?\?>\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TAGS = re.compile(
    rb"<(?:html|head|body|title|meta|div|p|a|span|script|br|table|h[1-6])[\s>/]", re.IGNORECASE
)
DOCTYPE = rb"<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>"
MARKUP_NOISE = re.compile(rb"<!--.*?-->|<\?.*?\?>|" + DOCTYPE, re.DOTALL | re.IGNORECASE)
DOCTYPE_DECLARATION = re.compile(DOCTYPE, re.DOTALL | re.IGNORECASE)
ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s+([A-Za-z_][\w.-]*)")

# What an HTML page says about itself
_LINK_TAG = re.compile(rb"<link\b[^>]*>", re.IGNORECASE)
_BASE_TAG = re.compile(rb"<base\b[^>]*>", re.IGNORECASE)
_TITLE_TAG = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json",
     "application/rdf+xml", "application/x.atom+xml", "application/x-atom+xml"}
)  # fmt: skip


def not_a_feed(data: bytes, url: str) -> ParseError:
    if _HTML_TAGS.search(data[:8192]):
        return html_error(data, url, "fragment" if not HTML_START.match(data) else "page")
    head = data.lstrip()[:200].decode("utf-8", "replace")
    if head.startswith("<"):
        if not MARKUP_NOISE.sub(b"", data).strip():
            return ParseError("not a feed: a document with only comments in it")
        return ParseError("not a feed: markup with no rss, feed or rdf:RDF element")
    printable = sum(c.isprintable() or c.isspace() for c in head)
    if printable < len(head) * 0.9:
        return ParseError("not a feed: binary data")
    snippet = " ".join(head.split())[:40]
    return ParseError(f"not a feed: plain text ({snippet!r}...)")


def html_error(data: bytes, url: str, kind: str) -> ParseError:
    head = data[:65536]
    title_match = _TITLE_TAG.search(head)
    title = plain(title_match.group(1).decode("utf-8", "replace")) if title_match else ""
    what = f"an HTML {kind}" + (f" ({title[:80]!r})" if title else "")
    base = url
    base_tag = _BASE_TAG.search(head)
    if base_tag:
        base = absolute(attributes(base_tag.group(0)).get("href"), url) or url
    for tag in _LINK_TAG.finditer(head):
        attrs = attributes(tag.group(0))
        rels = (attrs.get("rel") or "").lower().split()
        kind_of = (attrs.get("type") or "").strip().lower()
        if "alternate" in rels and kind_of in _FEED_TYPES:
            feed_url = absolute(attrs.get("href"), base)
            if feed_url:
                return ParseError(
                    f"not a feed: {what}; it links to a feed at {feed_url}", feed_url=feed_url
                )
    return ParseError(f"not a feed: {what}")
