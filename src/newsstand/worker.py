"""``newsstand worker``: one of any number of processes, on one machine or many, that share
the fetching of one PostgreSQL store, with no coordinator but the database.

Each worker writes the schedule of its config's feeds (``Store.schedule``: when each is
due), then loops: claim a small batch of due feeds with a lease (``claim``: ``FOR UPDATE
SKIP LOCKED``, at most ``[fetch] per_host`` leases per host across all workers), fetch,
parse and clean them as ``run`` does (``gather``), and store them while releasing the
claims and moving each feed to its next due time, in one transaction (``finish``). A
thread of its own renews the leases every third of their length, so a lease can be short:
a worker killed at any point leaves leases that run out within ``lease`` seconds, and
the other workers take those feeds. SIGTERM finishes the batch in hand, then leaves
(releasing nothing unstored: what it still held is due again at once).

The config is read again when its file changes (a broken edit keeps the one before).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from . import schedule
from .config import Config, ConfigError
from .control import Clock, utcnow
from .gather import Gathering
from .model import Claim, Feed, FeedReport, FeedState, Outcome, Stored
from .store import StoreError, is_postgres, open_postgres
from .workers import Workers

if TYPE_CHECKING:
    from .store.postgres import PostgresStore

log = logging.getLogger(__name__)

BATCH = 16  # feeds claimed at a time
LEASE = 60.0  # seconds a claim lasts unless renewed
IDLE = 1.0  # seconds between claims when nothing is due (at most; sooner when due)


def worker_name() -> str:
    """host:pid:tag, unique across machines and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


def feed_host(feed: Feed, config: Config) -> str | None:
    """The host a feed is fetched from (an RSSHub route: the first instance's)."""
    url = feed.url or (config.rsshub.instances[0] if config.rsshub.instances else None)
    return urlsplit(url).hostname if url else None


def require_postgres(config: Config) -> None:
    if not is_postgres(config.store.url):
        raise StoreError(
            "workers share a PostgreSQL store: set [store] url (or NEWSSTAND_STORE_URL) to"
            " postgresql://user@host/database; with a SQLite store, use `newsstand run` or"
            " `newsstand watch`"
        )


@dataclass
class Batch:
    """What one batch did, as reported."""

    claims: list[Claim]
    reports: list[FeedReport]
    dropped: list[str] = field(default_factory=list)  # leases lost meanwhile: not stored

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.reports)


