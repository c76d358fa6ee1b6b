"""Benchmark: the CI cycle on a fresh runner, with the build state restored from a cache.

What the workflow `init --github-actions` writes does on each scheduled run, each step a
real `newsstand` subprocess (or the tar that actions/cache runs), in a new folder:

    restore  the build state from a copied cache (tar + zstd, as actions/cache) and the
             store from the data branch of a local bare repository (`store restore`)
    run      `newsstand run --all`: 500 feeds on 127.0.0.1, 50 of them with a new item,
             the rest answering 304
    deploy   `newsstand deploy` to the same bare repository
    save     `newsstand store save`, and the build state into a new cache entry

The history (N entries) is filled through the store's API, then one cold cycle builds,
deploys and saves everything and caches the build state. The timed cycle follows, and
for reference the same cycle with no cache (what a run cost before the cache).

    python bench/bench_ci.py --entries 10000

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_site import PER_DAY, fill
from bench_site import write_config as site_config

from newsstand.demo.server import FeedServer, Resource

CACHED = ("public", ".newsstand/deploy")  # the workflow's actions/cache paths
START = datetime(2024, 1, 1, tzinfo=UTC)  # the history's first day (PER_DAY a day)
TARGETS = {10000: 15.0, 100000: 60.0}  # seconds, from the issue


def feed(items: list[tuple[int, int]], at: datetime = START) -> bytes:
    """A feed of ``items`` (feed, number), dated from ``at`` on."""
    body = "".join(
        f"<item><title>新消息 {f}-{n}</title><guid>new-{f}-{n}</guid>"
        f"<link>https://news.example.com/new/{f}/{n}.html</link>"
        f"<pubDate>{at + timedelta(minutes=n):%a, %d %b %Y %H:%M:%S} GMT</pubDate>"
        f"<description><![CDATA[<p>{'新的段落，' * 200}</p>]]></description></item>"
        for f, n in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>bench</title><link>https://news.example.com/</link>{body}</channel></rss>"
    ).encode()


def write_config(path: Path, base: str, remote: Path) -> None:
    """bench_site's 500 feeds, served by the bench's server, deployed to ``remote``: feed
    URLs name their place, in the order bench_site.fill files entries under them."""
    site_config(
        path,
        '[site]\ntitle = "bench"\nurl = "https://news.example.org"\n',
        "[fetch]\ninterval = 0\nmin_interval = 0\nretries = 0\n",
        # the history's pictures are on img.example.com, which no bench reaches: without
        # this, every cycle retries thousands of them (bench_images.py times that pass)
        "[images]\nenabled = false\n",
        f'[deploy]\nrepo = "{remote}"\n',
        base=f"{base}/f",
    )


def timed(cmd: list[str], cwd: Path) -> tuple[float, dict | list | None]:
    began = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - began
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd[:4])} failed ({done.returncode}):\n{done.stderr.decode()}")
    try:
        return wall, json.loads(done.stdout)
    except ValueError:
        return wall, None


def cache_save(runner: Path, cache: Path) -> float:
    began = time.perf_counter()
    paths = [p for p in CACHED if (runner / p).exists()]
    subprocess.run(["tar", "-I", "zstd -T0 -3", "-cf", str(cache), *paths], cwd=runner, check=True)
    return time.perf_counter() - began


def cache_restore(runner: Path, cache: Path) -> float:
    began = time.perf_counter()
    if cache.exists():
        subprocess.run(["tar", "-I", "zstd -T0", "-xf", str(cache)], cwd=runner, check=True)
    return time.perf_counter() - began


def cycle(
    name: str, root: Path, config: Path, remote: Path, cache: Path | None, new_cache: Path
) -> dict[str, float]:
    """One scheduled run in a new folder; the seconds of each step."""
    runner = root / f"runner-{name.split()[0]}-{time.time_ns()}"
    runner.mkdir()
    shutil.copy(config, runner / "newsstand.toml")
    cli = [sys.executable, "-m", "newsstand.cli"]
    steps: dict[str, float] = {}
    restore_cache = cache_restore(runner, cache) if cache else 0.0
    wall, _ = timed([*cli, "store", "restore", "--json"], runner)
    steps["restore"] = restore_cache + wall
    print(f"  restore: the cache {restore_cache:.1f} s, the store {wall:.1f} s")
    wall, summary = timed([*cli, "run", "--all", "--json"], runner)
    steps["run"] = wall
    wall, pushed = timed([*cli, "deploy", "--json"], runner)
    steps["deploy"] = wall
    wall, _ = timed([*cli, "store", "save", "--json"], runner)
    saved = cache_save(runner, new_cache)
    steps["save"] = wall + saved
    print(f"  save: the store {wall:.1f} s, the cache {saved:.1f} s")
    total = sum(steps.values())
    assert isinstance(summary, dict) and isinstance(pushed, list)
    site = summary.get("site") or {}
    print(
        f"{name}: {total:.1f} s = "
        + " + ".join(f"{k} {v:.1f}" for k, v in steps.items())
        + f"; {summary['entries']['new']} new entries, site {site.get('pages')} pages"
        f" ({site.get('rendered')} rendered, {site.get('search_bundles_indexed')} search"
        f" bundles indexed, {(site.get('bytes') or 0) / 1e6:.0f} MB), deploy"
        f" {pushed[0]['files_changed']} files changed; run phases {summary['phase_seconds']},"
        f" site phases {site.get('phase_seconds')}; load {os.getloadavg()[0]:.2f}"
    )
    shutil.rmtree(runner, ignore_errors=True)
    return {**steps, "total": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--new", type=int, default=50)
    parser.add_argument("--no-reference", action="store_true", help="skip the uncached cycle")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]},"
        f" load {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as server:
        root = Path(tmp)
        remote = root / "remote.git"
        subprocess.run(["git", "init", "--bare", "--quiet", str(remote)], check=True)
        for c in range(10):
            for s in range(10):
                for ch in range(5):
                    server.routes[f"/f/{c}/{s}/{ch}"] = Resource(feed([]))
        config = root / "newsstand.toml"
        write_config(config, server.base, remote)
        setup = root / "setup"
        setup.mkdir()
        shutil.copy(config, setup / "newsstand.toml")
        began = time.perf_counter()
        fill(setup / "newsstand.toml", 0, args.entries, START)
        new_at = START + timedelta(days=args.entries // PER_DAY + 1)  # news: after all of it
        subprocess.run(
            [sys.executable, "-m", "newsstand.cli", "store", "save", "--json"],
            cwd=setup,
            check=True,
            capture_output=True,
        )
        print(f"history: {args.entries} entries stored in {time.perf_counter() - began:.1f} s")
        first = root / "cache-0.tar.zst"
        cold = cycle("cold cycle (no cache yet)", root, config, remote, None, first)
        size = first.stat().st_size
        print(f"  build-state cache: {size / 1e6:.0f} MB (tar + zstd)")
        # the next run: new items in args.new feeds
        paths = sorted(server.routes)
        for k in range(args.new):
            server.routes[paths[k * len(paths) // args.new]] = Resource(feed([(k, 1)], new_at))
        second = root / "cache-1.tar.zst"
        warm = cycle("cycle with the cache restored", root, config, remote, first, second)
        target = TARGETS.get(args.entries)
        shown = f"target ≤ {target:.0f} s" if target else "no target at this size"
        met = "met" if target and warm["total"] <= target else "missed" if target else ""
        print(
            f"RESULT ci-cycle entries={args.entries} new={args.new}: {warm['total']:.1f} s"
            f" ({shown}{', ' + met if met else ''}); reference: the cold cycle"
            f" {cold['total']:.1f} s"
        )
        if not args.no_reference:
            for k in range(args.new):
                server.routes[paths[k * len(paths) // args.new]] = Resource(
                    feed([(k, 1), (k, 2)], new_at)
                )
            third = root / "cache-2.tar.zst"
            cycle("reference: the same cycle with no cache", root, config, remote, None, third)


if __name__ == "__main__":
    main()
