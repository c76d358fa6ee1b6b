"""OPML in and out: subscriptions from any feed reader, and ours for any reader.

Folders map to the place items are filed: an outline folder inside a folder is
category › source, and a feed's title is its channel. Readers that have one level of
folders (Feedly, Inoreader, FreshRSS, Miniflux) give the category; the feed's title is
then its source as well as its channel.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from lxml import etree

from ..model import Feed
from ..rsshub import PARAMS as RSSHUB_PARAMS

__all__ = [
    "ImportPlan",
    "OPMLError",
    "OutlineFeed",
    "export_opml",
    "plan_import",
    "read_opml",
    "route_of",
]


class OPMLError(Exception):
    """The document is not OPML we can read; the message says why."""


@dataclass(frozen=True, slots=True)
class OutlineFeed:
    """One feed of an OPML document, with the folders it sits in."""

    url: str
    title: str | None
    folders: tuple[str, ...]  # outermost first
    enabled: bool = True


def _attr(element: etree._Element, name: str) -> str | None:
    """An attribute by name in any case (some exporters write ``xmlurl``)."""
    for key, value in element.attrib.items():
        if isinstance(key, str) and key.lower() == name.lower():
            text = value if isinstance(value, str) else value.decode("utf-8", "replace")
            return text.strip() or None
    return None


def read_opml(data: bytes) -> list[OutlineFeed]:
    """Every feed (an outline with ``xmlUrl``) in document order."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OPMLError(f"not XML: {exc}") from None
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise OPMLError("not an OPML document (its root element is not <opml>)")
    body = next(
        (c for c in root if isinstance(c.tag, str) and etree.QName(c).localname.lower() == "body"),
        None,
    )
    if body is None:
        raise OPMLError("the OPML document has no <body>")
    return list(_walk(body, ()))


def _walk(parent: etree._Element, folders: tuple[str, ...]) -> Iterator[OutlineFeed]:
    for outline in parent:
        if not isinstance(outline.tag, str) or etree.QName(outline).localname.lower() != (
            "outline"
        ):
            continue
        title = _attr(outline, "title") or _attr(outline, "text")
        url = _attr(outline, "xmlUrl")
        if url:
            yield OutlineFeed(
                url, title, folders, enabled=(_attr(outline, "isDisabled") or "").lower() != "true"
            )
        else:
            yield from _walk(outline, (*folders, title) if title else folders)


def place_of(feed: OutlineFeed, default_category: str) -> tuple[str, str, str]:
    """(category, source, channel) for an imported feed."""
    title = feed.title or urlsplit(feed.url).netloc or feed.url
    if len(feed.folders) >= 2:
        return feed.folders[0], feed.folders[1], title
    if len(feed.folders) == 1:
        return feed.folders[0], title, title
    return default_category, title, title


@dataclass
class ImportPlan:
    """What an OPML import adds, and what it leaves out."""

    feeds: list[dict[str, Any]] = field(default_factory=list)  # [[feeds]] tables
    refused: list[str] = field(default_factory=list)  # one line each: what and why


def plan_import(
    outlines: Sequence[OutlineFeed], instances: Sequence[str], default_category: str
) -> ImportPlan:
    """The ``[[feeds]]`` tables for OPML outlines; URLs on ``instances`` become routes."""
    plan = ImportPlan()
    for outline in outlines:
        if not outline.url.lower().startswith(("http://", "https://")):
            plan.refused.append(f"{outline.url}: not an http or https URL")
            continue
        route, params = route_of(outline.url, instances) or (None, {})
        category, source, channel = place_of(outline, default_category)
        plan.feeds.append(
            {
                "route" if route else "url": route or outline.url,
                "category": category,
                "source": source,
                "channel": channel if channel != source else None,
                "enabled": None if outline.enabled else False,
                "rsshub_params": params or None,
            }
        )
    return plan


def route_of(url: str, instances: Sequence[str]) -> tuple[str, dict[str, str]] | None:
    """The RSSHub route behind a URL on one of ``instances``, and its RSSHub common
    parameters (``limit=20`` …); an access key or code is dropped."""
    for instance in instances:
        if url.startswith(instance + "/"):
            path, _, query = url[len(instance) :].partition("?")
            path = unquote(path)  # kept readable; fetching encodes it again
            pairs = [
                (k, v)
                for k, v in parse_qsl(query, keep_blank_values=True)
                if k not in ("key", "code")
            ]
            params = {k: v for k, v in pairs if k in RSSHUB_PARAMS}
            rest = [(k, v) for k, v in pairs if k not in RSSHUB_PARAMS]
            return path + ("?" + urlencode(rest) if rest else ""), params
    return None


def export_opml(
    feeds: Sequence[Feed], instance: str, title: str = "newsstand", *, stamp: bool = True
) -> bytes:
    """An OPML 2.0 document: category folders holding source folders holding feeds.

    A route's URL is on ``instance``, without any access key. ``stamp=False`` leaves out
    the creation date, so the same feeds always give the same bytes (the site's copy).
    """
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    if stamp:
        etree.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime(
            "%a, %d %b %Y %H:%M:%S GMT"
        )
    body = etree.SubElement(root, "body")
    folders: dict[tuple[str, ...], etree._Element] = {}
    for feed in feeds:
        parent = body
        for depth, name in enumerate((feed.category, feed.source), 1):
            path = (feed.category, feed.source)[:depth]
            if path not in folders:
                folders[path] = etree.SubElement(parent, "outline", text=name, title=name)
            parent = folders[path]
        url = feed.url or instance + _route_with_params(feed)
        attrs = {"type": "rss", "text": feed.channel, "title": feed.channel, "xmlUrl": url}
        if not feed.enabled:
            attrs["isDisabled"] = "true"  # not standard; readers ignore it, we read it back
        etree.SubElement(parent, "outline", attrs)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return data


def _route_with_params(feed: Feed) -> str:
    assert feed.route is not None
    if not feed.rsshub_params:
        return feed.route
    return feed.route + ("&" if "?" in feed.route else "?") + urlencode(feed.rsshub_params)
