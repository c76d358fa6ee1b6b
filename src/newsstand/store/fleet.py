"""The coordination of workers, PostgreSQL only: due feeds claimed with a lease, results
stored and leases released in one transaction, the workers' own rows, the builder's
election and the change notifications it waits on.

- ``schedule`` writes each feed's next due time (``due_at``) as the schedule computes it;
  ``claim`` takes up to ``limit`` due feeds nobody holds a live lease on, with
  ``FOR UPDATE SKIP LOCKED``, at most ``per_host`` leases per host across all workers;
  ``finish`` stores a batch only for the feeds the worker still holds and moves their
  ``due_at`` to the next slot in the same transaction: no feed is fetched twice in one
  due slot, and a worker killed at any point leaves only leases that expire.
- Claims queue on an advisory lock of their own (a claim takes a few milliseconds), so
  the per-host budget is read and spent by one claim at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from ..model import Claim, Feed, FeedState, Outcome, Stored, WorkerRecord
from .errors import StoreBusy
from .feeds import FeedQueries


class FleetQueries(FeedQueries):
    RETRIED = (
        "join",
        "renew",
        "leave",
        "release",
        "schedule",
        "claim",
        "finish",
        "workers",
        "claim_lag",
        "pending",
        "unclaimed",
        "lead",
        "wait_for_change",
    )

    schema: str

    # provided by the PostgreSQL store
    def _hold(self, name: str, *, shared: bool) -> None:
        raise NotImplementedError

    def _locked(self, name: str) -> AbstractContextManager[None]:
        raise NotImplementedError

    @property
    def queries(self) -> int:
        """Statements this store has run (its connection's, from the start)."""
        raise NotImplementedError

    @property
    def channel(self) -> str:
        """The notification channel of this store (one per schema)."""
        return "newsstand_" + hashlib.sha1(self.schema.encode()).hexdigest()[:16]

    # -- workers ---------------------------------------------------------------------

    def join(self, name: str, role: str, host: str, pid: int) -> None:
        """Hold the store shared (a `newsstand run` then waits for the fleet) and note
        this worker or builder."""
        self._hold("store", shared=True)
        self._db.execute(
            "INSERT INTO workers (name, host, pid, role) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, last_seen = now(),"
            " stopped = NULL",
            (name, host, pid, role),
        )

    def renew(self, name: str, lease: float) -> None:
        """The worker is alive: its leases last ``lease`` seconds more."""
        self._db.execute("UPDATE workers SET last_seen = now() WHERE name = ?", (name,))
        self._db.execute(
            "UPDATE feeds SET claimed_until = now() + make_interval(secs => ?)"
            " WHERE claimed_by = ? AND claimed_until > now()",
            (lease, name),
        )

    def release(self, name: str, keys: Sequence[str]) -> None:
        """Give back claims without storing anything (feeds this worker cannot fetch)."""
        self._db.execute(
            "UPDATE feeds SET claimed_by = NULL, claimed_until = NULL"
            " WHERE claimed_by = ? AND key = ANY(?)",
            (name, list(keys)),
        )

    def leave(self, name: str) -> None:
        """The worker stops cleanly: what it still holds is due again at once."""
        self._db.execute(
            "UPDATE feeds SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?",
            (name,),
        )
        self._db.execute(
            "UPDATE workers SET stopped = now(), last_seen = now() WHERE name = ?", (name,)
        )

    def workers(self) -> list[WorkerRecord]:
        """Every worker and builder seen in the last day, the live ones first."""
        return [
            WorkerRecord(*row)
            for row in self._db.execute(
                "SELECT w.name, w.host, w.pid, w.role,"
                " to_char(w.started AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"'),"
                " to_char(w.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"'),"
                " to_char(w.stopped AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"'),"
                " w.claimed, w.fetched, w.errors, w.last_error, w.queries,"
                " (SELECT count(*) FROM feeds f WHERE f.claimed_by = w.name"
                "  AND f.claimed_until > now())"
                " FROM workers w WHERE w.last_seen > now() - interval '1 day'"
                " ORDER BY w.stopped IS NOT NULL, w.role, w.name"
            )
        ]

    # -- the schedule and claims -------------------------------------------------------

    def schedule(
        self,
        feeds: Sequence[Feed],
        due: Callable[[Feed, FeedState | None], datetime | None],
        host: Callable[[Feed], str | None],
    ) -> int:
        """Write when each of ``feeds`` is due (``due``: None is never) and its host; every
        other feed of the store is never due (it is not in the config). Feeds held by a
        worker keep what that worker will write. Returns how many changed."""
        with self._transaction():  # under the write lock: no finish() between read and write
            states = self.states()
            keys = [feed.key for feed in feeds]
            changed = self._db.execute(
                # a feed due already stays due since when it fell due (its claim lag)
                "UPDATE feeds f SET due_at = CASE WHEN f.due_at <= now() AND v.due <= now()"
                " THEN f.due_at ELSE COALESCE(v.due, 'infinity') END, host = v.host"
                " FROM unnest(?::text[], ?::timestamptz[], ?::text[]) AS v(key, due, host)"
                " WHERE f.key = v.key AND f.claimed_by IS NULL AND (f.host IS DISTINCT FROM"
                " v.host OR NOT (f.due_at <= now() AND v.due <= now())"
                " AND f.due_at IS DISTINCT FROM COALESCE(v.due, 'infinity'))",
                (keys, [due(f, states.get(f.key)) for f in feeds], [host(f) for f in feeds]),
            ).rowcount
            changed += self._db.execute(
                "UPDATE feeds SET due_at = 'infinity' WHERE NOT (key = ANY(?))"
                " AND due_at <> 'infinity' AND claimed_by IS NULL",
                (keys,),
            ).rowcount
        return changed

    def claim(self, name: str, limit: int, lease: float, per_host: int) -> list[Claim]:
        """Take up to ``limit`` due feeds for worker ``name`` for ``lease`` seconds, the
        longest overdue first, leaving every host at most ``per_host`` live leases."""
        with self._locked("claim"):
            rows = self._db.execute(
                "WITH busy AS ("
                "  SELECT host, count(*) AS n FROM feeds"
                "  WHERE claimed_until > now() AND host IS NOT NULL GROUP BY host"
                "), candidates AS ("
                "  SELECT id, host, due_at,"
                "   row_number() OVER (PARTITION BY host ORDER BY due_at, id) AS rank"
                "  FROM feeds WHERE due_at <= now()"
                "  AND (claimed_until IS NULL OR claimed_until <= now())"
                "), chosen AS ("
                "  SELECT f.id FROM feeds f JOIN candidates c ON c.id = f.id"
                "  LEFT JOIN busy b ON b.host = c.host"
                "  WHERE c.host IS NULL OR c.rank + COALESCE(b.n, 0) <= ?"
                "  ORDER BY c.due_at, c.id LIMIT ?"
                "  FOR UPDATE OF f SKIP LOCKED"
                ")"
                " UPDATE feeds f SET claimed_by = ?,"
                " claimed_until = now() + make_interval(secs => ?), claimed_at = now(),"
                " claim_lag_ms = GREATEST(0, extract(epoch FROM now() - f.due_at) * 1000)::bigint"
                " FROM chosen WHERE f.id = chosen.id"
                " RETURNING f.key, f.due_at, f.claim_lag_ms",
                (per_host, limit, name, lease),
            ).fetchall()
            if rows:
                self._db.execute(
                    "UPDATE workers SET claimed = claimed + ?, last_seen = now() WHERE name = ?",
                    (len(rows), name),
                )
        return [Claim(key, due, lag / 1000 if lag is not None else None) for key, due, lag in rows]

    def finish(
        self,
        name: str,
        outcomes: Sequence[Outcome],
        *,
        now: datetime,
        rest: Callable[[int], timedelta] | None,
        due: Callable[[Feed, FeedState | None], datetime | None],
    ) -> list[Stored | None]:
        """Store the outcomes of the feeds ``name`` still holds, move each to its next due
        time and release it, in one transaction. None for an outcome not stored: its lease
        had run out and another worker holds the feed now."""
        keys = [outcome.feed.key for outcome in outcomes]
        with self._transaction():
            held = {
                key
                for (key,) in self._db.execute(
                    "SELECT key FROM feeds WHERE key = ANY(?) AND claimed_by = ? FOR UPDATE",
                    (keys, name),
                )
            }
            kept = [outcome for outcome in outcomes if outcome.feed.key in held]
            stored = dict(
                zip((o.feed.key for o in kept), self.record(kept, now, rest), strict=True)
            )
            states = self.states(held)
            self._db.execute(
                "UPDATE feeds f SET due_at = COALESCE(v.due, 'infinity'), claimed_by = NULL,"
                " claimed_until = NULL FROM unnest(?::text[], ?::timestamptz[]) AS v(key, due)"
                " WHERE f.key = v.key",
                ([o.feed.key for o in kept], [due(o.feed, states.get(o.feed.key)) for o in kept]),
            )
            failed = [o for o in kept if (o.error or o.fetched.error)]
            self._db.execute(
                "UPDATE workers SET fetched = fetched + ?, errors = errors + ?, last_seen = now(),"
                " last_error = COALESCE(?, last_error), queries = ? WHERE name = ?",
                (
                    len(kept) - len(failed),
                    len(failed),
                    (failed[-1].error or failed[-1].fetched.error) if failed else None,
                    self.queries + 1,
                    name,
                ),
            )
            if any(s.uids for s in stored.values()):
                self._db.execute("SELECT pg_notify(?, 'entries')", (self.channel,))
        return [stored.get(key) for key in keys]

    def pending(self) -> int:
        """Feeds due now, or held by a live lease."""
        (count,) = self._db.execute(
            "SELECT count(*) FROM feeds WHERE due_at <= now() OR claimed_until > now()"
        ).fetchone()
        return int(count)

    def unclaimed(self) -> int:
        """Feeds due now that no worker holds."""
        (count,) = self._db.execute(
            "SELECT count(*) FROM feeds WHERE due_at <= now()"
            " AND (claimed_until IS NULL OR claimed_until <= now())"
        ).fetchone()
        return int(count)

    def claim_lag(self, window: float = 3600) -> tuple[float | None, float | None, int]:
        """(p50, p95, count): seconds between due and claimed, of claims in the last
        ``window`` seconds."""
        row = self._db.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY claim_lag_ms),"
            " percentile_cont(0.95) WITHIN GROUP (ORDER BY claim_lag_ms), count(claim_lag_ms)"
            " FROM feeds WHERE claimed_at > now() - make_interval(secs => ?)",
            (window,),
        ).fetchone()
        p50, p95, count = row
        return (
            p50 / 1000 if p50 is not None else None,
            p95 / 1000 if p95 is not None else None,
            int(count),
        )

    # -- the builder ---------------------------------------------------------------------

    def lead(self, name: str) -> bool:
        """Become the one builder (a session advisory lock, dropped when this connection
        ends however the process ends); False while another builder leads."""
        try:
            self._hold("builder", shared=False)
        except StoreBusy:
            return False
        self._db.execute("UPDATE workers SET role = 'leader' WHERE name = ?", (name,))
        return True

    def wait_for_change(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a worker to store new or changed entries."""
        self._db.execute(f"LISTEN {self.channel}")
        conn: Any = getattr(self._db, "conn")  # noqa: B009 - the psycopg connection
        notes: Iterator[Any] = conn.notifies(timeout=timeout, stop_after=1)
        return any(True for _ in notes)
