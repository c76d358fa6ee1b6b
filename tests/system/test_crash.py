"""Crashes and concurrency: `newsstand run` as a real process, killed, signalled, run twice
at once, and short of disk. The store stays whole and the next run finishes the job."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import psutil
import pytest
from support.checks import check_posts, count, integrity
from support.helpers import rss, write_config

from newsstand.demo.server import FeedServer, Resource
from newsstand.gather import FLUSH_ENTRIES

KILLS = int(os.environ.get("NEWSSTAND_KILLS", "24"))  # SIGKILL points of the torture test
GROWTH = 5  # items each feed gains between two kills


def newsstand(config: Path, *args: str, **popen: object) -> subprocess.Popen:
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen}
    return subprocess.Popen(
        [sys.executable, "-m", "newsstand.cli", "run", "-c", str(config), *args],
        text=True,
        **streams,  # type: ignore[call-overload]
    )


def finish(process: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def items(feed: int, count: int) -> list[dict]:
    return [
        {
            "title": f"feed {feed} item {i}",
            "guid": f"{feed}-{i}",
            "link": f"https://example.com/{feed}/{i}",
            "date": f"Mon, {1 + i % 28:02d} Jan 2024 10:00:00 GMT",
            "html": f"<p>feed {feed} item {i}</p>" + "<p>正文内容</p>" * 100,
        }
        for i in range(count)
    ]


def site_with(
    server: FeedServer, root: Path, feeds: int, count: int = 10, **sections: dict
) -> Path:
    for n in range(feeds):
        server.routes[f"/f{n}"] = Resource(rss(items(n, count)))
    fetch = {"timeout": 30, "read_timeout": 30, "retries": 0, **sections.pop("fetch", {})}
    return write_config(
        root,
        [{"url": server.url(f"/f{n}"), "category": "c", "source": f"s{n}"} for n in range(feeds)],
        fetch=fetch,
        **sections,
    )


def slow_route(server: FeedServer, path: str, seconds: float) -> None:
    def slow(h: BaseHTTPRequestHandler) -> Resource:
        time.sleep(seconds)
        return Resource(rss(items(99, 3)))

    server.routes[path] = slow


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


# -- kill -9 at points of the run's own progress ----------------------------------------

# What a round waits for before it kills the run, each observed from outside as a user
# could: requests at the feed server, entries in the store, posts in the folder, the new
# site tree being built. Wall time plays no part, so a slow or busy machine kills at the
# same points as a fast one.
KILL_POINTS = ("fetching", "stored", "posted", "building")


def rows(db: Path, table: str = "entries") -> int:
    """Rows of a table of the store as a reader sees them (0 before the store exists)."""
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:  # not created yet, or the writer is setting it up
        return 0


def posts_on_disk(folder: Path) -> int:
    """Whole posts in the folder (not the hidden temporary files being written)."""
    return sum(
        1
        for _root, _dirs, files in os.walk(folder)
        for name in files
        if name.endswith(".md") and not name.startswith(".")
    )


def fresh_tree(site: Path, since_ns: int) -> bool:
    """The build's new tree beside the site exists and was made or changed since then (a
    tree left by a killed build is older, until this run's build clears it)."""
    try:
        return (site.parent / f".{site.name}.new").stat().st_mtime_ns >= since_ns
    except FileNotFoundError:
        return False


def kill_point(
    point: str, rng: random.Random, server: FeedServer, root: Path, *, feeds: int, new: int
) -> Callable[[], bool]:
    """Whether the run started now has got to the ``point`` drawn for it: a number of
    requests, entries or posts more than there are now, or a new site tree."""
    db, posts, site = (
        root / ".newsstand" / "newsstand.db",
        root / "source" / "_posts",
        root / "public",
    )
    if point == "fetching":
        hits = sum(server.hits.values()) + rng.randint(1, feeds)
        return lambda: sum(server.hits.values()) >= hits
    if point == "stored":
        entries = rows(db) + rng.randint(1, new)
        return lambda: rows(db) >= entries
    if point == "posted":
        written = posts_on_disk(posts) + rng.randint(1, new)
        return lambda: posts_on_disk(posts) >= written
    since = time.time_ns()
    return lambda: fresh_tree(site, since)


