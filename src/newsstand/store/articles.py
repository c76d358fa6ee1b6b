"""Full text: the article fetched from each entry's page, kept for the entry as it was
(its digest), so a page is fetched once per entry, and again only when the entry changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from ..model import ArticleJob, ArticleText
from .common import Queries, iso

MAX_ATTEMPTS = 3  # a page that failed for a passing reason is tried on this many runs
PER_FEED = 50  # pages fetched per feed and run at most, newest entries first (politeness)


class ArticleQueries(Queries):
    def article_jobs(self, explicit: Iterable[str], auto: Iterable[str]) -> list[ArticleJob]:
        """The entries with a link whose page is due: never fetched for the entry as it is
        now, or failed for a reason that may pass. ``explicit``: the feeds that ask for
        full text; ``auto``: those that take it when a teaser is short (the caller says
        which teasers are)."""
        explicit = set(explicit)
        wanted = explicit | set(auto)
        jobs = []
        for row in self._db.execute(
            "SELECT e.id, e.uid, f.key, e.link, e.digest, e.content, a.etag, a.last_modified,"
            " a.content, COALESCE(a.attempts, 0) FROM feeds f"
            " JOIN entries e ON e.feed_id = f.id"
            " LEFT JOIN articles a ON a.entry_id = e.id"
            f" WHERE {self._sql.in_list('f.key')} AND e.link IS NOT NULL"
            " AND (a.entry_id IS NULL OR a.digest != e.digest"
            " OR (a.retry <> 0 AND a.attempts < ?))"
            " AND e.id IN (SELECT x.id FROM entries x WHERE x.feed_id = f.id"
            " ORDER BY x.published DESC LIMIT ?)",
            (self._sql.list_param(sorted(wanted)), MAX_ATTEMPTS, PER_FEED),
        ):
            row_id, uid, key, link, digest, teaser, etag, modified, previous, attempts = row
            jobs.append(
                ArticleJob(
                    row_id,
                    uid,
                    key,
                    link,
                    digest,
                    teaser,
                    key in explicit,
                    etag,
                    modified,
                    previous,
                    attempts,
                )
            )
        return jobs

    def save_articles(self, found: Sequence[ArticleText], now: datetime | None = None) -> None:
        """Keep what the pages gave; an entry whose shown text changed gets a new revision
        (its post and page are written again)."""
        at = iso(now or datetime.now(UTC))
        with self._transaction():
            for text in found:
                old = self._db.execute(
                    "SELECT a.content FROM articles a JOIN entries e ON e.id = a.entry_id"
                    " WHERE a.entry_id = ? AND a.digest = e.digest",
                    (text.row,),
                ).fetchone()
                self._db.execute(
                    self._sql.replace_into(
                        "articles",
                        (
                            "entry_id",
                            "digest",
                            "url",
                            "status",
                            "etag",
                            "last_modified",
                            "content",
                            "error",
                            "attempts",
                            "retry",
                            "fetched",
                        ),
                        ("entry_id",),
                    ),
                    (
                        text.row,
                        text.digest,
                        text.url,
                        text.status,
                        text.etag,
                        text.last_modified,
                        text.content,
                        text.error,
                        text.attempts,
                        int(text.retry),
                        at,
                    ),
                )
                if (old[0] if old else None) != text.content:
                    self._db.execute(
                        "UPDATE entries SET revision = ? WHERE id = ?",
                        (self._next_revision(), text.row),
                    )
