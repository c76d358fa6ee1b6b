"""Benchmark: the image pass (``newsstand.publish.images``) over 10,000 entries with 3
pictures each (a thumbnail and two in the text, ``[images] content = true``), served by a
loopback host in a process of its own.

Every URL is its own picture to fetch and decode; the bytes come from a pool of
``--pool`` photo-like JPEGs (1000 x 667, noise over gradients, ~q85, as news photos
are), so the cache holds at most 2 x pool distinct files (a thumbnail and a text-width
file of each): the cache size of 30,000 distinct pictures is given as measured per file
times the count.

Figures:
- cold: the pass over an empty cache (list, fetch, decode, resize, encode, write, budget),
  wall time and pictures per second; peak RSS of the run and its workers together;
- warm: the pass again, nothing new: its wall time (target: at most 1 s);
- bytes per thumbnail and per text picture (median, p95), the cache's size;
- store save with the cache: the first save's size and time, and what a second save
  after 1 % new entries adds to the remote repository.

    python bench/bench_images.py [--entries 10000] [--pool 300] [--per-host 4]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
from PIL import Image

FEEDS = 20


def photo(seed: int, width: int = 1000, height: int = 667) -> bytes:
    rng = random.Random(seed)
    small = Image.new("RGB", (24, 16))
    small.putdata(
        [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(24 * 16)]
    )
    im = small.resize((width, height), Image.Resampling.BICUBIC)
    noise = Image.frombytes("L", (width, height), rng.randbytes(width * height)).convert("RGB")
    im = Image.blend(im, noise, 0.08)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def feed(number: int, entries: int, base: str) -> bytes:
    items = []
    for n in range(entries):
        uid = number * 1_000_000 + n
        pics = [f"{base}/img/{uid}-{k}.jpg" for k in range(3)]
        day = 1 + n % 28
        items.append(
            f"<item><title>Entry {uid}</title><link>{base}/e/{uid}</link>"
            f'<guid isPermaLink="false">e{uid}</guid>'
            f"<pubDate>{['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][n % 7]},"
            f" {day:02d} Jan 2024 {n % 24:02d}:{n % 60:02d}:00 GMT</pubDate>"
            f'<description><![CDATA[<p><img src="{pics[0]}"></p><p>text {uid}</p>'
            f'<p><img src="{pics[1]}"></p><p>more</p><p><img src="{pics[2]}"></p>]]>'
            "</description></item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
        f"<link>{base}/</link><description>d</description>{''.join(items)}</channel></rss>"
    ).encode()


def serve(port_out: multiprocessing.Queue, pool_size: int, entries: int) -> None:
    """The image host (and the feeds), in a process of its own."""
    pool = [photo(seed) for seed in range(pool_size)]
    feeds: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path
            if path.startswith("/img/"):
                uid, k = path[5:-4].split("-")
                body, kind = pool[(int(uid) * 3 + int(k)) % pool_size], "image/jpeg"
            elif path.startswith("/feed/"):
                body, kind = feeds[path], "application/rss+xml"
            else:
                body, kind = b"not found", "text/plain"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    per_feed = entries // FEEDS
    for number in range(FEEDS + 1):  # the last: the 1 % that comes later
        count = per_feed if number < FEEDS else max(1, entries // 100)
        feeds[f"/feed/{number}"] = feed(number, count, base)
    port_out.put(base)
    httpd.serve_forever()


class Peak:
    """The largest RSS of this process and its descendants, sampled every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.05):
            try:
                procs = [me, *me.children(recursive=True)]
                total = sum(p.memory_info().rss for p in procs if p.is_running())
            except psutil.Error:
                continue
            self.peak = max(self.peak, total)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def pct(values: list[int], q: float) -> int:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0


