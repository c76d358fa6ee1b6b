"""What a run hands its stages besides data: progress, the clock, and the stop request.

A stage reports progress through ``Progress``, reads the time through ``Clock`` (tests
pass their own), and checks ``stop`` (a ``threading.Event`` set from a signal handler)
at its safe points, raising ``Interrupted`` once the write in progress is finished.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

Progress = Callable[[str, int, int, str], None]  # (phase, done, total or 0, line)
Clock = Callable[[], datetime]  # the time now, aware UTC


def utcnow() -> datetime:
    return datetime.now(UTC)


class Interrupted(Exception):
    """The run stopped early on request (a signal); what was written is complete."""


def stopping(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def check(stop: threading.Event | None) -> None:
    """Raise Interrupted once a stop has been asked for."""
    if stopping(stop):
        raise Interrupted("stopped on request; the writes in progress were finished")
