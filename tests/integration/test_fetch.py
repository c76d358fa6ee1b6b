"""fetch over a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler

from support.helpers import rss

from newsstand.config import FetchConfig, RSSHubConfig
from newsstand.demo.server import FeedServer, Resource
from newsstand.fetch import Fetcher, Request, feed_request, feed_urls
from newsstand.model import Feed

FEED = rss([{"title": "a", "guid": "1"}])


def fetch(request: Request, **settings) -> object:
    config = FetchConfig(**{"timeout": 5.0, "retries": 2, **settings})

    async def go():
        async with Fetcher(config, backoff=0.05) as fetcher:
            return await fetcher.fetch(request)

    return asyncio.run(go())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_body_and_validators(server: FeedServer) -> None:
    server.routes["/f"] = Resource(FEED, last_modified="Thu, 01 Apr 2021 00:00:00 GMT")
    got = fetch(Request("k", (server.url("/f"),)))
    assert got.ok and got.status == 200 and got.body == FEED
    assert got.etag and got.last_modified == "Thu, 01 Apr 2021 00:00:00 GMT"
    assert "newsstand" in server.requests[0][1]["User-Agent"]


def test_conditional_get_gives_304(server: FeedServer) -> None:
    server.routes["/f"] = Resource(FEED)
    first = fetch(Request("k", (server.url("/f"),)))
    second = fetch(Request("k", (server.url("/f"),), etag=first.etag))
    assert second.ok and second.not_modified and second.body == b""
    assert server.requests[1][1]["If-None-Match"] == first.etag


def test_gzip_and_brotli_are_decoded(server: FeedServer) -> None:
    import brotli

    server.routes["/gz"] = Resource(FEED, gzip=True)
    server.routes["/br"] = Resource(brotli.compress(FEED), headers={"Content-Encoding": "br"})
    assert fetch(Request("k", (server.url("/gz"),))).body == FEED
    assert fetch(Request("k", (server.url("/br"),))).body == FEED
    assert "br" in server.requests[-1][1]["Accept-Encoding"]


def test_retries_503_then_succeeds(server: FeedServer) -> None:
    def flaky(handler: BaseHTTPRequestHandler) -> Resource:
        if server.hits["/f"] < 3:
            return Resource(b"busy", "text/plain", status=503)
        return Resource(FEED)

    server.routes["/f"] = flaky
    got = fetch(Request("k", (server.url("/f"),)))
    assert got.ok and got.body == FEED and got.attempts == 3


def test_gives_up_after_retries(server: FeedServer) -> None:
    server.routes["/f"] = Resource(b"busy", "text/plain", status=503)
    got = fetch(Request("k", (server.url("/f"),)), retries=1)
    assert not got.ok and got.status == 503 and "HTTP 503" in got.error
    assert server.hits["/f"] == 2


def test_404_is_not_retried(server: FeedServer) -> None:
    got = fetch(Request("k", (server.url("/missing"),)))
    assert not got.ok and got.status == 404 and server.hits["/missing"] == 1


def test_retry_after_is_honoured(server: FeedServer) -> None:
    def limited(handler: BaseHTTPRequestHandler) -> Resource:
        if server.hits["/f"] == 1:
            return Resource(b"slow down", "text/plain", status=429, headers={"Retry-After": "1"})
        return Resource(FEED)

    server.routes["/f"] = limited
    started = time.monotonic()
    got = fetch(Request("k", (server.url("/f"),)))
    assert got.ok and time.monotonic() - started >= 1.0


def test_long_retry_after_is_reported_not_waited(server: FeedServer) -> None:
    server.routes["/f"] = Resource(b"", "text/plain", status=429, headers={"Retry-After": "3600"})
    got = fetch(Request("k", (server.url("/f"),)))
    assert not got.ok and "retry after 3600 s" in got.error and server.hits["/f"] == 1


def test_instance_failover(server: FeedServer) -> None:
    server.routes["/sina/finance"] = Resource(FEED)
    feed = Feed(
        key="/sina/finance", route="/sina/finance", url=None, category="c", source="s", channel="ch"
    )
    rsshub = RSSHubConfig(instances=(f"http://127.0.0.1:{closed_port()}", server.base))
    urls = feed_urls(feed, rsshub)
    assert urls[1] == server.url("/sina/finance")
    got = fetch(Request(feed.key, urls))
    assert got.ok and got.url == server.url("/sina/finance") and got.attempts == 2


def test_access_key_is_sent(server: FeedServer) -> None:
    feed = Feed(key="/a", route="/a?limit=5", url=None, category="c", source="s", channel="ch")
    urls = feed_urls(feed, RSSHubConfig(instances=(server.base,), access_key="s3cr et"))
    assert urls == (server.url("/a?limit=5&key=s3cr+et"),)


def test_connection_refused_is_one_line() -> None:
    got = fetch(Request("k", (f"http://127.0.0.1:{closed_port()}/f",)), retries=0)
    assert not got.ok and got.status is None and "cannot connect" in got.error
    assert "\n" not in got.error


def test_slow_server_hits_the_timeout(server: FeedServer) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(100):  # drips a byte every 0.1 s for 10 s: each read is quick
            try:
                handler.wfile.write(b"<")
                handler.wfile.flush()
            except OSError:  # the client gave up, as it should
                return
            time.sleep(0.1)

    server.routes["/slow"] = slow
    started = time.monotonic()
    got = fetch(Request("k", (server.url("/slow"),)), timeout=1.0, retries=0)
    assert not got.ok and "timed out" in got.error
    # the total timeout (1 s) cut it, not the end of the body (10 s) nor the read timeout
    assert time.monotonic() - started < 8


def test_oversized_body_is_cut_off(server: FeedServer) -> None:
    server.routes["/big"] = Resource(b"x" * 300_000, "application/xml")
    server.routes["/bomb"] = Resource(b"\0" * 5_000_000, "application/xml", gzip=True)
    got = fetch(Request("k", (server.url("/big"),)), max_bytes=100_000)
    assert not got.ok and "limit" in got.error
    got = fetch(Request("k", (server.url("/bomb"),)), max_bytes=100_000)
    assert not got.ok and "limit" in got.error  # measured after decompression


def test_redirects_followed_up_to_five(server: FeedServer) -> None:
    def redirect_to(target: str):
        def handler(h: BaseHTTPRequestHandler) -> Resource:
            return Resource(b"", "text/plain", status=302, headers={"Location": target})

        return handler

    server.routes["/feed"] = Resource(FEED)
    for i in range(1, 6):
        server.routes[f"/r{i}"] = redirect_to(f"/r{i + 1}" if i < 5 else "/feed")
    got = fetch(Request("k", (server.url("/r1"),)))
    assert got.ok and got.body == FEED and got.url == server.url("/feed")

    server.routes["/loop"] = redirect_to("/loop")
    got = fetch(Request("k", (server.url("/loop"),)))
    assert not got.ok and "too many redirects" in got.error


def test_a_weak_etag_is_sent_in_both_forms(server: FeedServer) -> None:
    """RSSHub's gzip makes its ETag weak, and it matches only the strong form (the real
    RSSHub's 304s: tests/system/rsshub/test_fetch.py)."""
    server.routes["/f"] = Resource(FEED)
    fetch(Request("k", (server.url("/f"),), etag='W/"abc"'))
    fetch(Request("k", (server.url("/f"),), etag='"abc"'))
    assert [h["If-None-Match"] for _, h in server.requests] == ['W/"abc", "abc"', '"abc"']


