"""What the store's query classes share: the connection, transactions, and how times and
lists are written in SQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol, overload

from .dialect import SQLITE, Dialect


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


class Rows(Protocol):
    """What a query returns (a sqlite3 or psycopg cursor)."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    """The connection as the queries use it: a ``sqlite3.Connection``, or the PostgreSQL
    store's adapter (``?`` placeholders either way)."""

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Rows: ...
    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Rows: ...


class Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")


class Queries:
    """The base of each aggregate's queries: ``self._db`` is the connection, ``self._sql``
    the backend's spelling of what is not common SQL (``dialect``)."""

    _db: Db
    _sql: Dialect = SQLITE

    def _transaction(self) -> AbstractContextManager[Any]:
        return Transaction(self._db)

    def _stream(self, sql: str, parameters: Sequence[Any] = ()) -> Iterable[Any]:
        """Rows of a query that may be large, read as they are used."""
        return self._db.execute(sql, parameters)

    def _feed_id(self, feed_key: str) -> int:
        row = self._db.execute("SELECT id FROM feeds WHERE key = ?", (feed_key,)).fetchone()
        if row is None:
            raise KeyError(f"feed {feed_key!r} is not in the store; call sync_feeds first")
        return int(row[0])

    def _next_revision(self) -> int:
        (value,) = self._db.execute(self._sql.bump_revision).fetchone()
        return int(value)

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._db.execute(
                self._sql.replace_into("meta", ("key", "value"), ("key",)), (key, value)
            )
