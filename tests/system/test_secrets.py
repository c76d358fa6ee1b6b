"""RSSHub's access key never leaves the machine: no file newsstand writes (store, WAL, log,
posts, site, OPML, store snapshots) and nothing it prints holds it, or a URL holding it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from support.cli import cli, cli_process
from support.helpers import write_config
from support.secrets import KEY, assert_no_secret, every_byte_written, forms

from newsstand.demo.server import FeedServer, Resource


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
                return Resource(
                    b"",
                    "text/plain",
                    status=301,
                    headers={
                        "Location": f"/news2?{key_of('/news2')[0]}="
                        f"{quote(key_of('/news2')[1], safe='')}"
                    },
                )
            if status != 200:
                return Resource(b"<html>Error: upstream down</html>", "text/html", status=status)
            return Resource(feed(server.base + request.path, len(path)))

        return handler

    server.routes["/news"] = route("/news")
    server.routes["/broken"] = route("/broken", status=503)
    server.routes["/moved"] = route("/moved", moved=True)
    server.routes["/news2"] = route("/news2")


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
            site,
            [
                {"route": r, "category": "c", "source": r.strip("/")}
                for r in ("/news", "/broken", "/moved")
            ],
            rsshub={"instances": [server.base], "access_key": KEY, "access": access},
            fetch={"retries": 0, "timeout": 5},
            deploy={"repo": str(remote)},
        )
        # -v as a real process: only there do its log records reach stderr
        runs = [
            cli_process("run", "-v", "-c", str(config), cwd=tmp_path),
            cli("run", "--json", "-c", str(config), cwd=tmp_path),
            cli("status", "-c", str(config), cwd=tmp_path),
            cli("feeds", "list", "-c", str(config), cwd=tmp_path),
            cli(
                "feeds",
                "export-opml",
                "-o",
                str(site / "feeds.opml"),
                "-c",
                str(config),
                cwd=tmp_path,
            ),
            cli("store", "save", "-c", str(config), cwd=tmp_path),
        ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert "Error: upstream down" in runs[0].stdout + runs[0].stderr or "503" in runs[0].stdout
    assert runs[-1].returncode == 0, runs[-1].stderr
    posts = list((site / "source" / "_posts").rglob("*.md"))
    assert len(posts) == 2  # /news, and /moved from where it redirected
    # what RSSHub needs reached it ...
    asked = [p for p, _ in server.requests]
    assert any(
        key_of("/news")[1] in parse_qs(urlsplit(p).query).get(key_of("/news")[0], []) for p in asked
    )
    # ... and nothing kept or printed holds it (the key, or the access code of a route)
    secrets = forms(KEY) + [key_of(r)[1].encode() for r in ("/news", "/broken", "/moved")]
    printed = [(f"output of run {i}", (r.stdout + r.stderr).encode()) for i, r in enumerate(runs)]
    written = [
        (where, data) for where, data in every_byte_written(tmp_path) if where != str(config)
    ]  # the config aside: the user wrote the key there
    assert_no_secret(secrets, written + printed)


def test_the_key_can_come_from_the_environment(tmp_path: Path, server: FeedServer) -> None:
    guarded_rsshub(server, lambda path: ("key", KEY))
    config = write_config(
        tmp_path,
        [{"route": "/news", "category": "c", "source": "s"}],
        rsshub={"instances": [server.base]},
        fetch={"retries": 0},
    )
    run = subprocess.run(
        [sys.executable, "-m", "newsstand.cli", "run", "-c", str(config)],
        env={**os.environ, "RSSHUB_ACCESS_KEY": KEY},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert len(list((tmp_path / "source" / "_posts").rglob("*.md"))) == 1
    assert KEY not in config.read_text("utf-8")
