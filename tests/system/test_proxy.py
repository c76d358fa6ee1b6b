"""A proxy in the environment (http_proxy / HTTP_PROXY, as on many company machines), seen
by real processes: loopback addresses are reached directly, other hosts go through the
proxy, and a failure there names the proxy, never its password."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from support.cli import cli_process
from support.helpers import rss, titled_items, write_config
from support.proxy import LoggingProxy

from newsstand.demo.server import FeedServer, Resource


def proxy_env(proxy: str, **extra: str) -> dict[str, str]:
    """This environment with every proxy variable set to ``proxy`` and no no_proxy."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "all_proxy")}
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        env[name] = proxy
    return {**env, "NO_COLOR": "1", **extra}


def test_the_demo_reaches_its_own_server_with_a_proxy_set(tmp_path: Path) -> None:
    with LoggingProxy() as proxy:
        done = cli_process("demo", str(tmp_path / "demo"), cwd=tmp_path, env=proxy_env(proxy.url))
    assert done.returncode == 0, done.stderr
    posts = list((tmp_path / "demo" / "source" / "_posts").rglob("*.md"))
    assert len(posts) >= 8, done.stdout + done.stderr
    assert "failed" not in done.stdout.replace("0 failed", ""), done.stdout
    assert proxy.log == []  # 127.0.0.1 never went through the proxy


def test_other_hosts_go_through_the_proxy_and_its_failures_name_it(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.routes["/feed"] = Resource(rss(titled_items("proxied", 3)))
        server.routes["/direct"] = Resource(rss(titled_items("direct", 2)))
        feeds = {
            "proxied": "http://feeds.example.test/feed",  # the proxy forwards it to `server`
            "unknown": "http://nowhere.example.test/feed",  # the proxy answers 502
            "secure": "https://secure.example.test/feed",  # CONNECT, refused with 403
            "direct": server.url("/direct"),  # loopback: never the proxy
        }
        config = write_config(
            tmp_path,
            [{"url": url, "category": "c", "source": name} for name, url in feeds.items()],
            fetch={"retries": 0, "timeout": 20},
        )
        with LoggingProxy({"feeds.example.test": server.base}) as proxy:
            where = proxy.url.removeprefix("http://")
            with_password = proxy.url.replace("//", "//newsuser:pr0xy-s3cret@")
            done = cli_process(
                "run", "--json", "-c", str(config), cwd=tmp_path, env=proxy_env(with_password)
            )
    assert done.returncode == 0, done.stderr  # two of four failed: a partial failure
    summary = json.loads(done.stdout)
    assert summary["entries"]["new"] == 5  # the proxied feed and the direct one
    assert sorted(proxy.log) == [
        "CONNECT secure.example.test:443",
        "GET http://feeds.example.test/feed",
        "GET http://nowhere.example.test/feed",
    ]
    assert len(proxy.credentials) == 3 and all(c.startswith("Basic ") for c in proxy.credentials)
    reasons = {f["feed"]: f["reason"] for f in summary["feeds"]["failures"]}
    assert set(reasons) == {feeds["unknown"], feeds["secure"]}
    assert reasons[feeds["secure"]] == (
        f"the proxy {where} (https_proxy) refused to reach secure.example.test:"
        " HTTP 403 Forbidden by policy"
    )
    assert reasons[feeds["unknown"]].startswith("HTTP 502")
    assert reasons[feeds["unknown"]].endswith(f"(through the proxy {where} (http_proxy))")
    log = (tmp_path / ".newsstand" / "newsstand.log").read_text("utf-8")
    for text in (done.stdout, done.stderr, log):
        assert "pr0xy-s3cret" not in text


def test_a_proxy_that_does_not_answer_is_named(tmp_path: Path) -> None:
    with socket.socket() as closed:  # bound, never listening: connecting is refused
        closed.bind(("127.0.0.1", 0))
        where = f"127.0.0.1:{closed.getsockname()[1]}"
        config = write_config(
            tmp_path,
            [{"url": "http://feeds.example.test/feed", "category": "c", "source": "s"}],
            fetch={"retries": 0},
        )
        done = cli_process("run", "-c", str(config), cwd=tmp_path, env=proxy_env(f"http://{where}"))
    failed = [line for line in done.stdout.splitlines() if line.startswith("failed")]
    assert failed == [
        "failed   http://feeds.example.test/feed:"
        f" cannot connect to the proxy {where} (http_proxy): Connection refused"
    ], done.stdout
