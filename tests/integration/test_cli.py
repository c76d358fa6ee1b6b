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
