"""run = sources -> fetch -> parse -> clean -> store -> publish.

This module only wires the stages. Fetching is asynchronous; parsing and cleaning are
CPU work and run in worker processes (both cores) while the next responses arrive; the
store is written from the event loop's thread, a few feeds per transaction; posts of
new entries are written by a thread as soon as they are stored (``EarlyPublish``), and
the publish pass at the end brings every post in step with the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from . import schedule
from .clean import clean_entry
from .config import Config
from .fetch import Fetcher, Request, feed_request, instance_answers, instance_order
from .model import Entry, Feed, FeedReport, Fetched, Outcome, ParsedFeed
from .parse import ParseError, parse
from .publish.files import remove_temporary_files
from .publish.hexo import TARGET as HEXO
from .publish.hexo import HexoPublisher, PublishResult
from .publish.site import SiteError, SiteResult, build_site
from .store import Store, open_store
from .workers import watch_parent

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int, str], None]  # (phase, done, total, line)
Clock = Callable[[], datetime]  # the time now, aware UTC (tests pass their own)


def utcnow() -> datetime:
    return datetime.now(UTC)

POOL_THRESHOLD = 8  # fewer jobs than this run in-process: starting a pool costs more
RENDER_PER_JOB = 64  # posts rendered per worker job
FLUSH_FEEDS, FLUSH_ENTRIES = 32, 200  # store fetches in batches of about this size


def _own(workers: Workers | None) -> contextlib.AbstractContextManager[Workers]:
    """The caller's workers, or a pool of our own closed when we are done."""
    return contextlib.nullcontext(workers) if workers is not None else Workers()


@dataclass
class RunSummary:
    """What a run did: the CLI prints it, ``--json`` emits it."""

    feeds: list[FeedReport] = field(default_factory=list)
    waiting: list[tuple[str, datetime]] = field(default_factory=list)  # not due: feed, when
    wake: datetime | None = None  # when the next feed falls due (None: never)
    published: PublishResult | None = None
    site: SiteResult | None = None
    site_error: str | None = None
    retention_removed: int = 0
    elapsed: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase

    @property
    def failed(self) -> list[FeedReport]:
        return [r for r in self.feeds if not r.ok and not r.skipped]

    @property
    def skipped(self) -> list[FeedReport]:
        return [r for r in self.feeds if r.skipped]

    @property
    def changed(self) -> bool:
        """Whether the run stored anything new or removed anything."""
        return bool(self.retention_removed or any(r.new or r.updated for r in self.feeds))

    @property
    def complete(self) -> bool:
        return not (self.published and self.published.errors) and not self.site_error

    def to_json(self) -> dict[str, object]:
        published = self.published or PublishResult()
        return {
            "feeds": {
                "total": len(self.feeds),
                "ok": len(self.feeds) - len(self.failed) - len(self.skipped),
                "failed": len(self.failed),
                "failures": [
                    {"feed": r.feed_key, "url": r.url, "status": r.status, "reason": r.error}
                    for r in self.failed
                ],
                "skipped": [
                    {"feed": r.feed_key, "reason": r.error, "next_due": r.next_due}
                    for r in self.skipped
                ],
                "not_due": len(self.waiting),
                "waiting": [{"feed": key, "due": when.isoformat()} for key, when in self.waiting],
                "next_due": self.wake.isoformat() if self.wake else None,
            },
            "entries": {
                "new": sum(r.new for r in self.feeds),
                "updated": sum(r.updated for r in self.feeds),
                "removed_by_retention": self.retention_removed,
            },
            "posts": {
                "written": published.written,
                "unchanged": published.unchanged,
                "removed": published.removed,
                "problems": published.problems,
                "errors": published.errors,
            },
            "site": ({"error": self.site_error} if self.site_error
                     else self.site.to_json() if self.site else None),
            "warnings": [
                {"feed": r.feed_key, "warning": w} for r in self.feeds for w in r.warnings
            ],
            "elapsed_seconds": round(self.elapsed, 3),
            "phase_seconds": {name: round(t, 3) for name, t in self.phases.items()},
        }


# -- the CPU stages (run in worker processes) ------------------------------------------


def _text(entry: Entry) -> str:
    return f"{entry.title}\n{entry.content}"


