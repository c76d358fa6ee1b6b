"""The loopback feed server the tests and the demo use: it stops without waiting for a
poll interval and leaves no thread behind, even with a keep-alive connection open."""

from __future__ import annotations

import http.client
import threading
import time

from newsstand.demo.server import FeedServer, Resource


def wait_until_gone(threads: set[threading.Thread], timeout: float = 30) -> set[threading.Thread]:
    """The threads of ``threads`` still alive after waiting for them (a busy machine is slow)."""
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {t for t in threads if t.is_alive()}


def test_stop_ends_every_thread_it_started() -> None:
    before = set(threading.enumerate())
    server = FeedServer({"/feed": Resource(b"<rss/>")}).start()
    connection = http.client.HTTPConnection("127.0.0.1", int(server.base.rsplit(":", 1)[1]))
    connection.request("GET", "/feed")
    response = connection.getresponse()
    assert response.status == 200 and response.read() == b"<rss/>"
    started = set(threading.enumerate()) - before
    assert len(started) == 2  # the serving loop, and the thread of the idle connection
    loop = server._thread
    assert loop in started
    server.stop()
    assert loop is not None and not loop.is_alive()  # stop() returns once the loop has ended
    assert wait_until_gone(started) == set()
    connection.close()


def test_stop_before_start_and_twice() -> None:
    server = FeedServer()
    server.stop()
    with FeedServer() as running:
        pass
    running.stop()
