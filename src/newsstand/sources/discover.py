"""Find the feed of a web page: the URL is a feed itself, or its HTML names feeds with
``<link rel="alternate" type="application/rss+xml|atom+xml|feed+json|json" href="…">``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html

from ..config import FetchConfig
from ..fetch import Fetcher, Request
from ..model import Fetched, ParsedFeed
from ..parse import ParseError, parse

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/x-atom+xml",
    "text/xml",
)


class DiscoveryError(Exception):
    """No feed could be found; the message says what the URL gave."""


class Unreachable(DiscoveryError):
    """The URL could not be fetched at all (now): what it serves is not known."""


@dataclass(frozen=True, slots=True)
class Discovered:
    """The feed found for a URL."""

    url: str  # the feed's URL
    title: str | None  # the feed's own title
    others: tuple[str, ...] = ()  # further feeds the page names


def feed_links(html: bytes, base: str) -> list[str]:
    """The feed URLs an HTML page names, in its order, made absolute."""
    try:
        doc = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    base_href = str(doc.xpath("string(//base/@href)") or "")
    base = urljoin(base, base_href) if base_href else base
    found: list[str] = []
    for link in doc.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rels and kind in FEED_TYPES and href:
            url = urljoin(base, href)
            if url not in found:
                found.append(url)
    return found


def _parsed(fetched: Fetched) -> ParsedFeed | None:
    try:
        return parse(fetched.body, url=fetched.url, content_type=fetched.content_type)
    except ParseError:
        return None


def discover(url: str, fetch: FetchConfig) -> Discovered:
    """Fetch ``url``: a feed is taken as it is; an HTML page gives the first feed it names."""

    async def get(urls: list[str]) -> list[Fetched]:
        async with Fetcher(fetch, backoff=0.5) as fetcher:
            return list(await asyncio.gather(*(fetcher.fetch(Request(u, (u,))) for u in urls)))

    (page,) = asyncio.run(get([url]))
    if not page.ok:
        raise Unreachable(f"cannot fetch {url}: {page.error}")
    parsed = _parsed(page)
    if parsed is not None:
        return Discovered(url, parsed.title)
    links = feed_links(page.body, page.url)
    if not links:
        raise DiscoveryError(
            f'{url} is not a feed and names none (no <link rel="alternate"'
            ' type="application/rss+xml">); give the feed\'s own URL'
        )
    (feed,) = asyncio.run(get(links[:1]))
    if not feed.ok:
        raise DiscoveryError(f"{url} names the feed {links[0]}, but it failed: {feed.error}")
    parsed = _parsed(feed)
    if parsed is None:
        raise DiscoveryError(f"{url} names {links[0]}, which is not a feed")
    return Discovered(links[0], parsed.title, tuple(links[1:]))