def rsshub_error(status: int, text: str) -> Resource:
    return Resource(
        f'<p class="message">Error Message:<br/><code class="x">{text}</code></p>'.encode(),
        "text/html; charset=UTF-8",
        status=status,
    )


def test_an_error_rsshub_reports_as_final_is_asked_once(server: FeedServer) -> None:
    server.routes["/final"] = rsshub_error(503, "Error: Error test")
    server.routes["/upstream"] = rsshub_error(503, "FetchError: [GET] &quot;https://x/&quot;")
    final = fetch(Request("k", (server.url("/final"),)))
    assert final.status == 503 and final.error.endswith("RSSHub said: Error test")
    upstream = fetch(Request("k", (server.url("/upstream"),)))
    assert "FetchError" in upstream.error
    assert server.hits["/final"] == 1 and server.hits["/upstream"] == 3  # retries = 2


def test_each_instance_s_answer_is_reported_the_telling_one_first(server: FeedServer) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    server.routes["/r"] = rsshub_error(404, "NotFoundError: The route does not exist")
    got = fetch(Request("k", (dead + "/r", server.url("/r"))), retries=1)
    assert got.status == 404 and "\n" not in got.error
    said, _, rest = got.error.partition("; ")
    assert said == f"HTTP 404 Not Found from {server.url('/r')}: RSSHub said: NotFoundError:" + (
        " The route does not exist"
    )
    assert rest.startswith(f"cannot connect to {dead.removeprefix('http://')}")
    assert server.hits["/r"] == 1  # the dead one was tried again, the final 404 was not
    assert got.attempts == 3


