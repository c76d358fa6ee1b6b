"""Feed management from the command line: feeds add/list/remove/enable/disable, RSSHub
parameters and access codes, instance failover order."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from support.cli import cli
from support.helpers import rss
from support.paths import DATA
from support.user_config import feeds_of, setup_site

from newsstand import pipeline
from newsstand.config import load_config
from newsstand.demo.server import Resource
from newsstand.store import INSTANCE_FAILURES, open_store


@pytest.fixture
def site(tmp_path: Path, server) -> Path:
    """A user's config on the loopback instance, its catalog synced from a few routes of
    our own in RSSHub's old docs format (tests/data/rsshub-docs)."""
    server.routes["/existing.xml"] = Resource(rss([{"title": "old", "guid": "1"}]))
    path = setup_site(tmp_path, server.base)
    synced = cli("routes", "sync", "--docs", str(DATA / "rsshub-docs"), cwd=tmp_path)
    assert synced.returncode == 0, synced.stderr
    return path


def test_feeds_add_then_run_publishes_the_acceptance_post(site: Path, server, shared: Path) -> None:
    server.routes["/sina/finance"] = Resource(
        (shared / "acceptance" / "sina-finance.xml").read_bytes(),
        "application/rss+xml; charset=utf-8",
    )
    before = site.read_text("utf-8")
    result = cli("feeds", "add", "/sina/finance", cwd=site.parent)
    assert result.returncode == 0, result.stderr
    assert "金融 › 新浪财经 › 新浪财经－国內" in result.stdout
    after = site.read_text("utf-8")
    assert after.startswith(before)  # every comment, key and blank line of the user's stays
    for comment in (
        "# My news portal. 我的新闻站。",
        "# shown on every page",
        "# ---- my feeds below; keep this comment ----",
        "# an old favourite",
    ):
        assert comment in after
    assert feeds_of(site)[-1] == {
        "route": "/sina/finance",
        "category": "金融",
        "source": "新浪财经",
        "channel": "新浪财经－国內",
    }

    run = cli("run", cwd=site.parent)
    assert run.returncode == 0, run.stderr + run.stdout
    posts = list(
        (site.parent / "source" / "_posts" / "金融" / "新浪财经" / "新浪财经－国內").glob("*.md")
    )
    assert len(posts) == 1
    seed = (shared / "acceptance" / "seed-post.md").read_text("utf-8").split("---")[1]
    mine = posts[0].read_text("utf-8").split("---")[1]
    expected, got = yaml.safe_load(seed), yaml.safe_load(mine)
    for key in ("title", "categories", "thumbnail", "author"):
        assert got[key] == expected[key], key

    listed = json.loads(cli("feeds", "list", "--json", cwd=site.parent).stdout)
    sina = next(f for f in listed if f["feed"] == "/sina/finance")
    assert sina["status"] == "ok (HTTP 200)" and sina["entries"] == 1


def test_feeds_add_refuses_what_it_cannot_file(site: Path) -> None:
    cwd = site.parent
    radar = cli("feeds", "add", "rsshub://sina/finance", cwd=cwd)  # as RSSHub Radar copies
    assert radar.returncode == 0, radar.stderr
    assert feeds_of(site)[-1]["route"] == "/sina/finance"
    # a URL on the configured instance is that route, its RSSHub parameters kept
    on_instance = cli("feeds", "add", _base(site) + "/xueqiu/today?limit=5&key=x", cwd=cwd)
    assert on_instance.returncode == 0, on_instance.stderr
    assert feeds_of(site)[-1] == {
        "route": "/xueqiu/today",
        "category": "金融",
        "source": "雪球",
        "channel": "今日话题",
        "rsshub_params": {"limit": "5"},
    }
    duplicate = cli("feeds", "add", "sina/finance/", cwd=cwd)
    assert duplicate.returncode == 2 and "already in" in duplicate.stderr
    unknown = cli("feeds", "add", "/not/in/catalog", cwd=cwd)
    assert unknown.returncode == 2 and "--category" in unknown.stderr
    template = cli("feeds", "add", "/xueqiu/user/:id", cwd=cwd)
    assert template.returncode == 2
    assert "id=VALUE" in template.stderr and "用户 id" in template.stderr
    before = site.read_text("utf-8")
    bad_param = cli("feeds", "add", "/xueqiu/hots", "--param", "limt=3", cwd=cwd)
    assert bad_param.returncode == 2 and "'limit'" in bad_param.stderr
    assert site.read_text("utf-8") == before  # a refused edit writes nothing
    # ... so the message names no line of it (the line was in the edit, never written)
    assert bad_param.stderr.startswith(f"error: {site.name}: not changed: the edit would be")
    assert not re.search(r"newsstand\.toml:\d", bad_param.stderr), bad_param.stderr