def select_entries(feed: Feed, entries: Sequence[Entry]) -> list[Entry]:
    """Apply the feed's include/exclude patterns and limit; drop repeated ids."""
    seen: set[str] = set()
    kept: list[Entry] = []
    for entry in entries:
        if entry.id in seen:
            continue
        seen.add(entry.id)
        if feed.include and not feed.include.search(_text(entry)):
            continue
        if feed.exclude and feed.exclude.search(_text(entry)):
            continue
        kept.append(entry)
        if feed.limit and len(kept) >= feed.limit:
            break
    return kept


def process(feed: Feed, fetched: Fetched, tz_name: str) -> ParsedFeed:
    """parse -> select -> clean for one fetched body. Raises ParseError.

    Dates that name no zone are read in the feed's ``timezone``, else in ``tz_name``.
    """
    parsed = parse(
        fetched.body, url=fetched.url, content_type=fetched.content_type,
        default_tz=ZoneInfo(feed.timezone or tz_name),
    )
    entries = select_entries(feed, parsed.entries)
    if feed.clean:
        entries = [clean_entry(e) for e in entries]
    return replace(parsed, entries=tuple(entries))


class Workers:
    """Worker processes for CPU work (parse, clean, render), started only when it pays.

    A pool that breaks (a worker killed, a platform without forkserver) is not fatal:
    callers then do the work in this process.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self.broken = (os.cpu_count() or 1) < 2

    def for_jobs(self, count: int) -> Executor | None:
        if self.broken or count < POOL_THRESHOLD:
            return None
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["newsstand.pipeline"])
            self._pool = ProcessPoolExecutor(max_workers=min(os.cpu_count() or 2, 4),
                                             mp_context=context, initializer=watch_parent,
                                             initargs=(os.getpid(),))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- fetch ------------------------------------------------------------------------------


async def _fetch_feeds(
    config: Config, store: Store, feeds: Sequence[Feed], progress: Progress | None,
    backoff: float, workers: Workers, on_stored: Callable[[Sequence[str]], None] | None,
    moved: dict[str, str], stop: threading.Event | None, clock: Clock,
) -> list[FeedReport]:
    loop = asyncio.get_running_loop()
    tz_name = config.site.timezone
    reports: list[FeedReport] = []
    pool = workers.for_jobs(len(feeds))

    async def processed(feed: Feed, fetched: Fetched) -> ParsedFeed:
        if pool is not None and not workers.broken:
            try:
                return await loop.run_in_executor(pool, process, feed, fetched, tz_name)
            except BrokenProcessPool:
                workers.broken = True
        return process(feed, fetched, tz_name)

    pending: list[tuple[Outcome, tuple[str, ...]]] = []  # with the parse warnings
    # instances that failed run after run are tried last for a while
    instances = instance_order(config.rsshub.instances, store.demoted_instances())
    tried: list[tuple[str, bool]] = []  # every attempt: (URL, answered)

    def flush() -> None:
        """Store what is pending in one transaction (a commit per feed costs more than
        storing a 304), then report it."""
        stored = store.record([outcome for outcome, _ in pending], now=clock(),
                              rest=functools.partial(schedule.rest, config.health))
        for (outcome, warnings), result in zip(pending, stored, strict=True):
            target = outcome.fetched.moved_to or moved.get(outcome.feed.key)
            if target and outcome.feed.url:
                warnings = (f"moved permanently to {target}: fetched from there now;"
                            f" update its url in {config.path.name}", *warnings)
            if on_stored and result.uids:
                on_stored(result.uids)
            report = FeedReport(
                feed_key=outcome.feed.key, url=outcome.fetched.url, ok=outcome.error is None,
                status=outcome.fetched.status, error=outcome.error, new=result.new,
                updated=result.updated, warnings=warnings,
            )
            reports.append(report)
            _log_report(report, outcome.fetched)
            if progress:
                progress("fetch", len(reports), len(feeds), _report_line(report))
        pending.clear()

    async def one(feed: Feed, fetcher: Fetcher) -> None:
        if stop is not None and stop.is_set():
            return
        etag, last_modified = store.validators(feed.key)
        request = (Request(feed.key, (moved[feed.key],), etag, last_modified)
                   if feed.key in moved
                   else feed_request(feed, config.rsshub, instances, etag, last_modified))
        fetched = await fetcher.fetch(request)
        tried.extend(fetched.tried)
        parsed: ParsedFeed | None = None
        error = fetched.error
        if fetched.ok and not fetched.not_modified:
            try:
                parsed = await processed(feed, fetched)
            except ParseError as exc:
                error = str(exc)
        outcome = Outcome(feed, fetched, parsed.entries if parsed else None, error,
                          parsed.title if parsed else None,
                          parsed.ttl_minutes if parsed else None)
        pending.append((outcome, parsed.warnings if parsed else ()))
        if len(pending) >= FLUSH_FEEDS or sum(len(o.entries or ()) for o, _ in pending) >= (
                FLUSH_ENTRIES):
            flush()

    async def watch(task: asyncio.Future) -> None:
        """Cancel the fetches still running once a stop is asked for: what has been
        fetched is stored below, what is in flight is dropped (the next run redoes it)."""
        while not task.done():
            if stop is not None and stop.is_set():
                task.cancel()
                return
            await asyncio.sleep(0.05)

    async with Fetcher(config.fetch, backoff=backoff) as fetcher:
        everything = asyncio.gather(*(one(feed, fetcher) for feed in feeds))
        watcher = asyncio.create_task(watch(everything))
        with contextlib.suppress(asyncio.CancelledError):
            await everything
        watcher.cancel()
    flush()
    store.record_instances(instance_answers(config.rsshub.instances, tried))
    order = {feed.key: i for i, feed in enumerate(feeds)}
    return sorted(reports, key=lambda r: order[r.feed_key])


def _log_report(report: FeedReport, fetched: Fetched) -> None:
    if not report.ok:
        log.warning("feed %s failed after %d attempt(s) in %.1f s: %s", report.feed_key,
                    fetched.attempts, fetched.elapsed, report.error)
    for warning in report.warnings:
        log.warning("feed %s: %s", report.feed_key, warning)
    log.debug("feed %s: HTTP %s from %s, %d bytes, %d new, %d updated", report.feed_key,
              report.status, report.url, len(fetched.body), report.new, report.updated)


def _report_line(report: FeedReport) -> str:
    if not report.ok:
        return f"FAIL {report.feed_key}: {report.error}"
    if report.status == 304:
        return f"ok   {report.feed_key}: not modified"
    return f"ok   {report.feed_key}: {report.new} new, {report.updated} updated"


@dataclass
class Fetch:
    """What ``fetch`` did."""

    reports: list[FeedReport]  # one per feed fetched or skipped (gone, resting), config order
    waiting: list[tuple[str, datetime]]  # feeds not due yet, and from when they are
    removed: int  # entries retention removed


def fetch(
    config: Config, store: Store, *, feeds: Iterable[Feed] | None = None,
    progress: Progress | None = None, backoff: float = 1.0, workers: Workers | None = None,
    on_stored: Callable[[Sequence[str]], None] | None = None,
    stop: threading.Event | None = None, everything: bool = False, clock: Clock = utcnow,
) -> Fetch:
    """Fetch, parse, clean and store the enabled feeds that are due (``schedule.plan``; all
    of them with ``everything``); apply retention.

    The store must know the feeds (``store.sync_feeds``), as ``run`` sees to.
    ``on_stored`` hears the uids of each feed's new and changed entries as they land.
    Once ``stop`` is set, no further feed is fetched, those fetched are stored, and
    Interrupted is raised.
    """
    chosen = [f for f in (config.feeds if feeds is None else feeds) if f.enabled]
    states = store.states()
    plan = schedule.plan(chosen, states, config.fetch, clock(), everything=everything)
    moved = {f.key: states[f.key].moved_to for f in plan.due
             if f.url and f.key in states and states[f.key].moved_to}
    with _own(workers) as pool:
        reports = asyncio.run(_fetch_feeds(config, store, plan.due, progress, backoff, pool,
                                           on_stored, moved, stop, clock))
    _check(stop)
    for report in plan.skipped:
        log.warning("feed %s skipped: %s", report.feed_key, report.error)
    order = {feed.key: i for i, feed in enumerate(chosen)}
    reports = sorted([*reports, *plan.skipped], key=lambda r: order[r.feed_key])
    waiting = [(feed.key, when) for feed, when in plan.waiting]
    if waiting:
        log.info("%d feed(s) not due yet; the next at %s", len(waiting),
                 min(when for _, when in waiting).isoformat(timespec="seconds"))
    return Fetch(reports, waiting, store.apply_retention(config.feeds))


def wake(config: Config, store: Store, now: datetime) -> datetime | None:
    """When the next enabled feed falls due (None: none ever will)."""
    return schedule.plan(config.enabled_feeds, store.states(), config.fetch, now).wake(now)


class Interrupted(Exception):
    """The run stopped early on request (a signal); what was written is complete."""


def _check(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise Interrupted("stopped on request; the writes in progress were finished")


# -- publish ----------------------------------------------------------------------------


def _hexo_publisher(config: Config) -> HexoPublisher:
    return HexoPublisher(config.hexo.dir, tz=config.site.tz, date_style=config.hexo.date_format)


def _fresh(store: Store, publisher: HexoPublisher, previous: dict) -> bool:
    """Whether the posts on record were written with the publisher's current settings."""
    return not previous or store.get_meta(f"{HEXO}.fingerprint") == publisher.fingerprint


