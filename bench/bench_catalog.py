"""Benchmark: the route catalog — parse RSSHub's docs, sync from /api/namespace, search.

Parses the docs snapshots in ../shared/data/rsshub (both formats) in-process, then serves
an /api/namespace built from the shared sample with its namespaces repeated (``--copies``,
default 100: about as many routes as a full RSSHub instance has) from 127.0.0.1 and times
``newsstand routes sync`` and ``newsstand routes search`` as real subprocesses.

    python bench/bench_catalog.py --copies 100

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsstand.demo.server import FeedServer, Resource
from newsstand.sources.catalog import parse_docs_dir

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "rsshub"


def timed(args: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "newsstand.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100)
    options = parser.parse_args()
    print(f"cores: {os.cpu_count()}")
    for which in ("docs-old", "docs-new"):
        started = time.perf_counter()
        routes = parse_docs_dir(SHARED / which)
        elapsed = time.perf_counter() - started
        print(f"parse {which}: {len(routes)} routes in {elapsed * 1000:.0f} ms")

    sample = json.loads((SHARED / "api-namespace-sample.json").read_text("utf-8"))
    big = {
        f"{name}{i}" if i else name: info
        for i in range(options.copies)
        for name, info in sample.items()
    }
    body = json.dumps(big, ensure_ascii=False).encode("utf-8")
    count = sum(len(info["routes"]) for info in big.values())
    with (
        FeedServer({"/api/namespace": Resource(body, "application/json")}) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        root = Path(tmp)
        (root / "newsstand.toml").write_text(f'[rsshub]\ninstances = ["{server.base}"]\n', "utf-8")
        for run in ("first", "again"):
            elapsed, result = timed(["routes", "sync", "--json"], root)
            synced = json.loads(result.stdout)["routes"]
            print(
                f"routes sync ({run}): {synced} routes ({len(body) / 1e6:.1f} MB JSON,"
                f" {count} expected) in {elapsed:.2f} s (subprocess, incl. start-up)"
            )
        for words in (["财联社"], ["finance"], ["sina", "china"]):
            elapsed, result = timed(
                ["routes", "search", "--json", "--limit", "100000", *words], root
            )
            print(
                f"routes search {' '.join(words)}: {len(json.loads(result.stdout))} routes"
                f" in {elapsed:.2f} s"
            )
        elapsed, _ = timed(["--help"], root)
        print(f"(start-up alone: newsstand --help in {elapsed:.2f} s)")


if __name__ == "__main__":
    main()
