"""Checks of what a run left on disk: the store whole, every post whole."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def check_posts(posts_dir: Path) -> list[Path]:
    """Every file under the posts folder is a whole post: no temporary or partial file."""
    found = [p for p in posts_dir.rglob("*") if p.is_file()]
    strays = [p for p in found if p.suffix != ".md" or p.name.startswith(".")]
    assert not strays, strays
    for post in found:
        text = post.read_text("utf-8")
        assert text.startswith("---\n") and text.endswith("</div>\n"), post
        assert yaml.safe_load(text.split("\n---\n", 1)[0][4:])["title"]
    return found
