"""RSSHub's access key never leaves the machine: no file newsstand writes (store, WAL, log,
posts, site, OPML, store snapshots) and nothing it prints holds it, or a URL holding it."""

from __future__ import annotations

import gzip
import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from helpers import newsstand, write_config

from newsstand.demo.server import FeedServer, Resource
from newsstand.store import open_store

KEY = "K3y+s3cr3t/9f8e7d"  # '+' and '/' so that its percent-encoded forms differ


def forms(secret: str) -> list[bytes]:
    return [f.encode() for f in {secret, quote(secret, safe=""), quote(secret)}]


def feed(self_url: str, n: int) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>guarded {n}</title><link>https://example.com/</link>
<atom:link href="{self_url}" rel="self" type="application/rss+xml"/>
<item><title>Item {n}</title><guid isPermaLink="false">g{n}</guid>
<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate>
<description><![CDATA[<p><a href="#top">top</a> <a href="?page=2">next</a>
<img src="pic{n}.png"></p>]]></description></item>
</channel></rss>""".encode()


def guarded_rsshub(server: FeedServer, key_of) -> None:
    """Routes that answer only when asked with the right access parameter, as RSSHub does
    with ACCESS_KEY set; /news2 is where /moved redirects to, the key kept in the query."""

    def route(path: str, status: int = 200, moved: bool = False):
        def handler(request):
            query = parse_qs(urlsplit(request.path).query)
            if query.get(key_of(path)[0]) != [key_of(path)[1]]:
                return Resource(b"Authentication failed", "text/plain", status=403)
            if moved:
                return Resource(b"", "text/plain", status=301,
                                headers={"Location": f"/news2?{key_of('/news2')[0]}="
                                                     f"{quote(key_of('/news2')[1], safe='')}"})
            if status != 200:
                return Resource(b"<html>Error: upstream down</html>", "text/html", status=status)
            return Resource(feed(server.base + request.path, len(path)))
        return handler

    server.routes["/news"] = route("/news")
    server.routes["/broken"] = route("/broken", status=503)
    server.routes["/moved"] = route("/moved", moved=True)
    server.routes["/news2"] = route("/news2")


def every_byte_written(root: Path) -> list[tuple[str, bytes]]:
    """Each file under ``root``, gzipped ones unpacked and git repositories' objects read."""
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        found.append((str(path), data))
        if data[:2] == b"\x1f\x8b":
            found.append((f"{path} (unpacked)", gzip.decompress(data)))
    for git_dir in {p.parent for p in root.rglob("HEAD") if (p.parent / "objects").is_dir()}:
        objects = subprocess.run(
            ["git", "--git-dir", str(git_dir), "cat-file", "--batch-all-objects", "--batch"],
            capture_output=True, check=True).stdout
        found.append((f"{git_dir} (objects)", objects))
        for part in _gzip_blobs(git_dir):
            found.append((f"{git_dir} (a snapshot part)", part))
    return found


def _gzip_blobs(git_dir: Path) -> list[bytes]:
    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch-all-objects",
         "--batch-check=%(objectname) %(objecttype)"], capture_output=True, text=True,
        check=True).stdout.split("\n")
    parts = []
    for line in filter(None, listing):
        name, kind = line.split()
        if kind == "blob":
            blob = subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "blob", name],
                                  capture_output=True, check=True).stdout
            if blob[:2] == b"\x1f\x8b":
                parts.append(gzip.decompress(blob))
    return parts


def assert_no_secret(secrets: list[bytes], places: list[tuple[str, bytes]]) -> None:
    leaks = [(where, s) for where, data in places for s in secrets if s in data]
    assert not leaks, f"the secret is in {leaks[:5]}"


