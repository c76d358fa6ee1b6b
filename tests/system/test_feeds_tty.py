"""`feeds add URL` on a terminal asks where to file the feed: a real process on a pty."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from support.helpers import rss
from support.user_config import feeds_of, setup_site

from newsstand.demo.server import Resource


def test_feeds_add_asks_where_to_file_a_url_on_a_terminal(tmp_path: Path, server) -> None:
    server.routes["/plain.xml"] = Resource(rss([{"title": "t", "guid": "1"}], title="Plain"))
    site = setup_site(tmp_path, "https://rsshub.example")
    leader, follower = pty.openpty()
    try:
        os.write(leader, "科技\n\n博客\n".encode())  # category; source: the feed's title; channel
        result = subprocess.run(
            [sys.executable, "-m", "newsstand.cli", "feeds", "add", server.url("/plain.xml")],
            cwd=tmp_path,
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 0, result.stderr
    assert feeds_of(site)[-1] == {
        "url": server.url("/plain.xml"),
        "category": "科技",
        "source": "Plain",
        "channel": "博客",
    }
