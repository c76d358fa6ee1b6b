"""For the tests and the bench of workers on PostgreSQL: a farm of loopback feed servers
that log every request (and how many were in flight at once, per host), and worker
processes whose stderr lines a test can wait for."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from newsstand.demo.server import FeedServer, Resource
from support.cli import EXE
from support.helpers import rss, write_config


def items(name: str, count: int) -> list[dict]:
    return [
        {
            "title": f"{name} item {i}",
            "guid": f"{name}-{i}",
            "link": f"https://example.com/{name}/{i}",
            "date": f"Mon, 0{1 + i % 9} Jan 2024 10:00:00 GMT",
        }
        for i in range(count)
    ]


class Farm:
    """``hosts`` feed servers (127.0.0.1, 127.0.0.2, …), ``feeds`` feeds spread over them,
    each with ``per_feed`` items, answered after ``latency`` seconds. Every request is
    logged (``hits``), and the most requests a host had in flight at once (``peak``)."""

    def __init__(
        self, feeds: int, *, hosts: int = 1, per_feed: int = 2, latency: float = 0.0
    ) -> None:
        self.latency = latency
        self.servers = [FeedServer(host=f"127.0.0.{n + 1}") for n in range(hosts)]
        self.hits: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.urls: list[str] = []
        self.bodies: dict[str, bytes] = {}
        for i in range(feeds):
            server = self.servers[i % hosts]
            path = f"/f{i}"
            self.bodies[path] = rss(items(f"f{i}", per_feed))
            server.routes[path] = self._handler(server, path)
            self.urls.append(server.url(path))

    def _handler(
        self, server: FeedServer, path: str
    ) -> Callable[[BaseHTTPRequestHandler], Resource]:
        host = server.base

        def answer(_: BaseHTTPRequestHandler) -> Resource:
            with self.lock:
                self.hits[path] += 1
                self.in_flight[host] += 1
                self.peak[host] = max(self.peak[host], self.in_flight[host])
            try:
                if self.latency:
                    time.sleep(self.latency)
                return Resource(self.bodies[path])
            finally:
                with self.lock:
                    self.in_flight[host] -= 1

        return answer

    def config(self, root: Path, store_url: str, **sections: dict) -> Path:
        feeds = [
            {"url": url, "category": "c", "source": f"s{i % 50}", "channel": f"ch{i}"}
            for i, url in enumerate(self.urls)
        ]
        fetch = {"timeout": 30, "retries": 1, "interval": "1d", "jitter": 0}
        fetch.update(sections.pop("fetch", {}))
        store = {"url": store_url, **sections.pop("store", {})}
        return write_config(root, feeds, fetch=fetch, store=store, **sections)

    def __enter__(self) -> Farm:
        for server in self.servers:
            server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.stop()


class Proc:
    """A ``newsstand`` process; its stderr lines are read by a thread (``wait_for``)."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.popen = subprocess.Popen(
            [*EXE, *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1", **(env or {})},
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        self.stdout = ""
        assert self.popen.stderr is not None and self.popen.stdout is not None
        threading.Thread(target=self._read, args=(self.popen.stderr,), daemon=True).start()
        threading.Thread(target=self._out, daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))
            self._new.put(line)

    def _out(self) -> None:
        assert self.popen.stdout is not None
        self.stdout = self.popen.stdout.read()

    def wait_for(self, text: str, timeout: float = 120) -> str:
        """The first stderr line holding ``text``; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for line in self.lines[seen:]:
                if text in line:
                    return line
            seen = len(self.lines)
            if self.popen.poll() is not None and seen == len(self.lines):
                time.sleep(0.2)
                if not any(text in line for line in self.lines):
                    raise AssertionError(
                        f"{self.args} exited {self.popen.returncode} without {text!r}:"
                        f" {self.lines[-10:]}"
                    )
            with contextlib.suppress(queue.Empty):
                self._new.get(timeout=0.2)
        raise AssertionError(f"no {text!r} from {self.args} in {timeout} s: {self.lines[-10:]}")

    @property
    def pid(self) -> int:
        return self.popen.pid

    def signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.popen.send_signal(sig)

    def finish(self, timeout: float = 120) -> int:
        return self.popen.wait(timeout=timeout)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=30)


@contextlib.contextmanager
def processes() -> Iterator[list[Proc]]:
    """Processes a test starts, killed if still running when it ends (however it ends)."""
    started: list[Proc] = []
    try:
        yield started
    finally:
        for proc in started:
            proc.kill()


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"not within {timeout} s: {what}")


def fetched_feeds(store_url: str) -> int:
    """Feeds of the store that answered at least once."""
    import psycopg

    with psycopg.connect(store_url) as conn:
        try:
            row = conn.execute(
                "SELECT count(*) FROM feeds WHERE last_success IS NOT NULL"
            ).fetchone()
        except psycopg.errors.UndefinedTable:  # not made yet
            return 0
    return int(row[0]) if row else 0


def entry_counts(store_url: str) -> tuple[int, int]:
    """(entries, distinct (feed, id)) in the store."""
    import psycopg

    with psycopg.connect(store_url) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT (feed_id, entry_id)) FROM entries"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])
