"""Entries: upserts by (feed, id) with revisions, retention, and reading them back for
the publishers."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ..model import Entry, Feed, IndexRow, Item, Stored
from .common import Queries, dt, iso

FETCH_LOG_DAYS = 30  # the fetch log keeps this many days


def entry_uid(feed_key: str, entry_id: str) -> str:
    """A short id, unique across the store and stable for (feed, entry id)."""
    return hashlib.sha1(f"{feed_key}\0{entry_id}".encode()).hexdigest()[:16]


def entry_digest(entry: Entry) -> str:
    """What tells a changed entry from the stored one."""
    h = hashlib.sha1()
    for part in (
        entry.title,
        entry.link,
        entry.author,
        iso(entry.published),
        iso(entry.updated),
        entry.thumbnail,
        entry.content,
    ):
        h.update((part or "").encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


class EntryQueries(Queries):
    """Entries of the feeds in the store, with their revisions."""

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
        cutoff = iso(now - timedelta(days=feed.keep_days)) if feed.keep_days else None
        if feed.keep_per_feed:
            row = self._db.execute(
                "SELECT published FROM entries WHERE feed_id = ? ORDER BY published DESC"
                " LIMIT 1 OFFSET ?",
                (feed_id, feed.keep_per_feed - 1),
            ).fetchone()
            if row and (cutoff is None or row[0] > cutoff):
                cutoff = row[0]
        new = updated = 0
        changed: list[str] = []
        revision = None
        for entry in entries:
            digest = entry_digest(entry)
            old = known.get(entry.id)
            if old is not None and old[0] == digest:
                continue
            if old is None and cutoff and (iso(entry.published) or iso(now)) < cutoff:
                continue
            revision = revision or self._next_revision()
            # An item without a date keeps the time it was first seen, run after run.
            published = iso(entry.published) or (old[1] if old else iso(now))
            values = (
                entry.link,
                entry.title,
                entry.author,
                published,
                int(entry.published is not None),
                iso(entry.updated),
                entry.content,
                entry.thumbnail,
                digest,
                revision,
            )
            if old is None:
                self._db.execute(
                    "INSERT INTO entries (link, title, author, published, dated, updated,"
                    " content, thumbnail, digest, revision, feed_id, entry_id, uid, first_seen)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, feed_id, entry.id, entry_uid(feed.key, entry.id), iso(now)),
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
                    cutoff = iso(now - timedelta(days=feed.keep_days))
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
                (iso(now - timedelta(days=FETCH_LOG_DAYS)),),
            )
        return removed

    # -- reading for publishers -------------------------------------------------

    def revisions(self, feed_keys: Iterable[str] | None = None) -> dict[str, int]:
        """uid -> revision of every stored entry (of the given feeds, if named)."""
        sql = "SELECT e.uid, e.revision FROM entries e"
        if feed_keys is None:
            return dict(self._db.execute(sql))
        keys = list(feed_keys)
        sql += f" JOIN feeds f ON f.id = e.feed_id WHERE {self._sql.in_list('f.key')}"
        return dict(self._db.execute(sql, (self._sql.list_param(keys),)))

    def items(self, uids: Iterable[str] | None = None) -> Iterator[Item]:
        """Stored entries with their place: all of them newest first, or the named ones in
        storage order (sorting thousands of 4 KB rows costs more than it gives)."""
        # A date in the future is kept, but the item is shown as of when it was first
        # seen: it never sorts above the present on the site.
        shown = self._sql.least("e.published", "e.first_seen")
        sql = (
            # The article fetched from its page stands in for a teaser, while the entry is
            # as it was when the page was fetched.
            "SELECT e.uid, f.key, f.category, f.source, f.channel, e.entry_id, e.link, e.title,"
            f" e.author, {shown}, e.updated,"
            " COALESCE(a.content, e.content), e.thumbnail, e.revision"
            " FROM entries e JOIN feeds f ON f.id = e.feed_id"
            " LEFT JOIN articles a ON a.entry_id = e.id AND a.digest = e.digest"
        )
        params: tuple[object, ...] = ()
        if uids is not None:
            sql += f" WHERE {self._sql.in_list('e.uid')}"
            params = (self._sql.list_param(uids),)
        sql += " ORDER BY e.id" if uids is not None else f" ORDER BY {shown} DESC, e.id DESC"
        for row in self._stream(sql, params):
            yield Item(
                uid=row[0],
                feed_key=row[1],
                category=row[2],
                source=row[3],
                channel=row[4],
                entry=Entry(
                    id=row[5],
                    link=row[6],
                    title=row[7],
                    author=row[8],
                    published=dt(row[9]),
                    updated=dt(row[10]),
                    content=row[11],
                    thumbnail=row[12],
                ),
                revision=row[13],
            )

    def site_index(self) -> list[IndexRow]:
        """Every entry's place and sort time, oldest first: what the site build plans with.

        A date in the future sorts at the time the entry was first seen, so a feed that
        dates its items ahead cannot pin them above the present.
        """
        return [
            IndexRow._make(row)
            for row in self._stream(
                "SELECT e.id, e.uid, e.revision,"
                f" {self._sql.least('e.published', 'e.first_seen')} AS at,"
                " f.category, f.source, f.channel, COALESCE(s.story, e.id)"
                " FROM entries e JOIN feeds f ON f.id = e.feed_id"
                " LEFT JOIN stories s ON s.entry_id = e.id ORDER BY at, e.id"
            )
        ]

    def state(self) -> str:
        """Changes whenever any entry is written or deleted, or a story regrouped."""
        row = self._db.execute("SELECT COUNT(*), MAX(id) FROM entries").fetchone()
        return f"{self.get_meta('revision')}:{row[0]}:{row[1]}:{self.get_meta('stories')}"


def _same_link_same_entry(
    entries: Sequence[Entry], known: dict[str, tuple[str, str, int]], by_link: dict[str, str]
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
        if (
            entry.id not in known
            and old_id is not None
            and old_id not in ids
            and links[entry.link or ""] == 1
        ):
            entry = replace(entry, id=old_id)
            ids.add(old_id)
        result.append(entry)
    return result
