"""The image cache's records: each picture the site shows (by URL), the file made of it,
which entries show which pictures, and which files the site publishes (the budget)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..model import ImageRecord
from .common import Queries

_COLUMNS = (
    "url",
    "host",
    "name",
    "width",
    "height",
    "size",
    "referer",
    "error",
    "failures",
    "retry",
    "fetched",
    "published",
)
Picture = tuple[str, int, int]  # a published file: name, width, height (pixels)


def _record(row: Any) -> ImageRecord:
    """A record from its row (both engines give ints and text, or NULL, in these columns)."""
    url, host, name, width, height, size, referer, error, failures, retry, fetched, pub = row
    return ImageRecord(
        url,
        host,
        name,
        width,
        height,
        size,
        referer,
        error,
        failures,
        bool(retry),
        fetched,
        bool(pub),
    )


class ImageQueries(Queries):
    def image_scans_due(self) -> list[tuple[int, str, int]]:
        """(row, uid, revision) of the entries whose pictures were not listed for the
        entry as it is now."""
        return [
            (int(row[0]), str(row[1]), int(row[2]))
            for row in self._db.execute(
                "SELECT e.id, e.uid, e.revision FROM entries e"
                " LEFT JOIN image_scans s ON s.entry_id = e.id"
                " WHERE s.entry_id IS NULL OR s.revision <> e.revision ORDER BY e.id"
            )
        ]

    def save_image_scans(self, scans: Sequence[tuple[int, int, Sequence[str]]]) -> None:
        """Each entry's pictures (row, revision, URLs: its thumbnail first), as listed now."""
        with self._transaction():
            for row, revision, urls in scans:
                self._db.execute("DELETE FROM entry_images WHERE entry_id = ?", (row,))
                self._db.executemany(
                    "INSERT INTO entry_images (entry_id, position, url) VALUES (?, ?, ?)",
                    [(row, position, url) for position, url in enumerate(urls) if url],
                )
                self._db.execute(
                    self._sql.replace_into("image_scans", ("entry_id", "revision"), ("entry_id",)),
                    (row, revision),
                )

    def forget_image_scans(self) -> None:
        """List every entry's pictures again (what is listed changed)."""
        with self._transaction():
            self._db.execute("DELETE FROM image_scans")

    def image_uses(self) -> list[tuple[str, int, str]]:
        """(uid, position, URL) of every entry's pictures, the newest entries first (the
        order the budget keeps them in), each entry's in its order."""
        shown = self._sql.least("e.published", "e.first_seen")
        return [
            (str(uid), int(position), str(url))
            for uid, position, url in self._stream(
                "SELECT e.uid, i.position, i.url FROM entry_images i"
                " JOIN entries e ON e.id = i.entry_id"
                f" ORDER BY {shown} DESC, e.id DESC, i.position"
            )
        ]

    def image_records(self, urls: Iterable[str] | None = None) -> dict[str, ImageRecord]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM images"
        params: tuple[object, ...] = ()
        if urls is not None:
            sql += f" WHERE {self._sql.in_list('url')}"
            params = (self._sql.list_param(urls),)
        return {str(row[0]): _record(row) for row in self._stream(sql, params)}

    def save_image_records(self, records: Sequence[ImageRecord]) -> None:
        with self._transaction():
            self._db.executemany(
                self._sql.replace_into("images", _COLUMNS, ("url",)),
                [
                    (
                        r.url,
                        r.host,
                        r.name,
                        r.width,
                        r.height,
                        r.size,
                        r.referer,
                        r.error,
                        r.failures,
                        int(r.retry),
                        r.fetched,
                        int(r.published),
                    )
                    for r in records
                ],
            )

    def set_published(self, urls: Iterable[str]) -> bool:
        """Publish exactly the files of ``urls``; True when that changed anything."""
        urls = sorted(set(urls))
        with self._transaction():
            changed = self._db.execute(
                f"UPDATE images SET published = 0 WHERE published <> 0 AND NOT"
                f" ({self._sql.in_list('url')})",
                (self._sql.list_param(urls),),
            ).rowcount
            changed += self._db.execute(
                f"UPDATE images SET published = 1 WHERE published = 0 AND name IS NOT NULL"
                f" AND {self._sql.in_list('url')}",
                (self._sql.list_param(urls),),
            ).rowcount
        return changed > 0

    def forget_unused_images(self) -> list[str]:
        """Drop the records of pictures no stored entry shows any more; return the names
        of the files no record names now (the cache may delete them)."""
        with self._transaction():
            gone = [
                str(name)
                for (name,) in self._db.execute(
                    "SELECT name FROM images WHERE name IS NOT NULL AND url NOT IN"
                    " (SELECT url FROM entry_images)"
                ).fetchall()
            ]
            self._db.execute("DELETE FROM images WHERE url NOT IN (SELECT url FROM entry_images)")
            if not gone:
                return []
            kept = {
                str(name)
                for (name,) in self._db.execute(
                    f"SELECT name FROM images WHERE {self._sql.in_list('name')}",
                    (self._sql.list_param(gone),),
                ).fetchall()
            }
        return sorted(set(gone) - kept)

    def published_pictures(self) -> list[str]:
        """The names of the files the site publishes."""
        return [
            str(name)
            for (name,) in self._db.execute(
                "SELECT DISTINCT name FROM images WHERE published <> 0 AND name IS NOT NULL"
                " ORDER BY name"
            )
        ]

    def pictures(self, uids: Iterable[str]) -> dict[str, dict[str, Picture]]:
        """uid -> its pictures the site publishes: original URL -> (name, width, height)."""
        found: dict[str, dict[str, Picture]] = {}
        for uid, url, name, width, height in self._db.execute(
            "SELECT e.uid, m.url, m.name, m.width, m.height FROM entries e"
            " JOIN entry_images i ON i.entry_id = e.id JOIN images m ON m.url = i.url"
            f" WHERE m.published <> 0 AND {self._sql.in_list('e.uid')}",
            (self._sql.list_param(uids),),
        ):
            found.setdefault(str(uid), {})[str(url)] = (str(name), int(width), int(height))
        return found

    def picture_marks(self) -> dict[str, str]:
        """uid -> the names of its published pictures, for the entries that have any: what
        their pages depend on besides the entry itself."""
        marks: dict[str, str] = {}
        for uid, name in self._stream(
            "SELECT e.uid, m.name FROM entries e JOIN entry_images i ON i.entry_id = e.id"
            " JOIN images m ON m.url = i.url WHERE m.published <> 0 ORDER BY e.id, i.position"
        ):
            marks[str(uid)] = marks.get(str(uid), "") + str(name)[:12]
        return marks

    def image_stats(self) -> tuple[int, int, int, int, list[tuple[str, int, str]]]:
        """(files cached, their bytes, files published, their bytes, and per host that
        has failures: host, pictures failing, the latest error)."""
        cached, size, published, published_size = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(SUM(pub), 0),"
            " COALESCE(SUM(pub * size), 0) FROM (SELECT name, MAX(size) AS size,"
            " MAX(published) AS pub FROM images WHERE name IS NOT NULL GROUP BY name) AS f"
        ).fetchone()
        hosts: dict[str, tuple[int, str, str]] = {}
        for host, error, fetched in self._db.execute(
            "SELECT host, error, fetched FROM images WHERE name IS NULL AND error IS NOT NULL"
        ):
            count, when, last = hosts.get(str(host), (0, "", ""))
            newer = str(fetched or "") >= when
            hosts[str(host)] = (
                count + 1,
                str(fetched or "") if newer else when,
                str(error) if newer else last,
            )
        failing = sorted(((h, n, e) for h, (n, _, e) in hosts.items()), key=lambda x: -x[1])
        return int(cached), int(size), int(published), int(published_size), failing
