"""proxies: which proxy the environment names for a URL, as curl and Go read it, and
never one for a loopback address."""

from __future__ import annotations

import pytest

from newsstand.proxies import Proxies, is_loopback

PROXY = {"http_proxy": "http://proxy.corp:3128", "https_proxy": "http://proxy.corp:3128"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1200/demo/finance",
        "http://127.8.9.10/feed",
        "http://[::1]:1200/feed",
        "http://[::ffff:127.0.0.1]/feed",
        "http://localhost:1200/feed",
        "https://LOCALHOST./feed",
        "http://rsshub.localhost/feed",
    ],
)
def test_loopback_is_never_proxied(url: str) -> None:
    assert Proxies(PROXY).for_url(url) is None


def test_other_hosts_use_the_proxy_of_their_scheme() -> None:
    proxies = Proxies({"HTTP_PROXY": "http://a:1", "https_proxy": "b.corp:2"})
    http, https = proxies.for_url("http://rsshub.app/x"), proxies.for_url("https://rsshub.app/x")
    assert http and http.url == "http://a:1" and http.variable == "HTTP_PROXY"
    assert (
        https
        and https.url == "http://b.corp:2"
        and https.shown == "the proxy b.corp:2 (https_proxy)"
    )
    assert not is_loopback("10.0.0.1") and not is_loopback("128.0.0.1")


def test_lower_case_wins_and_cgi_ignores_http_proxy() -> None:
    both = Proxies({"http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:2"})
    assert both.for_url("http://example.com/").url == "http://lower:1"  # type: ignore[union-attr]
    cgi = Proxies({"HTTP_PROXY": "http://from-a-header:2", "REQUEST_METHOD": "GET"})
    assert cgi.for_url("http://example.com/") is None


def test_credentials_are_kept_apart_from_what_is_shown() -> None:
    proxy = Proxies({"http_proxy": "http://me:p%40ss@proxy.corp:3128"}).for_url("http://x.org/")
    assert proxy is not None
    assert (proxy.user, proxy.password) == ("me", "p@ss")
    assert "p@ss" not in proxy.url and "p%40ss" not in proxy.shown and "me" not in proxy.url


@pytest.mark.parametrize(
    ("no_proxy", "url", "direct"),
    [
        ("*", "http://anything.org/", True),
        ("example.com", "http://example.com/", True),
        ("example.com", "http://news.example.com/", True),
        (".example.com", "http://news.example.com/", True),
        ("*.example.com", "http://news.example.com/", True),
        ("example.com", "http://badexample.com/", False),
        ("intranet, example.com:8080", "http://example.com:8080/", True),
        ("example.com:8080", "http://example.com/", False),
        ("example.com:443", "https://example.com/", True),
        ("10.0.0.0/8", "http://10.1.2.3/", True),
        ("10.0.0.0/8", "http://11.1.2.3/", False),
        ("192.168.1.5", "http://192.168.1.5/", True),
        ("[fd00::1]:80", "http://[fd00::1]/", True),
        ("", "http://example.com/", False),
    ],
)
def test_no_proxy(no_proxy: str, url: str, direct: bool) -> None:
    proxies = Proxies({**PROXY, "no_proxy": no_proxy})
    assert (proxies.for_url(url) is None) is direct


def test_no_proxy_set_means_none() -> None:
    assert Proxies({}).for_url("http://example.com/") is None
    assert Proxies({"http_proxy": "  "}).for_url("http://example.com/") is None
