"""Benchmark: many feeds in one run, and the per-host limit an RSSHub-heavy config needs.

Part 1, scale: N feeds (20 items of ~4 KB Chinese HTML each, as bench_run.py) served by
N/100 loopback servers on their own addresses (127.0.0.2, 127.0.0.3, …: one host per 100
feeds), timed as real `newsstand run` subprocesses: a cold run, then a forced rerun
(`run --all`, every feed answering 304). The site and Hexo posts are off and stories
too (the feeds share their texts: every item would be one story): what is timed is
fetch → parse → clean → store. Run it at several sizes to see the cost per feed.

Part 2, `--rsshub`: 400 routes on one RSSHub-like host that takes 50 ms per answer,
fetched with `[rsshub] per_host` at 4 (the polite default) and at 16 (a self-hosted
instance).

    python bench/bench_feeds.py --feeds 500 2000 10000
    python bench/bench_feeds.py --rsshub

Prints figures and the load; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from bench_run import feed, measure

from newsstand.demo.server import FeedServer, Resource

PER_HOST_FEEDS = 100
POOL = 50  # distinct documents; feed i serves document i % POOL with its own ids


def documents(count: int) -> list[bytes]:
    return [feed(i, 20) for i in range(count)]


def own(document: bytes, n: int) -> bytes:
    """The document with feed ``n``'s own ids and links (the text is shared)."""
    return document.replace(b"news.example.com/", f"news.example.com/f{n}/".encode())


def scale(feeds: int) -> dict[str, float]:
    pool = documents(POOL)
    hosts = (feeds + PER_HOST_FEEDS - 1) // PER_HOST_FEEDS
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        servers = [
            stack.enter_context(FeedServer(host=f"127.0.{2 + k // 250}.{2 + k % 250}"))
            for k in range(hosts)
        ]
        lines = [
            "[fetch]\ninterval = 0\nmin_interval = 0\nconcurrency = 32\n",
            "[output.hexo]\nenabled = false\n[output.site]\nenabled = false\n",
            "[stories]\nenabled = false\n",
        ]
        for n in range(feeds):
            server = servers[n // PER_HOST_FEEDS]
            server.routes[f"/f/{n}"] = Resource(own(pool[n % POOL], n))
            lines.append(
                f'[[feeds]]\nurl = "{server.url(f"/f/{n}")}"\ncategory = "分类{n % 10}"\n'
                f'source = "来源{n % 100}"\nchannel = "频道{n}"\n'
            )
        config = Path(tmp) / "newsstand.toml"
        config.write_text("\n".join(lines), encoding="utf-8")
        cmd = [sys.executable, "-m", "newsstand.cli", "run", "--json", "--config", str(config)]
        figures = {}
        for name, command in (("cold run", cmd), ("forced rerun, all 304", [*cmd, "--all"])):
            load = os.getloadavg()[0]
            wall, peak, summary = measure(command)
            stored = summary["entries"]["new"] + summary["entries"]["updated"]
            print(
                f"{feeds} feeds on {hosts} hosts, {name}: {wall:.1f} s wall"
                f" ({wall / feeds * 1000:.2f} ms a feed), peak RSS {peak:.0f} MB,"
                f" {summary['feeds']['ok']}/{summary['feeds']['total']} ok, {stored} entries"
                f" stored; phases {summary['phase_seconds']}; load {load:.2f}"
            )
            figures[name] = wall
            figures[name + " peak MB"] = peak
    return figures


def rsshub(per_host: int, routes: int = 400, delay: float = 0.05) -> float:
    body = feed(0, 5)

    def slow(_request: BaseHTTPRequestHandler) -> Resource:
        time.sleep(delay)
        return Resource(body)

    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        for n in range(routes):
            server.routes[f"/route/{n}"] = slow
        lines = [
            f'[rsshub]\ninstances = ["{server.base}"]\nper_host = {per_host}\n',
            "[fetch]\ninterval = 0\nmin_interval = 0\nconcurrency = 32\n",
            "[output.hexo]\nenabled = false\n[output.site]\nenabled = false\n",
            "[stories]\nenabled = false\n",
        ]
        lines += [
            f'[[feeds]]\nroute = "/route/{n}"\ncategory = "c"\nsource = "s{n}"\n'
            for n in range(routes)
        ]
        config = Path(tmp) / "newsstand.toml"
        config.write_text("\n".join(lines), encoding="utf-8")
        cmd = [sys.executable, "-m", "newsstand.cli", "run", "--json", "--config", str(config)]
        load = os.getloadavg()[0]
        wall, _peak, summary = measure(cmd)
        print(
            f"{routes} routes on one RSSHub host answering in {delay * 1000:.0f} ms,"
            f" [rsshub] per_host = {per_host}: {wall:.1f} s wall"
            f" (fetch {summary['phase_seconds'].get('fetch', 0):.1f} s); load {load:.2f}"
        )
        return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, nargs="*", default=[500])
    parser.add_argument("--rsshub", action="store_true", help="part 2: [rsshub] per_host")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if args.rsshub:
        polite, own_instance = rsshub(4), rsshub(16)
        print(f"RESULT rsshub-per-host: 4 → {polite:.1f} s, 16 → {own_instance:.1f} s")
        return
    per_feed = {}
    for feeds in args.feeds:
        figures = scale(feeds)
        per_feed[feeds] = figures["cold run"] / feeds
        print(
            f"RESULT feeds={feeds}: cold {figures['cold run']:.1f} s,"
            f" peak {figures['cold run peak MB']:.0f} MB, rerun (304)"
            f" {figures['forced rerun, all 304']:.1f} s"
        )
    if len(per_feed) > 1:
        low, high = min(per_feed), max(per_feed)
        print(
            f"RESULT cost per feed, {high} feeds against {low}:"
            f" {per_feed[high] / per_feed[low]:.2f}x (flat: 1.0)"
        )


if __name__ == "__main__":
    main()
