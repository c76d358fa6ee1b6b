"""Benchmark: `newsstand deploy` and `newsstand store save/restore` of a site of N entries.

Fills a store with N synthetic entries (as bench_site.py does), builds the site, and times
real `newsstand` subprocesses pushing to a local bare repository: the first deploy (empty
cache, new branch), a deploy with nothing new, a deploy after 100 new entries and a
rebuild, and a deploy from an empty cache to the existing branch (what a fresh CI runner
does); then `store save` and `store restore` into another folder.

    python bench/bench_deploy.py --entries 10000

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_run import measure
from bench_site import du, fill, write_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        root.mkdir()
        remote = Path(tmp) / "remote.git"
        subprocess.run(["git", "init", "--bare", "--quiet", str(remote)], check=True)
        config = root / "newsstand.toml"
        write_config(
            config,
            '[site]\ntitle = "bench"\nurl = "https://news.example.org"\n',
            f'[deploy]\nrepo = "{remote}"\n',
        )
        start = datetime(2024, 1, 1, tzinfo=UTC)
        fill(config, 0, args.entries, start)
        cli = [sys.executable, "-m", "newsstand.cli"]
        build = [*cli, "build", "--json", "--config", str(config)]
        deploy = [*cli, "deploy", "--json", "--config", str(config)]
        print(
            f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]},"
            f" {subprocess.run(['git', '--version'], capture_output=True, text=True).stdout}",
            end="",
        )
        began = time.perf_counter()
        measure(build)
        files, size = du(root / "public")
        print(
            f"site: {args.entries} entries, {files} files, {size / 1048576:.0f} MB"
            f" (built in {time.perf_counter() - began:.0f} s)"
        )

        def timed(name: str, cmd: list[str]) -> None:
            wall, peak, result = measure(cmd)
            shown = result[0] if isinstance(result, list) else result
            print(f"{name}: {wall:.2f} s wall, peak RSS {peak:.0f} MB; {shown}")

        timed("deploy, first (empty cache, new branch)", deploy)
        timed("deploy, nothing new", deploy)
        fill(config, args.entries, 100, start)
        measure(build)
        timed("deploy after 100 new entries", deploy)
        shutil.rmtree(root / ".newsstand" / "deploy")
        timed("deploy from an empty cache (a fresh CI runner), nothing new", deploy)
        timed("store save", [*cli, "store", "save", "--json", "--config", str(config)])
        other = Path(tmp) / "other"
        other.mkdir()
        shutil.copy(config, other / "newsstand.toml")
        timed(
            "store restore",
            [*cli, "store", "restore", "--json", "--config", str(other / "newsstand.toml")],
        )
        pack = sum(p.stat().st_size for p in remote.rglob("*") if p.is_file())
        print(
            f"remote repository: {pack / 1048576:.0f} MB;"
            f" store {(root / '.newsstand' / 'newsstand.db').stat().st_size / 1048576:.0f} MB"
        )


if __name__ == "__main__":
    main()
