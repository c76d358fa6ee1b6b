"""Benchmark: `newsstand build` over a store of N synthetic entries.

Entries are ~4 KB of Chinese HTML with 3 images, filed under 10 categories x 10 sources
x 5 channels, 100 a day. The store is filled through the store's own API (no fetching),
then three real `newsstand build` subprocesses are timed: a full build, a rebuild with
nothing new, and a rebuild after 100 new entries. Peak RSS is sampled over the process
tree (main process and render workers).

    python bench/bench_site.py --entries 10000

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_run import WORDS, measure, paragraph

from newsstand.config import load_config
from newsstand.model import Entry, Fetched, Outcome
from newsstand.store import open_store

PER_DAY = 100


def entry(rng: random.Random, n: int, start: datetime) -> Entry:
    images = "".join(
        f'<p><img src="https://img.example.com/{n}/{k}.jpg" alt="图{k}"></p>' for k in range(3)
    )
    html = images[: len(images) // 3] + "".join(paragraph(rng) for _ in range(8)) + images
    when = start + timedelta(seconds=n * 86400 // PER_DAY)
    return Entry(
        id=f"e{n}",
        link=f"https://news.example.com/{n}.html",
        title="".join(rng.choices(WORDS, k=5)) + f" 第{n}号",
        author=None,
        published=when,
        updated=None,
        content=html,
        thumbnail=f"https://img.example.com/{n}/0.jpg",
    )


def fill(config_path: Path, first: int, count: int, start: datetime) -> None:
    config = load_config(config_path)
    feeds = config.feeds
    rng = random.Random(first)
    with open_store(config.store.url) as store:
        store.sync_feeds(feeds)
        for base in range(first, first + count, 5000):
            by_feed: dict[int, list[Entry]] = {}
            for n in range(base, min(base + 5000, first + count)):
                by_feed.setdefault(n % len(feeds), []).append(entry(rng, n, start))
            store.record(
                [
                    Outcome(feeds[i], Fetched(feeds[i].key, feeds[i].url or "", 200), tuple(es))
                    for i, es in by_feed.items()
                ]
            )


def write_config(config: Path, *sections: str, base: str = "https://feeds.example.com") -> None:
    """A config of 500 feeds (10 categories x 10 sources x 5 channels, at ``base``/c/s/ch)
    after ``sections``, Hexo posts off."""
    lines = [*sections, "[output.hexo]\nenabled = false\n"]
    for c in range(10):
        for s in range(10):
            for ch in range(5):
                lines.append(
                    f'[[feeds]]\nurl = "{base}/{c}/{s}/{ch}"\n'
                    f'category = "分类{c}"\nsource = "来源{c}-{s}"\n'
                    f'channel = "频道{ch}"\n'
                )
    config.write_text("\n".join(lines), encoding="utf-8")


def du(folder: Path) -> tuple[int, int]:
    files = size = 0
    for root, _dirs, names in os.walk(folder):
        for name in names:
            files += 1
            size += os.lstat(os.path.join(root, name)).st_size
    return files, size


KINDS = {"posts": "entry pages", "category": "list pages", "archives": "list pages"}
KINDS.update({"page": "list pages", "index.html": "list pages", "search": "search"})


def breakdown(site: Path, entries: int) -> str:
    """What the bytes are: entry pages, list pages, search bundles, the rest."""
    kinds: dict[str, list[int]] = {}
    for root, _dirs, names in os.walk(site):
        rel = Path(root).relative_to(site).parts
        for name in names:
            n = kinds.setdefault(KINDS.get(rel[0] if rel else name, "other"), [0, 0])
            n[0] += 1
            n[1] += os.lstat(os.path.join(root, name)).st_size
    return ", ".join(
        f"{kind} {size / 1e6:.0f} MB in {files} files ({size / max(entries, 1) / 1e3:.1f} KB/entry)"
        for kind, (files, size) in sorted(kinds.items())
    )


def fullest(site: Path) -> tuple[str, int]:
    most, where = 0, ""
    for root, dirs, names in os.walk(site):
        if len(dirs) + len(names) > most:
            most, where = len(dirs) + len(names), os.path.relpath(root, site)
    return where, most


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a temp dir)")
    parser.add_argument(
        "--full-entries", type=int, help="[output.site] full_entries (default: its default)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        config = root / "newsstand.toml"
        site_settings = (
            f"[output.site]\nfull_entries = {args.full_entries}\n"
            if args.full_entries is not None
            else ""
        )
        write_config(config, '[site]\ntitle = "bench"\ntimezone = "Asia/Shanghai"\n', site_settings)
        start = datetime(2024, 1, 1, tzinfo=UTC)
        began = time.perf_counter()
        fill(config, 0, args.entries, start)
        print(
            f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]},"
            f" load {os.getloadavg()[0]:.2f}"
        )
        print(f"store: {args.entries} entries filled in {time.perf_counter() - began:.1f} s")
        cmd = [sys.executable, "-m", "newsstand.cli", "build", "--json", "--config", str(config)]
        site = root / "public"
        for name in ("full build", "rebuild, nothing new", "rebuild after 100 new entries"):
            if name.startswith("rebuild after"):
                fill(config, args.entries, 100, start)
            wall, peak, result = measure(cmd)
            files, size = du(site)
            print(
                f"{name}: {wall:.2f} s wall, peak RSS {peak:.0f} MB (process tree), "
                f"{result['pages']} pages ({result['rendered']} rendered, "
                f"{result['search_bundles_indexed']} search bundles indexed), "
                f"{files} files, {size / 1048576:.0f} MB on disk; phases "
                f"{result['phase_seconds']}"
            )
            phases = result["phase_seconds"]
            if name == "full build":
                where, most = fullest(site)
                print(f"  bytes: {breakdown(site, args.entries)}")
                print(f"  fullest folder: {where} ({most} entries)")
                print(
                    f"RESULT site-cold entries={args.entries}: {wall:.1f} s,"
                    f" search {phases.get('search', 0):.1f} s,"
                    f" render {phases.get('render', 0):.1f} s, peak {peak:.0f} MB,"
                    f" {result['bytes'] / 1e6:.0f} MB in {result['files']} files,"
                    f" fullest folder {most}, {wall / args.entries * 1000:.2f} ms an entry"
                )
            elif name.startswith("rebuild after"):
                print(f"RESULT site-rebuild-100 entries={args.entries}: {wall:.1f} s")
        subprocess.run(["sync"], check=False)


if __name__ == "__main__":
    main()
