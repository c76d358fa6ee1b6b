"""What the store's query classes share: the connection, transactions, and how times and
lists are written in SQL."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import overload


@overload
def iso(dt: datetime) -> str: ...
@overload
def iso(dt: None) -> None: ...
@overload
def iso(dt: datetime | None) -> str | None: ...
def iso(dt: datetime | None) -> str | None:
    """A time as the store writes it: UTC, ISO 8601, whole seconds."""
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else None


def dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def json_list(values: list[str]) -> str:
    return json.dumps(values)


class Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


class Queries:
    """The base of each aggregate's queries: ``self._db`` is the connection."""

    _db: sqlite3.Connection

    def _transaction(self) -> Transaction:
        return Transaction(self._db)

    def _feed_id(self, feed_key: str) -> int:
        row = self._db.execute("SELECT id FROM feeds WHERE key = ?", (feed_key,)).fetchone()
        if row is None:
            raise KeyError(f"feed {feed_key!r} is not in the store; call sync_feeds first")
        return int(row[0])

    def _next_revision(self) -> int:
        (value,) = self._db.execute(
            "UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value"
        ).fetchone()
        return int(value)

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
