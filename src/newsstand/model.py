"""The nouns that flow between stages.

sources/config -> Feed -> fetch -> Fetched -> parse -> ParsedFeed[Entry] -> clean -> Entry
-> store -> Item -> publish -> Post

Every noun is a small frozen dataclass: stages take nouns and return nouns, and
nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Feed:
    """One subscription: what to fetch and where its items belong."""

    key: str  # stable identity in the store: the RSSHub route, or the URL
    route: str | None  # RSSHub path such as "/sina/finance" (tried on every instance)
    url: str | None  # a feed URL (exactly one of route/url is set)
    category: str
    source: str
    channel: str
    limit: int | None = None  # keep at most this many items of each fetch
    include: re.Pattern[str] | None = None  # keep only items whose title/text match
    exclude: re.Pattern[str] | None = None  # drop items whose title/text match
    clean: bool = True  # sanitise the item HTML (False keeps it as the feed gave it)
    enabled: bool = True
    keep_days: int | None = None  # retention (None: keep forever)
    keep_per_feed: int | None = None
    # RSSHub common query parameters (limit, filter, mode, ...), in the order given
    rsshub_params: tuple[tuple[str, str], ...] = ()
    timezone: str | None = None  # IANA zone of the feed's dates that name none (None: the site's)
    interval: float | None = None  # seconds between fetches (None: [fetch] interval)
    stories: bool = True  # False: its entries are never grouped with others'
    fulltext: bool | None = None  # fetch each entry's article page (None: [fetch] fulltext)


@dataclass(frozen=True, slots=True)
class Route:
    """One RSSHub route of the catalog: where its feed belongs and how to ask for it."""

    path: str  # full path template: "/sina/finance/china/:lid?"
    example: str | None  # a working path: "/sina/finance/china"
    namespace: str  # the first path segment: "sina"
    category: str  # "金融"
    category_id: str | None  # RSSHub's id for it: "finance"
    source: str  # the site: "新浪财经"
    channel: str | None  # the route's name: "新浪财经－国內" (None: the site has one route)
    parameters: tuple[tuple[str, str], ...] = ()  # (name, description) in path order
    origin: str = ""  # the docs file or instance it came from
    line: int | None = None  # where in the docs file
    format: str = "api"  # "old" or "new" docs, or "api" (an instance's /api/namespace)


@dataclass(frozen=True, slots=True)
class Fetched:
    """The outcome of fetching one feed: a body, a 304, or an error."""

    feed_key: str
    url: str  # the URL that answered (after failover and redirects)
    status: int | None  # HTTP status; None when no response was had at all
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None  # one line saying what went wrong, when it did
    attempts: int = 1
    elapsed: float = 0.0
    tried: tuple[tuple[str, bool], ...] = ()  # (URL asked for, whether it answered) in order
    moved_to: str | None = None  # where a permanent redirect (301/308) says the feed now is
    retry_after: float | None = None  # seconds the server asked to wait (429/503)
    max_age: float | None = None  # seconds the response may be cached (Cache-Control)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status in (200, 304)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Entry:
    """One normalised feed item."""

    id: str  # stable: guid, else link, else hash of title and date
    link: str | None  # absolute
    title: str  # plain text, entities decoded, white space collapsed
    author: str | None
    published: datetime | None  # aware UTC; None when the feed gives no date at all
    updated: datetime | None  # aware UTC
    content: str  # HTML: full content over summary
    thumbnail: str | None  # absolute image URL


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What parse recovered from one document."""

    title: str | None
    link: str | None
    entries: tuple[Entry, ...]
    warnings: tuple[str, ...] = ()
    ttl_minutes: int | None = None  # how often the feed says it changes: <ttl>, sy:updatePeriod


@dataclass(frozen=True, slots=True)
class Outcome:
    """One feed's fetch, ready to store: the entries to keep, or why there are none."""

    feed: Feed
    fetched: Fetched
    entries: tuple[Entry, ...] | None  # None: nothing to store (a 304 or a failure)
    error: str | None = None  # the fetch's error, or why the body could not be parsed
    title: str | None = None  # the feed's own title, when parsed
    ttl_minutes: int | None = None  # the feed's own refresh hint, when parsed


@dataclass(frozen=True, slots=True)
class Item:
    """A stored entry with the place it belongs to: what publishers read."""

    uid: str  # unique across the store: stable per (feed, entry id)
    feed_key: str
    category: str
    source: str
    channel: str
    entry: Entry  # entry.published is always set here (first-seen time as the last resort)
    revision: int  # bumps whenever the stored entry changes


@dataclass(frozen=True, slots=True)
class Post:
    """A file a publisher wants on disk."""

    path: str  # relative to the publisher's output folder, "/"-separated
    text: str
    uid: str  # the Item it comes from
    revision: int = 0


@dataclass(frozen=True, slots=True)
class Output:
    """A file a publisher wrote for one item, as its manifest remembers it."""

    uid: str
    path: str  # relative to the publisher's output folder, "/"-separated
    revision: int  # the Item revision it was written from
    digest: str  # sha1 of the bytes written: tells our file from one the user edited


