"""``feeds add``: a path or URL the user typed, made a ``[[feeds]]`` table and appended to
the config. A URL is fetched to find its feed (``discover``), unless ``check`` is off; one
that cannot be fetched now is added as given when the user said where to file it (with a
warning), as ``feeds import-opml`` adds URLs. A route is filed from the route catalog
(``routes``). Where to file a URL's feed is asked through ``ask`` when the user did not
say."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..config.edit import add_feeds, feed_index
from ..store import open_store
from .discover import DiscoveryError, Unreachable, discover
from .opml import route_of
from .routes import RouteError, route_feed

Ask = Callable[[str, str | None], str]  # (question, default) -> the answer


class AddError(ValueError):
    """Why the feed cannot be added, in one line."""


@dataclass
class Added:
    feed: dict[str, Any]  # the [[feeds]] table written
    notes: list[str] = field(default_factory=list)  # what discovery found on the way
    warnings: list[str] = field(default_factory=list)  # added, but the user should know

    @property
    def key(self) -> str:
        return str(self.feed.get("route") or self.feed["url"])

    @property
    def place(self) -> str:
        return " › ".join(
            filter(None, (self.feed["category"], self.feed["source"], self.feed["channel"]))
        )


def add_feed(
    config: Config,
    target: str,
    values: Mapping[str, str],
    *,
    category: str | None = None,
    source: str | None = None,
    channel: str | None = None,
    params: Mapping[str, Any] | None = None,
    ask: Ask | None = None,
    check: bool = True,
) -> Added:
    """Add ``target`` (an RSSHub path, a URL on one of our instances, or a page or feed
    URL) to the config; AddError says why it cannot be. ``check``: fetch a URL first to
    find its feed."""
    rsshub_params = dict(params or {})
    on_instance = route_of(target, config.rsshub.instances)  # a URL on our own RSSHub
    if on_instance:
        target, given = on_instance
        rsshub_params = {**given, **rsshub_params}
    if target.lower().startswith(("http://", "https://")):
        if values:
            raise AddError("NAME=VALUE parameters apply to RSSHub paths only")
        added = _url_feed(config, target, category, source, channel, ask, check)
    else:
        try:
            with open_store(config.store.url, lock=False) as store:
                feed = route_feed(store, target, values, category, source, channel)
        except RouteError as exc:
            raise AddError(str(exc)) from None
        added = Added(dict(feed))
    if rsshub_params:
        added.feed["rsshub_params"] = rsshub_params
    try:
        index = feed_index(config, added.key)
    except KeyError:
        pass
    else:
        raise AddError(f"{added.key} is already in {config.path} ([[feeds]] #{index + 1})")
    add_feeds(config.path, [added.feed])
    return added


def _url_feed(
    config: Config,
    url: str,
    category: str | None,
    source: str | None,
    channel: str | None,
    ask: Ask | None,
    check: bool,
) -> Added:
    notes, warnings = [], []
    feed_url, title = url, None
    placed = bool(category and source)
    if check:
        try:
            found = discover(url, config.fetch)
        except Unreachable as exc:
            if not placed:
                raise AddError(
                    f"{exc}; to add it anyway, say where to file it: --category and --source"
                    " (--no-check skips fetching it)"
                ) from None
            warnings.append(f"{exc}; added as given: `newsstand run` reports it while it fails")
        except DiscoveryError as exc:  # fetched, and not a feed: adding it would not help
            raise AddError(str(exc)) from None
        else:
            feed_url, title = found.url, found.title
            if found.url != url:
                notes.append(f"found the feed {found.url}" + (f" ({title})" if title else ""))
            notes += [f"  the page also names {other}" for other in found.others]
    if not placed:
        if ask is None:
            raise AddError(f"say where to file {feed_url}: give --category and --source")
        category = category or ask("category", None)
        source = source or ask("source", title or None)
        channel = channel or ask("channel", source)
    return Added(
        {
            "url": feed_url,
            "category": category,
            "source": source,
            "channel": channel if channel != source else None,
        },
        notes,
        warnings,
    )