def du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--pool", type=int, default=300)
    parser.add_argument("--per-host", type=int, default=4)
    args = parser.parse_args()

    from newsstand import pipeline
    from newsstand.config import load_config
    from newsstand.publish import images
    from newsstand.store import open_store
    from newsstand.workers import Workers

    queue: multiprocessing.Queue = multiprocessing.Queue()
    host = multiprocessing.get_context("fork").Process(
        target=serve, args=(queue, args.pool, args.entries), daemon=True
    )
    host.start()
    base = queue.get(timeout=600)
    print(f"cores: {os.cpu_count()}; load: {os.getloadavg()[0]:.2f}")
    print(f"entries: {args.entries} x 3 pictures from {base} (pool of {args.pool} photos)")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lines = [
            '[site]\nurl = "https://news.example.org"\n',
            f"[fetch]\nper_host = {args.per_host}\ninterval = 0\nmin_interval = 0\n",
            "[images]\ncontent = true\nmax_bytes = 900000000\n",
            "[output.hexo]\nenabled = false\n",
        ]
        for number in range(FEEDS):
            lines.append(
                f'[[feeds]]\nurl = "{base}/feed/{number}"\ncategory = "c"\nsource = "s{number}"\n'
            )
        (root / "newsstand.toml").write_text("\n".join(lines), encoding="utf-8")
        config = load_config(root / "newsstand.toml")
        started = time.perf_counter()
        fetched = pipeline.run(config, do_publish=False)
        stored = sum(r.new for r in fetched.feeds)
        print(f"feeds fetched: {stored} entries stored in {time.perf_counter() - started:.1f} s")

        with open_store(config.store.url) as store, Workers() as workers:
            with Peak() as peak:
                started = time.perf_counter()
                cold = images.run(config, store, workers)
                cold_s = time.perf_counter() - started
            print(
                f"cold: {cold_s:.1f} s for {cold.fetched} pictures"
                f" ({cold.fetched / cold_s:.0f}/s): {cold.made} made, {cold.failed} failed,"
                f" {cold.refused} refused; peak RSS (run + workers) {peak.peak / 1e6:.0f} MB"
            )
            warm_times = []
            for _ in range(3):
                started = time.perf_counter()
                warm = images.run(config, store, workers)
                warm_times.append(time.perf_counter() - started)
            print(
                f"warm (nothing new): {min(warm_times):.2f} s best of 3"
                f" (median {statistics.median(warm_times):.2f} s); fetched {warm.fetched}"
            )
            records = store.image_records()
            thumbs = {
                r.name: r.size
                for url, r in records.items()
                if r.name and url.endswith("-0.jpg")  # the thumbnails (first picture)
            }
            texts = {
                r.name: r.size for url, r in records.items() if r.name and r.name not in thumbs
            }
        t, c = list(thumbs.values()), list(texts.values())
        print(
            f"thumbnail bytes: median {statistics.median(t):.0f}, p95 {pct(t, 0.95)},"
            f" max {max(t)} ({len(t)} distinct files; aim 30,000)"
        )
        print(f"text picture bytes: median {statistics.median(c):.0f}, p95 {pct(c, 0.95)}")
        cache = du(config.state.images)
        distinct = len(t) + len(c)
        print(
            f"cache: {cache / 1e6:.1f} MB in {distinct} files; with every one of the"
            f" {cold.fetched} pictures distinct: ~{cache / distinct * cold.fetched / 1e6:.0f} MB"
            f" ({statistics.mean(t) * args.entries / 1e6:.0f} MB of it thumbnails)"
        )

        remote = root / "remote.git"
        subprocess.run(["git", "init", "--bare", "--quiet", str(remote)], check=True)
        env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        save = [sys.executable, "-m", "newsstand.cli", "store", "save", "--repo", str(remote)]
        started = time.perf_counter()
        subprocess.run([*save, "-c", str(config.path)], check=True, env=env, capture_output=True)
        first, took = du(remote), time.perf_counter() - started
        print(f"store save (store + cache): {first / 1e6:.1f} MB, {took:.1f} s")
        text = (root / "newsstand.toml").read_text("utf-8")
        text += f'\n[[feeds]]\nurl = "{base}/feed/{FEEDS}"\ncategory = "c"\nsource = "late"\n'
        (root / "newsstand.toml").write_text(text, encoding="utf-8")
        config = load_config(root / "newsstand.toml")
        pipeline.run(config, do_publish=False)
        with open_store(config.store.url) as store, Workers() as workers:
            later = images.run(config, store, workers)
        started = time.perf_counter()
        subprocess.run([*save, "-c", str(config.path)], check=True, env=env, capture_output=True)
        print(
            f"second save after {later.made} new pictures: remote grew"
            f" {(du(remote) - first) / 1e6:.1f} MB (the store's gzip included),"
            f" {time.perf_counter() - started:.1f} s"
        )
    host.terminate()


if __name__ == "__main__":
    main()
