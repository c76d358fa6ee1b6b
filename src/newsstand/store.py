"""History kept on disk: feeds, entries, the fetch log and what each publisher wrote.

SQLite by default. Every other stage talks to the ``Store`` methods below and never to
SQL, so a PostgreSQL store can be added later as a second implementation of the same
methods. The schema carries a version (``PRAGMA user_version``) and is brought up to
date by the ordered ``MIGRATIONS`` when a store is opened.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

from .model import Entry, Feed, Item, Outcome, Output, Route
from .rsshub import ACCESS_PARAMS, secret_forms, secrets_in


def _forget_access_keys(db: sqlite3.Connection) -> bool:
    """Migration 5: earlier versions kept the URL a route was fetched from, RSSHub's access
    key (or code) included, and URLs resolved against it could reach entries. Take every
    access parameter out of what the store holds; True when anything held one."""
    secrets = secrets_in(url or "" for (url,) in db.execute(
        "SELECT fetched_url FROM feeds WHERE route IS NOT NULL UNION"
        " SELECT l.url FROM fetch_log l JOIN feeds f ON f.id = l.feed_id"
        " WHERE f.route IS NOT NULL UNION"
        " SELECT moved_to FROM feeds WHERE route IS NOT NULL"))
    if not secrets:
        return False

    def scrub(text: str | None) -> str | None:
        if text is None:
            return None
        for secret in secrets:
            for form in secret_forms(secret):
                for name in ACCESS_PARAMS:
                    text = re.sub(rf"([?&]){name}={re.escape(form)}(&?)",
                                  lambda m: m[1] if m[2] else "", text)
                text = text.replace(form, "***")
        return text

    for table, columns in (("feeds", ("fetched_url", "moved_to", "last_error")),
                           ("fetch_log", ("url", "error"))):
        for row in db.execute(f"SELECT id, {', '.join(columns)} FROM {table}").fetchall():
            scrubbed = [scrub(value) for value in row[1:]]
            if scrubbed != list(row[1:]):
                db.execute(f"UPDATE {table} SET {', '.join(c + ' = ?' for c in columns)}"
                           " WHERE id = ?", (*scrubbed, row[0]))
    for row in db.execute(
        "SELECT id, entry_id, link, title, author, published, updated, content, thumbnail"
        " FROM entries").fetchall():
        link, content, thumbnail = scrub(row[2]), scrub(row[7]), scrub(row[8])
        if (link, content, thumbnail) == (row[2], row[7], row[8]):
            continue
        entry = Entry(id=row[1], link=link, title=row[3], author=row[4],
                      published=_dt(row[5]), updated=_dt(row[6]), content=content or "",
                      thumbnail=thumbnail)
        (revision,) = db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'"
            " RETURNING value").fetchone()
        db.execute("UPDATE entries SET link = ?, content = ?, thumbnail = ?, digest = ?,"
                   " revision = ? WHERE id = ?",
                   (link, content, thumbnail, _digest(entry), int(revision), row[0]))
    return True


MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], bool], ...] = (
    # 1: the first schema
    """
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        route TEXT,
        url TEXT,
        category TEXT NOT NULL,
        source TEXT NOT NULL,
        channel TEXT NOT NULL,
        title TEXT,
        fetched_url TEXT,
        etag TEXT,
        last_modified TEXT,
        last_attempt TEXT,
        last_success TEXT,
        last_status INTEGER,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        entry_id TEXT NOT NULL,
        uid TEXT NOT NULL UNIQUE,
        link TEXT,
        title TEXT NOT NULL,
        author TEXT,
        published TEXT NOT NULL,
        dated INTEGER NOT NULL,
        updated TEXT,
        content TEXT NOT NULL,
        thumbnail TEXT,
        digest TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        revision INTEGER NOT NULL,
        UNIQUE (feed_id, entry_id)
    );
    CREATE INDEX entries_by_feed_published ON entries (feed_id, published);
    CREATE TABLE fetch_log (
        id INTEGER PRIMARY KEY,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        url TEXT,
        status INTEGER,
        etag TEXT,
        last_modified TEXT,
        error TEXT,
        new INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        elapsed_ms INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX fetch_log_by_feed ON fetch_log (feed_id, at);
    CREATE TABLE outputs (
        target TEXT NOT NULL,
        uid TEXT NOT NULL,
        path TEXT NOT NULL,
        revision INTEGER NOT NULL,
        digest TEXT NOT NULL,
        PRIMARY KEY (target, uid)
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta (key, value) VALUES ('revision', '0');
    """,
    # 2: the RSSHub route catalog, and how each RSSHub instance has been answering
    """
    CREATE TABLE routes (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        example TEXT,
        namespace TEXT NOT NULL,
        category TEXT NOT NULL,
        category_id TEXT,
        source TEXT NOT NULL,
        channel TEXT,
        parameters TEXT NOT NULL,
        origin TEXT NOT NULL,
        line INTEGER,
        format TEXT NOT NULL,
        synced TEXT NOT NULL
    );
    CREATE INDEX routes_by_namespace ON routes (namespace);
    CREATE INDEX routes_by_origin ON routes (origin);
    CREATE TABLE instances (
        url TEXT PRIMARY KEY,
        failures INTEGER NOT NULL DEFAULT 0,
        last_failure TEXT,
        last_success TEXT,
        demoted_until TEXT
    );
    """,
    # 3: feed health: when a failing feed is due again, gone feeds (410), moved feeds (301)
    """
    ALTER TABLE feeds ADD COLUMN next_due TEXT;
    ALTER TABLE feeds ADD COLUMN gone_since TEXT;
    ALTER TABLE feeds ADD COLUMN moved_to TEXT;
    """,
    # 4: the schedule: how often the feed says it changes, and how long its answer keeps
    """
    ALTER TABLE feeds ADD COLUMN ttl_minutes INTEGER;
    ALTER TABLE feeds ADD COLUMN max_age REAL;
    """,
    # 5: no RSSHub access key in anything kept
    _forget_access_keys,
)

INSTANCE_FAILURES = 3  # runs in a row in which an instance never answered ...
INSTANCE_DEMOTION = timedelta(hours=6)  # ... put it last for this long

FETCH_LOG_DAYS = 30


class StoreError(Exception):
    """The store cannot be used; the message names the file and what to do."""


class StoreBusy(StoreError):
    """Another newsstand process holds the store."""


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing one fetch changed."""

    new: int = 0
    updated: int = 0
    uids: tuple[str, ...] = ()  # the entries written


IndexRow = tuple[int, str, int, str, str, str, str]
"""(id, uid, revision, sort time as UTC ISO text, category, source, channel)"""


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store knows of a feed before fetching it."""

    next_due: datetime | None = None  # a failing feed rests until then
    gone_since: datetime | None = None  # the server said 410 Gone: not fetched any more
    moved_to: str | None = None  # a permanent redirect's target: fetched from there
    failures: int = 0  # consecutive failures
    last_error: str | None = None
    last_success: datetime | None = None  # when it last answered
    ttl_minutes: int | None = None  # the feed's own refresh hint (<ttl>, sy:updatePeriod)
    max_age: float | None = None  # seconds its last answer may be cached (Cache-Control)


def entry_uid(feed_key: str, entry_id: str) -> str:
    """A short id, unique across the store and stable for (feed, entry id)."""
    return hashlib.sha1(f"{feed_key}\0{entry_id}".encode()).hexdigest()[:16]


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else None


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _digest(entry: Entry) -> str:
    h = hashlib.sha1()
    for part in (entry.title, entry.link, entry.author, _iso(entry.published),
                 _iso(entry.updated), entry.thumbnail, entry.content):
        h.update((part or "").encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def sqlite_path(url: str) -> Path:
    """The file behind a ``sqlite:///path`` URL (four slashes for an absolute path)."""
    if "://" not in url:
        return Path(url)
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise StoreError(f"unsupported store URL {url!r}: use sqlite:///path/to/newsstand.db")
    return Path(unquote(url[len(prefix):]))


def open_store(url: str, *, lock: bool = True, light: bool = False) -> Store:
    """Open (creating and migrating as needed) the store at ``url``.

    ``light=True`` for the site build and its render workers: each reads a few pages'
    entries at a time, so no memory map (it would count the whole database file in every
    process's RSS) and a small page cache."""
    return SQLiteStore(sqlite_path(url), lock=lock, light=light)


class SQLiteStore:
    """The SQLite implementation of the store."""

    def __init__(self, path: Path, *, lock: bool = True, light: bool = False) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = self._take_lock() if lock else None
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 10000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            # Publishing reads every changed entry (~4 KB each): read through a memory
            # map and a larger cache rather than a system call per page, and sort in
            # memory rather than in a temporary file.
            self._db.execute(f"PRAGMA mmap_size = {0 if light else 268435456}")
            self._db.execute(f"PRAGMA cache_size = {-4096 if light else -32768}")
            self._db.execute("PRAGMA temp_store = MEMORY")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(
                f"{path} is not a usable newsstand store ({exc}); move it away to start "
                "a new one, or restore it from a backup"
            ) from None

    def _take_lock(self):
        return take_lock(self.path)

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by a newer newsstand (schema {version}); upgrade"
            )
        rewrite = False  # a migration removed what must leave no trace in the file
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self._transaction():
                if callable(script):
                    rewrite |= script(self._db)
                else:
                    for statement in script.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")
        if rewrite:  # old page images stay in free pages and the WAL until rewritten
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _transaction(self):
        return _Transaction(self._db)

    def close(self) -> None:
        with suppress(Exception):
            self._db.close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error):  # e.g. the disk under the store is full
            raise StoreError(
                f"cannot write the store {self.path}: {exc}; make room (or fix its"
                " permissions) and run again: nothing stored before is lost"
            ) from exc

    # -- feeds ---------------------------------------------------------------

    def sync_feeds(self, feeds: Iterable[Feed]) -> None:
        """Record the configured feeds; moving a feed to another place revises its entries."""
        with self._transaction():
            for feed in feeds:
                row = self._db.execute(
                    "SELECT id, category, source, channel FROM feeds WHERE key = ?", (feed.key,)
                ).fetchone()
                place = (feed.category, feed.source, feed.channel)
                if row is None:
                    self._db.execute(
                        "INSERT INTO feeds (key, route, url, category, source, channel)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (feed.key, feed.route, feed.url, *place),
                    )
                elif tuple(row[1:]) != place:
                    self._db.execute(
                        "UPDATE feeds SET category = ?, source = ?, channel = ? WHERE id = ?",
                        (*place, row[0]),
                    )
                    self._db.execute(
                        "UPDATE entries SET revision = ? WHERE feed_id = ?",
                        (self._next_revision(), row[0]),
                    )

    def validators(self, feed_key: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified last seen for a feed."""
        row = self._db.execute(
            "SELECT etag, last_modified FROM feeds WHERE key = ?", (feed_key,)
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def _feed_id(self, feed_key: str) -> int:
        row = self._db.execute("SELECT id FROM feeds WHERE key = ?", (feed_key,)).fetchone()
        if row is None:
            raise KeyError(f"feed {feed_key!r} is not in the store; call sync_feeds first")
        return row[0]

    def _next_revision(self) -> int:
        (value,) = self._db.execute(
            "UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value"
        ).fetchone()
        return int(value)

    # -- fetch results -----------------------------------------------------------

    def states(self) -> dict[str, FeedState]:
        """feed key -> its schedule and standing, for every feed in the store."""
        return {
            row[0]: FeedState(_dt(row[1]), _dt(row[2]), row[3], row[4], row[5], _dt(row[6]),
                              row[7], row[8])
            for row in self._db.execute(
                "SELECT key, next_due, gone_since, moved_to, consecutive_failures, last_error,"
                " last_success, ttl_minutes, max_age FROM feeds"
            )
        }

    def record(
        self, outcomes: Sequence[Outcome], now: datetime | None = None,
        rest: Callable[[int], timedelta] | None = None,
    ) -> list[Stored]:
        """Store fetches in one transaction: entries new or changed, feed health, log lines.

        A failure never deletes or alters stored entries; its ``error`` (or the fetch's)
        goes to the feed's health and the log, and the feed rests for ``rest(failures in a
        row)`` (or as long as the server's Retry-After asked, if longer). A 410 marks the
        feed gone; a permanent redirect's target is remembered.
        """
        now = now or datetime.now(UTC)
        at = _iso(now)
        results = []
        with self._transaction():
            for outcome in outcomes:
                feed, fetched = outcome.feed, outcome.fetched
                error = outcome.error or fetched.error
                feed_id = self._feed_id(feed.key)
                stored = Stored()
                if outcome.entries:
                    stored = self._upsert(feed, feed_id, outcome.entries, now)
                if error is None:
                    self._db.execute(
                        "UPDATE feeds SET last_attempt = ?, last_success = ?, last_status = ?,"
                        " last_error = NULL, consecutive_failures = 0, fetched_url = ?,"
                        " etag = ?, last_modified = ?, title = COALESCE(?, title),"
                        " next_due = NULL, gone_since = NULL, moved_to = COALESCE(?, moved_to),"
                        " ttl_minutes = COALESCE(?, ttl_minutes),"
                        # a 304 that repeats no Cache-Control keeps what the 200 said
                        " max_age = COALESCE(?, CASE WHEN ? = 304 THEN max_age END)"
                        " WHERE id = ?",
                        (at, at, fetched.status, fetched.url, fetched.etag,
                         fetched.last_modified, outcome.title, fetched.moved_to,
                         outcome.ttl_minutes, fetched.max_age, fetched.status, feed_id),
                    )
                else:
                    (failures,) = self._db.execute(
                        "SELECT consecutive_failures + 1 FROM feeds WHERE id = ?", (feed_id,)
                    ).fetchone()
                    wait = rest(failures) if rest else timedelta(0)
                    if fetched.retry_after:
                        wait = max(wait, timedelta(seconds=fetched.retry_after))
                    self._db.execute(
                        "UPDATE feeds SET last_attempt = ?, last_status = ?, last_error = ?,"
                        " consecutive_failures = ?, next_due = ?,"
                        " gone_since = CASE WHEN ? THEN COALESCE(gone_since, ?) END"
                        " WHERE id = ?",
                        (at, fetched.status, error, failures, _iso(now + wait) if wait else None,
                         fetched.status == 410, at, feed_id),
                    )
                self._db.execute(
                    "INSERT INTO fetch_log (feed_id, at, url, status, etag, last_modified,"
                    " error, new, updated, bytes, elapsed_ms)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (feed_id, at, fetched.url, fetched.status, fetched.etag,
                     fetched.last_modified, error, stored.new, stored.updated,
                     len(fetched.body), int(fetched.elapsed * 1000)),
                )
                results.append(stored)
        return results

    def _upsert(self, feed: Feed, feed_id: int, entries: Sequence[Entry], now: datetime) -> Stored:
        known = {}
        by_link: dict[str, str] = {}
        for entry_id, digest, published, dated, link in self._db.execute(
            "SELECT entry_id, digest, published, dated, link FROM entries WHERE feed_id = ?",
            (feed_id,),
        ):
            known[entry_id] = (digest, published, dated)
            if link:
                by_link[link] = entry_id
        entries = _same_link_same_entry(entries, known, by_link)
        # Items retention would delete at once are not stored at all, or an item still in
        # the feed would come back as "new" on every run only to be deleted again.
        cutoff = _iso(now - timedelta(days=feed.keep_days)) if feed.keep_days else None
        if feed.keep_per_feed:
            row = self._db.execute(
                "SELECT published FROM entries WHERE feed_id = ? ORDER BY published DESC"
                " LIMIT 1 OFFSET ?", (feed_id, feed.keep_per_feed - 1),
            ).fetchone()
            if row and (cutoff is None or row[0] > cutoff):
                cutoff = row[0]
        new = updated = 0
        changed: list[str] = []
        revision = None
        for entry in entries:
            digest = _digest(entry)
            old = known.get(entry.id)
            if old is not None and old[0] == digest:
                continue
            if old is None and cutoff and (_iso(entry.published) or _iso(now)) < cutoff:
                continue
            revision = revision or self._next_revision()
            # An item without a date keeps the time it was first seen, run after run.
            published = _iso(entry.published) or (old[1] if old else _iso(now))
            values = (entry.link, entry.title, entry.author, published,
                      int(entry.published is not None), _iso(entry.updated), entry.content,
                      entry.thumbnail, digest, revision)
            if old is None:
                self._db.execute(
                    "INSERT INTO entries (link, title, author, published, dated, updated,"
                    " content, thumbnail, digest, revision, feed_id, entry_id, uid, first_seen)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, feed_id, entry.id, entry_uid(feed.key, entry.id), _iso(now)),
                )
                new += 1
                changed.append(entry_uid(feed.key, entry.id))
            else:
                self._db.execute(
                    "UPDATE entries SET link = ?, title = ?, author = ?, published = ?,"
                    " dated = ?, updated = ?, content = ?, thumbnail = ?, digest = ?,"
                    " revision = ? WHERE feed_id = ? AND entry_id = ?",
                    (*values, feed_id, entry.id),
                )
                updated += 1
                changed.append(entry_uid(feed.key, entry.id))
            known[entry.id] = (digest, published, entry.published is not None)
        return Stored(new=new, updated=updated, uids=tuple(changed))

    # -- retention -----------------------------------------------------------------

    def apply_retention(self, feeds: Iterable[Feed], now: datetime | None = None) -> int:
        """Delete entries past each feed's ``keep_days``/``keep_per_feed``; return the count."""
        now = now or datetime.now(UTC)
        removed = 0
        with self._transaction():
            for feed in feeds:
                if not (feed.keep_days or feed.keep_per_feed):
                    continue
                feed_id = self._feed_id(feed.key)
                if feed.keep_days:
                    cutoff = _iso(now - timedelta(days=feed.keep_days))
                    removed += self._db.execute(
                        "DELETE FROM entries WHERE feed_id = ? AND published < ?",
                        (feed_id, cutoff),
                    ).rowcount
                if feed.keep_per_feed:
                    removed += self._db.execute(
                        "DELETE FROM entries WHERE feed_id = ? AND id NOT IN (SELECT id FROM"
                        " entries WHERE feed_id = ? ORDER BY published DESC, id DESC LIMIT ?)",
                        (feed_id, feed_id, feed.keep_per_feed),
                    ).rowcount
            self._db.execute(
                "DELETE FROM fetch_log WHERE at < ?",
                (_iso(now - timedelta(days=FETCH_LOG_DAYS)),),
            )
        return removed

    # -- reading for publishers -------------------------------------------------

    def revisions(self, feed_keys: Iterable[str] | None = None) -> dict[str, int]:
        """uid -> revision of every stored entry (of the given feeds, if named)."""
        sql = "SELECT e.uid, e.revision FROM entries e"
        if feed_keys is None:
            return dict(self._db.execute(sql))
        keys = list(feed_keys)
        sql += " JOIN feeds f ON f.id = e.feed_id WHERE f.key IN (SELECT value FROM json_each(?))"
        return dict(self._db.execute(sql, (_json_list(keys),)))

    def items(self, uids: Iterable[str] | None = None) -> Iterator[Item]:
        """Stored entries with their place: all of them newest first, or the named ones in
        storage order (sorting thousands of 4 KB rows costs more than it gives)."""
        sql = (
            # A date in the future is kept, but the item is shown as of when it was first
            # seen: it never sorts above the present on the site.
            "SELECT e.uid, f.key, f.category, f.source, f.channel, e.entry_id, e.link, e.title,"
            " e.author, MIN(e.published, e.first_seen), e.updated, e.content, e.thumbnail,"
            " e.revision"
            " FROM entries e JOIN feeds f ON f.id = e.feed_id"
        )
        params: tuple = ()
        if uids is not None:
            sql += " WHERE e.uid IN (SELECT value FROM json_each(?))"
            params = (_json_list(list(uids)),)
        sql += (" ORDER BY e.id" if uids is not None
                else " ORDER BY MIN(e.published, e.first_seen) DESC, e.id DESC")
        for row in self._db.execute(sql, params):
            yield Item(
                uid=row[0], feed_key=row[1], category=row[2], source=row[3], channel=row[4],
                entry=Entry(id=row[5], link=row[6], title=row[7], author=row[8],
                            published=_dt(row[9]), updated=_dt(row[10]), content=row[11],
                            thumbnail=row[12]),
                revision=row[13],
            )

    def site_index(self) -> list[IndexRow]:
        """Every entry's place and sort time, oldest first: what the site build plans with.

        A date in the future sorts at the time the entry was first seen, so a feed that
        dates its items ahead cannot pin them above the present.
        """
        return self._db.execute(
            "SELECT e.id, e.uid, e.revision, MIN(e.published, e.first_seen) AS at,"
            " f.category, f.source, f.channel"
            " FROM entries e JOIN feeds f ON f.id = e.feed_id ORDER BY at, e.id"
        ).fetchall()

    def state(self) -> str:
        """Changes whenever any entry is written or deleted."""
        row = self._db.execute("SELECT COUNT(*), MAX(id) FROM entries").fetchone()
        return f"{self.get_meta('revision')}:{row[0]}:{row[1]}"

    def outputs(self, target: str) -> dict[str, Output]:
        """What a publisher wrote before: uid -> Output."""
        return {
            row[0]: Output(*row)
            for row in self._db.execute(
                "SELECT uid, path, revision, digest FROM outputs WHERE target = ?", (target,)
            )
        }

    def save_outputs(self, target: str, written: Iterable[Output], removed: Iterable[str]) -> None:
        """Record files written (or confirmed) and forget removed ones, in one transaction."""
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO outputs (target, uid, path, revision, digest)"
                " VALUES (?, ?, ?, ?, ?)",
                [(target, o.uid, o.path, o.revision, o.digest) for o in written],
            )
            self._db.executemany(
                "DELETE FROM outputs WHERE target = ? AND uid = ?",
                [(target, uid) for uid in removed],
            )

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- health ---------------------------------------------------------------------

    def feed_health(self) -> list[dict[str, object]]:
        """One row per feed: last attempt and success, failures, status, stored entries."""
        cursor = self._db.execute(
            "SELECT f.key, f.category, f.source, f.channel, f.last_attempt, f.last_success,"
            " f.last_status, f.last_error, f.consecutive_failures, f.next_due, f.gone_since,"
            " f.moved_to, (SELECT COUNT(*) FROM entries e WHERE e.feed_id = f.id) AS entries"
            " FROM feeds f ORDER BY f.category, f.source, f.channel"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    # -- the route catalog ---------------------------------------------------------

    def replace_routes(self, origins: Iterable[str], routes: Iterable[Route],
                       now: datetime | None = None) -> int:
        """Forget the routes that came from ``origins`` and keep ``routes`` instead."""
        at = _iso(now or datetime.now(UTC))
        rows = [
            (r.path, r.example, r.namespace, r.category, r.category_id, r.source, r.channel,
             json.dumps(r.parameters, ensure_ascii=False), r.origin, r.line, r.format, at)
            for r in routes
        ]
        with self._transaction():
            self._db.executemany("DELETE FROM routes WHERE origin = ?", [(o,) for o in origins])
            self._db.executemany(
                "INSERT INTO routes (path, example, namespace, category, category_id, source,"
                " channel, parameters, origin, line, format, synced)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    _ROUTE_COLUMNS = ("path, example, namespace, category, category_id, source, channel,"
                      " parameters, origin, line, format")

    @staticmethod
    def _route(row: Sequence) -> Route:
        return Route(path=row[0], example=row[1], namespace=row[2], category=row[3],
                     category_id=row[4], source=row[5], channel=row[6],
                     parameters=tuple(tuple(p) for p in json.loads(row[7])),
                     origin=row[8], line=row[9], format=row[10])

    def routes(self, namespace: str | None = None) -> list[Route]:
        """Every route of the catalog (of one namespace, if named), in the order stored."""
        sql = f"SELECT {self._ROUTE_COLUMNS} FROM routes"
        params: tuple = ()
        if namespace is not None:
            sql += " WHERE namespace = ?"
            params = (namespace,)
        return [self._route(row) for row in self._db.execute(sql + " ORDER BY id", params)]

    def search_routes(self, words: Sequence[str], limit: int | None = None) -> list[Route]:
        """Routes whose category, source, channel or path hold every word (any case)."""
        sql = f"SELECT {self._ROUTE_COLUMNS} FROM routes"
        haystack = ("lower(category || ' ' || coalesce(category_id, '') || ' ' || source"
                    " || ' ' || coalesce(channel, '') || ' ' || path || ' '"
                    " || coalesce(example, ''))")
        clauses = [f"instr({haystack}, lower(?)) > 0" for _ in words]
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY category, source, channel, path, id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._route(row) for row in self._db.execute(sql, tuple(words))]

    def route_counts(self) -> list[tuple[str, str, int]]:
        """(origin, format, count) for each origin in the catalog."""
        return list(self._db.execute(
            "SELECT origin, format, COUNT(*) FROM routes GROUP BY origin, format ORDER BY origin"))

    # -- RSSHub instances ---------------------------------------------------------------

    def demoted_instances(self, now: datetime | None = None) -> set[str]:
        """Instances that failed run after run and are to be tried last for now."""
        at = _iso(now or datetime.now(UTC))
        return {row[0] for row in self._db.execute(
            "SELECT url FROM instances WHERE demoted_until > ?", (at,))}

    def record_instances(self, answered: dict[str, bool], now: datetime | None = None) -> None:
        """Note how each instance did in a run (True: it answered at least once).

        An instance that has not answered in ``INSTANCE_FAILURES`` runs in a row is put last
        for ``INSTANCE_DEMOTION``; an answer clears that.
        """
        now = now or datetime.now(UTC)
        at = _iso(now)
        until = _iso(now + INSTANCE_DEMOTION)
        with self._transaction():
            for url, ok in answered.items():
                if ok:
                    self._db.execute(
                        "INSERT INTO instances (url, failures, last_success) VALUES (?, 0, ?)"
                        " ON CONFLICT (url) DO UPDATE SET failures = 0, last_success = ?,"
                        " demoted_until = NULL", (url, at, at))
                    continue
                self._db.execute(
                    "INSERT INTO instances (url, failures, last_failure) VALUES (?, 1, ?)"
                    " ON CONFLICT (url) DO UPDATE SET failures = failures + 1, last_failure = ?",
                    (url, at, at))
                self._db.execute(
                    "UPDATE instances SET demoted_until = ? WHERE url = ? AND failures >= ?"
                    " AND (demoted_until IS NULL OR demoted_until <= ?)",
                    (until, url, INSTANCE_FAILURES, at))

    def integrity_check(self) -> str:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0]

    # -- snapshots (`newsstand store save`) ------------------------------------------

    def snapshot(self, path: Path) -> int:
        """Write a consistent, compact copy of the whole store to ``path`` (a new file) and
        return its schema version. Writers are kept out by the store lock (open the store
        with ``lock=True``); readers may go on."""
        self._db.execute("VACUUM INTO ?", (str(path),))
        return self._db.execute("PRAGMA user_version").fetchone()[0]


