"""The adapter: raw items -> Entry values (dates in UTC, absolute links, stable ids, a
thumbnail) in a ParsedFeed."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable
from datetime import tzinfo

from ..model import Entry, ParsedFeed
from .dates import parse_date
from .raw import RawFeed, RawItem
from .text import absolute, author, first_image


def adapt(raw: RawFeed, url: str, default_tz: tzinfo) -> ParsedFeed:
    feed_link = absolute(raw.link, url)
    entries: dict[str, Entry] = {}
    seen: set[tuple[str, str | None, str, str]] = set()
    empty = duplicates = renamed = 0
    for item in raw.items:
        entry = _entry(item, raw.author, feed_link or url, default_tz)
        if entry is None:
            empty += 1
            continue
        signature = (entry.id, entry.link, entry.title, entry.content)
        if signature in seen:
            duplicates += 1
            continue
        seen.add(signature)
        if entry.id in entries:
            entry = dataclasses.replace(entry, id=_unused_id(entry, entries))
            renamed += 1
        entries[entry.id] = entry
    warnings = list(raw.warnings)
    warnings += _counted(
        (empty, "items with no title, link, id or content skipped"),
        (duplicates, "repeated items dropped"),
        (renamed, "items that repeat another item's id given ids of their own"),
    )
    return ParsedFeed(
        title=raw.title or None,
        link=feed_link,
        entries=tuple(entries.values()),
        warnings=tuple(warnings),
        ttl_minutes=_refresh_minutes(raw),
    )


def _entry(item: RawItem, feed_author: str | None, base: str, default_tz: tzinfo) -> Entry | None:
    base = item.base or base
    link = absolute(item.link, base)
    guid = item.guid.strip() if item.guid else None
    content = item.content if item.content is not None else item.summary
    if not (item.title or link or guid or (content and content.strip())):
        return None
    updated = parse_date(item.updated, default_tz)
    return Entry(
        id=guid or link or _hash_id(item, content),
        link=link,
        title=item.title,
        author=author(item.author) or author(feed_author),
        published=parse_date(item.published, default_tz) or updated,
        updated=updated,
        content=content or "",
        thumbnail=_thumbnail(item, content, base),
    )


def _thumbnail(item: RawItem, content: str | None, base: str) -> str | None:
    for candidate in item.images:
        url = absolute(candidate, base)
        if url:
            return url
    url = absolute(first_image(content), base)
    if url is None and item.summary is not content:
        url = absolute(first_image(item.summary), base)
    return url


def _hash_id(item: RawItem, content: str | None) -> str:
    basis = f"{item.title}\n{item.published or item.updated or ''}"
    if not item.title and not (item.published or item.updated):
        basis += "\n" + (content or "")
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()


def _unused_id(entry: Entry, taken: dict[str, Entry]) -> str:
    """An id for an item whose id another item of the feed already has: its link, else a
    hash of what it holds (deterministic, so the same document gives the same ids)."""
    if entry.link and entry.link not in taken:
        return entry.link
    basis = f"{entry.id}\n{entry.title}\n{entry.link}\n{entry.content}"
    candidate = hashlib.sha1(basis.encode("utf-8")).hexdigest()
    number = 1
    while candidate in taken:
        number += 1
        candidate = hashlib.sha1(f"{basis}\n{number}".encode()).hexdigest()
    return candidate


def _counted(*counts: tuple[int, str]) -> Iterable[str]:
    return (f"{count} {what}" for count, what in counts if count)


_PERIOD_MINUTES = {"hourly": 60, "daily": 1440, "weekly": 10080, "monthly": 43200, "yearly": 525600}


def _count(value: str | None) -> int | None:
    match = re.match(r"\s*(\d{1,9})\s*$", value or "")
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def _refresh_minutes(raw: RawFeed) -> int | None:
    """How often the feed says it changes, in minutes: RSS ``<ttl>``, or the syndication
    module's ``updatePeriod`` / ``updateFrequency`` (times per period); the longer of them."""
    hints = [_count(raw.ttl)]
    period = _PERIOD_MINUTES.get((raw.update_period or "").strip().lower())
    if period is not None:
        hints.append(max(1, period // (_count(raw.update_frequency) or 1)))
    return max((h for h in hints if h is not None), default=None)
