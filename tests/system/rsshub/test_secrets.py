"""The real RSSHub with ACCESS_KEY set: a keyed site, run as a user runs it (the key in the
environment, so that even the config holds none), writes and prints no key and no access
code anywhere: store, WAL, run log, posts, site, OPML, the catalog, the deployed site and
the store snapshot (saved, then restored and read row by row). RSSHub puts the key in
each feed's self link and echoes paths in its errors, which no stand-in did by itself."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from support.cli import cli, cli_process
from support.helpers import write_config
from support.rsshub import RSSHub
from support.secrets import KEY, assert_no_secret, every_byte_written, forms

ROUTES = (
    "/test/complicated",
    "/test/multimedia",
    "/test/json",
    "/test/enclosure",
    "/test/redirect",
)
ERRORS = ("/test/error", "/test/empty", "/sina/finance")


def rows_of(db: Path) -> bytes:
    """Every text value of every table of a SQLite file, as one blob."""
    connection = sqlite3.connect(db)
    try:
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        values = [
            str(value)
            for table in tables
            for row in connection.execute(f'SELECT * FROM "{table}"')
            for value in row
            if value is not None
        ]
    finally:
        connection.close()
    return "\n".join(values).encode()


@pytest.mark.slow
@pytest.mark.parametrize("access", ["key", "code"])
def test_a_keyed_site_against_the_real_rsshub_keeps_the_key_on_this_machine(
    rsshub_keyed: RSSHub, tmp_path: Path, access: str
) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--bare", "-q", str(remote)], check=True)
    site = tmp_path / "site"
    config = write_config(
        site,
        [
            {"route": r, "category": "测试", "source": "RSSHub", "channel": r.strip("/")}
            for r in ROUTES + ERRORS
        ],
        rsshub={"instances": [rsshub_keyed.base], "access": access},  # no key: from env
        fetch={"retries": 1},
        deploy={"repo": str(remote)},
    )
    env = {"RSSHUB_ACCESS_KEY": KEY}
    mark = rsshub_keyed.mark()
    runs = [
        cli("routes", "sync", "-c", str(config), env=env),
        cli_process(
            "run", "-v", "-c", str(config), cwd=tmp_path, env={**os.environ, **env, "NO_COLOR": "1"}
        ),
        cli("run", "--all", "--json", "-c", str(config), env=env),  # a forced rerun: 304s
        cli("status", "-c", str(config), env=env),
        cli("feeds", "list", "-c", str(config), env=env),
        cli("feeds", "check", "-c", str(config), env=env),
        cli("feeds", "export-opml", "-o", str(site / "feeds.opml"), "-c", str(config), env=env),
        cli("deploy", "-c", str(config), env=env),
        cli("store", "save", "-c", str(config), env=env),
    ]
    assert runs[0].returncode == 0 and runs[1].returncode == 0, runs[1].stderr
    assert runs[-1].returncode == 0 and runs[-2].returncode == 0, runs[-1].stderr
    # the key opened every route (RSSHub refused none) and the rerun was answered 304
    answered = rsshub_keyed.answers(mark)
    assert not [a for a in answered if a[1] == 403], answered
    assert {p for p, status in answered if status == 304} == {
        "/test/1" if r == "/test/redirect" else r for r in ROUTES
    }
    assert "RSSHub said: Error test" in runs[1].stderr  # the run log, on stderr with -v
    posts = list((site / "source" / "_posts").rglob("*.md"))
    assert posts and (site / "public" / "index.html").is_file()

    # the snapshot, restored into an empty site and read row by row
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(config, restored / "newsstand.toml")
    back = cli("store", "restore", "-c", str(restored / "newsstand.toml"), env=env)
    assert back.returncode == 0, back.stderr
    db = restored / ".newsstand" / "newsstand.db"
    assert b"/test/complicated" in rows_of(db)  # it is the store, with its feeds

    codes = [hashlib.md5((path + KEY).encode()).hexdigest().encode() for path in ROUTES + ERRORS]
    codes.append(hashlib.md5(b"/api/namespace" + KEY.encode()).hexdigest().encode())
    printed = [
        (f"output of command {i}", (r.stdout + r.stderr).encode()) for i, r in enumerate(runs)
    ]
    assert_no_secret(
        forms(KEY) + codes,
        [*every_byte_written(tmp_path), ("restored rows", rows_of(db)), *printed],
    )


@pytest.mark.parametrize("access", ["key", "code"])
def test_a_redirect_within_a_keyed_instance_keeps_its_access(
    rsshub_keyed: RSSHub, tmp_path: Path, access: str
) -> None:
    """RSSHub's redirects drop the query, the access parameter with it (and a code is made
    for one path): it is put back for the new path, so the route is not refused."""
    config = write_config(
        tmp_path,
        [{"route": "/test/redirect", "category": "测试", "source": "RSSHub"}],
        rsshub={"instances": [rsshub_keyed.base], "access_key": KEY, "access": access},
        output__site={"enabled": False},
    )
    mark = rsshub_keyed.mark()
    run = cli("run", "--json", "-c", str(config))
    assert run.returncode == 0 and '"new": 5' in run.stdout, run.stdout
    assert rsshub_keyed.answers(mark) == [("/test/redirect", 301), ("/test/1", 200)]
