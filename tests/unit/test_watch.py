"""`newsstand watch`, the pure part: when the next cycle starts."""

from __future__ import annotations

from datetime import datetime, timedelta


def test_without_every_it_sleeps_until_the_next_feed_is_due() -> None:
    from newsstand.report import RunSummary
    from newsstand.watch import MAX_PAUSE, MIN_PAUSE, _next_start

    now = datetime(2026, 11, 27, 8, 0)

    def after(wake: timedelta | None) -> timedelta:
        summary = RunSummary(wake=None if wake is None else now + wake)
        return _next_start(now, now, summary, None) - now

    assert after(timedelta(minutes=2)) == timedelta(minutes=2)
    assert after(timedelta(0)) == MIN_PAUSE  # a feed is due already: a short breath first
    assert after(timedelta(hours=1)) == MAX_PAUSE  # wakes to look at the config again
    assert after(None) == MAX_PAUSE  # every feed gone
    started = now - timedelta(minutes=5)
    assert _next_start(started, now, None, 1800) == started + timedelta(minutes=30)
    assert _next_start(started, now, None, 60) == now  # the cycle took longer than --every
