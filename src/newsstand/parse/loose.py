"""The feedparser fallback, for documents that are not well-formed XML even after the
cheap repairs."""

from __future__ import annotations

import io
import re
from typing import Any

import feedparser

from .errors import ParseError
from .raw import RawFeed, RawItem
from .sniff import DOCTYPE_DECLARATION, ENTITY_DECLARATION, not_a_feed
from .text import add, as_html, is_image, plain

_ENTITY_REFERENCE = re.compile(rb"&([A-Za-z_][\w.-]*);")


def read_loose(data: bytes, url: str) -> RawFeed:
    """feedparser's lenient parser, for documents lxml cannot read. The DOCTYPE goes
    first so that no entity it declares can be expanded."""
    doctype = DOCTYPE_DECLARATION.search(data)
    if doctype:
        declared = set(ENTITY_DECLARATION.findall(doctype.group(0)))
        data = data[: doctype.start()] + data[doctype.end() :]
        if declared:  # their references would otherwise stay in the text as "&name;"
            data = _ENTITY_REFERENCE.sub(
                lambda match: b"" if match.group(1) in declared else match.group(0), data
            )
    headers = {"content-type": "application/xml; charset=utf-8"}
    if url:
        headers["content-location"] = url
    try:
        result = feedparser.parse(
            io.BytesIO(data),
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers=headers,
        )
    except Exception as error:  # a crash in the third-party parser is still "cannot read"
        raise ParseError(
            f"not a feed: not well-formed XML that the lenient parser cannot read either "
            f"({type(error).__name__})"
        ) from error
    if not _fp(result, "version") and not _fp(result, "entries"):
        raise not_a_feed(data, url)
    feed = _fp(result, "feed") or {}
    raw = RawFeed(
        title=plain(_fp_str(feed, "title")),
        link=_fp_str(feed, "link"),
        ttl=_fp_str(feed, "ttl"),
        update_period=_fp_str(feed, "sy_updateperiod"),
        update_frequency=_fp_str(feed, "sy_updatefrequency"),
        author=_fp_str(feed, "author"),
    )
    for entry in _fp(result, "entries") or ():
        raw.items.append(_loose_item(entry, url))
    return raw


def _loose_item(entry: Any, url: str) -> RawItem:
    content = None
    for part in _fp(entry, "content") or ():
        value = _fp_str(part, "value")
        if value and value.strip():
            content = as_html(value, _fp(part, "type") == "text/plain")
            break
    summary = _fp_str(entry, "summary")
    if summary is not None:
        summary = as_html(summary, _fp(_fp(entry, "summary_detail") or {}, "type") == "text/plain")
    images: list[str] = []
    for thumb in _fp(entry, "media_thumbnail") or ():
        add(images, _fp_str(thumb, "url"))
    for media in _fp(entry, "media_content") or ():
        if is_image(_fp(media, "medium"), _fp(media, "type"), _fp(media, "url")):
            add(images, _fp_str(media, "url"))
    for link in _fp(entry, "links") or ():
        if _fp(link, "rel") == "enclosure" and is_image(None, _fp(link, "type"), _fp(link, "href")):
            add(images, _fp_str(link, "href"))
    return RawItem(
        guid=_fp_str(entry, "id"),
        link=_fp_str(entry, "link"),
        title=plain(_fp_str(entry, "title")),
        author=_fp_str(entry, "author"),
        published=_fp_str(entry, "published") or _fp_str(entry, "created"),
        updated=_fp_str(entry, "updated"),
        content=content,
        summary=summary if summary != content else None,
        images=images,
        base=url,
    )


def _fp(mapping: Any, key: str) -> Any:
    """A value of a feedparser result, read as the plain dict it is: FeedParserDict.get
    maps old names, and answers "updated" with the published date."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def _fp_str(mapping: Any, key: str) -> str | None:
    value = _fp(mapping, key)
    return value if isinstance(value, str) else None