class EarlyPublish:
    """Writes the posts of entries as soon as they are stored, from a thread.

    Creating thousands of small files is I/O-bound on most disks; doing it while the
    network and the parse workers are busy hides most of that time. The full publish
    pass that follows finds these posts up to date and handles everything else
    (removals, retention, settings changes). Any failure here only leaves more work
    for that pass.
    """

    BATCH = 512

    def __init__(self, config: Config, stop: threading.Event | None = None) -> None:
        self.config = config
        self._stop = stop
        self.publisher = _hexo_publisher(config)
        self._queue: queue.SimpleQueue[Sequence[str] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="early-publish", daemon=True)
        self.result = PublishResult()  # what it wrote, counted into the run's summary
        self._ended = False

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def submit(self, uids: Sequence[str]) -> None:
        self._queue.put(uids)

    def _batches(self) -> Iterator[list[str]]:
        """Submitted uids, several submissions at a time, until the end is signalled."""
        batch: list[str] = []
        while True:
            uids = self._queue.get()
            if uids is None:
                break
            batch += uids
            if len(batch) >= self.BATCH or self._queue.empty():
                yield batch
                batch = []
        self._ended = True
        if batch:
            yield batch

    def _run(self) -> None:
        try:
            with open_store(self.config.store.url, lock=False) as store:
                previous = store.outputs(HEXO)
                if _fresh(store, self.publisher, previous):  # else all is for the full pass
                    store.set_meta(f"{HEXO}.fingerprint", self.publisher.fingerprint)
                    for batch in self._batches():
                        result = self.publisher.publish(store.items(batch), previous, (),
                                                        should_stop=self._stopping)
                        store.save_outputs(HEXO, result.outputs, ())
                        previous.update((out.uid, out) for out in result.outputs)
                        # saved already; an error is the full pass's to meet and report
                        self.result.add(replace(result, outputs=[], errors=[]))
                        if result.errors or self._stopping():
                            break
        except Exception:  # the full pass redoes whatever was not done
            log.warning("early publishing stopped; the publish pass will do it", exc_info=True)
        while not self._ended and self._queue.get() is not None:  # drain to the end
            pass

    def __enter__(self) -> EarlyPublish:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)
        self._thread.join()


