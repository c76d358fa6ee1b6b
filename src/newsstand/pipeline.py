"""run = sources -> fetch -> parse -> clean -> store -> publish: the stages in order.

This module only sequences them. The fetch pass (``gather``) fetches the due feeds
concurrently, parses and cleans them in the run's worker processes and stores them a few
feeds per transaction; the posts of new entries are written by a thread as soon as they
are stored (``publish.posts.EarlyPublish``); the publish pass at the end brings every
post in step with the store, and the site is built last, all while the run holds the
store's lock.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from . import fulltext, schedule, stories
from .config import Config
from .control import Clock, Interrupted, Progress, check, utcnow
from .gather import Gathering
from .model import Feed, FeedReport
from .publish import images, posts
from .publish.hexo import PublishResult
from .publish.site import SiteError, SiteResult, build_site
from .report import RunSummary
from .store import Store, open_store
from .workers import Workers

__all__ = ["Fetch", "Interrupted", "RunSummary", "build", "fetch", "publish", "run", "wake"]

log = logging.getLogger(__name__)


def _own(workers: Workers | None) -> contextlib.AbstractContextManager[Workers]:
    """The caller's workers, or a pool of our own closed when we are done."""
    return contextlib.nullcontext(workers) if workers is not None else Workers()


@dataclass
class Fetch:
    """What ``fetch`` did."""

    reports: list[FeedReport]  # one per feed fetched or skipped (gone, resting), config order
    waiting: list[tuple[str, datetime]]  # feeds not due yet, and from when they are
    removed: int  # entries retention removed


def fetch(
    config: Config,
    store: Store,
    *,
    feeds: Iterable[Feed] | None = None,
    progress: Progress | None = None,
    backoff: float = 1.0,
    workers: Workers | None = None,
    on_stored: Callable[[Sequence[str]], None] | None = None,
    stop: threading.Event | None = None,
    everything: bool = False,
    clock: Clock = utcnow,
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
    moved = {
        f.key: states[f.key].moved_to or ""
        for f in plan.due
        if f.url and f.key in states and states[f.key].moved_to
    }
    with _own(workers) as pool:
        reports = Gathering(
            config,
            store,
            pool,
            moved=moved,
            clock=clock,
            backoff=backoff,
            progress=progress,
            on_stored=on_stored,
            stop=stop,
        ).run(plan.due)
    check(stop)
    for skipped in plan.skipped:
        log.warning("feed %s skipped: %s", skipped.feed_key, skipped.error)
    order = {feed.key: i for i, feed in enumerate(chosen)}
    reports = sorted([*reports, *plan.skipped], key=lambda r: order[r.feed_key])
    waiting = [(feed.key, when) for feed, when in plan.waiting]
    if waiting:
        log.info(
            "%d feed(s) not due yet; the next at %s",
            len(waiting),
            min(when for _, when in waiting).isoformat(timespec="seconds"),
        )
    return Fetch(reports, waiting, store.apply_retention(config.feeds))


def wake(config: Config, store: Store, now: datetime) -> datetime | None:
    """When the next enabled feed falls due (None: none ever will)."""
    return schedule.plan(config.enabled_feeds, store.states(), config.fetch, now).wake(now)


def publish(
    config: Config,
    store: Store,
    *,
    progress: Progress | None = None,
    workers: Workers | None = None,
    stop: threading.Event | None = None,
) -> PublishResult:
    """Bring the Hexo posts in step with the store (``publish.posts.publish``)."""
    if not config.hexo.enabled:
        return PublishResult()
    with _own(workers) as pool:
        return posts.publish(config, store, pool, progress=progress, stop=stop)


def build(
    config: Config,
    *,
    progress: Progress | None = None,
    force: bool = False,
    workers: Workers | None = None,
) -> tuple[SiteResult | None, str | None]:
    """Build the static site; a failure is returned as one line, never raised."""
    try:
        with _own(workers) as pool:
            return build_site(config, progress=progress, force=force, workers=pool), None
    except (OSError, SiteError) as exc:
        log.warning("site build failed: %s", exc)  # returned: the caller reports it
        return None, f"site build failed: {exc}"


def run(
    config: Config,
    *,
    do_fetch: bool = True,
    do_publish: bool = True,
    progress: Progress | None = None,
    backoff: float = 1.0,
    stop: threading.Event | None = None,
    everything: bool = False,
    publish_unchanged: bool = True,
    clock: Clock = utcnow,
) -> RunSummary:
    """The whole job, as ``newsstand run`` does it: the feeds that are due (every feed with
    ``everything``), then the posts and the site (skipped when nothing changed, unless
    ``publish_unchanged``).

    ``stop`` (set from a signal handler) ends the run at the next safe point: the write
    in progress is finished and recorded, then Interrupted is raised.
    """
    started = time.monotonic()
    summary = RunSummary()
    hexo = do_publish and config.hexo.enabled
    with open_store(config.store.url) as store, Workers() as workers:
        store.sync_feeds(config.feeds)  # the config says where every feed belongs
        ledger = posts.Ledger(store, posts.publisher(config))
        if hexo:
            ledger.begin()
        # with only the first entry of each story written, a post waits for the grouping
        # and with full text, for the article
        early_ok = (
            hexo and do_fetch and config.hexo.stories == "all" and not fulltext.enabled(config)
        )
        early = posts.EarlyPublish(config, stop) if early_ok else None
        if do_fetch:
            with early or contextlib.nullcontext():
                fetched = fetch(
                    config,
                    store,
                    progress=progress,
                    backoff=backoff,
                    workers=workers,
                    on_stored=early.submit if early else None,
                    stop=stop,
                    everything=everything,
                    clock=clock,
                )
            summary.feeds, summary.waiting = fetched.reports, fetched.waiting
            summary.retention_removed = fetched.removed
            summary.wake = wake(config, store, clock())
            summary.phases["fetch"] = time.monotonic() - started
            if fulltext.enabled(config):
                check(stop)
                pages = time.monotonic()
                summary.articles = fulltext.run(config, store, workers)
                summary.add_warnings(summary.articles.warnings)
                summary.phases["fulltext"] = time.monotonic() - pages
            if config.stories.enabled:
                check(stop)
                grouping = time.monotonic()
                summary.stories = stories.update(store, config.stories, config.feeds, clock())
                summary.phases["stories"] = time.monotonic() - grouping
            if do_publish and not (publish_unchanged or summary.changed):
                do_publish = False  # nothing new: the posts and the site are as they were
                if hexo:
                    ledger.end(complete=False)
        if do_publish and images.wanted(config):
            check(stop)
            fetching = time.monotonic()
            summary.images = images.run(config, store, workers, stop)
            summary.add_warnings(summary.images.warnings)
            summary.phases["images"] = time.monotonic() - fetching
        if do_publish:
            summary.published = publish(
                config, store, progress=progress, workers=workers, stop=stop
            )
            if early is not None:
                summary.published.add(early.result)
            summary.phases["publish"] = (
                time.monotonic()
                - started
                - summary.phases.get("fetch", 0.0)
                - summary.phases.get("stories", 0.0)
                - summary.phases.get("fulltext", 0.0)
                - summary.phases.get("images", 0.0)
            )
        if do_publish and config.site_output.enabled:  # still holding the store's lock
            check(stop)
            site_started = time.monotonic()
            summary.site, summary.site_error = build(config, progress=progress, workers=workers)
            summary.phases["site"] = time.monotonic() - site_started
    summary.elapsed = time.monotonic() - started
    summary.log()
    return summary