class Heartbeat:
    """Renews a worker's leases from a thread with a connection of its own, every third
    of the lease, so that a worker busy with a slow batch keeps what it holds."""

    def __init__(self, url: str, name: str, lease: float) -> None:
        self.url, self.name, self.lease = url, name, lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def _run(self) -> None:
        store = None
        while not self._stop.wait(self.lease / 3):
            try:
                if store is None:
                    store = open_postgres(self.url, lock=False)
                store.renew(self.name, self.lease)
            except Exception as exc:  # the main loop meets the same outage and reports it
                log.warning("worker %s could not renew its leases: %s", self.name, exc)
                if store is not None:
                    store.close()
                store = None
        if store is not None:
            store.close()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class Worker:
    """One worker process's loop; ``run`` returns when ``stop`` is set (or, with
    ``until_idle``, when no feed is due)."""

    def __init__(
        self,
        load: Callable[[], Config],
        config_path: Path | None,
        *,
        stop: threading.Event,
        batch: int = BATCH,
        lease: float = LEASE,
        until_idle: bool = False,
        on_batch: Callable[[Batch], None] | None = None,
        on_start: Callable[[str], None] | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.load, self.config_path = load, config_path
        self.stop, self.batch, self.lease = stop, batch, lease
        self.until_idle, self.on_batch, self.clock = until_idle, on_batch, clock
        self.on_start = on_start  # hears the store's name once the worker has joined
        self.name = worker_name()
        self.config = load()
        require_postgres(self.config)
        self._mtime = self._config_mtime()

    def _config_mtime(self) -> float:
        try:
            return self.config_path.stat().st_mtime if self.config_path else 0.0
        except OSError:
            return 0.0

    def _due(self, feed: Feed, state: FeedState | None) -> datetime | None:
        return schedule.due_at(feed, self.config.fetch, state, self.clock())

    def _host(self, feed: Feed) -> str | None:
        return feed_host(feed, self.config)

    def _sync(self, store: PostgresStore) -> None:
        """The config's feeds into the store, and when each is due."""
        store.sync_feeds(self.config.feeds)
        changed = store.schedule(self.config.enabled_feeds, self._due, self._host)
        log.info("worker %s: %d feed(s) scheduled anew", self.name, changed)

    def _reload(self, store: PostgresStore) -> None:
        mtime = self._config_mtime()
        if mtime == self._mtime:
            return
        self._mtime = mtime
        try:
            self.config = self.load()
        except ConfigError as exc:
            log.warning("worker %s: %s (going on with the config as it was)", self.name, exc)
            return
        self._sync(store)

    def run(self) -> int:
        """Claim, fetch and store until stopped; the number of batches done."""
        url = self.config.store.url
        done = 0
        with (
            open_postgres(url, lock=False) as store,
            Workers() as pool,
            Heartbeat(url, self.name, self.lease),
        ):
            store.join(self.name, "worker", socket.gethostname(), os.getpid())
            log.info("worker %s joined %s", self.name, store.name)
            try:
                self._sync(store)
                if self.on_start:
                    self.on_start(store.name)
                while not self.stop.is_set():
                    self._reload(store)
                    claims = store.claim(
                        self.name, self.batch, self.lease, self.config.fetch.per_host
                    )
                    if not claims:
                        if self.until_idle and not store.pending():
                            break
                        self.stop.wait(IDLE)
                        continue
                    result = self._fetch(store, pool, claims)
                    done += 1
                    if self.on_batch:
                        self.on_batch(result)
            finally:
                try:
                    store.leave(self.name)
                except StoreError as exc:  # its leases run out on their own
                    log.warning("worker %s could not leave cleanly: %s", self.name, exc)
        return done

    def _fetch(self, store: PostgresStore, pool: Workers, claims: Sequence[Claim]) -> Batch:
        by_key = {feed.key: feed for feed in self.config.enabled_feeds}
        feeds = [by_key[c.feed_key] for c in claims if c.feed_key in by_key]
        unknown = [c.feed_key for c in claims if c.feed_key not in by_key]
        if unknown:  # another worker's config has them: every worker needs the same one
            log.warning(
                "worker %s: %d claimed feed(s) are not in %s (give every worker the same"
                " config): %s",
                self.name,
                len(unknown),
                self.config.path,
                ", ".join(unknown[:5]),
            )
            store.release(self.name, unknown)
        states = store.states([feed.key for feed in feeds])
        moved = {
            f.key: states[f.key].moved_to or ""
            for f in feeds
            if f.url and f.key in states and states[f.key].moved_to
        }
        dropped: list[str] = []

        def record(
            outcomes: Sequence[Outcome], now: datetime, rest: Callable[[int], timedelta]
        ) -> list[Stored]:
            results = store.finish(self.name, outcomes, now=now, rest=rest, due=self._due)
            lost = [o.feed.key for o, r in zip(outcomes, results, strict=True) if r is None]
            if lost:
                log.warning(
                    "worker %s: lease ran out on %d feed(s) before they were stored; another"
                    " worker has them: %s",
                    self.name,
                    len(lost),
                    ", ".join(lost[:5]),
                )
                dropped.extend(lost)
            return [r or Stored() for r in results]

        # The batch in hand is finished even once a stop is asked for (stop=None here).
        reports = Gathering(
            self.config, store, pool, moved=moved, clock=self.clock, record=record
        ).run(feeds)
        store.apply_retention(feeds)
        return Batch(list(claims), reports, dropped)
