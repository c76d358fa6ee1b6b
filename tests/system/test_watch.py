"""`newsstand watch`: cycles over the due feeds, publishes what is new, survives a failing
cycle, and stops cleanly on SIGTERM — here sent while a cycle is fetching."""

from __future__ import annotations

import fcntl
import itertools
import json
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from support.checks import check_posts, integrity
from support.helpers import rss, write_config

from newsstand.demo.server import FeedServer, Resource


def _items(name: str, count: int) -> list[dict]:
    return [
        {
            "title": f"{name} item {i}",
            "guid": f"{name}-{i}",
            "link": f"https://example.com/{name}/{i}",
        }
        for i in range(count)
    ]


class Lines:
    """A process's stdout lines, read by a thread so a test can wait for each."""

    def __init__(self, stream) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: [self.queue.put(line) for line in stream], daemon=True
        ).start()

    def next(self, timeout: float = 60) -> dict:
        return json.loads(self.queue.get(timeout=timeout))


@pytest.mark.slow
def test_watch_publishes_new_items_and_stops_cleanly_mid_cycle(
    server: FeedServer, tmp_path: Path
) -> None:
    news_sizes = {1: 1, 2: 2, 3: 2}  # items /news has on its 1st, 2nd, 3rd fetch; then 3
    slow_fetch = threading.Event()

    def news(_: BaseHTTPRequestHandler) -> Resource:
        return Resource(rss(_items("news", news_sizes.get(server.hits["/news"], 3))))

    def slow(_: BaseHTTPRequestHandler) -> Resource:
        if server.hits["/slow"] >= 4:  # the fourth cycle: hold the answer back
            slow_fetch.set()
            time.sleep(4)
        return Resource(rss(_items("slow", 1)))

    server.routes["/news"], server.routes["/slow"] = news, slow
    server.routes["/broken"] = Resource(b"oops", "text/plain", status=500)
    config = write_config(
        tmp_path,
        [
            {"url": server.url("/news"), "category": "c", "source": "news"},
            {"url": server.url("/slow"), "category": "c", "source": "slow"},
            {"url": server.url("/broken"), "category": "c", "source": "broken"},
        ],
        fetch={"retries": 0, "timeout": 30},
        health={"backoff": 0.001},
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsstand.cli",
            "watch",
            "--every",
            "1s",
            "--json",
            "-c",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = Lines(process.stdout)
        cycles = [lines.next() for _ in range(3)]
        assert slow_fetch.wait(60), "the fourth cycle did not start"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopped by SIGTERM during a cycle" in err

    assert [c["cycle"] for c in cycles] == [1, 2, 3]
    first, second, third = (c["summary"] for c in cycles)
    # the failing feed is reported every cycle; the cycles go on
    assert all(s["feeds"]["failed"] == 1 for s in (first, second, third))
    assert first["entries"]["new"] == 2 and first["posts"]["written"] == 2
    assert first["site"] is not None
    assert second["entries"]["new"] == 1 and second["posts"]["written"] == 1
    assert second["site"]["rendered"] > 0
    assert third["entries"]["new"] == 0 and third["site"] is None  # nothing to publish
    starts = [datetime.fromisoformat(c["started"]) for c in cycles]
    assert all(b - a >= timedelta(seconds=1) for a, b in itertools.pairwise(starts))  # --every

    # stopped mid-cycle: the store is whole, no partial file anywhere
    root = tmp_path
    db = root / ".newsstand" / "newsstand.db"
    assert integrity(db) == "ok"
    posts = check_posts(root / "source" / "_posts")
    titles = {p.read_text("utf-8").split("title: ", 1)[1].split("\n", 1)[0] for p in posts}
    assert {"news item 0", "news item 1", "slow item 0"} <= {t.strip("'\"") for t in titles}
    assert not [p for p in root.iterdir() if p.name.startswith((".public.new", ".public.old"))]
    with sqlite3.connect(db) as conn:
        stored = {row[0] for row in conn.execute("SELECT title FROM entries")}
    assert {"news item 0", "news item 1", "slow item 0"} <= stored
    log = (root / ".newsstand" / "newsstand.log").read_text("utf-8")
    assert "cycle 3 at" in log and "watch stopped by SIGTERM" in log


@pytest.mark.slow
def test_watch_keeps_going_with_a_config_edit_it_cannot_read(
    server: FeedServer, tmp_path: Path
) -> None:
    server.routes["/a"] = Resource(rss(_items("a", 1)))
    config = write_config(tmp_path, [{"url": server.url("/a"), "category": "c", "source": "a"}])
    good = config.read_text("utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsstand.cli",
            "watch",
            "--every",
            "1s",
            "--cycles",
            "3",
            "-c",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while server.hits["/a"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        config.write_text('[site]\ntitle = ""\n' + good, encoding="utf-8")  # a broken edit
        _, err = process.communicate(timeout=90)
    finally:
        process.kill()
    assert process.returncode == 0, err
    lines = [line for line in err.splitlines() if line.startswith("cycle ")]
    assert len(lines) == 3, err
    assert "going on with the config as it was" in lines[1]
    assert "[site] title" in lines[1]
    assert server.hits["/a"] == 3  # every cycle still fetched
    assert "next cycle" in lines[0] and "next cycle" not in lines[2]


@pytest.mark.slow
def test_a_failing_cycle_is_reported_and_the_next_one_comes(
    server: FeedServer, tmp_path: Path
) -> None:
    """The store is held by another process during the second cycle: that cycle fails
    with one line, and the third goes on as if nothing happened."""
    server.routes["/a"] = Resource(rss(_items("a", 1)))
    config = write_config(tmp_path, [{"url": server.url("/a"), "category": "c", "source": "a"}])
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsstand.cli",
            "watch",
            "--every",
            "3s",
            "--cycles",
            "3",
            "-c",
            str(config),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: queue.Queue[str] = Lines(process.stderr).queue
        first = lines.get(timeout=60)  # the next cycle starts 3 s after this one did
        with open(tmp_path / ".newsstand" / "newsstand.db.lock", "a+") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # another run has the store
            second = lines.get(timeout=60)
        third = lines.get(timeout=60)
        process.wait(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0
    assert first.startswith("cycle 1") and "1 new" in first
    assert second.startswith("cycle 2") and "another newsstand process is using" in second
    assert third.startswith("cycle 3") and "1 fetched (0 failed)" in third
    assert server.hits["/a"] == 2  # cycles 1 and 3
