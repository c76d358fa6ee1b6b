"""The PostgreSQL store: one connection per store (as SQLite's), the shared queries in
PostgreSQL's spelling, advisory locks in place of the lock file, and reconnection.

- The queries are the SQLite store's mixins: ``Pg`` turns their ``?`` placeholders into
  psycopg's and ``dialect.POSTGRES`` spells what differs. Large reads go through a
  server-side cursor, so reading 100,000 entries never holds them all in memory.
- Writes queue on one advisory lock per store, taken when a transaction begins, as
  SQLite's ``BEGIN IMMEDIATE`` queues them on the file: the shared revision counter is
  then never a deadlock, and fetching (where the time goes) still runs in parallel.
- ``lock=True`` (``run``, ``fetch``, ``publish``, ``routes sync``) holds the store's
  advisory lock alone; workers and builders hold it shared (``FleetQueries.join``), so a
  ``run`` and a fleet never write one store at once.
- A connection lost outside a transaction (the server restarted) is made again, for up to
  ``RECONNECT`` seconds, and the call is repeated: a write is one transaction, so it is
  either stored whole or not at all. Beyond that, ``StoreError``: one line.

Each store lives in the connection's schema (the first of ``search_path``); its lock
keys and notification channel are derived from that schema, so several stores can share
one database.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors

from .articles import ArticleQueries
from .catalog import CatalogQueries
from .dialect import POSTGRES
from .errors import StoreBusy, StoreError
from .fleet import FleetQueries
from .images import ImageQueries
from .outputs import OutputQueries
from .pg_migrations import POSTGRES_MIGRATIONS
from .stories import StoryQueries

log = logging.getLogger(__name__)

RECONNECT = 60.0  # seconds to keep trying to reach a server that went away ...
RECONNECT_ENV = "NEWSSTAND_STORE_RECONNECT"  # ... unless this says otherwise


def reconnect_window() -> float:
    try:
        return max(0.0, float(os.environ.get(RECONNECT_ENV, RECONNECT)))
    except ValueError:
        return RECONNECT


CONNECT_TIMEOUT = 10  # seconds for one connection attempt
STREAM_ROWS = 500  # rows fetched at a time from a server-side cursor

P = ParamSpec("P")
R = TypeVar("R")


def describe(url: str) -> str:
    """The URL as it may be shown: any password replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = "&".join(
        f"{p.split('=', 1)[0]}=***" if p.lower().startswith("password=") else p
        for p in parts.query.split("&")
        if p
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@functools.lru_cache(maxsize=2048)
def _pg(sql: str) -> str:
    """The shared SQL with psycopg's placeholders (the shared SQL has no other ``?`` or ``%``)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _clean(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL; SQLite's can. A NUL in a feed's text means nothing."""
    return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value


def _params(parameters: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(_clean(p) for p in parameters)


class Pg:
    """A psycopg connection as the shared queries use one (``common.Db``); counts the
    statements it runs (``queries``), for the workers' figures."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.queries = 0

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor[Any]:
        self.queries += 1
        return self.conn.execute(_pg(sql), _params(parameters))

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> psycopg.Cursor[Any]:
        rows = [_params(row) for row in parameters]
        self.queries += 1
        cursor = self.conn.cursor()
        if rows:
            cursor.executemany(_pg(sql), rows)
        return cursor


def _connect(url: str) -> psycopg.Connection[Any]:
    """A connection in autocommit mode (each transaction is explicit), or StoreError."""
    try:
        given = psycopg.conninfo.conninfo_to_dict(url)
        extra: dict[str, Any] = {
            k: v
            for k, v in (("connect_timeout", CONNECT_TIMEOUT), ("application_name", "newsstand"))
            if k not in given
        }
        return psycopg.connect(psycopg.conninfo.make_conninfo(url, **extra), autocommit=True)
    except psycopg.Error as exc:
        raise Unreachable(
            f"cannot reach the store {describe(url)}: {_reason(exc)}; check that PostgreSQL"
            " is running there and the URL (and PGPASSWORD) are right",
            _reason(exc),
        ) from None


class Unreachable(StoreError):
    """The server did not answer; ``reason`` is libpq's word for why."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _reason(exc: BaseException) -> str:
    """The telling line of a libpq message (it spreads one error over several lines)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if "failed:" in line:
            return line.rsplit("failed:", 1)[1].strip()
    return lines[0] if lines else type(exc).__name__


def _key(schema: str, name: str) -> int:
    """An advisory lock key (signed 64 bits) for ``name`` in ``schema``."""
    return int.from_bytes(hashlib.sha1(f"{schema}\0{name}".encode()).digest()[:8], signed=True)


def _lost(conn: psycopg.Connection[Any], exc: BaseException) -> bool:
    """Whether ``exc`` means the connection is gone (and may be made again)."""
    return conn.broken or conn.closed or isinstance(exc, pg_errors.AdminShutdown)


def _retrying(method: Callable[P, R]) -> Callable[P, R]:
    """Repeat a store call once the connection is made again, when it was lost outside a
    transaction of the caller's (inside one, the caller decides what to redo)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        store = args[0]
        assert isinstance(store, PostgresStore)
        if store._depth:
            return method(*args, **kwargs)
        deadline = time.monotonic() + reconnect_window()
        while True:
            try:
                return method(*args, **kwargs)
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if not _lost(store._conn, exc):
                    raise
                log.warning("lost the connection to %s (%s); reconnecting", store.name, exc)
                store.reconnect(deadline)

    return wrapper


class PostgresStore(
    FleetQueries, CatalogQueries, OutputQueries, StoryQueries, ArticleQueries, ImageQueries
):
    """The PostgreSQL implementation of the store."""

    _sql = POSTGRES

    def __init__(self, url: str, *, lock: bool = True) -> None:
        self.url = url
        self.name = describe(url)
        self._depth = 0  # transactions open (nested ones are savepoints)
        self._locks: list[tuple[str, bool]] = []  # session advisory locks held: (name, shared)
        self._conn = _connect(url)
        self._db = self._pg = Pg(self._conn)
        try:
            self.schema = self._schema()
            self._migrate()
            if lock:
                self._hold("store", shared=False)
        except BaseException:
            self.close()
            raise

    # -- the connection -----------------------------------------------------------------

    def _schema(self) -> str:
        (schema,) = self._conn.execute("SELECT current_schema()").fetchone() or (None,)
        if schema is None:
            raise StoreError(
                f"the store {self.name} has no schema to live in (search_path names none that"
                " exists); create it, or fix the URL's options"
            )
        return str(schema)

    def _lock_key(self, name: str) -> int:
        return _key(self.schema, name)

    def _hold(self, name: str, *, shared: bool) -> None:
        """Take a session advisory lock without waiting; StoreBusy when it is held."""
        if (name, shared) in self._locks:
            return
        fn = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        (got,) = self._conn.execute(f"SELECT {fn}(%s)", (self._lock_key(name),)).fetchone() or (
            False,
        )
        if not got:
            raise StoreBusy(
                f"another newsstand process is using the store {self.name}"
                + (
                    " (a `newsstand run` or `fetch`): wait for it to finish"
                    if shared
                    else " (a run, or workers): wait for it, or stop the workers"
                )
            )
        self._locks.append((name, shared))

    def reconnect(self, deadline: float) -> None:
        """Make the connection again (re-taking its locks) before ``deadline``; StoreError
        when the server cannot be reached by then."""
        with contextlib.suppress(Exception):
            self._conn.close()
        pause = 0.2
        while True:
            try:
                self._conn = _connect(self.url)
                break
            except Unreachable as exc:
                if time.monotonic() + pause > deadline:
                    raise StoreError(
                        f"lost the connection to the store {self.name} and could not make it"
                        f" again within {reconnect_window():g} s ({exc.reason}); nothing"
                        " half-stored: run again once PostgreSQL is back"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 5.0)
        queries = self._pg.queries
        self._db = self._pg = Pg(self._conn)
        self._pg.queries = queries
        held, self._locks = self._locks, []
        for name, shared in held:
            self._hold(name, shared=shared)
        log.info("connected to %s again", self.name)

    def _transaction(self) -> contextlib.AbstractContextManager[None]:
        """A transaction (a savepoint inside one); the outermost queues on the write lock."""
        return self._locked("write")

    @contextlib.contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        """A transaction that holds the advisory lock ``name`` (outermost only) to its end."""
        with self._conn.transaction():
            if self._depth == 0:
                self._db.execute("SELECT pg_advisory_xact_lock(?)", (self._lock_key(name),))
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    def _stream(self, sql: str, parameters: Sequence[Any] = ()) -> Iterator[Any]:
        cursor = self._conn.cursor(name=f"newsstand_{next(_cursors)}", withhold=True)
        cursor.itersize = STREAM_ROWS
        try:
            self._pg.queries += 1
            cursor.execute(_pg(sql), _params(parameters))
            yield from cursor
        finally:
            with contextlib.suppress(psycopg.Error):
                cursor.close()

    def _migrate(self) -> None:
        """Bring the schema up to date, one step per transaction; one process at a time."""
        self._conn.execute("SELECT pg_advisory_lock(%s)", (self._lock_key("migrate"),))
        try:
            self._conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            row = self._conn.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if version > len(POSTGRES_MIGRATIONS):
                raise StoreError(
                    f"{self.name} was written by a newer newsstand (schema {version}); upgrade"
                )
            for number, script in enumerate(POSTGRES_MIGRATIONS[version:], start=version + 1):
                with self._conn.transaction():
                    self._conn.execute(script.encode())
                    self._conn.execute("DELETE FROM schema_version")
                    self._conn.execute("INSERT INTO schema_version VALUES (%s)", (number,))
        finally:
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._lock_key("migrate"),))

    @property
    def schema_version(self) -> int:
        row = self._conn.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    @property
    def queries(self) -> int:
        """Statements run on this store so far."""
        return self._pg.queries

    def close(self) -> None:
        with contextlib.suppress(Exception):
            # the server drops a closed session's locks only once it has seen the close:
            # released here, a run started right after this one never finds them held
            if self._locks:
                self._conn.execute("SELECT pg_advisory_unlock_all()")
                self._locks = []
            self._conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, psycopg.Error):
            raise StoreError(
                f"the store {self.name} failed: {_reason(exc)}; nothing half-stored (each"
                " write is one transaction): run again"
            ) from exc

    def snapshot(self, path: Path) -> int:
        raise StoreError(
            f"`store save` keeps a SQLite store; back up {self.name} with pg_dump, or copy it"
            " to a file with `newsstand store copy --to sqlite:///path/newsstand.db`"
        )


_cursors = itertools.count(1)

# Every call of the protocol (and of the fleet) that is one transaction or one read is
# repeated after a reconnection; the generators (``items``) fail instead: one line.
for _name in (
    "sync_feeds",
    "validators",
    "states",
    "record",
    "feed_records",
    "demoted_instances",
    "record_instances",
    "apply_retention",
    "revisions",
    "site_index",
    "state",
    "outputs",
    "save_outputs",
    "get_meta",
    "set_meta",
    "replace_routes",
    "routes",
    "search_routes",
    "route_counts",
    "route_origins",
    "image_scans_due",
    "save_image_scans",
    "forget_image_scans",
    "image_uses",
    "image_records",
    "save_image_records",
    "set_published",
    "forget_unused_images",
    "published_pictures",
    "pictures",
    "picture_marks",
    "image_stats",
    *FleetQueries.RETRIED,
):
    setattr(PostgresStore, _name, _retrying(getattr(PostgresStore, _name)))