@pytest.mark.slow
def test_sigkill_at_random_points_loses_and_duplicates_nothing(
    server: FeedServer, tmp_path: Path
) -> None:
    feeds, generation = 30, {"n": 0}
    config = site_with(server, tmp_path, feeds)

    def growing(n: int):  # each kill round the feeds gain items: always work to do
        def handler(h: BaseHTTPRequestHandler) -> Resource:
            return Resource(rss(items(n, 10 + GROWTH * generation["n"])))

        return handler

    for n in range(feeds):
        server.routes[f"/f{n}"] = growing(n)
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    db = tmp_path / ".newsstand" / "newsstand.db"
    posts = tmp_path / "source" / "_posts"
    rounds, helpers = [], []
    for kill in range(KILLS):
        generation["n"] = kill
        point = KILL_POINTS[kill % len(KILL_POINTS)]
        new = feeds * (10 if kill == 0 else GROWTH)  # at least this much is new this round
        reached = kill_point(point, rng, server, tmp_path, feeds=feeds, new=new)
        process = newsstand(config, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while process.poll() is None and not reached():
            assert time.monotonic() < deadline, f"round {kill}: no {point} seen (seed {seed})"
            time.sleep(0.01)
        with contextlib.suppress(psutil.NoSuchProcess):  # its workers, to see them go too
            helpers += psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=30)
        rounds.append((point, code, rows(db), rows(db, "outputs")))
    code, _out, err = finish(newsstand(config, "--json"))
    assert code == 0, (seed, err)
    assert integrity(db) == "ok", seed
    expected = feeds * (10 + GROWTH * (KILLS - 1))
    assert count(db, "SELECT COUNT(*) FROM entries") == expected, seed
    assert count(db, "SELECT COUNT(DISTINCT uid) FROM entries") == expected
    assert len(check_posts(posts)) == expected, seed
    assert count(db, "SELECT COUNT(*) FROM outputs") == expected
    # the kills landed mid-run, at each kind of point: the run was still going (a build
    # may end between two looks at it), with some entries stored but not all their posts
    # on record, and with the store in a different state after every kill
    killed = [point for point, code, *_ in rounds if code == -signal.SIGKILL]
    assert set(killed) == set(KILL_POINTS), rounds
    assert len(killed) >= KILLS - KILLS // len(KILL_POINTS), rounds
    assert any(0 < posted < stored for *_, stored, posted in rounds), rounds
    assert len({(stored, posted) for *_, stored, posted in rounds}) >= KILLS // 2, rounds
    # no worker or fork server of a killed run lives on (is_running() tells a reused pid)
    _, alive = psutil.wait_procs(helpers, timeout=10)
    assert not alive, [(p.pid, p.cmdline()[-1][:60]) for p in alive]
    print(
        f"{KILLS} SIGKILL points (seed {seed}): (point, exit, entries, posts on record)"
        f" after each: {rounds}"
    )


# -- signals ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_signal_stops_the_run_cleanly(server: FeedServer, tmp_path: Path, signum: int) -> None:
    # each fast feed fills a store batch of its own, so the test sees it stored
    per_feed, posts = FLUSH_ENTRIES, tmp_path / "source" / "_posts"
    config = site_with(server, tmp_path, feeds=12, count=per_feed, output__site={"enabled": False})
    slow_route(server, "/f11", 20)
    process = newsstand(config)
    db = tmp_path / ".newsstand" / "newsstand.db"
    wait_for(
        lambda: rows(db) == 11 * per_feed and server.hits["/f11"] >= 1,
        "the fast feeds stored while the slow one is asked for",
        timeout=120,
    )
    process.send_signal(signum)
    code, _out, err = finish(process, timeout=60)  # not waiting for the slow feed
    assert code == 128 + signum, err
    assert f"stopped by {signal.Signals(signum).name}" in err and "run again" in err
    assert integrity(db) == "ok"
    assert count(db, "SELECT COUNT(*) FROM entries") == 11 * per_feed
    check_posts(posts)  # whole posts only: the one being written was finished
    server.routes["/f11"] = Resource(rss(items(11, 10)))
    code, _out, err = finish(newsstand(config), timeout=120)
    assert code == 0, err
    assert len(check_posts(posts)) == 11 * per_feed + 10


