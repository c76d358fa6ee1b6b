"""The SQLite store: one file in WAL mode, its lock, pragmas, migrations and snapshots."""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from pathlib import Path
from typing import IO

from .. import locks
from .articles import ArticleQueries
from .catalog import CatalogQueries
from .errors import StoreBusy, StoreError
from .feeds import FeedQueries
from .images import ImageQueries
from .migrations import MIGRATIONS
from .outputs import OutputQueries
from .stories import StoryQueries


class SQLiteStore(
    FeedQueries, CatalogQueries, OutputQueries, StoryQueries, ArticleQueries, ImageQueries
):
    """The SQLite implementation of the store."""

    _db: sqlite3.Connection

    def __init__(self, path: Path, *, lock: bool = True, light: bool = False) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = take_lock(path) if lock else None
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 10000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            # Publishing reads every changed entry (~4 KB each): read through a memory
            # map and a larger cache rather than a system call per page, and sort in
            # memory rather than in a temporary file.
            self._db.execute(f"PRAGMA mmap_size = {0 if light else 268435456}")
            self._db.execute(f"PRAGMA cache_size = {-4096 if light else -32768}")
            self._db.execute("PRAGMA temp_store = MEMORY")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(
                f"{path} is not a usable newsstand store ({exc}); move it away to start "
                "a new one, or restore it from a backup"
            ) from None

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by a newer newsstand (schema {version}); upgrade"
            )
        rewrite = False  # a migration removed what must leave no trace in the file
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self._transaction():
                if callable(script):
                    rewrite |= script(self._db)
                else:
                    for statement in script.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")
        if rewrite:  # old page images stay in free pages and the WAL until rewritten
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with suppress(Exception):
            self._db.close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error):  # e.g. the disk under the store is full
            raise StoreError(
                f"cannot write the store {self.path}: {exc}; make room (or fix its"
                " permissions) and run again: nothing stored before is lost"
            ) from exc

    # -- snapshots (`newsstand store save`) ------------------------------------------

    def snapshot(self, path: Path) -> int:
        """Write a consistent, compact copy of the whole store to ``path`` (a new file) and
        return its schema version. Writers are kept out by the store lock (open the store
        with ``lock=True``); readers may go on."""
        self._db.execute("VACUUM INTO ?", (str(path),))
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])


def take_lock(db: Path) -> IO[str]:
    """Hold the store's lock file (``<db>.lock``) until the returned file is closed: what
    keeps two newsstand processes from writing one store, or replacing it, at once."""
    try:
        return locks.take(
            db.with_name(db.name + ".lock"),
            f"another newsstand process is using {db}; wait for it to finish",
        )
    except locks.Busy as exc:
        raise StoreBusy(str(exc)) from None


def check_file(path: Path) -> str | None:
    """What is wrong with the store file at ``path`` (None: a usable store of a schema this
    newsstand reads). Leaves no WAL beside it."""
    try:
        conn = sqlite3.connect(path)
        try:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("PRAGMA journal_mode = DELETE")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"not a usable database ({exc})"
    if ok != "ok":
        return f"it fails its integrity check ({ok})"
    if version > len(MIGRATIONS):
        return f"it was written by a newer newsstand (schema {version}); upgrade newsstand"
    return None
