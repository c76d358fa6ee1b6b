"""The schema, as the ordered steps that build it: add new migrations at the end.

A step is SQL (statements separated by ``;``) or a function of the connection that
returns True when what it changed must leave no trace in the file (the store is then
VACUUMed and its WAL truncated).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from ..model import Entry
from ..rsshub import ACCESS_PARAMS, secret_forms, secrets_in
from .common import dt
from .entries import entry_digest


def _forget_access_keys(db: sqlite3.Connection) -> bool:
    """Migration 5: earlier versions kept the URL a route was fetched from, RSSHub's access
    key (or code) included, and URLs resolved against it could reach entries. Take every
    access parameter out of what the store holds; True when anything held one."""
    secrets = secrets_in(
        url or ""
        for (url,) in db.execute(
            "SELECT fetched_url FROM feeds WHERE route IS NOT NULL UNION"
            " SELECT l.url FROM fetch_log l JOIN feeds f ON f.id = l.feed_id"
            " WHERE f.route IS NOT NULL UNION"
            " SELECT moved_to FROM feeds WHERE route IS NOT NULL"
        )
    )
    if not secrets:
        return False

    def scrub(text: str | None) -> str | None:
        if text is None:
            return None
        for secret in secrets:
            for form in secret_forms(secret):
                for name in ACCESS_PARAMS:
                    text = re.sub(
                        rf"([?&]){name}={re.escape(form)}(&?)", lambda m: m[1] if m[2] else "", text
                    )
                text = text.replace(form, "***")
        return text

    for table, columns in (
        ("feeds", ("fetched_url", "moved_to", "last_error")),
        ("fetch_log", ("url", "error")),
    ):
        for row in db.execute(f"SELECT id, {', '.join(columns)} FROM {table}").fetchall():
            scrubbed = [scrub(value) for value in row[1:]]
            if scrubbed != list(row[1:]):
                db.execute(
                    f"UPDATE {table} SET {', '.join(c + ' = ?' for c in columns)} WHERE id = ?",
                    (*scrubbed, row[0]),
                )
    for row in db.execute(
        "SELECT id, entry_id, link, title, author, published, updated, content, thumbnail"
        " FROM entries"
    ).fetchall():
        link, content, thumbnail = scrub(row[2]), scrub(row[7]), scrub(row[8])
        if (link, content, thumbnail) == (row[2], row[7], row[8]):
            continue
        entry = Entry(
            id=row[1],
            link=link,
            title=row[3],
            author=row[4],
            published=dt(row[5]),
            updated=dt(row[6]),
            content=content or "",
            thumbnail=thumbnail,
        )
        (revision,) = db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'"
            " RETURNING value"
        ).fetchone()
        db.execute(
            "UPDATE entries SET link = ?, content = ?, thumbnail = ?, digest = ?,"
            " revision = ? WHERE id = ?",
            (link, content, thumbnail, entry_digest(entry), int(revision), row[0]),
        )
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
    # 6: stories: each entry's story (the entry id of its first entry), and the sketches
    # of the recent ones that new entries are matched against (kept for two windows)
    """
    CREATE TABLE IF NOT EXISTS stories (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        story INTEGER NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS stories_by_story ON stories (story, at);
    CREATE INDEX IF NOT EXISTS stories_by_at ON stories (at);
    CREATE TABLE IF NOT EXISTS story_sketches (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        feed_id INTEGER NOT NULL,
        at TEXT NOT NULL,
        title TEXT NOT NULL,
        lead TEXT NOT NULL,
        sketch BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS story_sketches_by_at ON story_sketches (at);
    """,
    # 7: full text: the article fetched from an entry's page, for the entry as it was then
    """
    CREATE TABLE IF NOT EXISTS articles (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        digest TEXT NOT NULL,
        url TEXT NOT NULL,
        status INTEGER,
        etag TEXT,
        last_modified TEXT,
        content TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        retry INTEGER NOT NULL DEFAULT 0,
        fetched TEXT NOT NULL
    );
    """,
    # 8: the image cache: each picture by URL and the file made of it, each entry's
    # pictures (thumbnail first) as listed for its revision, and which files the site
    # publishes
    """
    CREATE TABLE IF NOT EXISTS images (
        url TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        name TEXT,
        width INTEGER NOT NULL DEFAULT 0,
        height INTEGER NOT NULL DEFAULT 0,
        size INTEGER NOT NULL DEFAULT 0,
        referer TEXT,
        error TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        retry INTEGER NOT NULL DEFAULT 0,
        fetched TEXT,
        published INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS images_by_name ON images (name);
    CREATE TABLE IF NOT EXISTS image_scans (
        entry_id INTEGER PRIMARY KEY REFERENCES entries(id) ON DELETE CASCADE,
        revision INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS entry_images (
        entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        url TEXT NOT NULL,
        PRIMARY KEY (entry_id, position)
    );
    CREATE INDEX IF NOT EXISTS entry_images_by_url ON entry_images (url);
    """,
)
