"""The raw shape every reader produces: items as their format gave them, before the adapter
makes Entry values of them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class RawItem:
    """One item as its format gave it: strings, HTML already decided, dates unparsed."""

    guid: str | None = None
    link: str | None = None  # possibly relative
    title: str = ""  # plain text
    author: str | None = None
    published: str | None = None
    updated: str | None = None
    content: str | None = None  # HTML
    summary: str | None = None  # HTML
    images: list[str] = field(default_factory=list)  # thumbnail candidates, best first
    base: str = ""  # what relative URLs of this item resolve against


@dataclass(slots=True)
class RawFeed:
    title: str | None = None
    link: str | None = None
    ttl: str | None = None  # RSS <ttl>: minutes
    update_period: str | None = None  # sy:updatePeriod: hourly, daily, ...
    update_frequency: str | None = None  # sy:updateFrequency: times per period
    author: str | None = None  # inherited by items that name none (Atom, JSON Feed)
    items: list[RawItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