def test_feeds_add_a_template_with_parameters_and_overrides(site: Path) -> None:
    cwd = site.parent
    result = cli(
        "feeds",
        "add",
        "/xueqiu/user/:id",
        "id=8152922548",
        "--param",
        "limit=20",
        "--param",
        "mode=fulltext",
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    assert feeds_of(site)[-1] == {
        "route": "/xueqiu/user/8152922548",
        "category": "金融",
        "source": "雪球",
        "channel": "用户动态",
        "rsshub_params": {"limit": 20, "mode": "fulltext"},
    }
    custom = cli(
        "feeds", "add", "/not/in/catalog", "--category", "杂项", "--source", "某站", cwd=cwd
    )
    assert custom.returncode == 0, custom.stderr
    assert feeds_of(site)[-1] == {"route": "/not/in/catalog", "category": "杂项", "source": "某站"}
    load_config(site)  # and the file still loads


def test_feeds_add_discovers_the_feed_of_a_page(tmp_path: Path, server) -> None:
    server.routes["/blog/"] = Resource(
        b"<!doctype html><html><head><title>Blog</title>"
        b'<link rel="alternate" type="application/atom+xml" href="feed.atom">'
        b'<link rel="alternate" type="application/feed+json" href="/feed.json">'
        b"</head><body>hi</body></html>",
        "text/html; charset=utf-8",
    )
    server.routes["/blog/feed.atom"] = Resource(
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>My Blog</title>'
        b"<id>x</id><updated>2024-01-01T00:00:00Z</updated></feed>",
        "application/atom+xml",
    )
    server.routes["/plain.xml"] = Resource(rss([{"title": "t", "guid": "1"}], title="Plain"))
    server.routes["/nofeed"] = Resource(b"<html><head><title>x</title></head></html>", "text/html")
    site = setup_site(tmp_path, "https://rsshub.example")
    page = cli(
        "feeds",
        "add",
        server.url("/blog/"),
        "--category",
        "Blogs",
        "--source",
        "Mine",
        cwd=tmp_path,
    )
    assert page.returncode == 0, page.stderr
    assert feeds_of(site)[-1]["url"] == server.url("/blog/feed.atom")
    assert server.url("/feed.json") in page.stderr  # the other feed it names is mentioned
    direct = cli(
        "feeds",
        "add",
        server.url("/plain.xml"),
        "--category",
        "X",
        "--source",
        "Plain",
        cwd=tmp_path,
    )
    assert direct.returncode == 0 and feeds_of(site)[-1]["url"] == server.url("/plain.xml")
    twice = cli(
        "feeds", "add", server.url("/blog/"), "--category", "B", "--source", "M", cwd=tmp_path
    )
    assert twice.returncode == 2 and "already in" in twice.stderr
    none = cli(
        "feeds", "add", server.url("/nofeed"), "--category", "B", "--source", "M", cwd=tmp_path
    )
    assert none.returncode == 2 and "names none" in none.stderr
    unfiled = cli("feeds", "add", server.url("/plain.xml") + "?2", cwd=tmp_path)
    assert unfiled.returncode == 2 and "--category" in unfiled.stderr


def test_feeds_add_a_url_that_cannot_be_fetched_now(tmp_path: Path, server) -> None:
    server.routes["/down.xml"] = Resource(b"maintenance", "text/plain", status=503)
    site = setup_site(tmp_path, "https://rsshub.example")
    url = server.url("/down.xml")
    unfiled = cli("feeds", "add", url, cwd=tmp_path)  # nowhere to file it: refused
    assert unfiled.returncode == 2
    assert "HTTP 503" in unfiled.stderr and "--category and --source" in unfiled.stderr
    assert "--no-check" in unfiled.stderr
    placed = cli("feeds", "add", url, "--category", "新闻", "--source", "某站", cwd=tmp_path)
    assert placed.returncode == 0, placed.stderr  # a place given: added, with a warning
    (warning,) = placed.stderr.splitlines()
    assert warning.startswith("warning: ") and "HTTP 503" in warning and "added as given" in warning
    assert feeds_of(site)[-1] == {"url": url, "category": "新闻", "source": "某站"}
    hits = server.hits["/down.xml"]
    other = server.url("/later.xml")
    unchecked = cli(
        "feeds", "add", other, "--no-check", "--category", "新闻", "--source", "别站", cwd=tmp_path
    )
    assert unchecked.returncode == 0 and unchecked.stderr == "", unchecked.stderr
    assert server.hits["/later.xml"] == 0 and server.hits["/down.xml"] == hits  # not fetched
    assert feeds_of(site)[-1] == {"url": other, "category": "新闻", "source": "别站"}
    assert site.read_text("utf-8").endswith('source = "别站"\n')
    load_config(site)  # the file still loads


def test_list_disable_enable_remove(site: Path) -> None:
    cwd = site.parent
    assert cli("feeds", "add", "/sina/finance", cwd=cwd).returncode == 0
    assert cli("feeds", "disable", "/sina/finance", cwd=cwd).returncode == 0
    assert feeds_of(site)[-1]["enabled"] is False
    assert [f.key for f in load_config(site).enabled_feeds] == [f"{_base(site)}/existing.xml"]
    table = cli("feeds", "list", cwd=cwd)
    assert table.returncode == 0
    row = next(line for line in table.stdout.splitlines() if line.startswith("/sina/finance"))
    assert "\tno\t" in row and "never fetched" in row
    assert cli("feeds", "enable", "/sina/finance", cwd=cwd).returncode == 0
    assert "enabled" not in feeds_of(site)[-1]
    assert cli("feeds", "remove", "/sina/finance", cwd=cwd).returncode == 0
    assert [f.get("route") for f in feeds_of(site)] == [None]
    assert "# an old favourite" in site.read_text("utf-8")
    gone = cli("feeds", "remove", "/sina/finance", cwd=cwd)
    assert gone.returncode == 2 and "feeds list" in gone.stderr


def _base(site: Path) -> str:
    return tomllib.loads(site.read_text("utf-8"))["rsshub"]["instances"][0]


@pytest.mark.parametrize("access", ["key", "code"])
def test_rsshub_params_and_access(tmp_path: Path, server, access: str) -> None:
    server.routes["/sina/finance"] = Resource(rss([{"title": "t", "guid": "1"}]))
    server.routes["/existing.xml"] = Resource(rss([{"title": "old", "guid": "1"}]))
    site = setup_site(tmp_path, server.base, f'access_key = "s3cret"\naccess = "{access}"\n')
    text = site.read_text("utf-8") + (
        '\n[[feeds]]\nroute = "/sina/finance"\ncategory = "金融"\nsource = "新浪财经"\n'
        'rsshub_params = { limit = 5, filterout = "广告|推广", mode = "fulltext" }\n'
    )
    site.write_text(text, "utf-8")
    summary = pipeline.run(load_config(site))
    assert not summary.failed, summary.failed
    (asked,) = [p for p, _ in server.requests if p.startswith("/sina/finance")]
    query = dict(parse_qsl(urlsplit(asked).query))
    assert {k: query[k] for k in ("limit", "filterout", "mode")} == {
        "limit": "5",
        "filterout": "广告|推广",
        "mode": "fulltext",
    }
    if access == "key":
        assert query["key"] == "s3cret" and "code" not in query
    else:
        assert query["code"] == hashlib.md5(b"/sina/finance" + b"s3cret").hexdigest()
        assert "key" not in query


def test_an_instance_that_keeps_failing_is_tried_last(tmp_path: Path, server) -> None:
    server.routes["/sina/finance"] = Resource(rss([{"title": "t", "guid": "1"}]))
    dead = server.url("/dead")  # answers 404 to everything under it
    site = tmp_path / "newsstand.toml"
    site.write_text(
        f'[rsshub]\ninstances = ["{dead}", "{server.base}"]\n'
        "[fetch]\nretries = 0\ninterval = 0\nmin_interval = 0\n"
        '[[feeds]]\nroute = "/sina/finance"\ncategory = "c"\nsource = "s"\n',
        "utf-8",
    )
    config = load_config(site)

    def first_asked() -> str:
        server.requests.clear()
        assert not pipeline.run(config, do_publish=False).failed
        return server.requests[0][0]

    for _ in range(INSTANCE_FAILURES):
        assert first_asked() == "/dead/sina/finance"
    assert first_asked() == "/sina/finance"  # the failing instance now comes last
    with open_store(config.store.url, lock=False) as store:
        assert store.demoted_instances() == {dead}
        store.record_instances({dead: True})  # it answers again: back in its place
        assert store.demoted_instances() == set()


def test_access_code_is_for_the_path_rsshub_receives(tmp_path: Path, server) -> None:
    """RSSHub hashes the path as it arrives (percent-encoded): a Chinese route must match."""
    site = tmp_path / "newsstand.toml"
    site.write_text(
        f'[rsshub]\ninstances = ["{server.base}"]\naccess_key = "k"\naccess = "code"\n'
        "[fetch]\nretries = 0\n"
        '[[feeds]]\nroute = "/weibo/keyword/新闻 要闻"\ncategory = "c"\nsource = "s"\n',
        "utf-8",
    )
    pipeline.run(load_config(site), do_publish=False)
    (asked,) = [p for p, _ in server.requests]
    path, query = urlsplit(asked).path, dict(parse_qsl(urlsplit(asked).query))
    assert path == "/weibo/keyword/%E6%96%B0%E9%97%BB%20%E8%A6%81%E9%97%BB"
    assert query["code"] == hashlib.md5((path + "k").encode()).hexdigest()
