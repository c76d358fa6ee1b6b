"""``newsstand store copy``: every row of one store into another, empty one, on either
backend (SQLite to PostgreSQL to move up, and back), with the counts checked.

Both stores are opened (and so migrated) by this newsstand, so they hold the same tables;
each table is copied in its creation order (a table comes after those it refers to),
ids and all, in one transaction on the target: an interrupted copy leaves the target as
empty as it was. The coordination of workers (PostgreSQL only) is not copied: the feeds
are all due at once in a new PostgreSQL store, as after ``run --all``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from . import open_store
from .errors import StoreError
from .pg_migrations import COORDINATION

CHUNK = 1000  # rows per insert
SKIPPED = {"schema_version", "workers"}


def _tables(store: Any) -> list[str]:
    if store._sql.name == "sqlite":
        return [
            name
            for (name,) in store._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            )
        ]
    return [
        name
        for (name,) in store._db.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.oid"
        )
    ]


def _columns(store: Any, table: str) -> list[str]:
    if store._sql.name == "sqlite":
        return [row[1] for row in store._db.execute(f"PRAGMA table_info({table})")]
    columns = [
        name
        for (name,) in store._db.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?"
            " ORDER BY ordinal_position",
            (table,),
        )
    ]
    return [c for c in columns if c not in (COORDINATION.get(table) or ())]


def _count(store: Any, table: str) -> int:
    return int(store._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def copy_store(
    source_url: str, target_url: str, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy the store at ``source_url`` into the empty one at ``target_url`` (created if
    need be); table -> rows copied. StoreError when the target holds anything."""
    with open_store(source_url) as source, open_store(target_url) as target:
        src: Any = source
        dst: Any = target
        tables = [t for t in _tables(src) if t not in SKIPPED]
        have = set(_tables(dst))
        for table in tables:
            if table not in have:
                raise StoreError(f"the target store has no table {table}; upgrade newsstand")
            rows = _count(dst, table)
            if rows and not (table == "meta" and dst.get_meta("revision") == "0" and rows == 1):
                raise StoreError(
                    f"the target store is not empty ({table} holds {rows} rows); copy into a"
                    " new database (or schema, or file)"
                )
        counts: dict[str, int] = {}
        with dst._transaction():
            dst._db.execute("DELETE FROM meta")
            for table in tables:
                columns = _columns(src, table)
                lacking = set(columns) - set(_columns(dst, table))
                if lacking:
                    raise StoreError(
                        f"the target store's {table} lacks {', '.join(sorted(lacking))};"
                        " upgrade newsstand"
                    )
                names = ", ".join(columns)
                insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})"
                order = "id" if "id" in columns else names
                rows = iter(src._stream(f"SELECT {names} FROM {table} ORDER BY {order}"))
                copied = 0
                while chunk := list(itertools.islice(rows, CHUNK)):
                    dst._db.executemany(insert, chunk)
                    copied += len(chunk)
                    if progress:
                        progress(table, copied)
                counts[table] = copied
                if "id" in columns and dst._sql.name == "postgresql" and copied:
                    dst._db.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
        for table, copied in counts.items():
            there = (_count(src, table), _count(dst, table))
            if there != (copied, copied):
                raise StoreError(
                    f"{table}: {there[0]} rows in the source, {copied} copied, {there[1]} in"
                    " the target; the copy is incomplete: drop the target and copy again"
                )
    return counts
