"""The fetch pass: the due feeds fetched concurrently, each body parsed, selected and
cleaned in the worker processes while the next responses arrive, and the outcomes
stored a few feeds per transaction (a commit per feed costs more than storing a 304).

Fetching is asynchronous (aiohttp, in this thread's event loop); the store is written
from this thread. Once a stop is asked for, the fetches still running are cancelled and
what was fetched is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from . import report, schedule
from .clean import clean_entry
from .config import Config
from .control import Clock, Progress, stopping
from .fetch import Fetcher, Request, feed_request
from .model import Feed, FeedReport, Fetched, Outcome, ParsedFeed, Stored
from .parse import ParseError, parse
from .rsshub import instance_answers, instance_limits, instance_order
from .selection import select_entries
from .store import Store
from .workers import Workers

FLUSH_FEEDS, FLUSH_ENTRIES = 32, 200  # store fetches in batches of about this size

# stores outcomes (``Store.record``'s signature): what a batch of fetches is handed to
Recorder = Callable[[Sequence[Outcome], datetime, Callable[[int], timedelta]], list[Stored]]


def process(feed: Feed, fetched: Fetched, tz_name: str) -> ParsedFeed:
    """parse -> select -> clean for one fetched body (in a worker). Raises ParseError.

    Dates that name no zone are read in the feed's ``timezone``, else in ``tz_name``.
    """
    parsed = parse(
        fetched.body,
        url=fetched.url,
        content_type=fetched.content_type,
        default_tz=ZoneInfo(feed.timezone or tz_name),
    )
    entries = select_entries(feed, parsed.entries)
    if feed.clean:
        entries = [clean_entry(e) for e in entries]
    return replace(parsed, entries=tuple(entries))


class Gathering:
    """One fetch pass over ``feeds``; ``run()`` returns a report per feed, in their order.

    ``moved``: feeds fetched from where a permanent redirect sent them; ``on_stored``
    hears the uids of each feed's new and changed entries as they land.
    """

    def __init__(
        self,
        config: Config,
        store: Store,
        workers: Workers,
        *,
        moved: dict[str, str],
        clock: Clock,
        backoff: float = 1.0,
        progress: Progress | None = None,
        on_stored: Callable[[Sequence[str]], None] | None = None,
        stop: threading.Event | None = None,
        record: Recorder | None = None,
    ) -> None:
        self.config, self.store, self.workers = config, store, workers
        self.record = record or store.record  # a worker stores and releases its claims
        self.moved, self.clock, self.backoff = moved, clock, backoff
        self.progress, self.on_stored, self.stop = progress, on_stored, stop
        self.reports: list[FeedReport] = []
        self.pending: list[tuple[Outcome, tuple[str, ...]]] = []  # with the parse warnings
        self.tried: list[tuple[str, bool]] = []  # every attempt: (URL, answered)
        # instances that failed run after run are tried last for a while
        self.instances = instance_order(config.rsshub.instances, store.demoted_instances())
        self.total = 0

    def run(self, feeds: Sequence[Feed]) -> list[FeedReport]:
        self.total = len(feeds)
        asyncio.run(self._gather(feeds))
        self.flush()
        self.store.record_instances(instance_answers(self.config.rsshub.instances, self.tried))
        order = {feed.key: i for i, feed in enumerate(feeds)}
        return sorted(self.reports, key=lambda r: order[r.feed_key])

    async def _gather(self, feeds: Sequence[Feed]) -> None:
        pool = self.workers.for_jobs(len(feeds))
        async with Fetcher(
            self.config.fetch,
            backoff=self.backoff,
            host_limits=instance_limits(self.config.rsshub.instances, self.config.rsshub.per_host),
        ) as fetcher:
            everything = asyncio.gather(*(self._one(feed, fetcher, pool) for feed in feeds))
            watcher = asyncio.create_task(self._cancel_on_stop(everything))
            with contextlib.suppress(asyncio.CancelledError):
                await everything
            watcher.cancel()

    async def _cancel_on_stop(self, task: asyncio.Future[list[None]]) -> None:
        """What has been fetched is stored; what is in flight is dropped (the next run
        redoes it)."""
        while not task.done():
            if stopping(self.stop):
                task.cancel()
                return
            await asyncio.sleep(0.05)

    async def _one(self, feed: Feed, fetcher: Fetcher, pool: Executor | None) -> None:
        if stopping(self.stop):
            return
        etag, last_modified = self.store.validators(feed.key)
        request = (
            Request(feed.key, (self.moved[feed.key],), etag, last_modified)
            if feed.key in self.moved
            else feed_request(feed, self.config.rsshub, self.instances, etag, last_modified)
        )
        fetched = await fetcher.fetch(request)
        self.tried.extend(fetched.tried)
        parsed: ParsedFeed | None = None
        error = fetched.error
        if fetched.ok and not fetched.not_modified:
            try:
                parsed = await self._processed(feed, fetched, pool)
            except ParseError as exc:
                error = str(exc)
        outcome = Outcome(
            feed,
            fetched,
            parsed.entries if parsed else None,
            error,
            parsed.title if parsed else None,
            parsed.ttl_minutes if parsed else None,
        )
        self.pending.append((outcome, parsed.warnings if parsed else ()))
        if (
            len(self.pending) >= FLUSH_FEEDS
            or sum(len(o.entries or ()) for o, _ in self.pending) >= FLUSH_ENTRIES
        ):
            self.flush()

    async def _processed(self, feed: Feed, fetched: Fetched, pool: Executor | None) -> ParsedFeed:
        tz_name = self.config.site.timezone
        if pool is not None and not self.workers.broken:
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    pool, process, feed, fetched, tz_name
                )
            except BrokenProcessPool:
                self.workers.broken = True
        return process(feed, fetched, tz_name)

    def flush(self) -> None:
        """Store what is pending in one transaction, then report it."""
        stored = self.record(
            [outcome for outcome, _ in self.pending],
            self.clock(),
            functools.partial(schedule.rest, self.config.health),
        )
        for (outcome, warnings), result in zip(self.pending, stored, strict=True):
            target = outcome.fetched.moved_to or self.moved.get(outcome.feed.key)
            if target and outcome.feed.url:
                warnings = (
                    f"moved permanently to {target}: fetched from there now;"
                    f" update its url in {self.config.path.name}",
                    *warnings,
                )
            if self.on_stored and result.uids:
                self.on_stored(result.uids)
            feed_report = FeedReport(
                feed_key=outcome.feed.key,
                url=outcome.fetched.url,
                ok=outcome.error is None,
                status=outcome.fetched.status,
                error=outcome.error,
                new=result.new,
                updated=result.updated,
                warnings=warnings,
            )
            self.reports.append(feed_report)
            report.log_feed(feed_report, outcome.fetched)
            if self.progress:
                self.progress("fetch", len(self.reports), self.total, report.feed_line(feed_report))
        self.pending.clear()
