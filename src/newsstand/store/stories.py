"""Stories: which story each entry belongs to, and the sketches of the recent entries that
new ones are matched against.

``stories`` holds one row per grouped entry (its story is the entry id of the story's
first entry); ``story_sketches`` the MinHash sketch, headline and lead of the entries of
the last two windows, pruned as they age. Plain SQL, so another backend can port it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from ..model import Item, Story, StoryEntry
from .common import Queries

LEAD_HTML = 2400  # characters of an entry's HTML read for its lead


class StoryQueries(Queries):
    items: Callable[[Iterable[str] | None], Iterator[Item]]  # the entries' (EntryQueries)

    def ungrouped(self) -> list[StoryEntry]:
        """Entries not in a story yet, oldest first (``lead``: the start of their HTML)."""
        return [
            StoryEntry(*row)
            for row in self._db.execute(
                f"SELECT e.id, f.key, {self._sql.least('e.published', 'e.first_seen')} AS at,"
                f" e.title, substr(e.content, 1, {LEAD_HTML})"
                " FROM entries e JOIN feeds f ON f.id = e.feed_id"
                " WHERE e.id IN (SELECT id FROM entries EXCEPT SELECT entry_id FROM stories)"
                " ORDER BY at, e.id"
            )
        ]

    def story_window(self, since: str) -> list[StoryEntry]:
        """The grouped entries since ``since`` (UTC ISO) that have a sketch (without their
        headline and lead: ``story_texts`` reads those of the few that are needed)."""
        return [
            StoryEntry(row, key, at, "", "", story, sketch)
            for row, key, at, story, sketch in self._db.execute(
                "SELECT k.entry_id, f.key, k.at, s.story, k.sketch"
                " FROM story_sketches k JOIN stories s ON s.entry_id = k.entry_id"
                " JOIN feeds f ON f.id = k.feed_id WHERE k.at >= ? ORDER BY k.at, k.entry_id",
                (since,),
            )
        ]

    def story_texts(self, rows: Sequence[int]) -> dict[int, tuple[str, str]]:
        """entry row -> (headline, lead) of sketched entries."""
        return {
            row: (title, lead)
            for row, title, lead in self._db.execute(
                "SELECT entry_id, title, lead FROM story_sketches"
                f" WHERE {self._sql.in_list('entry_id')}",
                (self._sql.list_param(rows),),
            )
        }

    def save_stories(self, grouped: Sequence[StoryEntry], keep_since: str) -> None:
        """Record where ``grouped`` went (with their sketches), and forget the sketches of
        entries older than ``keep_since``, in one transaction."""
        with self._transaction():
            self._db.executemany(
                self._sql.replace_into("stories", ("entry_id", "story", "at"), ("entry_id",)),
                [(e.row, e.story if e.story is not None else e.row, e.at) for e in grouped],
            )
            sketched = [e for e in grouped if e.sketch]
            feed_of = dict(
                self._db.execute(
                    f"SELECT id, feed_id FROM entries WHERE {self._sql.in_list('id')}",
                    (self._sql.list_param([e.row for e in sketched]),),
                ).fetchall()
            )
            self._db.executemany(
                self._sql.replace_into(
                    "story_sketches",
                    ("entry_id", "feed_id", "at", "title", "lead", "sketch"),
                    ("entry_id",),
                ),
                [
                    (e.row, feed_of[e.row], e.at, e.title, e.lead, e.sketch)
                    for e in sketched
                    if e.row in feed_of
                ],
            )
            self._db.execute("DELETE FROM story_sketches WHERE at < ?", (keep_since,))
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('stories', '1') ON CONFLICT (key)"
                " DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
            )

    def clear_stories(self, since: str) -> int:
        """Forget the stories of entries since ``since`` (UTC ISO); return how many."""
        with self._transaction():
            self._db.execute("DELETE FROM story_sketches WHERE at >= ?", (since,))
            return self._db.execute("DELETE FROM stories WHERE at >= ?", (since,)).rowcount

    def stories(self, since: str | None = None) -> list[Story]:
        """The stories of more than one entry that have an entry since ``since``, newest
        first, each with its entries earliest first."""
        members: dict[int, list[tuple[str, int, str]]] = {}
        for story, at, row, uid in self._db.execute(
            "SELECT s.story, s.at, s.entry_id, e.uid FROM stories s"
            " JOIN entries e ON e.id = s.entry_id WHERE s.story IN (SELECT story FROM stories"
            " WHERE at >= ? GROUP BY story) AND s.story IN (SELECT story FROM stories"
            " GROUP BY story HAVING COUNT(*) > 1) ORDER BY s.at, s.entry_id",
            (since or "",),
        ):
            members.setdefault(story, []).append((at, row, uid))
        items = {item.uid: item for item in self.items(u for m in members.values() for *_, u in m)}
        found = [
            Story(story, tuple(items[uid] for *_, uid in rows if uid in items))
            for story, rows in members.items()
        ]
        return sorted(found, key=lambda s: (s.items[-1].entry.published, s.id), reverse=True)

    def story_followers(self) -> set[str]:
        """The uids of entries that are not the first of their story."""
        return {
            uid
            for (uid,) in self._db.execute(
                "SELECT e.uid FROM stories s JOIN entries e ON e.id = s.entry_id"
                " WHERE EXISTS (SELECT 1 FROM stories t WHERE t.story = s.story AND"
                " (t.at < s.at OR (t.at = s.at AND t.entry_id < s.entry_id)))"
            )
        }
