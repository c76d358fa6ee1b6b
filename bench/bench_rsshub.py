"""Benchmark: newsstand against the real RSSHub (tests/rsshub, `npm ci --prefix tests/rsshub`).

Starts RSSHub on a loopback port (the tests' fixture does the same), then times, as real
subprocesses: `routes sync` of its /api/namespace, a first `run` of its offline test
routes, and a forced rerun (`run --all`), whose share of 304 answers it counts twice: in
newsstand's summary and in RSSHub's own request log.

    python bench/bench_rsshub.py [--rounds 3]

Prints figures, the core count and the load average; asserts nothing.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.rsshub import rsshub_available, start_rsshub

ROUTES = (
    "/test/1",
    "/test/long",
    "/test/complicated",
    "/test/multimedia",
    "/test/sort",
    "/test/mess",
    "/test/json",
    "/test/enclosure",
    "/test/opencc",
    "/test/cache",
    "/test/slow",
    "/test/redirect",
    "/test/error",
    "/test/empty",
)


def newsstand(*args: str, cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "newsstand.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    return time.perf_counter() - started, done


def config(folder: Path, instance: str) -> None:
    lines = ["[rsshub]", f'instances = ["{instance}"]', "[fetch]", "interval = 0", ""]
    lines += ["[output.site]", "enabled = false", ""]
    for route in ROUTES:
        lines += ["[[feeds]]", f'route = "{route}"', 'category = "测试"', 'source = "RSSHub"']
        lines += [f'channel = "{route.strip("/")}"', ""]
    (folder / "newsstand.toml").write_text("\n".join(lines), "utf-8")


def statuses(done: subprocess.CompletedProcess[str]) -> dict[str, int]:
    data = json.loads(done.stdout)
    failed = {f["feed"] for f in data["feeds"]["failures"]}
    return {"failed": len(failed), "total": data["feeds"]["total"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if not rsshub_available():
        sys.exit("RSSHub is not installed: PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix tests/rsshub")
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}")
    started = time.perf_counter()
    server = start_rsshub()
    print(f"RSSHub start to listening: {time.perf_counter() - started:.2f} s")
    try:
        for n in range(options.rounds):
            with tempfile.TemporaryDirectory(prefix="bench-rsshub-") as tmp:
                folder = Path(tmp)
                config(folder, server.base)
                took, _ = newsstand("routes", "sync", cwd=folder)
                print(f"round {n + 1}: routes sync {took:.2f} s")
                took, first = newsstand("run", "--json", cwd=folder)
                print(f"  first run of {len(ROUTES)} routes: {took:.2f} s, {statuses(first)}")
                mark = server.mark()
                took, rerun = newsstand("run", "--all", "--json", cwd=folder)
                answers = server.answers(mark)
                not_modified = sum(1 for _, status in answers if status == 304)
                data = json.loads(rerun.stdout)
                print(
                    f"  forced rerun: {took:.2f} s; RSSHub answered {len(answers)} requests,"
                    f" {not_modified} with 304 ({not_modified / len(answers):.0%});"
                    f" feeds {data['feeds']['ok']} ok, {data['feeds']['failed']} failed"
                    f" (the two error routes), posts written {data['posts']['written']}"
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
