"""A site with a good feed and a feed about to go bad, run through the real CLI.

Every fault case follows the same story: a first run stores and publishes both feeds;
then the bad feed serves the fault and the good one a new item; the second run must
complete (exit 0), report the bad feed with a one-line reason, publish the good feed's
new item, and keep every entry and post it had.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from newsstand.cli import main
from newsstand.demo.server import FeedServer, Resource
from support.helpers import rss, write_config

FETCH = {
    "timeout": 3,
    "connect_timeout": 2,
    "read_timeout": 1.5,
    "retries": 0,
    "max_bytes": 1_000_000,
}


def items(prefix: str, n: int, start: int = 0) -> list[dict]:
    return [
        {
            "title": f"{prefix} item {i}",
            "link": f"https://example.com/{prefix}/{i}",
            "guid": f"{prefix}-{i}",
            "date": f"Mon, 0{1 + i % 9} Jan 2024 10:00:00 GMT",
            "html": f"<p>{prefix} text {i}</p>",
        }
        for i in range(start, start + n)
    ]


@dataclass
class RunResult:
    code: int
    data: dict[str, Any]
    output: str

    def failure(self, feed_suffix: str) -> dict[str, Any]:
        (found,) = [f for f in self.data["feeds"]["failures"] if f["feed"].endswith(feed_suffix)]
        return found


def run_cli(config: Path, command: str = "run", *args: str) -> RunResult:
    result = CliRunner().invoke(main, [command, "-c", str(config), "--json", *args])
    data: dict[str, Any] = {}
    if result.stdout.strip().startswith(("{", "[")):
        data = json.loads(result.stdout)
    return RunResult(result.exit_code, data, result.output + result.stderr)


class Site:
    """``/good`` and ``/bad`` on ``server``, in a config under ``root``."""

    def __init__(
        self, server: FeedServer, root: Path, bad_url: str | None = None, **sections: dict
    ) -> None:
        self.server = server
        self.root = root
        server.routes["/good"] = Resource(rss(items("good", 2)))
        server.routes["/bad"] = Resource(rss(items("bad", 3)))
        self.bad_url = bad_url or server.url("/bad")
        fetch = {**FETCH, **sections.pop("fetch", {})}
        self.config = write_config(
            root,
            [
                {"url": server.url("/good"), "category": "c", "source": "good"},
                {"url": self.bad_url, "category": "c", "source": "bad"},
            ],
            fetch=fetch,
            **sections,
        )
        self.posts_dir = root / "source" / "_posts"
        self.db = root / ".newsstand" / "newsstand.db"

    def posts(self) -> dict[str, bytes]:
        return {
            str(p.relative_to(self.posts_dir)): p.read_bytes() for p in self.posts_dir.rglob("*.md")
        }

    def entries(self, source: str) -> int:
        with sqlite3.connect(self.db) as db:
            return db.execute(
                "SELECT COUNT(*) FROM entries e JOIN feeds f ON f.id = e.feed_id"
                " WHERE f.source = ?",
                (source,),
            ).fetchone()[0]

    def first_run(self) -> dict[str, bytes]:
        first = run_cli(self.config)
        assert first.code == 0, first.output
        assert first.data["feeds"]["failed"] == 0, first.data
        posts = self.posts()
        assert len(posts) == 5
        return posts

    def second_run(self, bad: Any) -> RunResult:
        """First run, then ``bad`` served at /bad: the run completes, the good feed's new
        item is published, and every earlier post is still there, unchanged."""
        before = self.first_run()
        self.server.routes["/good"] = Resource(rss(items("good", 3)))
        self.server.routes["/bad"] = bad
        second = run_cli(self.config)
        assert second.code == 0, second.output
        after = self.posts()
        assert all(after[path] == data for path, data in before.items())
        assert self.entries("bad") >= 3 and self.entries("good") == 3
        self.new_posts = {p: d for p, d in after.items() if p not in before}
        return second

    def fault(self, bad: Any) -> RunResult:
        """``second_run`` for a feed that fails: reported in one line, nothing stored."""
        second = self.second_run(bad)
        failure = second.failure("/bad")
        assert failure["reason"] and "\n" not in failure["reason"], failure
        assert second.data["feeds"]["ok"] == 1, second.data
        assert len(self.posts()) == 6 and self.entries("bad") == 3
        return second