# -- two runs at once -------------------------------------------------------------------


@pytest.mark.slow
def test_a_second_run_while_one_runs_exits_with_a_clear_message(
    server: FeedServer, tmp_path: Path
) -> None:
    config = site_with(server, tmp_path, feeds=3)
    second_done = threading.Event()

    def held(h: BaseHTTPRequestHandler) -> Resource:  # the first run waits for the second
        second_done.wait(timeout=120)
        return Resource(rss(items(2, 3)))

    server.routes["/f2"] = held
    first = newsstand(config)
    wait_for(lambda: server.hits["/f2"] >= 1, "the first run to be fetching", timeout=120)
    try:
        code, _out, err = finish(newsstand(config), timeout=120)
    finally:
        second_done.set()
    assert code == 1 and "another newsstand process is using" in err and "wait" in err
    code, _out, err = finish(first, timeout=120)
    assert code == 0, err
    assert len(check_posts(tmp_path / "source" / "_posts")) == 23


# -- the posts folder cannot take the posts -------------------------------------------


def test_posts_folder_not_writable_then_fixed(server: FeedServer, tmp_path: Path) -> None:
    config = site_with(server, tmp_path, feeds=2)
    posts = tmp_path / "source" / "_posts"
    posts.parent.mkdir(parents=True)
    posts.write_text("in the way")  # as root, a file in the way is what stops writing
    code, _out, err = finish(newsstand(config))
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(posts) in errors[0] and "run again" in errors[0], err
    db = tmp_path / ".newsstand" / "newsstand.db"
    assert count(db, "SELECT COUNT(*) FROM entries") == 20
    assert count(db, "SELECT COUNT(*) FROM outputs") == 0  # nothing recorded as published
    posts.unlink()
    code, _out, err = finish(newsstand(config))
    assert code == 0, err
    assert len(check_posts(posts)) == 20


def _can_mount_tmpfs() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True
    )
    return probe.returncode == 0


def test_disk_full_then_room_again(server: FeedServer, tmp_path: Path) -> None:
    if not _can_mount_tmpfs():
        pytest.skip("cannot mount a tmpfs here (needs unshare and user namespaces)")
    config = site_with(server, tmp_path, feeds=3)
    posts = tmp_path / "source" / "_posts"
    posts.mkdir(parents=True)
    run = f"{sys.executable} -m newsstand.cli run -c {config}"
    full = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=40k tmpfs {posts} && exec {run}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert full.returncode == 1, full.stderr
    errors = [line for line in full.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0], full.stderr
    assert str(posts) in errors[0]
    db = tmp_path / ".newsstand" / "newsstand.db"
    assert integrity(db) == "ok" and count(db, "SELECT COUNT(*) FROM entries") == 30
    assert count(db, "SELECT COUNT(*) FROM outputs") < 30  # the rest is not on record
    code, _out, err = finish(newsstand(config))  # the tmpfs is gone: room again
    assert code == 0, err
    assert len(check_posts(posts)) == 30


# -- a corrupt store --------------------------------------------------------------------


def test_a_corrupt_store_is_named_and_never_replaced(server: FeedServer, tmp_path: Path) -> None:
    config = site_with(server, tmp_path, feeds=1)
    db = tmp_path / ".newsstand" / "newsstand.db"
    db.parent.mkdir(parents=True)
    garbage = b"SQLite format 3\0" + bytes(range(256)) * 64
    db.write_bytes(garbage)
    code, _out, err = finish(newsstand(config))
    assert code == 1 and str(db) in err and re.search(r"backup|move it away", err)
    assert len(err.strip().splitlines()) == 1
    assert db.read_bytes() == garbage