def publish(
    config: Config, store: Store, *, progress: Progress | None = None,
    workers: Workers | None = None, stop: threading.Event | None = None,
) -> PublishResult:
    """Bring the Hexo posts in step with the store (every stored item, not only new ones).

    Once ``stop`` is set, the post being written is finished, what was written is
    recorded, and Interrupted is raised.
    """
    if not config.hexo.enabled:
        return PublishResult()
    publisher = _hexo_publisher(config)
    previous = store.outputs(HEXO)
    fresh = _fresh(store, publisher, previous)
    revisions = store.revisions(feed.key for feed in config.feeds)
    stale = publisher.stale(revisions, previous, fresh)
    gone = [uid for uid in previous if uid not in revisions]
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress and (done % 100 == 0 or done == len(stale)):
            progress("publish", done, len(stale), "")

    stopping = stop.is_set if stop is not None else None
    with _own(workers) as pool:
        try:
            result = publisher.publish(store.items(stale), previous, gone, tick,
                                       executor=pool.for_jobs(len(stale) // RENDER_PER_JOB),
                                       should_stop=stopping)
        except BrokenProcessPool:  # render here instead; writes are idempotent
            pool.broken, done = True, 0
            result = publisher.publish(store.items(stale), previous, gone, tick,
                                       should_stop=stopping)
    store.save_outputs(HEXO, result.outputs, result.forgotten)
    _check(stop)
    if not result.errors:
        store.set_meta(f"{HEXO}.fingerprint", publisher.fingerprint)
        store.set_meta(f"{HEXO}.unfinished", "")
    return result


def build(config: Config, *, progress: Progress | None = None,
          force: bool = False) -> tuple[SiteResult | None, str | None]:
    """Build the static site; a failure is returned as one line, never raised."""
    def report(stage: str, done: int, total: int) -> None:
        if progress:
            progress(f"site:{stage}", done, total, "")

    try:
        return build_site(config, progress=report, force=force), None
    except (OSError, SiteError) as exc:
        log.error("site build failed: %s", exc)
        return None, f"site build failed: {exc}"


# -- run --------------------------------------------------------------------------------


def run(
    config: Config, *, do_fetch: bool = True, do_publish: bool = True,
    progress: Progress | None = None, backoff: float = 1.0,
    stop: threading.Event | None = None, everything: bool = False,
    publish_unchanged: bool = True, clock: Clock = utcnow,
) -> RunSummary:
    """The whole job, as ``newsstand run`` does it: the feeds that are due (every feed with
    ``everything``), then the posts and the site (skipped when nothing changed, unless
    ``publish_unchanged``).

    ``stop`` (set from a signal handler) ends the run at the next safe point: the write
    in progress is finished and recorded, then Interrupted is raised.
    """
    started = time.monotonic()
    summary = RunSummary()
    with open_store(config.store.url) as store, Workers() as workers:
        store.sync_feeds(config.feeds)  # the config says where every feed belongs
        if do_publish and config.hexo.enabled:
            # A run killed while publishing may have left a temporary file behind.
            if store.get_meta(f"{HEXO}.unfinished") and config.hexo.dir.is_dir():
                removed = remove_temporary_files(config.hexo.dir)
                if removed:
                    log.warning("removed %d temporary files an interrupted run left in %s",
                                removed, config.hexo.dir)
            store.set_meta(f"{HEXO}.unfinished", "1")
        early = (EarlyPublish(config, stop)
                 if do_fetch and do_publish and config.hexo.enabled else None)
        if do_fetch:
            with early or contextlib.nullcontext():
                fetched = fetch(
                    config, store, progress=progress, backoff=backoff, workers=workers,
                    on_stored=early.submit if early else None, stop=stop,
                    everything=everything, clock=clock,
                )
            summary.feeds, summary.waiting = fetched.reports, fetched.waiting
            summary.retention_removed = fetched.removed
            summary.wake = wake(config, store, clock())
            summary.phases["fetch"] = time.monotonic() - started
            if do_publish and not (publish_unchanged or summary.changed):
                do_publish = False  # nothing new: the posts and the site are as they were
                store.set_meta(f"{HEXO}.unfinished", "")
        if do_publish:
            summary.published = publish(config, store, progress=progress, workers=workers,
                                        stop=stop)
            if early is not None:
                summary.published.add(early.result)
            summary.phases["publish"] = time.monotonic() - started - summary.phases.get(
                "fetch", 0.0)
        if do_publish and config.site_output.enabled:  # still holding the store's lock
            _check(stop)
            site_started = time.monotonic()
            summary.site, summary.site_error = build(config, progress=progress)
            summary.phases["site"] = time.monotonic() - site_started
    summary.elapsed = time.monotonic() - started
    data = summary.to_json()
    log.info("run done in %.1f s: feeds %s, entries %s, posts %s", summary.elapsed,
             {k: v for k, v in data["feeds"].items() if k not in ("failures", "waiting")},
             data["entries"],
             {k: v for k, v in data["posts"].items() if isinstance(v, int)})
    for problem in summary.published.problems if summary.published else ():
        log.warning("%s", problem)
    for error in summary.published.errors if summary.published else ():
        log.error("%s", error)
    return summary
