"""Refresh intervals: a run fetches only the feeds that are due; the feeds' own hints
(<ttl>, sy:updatePeriod, Cache-Control max-age) raise their interval, within the floor and
the cap; jitter spreads feeds apart. Driven through the real pipeline over a loopback
server with an injected clock, and through the CLI with the real one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.cli import cli
from support.helpers import rss, titled_items, with_channel, write_config

from newsstand import pipeline
from newsstand.config import load_config
from newsstand.demo.server import FeedServer, Resource

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> None:
        self.now = T0 + timedelta(minutes=minutes)


def _site(server: FeedServer, root: Path, **fetch: object) -> pipeline.Config:
    server.routes["/plain"] = Resource(rss(titled_items("plain", 1)))
    server.routes["/ttl"] = Resource(with_channel(rss(titled_items("ttl", 1)), "<ttl>180</ttl>"))
    server.routes["/sy"] = Resource(
        with_channel(
            rss(titled_items("sy", 1)),
            "<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>",
        )
    )
    server.routes["/cached"] = Resource(
        rss(titled_items("cached", 1)), headers={"Cache-Control": "public, max-age=7200"}
    )
    server.routes["/eager"] = Resource(rss(titled_items("eager", 1)))
    server.routes["/huge-ttl"] = Resource(
        with_channel(rss(titled_items("huge", 1)), "<ttl>100000</ttl>")
    )
    feeds = [
        {"url": server.url(f"/{name}"), "category": "c", "source": name}
        for name in ("plain", "ttl", "sy", "cached", "huge-ttl")
    ]
    feeds.append(
        {"url": server.url("/eager"), "category": "c", "source": "eager", "interval": "1m"}
    )  # below the floor
    path = write_config(
        root,
        feeds,
        fetch={
            "interval": "1h",
            "min_interval": "10m",
            "max_interval": "1d",
            "jitter": 0,
            "retries": 0,
            **fetch,
        },
        output__hexo={"enabled": False},
        output__site={"enabled": False},
    )
    return load_config(path)


def _fetched(server: FeedServer, before: dict[str, int]) -> set[str]:
    return {path[1:] for path, count in server.hits.items() if count > before.get(path, 0)}


def test_only_due_feeds_are_fetched_and_hints_are_respected(
    server: FeedServer, tmp_path: Path
) -> None:
    config = _site(server, tmp_path)
    clock = Clock()

    def run_at(minutes: float, **options: object) -> tuple[set[str], pipeline.RunSummary]:
        clock.at(minutes)
        before = dict(server.hits)
        summary = pipeline.run(config, clock=clock, **options)
        return _fetched(server, before), summary

    everything = {"plain", "ttl", "sy", "cached", "eager", "huge-ttl"}
    fetched, summary = run_at(0)
    assert fetched == everything and summary.waiting == []
    fetched, summary = run_at(5)  # nothing is due; the floor holds the eager feed back
    assert fetched == set() and len(summary.waiting) == 6
    assert summary.wake == T0 + timedelta(minutes=9)  # eager: 10 min floor, a tenth early
    fetched, _ = run_at(11)
    assert fetched == {"eager"}

    server.routes["/plain"] = Resource(rss(titled_items("plain", 2)))  # the feed changes
    fetched, summary = run_at(61)
    assert fetched == {"plain", "eager"}
    assert summary.changed and sum(r.new for r in summary.feeds) == 1
    assert {key.rsplit("/", 1)[1] for key, _ in summary.waiting} == {
        "ttl",
        "sy",
        "cached",
        "huge-ttl",
    }
    fetched, _ = run_at(110)  # max-age=7200: due at 120 min (108 with the early tenth)
    assert "cached" in fetched and "ttl" not in fetched
    fetched, _ = run_at(170)  # <ttl>180
    assert "ttl" in fetched and "sy" not in fetched
    fetched, _ = run_at(330)  # sy: daily, 4 times: every 6 h
    assert "sy" in fetched and "huge-ttl" not in fetched
    fetched, _ = run_at(1250)  # a 69-day <ttl> is capped at max_interval (1 day)
    assert "huge-ttl" not in fetched
    fetched, _ = run_at(1300)
    assert "huge-ttl" in fetched

    fetched, summary = run_at(24 * 60 + 1, everything=True)  # `run --all`
    assert fetched == everything and summary.waiting == []


def test_a_304_keeps_the_max_age(server: FeedServer, tmp_path: Path) -> None:
    config = _site(server, tmp_path)
    clock = Clock()
    pipeline.run(config, clock=clock)
    clock.at(24 * 60 * 2)
    pipeline.run(config, clock=clock)  # every feed answers 304 now, without Cache-Control
    assert server.hits["/cached"] == 2
    clock.at(24 * 60 * 2 + 61)
    summary = pipeline.run(config, clock=clock)
    assert server.hits["/cached"] == 2  # its max-age of 2 h still counts
    assert server.url("/cached") in dict(summary.waiting)


def test_jitter_spreads_feeds_fetched_together(server: FeedServer, tmp_path: Path) -> None:
    names = [f"f{i}" for i in range(8)]
    for name in names:
        server.routes[f"/{name}"] = Resource(rss(titled_items(name, 1)))
    config = load_config(
        write_config(
            tmp_path,
            [{"url": server.url(f"/{n}"), "category": "c", "source": n} for n in names],
            fetch={"interval": "1h", "jitter": 0.5},
            output__hexo={"enabled": False},
            output__site={"enabled": False},
        )
    )
    clock = Clock()
    pipeline.run(config, clock=clock)
    clock.at(1)
    due = [when - T0 for _, when in pipeline.run(config, clock=clock).waiting]
    assert len(due) == 8 and len(set(due)) == 8  # no two fall due together
    # within the interval and half of it again, less the tenth a run may come early
    assert all(timedelta(minutes=54) <= d <= timedelta(minutes=84) for d in due)
    assert max(due) - min(due) > timedelta(minutes=5)


def test_run_skips_feeds_not_due_and_all_forces_them(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/a"] = Resource(rss(titled_items("a", 1)))
    server.routes["/b"] = Resource(rss(titled_items("b", 1)))
    path = write_config(
        tmp_path,
        [
            {"url": server.url("/a"), "category": "c", "source": "a"},
            {"url": server.url("/b"), "category": "c", "source": "b", "interval": "2h"},
        ],
        fetch={"interval": "1h", "min_interval": "10m", "retries": 0},
    )
    first = cli("run", "--json", "--config", str(path), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["feeds"]["ok"] == 2
    again = cli("run", "--config", str(path), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert server.hits["/a"] == 1 and server.hits["/b"] == 1
    assert "2 not due yet" in again.stdout and "--all" in again.stdout
    data = json.loads(cli("run", "--json", "--config", str(path), cwd=tmp_path).stdout)
    assert data["feeds"]["not_due"] == 2 and data["posts"]["written"] == 0
    due = {w["feed"]: datetime.fromisoformat(w["due"]) for w in data["feeds"]["waiting"]}
    gap = due[server.url("/b")] - due[server.url("/a")]
    assert timedelta(minutes=40) < gap < timedelta(minutes=80)  # 2 h vs 1 h, with jitter
    status = json.loads(cli("status", "--json", "--config", str(path), cwd=tmp_path).stdout)
    shown = {f["feed"]: f for f in status["feeds"]}
    assert shown[server.url("/a")]["interval_minutes"] == 60
    assert shown[server.url("/b")]["interval_minutes"] == 120
    assert datetime.fromisoformat(shown[server.url("/b")]["next_fetch"]) == due[server.url("/b")]
    forced = cli("run", "--all", "--json", "--config", str(path), cwd=tmp_path)
    assert forced.returncode == 0 and json.loads(forced.stdout)["feeds"]["not_due"] == 0
    assert server.hits["/a"] == 2 and server.hits["/b"] == 2
