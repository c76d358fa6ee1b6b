"""The few pieces of SQL that differ between the backends, and nothing else.

The query mixins (``feeds``, ``entries``, ``catalog``, ``outputs``) are written once, in
the SQL both engines speak, with ``?`` placeholders; where SQLite and PostgreSQL spell a
thing differently the mixin asks ``self._sql`` (a ``Dialect``) for it. ``SQLITE`` returns
exactly the text the SQLite store always ran, so a SQLite user runs the same statements
as before; ``POSTGRES`` its PostgreSQL spelling. A new query that needs another such
piece adds a method to both classes here (and a test on both backends shows it agrees).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any


class Dialect:
    """SQLite's spelling."""

    name = "sqlite"

    def least(self, a: str, b: str) -> str:
        """The smaller of two values (both NOT NULL)."""
        return f"MIN({a}, {b})"

    def in_list(self, expr: str) -> str:
        """``expr`` is one of the values of a list parameter (``list_param``)."""
        return f"{expr} IN (SELECT value FROM json_each(?))"

    def list_param(self, values: Iterable[str] | Iterable[int]) -> Any:
        return json.dumps(list(values))

    def contains_lower(self, haystack: str) -> str:
        """``haystack`` holds the parameter, ASCII case folded (SQLite's ``lower``)."""
        return f"instr({haystack}, lower(?)) > 0"

    def nulls_first(self, expr: str) -> str:
        """An ORDER BY term that sorts NULL first (SQLite's default)."""
        return expr

    def replace_into(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """Insert a row, replacing the one with the same ``key``."""
        marks = ", ".join("?" for _ in columns)
        return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    bump_revision = "UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value"


class PostgresDialect(Dialect):
    """PostgreSQL's spelling. Text columns are ``COLLATE "C"`` (byte order, as SQLite's
    BINARY), so ``ORDER BY`` and ``lower`` give what SQLite gives."""

    name = "postgresql"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})"

    def in_list(self, expr: str) -> str:
        return f"{expr} = ANY(?)"

    def list_param(self, values: Iterable[str] | Iterable[int]) -> Any:
        return list(values)

    def contains_lower(self, haystack: str) -> str:
        return f'strpos({haystack}, lower(? COLLATE "C")) > 0'

    def nulls_first(self, expr: str) -> str:
        return f"{expr} NULLS FIRST"

    def replace_into(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        marks = ", ".join("?" for _ in columns)
        update = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
        return (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {update}"
        )

    bump_revision = (
        "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'revision' RETURNING value"
    )


SQLITE = Dialect()
POSTGRES = PostgresDialect()