def take_lock(db: Path):
    """Hold the store's lock file (``<db>.lock``) until the returned file is closed: what
    keeps two newsstand processes from writing one store, or replacing it, at once."""
    handle = open(db.with_name(db.name + ".lock"), "a+")  # noqa: SIM115 - the caller closes it
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreBusy(f"another newsstand process is using {db}; wait for it to finish") from None
    return handle


def _same_link_same_entry(
    entries: Sequence[Entry], known: dict[str, tuple], by_link: dict[str, str]
) -> Sequence[Entry]:
    """An item that comes back with the same link under a new id (feeds that rebuild
    their ids) is the stored entry, not a new one: it takes the stored id. Only when the
    link names one item of the document and the stored id is not in it too."""
    ids = {entry.id for entry in entries}
    links: dict[str, int] = {}
    for entry in entries:
        if entry.link:
            links[entry.link] = links.get(entry.link, 0) + 1
    result = []
    for entry in entries:
        old_id = by_link.get(entry.link or "")
        if (entry.id not in known and old_id is not None and old_id not in ids
                and links[entry.link or ""] == 1):
            entry = replace(entry, id=old_id)
            ids.add(old_id)
        result.append(entry)
    return result


def _json_list(values: list[str]) -> str:
    return json.dumps(values)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


Store = SQLiteStore

__all__ = [
    "MIGRATIONS", "FeedState", "SQLiteStore", "Store", "StoreBusy", "StoreError", "Stored",
    "entry_uid", "open_store", "sqlite_path", "take_lock",
]
