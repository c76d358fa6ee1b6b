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
