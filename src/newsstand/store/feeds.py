"""Feeds: their place, what each fetch brought (entries, health, the fetch log), and how
the RSSHub instances have been answering."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from ..model import Feed, FeedRecord, FeedState, Outcome, Stored
from .common import dt, iso
from .entries import EntryQueries

INSTANCE_FAILURES = 3  # runs in a row in which an instance never answered ...
INSTANCE_DEMOTION = timedelta(hours=6)  # ... put it last for this long


class FeedQueries(EntryQueries):
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

    def states(self, keys: Iterable[str] | None = None) -> dict[str, FeedState]:
        """feed key -> its schedule and standing, for every feed in the store (or those
        of ``keys``)."""
        sql = (
            "SELECT key, next_due, gone_since, moved_to, consecutive_failures, last_error,"
            " last_success, ttl_minutes, max_age FROM feeds"
        )
        params: tuple[object, ...] = ()
        if keys is not None:
            sql += f" WHERE {self._sql.in_list('key')}"
            params = (self._sql.list_param(keys),)
        return {
            row[0]: FeedState(
                dt(row[1]), dt(row[2]), row[3], row[4], row[5], dt(row[6]), row[7], row[8]
            )
            for row in self._db.execute(sql, params)
        }

    def record(
        self,
        outcomes: Sequence[Outcome],
        now: datetime | None = None,
        rest: Callable[[int], timedelta] | None = None,
    ) -> list[Stored]:
        """Store fetches in one transaction: entries new or changed, feed health, log lines.

        A failure never deletes or alters stored entries; its ``error`` (or the fetch's)
        goes to the feed's health and the log, and the feed rests for ``rest(failures in a
        row)`` (or as long as the server's Retry-After asked, if longer). A 410 marks the
        feed gone; a permanent redirect's target is remembered.
        """
        now = now or datetime.now(UTC)
        at = iso(now)
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
                        (
                            at,
                            at,
                            fetched.status,
                            fetched.url,
                            fetched.etag,
                            fetched.last_modified,
                            outcome.title,
                            fetched.moved_to,
                            outcome.ttl_minutes,
                            fetched.max_age,
                            fetched.status,
                            feed_id,
                        ),
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
                        (
                            at,
                            fetched.status,
                            error,
                            failures,
                            iso(now + wait) if wait else None,
                            fetched.status == 410,
                            at,
                            feed_id,
                        ),
                    )
                self._db.execute(
                    "INSERT INTO fetch_log (feed_id, at, url, status, etag, last_modified,"
                    " error, new, updated, bytes, elapsed_ms)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        feed_id,
                        at,
                        fetched.url,
                        fetched.status,
                        fetched.etag,
                        fetched.last_modified,
                        error,
                        stored.new,
                        stored.updated,
                        len(fetched.body),
                        int(fetched.elapsed * 1000),
                    ),
                )
                results.append(stored)
        return results

    def feed_records(self) -> list[FeedRecord]:
        """Every feed the store knows, by place."""
        return [
            FeedRecord(*row)
            for row in self._db.execute(
                "SELECT f.key, f.category, f.source, f.channel, f.last_attempt, f.last_success,"
                " f.last_status, f.last_error, f.consecutive_failures, f.next_due, f.gone_since,"
                " f.moved_to, (SELECT COUNT(*) FROM entries e WHERE e.feed_id = f.id) AS entries"
                " FROM feeds f ORDER BY f.category, f.source, f.channel"
            )
        ]

    # -- RSSHub instances ---------------------------------------------------------------

    def demoted_instances(self, now: datetime | None = None) -> set[str]:
        """Instances that failed run after run and are to be tried last for now."""
        at = iso(now or datetime.now(UTC))
        return {
            row[0]
            for row in self._db.execute("SELECT url FROM instances WHERE demoted_until > ?", (at,))
        }

    def record_instances(self, answered: dict[str, bool], now: datetime | None = None) -> None:
        """Note how each instance did in a run (True: it answered at least once).

        An instance that has not answered in ``INSTANCE_FAILURES`` runs in a row is put last
        for ``INSTANCE_DEMOTION``; an answer clears that.
        """
        now = now or datetime.now(UTC)
        at = iso(now)
        until = iso(now + INSTANCE_DEMOTION)
        with self._transaction():
            for url, ok in answered.items():
                if ok:
                    self._db.execute(
                        "INSERT INTO instances (url, failures, last_success) VALUES (?, 0, ?)"
                        " ON CONFLICT (url) DO UPDATE SET failures = 0, last_success = ?,"
                        " demoted_until = NULL",
                        (url, at, at),
                    )
                    continue
                self._db.execute(
                    "INSERT INTO instances (url, failures, last_failure) VALUES (?, 1, ?)"
                    " ON CONFLICT (url) DO UPDATE SET failures = failures + 1, last_failure = ?",
                    (url, at, at),
                )
                self._db.execute(
                    "UPDATE instances SET demoted_until = ? WHERE url = ? AND failures >= ?"
                    " AND (demoted_until IS NULL OR demoted_until <= ?)",
                    (until, url, INSTANCE_FAILURES, at),
                )
