"""The command line as a user meets it, in this process (CliRunner): what the commands print
and write. (The same as real processes, with exit codes a shell sees: system/test_cli.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from support.cli import cli
from support.helpers import rss, write_config

from newsstand.demo.server import Resource


def test_init_writes_a_starter_that_loads(tmp_path: Path) -> None:
    result = cli("init", cwd=tmp_path)
    assert result.returncode == 0 and (tmp_path / "newsstand.toml").exists()
    assert 'route = "/sina/finance/china"' in (tmp_path / "newsstand.toml").read_text("utf-8")
    again = cli("init", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_run_json_summary_and_exit_0_with_a_failed_feed(tmp_path: Path, server) -> None:
    server.routes["/ok"] = Resource(
        rss([{"title": "中文标题", "guid": "1", "date": "Thu, 01 Apr 2021 00:12:07 GMT"}])
    )
    path = write_config(
        tmp_path,
        [
            {"url": server.url("/ok"), "category": "新闻", "source": "源"},
            {"url": server.url("/missing"), "category": "新闻", "source": "坏"},
        ],
        fetch={"retries": 0},
    )
    result = cli("run", "--json", "--config", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["feeds"] == {
        "total": 2,
        "fetched": 2,
        "ok": 1,
        "failed": 1,
        "failures": [
            {
                "feed": server.url("/missing"),
                "url": server.url("/missing"),
                "status": 404,
                "reason": summary["feeds"]["failures"][0]["reason"],
            }
        ],
        "skipped": [],
        "not_due": 0,
        "waiting": [],
        "next_due": summary["feeds"]["next_due"],
    }
    assert "404" in summary["feeds"]["failures"][0]["reason"]
    assert result.stderr == ""  # --json: the summary says it all; details go to the log
    run_log = (tmp_path / ".newsstand" / "newsstand.log").read_text("utf-8")
    assert f"feed {server.url('/missing')} failed after 1 attempt(s)" in run_log
    assert "HTTP 404" in run_log and "run done" in run_log
    assert summary["entries"]["new"] == 1 and summary["posts"]["written"] == 1
    again = json.loads(cli("run", "--json", "-c", str(path), cwd=tmp_path).stdout)
    assert again["posts"]["written"] == 0 and again["entries"]["new"] == 0


def test_plain_output_when_not_a_terminal(tmp_path: Path, server) -> None:
    server.routes["/ok"] = Resource(rss([{"title": "t", "guid": "1"}]))
    write_config(tmp_path, [{"url": server.url("/ok"), "category": "c", "source": "s"}])
    result = cli("run", "--verbose", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[1/1] ok" in result.stderr
    assert "feeds    1 total, 1 ok, 0 failed" in result.stdout
    fetch_only = cli("fetch", cwd=tmp_path)
    publish_only = cli("publish", cwd=tmp_path)
    assert fetch_only.returncode == 0 and publish_only.returncode == 0


def test_demo_runs_offline(tmp_path: Path) -> None:
    result = cli("demo", str(tmp_path / "demo"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Hexo posts are in" in result.stdout
    posts = list((tmp_path / "demo" / "source" / "_posts").rglob("*.md"))
    assert len(posts) >= 15
    categories = {
        tuple(yaml.safe_load(p.read_text("utf-8").split("---")[1])["categories"]) for p in posts
    }
    assert ("金融", "示例财经", "示例财经－国内") in categories
    gbk = [p for p in posts if "示例日报" in p.parts]
    assert gbk and all("\ufffd" not in p.read_text("utf-8") for p in gbk)
    rerun = cli("demo", str(tmp_path / "demo"), "--json", cwd=tmp_path)
    assert rerun.returncode == 0 and json.loads(rerun.stdout)["posts"]["written"] == 0


def test_the_demo_run_again_does_what_it_says(tmp_path: Path) -> None:
    first = cli("demo", "demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    said = " ".join(first.stdout.split())
    assert "`newsstand demo demo` again fetches the sample feeds again" in said
    assert "(they are fixed: no post or page changes)" in said
    site = {p: p.stat().st_mtime_ns for p in (tmp_path / "demo" / "public").rglob("*")}
    again = cli("demo", "demo", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "feeds    4 total, 4 ok, 0 failed\n" in again.stdout  # fetched, as promised
    assert "entries  0 new, 0 updated" in again.stdout
    assert "site     unchanged" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "demo" / "public").rglob("*")} == site


def test_feeds_not_due_count_in_the_total(tmp_path: Path, server) -> None:
    server.routes["/a"] = Resource(rss([{"title": "a", "guid": "1"}]))
    server.routes["/b"] = Resource(rss([{"title": "b", "guid": "1"}]))
    feeds = [{"url": server.url(p), "category": "c", "source": p} for p in ("/a", "/b")]
    write_config(tmp_path, feeds, fetch={"interval": "1h", "min_interval": "10m"})
    assert cli("run", cwd=tmp_path).returncode == 0
    again = cli("run", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    (line,) = [x for x in again.stdout.splitlines() if x.startswith("feeds")]
    assert line.startswith("feeds    2 total, 0 ok, 0 failed, 2 not due yet (the next at"), line


def test_a_run_where_every_feed_failed_exits_1(tmp_path: Path, server) -> None:
    feeds = [{"url": server.url(p), "category": "c", "source": p} for p in ("/a", "/b")]
    path = write_config(tmp_path, feeds, fetch={"retries": 0})
    log = tmp_path / ".newsstand" / "newsstand.log"
    dead = cli("run", cwd=tmp_path)  # nothing serves /a or /b: 404, 404
    assert dead.returncode == 1
    assert dead.stderr.strip().splitlines()[-1] == (
        f"error: every feed fetched failed (2 of 2); their errors are in the summary and in {log}"
    )
    assert sum(line.startswith("failed   ") for line in dead.stdout.splitlines()) == 2
    assert "every feed fetched failed (2 of 2)" in log.read_text("utf-8")
    fetch_only = cli("fetch", "--all", "--json", cwd=tmp_path)
    assert fetch_only.returncode == 1 and json.loads(fetch_only.stdout)["feeds"]["failed"] == 2

    resting = cli("run", cwd=tmp_path)  # both rest after failing: nothing fetched, quiet
    assert resting.returncode == 0 and "2 skipped" in resting.stdout, resting.stdout

    server.routes["/a"] = Resource(rss([{"title": "back", "guid": "1"}]))
    partly = cli("run", "--all", cwd=tmp_path)  # one of two failed: reported, exit 0
    assert partly.returncode == 0 and "1 ok, 1 failed" in partly.stdout, partly.stderr
    assert "error:" not in partly.stderr

    text = path.read_text("utf-8").replace("[fetch]", "[health]\nrun_alert_share = 0.5\n\n[fetch]")
    path.write_text(text, "utf-8")
    strict = cli("run", "--all", cwd=tmp_path)
    assert strict.returncode == 1
    assert (
        strict.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "error: 1 of 2 feeds fetched failed ([health] run_alert_share = 0.5); their errors"
        )
    )


def test_the_common_options_go_before_the_command_too(tmp_path: Path, server) -> None:
    server.routes["/ok"] = Resource(rss([{"title": "t", "guid": "1"}]))
    config = write_config(
        tmp_path / "site", [{"url": server.url("/ok"), "category": "c", "source": "s"}]
    )
    before = cli("-c", str(config), "run", cwd=tmp_path)  # not in the config's folder
    assert before.returncode == 0, before.stderr
    assert "feeds    1 total, 1 ok, 0 failed" in before.stdout
    as_json = cli("--json", "-c", str(config), "run", cwd=tmp_path)
    assert json.loads(as_json.stdout)["feeds"]["ok"] == 1
    listed = cli("--config", str(config), "feeds", "list", cwd=tmp_path)
    assert listed.returncode == 0 and server.url("/ok") in listed.stdout
    other = tmp_path / "elsewhere.toml"
    after_wins = cli("-c", str(other), "status", "-c", str(config), cwd=tmp_path)
    assert after_wins.returncode == 0, after_wins.stderr  # given after the command, it wins
