"""When each feed is fetched: its interval, the hints that raise it, the rest after failures.

Pure functions over the config and what the store knows of each feed (``FeedState``); the
pipeline asks ``plan`` which feeds to fetch now, and the store keeps only facts (when the
feed last answered, the hints it gave), so a changed interval in the config counts at once.

- A feed is fetched every ``interval`` (its own, else ``[fetch] interval``).
- The feed's own hints raise that, up to ``[fetch] max_interval``: RSS ``<ttl>`` and
  ``sy:updatePeriod``/``sy:updateFrequency`` (``ParsedFeed.ttl_minutes``), and the response's
  ``Cache-Control: max-age``. Nothing lowers it below ``[fetch] min_interval``.
- Jitter adds up to ``[fetch] jitter`` of the interval, fixed per fetch (a hash of the feed
  and its fetch time) so feeds fetched together fall due apart.
- A run fetches the feeds due now or within the next tenth of their interval (``EARLY``), so
  a cron job or CI schedule that runs every ``interval`` is not one run late each time.
- A failing feed rests (``rest``: doubling from ``[health] backoff``), or as long as the
  server's Retry-After asked; a gone feed (410) is not fetched again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .config import FetchConfig, HealthConfig
from .model import Feed, FeedReport, FeedState

EARLY = 0.1  # share of its interval by which a feed may be fetched ahead of time


def interval(feed: Feed, fetch: FetchConfig, state: FeedState | None) -> timedelta:
    """How long after its last answer the feed is fetched again (before jitter)."""
    seconds = fetch.interval if feed.interval is None else feed.interval
    if state is not None:
        hint = max((state.ttl_minutes or 0) * 60, state.max_age or 0)
        seconds = max(seconds, min(hint, fetch.max_interval))
    return timedelta(seconds=max(seconds, fetch.min_interval))


def _jitter(feed: Feed, when: datetime, share: float) -> float:
    digest = hashlib.sha1(f"{feed.key}\0{when.isoformat()}".encode()).digest()
    return 1 + share * int.from_bytes(digest[:4]) / 2**32


def next_fetch(feed: Feed, fetch: FetchConfig, state: FeedState | None) -> datetime | None:
    """When the feed is due by its schedule (None: now — it has never answered)."""
    if state is None or state.last_success is None:
        return None
    return state.last_success + interval(feed, fetch, state) * _jitter(
        feed, state.last_success, fetch.jitter
    )


def due_at(
    feed: Feed, fetch: FetchConfig, state: FeedState | None, now: datetime
) -> datetime | None:
    """When a worker (``newsstand worker``) fetches the feed next; None: never (it is gone).

    What ``plan`` decides, as a time: a feed never fetched, or whose rest after failures is
    over, is due ``now``; a resting one when its rest ends; any other at ``next_fetch``. A
    worker runs all the time, so there is no ``EARLY`` margin (that is for runs started by
    a clock that may come a little early)."""
    if state is None:
        return now
    if state.gone_since is not None:
        return None
    if state.failures:
        return state.next_due if state.next_due is not None and state.next_due > now else now
    return next_fetch(feed, fetch, state) or now


def rest(health: HealthConfig, failures: int) -> timedelta:
    """How long a feed that failed ``failures`` times in a row rests before the next try:
    doubling from ``backoff`` minutes, at most ``max_backoff``."""
    minutes = health.backoff * 2 ** min(failures - 1, 30)
    return timedelta(minutes=min(minutes, health.max_backoff))


@dataclass
class Plan:
    """Which feeds a run fetches, and why the others wait."""

    due: list[Feed] = field(default_factory=list)
    skipped: list[FeedReport] = field(default_factory=list)  # gone, or resting after failures
    waiting: list[tuple[Feed, datetime]] = field(default_factory=list)  # not due yet: from when

    def wake(self, now: datetime) -> datetime | None:
        """When the next of these feeds falls due (``now`` if one is due already; None if
        none ever will: every feed gone)."""
        if self.due:
            return now
        times = [when for _, when in self.waiting]
        times += [datetime.fromisoformat(r.next_due) for r in self.skipped if r.next_due]
        return min(times, default=None)


def plan(
    feeds: Sequence[Feed],
    states: dict[str, FeedState],
    fetch: FetchConfig,
    now: datetime,
    *,
    everything: bool = False,
) -> Plan:
    """Sort ``feeds`` into due, skipped and waiting at ``now``; ``everything`` makes every
    feed due (a forced run: gone and resting feeds are tried again too)."""
    result = Plan()
    for feed in feeds:
        state = states.get(feed.key)
        if everything or state is None:
            result.due.append(feed)
        elif state.gone_since is not None:
            result.skipped.append(
                FeedReport(
                    feed.key,
                    None,
                    ok=False,
                    skipped=True,
                    status=410,
                    error=f"gone (HTTP 410 since {state.gone_since:%Y-%m-%d %H:%M} UTC): not"
                    " fetched any more; remove it from the config, or `run --all` to try"
                    " it again",
                )
            )
        elif state.failures and state.next_due is not None and state.next_due > now:
            result.skipped.append(
                FeedReport(
                    feed.key,
                    None,
                    ok=False,
                    skipped=True,
                    next_due=state.next_due.isoformat(),
                    error=f"resting after {state.failures} failure(s) in a row until"
                    f" {state.next_due:%Y-%m-%d %H:%M} UTC (last: {state.last_error})",
                )
            )
        elif state.failures:
            result.due.append(feed)  # its rest is over: try again
        else:
            when = next_fetch(feed, fetch, state)
            if when is not None:
                when -= interval(feed, fetch, state) * EARLY
            if when is None or when <= now:
                result.due.append(feed)
            else:
                result.waiting.append((feed, when))
    return result
