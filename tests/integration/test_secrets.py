"""RSSHub's access key: a store written before the fix, which kept URLs holding the key,
is cleaned when opened (every row, the file's free pages and its WAL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from support.secrets import KEY, assert_no_secret, every_byte_written, forms

from newsstand.store import open_store


def test_a_store_that_kept_the_key_is_cleaned_when_opened(tmp_path: Path) -> None:
    """Stores written before the fix kept the fetched URL with the key; the migration takes
    it out of every row, and out of the file's free pages and WAL."""
    db = tmp_path / "newsstand.db"
    leaked = f"http://rsshub.local/news?limit=5&key={quote(KEY, safe='')}"
    with open_store(str(db)) as store:
        store.set_meta("probe", "1")
    raw = sqlite3.connect(db)
    with raw:
        raw.execute(
            "INSERT INTO feeds (key, route, category, source, channel, fetched_url,"
            " last_error) VALUES ('/news', '/news', 'c', 's', 's', ?, ?)",
            (leaked, f"HTTP 503 from {leaked}"),
        )
        raw.execute(
            "INSERT INTO fetch_log (feed_id, at, url, error) VALUES (1, 'now', ?, ?)",
            (leaked, f"timed out fetching {leaked}"),
        )
        raw.execute(
            "INSERT INTO entries (feed_id, entry_id, uid, link, title, published, dated,"
            " content, digest, first_seen, revision) VALUES (1, 'e', 'u', ?, 't',"
            " '2024-01-01T00:00:00+00:00', 1, ?, 'd', '2024-01-01T00:00:00+00:00', 1)",
            (leaked + "#top", f'<a href="{leaked}#top">top</a>'),
        )
        raw.execute("UPDATE meta SET value = '1' WHERE key = 'revision'")
        raw.execute("PRAGMA user_version = 4")
    raw.close()
    with open_store(str(db)) as store:
        (item,) = store.items()
        assert item.entry.link == "http://rsshub.local/news?limit=5#top"
        assert item.entry.content == '<a href="http://rsshub.local/news?limit=5#top">top</a>'
        assert item.revision > 1  # so the posts and pages written from it are rewritten
        assert store.states()["/news"].last_error == (
            "HTTP 503 from http://rsshub.local/news?limit=5"
        )
    assert_no_secret(forms(KEY), every_byte_written(tmp_path))
