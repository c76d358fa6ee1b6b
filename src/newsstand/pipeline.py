"""run = sources -> fetch -> parse -> clean -> store -> publish.

This module only wires the stages. Fetching is asynchronous; parsing and cleaning are
CPU work and run in worker processes (both cores) while the next responses arrive; the
store is written from the event loop's thread, one feed per transaction.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from .clean import clean_entry
from .config import Config
from .fetch import Fetcher, Request, feed_urls
from .model import Entry, Feed, FeedReport, Fetched, ParsedFeed
from .parse import ParseError, parse
from .publish.hexo import TARGET as HEXO
from .publish.hexo import HexoPublisher, PublishResult
from .store import Store, open_store

Progress = Callable[[str, int, int, str], None]  # (phase, done, total, line)

POOL_THRESHOLD = 8  # fewer feeds than this are parsed in-process: a pool costs more


@dataclass
class RunSummary:
    """What a run did: the CLI prints it, ``--json`` emits it."""

    feeds: list[FeedReport] = field(default_factory=list)
    published: PublishResult | None = None
    retention_removed: int = 0
    elapsed: float = 0.0

    @property
    def failed(self) -> list[FeedReport]:
        return [r for r in self.feeds if not r.ok]

    @property
    def complete(self) -> bool:
        return not (self.published and self.published.errors)

    def to_json(self) -> dict[str, object]:
        published = self.published or PublishResult()
        return {
            "feeds": {
                "total": len(self.feeds),
                "ok": len(self.feeds) - len(self.failed),
                "failed": len(self.failed),
                "failures": [
                    {"feed": r.feed_key, "url": r.url, "status": r.status, "reason": r.error}
                    for r in self.failed
                ],
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
            "warnings": [
                {"feed": r.feed_key, "warning": w} for r in self.feeds for w in r.warnings
            ],
            "elapsed_seconds": round(self.elapsed, 3),
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
    """parse -> select -> clean for one fetched body. Raises ParseError."""
    parsed = parse(
        fetched.body, url=fetched.url, content_type=fetched.content_type,
        default_tz=ZoneInfo(tz_name),
    )
    entries = select_entries(feed, parsed.entries)
    if feed.clean:
        entries = [clean_entry(e) for e in entries]
    return replace(parsed, entries=tuple(entries))


def _pool(size: int) -> Executor | None:
    if size < POOL_THRESHOLD or (os.cpu_count() or 1) < 2:
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["newsstand.pipeline"])
    return ProcessPoolExecutor(max_workers=min(os.cpu_count() or 2, 4), mp_context=context)


# -- fetch ------------------------------------------------------------------------------


async def _fetch_feeds(
    config: Config, store: Store, feeds: Sequence[Feed], progress: Progress | None,
    backoff: float,
) -> list[FeedReport]:
    loop = asyncio.get_running_loop()
    tz_name = config.site.timezone
    reports: list[FeedReport] = []
    pool = _pool(len(feeds))

    async def one(feed: Feed, fetcher: Fetcher) -> None:
        etag, last_modified = store.validators(feed.key)
        fetched = await fetcher.fetch(
            Request(feed.key, feed_urls(feed, config.rsshub), etag, last_modified)
        )
        parsed: ParsedFeed | None = None
        error = fetched.error
        if fetched.ok and not fetched.not_modified:
            try:
                if pool is None:
                    parsed = process(feed, fetched, tz_name)
                else:
                    parsed = await loop.run_in_executor(pool, process, feed, fetched, tz_name)
            except ParseError as exc:
                error = str(exc)
        stored = store.record_fetch(
            feed, fetched, parsed.entries if parsed else None, error=error,
            title=parsed.title if parsed else None,
        )
        report = FeedReport(
            feed_key=feed.key, url=fetched.url, ok=error is None, status=fetched.status,
            error=error, new=stored.new, updated=stored.updated,
            warnings=parsed.warnings if parsed else (),
        )
        reports.append(report)
        if progress:
            progress("fetch", len(reports), len(feeds), _report_line(report))

    try:
        async with Fetcher(config.fetch, backoff=backoff) as fetcher:
            await asyncio.gather(*(one(feed, fetcher) for feed in feeds))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    order = {feed.key: i for i, feed in enumerate(feeds)}
    return sorted(reports, key=lambda r: order[r.feed_key])


def _report_line(report: FeedReport) -> str:
    if not report.ok:
        return f"FAIL {report.feed_key}: {report.error}"
    if report.status == 304:
        return f"ok   {report.feed_key}: not modified"
    return f"ok   {report.feed_key}: {report.new} new, {report.updated} updated"


def fetch(
    config: Config, store: Store, *, feeds: Iterable[Feed] | None = None,
    progress: Progress | None = None, backoff: float = 1.0,
) -> tuple[list[FeedReport], int]:
    """Fetch, parse, clean and store every enabled feed; apply retention.

    Returns the per-feed reports and the number of entries retention removed.
    """
    chosen = [f for f in (config.feeds if feeds is None else feeds) if f.enabled]
    store.sync_feeds(config.feeds)
    reports = asyncio.run(_fetch_feeds(config, store, chosen, progress, backoff))
    removed = store.apply_retention(config.feeds)
    return reports, removed


# -- publish ----------------------------------------------------------------------------


def publish(config: Config, store: Store, *, progress: Progress | None = None) -> PublishResult:
    """Bring the Hexo posts in step with the store (every stored item, not only new ones)."""
    if not config.hexo.enabled:
        return PublishResult()
    store.sync_feeds(config.feeds)
    publisher = HexoPublisher(
        config.hexo.dir, tz=config.site.tz, date_style=config.hexo.date_format
    )
    previous = store.outputs(HEXO)
    fresh = store.get_meta(f"{HEXO}.fingerprint") == publisher.fingerprint
    revisions = store.revisions(feed.key for feed in config.feeds)
    stale = publisher.stale(revisions, previous, fresh)
    gone = [uid for uid in previous if uid not in revisions]
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress and (done % 100 == 0 or done == len(stale)):
            progress("publish", done, len(stale), "")

    result = publisher.publish(store.items(stale) if stale else (), previous, gone, tick)
    store.save_outputs(HEXO, result.outputs, result.forgotten)
    if not result.errors:
        store.set_meta(f"{HEXO}.fingerprint", publisher.fingerprint)
    return result


# -- run --------------------------------------------------------------------------------


def run(
    config: Config, *, do_fetch: bool = True, do_publish: bool = True,
    progress: Progress | None = None, backoff: float = 1.0,
) -> RunSummary:
    """The whole job, as ``newsstand run`` does it."""
    started = time.monotonic()
    summary = RunSummary()
    with open_store(config.store.url) as store:
        if do_fetch:
            summary.feeds, summary.retention_removed = fetch(
                config, store, progress=progress, backoff=backoff
            )
        if do_publish:
            summary.published = publish(config, store, progress=progress)
    summary.elapsed = time.monotonic() - started
    return summary