def test_temporary_files_of_a_killed_run_are_swept(server: FeedServer, tmp_path: Path) -> None:
    config = site_with(server, tmp_path, feeds=1)
    code, _out, err = finish(newsstand(config))
    assert code == 0, err
    post = next((tmp_path / "source" / "_posts").rglob("*.md"))
    left = post.with_name(f".{post.name}.4242.tmp")  # as write_atomic names them
    left.write_text("---\ntitle: half")
    mine = post.with_name(".keep")
    mine.write_text("the user's")
    db = tmp_path / ".newsstand" / "newsstand.db"
    with sqlite3.connect(db) as conn:  # as a run killed while publishing leaves it
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'hexo.unfinished'")
    code, _out, err = finish(newsstand(config))
    assert code == 0, err
    assert not left.exists() and mine.read_text() == "the user's" and post.exists()


@pytest.mark.slow
def test_sigterm_while_publishing_keeps_the_record_true(server: FeedServer, tmp_path: Path) -> None:
    config = site_with(server, tmp_path, feeds=40, count=100)
    code, _out, err = finish(newsstand(config, "--json"))
    assert code == 0, err
    posts = tmp_path / "source" / "_posts"
    shutil.rmtree(posts)  # every post is to be written again by `publish`
    process = subprocess.Popen(
        [sys.executable, "-m", "newsstand.cli", "publish", "-c", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(
        lambda: posts.is_dir() and sum(1 for _ in posts.rglob("*.md")) >= 50, "the first posts"
    )
    process.send_signal(signal.SIGTERM)
    code, _out, err = finish(process)
    assert code == 128 + signal.SIGTERM, err
    written = check_posts(posts)  # whole posts only, no temporary file
    assert 50 <= len(written) < 4000
    code, out, err = finish(newsstand(config, "--json"))
    assert code == 0, err
    assert json.loads(out)["posts"]["written"] == 4000 - len(written)  # the rest, no more
    assert len(check_posts(posts)) == 4000


def test_disk_full_under_the_store_is_one_clear_line(server: FeedServer, tmp_path: Path) -> None:
    if not _can_mount_tmpfs():
        pytest.skip("cannot mount a tmpfs here (needs unshare and user namespaces)")
    config = site_with(server, tmp_path, feeds=20, count=20)
    store = tmp_path / ".newsstand"
    store.mkdir()
    run = f"{sys.executable} -m newsstand.cli run -c {config}"
    full = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=256k tmpfs {store} && exec {run}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr
    (error,) = [line for line in full.stderr.splitlines() if line.startswith("error:")]
    assert "newsstand.db" in error and "full" in error, full.stderr


@pytest.mark.slow
def test_a_build_killed_while_its_workers_render_leaves_no_process(
    server: FeedServer, tmp_path: Path
) -> None:
    """Render workers come from the fork server, not from the build: a SIGKILLed build
    cannot stop them, so they must notice it is gone and exit (they hold the store open)."""
    config = site_with(server, tmp_path, feeds=10, count=80, output__hexo={"enabled": False})
    code, _out, err = finish(newsstand(config, "--json"))  # 800 entries: the build uses a pool
    assert code == 0, err
    build = subprocess.Popen(
        [sys.executable, "-m", "newsstand.cli", "build", "--force", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parent = psutil.Process(build.pid)
    deadline = time.monotonic() + 60
    workers: list[psutil.Process] = []
    while build.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(psutil.NoSuchProcess):
            workers = [
                p for p in parent.children(recursive=True) if "forkserver" in " ".join(p.cmdline())
            ]
        if len(workers) >= 2:  # the fork server and at least one render worker
            break
        time.sleep(0.01)
    assert len(workers) >= 2, "the build finished before its render pool was seen"
    everything = parent.children(recursive=True)
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=30)
    _, alive = psutil.wait_procs(everything, timeout=10)
    assert not alive, [(p.pid, p.cmdline()[-1][:60]) for p in alive]
