"""The RSSHub route catalog, as synced from RSSHub's docs or an instance."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from ..model import Route
from .common import Queries, iso


class CatalogQueries(Queries):
    def replace_routes(
        self, origins: Iterable[str], routes: Iterable[Route], now: datetime | None = None
    ) -> int:
        """Forget the routes that came from ``origins`` and keep ``routes`` instead."""
        at = iso(now or datetime.now(UTC))
        rows = [
            (
                r.path,
                r.example,
                r.namespace,
                r.category,
                r.category_id,
                r.source,
                r.channel,
                json.dumps(r.parameters, ensure_ascii=False),
                r.origin,
                r.line,
                r.format,
                at,
            )
            for r in routes
        ]
        with self._transaction():
            self._db.executemany("DELETE FROM routes WHERE origin = ?", [(o,) for o in origins])
            self._db.executemany(
                "INSERT INTO routes (path, example, namespace, category, category_id, source,"
                " channel, parameters, origin, line, format, synced)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    _ROUTE_COLUMNS = (
        "path, example, namespace, category, category_id, source, channel,"
        " parameters, origin, line, format"
    )

    @staticmethod
    def _route(row: Sequence[Any]) -> Route:
        return Route(
            path=row[0],
            example=row[1],
            namespace=row[2],
            category=row[3],
            category_id=row[4],
            source=row[5],
            channel=row[6],
            parameters=tuple(tuple(p) for p in json.loads(row[7])),
            origin=row[8],
            line=row[9],
            format=row[10],
        )

    def routes(self, namespace: str | None = None) -> list[Route]:
        """Every route of the catalog (of one namespace, if named), in the order stored."""
        sql = f"SELECT {self._ROUTE_COLUMNS} FROM routes"
        params: tuple[str, ...] = ()
        if namespace is not None:
            sql += " WHERE namespace = ?"
            params = (namespace,)
        return [self._route(row) for row in self._db.execute(sql + " ORDER BY id", params)]

    # Which origin's copy of a route counts when several hold the same path: the freshest
    # kind of source (a running instance's /api/namespace, then the new docs, then the old),
    # and of those the one synced last.
    _FRESHEST = (
        "CASE format WHEN 'api' THEN 0 WHEN 'new' THEN 1 WHEN 'old' THEN 2 ELSE 3 END,"
        " synced DESC, id DESC"
    )

    def search_routes(self, words: Sequence[str], limit: int | None = None) -> list[Route]:
        """Routes whose category, source, channel or path hold every word (any case): each
        path once, as its freshest origin has it."""
        haystack = (
            "lower(category || ' ' || coalesce(category_id, '') || ' ' || source"
            " || ' ' || coalesce(channel, '') || ' ' || path || ' '"
            " || coalesce(example, ''))"
        )
        clauses = [self._sql.contains_lower(haystack) for _ in words]
        sql = (
            f"SELECT {self._ROUTE_COLUMNS} FROM (SELECT *, ROW_NUMBER() OVER"
            f" (PARTITION BY path ORDER BY {self._FRESHEST}) AS copy FROM routes"
            + (" WHERE " + " AND ".join(clauses) if clauses else "")
            + ") AS found WHERE copy = 1"
            f" ORDER BY category, source, {self._sql.nulls_first('channel')}, path, id"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._route(row) for row in self._db.execute(sql, tuple(words))]

    def route_origins(self, path: str) -> list[tuple[str, str, str]]:
        """(origin, format, synced) of every copy of the route at ``path``, freshest first."""
        return list(
            self._db.execute(
                f"SELECT origin, format, synced FROM routes WHERE path = ?"
                f" ORDER BY {self._FRESHEST}",
                (path,),
            )
        )

    def route_counts(self) -> list[tuple[str, str, int]]:
        """(origin, format, count) for each origin in the catalog."""
        return list(
            self._db.execute(
                "SELECT origin, format, COUNT(*) FROM routes"
                " GROUP BY origin, format ORDER BY origin"
            )
        )
