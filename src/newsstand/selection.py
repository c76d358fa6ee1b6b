"""The feed's own choice of items: include/exclude patterns, its limit, repeated ids."""

from __future__ import annotations

from collections.abc import Sequence

from .model import Entry, Feed


def _text(entry: Entry) -> str:
    return f"{entry.title}\n{entry.content}"


def select_entries(feed: Feed, entries: Sequence[Entry]) -> list[Entry]:
    """Apply the feed's include/exclude patterns and limit; drop repeated ids."""
    seen: set[str] = set()
    kept: list[Entry] = []
    for entry in entries:
        if entry.id in seen:
            continue
        seen.add(entry.id)
        if feed.include and not feed.include.search(_text(entry)):
            continue
        if feed.exclude and feed.exclude.search(_text(entry)):
            continue
        kept.append(entry)
        if feed.limit and len(kept) >= feed.limit:
            break
    return kept
