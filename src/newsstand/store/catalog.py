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

    def search_routes(self, words: Sequence[str], limit: int | None = None) -> list[Route]:
        """Routes whose category, source, channel or path hold every word (any case)."""
        sql = f"SELECT {self._ROUTE_COLUMNS} FROM routes"
        haystack = (
            "lower(category || ' ' || coalesce(category_id, '') || ' ' || source"
            " || ' ' || coalesce(channel, '') || ' ' || path || ' '"
            " || coalesce(example, ''))"
        )
        clauses = [f"instr({haystack}, lower(?)) > 0" for _ in words]
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY category, source, channel, path, id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._route(row) for row in self._db.execute(sql, tuple(words))]

    def route_counts(self) -> list[tuple[str, str, int]]:
        """(origin, format, count) for each origin in the catalog."""
        return list(
            self._db.execute(
                "SELECT origin, format, COUNT(*) FROM routes"
                " GROUP BY origin, format ORDER BY origin"
            )
        )
