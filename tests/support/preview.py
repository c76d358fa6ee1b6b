"""`newsstand serve` in a process of its own, for the browser tests: the URL it serves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def serving(config: Path, *options: str) -> Iterator[str]:
    """Serve the site of ``config`` on a free port until the block ends; its URL."""
    command = [sys.executable, "-m", "newsstand.cli", "serve", "--port", "0", "--json"]
    process = subprocess.Popen(
        [*command, *options, "-c", str(config)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())["url"]
    finally:
        process.terminate()
        process.wait(10)
