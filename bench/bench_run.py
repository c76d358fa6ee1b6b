"""Benchmark: `newsstand run` over N synthetic RSSHub-like feeds served from 127.0.0.1.

Each feed holds 20 items of ~4 KB Chinese HTML with 3 images. Times a run from a cold
store, then `run --all` with nothing new (every feed answers 304), then a plain `run`
with no feed due yet (what a frequent cron tick costs), each as a real subprocess;
peak RSS is sampled over the whole process tree (main process plus parse workers).

    python bench/bench_run.py --feeds 500

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from newsstand.demo.server import FeedServer, Resource

WORDS = (
    "先进制造业",
    "集聚中心",
    "战略性新兴产业",
    "重点项目",
    "总投资",
    "数字经济",
    "高质量发展",
    "国际航运",
    "物流中心",
    "金融",
    "贸易",
    "自由贸易试验区",
    "新能源汽车",
    "产业链",
    "创新策源",
    "市场",
    "投资者",
    "央行",
    "利率",
    "股市",
    "债券",
    "基金",
    "消费",
    "出口",
    "制造",
    "科技",
    "人工智能",
    "芯片",
    "半导体",
    "数据",
)


def paragraph(rng: random.Random) -> str:
    return "<p>" + "，".join("".join(rng.choices(WORDS, k=4)) for _ in range(9)) + "。</p>"


def item(rng: random.Random, feed: int, n: int) -> str:
    images = "".join(
        f'<p><img src="https://img.example.com/{feed}/{n}/{k}.jpg" alt="图{k}"></p>'
        for k in range(3)
    )
    body = images[: len(images) // 3] + "".join(paragraph(rng) for _ in range(10)) + images
    day = 1 + (feed + n) % 28
    return (
        f"<item><title><![CDATA[{''.join(rng.choices(WORDS, k=5))} 第{n}号]]></title>"
        f"<description><![CDATA[{body}]]></description>"
        f"<pubDate>Mon, {day:02d} Jan 2024 {n % 24:02d}:{feed % 60:02d}:00 GMT</pubDate>"
        f'<guid isPermaLink="false">https://news.example.com/{feed}/{n}</guid>'
        f"<link>https://news.example.com/{feed}/{n}.html</link></item>"
    )


def feed(index: int, items: int) -> bytes:
    rng = random.Random(index)
    body = "".join(item(rng, index, n) for n in range(items))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title><![CDATA[频道{index}]]></title><link>https://news.example.com/{index}</link>"
        "<description>RSSHub-like</description><generator>RSSHub</generator>"
        f"{body}</channel></rss>"
    ).encode()


def naive(base: str, feeds: int, out: Path) -> int:
    """The reference: what the script newsstand replaces does, in threads: fetch each feed,
    parse it with ElementTree, write a Hexo post per item (no sanitising, no store)."""
    import urllib.request
    import xml.etree.ElementTree as ET
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> int:
        with urllib.request.urlopen(f"{base}/bench/{i}", timeout=30) as answer:
            root = ET.fromstring(answer.read())
        folder = out / f"分类{i % 10}" / f"来源{i % 100}" / f"频道{i}"
        folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for item in root.iter("item"):
            title = item.findtext("title") or ""
            name = "".join(c for c in title if c not in '/\\:*?"<>|')[:80]
            (folder / f"{name}.md").write_text(
                f"---\ntitle: '{title}'\ndate: {item.findtext('pubDate')}\n---\n\n"
                f"<div>\n{item.findtext('description')}\n</div>\n",
                encoding="utf-8",
            )
            count += 1
        return count

    with ThreadPoolExecutor(16) as pool:
        return sum(pool.map(one, range(feeds)))


def measure(cmd: list[str]) -> tuple[float, float, dict]:
    """Wall time, peak RSS of the process tree (MB), and the JSON summary."""
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"newsstand run failed ({proc.returncode}):\n{err.decode()}")
    return wall, peak / 1048576, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--no-site", action="store_true", help="[output.site] enabled = false")
    parser.add_argument("--naive", action="store_true", help="time the naive reference first")
    parser.add_argument("--no-stories", action="store_true", help="[stories] enabled = false")
    args = parser.parse_args()

    documents = {f"/bench/{i}": feed(i, args.items) for i in range(args.feeds)}
    size = sum(len(d) for d in documents.values()) / len(documents) / 1024
    with (
        FeedServer({p: Resource(d) for p, d in documents.items()}) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        config = Path(tmp) / "newsstand.toml"
        lines = [f'[rsshub]\ninstances = ["{server.base}"]\n']
        # the items' pictures are on img.example.com, and no benchmark reaches the internet
        # (bench_images.py measures the image pass)
        lines.append("[images]\nenabled = false\n")
        if args.no_site:
            lines.append("[output.site]\nenabled = false\n")
        if args.no_stories:
            lines.append("[stories]\nenabled = false\n")
        for i in range(args.feeds):
            lines.append(
                f'[[feeds]]\nroute = "/bench/{i}"\ncategory = "分类{i % 10}"\n'
                f'source = "来源{i % 100}"\nchannel = "频道{i}"\n'
            )
        config.write_text("\n".join(lines), encoding="utf-8")
        cmd = [sys.executable, "-m", "newsstand.cli", "run", "--json", "--config", str(config)]
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
        print(f"feeds: {args.feeds} x {args.items} items, {size:.0f} KB per feed on average")
        runs = (
            ("first run (cold store)", cmd),
            ("second run --all (nothing new: every feed answers 304)", [*cmd, "--all"]),
            ("third run (nothing due yet: what a frequent cron tick costs)", cmd),
        )
        keys = ("run-cold", "run-304", "run-not-due")
        if args.naive:
            began = time.perf_counter()
            written = naive(server.base, args.feeds, Path(tmp) / "naive")
            wall = time.perf_counter() - began
            print(
                f"reference: a naive pipeline (threads, urllib, ElementTree, posts written"
                f" with str.format, no sanitising, no store): {wall:.2f} s, {written} posts"
            )
            print(f"RESULT naive feeds={args.feeds}: {wall:.2f} s")
        for key, (name, command) in zip(keys, runs, strict=True):
            load = os.getloadavg()[0]
            wall, peak, summary = measure(command)
            print(
                f"RESULT {key} feeds={args.feeds} site={'off' if args.no_site else 'on'}:"
                f" {wall:.2f} s, peak {peak:.0f} MB, load {load:.2f}"
            )
            entries = summary["entries"]["new"] + summary["entries"]["updated"]
            print(
                f"{name}: {wall:.2f} s wall, peak RSS {peak:.0f} MB (process tree), "
                f"{summary['feeds']['ok']}/{summary['feeds']['total']} feeds ok, "
                f"{entries} entries stored ({entries / wall:.0f}/s), "
                f"{summary['posts']['written']} posts written; in-process phases "
                f"{summary['phase_seconds']}"
            )
        main_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"largest single process: {main_peak:.0f} MB")


if __name__ == "__main__":
    main()
