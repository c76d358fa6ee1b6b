"""Fetching from the real RSSHub: every offline test route parses and is published, a forced
rerun is answered 304, RSSHub's own error message is shown (and a final error is asked
once), its common parameters work, and with two instances each one's answer is reported."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import yaml
from support.cli import cli, cli_process
from support.helpers import write_config
from support.rsshub import RSSHub

from newsstand import pipeline
from newsstand.config import load_config

# RSSHub's routes that need no network (lib/routes/test); /test/redirect answers 301 to /test/1
ROUTES = (
    "/test/1",
    "/test/long",
    "/test/complicated",
    "/test/multimedia",
    "/test/sort",
    "/test/mess",
    "/test/json",
    "/test/enclosure",
    "/test/opencc",
    "/test/cache",
    "/test/slow",
    "/test/redirect",
)
ERRORS = ("/test/error", "/test/empty")
NO_SITE = {"enabled": False}  # the site build is not what these tests are about


def feeds(routes, **extra) -> list[dict]:
    return [
        {"route": r, "category": "测试", "source": "RSSHub", "channel": r.strip("/"), **extra}
        for r in routes
    ]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def front(post: Path) -> dict:
    return yaml.safe_load(post.read_text("utf-8").split("---\n")[1])


def test_every_offline_route_is_published_and_a_forced_rerun_is_answered_304(
    rsshub: RSSHub, tmp_path: Path
) -> None:
    config = load_config(
        write_config(
            tmp_path,
            feeds(ROUTES + ERRORS),
            rsshub={"instances": [rsshub.base]},
            output__site=NO_SITE,
        )
    )
    first = pipeline.run(config)
    by_key = {r.feed_key: r for r in first.feeds}
    assert all(by_key[r].ok and by_key[r].new > 0 for r in ROUTES), [
        (r.feed_key, r.error) for r in first.feeds
    ]
    posts = list(config.hexo.dir.rglob("*.md"))
    assert len(posts) == sum(r.new for r in first.feeds)
    assert all(front(p)["categories"][:2] == ["测试", "RSSHub"] for p in posts)

    mark = rsshub.mark()
    rerun = pipeline.run(config, everything=True)  # `run --all`: every feed fetched again
    by_key = {r.feed_key: r for r in rerun.feeds}
    assert [r for r in ROUTES if by_key[r].status != 304] == []
    assert rerun.published is not None and rerun.published.written == 0
    # and RSSHub itself says so: it answered 304 to every route that served a feed
    answered = rsshub.answers(mark)
    assert sorted(p for p, status in answered if status == 304) == sorted(
        "/test/1" if r == "/test/redirect" else r for r in ROUTES
    )


def test_rsshub_s_error_message_is_shown_and_a_final_error_is_asked_once(
    rsshub: RSSHub, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path,
        feeds(ERRORS),
        rsshub={"instances": [rsshub.base]},
        fetch={"retries": 2},
        output__site=NO_SITE,
    )
    mark = rsshub.mark()
    run = cli("run", "--json", "-c", str(config))
    failures = {f["feed"]: f for f in json.loads(run.stdout)["feeds"]["failures"]}
    assert failures["/test/error"]["status"] == 503
    assert "RSSHub said: Error test" in failures["/test/error"]["reason"]
    assert "this route is empty" in failures["/test/empty"]["reason"]
    assert "<" not in failures["/test/empty"]["reason"]  # its link's markup is dropped
    asked = [path for path, _ in rsshub.answers(mark)]
    assert sorted(asked) == sorted(ERRORS)  # each once, although retries = 2
    status = cli("status", "-c", str(config))
    assert "Error test" in status.stdout


def test_a_route_rsshub_no_longer_has_says_so(rsshub: RSSHub, tmp_path: Path) -> None:
    config = load_config(
        write_config(
            tmp_path,
            feeds(["/sina/finance"]),
            rsshub={"instances": [rsshub.base]},
            output__site=NO_SITE,
        )
    )
    (report,) = pipeline.run(config).feeds
    assert report.status == 404
    assert "The route does not exist or has been deleted" in (report.error or "")


def test_two_instances_each_one_s_answer_is_reported_the_telling_one_first(
    rsshub: RSSHub, tmp_path: Path
) -> None:
    """The first instance answers (404, 503 with RSSHub's message), the second cannot be
    reached: every place that reports the failure says what both did, RSSHub's answer
    first."""
    dead = f"http://127.0.0.1:{closed_port()}"
    config = write_config(
        tmp_path,
        feeds(["/sina/finance", "/test/error"]),
        rsshub={"instances": [rsshub.base, dead]},
        fetch={"retries": 1},
        output__site=NO_SITE,
    )
    verbose = cli_process("run", "-v", "-c", str(config), cwd=tmp_path)
    run = cli("run", "--all", "--json", "-c", str(config))  # --all: the feeds now rest
    status = cli("status", "-c", str(config))
    reasons = {f["feed"]: f["reason"] for f in json.loads(run.stdout)["feeds"]["failures"]}
    dead_host = dead.removeprefix("http://")
    for route, said in (
        ("/sina/finance", "The route does not exist"),
        ("/test/error", "RSSHub said: Error test"),
    ):
        reason = reasons[route]
        assert "\n" not in reason
        assert reason.index(said) < reason.index(f"cannot connect to {dead_host}"), reason
        assert said in verbose.stdout + verbose.stderr
        log = [line for line in verbose.stderr.splitlines() if f"feed {route} failed" in line]
        assert log and said in log[0] and dead_host in log[0]
    assert "The route does not exist" in status.stdout and dead_host in status.stdout
    failures = json.loads(run.stdout)["feeds"]["failures"]
    assert {f["feed"]: f["status"] for f in failures} == {"/sina/finance": 404, "/test/error": 503}


def test_limit_and_filter_are_rsshub_s_to_apply(rsshub: RSSHub, tmp_path: Path) -> None:
    config = load_config(
        write_config(
            tmp_path,
            [
                *feeds(["/test/1"], rsshub_params={"limit": 2}),
                *feeds(["/test/long"], rsshub_params={"filter_title": "Title2"}),
            ],
            rsshub={"instances": [rsshub.base]},
            output__site=NO_SITE,
        )
    )
    summary = pipeline.run(config)
    assert [r.new for r in summary.feeds] == [2, 1], [r.error for r in summary.feeds]
    titles = sorted(front(p)["title"] for p in config.hexo.dir.rglob("*.md"))
    assert titles[-1].startswith("Title2") or "Title2" in titles[-1]
