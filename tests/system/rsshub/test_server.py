"""The real RSSHub the tests run against: it serves RSS (not the JSON its package's init()
would switch to), listens on loopback only, and with ACCESS_KEY set opens to the key or a
route's code only."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from urllib.parse import quote, urlsplit

import psutil
from support.rsshub import RSSHub
from support.secrets import KEY


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_it_serves_rss_and_logs_each_answer(rsshub: RSSHub) -> None:
    mark = rsshub.mark()
    status, body = get(rsshub.url("/test/1"))
    assert status == 200 and b"<rss" in body and b"<title>Title1</title>" in body
    rsshub.wait_for(r"--> GET /test/1 200", since=mark)
    assert rsshub.answers(mark) == [("/test/1", 200)]


def test_it_listens_on_loopback_only(rsshub: RSSHub) -> None:
    listening = [
        c.laddr
        for c in psutil.Process(rsshub.process.pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening and {a.ip for a in listening} == {"127.0.0.1"}, listening
    assert urlsplit(rsshub.base).port in {a.port for a in listening}


def test_with_an_access_key_only_the_key_or_the_route_s_code_opens_it(
    rsshub_keyed: RSSHub,
) -> None:
    assert get(rsshub_keyed.url("/test/1"))[0] == 403
    assert get(rsshub_keyed.url("/test/1?key=wrong"))[0] == 403
    assert get(rsshub_keyed.url(f"/test/1?key={quote(KEY, safe='')}"))[0] == 200
    code = hashlib.md5(("/test/1" + KEY).encode()).hexdigest()
    assert get(rsshub_keyed.url(f"/test/1?code={code}"))[0] == 200
    assert get(rsshub_keyed.url(f"/test/long?code={code}"))[0] == 403  # that route's only
    assert get(rsshub_keyed.url("/api/namespace"))[0] == 403  # the catalog needs it too
