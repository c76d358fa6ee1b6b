"""Refresh intervals, the pure parts: durations and the feeds' own hints read."""

from __future__ import annotations

from pathlib import Path

from support.helpers import rss, titled_items, with_channel

from newsstand.config import parse_config, parse_duration
from newsstand.parse import parse


def test_durations_and_hints_are_read() -> None:
    assert [parse_duration(v) for v in (30, 1.5, "90s", "30m", "2h", "1d", "45")] == [
        1800,
        90,
        90,
        1800,
        7200,
        86400,
        2700,
    ]
    here = Path("/tmp/newsstand.toml")
    config = parse_config(
        '[fetch]\ninterval = "2h"\nmin_interval = 0\n[[feeds]]\n'
        'url = "https://e.com/f"\ncategory = "c"\nsource = "s"\n'
        'interval = "15m"\n',
        here,
    )
    assert config.fetch.interval == 7200 and config.fetch.min_interval == 0
    assert config.feeds[0].interval == 900
    doc = rss(titled_items("a", 1))
    assert parse(with_channel(doc, "<ttl>45</ttl>"), url="https://e.com/").ttl_minutes == 45
    daily4 = "<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>"
    assert parse(with_channel(doc, daily4), url="https://e.com/").ttl_minutes == 360
    both = "<ttl>30</ttl><sy:updatePeriod>hourly</sy:updatePeriod>"
    assert parse(with_channel(doc, both), url="https://e.com/").ttl_minutes == 60  # the longer
    assert parse(with_channel(doc, "<ttl>soon</ttl>"), url="https://e.com/").ttl_minutes is None


def test_a_worker_fetches_each_feed_when_plan_would_without_the_early_margin() -> None:
    from datetime import UTC, datetime, timedelta

    from newsstand import schedule
    from newsstand.config import FetchConfig
    from newsstand.model import Feed, FeedState

    feed = Feed(key="/f", route="/f", url=None, category="c", source="s", channel="ch")
    fetch = FetchConfig(interval=3600, jitter=0.0)
    now = datetime(2024, 1, 1, 12, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert schedule.due_at(feed, fetch, None, now) == now  # never fetched
    assert schedule.due_at(feed, fetch, FeedState(), now) == now
    assert schedule.due_at(feed, fetch, FeedState(gone_since=now - hour), now) is None
    resting = FeedState(failures=2, next_due=now + hour, last_success=now - 5 * hour)
    assert schedule.due_at(feed, fetch, resting, now) == now + hour
    rested = FeedState(failures=2, next_due=now - hour)
    assert schedule.due_at(feed, fetch, rested, now) == now
    ok = FeedState(last_success=now - timedelta(minutes=10), ttl_minutes=120)
    assert schedule.due_at(feed, fetch, ok, now) == now - timedelta(minutes=10) + 2 * hour
    for state in (None, FeedState(), resting, rested, ok):  # due now exactly when plan says
        due = schedule.due_at(feed, fetch, state, now)
        planned = schedule.plan([feed], {"/f": state} if state else {}, fetch, now)
        assert (due is not None and due <= now) == bool(planned.due)
