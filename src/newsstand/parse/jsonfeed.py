"""JSON Feed, and Dave Winer's RSS-in-JSON."""

from __future__ import annotations

import json
from typing import Any

from .errors import ParseError
from .raw import RawFeed, RawItem
from .text import add, is_image, plain, text_to_html


def read_json(data: bytes) -> RawFeed:
    try:
        document = json.loads(data)
    except RecursionError as error:
        raise ParseError("not a feed: JSON nested too deeply") from error
    except ValueError as error:
        what = "JSON Feed" if b"jsonfeed.org/version" in data[:4096] else "JSON"
        detail = (
            f"line {error.lineno} column {error.colno}: {error.msg}"
            if isinstance(error, json.JSONDecodeError)
            else str(error)
        )
        raise ParseError(f"not a feed: malformed {what} ({detail})") from error
    if not isinstance(document, dict):
        raise ParseError("not a feed: JSON that is not a JSON Feed")
    rss = document.get("rss")
    if isinstance(rss, dict) and isinstance(rss.get("channel"), dict):
        return _read_rss_in_json(rss["channel"])
    if not _is_json_feed(document):
        raise ParseError("not a feed: JSON that is not a JSON Feed")
    raw = RawFeed(
        title=plain(_json_str(document.get("title"))),
        link=_json_str(document.get("home_page_url")),
        author=_json_author(document),
    )
    skipped = 0
    for item in document.get("items") or ():
        if isinstance(item, dict):
            raw.items.append(_json_item(item))
        else:
            skipped += 1
    if skipped:
        raw.warnings.append(f"skipped {skipped} items that are not JSON objects")
    return raw


_RSS_IN_JSON_FIELDS = {
    "guid": ("guid",),
    "link": ("link",),
    "title": ("title",),
    "author": ("author", "dc:creator"),
    "published": ("pubDate", "dc:date"),
    "content": ("content:encoded",),
    "summary": ("description",),
}


def _read_rss_in_json(channel: dict[str, Any]) -> RawFeed:
    """Dave Winer's RSS-in-JSON (scripting.com): RSS 2.0 element names as JSON keys."""
    raw = RawFeed(
        title=plain(_json_str(channel.get("title"))),
        link=_json_str(channel.get("link")),
        ttl=_json_str(channel.get("ttl")),
    )
    items = channel.get("item")
    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, dict):
            continue
        values = {
            name: next((v for key in keys if (v := _json_str(item.get(key)))), None)
            for name, keys in _RSS_IN_JSON_FIELDS.items()
        }
        images: list[str] = []
        enclosure = item.get("enclosure")
        if isinstance(enclosure, dict) and is_image(
            None, enclosure.get("type"), enclosure.get("url")
        ):
            add(images, _json_str(enclosure.get("url")))
        raw.items.append(
            RawItem(
                guid=values["guid"],
                link=values["link"],
                title=plain(values["title"]),
                author=values["author"],
                published=values["published"],
                content=values["content"],
                summary=values["summary"],
                images=images,
            )
        )
    return raw


def _is_json_feed(document: dict[str, Any]) -> bool:
    version = document.get("version")
    if isinstance(version, str) and "jsonfeed.org/version" in version:
        return True
    return isinstance(document.get("items"), list) and "title" in document


def _json_item(item: dict[str, Any]) -> RawItem:
    content = _json_str(item.get("content_html"))
    if not (content and content.strip()):
        text = _json_str(item.get("content_text"))
        content = text_to_html(text) if text and text.strip() else None
    summary = _json_str(item.get("summary"))
    images: list[str] = []
    for key in ("image", "banner_image"):
        add(images, _json_str(item.get(key)))
    for attachment in item.get("attachments") or ():
        if isinstance(attachment, dict) and is_image(
            None, attachment.get("mime_type"), attachment.get("url")
        ):
            add(images, _json_str(attachment.get("url")))
    identifier = item.get("id")
    if isinstance(identifier, int | float) and not isinstance(identifier, bool):
        identifier = str(identifier)
    return RawItem(
        guid=_json_str(identifier),
        link=_json_str(item.get("url")) or _json_str(item.get("external_url")),
        title=plain(_json_str(item.get("title"))),
        author=_json_author(item),
        published=_json_str(item.get("date_published")),
        updated=_json_str(item.get("date_modified")),
        content=content,
        summary=text_to_html(summary) if summary and summary.strip() else None,
        images=images,
    )


def _json_author(holder: dict[str, Any]) -> str | None:
    authors = holder.get("authors")
    candidates = authors if isinstance(authors, list) else [holder.get("author")]
    for author in candidates:
        if isinstance(author, dict):
            name = _json_str(author.get("name"))
            if name:
                return name
    return None


def _json_str(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
