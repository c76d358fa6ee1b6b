"""Long-running mode: ``run`` in cycles, fetching the feeds that are due each time.

Each cycle re-reads the config (a broken edit keeps the previous one and says so), runs the
job over the due feeds, publishes only when something changed (or the config did), and
then sleeps until the next feed falls due — or ``every`` seconds after the cycle began. A
failing cycle is reported and the next one comes as planned; a stop request (a signal)
ends the sleep at once, or the cycle in progress at its next safe point.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .config import Config, ConfigError
from .control import Clock, Interrupted, utcnow
from .pipeline import run
from .report import RunSummary
from .store import StoreBusy

log = logging.getLogger(__name__)

MIN_PAUSE = timedelta(seconds=10)  # never loop faster than this without ``every``
MAX_PAUSE = timedelta(minutes=10)  # look at the config again at least this often


@dataclass
class Cycle:
    """One pass of the loop, as reported."""

    number: int
    started: datetime
    summary: RunSummary | None  # None: the cycle failed before the job ran to its end
    error: str | None  # why the cycle failed, or a config edit that was not taken
    next_at: datetime | None = None  # when the next cycle starts (None: this was the last)


def watch(
    load: Callable[[], Config],
    *,
    stop: threading.Event,
    on_cycle: Callable[[Cycle], None],
    every: float | None = None,
    cycles: int | None = None,
    clock: Clock = utcnow,
    after: Callable[[Config, RunSummary], None] | None = None,
) -> int:
    """Run cycles until ``stop`` is set (or ``cycles`` have run); return how many ran.

    ``after`` runs after a cycle that published something (e.g. a deploy); what it raises
    fails that cycle only. Interrupted propagates when a stop came in the middle of a cycle.
    A config that cannot be read before the first cycle raises ConfigError.
    """
    config: Config | None = None
    number = 0
    while not stop.is_set() and (cycles is None or number < cycles):
        number += 1
        started = clock()
        error = summary = None
        previous = config
        try:
            config = load()
        except ConfigError as exc:
            if config is None:
                raise
            error = f"{exc} (going on with the config as it was)"
        assert config is not None
        try:
            summary = run(
                config, stop=stop, clock=clock, publish_unchanged=config != previous or number == 1
            )
            if after is not None and summary.published is not None and summary.complete:
                after(config, summary)
        except Interrupted:
            raise
        except StoreBusy as exc:
            error = f"skipped: {exc}"
        except Exception as exc:  # a cycle may fail; the loop goes on
            log.warning("cycle %d failed", number, exc_info=True)  # the cycle line says so
            error = f"failed: {exc}"
        last = stop.is_set() or (cycles is not None and number >= cycles)
        cycle = Cycle(
            number,
            started,
            summary,
            error,
            None if last else _next_start(started, clock(), summary, every),
        )
        on_cycle(cycle)
        if cycle.next_at is not None:
            stop.wait(max(0.0, (cycle.next_at - clock()).total_seconds()))
    return number


def _next_start(
    started: datetime, now: datetime, summary: RunSummary | None, every: float | None
) -> datetime:
    if every is not None:
        return max(now, started + timedelta(seconds=every))
    wake = summary.wake if summary is not None and summary.wake is not None else None
    return min(max(wake or now + MAX_PAUSE, now + MIN_PAUSE), now + MAX_PAUSE)
