"""Routes RSSHub no longer serves, found by asking the real RSSHub (or, offline, the routes
the catalog synced from it): `feeds check` reports them with the current path of the same
name, and `migrate-rsshub-page` adds them disabled, saying so."""

from __future__ import annotations

import json
import socket
import tomllib
from pathlib import Path

from support.cli import cli
from support.helpers import write_config
from support.paths import DATA
from support.rsshub import RSSHub

FEEDS = [
    {"route": "/test/1", "category": "测试", "source": "RSSHub"},
    {
        "route": "/sina/finance",
        "category": "金融",
        "source": "新浪财经",
        "channel": "新浪财经－国內",
    },
    {"route": "/xueqiu/user/8152922548", "category": "金融", "source": "雪球"},  # a template's
    {"route": "/nyaa/user/someone?limit=5", "category": "动画", "source": "nyaa"},
    {"route": "/no-such-site/news", "category": "其他", "source": "nowhere"},
]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_feeds_check_asks_the_instance_and_suggests_where_a_route_went(
    rsshub: RSSHub, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FEEDS, rsshub={"instances": [rsshub.base]})
    mark = rsshub.mark()
    checked = cli("feeds", "check", "-c", str(config))
    assert checked.returncode == 1, checked.stderr
    assert rsshub.answers(mark) == [("/api/namespace", 200)]  # one request, not one per route
    assert f"against {rsshub.base}'s routes (its /api/namespace, just now)" in checked.stdout
    gone = [line for line in checked.stdout.splitlines() if line.startswith("gone")]
    assert gone == [
        "gone  /sina/finance: RSSHub has no such route now; perhaps /sina/finance/china"
        " (新浪 › 财经－国內)",
        "gone  /no-such-site/news: RSSHub has no such route now",
    ]
    assert "3 served, 2 gone" in checked.stdout
    data = json.loads(cli("feeds", "check", "--json", "-c", str(config)).stdout)
    served = {r["route"]: r["served_by"] for r in data["routes"]}
    assert served["/xueqiu/user/8152922548"] == "/xueqiu/user/:id/:type?"
    assert served["/nyaa/user/someone?limit=5"] == "/nyaa/user/:username?"


def test_offline_it_checks_against_the_synced_catalog_and_says_so(
    rsshub: RSSHub, tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    config = write_config(
        tmp_path, FEEDS, rsshub={"instances": [dead]}, fetch={"retries": 0, "timeout": 5}
    )
    nothing = cli("feeds", "check", "-c", str(config))
    assert nothing.returncode == 1
    assert "cannot tell which routes RSSHub serves" in nothing.stderr
    assert "run `newsstand routes sync`" in nothing.stderr
    assert cli("routes", "sync", "--instance", rsshub.base, "-c", str(config)).returncode == 0
    checked = cli("feeds", "check", "-c", str(config))
    assert checked.returncode == 1
    assert f"against {rsshub.base}'s routes as synced at " in checked.stdout
    assert f"cannot connect to {dead.removeprefix('http://')}" in checked.stdout  # why
    assert "gone  /sina/finance: RSSHub has no such route now; perhaps /sina/finance/china" in (
        checked.stdout
    )
    offline = cli("feeds", "check", "--offline", "-c", str(config))
    assert "as synced at" in offline.stdout and "cannot connect" not in offline.stdout


def test_migrate_adds_a_gone_route_disabled_and_says_where_it_went(
    rsshub: RSSHub, tmp_path: Path
) -> None:
    config = write_config(tmp_path, [], rsshub={"instances": [rsshub.base]})
    docs = DATA / "rsshub-docs"  # a few routes of our own in RSSHub's old docs format
    assert cli("routes", "sync", "--docs", str(docs), "-c", str(config)).returncode == 0
    assert cli("routes", "sync", "-c", str(config)).returncode == 0
    result = cli("migrate-rsshub-page", str(DATA / "rsshub-page"), "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert (
        "gone: /sina/finance: RSSHub has no such route now; perhaps /sina/finance/china"
        " (新浪 › 财经－国內) (added disabled)" in result.stderr
    )
    assert "added /sina/finance under 金融 › 新浪财经 › 新浪财经－国內 (disabled" in result.stdout
    feeds = {
        f["route"]: f for f in tomllib.loads(config.read_text("utf-8"))["feeds"] if "route" in f
    }
    assert feeds["/sina/finance"]["enabled"] is False
    assert "enabled" not in feeds["/xueqiu/today"]  # served: added as it was