def test_a_redirect_keeps_the_access_key_on_its_instance_and_sends_it_nowhere_else(
    server: FeedServer,
) -> None:
    def moved(target: str):
        return lambda h: Resource(b"", "text/plain", status=301, headers={"Location": target})

    with FeedServer() as elsewhere:
        elsewhere.routes["/feed"] = Resource(FEED)
        server.routes["/here"] = moved("/feed?limit=2")  # as RSSHub: the query dropped
        server.routes["/away"] = moved(elsewhere.url("/feed"))
        server.routes["/feed"] = Resource(FEED)
        for access, param in (("key", "key=s3cr+et"), ("code", "code=")):
            feed = Feed(key="/here", route="/here", url=None, category="c", source="s", channel="c")
            rsshub = RSSHubConfig(instances=(server.base,), access_key="s3cr et", access=access)
            got = fetch(feed_request(feed, rsshub))
            assert got.ok and got.moved_to == server.url("/feed?limit=2")  # shown without it
            followed = server.requests[-1][0]
            assert followed.startswith("/feed?limit=2&") and param in followed
            away = replace(feed, key="/away", route="/away")
            assert fetch(feed_request(away, rsshub)).ok
            assert [p for p, _ in elsewhere.requests][-1] == "/feed"  # no key, no code
    code = hashlib.md5(b"/feed" + b"s3cr et").hexdigest()
    assert server.requests[-2][0] == f"/feed?limit=2&code={code}"


def _peak_in_flight(limits: dict[str, int] | None, hold_until: int, urls: int) -> int:
    """The most requests one host had in flight at once while ``urls`` feeds were fetched.
    Each request is held until ``hold_until`` are in flight together (or, should the
    limit stop them short of it, a few seconds pass), so the peak reaches the limit."""
    from newsstand.rsshub import host_key

    lock = threading.Condition()
    state = {"now": 0, "peak": 0}

    def held(_request: BaseHTTPRequestHandler) -> Resource:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            lock.notify_all()
            lock.wait_for(lambda: state["now"] >= hold_until, timeout=3)
            state["now"] -= 1
        return Resource(rss([]))

    with FeedServer({f"/r/{i}": held for i in range(urls)}) as server:
        config = FetchConfig(concurrency=32, per_host=2, retries=0)
        given = {host_key(server.base): n for n in limits.values()} if limits else None

        async def go() -> None:
            async with Fetcher(config, host_limits=given) as fetcher:
                await asyncio.gather(
                    *(
                        fetcher.fetch(Request(f"k{i}", (server.url(f"/r/{i}"),)))
                        for i in range(urls)
                    )
                )

        asyncio.run(go())
    return state["peak"]


def test_an_rsshub_instance_gets_its_own_per_host_limit() -> None:
    from newsstand.rsshub import instance_limits

    assert _peak_in_flight({"rsshub": 8}, hold_until=8, urls=24) == 8
    assert _peak_in_flight(None, hold_until=2, urls=8) == 2  # [fetch] per_host elsewhere
    rsshub = RSSHubConfig(instances=("http://127.0.0.1:1200", "https://rsshub.app"), per_host=16)
    given = instance_limits(rsshub.instances, rsshub.per_host)
    assert given == {"127.0.0.1:1200": 16, "rsshub.app:443": 16}
    assert instance_limits(RSSHubConfig().instances, RSSHubConfig().per_host) == {}
