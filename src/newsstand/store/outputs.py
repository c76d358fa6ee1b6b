"""What each publisher wrote: its ledger of files per stored entry."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Output
from .common import Queries


class OutputQueries(Queries):
    def outputs(self, target: str) -> dict[str, Output]:
        """What a publisher wrote before: uid -> Output."""
        return {
            row[0]: Output(*row)
            for row in self._db.execute(
                "SELECT uid, path, revision, digest FROM outputs WHERE target = ?", (target,)
            )
        }

    def save_outputs(self, target: str, written: Iterable[Output], removed: Iterable[str]) -> None:
        """Record files written (or confirmed) and forget removed ones, in one transaction."""
        with self._transaction():
            self._db.executemany(
                self._sql.replace_into(
                    "outputs", ("target", "uid", "path", "revision", "digest"), ("target", "uid")
                ),
                [(target, o.uid, o.path, o.revision, o.digest) for o in written],
            )
            self._db.executemany(
                "DELETE FROM outputs WHERE target = ? AND uid = ?",
                [(target, uid) for uid in removed],
            )
