"""Feed health: failing feeds back off, `newsstand status` shows who is sick and alerts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.faultsite import Site, run_cli
from support.helpers import rss

from newsstand.config import load_config
from newsstand.demo.server import FeedServer, Resource


def make_due(db: Path) -> None:
    """Move every resting feed's next try into the past, as if time had passed."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE feeds SET next_due = ? WHERE next_due IS NOT NULL",
            ((datetime.now(UTC) - timedelta(seconds=1)).isoformat(),),
        )


def test_a_dead_feed_is_not_hammered(server: FeedServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path, health={"backoff": 30, "max_backoff": 100})
    site.fault(Resource(b"down", "text/plain", status=500))
    hits = server.hits["/bad"]
    for _ in range(3):  # runs within the rest: the feed is skipped, and reported so
        again = run_cli(site.config)
        assert again.code == 0 and server.hits["/bad"] == hits
        (skipped,) = again.data["feeds"]["skipped"]
        assert "resting after 1 failure" in skipped["reason"] and "HTTP 500" in skipped["reason"]
    rests = []
    for failures in (2, 3, 4):
        make_due(site.db)
        assert run_cli(site.config).code == 0 and server.hits["/bad"] == hits + failures - 1
        with sqlite3.connect(site.db) as conn:
            due, attempt = conn.execute(
                "SELECT next_due, last_attempt FROM feeds WHERE key LIKE '%/bad'"
            ).fetchone()
        rests.append(datetime.fromisoformat(due) - datetime.fromisoformat(attempt))
    assert rests == [timedelta(minutes=60), timedelta(minutes=100), timedelta(minutes=100)]
    server.routes["/bad"] = Resource(rss([{"title": "back", "guid": "back"}]))
    make_due(site.db)
    healed = run_cli(site.config)
    assert healed.code == 0 and healed.data["feeds"]["failed"] == 0
    assert site.entries("bad") == 4
    status = run_cli(site.config, "status")
    assert status.code == 0
    (bad,) = [f for f in status.data["feeds"] if f["feed"].endswith("/bad")]
    assert bad["state"] == "ok" and bad["failures"] == 0 and bad["next_due"] is None


def test_status_shows_sick_feeds_first_and_alerts(server: FeedServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path, health={"alert_share": 0.5})
    site.fault(Resource(b"no", "text/plain", status=404))
    status = run_cli(site.config, "status")
    first, second = status.data["feeds"]
    assert first["feed"].endswith("/bad") and first["state"] == "failing"
    assert first["failures"] == 1 and first["http_status"] == 404
    assert "HTTP 404" in first["last_error"] and first["entries"] == 3
    assert first["last_attempt"] and first["last_success"] and first["next_due"]
    assert second["feed"].endswith("/good") and second["state"] == "ok"
    assert second["entries"] == 3 and second["last_error"] is None
    assert status.data["failing"] == 1 and status.data["failing_share"] == 0.5
    assert status.code == 1 and status.data["alert"]  # half the feeds fail: alert
    relaxed = load_config(site.config)
    text = site.config.read_text().replace("alert_share = 0.5", "alert_share = 0.75")
    site.config.write_text(text)
    assert load_config(site.config).health.alert_share == 0.75 != relaxed.health.alert_share
    assert run_cli(site.config, "status").code == 0


def test_status_as_a_table(server: FeedServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path)
    site.fault(Resource(b"gone", "text/plain", status=410))
    from click.testing import CliRunner

    from newsstand.cli import main

    result = CliRunner().invoke(main, ["status", "-c", str(site.config)])
    lines = result.stdout.splitlines()
    assert lines[0].split("\t")[:3] == ["feed", "state", "fails"]
    assert lines[1].split("\t")[:2] == [server.url("/bad"), "gone"]
    assert "HTTP 410" in lines[1] and lines[2].split("\t")[:2] == [server.url("/good"), "ok"]
    assert lines[-1].startswith("1 of 2 feeds failing") and result.exit_code == 1


def test_status_before_any_run_says_what_to_do(tmp_path: Path, server: FeedServer) -> None:
    site = Site(server, tmp_path)
    status = run_cli(site.config, "status")
    assert status.code == 1 and "newsstand run" in status.output
    assert not site.db.exists()  # looking never creates a store
