"""Network faults over a real loopback server: each one reported, none fatal, nothing lost."""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from support.faultsite import Site, items, run_cli
from support.helpers import rss

from newsstand.demo.server import FeedServer, Resource

HALF = rss(items("bad", 50))[:2000]


def _headers(h: BaseHTTPRequestHandler, **extra: str) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    for name, value in extra.items():
        h.send_header(name.replace("_", "-"), value)
    h.end_headers()
    h.wfile.flush()


def test_connection_refused(server: FeedServer, tmp_path: Path) -> None:
    with FeedServer({"/bad": Resource(rss(items("bad", 3)))}) as other:
        site = Site(server, tmp_path, bad_url=other.url("/bad"))
        before = site.first_run()
    server.routes["/good"] = Resource(rss(items("good", 3)))
    second = run_cli(site.config)
    assert second.code == 0, second.output
    assert "cannot connect" in second.failure("/bad")["reason"]
    after = site.posts()
    assert len(after) == 6 and all(after[p] == d for p, d in before.items())
    assert site.entries("bad") == 3


def test_reset_in_the_middle_of_the_body(server: FeedServer, tmp_path: Path) -> None:
    def reset(h: BaseHTTPRequestHandler) -> None:
        _headers(h, Content_Length="100000")
        h.wfile.write(HALF)
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True

    reason = Site(server, tmp_path).fault(reset).failure("/bad")["reason"]
    assert "connection" in reason and "/bad" in reason


@pytest.mark.slow
def test_headers_then_silence_hits_the_read_timeout(server: FeedServer, tmp_path: Path) -> None:
    def silent(h: BaseHTTPRequestHandler) -> None:
        _headers(h, Content_Length="100000")
        time.sleep(5)

    reason = Site(server, tmp_path).fault(silent).failure("/bad")["reason"]
    assert "timed out" in reason


@pytest.mark.slow
def test_a_body_dripping_a_byte_a_second_hits_the_total_timeout(
    server: FeedServer, tmp_path: Path
) -> None:
    def drip(h: BaseHTTPRequestHandler) -> None:
        _headers(h, Content_Length="100000")
        for byte in HALF[:10]:
            try:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
            except OSError:  # the client gave up, as it should
                return
            time.sleep(1)

    reason = Site(server, tmp_path).fault(drip).failure("/bad")["reason"]
    assert "timed out after 3 s" in reason


def test_an_endless_chunked_body_is_cut_at_the_cap(server: FeedServer, tmp_path: Path) -> None:
    def endless(h: BaseHTTPRequestHandler) -> None:
        _headers(h, Transfer_Encoding="chunked")
        chunk = b"<item><title>x</title></item>" * 2000
        with contextlib.suppress(OSError):
            for _ in range(10_000):
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        h.close_connection = True

    reason = Site(server, tmp_path).fault(endless).failure("/bad")["reason"]
    assert "over the" in reason and "limit" in reason


def test_a_gzip_bomb_is_cut_at_the_cap_after_decompression(
    server: FeedServer, tmp_path: Path
) -> None:
    bomb = Resource(b"\0" * 20_000_000, gzip=True)
    reason = Site(server, tmp_path).fault(bomb).failure("/bad")["reason"]
    assert "over the" in reason and "limit" in reason


def test_redirect_loop(server: FeedServer, tmp_path: Path) -> None:
    loop = Resource(b"", "text/plain", status=302, headers={"Location": "/bad"})
    reason = Site(server, tmp_path).fault(loop).failure("/bad")["reason"]
    assert "too many redirects" in reason


def test_404(server: FeedServer, tmp_path: Path) -> None:
    failure = Site(server, tmp_path).fault(Resource(b"no", "text/plain", status=404))
    assert "HTTP 404" in failure.failure("/bad")["reason"]


def test_410_marks_the_feed_gone_and_it_is_not_fetched_again(
    server: FeedServer, tmp_path: Path
) -> None:
    site = Site(server, tmp_path)
    second = site.fault(Resource(b"gone", "text/plain", status=410))
    assert "HTTP 410" in second.failure("/bad")["reason"]
    assert "gone" in second.failure("/bad")["reason"]
    hits = server.hits["/bad"]
    third = run_cli(site.config)
    assert third.code == 0 and server.hits["/bad"] == hits  # not asked again
    (skipped,) = third.data["feeds"]["skipped"]
    assert skipped["feed"].endswith("/bad") and "gone" in skipped["reason"]
    assert site.entries("bad") == 3 and len(site.posts()) == 6


def test_301_remembers_the_new_url(server: FeedServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path)
    site.first_run()
    server.routes["/moved"] = Resource(rss(items("bad", 4)))
    server.routes["/bad"] = Resource(
        b"", "text/plain", status=301, headers={"Location": server.url("/moved")}
    )
    second = run_cli(site.config)
    assert second.code == 0 and second.data["feeds"]["failed"] == 0, second.output
    moved = [w for w in second.data["warnings"] if w["feed"].endswith("/bad")]
    assert moved and "moved permanently" in moved[0]["warning"]
    assert server.url("/moved") in moved[0]["warning"]
    assert site.entries("bad") == 4
    hits = server.hits["/bad"]
    server.routes["/moved"] = Resource(rss(items("bad", 5)))
    third = run_cli(site.config)
    assert third.code == 0 and server.hits["/bad"] == hits  # straight to the new address
    assert site.entries("bad") == 5 and len(site.posts()) == 7


@pytest.mark.slow
def test_429_with_a_short_retry_after_is_waited_for(server: FeedServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path, fetch={"retries": 1})
    site.first_run()

    def limited(h: BaseHTTPRequestHandler) -> Resource:
        if server.hits["/bad"] == 2:
            return Resource(b"slow down", "text/plain", status=429, headers={"Retry-After": "1"})
        return Resource(rss(items("bad", 4)))

    server.routes["/bad"] = limited
    second = run_cli(site.config)
    assert second.code == 0 and second.data["feeds"]["failed"] == 0, second.output
    assert site.entries("bad") == 4


def test_503_with_a_long_retry_after_is_reported_and_respected(
    server: FeedServer, tmp_path: Path
) -> None:
    site = Site(server, tmp_path, fetch={"retries": 1})
    busy = Resource(b"busy", "text/plain", status=503, headers={"Retry-After": "7200"})
    reason = site.fault(busy).failure("/bad")["reason"]
    assert "HTTP 503" in reason and "retry after 7200 s" in reason
    hits = server.hits["/bad"]
    third = run_cli(site.config)
    assert third.code == 0 and server.hits["/bad"] == hits  # not before the server said
    (skipped,) = third.data["feeds"]["skipped"]
    assert skipped["feed"].endswith("/bad") and skipped["next_due"]
