"""Benchmark: `newsstand worker` processes sharing a PostgreSQL store.

Serves N feeds (10 items of ~1,500 characters of Chinese HTML each, half random) from
four loopback servers (127.0.0.1-4) that answer every request after ``--latency``
seconds (200 ms: the figure is about coordination, not CPU), and for 1, 2 and 4
workers, each in a fresh schema of the PostgreSQL at ``--postgres``:

- throughput: every feed new and due; the workers run until nothing is due
  (``--until-idle``): feeds per minute, store statements per fetched feed;
- claim lag: the same feeds fall due again spread over ``--spread`` seconds (interval
  and jitter), the workers running throughout: how late each was claimed (p50, p95);
- the store's size per million entries (tables and indexes).

    python bench/bench_fleet.py --feeds 2000

Prints figures and the machine's load; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg

from newsstand.demo.server import FeedServer, Resource

WORDS = [
    "先进制造业",
    "集聚中心",
    "数字经济",
    "高质量发展",
    "国际航运",
    "金融",
    "贸易",
    "新能源汽车",
    "产业链",
    "央行",
    "利率",
]


def body(n: int, items: int = 10) -> bytes:
    rng = random.Random(n)
    parts = []
    for i in range(items):
        # words and random characters: about as compressible as real text (TOAST
        # compresses what it stores), so the size per million entries is not flattered
        text = "".join(
            rng.choice(WORDS) if rng.random() < 0.5 else chr(rng.randint(0x4E00, 0x9FFF))
            for _ in range(600)
        )
        parts.append(
            f"<item><title>{rng.choice(WORDS)} {n}-{i}</title><guid>f{n}-{i}</guid>"
            f"<link>https://example.com/{n}/{i}</link>"
            f"<pubDate>Mon, 0{1 + i % 9} Jan 2024 10:00:00 GMT</pubDate>"
            f"<description><![CDATA[<p>{text}</p>]]></description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>feed {n}</title>{''.join(parts)}</channel></rss>"
    ).encode()


class Farm:
    def __init__(self, feeds: int, latency: float) -> None:
        self.servers = [FeedServer(host=f"127.0.0.{h + 1}") for h in range(4)]
        self.latency = latency
        self.requests = 0
        self.lock = threading.Lock()
        self.urls = []
        for n in range(feeds):
            server = self.servers[n % 4]
            resource = Resource(body(n))
            server.routes[f"/f{n}"] = self._slow(resource)
            self.urls.append(server.url(f"/f{n}"))

    def _slow(self, resource: Resource):  # type: ignore[no-untyped-def]
        def answer(_: object) -> Resource:
            with self.lock:
                self.requests += 1
            time.sleep(self.latency)
            return resource

        return answer

    def __enter__(self) -> Farm:
        for s in self.servers:
            s.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for s in self.servers:
            s.stop()


def write_config(folder: Path, url: str, farm: Farm, interval: str, jitter: float) -> Path:
    lines = [
        "[store]",
        f'url = "{url}"',
        "[fetch]",
        f'interval = "{interval}"',
        'min_interval = "1s"',
        f"jitter = {jitter}",
        "per_host = 64",
        "timeout = 30",
        "[output.hexo]",
        "enabled = false",
        "[output.site]",
        "enabled = false",
        "",
    ]
    for n, feed in enumerate(farm.urls):
        lines += ["[[feeds]]", f'url = "{feed}"', 'category = "c"', f'source = "s{n % 40}"', ""]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "newsstand.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


STARTED: list[subprocess.Popen[str]] = []  # ended however the bench ends


def start(config: Path, count: int, *extra: str) -> list[subprocess.Popen[str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "newsstand", "worker", "-c", str(config), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    STARTED.extend(procs)
    return procs


def joined(url: str, count: int) -> None:
    while True:
        with psycopg.connect(url) as conn:
            try:
                (n,) = conn.execute("SELECT count(*) FROM workers").fetchone() or (0,)
            except psycopg.errors.UndefinedTable:
                n = 0
        if n >= count:
            return
        time.sleep(0.1)


def one(base: str, workers: int, feeds: int, latency: float, spread: float, batch: int) -> None:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}', safe='')}"
    try:
        with Farm(feeds, latency) as farm, tempfile.TemporaryDirectory() as tmp:
            config = write_config(Path(tmp), url, farm, "1d", 0.0)
            procs = start(config, workers, "--batch", str(batch), "--until-idle")
            joined(url, workers)
            began = time.monotonic()
            for p in procs:
                p.wait()
            elapsed = time.monotonic() - began
            with psycopg.connect(url) as conn:
                (fetched, queries) = conn.execute(
                    "SELECT sum(fetched), sum(queries) FROM workers"
                ).fetchone()
                (entries,) = conn.execute("SELECT count(*) FROM entries").fetchone()
                (size,) = conn.execute(  # bytes
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN"
                    " pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s"
                    " AND c.relkind = 'r'",
                    (schema,),
                ).fetchone()
                (content,) = conn.execute("SELECT avg(length(content)) FROM entries").fetchone()
                size, content = float(size), float(content)
            print(
                f"{workers} worker(s): {feeds} feeds in {elapsed:.1f} s ="
                f" {feeds / elapsed * 60:,.0f} feeds/min; {queries / fetched:.1f} store"
                f" statements per fetched feed; {entries} entries, {size / 2**20:.1f} MiB"
                f" = {size / entries * 1e6 / 2**30:.2f} GiB per million entries"
                f" (content ~{content:.0f} characters each)",
                flush=True,
            )
            # claim lag: due again spread over `spread` s; the workers run throughout
            config = write_config(Path(tmp), url, farm, f"{spread:g}s", 1.0)
            lagging = time.time()
            procs = start(config, workers, "--batch", str(batch))
            time.sleep(spread * 2 + 10)
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait()
            with psycopg.connect(url) as conn:
                again = conn.execute(
                    "SELECT sum(fetched), sum(queries) FROM workers"
                    " WHERE started > to_timestamp(%s)",
                    (lagging,),
                ).fetchone()
                row = conn.execute(
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY claim_lag_ms),"
                    " percentile_cont(0.95) WITHIN GROUP (ORDER BY claim_lag_ms), count(*)"
                    " FROM feeds WHERE claimed_at > to_timestamp(%s) + interval '5 seconds'",
                    (lagging,),
                ).fetchone()
            print(
                f"    claim lag with due times spread over {spread:g} s: p50 {row[0] / 1000:.2f} s,"
                f" p95 {row[1] / 1000:.2f} s ({row[2]} claims); refetches (304):"
                f" {again[0]} at {again[1] / max(again[0] or 1, 1):.1f} statements each"
                if row and row[0] is not None
                else "    claim lag: no claims",
                flush=True,
            )
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--spread", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("NEWSSTAND_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on SIGTERM too
    load = os.getloadavg()
    print(
        f"{os.cpu_count()} cores; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f};"
        f" {args.feeds} feeds, {args.latency * 1000:.0f} ms per request, batches of {args.batch}",
        flush=True,
    )
    try:
        for count in (int(w) for w in args.workers.split(",")):
            one(args.postgres, count, args.feeds, args.latency, args.spread, args.batch)
    finally:
        for proc in STARTED:
            if proc.poll() is None:
                proc.kill()
    load = os.getloadavg()
    print(f"load after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
