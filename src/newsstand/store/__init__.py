"""History kept on disk: feeds, entries, the fetch log, the route catalog and what each
publisher wrote.

Every stage talks to the ``Store`` protocol below and never to SQL; ``open_store`` picks
the implementation from the store URL (SQLite: ``sqlite.py``; PostgreSQL: ``postgres.py``).
The queries are split by aggregate (``feeds``, ``entries``, ``catalog``, ``outputs``,
``stories``, ``articles``) and written once for both: what the engines spell differently
comes from ``dialect``. The schema is built by ordered steps when a store is opened
(``migrations`` for SQLite, ``pg_migrations`` for PostgreSQL). What only PostgreSQL has,
the coordination of workers on many machines, is ``fleet``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self
from urllib.parse import unquote

from ..model import (
    ArticleJob,
    ArticleText,
    Feed,
    FeedRecord,
    FeedState,
    ImageRecord,
    IndexRow,
    Item,
    Outcome,
    Output,
    Route,
    Stored,
    Story,
    StoryEntry,
)
from .entries import entry_uid
from .errors import StoreBusy, StoreError
from .feeds import INSTANCE_FAILURES

if TYPE_CHECKING:
    from .postgres import PostgresStore

__all__ = [
    "INSTANCE_FAILURES",
    "Store",
    "StoreBusy",
    "StoreError",
    "Stored",
    "entry_uid",
    "is_postgres",
    "open_postgres",
    "open_store",
]


class Store(Protocol):
    """What the stages may ask of a store. Writes are transactions; reads see committed
    data. Use as a context manager: leaving it closes the store (and drops its lock)."""

    # feeds: their place, their schedule, how their fetches went
    def sync_feeds(self, feeds: Iterable[Feed]) -> None: ...
    def validators(self, feed_key: str) -> tuple[str | None, str | None]: ...
    def states(self, keys: Iterable[str] | None = None) -> dict[str, FeedState]: ...
    def record(
        self,
        outcomes: Sequence[Outcome],
        now: datetime | None = None,
        rest: Callable[[int], timedelta] | None = None,
    ) -> list[Stored]: ...
    def feed_records(self) -> list[FeedRecord]: ...
    def demoted_instances(self, now: datetime | None = None) -> set[str]: ...
    def record_instances(self, answered: dict[str, bool], now: datetime | None = None) -> None: ...

    # entries
    def apply_retention(self, feeds: Iterable[Feed], now: datetime | None = None) -> int: ...
    def revisions(self, feed_keys: Iterable[str] | None = None) -> dict[str, int]: ...
    def items(self, uids: Iterable[str] | None = None) -> Iterator[Item]: ...
    def site_index(self) -> list[IndexRow]: ...
    def state(self) -> str: ...

    # stories: which story each entry belongs to
    def ungrouped(self) -> list[StoryEntry]: ...
    def story_window(self, since: str) -> list[StoryEntry]: ...
    def story_texts(self, rows: Sequence[int]) -> dict[int, tuple[str, str]]: ...
    def save_stories(self, grouped: Sequence[StoryEntry], keep_since: str) -> None: ...
    def clear_stories(self, since: str) -> int: ...
    def stories(self, since: str | None = None) -> list[Story]: ...
    def story_followers(self) -> set[str]: ...

    # full text: the articles fetched from entries' pages
    def article_jobs(self, explicit: Iterable[str], auto: Iterable[str]) -> list[ArticleJob]: ...
    def save_articles(self, found: Sequence[ArticleText], now: datetime | None = None) -> None: ...

    # what publishers wrote, and their own notes
    # the image cache (images.py)
    def image_scans_due(self) -> list[tuple[int, str, int]]: ...
    def save_image_scans(self, scans: Sequence[tuple[int, int, Sequence[str]]]) -> None: ...
    def forget_image_scans(self) -> None: ...
    def image_uses(self) -> list[tuple[str, int, str]]: ...
    def image_records(self, urls: Iterable[str] | None = None) -> dict[str, ImageRecord]: ...
    def save_image_records(self, records: Sequence[ImageRecord]) -> None: ...
    def set_published(self, urls: Iterable[str]) -> bool: ...
    def forget_unused_images(self) -> list[str]: ...
    def published_pictures(self) -> list[str]: ...
    def pictures(self, uids: Iterable[str]) -> dict[str, dict[str, tuple[str, int, int]]]: ...
    def picture_marks(self) -> dict[str, str]: ...
    def image_stats(self) -> tuple[int, int, int, int, list[tuple[str, int, str]]]: ...

    def outputs(self, target: str) -> dict[str, Output]: ...
    def save_outputs(
        self, target: str, written: Iterable[Output], removed: Iterable[str]
    ) -> None: ...
    def get_meta(self, key: str) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...

    # the route catalog
    def replace_routes(
        self, origins: Iterable[str], routes: Iterable[Route], now: datetime | None = None
    ) -> int: ...
    def routes(self, namespace: str | None = None) -> list[Route]: ...
    def search_routes(self, words: Sequence[str], limit: int | None = None) -> list[Route]: ...
    def route_counts(self) -> list[tuple[str, str, int]]: ...
    def route_origins(self, path: str) -> list[tuple[str, str, str]]: ...

    # the whole store
    def snapshot(self, path: Path) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


SQLITE_PREFIX = "sqlite:///"


def _sqlite_file(url: str) -> Path:
    """The file behind a ``sqlite:///path`` URL (four slashes for an absolute path), or a
    plain path."""
    if "://" not in url:
        return Path(url)
    if not url.startswith(SQLITE_PREFIX):
        raise StoreError(f"unsupported store URL {url!r}: use sqlite:///path/to/newsstand.db")
    return Path(unquote(url[len(SQLITE_PREFIX) :]))


def is_postgres(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL store (``postgresql://…``)."""
    return url.startswith(POSTGRES_PREFIXES)


POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def open_store(url: str, *, lock: bool = True, light: bool = False) -> Store:
    """Open (creating and migrating as needed) the store at ``url``.

    ``lock=False`` for readers beside the process that writes (the site build, preview).
    ``light=True`` for the site build and its render workers: each reads a few pages'
    entries at a time, so no memory map (it would count the whole database file in every
    process's RSS) and a small page cache."""
    if is_postgres(url):
        return open_postgres(url, lock=lock)
    from .sqlite import SQLiteStore

    return SQLiteStore(_sqlite_file(url), lock=lock, light=light)


def open_postgres(url: str, *, lock: bool = True) -> PostgresStore:
    """The PostgreSQL store at ``url``, with what only it has (the workers' queries)."""
    try:
        from .postgres import PostgresStore
    except ImportError:
        raise StoreError(
            "a postgresql:// store needs psycopg: pip install 'newsstand[postgresql]'"
        ) from None
    return PostgresStore(url, lock=lock)