@dataclass(frozen=True, slots=True)
class FeedReport:
    """How one feed fared in a run."""

    feed_key: str
    url: str | None
    ok: bool
    status: int | None = None
    error: str | None = None
    new: int = 0
    updated: int = 0
    warnings: tuple[str, ...] = field(default_factory=tuple)
    skipped: bool = False  # not fetched this run: gone, or backing off (``error`` says why)
    next_due: str | None = None  # when a failing feed is tried again (ISO, UTC)


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing one fetch changed."""

    new: int = 0
    updated: int = 0
    uids: tuple[str, ...] = ()  # the entries written


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store knows of a feed before fetching it: what the schedule plans with."""

    next_due: datetime | None = None  # a failing feed rests until then
    gone_since: datetime | None = None  # the server said 410 Gone: not fetched any more
    moved_to: str | None = None  # a permanent redirect's target: fetched from there
    failures: int = 0  # consecutive failures
    last_error: str | None = None
    last_success: datetime | None = None  # when it last answered
    ttl_minutes: int | None = None  # the feed's own refresh hint (<ttl>, sy:updatePeriod)
    max_age: float | None = None  # seconds its last answer may be cached (Cache-Control)


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """One feed as the store keeps it: its place, how its fetches went, what it holds."""

    key: str
    category: str
    source: str
    channel: str
    last_attempt: str | None  # ISO, UTC
    last_success: str | None  # ISO, UTC
    last_status: int | None  # HTTP status of the last attempt
    last_error: str | None
    failures: int  # in a row
    next_due: str | None  # a failing feed rests until then (ISO, UTC)
    gone_since: str | None  # 410 Gone since then (ISO, UTC)
    moved_to: str | None  # a permanent redirect's target
    entries: int  # stored


class IndexRow(NamedTuple):
    """One stored entry as the site build plans with it (a tuple: there are 100,000s)."""

    id: int  # storage order
    uid: str
    revision: int
    at: str  # sort time, UTC ISO text (a future date: when first seen)
    category: str
    source: str
    channel: str
    story: int  # the story it belongs to (its own id when it stands alone)


@dataclass(frozen=True, slots=True)
class StoryEntry:
    """A stored entry as story grouping sees it: what it compares, and where it went."""

    row: int  # the entry's storage id
    feed_key: str
    at: str  # its sort time, UTC ISO text
    title: str
    lead: str  # the start of its text, plain (stories.text.LEAD characters)
    story: int | None = None  # the story (the row of its first entry); None: not grouped yet
    sketch: bytes | None = None  # its MinHash sketch (None: never matched, e.g. stories = false)


@dataclass(frozen=True, slots=True)
class Story:
    """Entries of different feeds that report the same event, earliest first."""

    id: int
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class ArticleJob:
    """An entry whose article page is to be fetched (its feed gives a teaser)."""

    row: int  # the entry's storage id
    uid: str
    feed_key: str
    link: str
    digest: str  # the entry as stored: a changed entry is fetched again
    teaser: str  # the feed's HTML for it
    explicit: bool  # the feed says fulltext = true (else [fetch] fulltext = "auto")
    etag: str | None = None  # of the page's last fetch
    last_modified: str | None = None
    previous: str | None = None  # the article found then, if any
    attempts: int = 0  # fetches that failed so far


@dataclass(frozen=True, slots=True)
class ArticleText:
    """What fetching an entry's page gave: the article, or why the teaser stays."""

    row: int
    digest: str
    url: str
    status: int | None
    content: str | None  # the article's sanitised HTML; None: the feed's text is kept
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 0
    retry: bool = False  # a failure worth trying again next run (a timeout, a 5xx)


@dataclass(frozen=True, slots=True)
class Claim:
    """A due feed a worker took, with its lease (PostgreSQL stores only)."""

    feed_key: str
    due_at: datetime | None  # when it fell due (None: new, due since it was added)
    lag: float | None  # seconds between falling due and being claimed


@dataclass(frozen=True, slots=True)
class WorkerRecord:
    """A worker or builder as the store knows it (PostgreSQL stores only)."""

    name: str  # host:pid:tag, unique
    host: str
    pid: int
    role: str  # "worker", "builder" (waiting to lead) or "leader" (the builder that builds)
    started: str  # ISO, UTC
    last_seen: str  # ISO, UTC
    stopped: str | None  # when it left cleanly (None: running, or killed)
    claimed: int  # feeds claimed since it started
    fetched: int  # feeds fetched and stored
    errors: int  # feeds whose fetch failed
    last_error: str | None
    queries: int  # statements its main connection ran (the lease thread's not counted)
    holding: int  # feeds it holds a live lease on now


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """A picture the site shows, as the store keeps it: where it came from, the file made
    of it (``name`` None: none, see ``error``) and what fetching it met."""

    url: str  # the original, absolute
    host: str
    name: str | None = None  # "<hash>.webp" in the image cache (and on the site)
    width: int = 0  # pixels of that file
    height: int = 0
    size: int = 0  # bytes of that file
    referer: str | None = None  # the Referer it was asked with
    error: str | None = None  # why there is no file: the last failure, or the refusal
    failures: int = 0  # attempts that failed, in a row
    retry: bool = False  # the failure may pass: ask again on a later run
    fetched: str | None = None  # UTC ISO time of the last attempt
    published: bool = False  # within [images] max_bytes: the site carries the file
