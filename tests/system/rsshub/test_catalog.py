"""The route catalog from the real RSSHub's /api/namespace: one row per route path, every
route in a named category (its namespace's when it has none), the access key sent (and
kept nowhere) when the instance asks for it, and search showing each route once."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from support.cli import cli
from support.helpers import write_config
from support.rsshub import RSSHub
from support.secrets import KEY, assert_no_secret, every_byte_written, forms

from newsstand.sources.catalog import CATEGORIES
from newsstand.store import open_store


@pytest.fixture(scope="module")
def namespaces(rsshub: RSSHub) -> dict:
    """What the instance answers at /api/namespace, read here without newsstand."""
    with urllib.request.urlopen(rsshub.url("/api/namespace"), timeout=60) as response:
        return json.loads(response.read())


def site(root: Path, rsshub: RSSHub, **rsshub_settings) -> Path:
    return write_config(root, [], rsshub={"instances": [rsshub.base], **rsshub_settings})


def catalog(config: Path) -> list:
    with open_store(str(config.parent / ".newsstand" / "newsstand.db"), lock=False) as store:
        return store.routes()


def test_sync_keeps_one_row_per_route_path(rsshub: RSSHub, namespaces: dict, tmp_path) -> None:
    config = site(tmp_path, rsshub)
    synced = cli("routes", "sync", "--json", "-c", str(config))
    assert synced.returncode == 0, synced.stderr
    routes = catalog(config)
    paths = [r.path for r in routes]
    expected = sum(len(info.get("routes") or {}) for info in namespaces.values())
    assert len(routes) == expected == json.loads(synced.stdout)["routes"]
    assert [p for p, n in Counter(paths).items() if n > 1] == []
    # a route served at several paths is one row per path, each under its own path
    nyaa = sorted(p for p in paths if p.startswith("/nyaa/"))
    assert nyaa == sorted("/nyaa" + key for key in namespaces["nyaa"]["routes"])
    assert {r.origin for r in routes} == {rsshub.base}


def test_every_route_is_filed_under_a_named_category(
    rsshub: RSSHub, namespaces: dict, tmp_path
) -> None:
    config = site(tmp_path, rsshub)
    assert cli("routes", "sync", "-c", str(config)).returncode == 0
    routes = {r.path: r for r in catalog(config)}
    assert {r.category for r in routes.values()} <= set(CATEGORIES.values())
    sport = [r for r in routes.values() if r.category_id == "sport"]
    assert sport and {r.category for r in sport} == {"体育"}
    # a route that names no category of its own is filed under its namespace's
    inherited = 0
    for name, info in namespaces.items():
        own = [c for c in info.get("categories") or [] if c != "popular"]
        for key, route in (info.get("routes") or {}).items():
            if not route.get("categories") and own:
                path = "/" + name + ("" if key in ("", "/") else key)
                assert routes[path].category == CATEGORIES[own[0]], path
                inherited += 1
    assert inherited > 0


def test_search_shows_a_route_once_and_show_says_where_it_came_from(
    rsshub: RSSHub, shared: Path, tmp_path
) -> None:
    config = site(tmp_path, rsshub)
    docs = shared / "data" / "rsshub"
    for args in (("--docs", str(docs / "docs-new")), ("--docs", str(docs / "docs-old")), ()):
        assert cli("routes", "sync", *args, "-c", str(config)).returncode == 0
    found = json.loads(cli("routes", "search", "雪球", "--json", "-c", str(config)).stdout)
    paths = [r["path"] for r in found]
    assert "/xueqiu/today" in paths and len(paths) == len(set(paths))
    today = next(r for r in found if r["path"] == "/xueqiu/today")
    assert today["origin"] == rsshub.base and today["format"] == "api"  # the freshest
    shown = cli("routes", "show", "/xueqiu/today", "-c", str(config)).stdout
    assert f"from      {rsshub.base} (an instance's /api/namespace" in shown
    also = next(line for line in shown.splitlines() if line.startswith("also in"))
    assert "docs-new" in also and "(new)" in also and "docs-old" in also and "(old)" in also


@pytest.mark.parametrize("access", ["key", "code"])
def test_sync_from_an_instance_with_access_control_sends_the_key_and_keeps_it_nowhere(
    rsshub_keyed: RSSHub, tmp_path, access: str
) -> None:
    config = site(tmp_path, rsshub_keyed, access_key=KEY, access=access)
    mark = rsshub_keyed.mark()
    synced = cli("routes", "sync", "-c", str(config))
    assert synced.returncode == 0, synced.stderr
    assert rsshub_keyed.answers(mark) == [("/api/namespace", 200)]
    routes = catalog(config)
    assert len(routes) > 3000 and {r.origin for r in routes} == {rsshub_keyed.base}
    code = hashlib.md5(("/api/namespace" + KEY).encode()).hexdigest()
    written = [(w, d) for w, d in every_byte_written(tmp_path) if w != str(config)]
    assert_no_secret([*forms(KEY), code.encode()], [*written, ("output", synced.stdout.encode())])


def test_sync_without_the_key_says_what_to_do(rsshub_keyed: RSSHub, tmp_path) -> None:
    config = site(tmp_path, rsshub_keyed)
    synced = cli("routes", "sync", "-c", str(config), env={"RSSHUB_ACCESS_KEY": None})
    assert synced.returncode == 1
    assert "HTTP 403" in synced.stderr and "Authentication failed" in synced.stderr
    assert "RSSHUB_ACCESS_KEY" in synced.stderr


def test_the_key_goes_to_the_configured_instances_only(
    rsshub: RSSHub, rsshub_keyed: RSSHub, tmp_path
) -> None:
    """``--instance`` names another server: the key of ours is not sent there."""
    config = site(tmp_path, rsshub_keyed, access_key=KEY)
    mark = rsshub.mark()
    assert cli("routes", "sync", "--instance", rsshub.base, "-c", str(config)).returncode == 0
    assert rsshub.answers(mark) == [("/api/namespace", 200)]
    assert not any(KEY in line or quote(KEY, safe="") in line for line in rsshub.lines[mark:])


def test_an_instance_url_holding_a_key_is_refused_without_repeating_it(
    rsshub_keyed: RSSHub, tmp_path
) -> None:
    config = site(tmp_path, rsshub_keyed)
    given = f"{rsshub_keyed.base}/?key={quote(KEY, safe='')}"
    synced = cli("routes", "sync", "--instance", given, "-c", str(config))
    assert synced.returncode == 2 and "access key goes in [rsshub] access_key" in synced.stderr
    assert_no_secret(forms(KEY), [("stderr", synced.stderr.encode())])
    keyed_config = write_config(tmp_path / "other", [], rsshub={"instances": [given]})
    refused = cli("routes", "sync", "-c", str(keyed_config))
    assert refused.returncode == 2 and "without a query" in refused.stderr
    assert_no_secret(forms(KEY), [("stderr", refused.stderr.encode())])


def test_feeds_add_files_a_route_where_the_instance_lists_it(rsshub: RSSHub, tmp_path) -> None:
    config = site(tmp_path, rsshub)
    assert cli("routes", "sync", "-c", str(config)).returncode == 0
    added = cli("feeds", "add", "/sina/finance/china", "--json", "-c", str(config))
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["added"] == {
        "route": "/sina/finance/china",
        "category": "新媒体",
        "source": "新浪",
        "channel": "财经－国內",
    }
    template = cli("feeds", "add", "/xueqiu/user/:id/:type?", "id=8152922548", "-c", str(config))
    assert template.returncode == 0, template.stderr
    assert "added /xueqiu/user/8152922548 under 金融 › 雪球 › 用户动态" in template.stdout