@pytest.mark.parametrize("access", ["key", "code"])
def test_a_keyed_site_writes_and_prints_no_key(tmp_path: Path, access: str) -> None:
    def key_of(path: str) -> tuple[str, str]:
        if access == "key":
            return "key", KEY
        return "code", hashlib.md5((path + KEY).encode()).hexdigest()

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
    with FeedServer() as server:
        guarded_rsshub(server, key_of)
        site = tmp_path / "site"
        config = write_config(
            site, [{"route": r, "category": "c", "source": r.strip("/")}
                   for r in ("/news", "/broken", "/moved")],
            rsshub={"instances": [server.base], "access_key": KEY, "access": access},
            fetch={"retries": 0, "timeout": 5}, deploy={"repo": str(remote)})
        runs = [newsstand("run", "-v", "-c", str(config), cwd=tmp_path),
                newsstand("run", "--json", "-c", str(config), cwd=tmp_path),
                newsstand("status", "-c", str(config), cwd=tmp_path),
                newsstand("feeds", "list", "-c", str(config), cwd=tmp_path),
                newsstand("feeds", "export-opml", "-o", str(site / "feeds.opml"), "-c",
                          str(config), cwd=tmp_path),
                newsstand("store", "save", "-c", str(config), cwd=tmp_path)]
    assert runs[0].returncode == 0, runs[0].stderr
    assert "Error: upstream down" in runs[0].stdout + runs[0].stderr or "503" in runs[0].stdout
    assert runs[-1].returncode == 0, runs[-1].stderr
    posts = list((site / "source" / "_posts").rglob("*.md"))
    assert len(posts) == 2  # /news, and /moved from where it redirected
    # what RSSHub needs reached it ...
    asked = [p for p, _ in server.requests]
    assert any(key_of("/news")[1] in parse_qs(urlsplit(p).query).get(key_of("/news")[0], [])
               for p in asked)
    # ... and nothing kept or printed holds it (the key, or the access code of a route)
    secrets = forms(KEY) + [key_of(r)[1].encode() for r in ("/news", "/broken", "/moved")]
    printed = [(f"output of run {i}", (r.stdout + r.stderr).encode())
               for i, r in enumerate(runs)]
    written = [(where, data) for where, data in every_byte_written(tmp_path)
               if where != str(config)]  # the config aside: the user wrote the key there
    assert_no_secret(secrets, written + printed)


def test_the_key_can_come_from_the_environment(tmp_path: Path, server: FeedServer) -> None:
    guarded_rsshub(server, lambda path: ("key", KEY))
    config = write_config(tmp_path, [{"route": "/news", "category": "c", "source": "s"}],
                          rsshub={"instances": [server.base]}, fetch={"retries": 0})
    run = subprocess.run([sys.executable, "-m", "newsstand.cli", "run", "-c", str(config)],
                         env={**os.environ, "RSSHUB_ACCESS_KEY": KEY}, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert len(list((tmp_path / "source" / "_posts").rglob("*.md"))) == 1
    assert KEY not in config.read_text("utf-8")


def test_a_store_that_kept_the_key_is_cleaned_when_opened(tmp_path: Path) -> None:
    """Stores written before the fix kept the fetched URL with the key; the migration takes
    it out of every row, and out of the file's free pages and WAL."""
    db = tmp_path / "newsstand.db"
    leaked = f"http://rsshub.local/news?limit=5&key={quote(KEY, safe='')}"
    with open_store(str(db)) as store:
        store.set_meta("probe", "1")
    raw = sqlite3.connect(db)
    with raw:
        raw.execute("INSERT INTO feeds (key, route, category, source, channel, fetched_url,"
                    " last_error) VALUES ('/news', '/news', 'c', 's', 's', ?, ?)",
                    (leaked, f"HTTP 503 from {leaked}"))
        raw.execute("INSERT INTO fetch_log (feed_id, at, url, error) VALUES (1, 'now', ?, ?)",
                    (leaked, f"timed out fetching {leaked}"))
        raw.execute("INSERT INTO entries (feed_id, entry_id, uid, link, title, published, dated,"
                    " content, digest, first_seen, revision) VALUES (1, 'e', 'u', ?, 't',"
                    " '2024-01-01T00:00:00+00:00', 1, ?, 'd', '2024-01-01T00:00:00+00:00', 1)",
                    (leaked + "#top", f'<a href="{leaked}#top">top</a>'))
        raw.execute("UPDATE meta SET value = '1' WHERE key = 'revision'")
        raw.execute("PRAGMA user_version = 4")
    raw.close()
    with open_store(str(db)) as store:
        (item,) = store.items()
        assert item.entry.link == "http://rsshub.local/news?limit=5#top"
        assert item.entry.content == '<a href="http://rsshub.local/news?limit=5#top">top</a>'
        assert item.revision > 1  # so the posts and pages written from it are rewritten
        assert store.states()["/news"].last_error == (
            "HTTP 503 from http://rsshub.local/news?limit=5")
    assert_no_secret(forms(KEY), every_byte_written(tmp_path))
