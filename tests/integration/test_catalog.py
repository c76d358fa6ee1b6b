"""The RSSHub route catalog: both docs formats, an instance's /api/namespace, search."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from helpers import write_config
from test_cli import newsstand

from newsstand.demo.server import Resource
from newsstand.sources.catalog import (
    fill_template,
    match_template,
    parse_docs,
    parse_docs_dir,
    routes_by_category,
)
from newsstand.sources.routes import find_route, resolve, sync_docs
from newsstand.store import MIGRATIONS, open_store

ACCEPTANCE = ("金融", "新浪财经", "新浪财经－国內")


def count_in_files(folder: Path) -> Counter:
    """Routes per category, counted without the parser: the file's `# ` heading names the
    category; each `<Route` tag is one route, or one per path of a new-format :data."""
    counts: Counter = Counter()
    for file in sorted(folder.glob("*.md")):
        text = file.read_text("utf-8")
        heading = next(line for line in text.splitlines() if line.startswith("# "))
        category = heading.split()[-1]  # "# 💰 金融" -> "金融"
        for tag in text.split("<Route")[1:]:
            data = re.match(r"""\s+namespace="[^"]*"\s+:data='([^']*)'""", tag)
            if data:
                path = json.loads(data.group(1).replace("&#39;", "'"))["path"]
                counts[category] += len(path) if isinstance(path, list) else 1
            else:
                counts[category] += 1
    return counts


@pytest.mark.parametrize("which", ["docs-old", "docs-new"])
def test_routes_per_category_match_the_files(shared: Path, which: str) -> None:
    folder = shared / "data" / "rsshub" / which
    routes = parse_docs_dir(folder)
    expected = count_in_files(folder)
    assert routes_by_category(routes) == dict(expected)
    assert sum(expected.values()) > 250
    assert {r.format for r in routes} == {which.split("-")[1]}
    assert all(r.path.startswith("/" + r.namespace) and r.source for r in routes)


def test_sina_finance_resolves_to_its_place(shared: Path, tmp_path: Path) -> None:
    with open_store(str(tmp_path / "store.db")) as store:
        sync_docs(store, shared / "data" / "rsshub" / "docs-old")
        sync_docs(store, shared / "data" / "rsshub" / "docs-new")
        route = find_route(store, "/sina/finance")
        assert route is not None
        assert (route.category, route.source, route.channel) == ACCEPTANCE
        assert route.origin.endswith("finance.md") and route.line == 569
        # a template with its parameter given resolves to the route that documents it
        resolved = resolve(store, "/xueqiu/user/:id/:type?", {"id": "8152922548"})
        assert resolved.path == "/xueqiu/user/8152922548"
        assert resolved.route is not None and resolved.route.channel == "用户动态"
        assert dict(resolved.route.parameters)["id"].startswith("用户 id")


def test_syncing_the_same_docs_again_replaces_not_doubles(shared: Path, tmp_path: Path) -> None:
    docs = shared / "data" / "rsshub" / "docs-old"
    with open_store(str(tmp_path / "store.db")) as store:
        first = sync_docs(store, docs).routes
        sync_docs(store, docs)
        assert sum(n for _, _, n in store.route_counts()) == first


def test_old_tags_spread_over_lines_or_missing_their_end() -> None:
    text = (
        "# 金融\n\n## 某站\n\n### 频道一\n\n"
        '<Route author="a"\n    example="/site/one/5"\n    path="/site/one/:id?"\n'
        "    :paramsDesc=\"['编号, 默认为 \\'5\\'']\"/>\n\n"
        "### 频道二\n\n"
        '<Route author="b" example="/site/two" path="/site/two"\n\n'
        "说明文字\n\n"
        "```\n# not a heading\n```\n\n"
        "### 频道三\n\n"
        '<Route author="c" example="/site/three" path="/site/three">\n\n| a |\n\n</Route>\n'
    )
    routes = parse_docs(text, "t.md")
    assert [(r.path, r.channel, r.line) for r in routes] == [
        ("/site/one/:id?", "频道一", 7), ("/site/two", "频道二", 14), ("/site/three", "频道三", 24),
    ]
    assert routes[0].parameters == (("id", "编号, 默认为 '5'"),)
    assert {(r.category, r.source) for r in routes} == {("金融", "某站")}


def test_templates() -> None:
    assert match_template("/xueqiu/user/:id/:type?", "/xueqiu/user/1") == {"id": "1"}
    assert match_template("/xueqiu/user/:id/:type?", "/xueqiu/user/1/2") == {"id": "1",
                                                                             "type": "2"}
    assert match_template("/xueqiu/user/:id", "/xueqiu/user") is None
    assert match_template("/a/:rest{.+}?", "/a/b/c") == {"rest": "b/c"}
    assert fill_template("/xueqiu/user/:id/:type?", {"id": "1"}) == "/xueqiu/user/1"
    with pytest.raises(KeyError):
        fill_template("/xueqiu/user/:id", {})


def test_sync_from_an_instance_then_search(shared: Path, server, tmp_path: Path) -> None:
    sample = (shared / "data" / "rsshub" / "api-namespace-sample.json").read_bytes()
    server.routes["/api/namespace"] = Resource(sample, "application/json; charset=utf-8")
    # the first instance does not answer: the next one is asked
    write_config(tmp_path, [], rsshub={"instances": [server.url("/down"), server.base]},
                 fetch={"retries": 0})
    result = newsstand("routes", "sync", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    synced = json.loads(result.stdout)
    expected = sum(len(ns["routes"]) for ns in json.loads(sample).values())
    assert synced["origin"] == server.base and synced["routes"] == expected
    assert server.hits["/down/api/namespace"] == 1

    chinese = json.loads(newsstand("routes", "search", "财联社", "--json", cwd=tmp_path).stdout)
    assert chinese and {r["source"] for r in chinese} == {"财联社"}
    english = json.loads(newsstand("routes", "search", "cls", "telegraph", "--json",
                                   cwd=tmp_path).stdout)
    assert [r["path"] for r in english] == ["/cls/telegraph/:category?"]
    by_category = json.loads(newsstand("routes", "search", "finance", "--json",
                                       cwd=tmp_path).stdout)
    assert all("finance" in (r["category_id"] or "") + r["path"] for r in by_category)
    assert any(r["category"] == "金融" and "finance" not in r["path"] for r in by_category)

    table = newsstand("routes", "search", "新浪", cwd=tmp_path)
    assert table.returncode == 0 and "/sina/finance/china" in table.stdout  # example column
    shown = newsstand("routes", "show", "/sina/finance/china", cwd=tmp_path)
    assert shown.returncode == 0 and "新媒体" in shown.stdout and ":lid" in shown.stdout
    missing = newsstand("routes", "search", "no-such-word-here", cwd=tmp_path)
    assert missing.returncode == 0 and missing.stdout == "" and "no route" in missing.stderr


def test_a_catalog_from_docs_and_instance_keeps_both(shared: Path, server,
                                                     tmp_path: Path) -> None:
    sample = (shared / "data" / "rsshub" / "api-namespace-sample.json").read_bytes()
    server.routes["/api/namespace"] = Resource(sample, "application/json")
    write_config(tmp_path, [], rsshub={"instances": [server.base]})
    assert newsstand("routes", "sync", "--docs", str(shared / "data" / "rsshub" / "docs-old"),
                     cwd=tmp_path).returncode == 0
    assert newsstand("routes", "sync", cwd=tmp_path).returncode == 0
    old = json.loads(newsstand("routes", "show", "/sina/finance", "--json", cwd=tmp_path).stdout)
    new = json.loads(newsstand("routes", "show", "/sina/finance/china", "--json",
                               cwd=tmp_path).stdout)
    assert (old["category"], old["source"], old["channel"]) == ACCEPTANCE
    assert (new["path"], new["category"], new["format"]) == ("/sina/finance/china/:lid?",
                                                             "新媒体", "api")


def test_search_on_an_empty_catalog_says_what_to_do(tmp_path: Path) -> None:
    write_config(tmp_path, [])
    result = newsstand("routes", "search", "新浪", cwd=tmp_path)
    assert result.returncode == 2 and "routes sync" in result.stderr
    no_scheme = newsstand("routes", "sync", "--instance", "rsshub.example", cwd=tmp_path)
    assert no_scheme.returncode == 2 and "http://" in no_scheme.stderr
    no_docs = newsstand("routes", "sync", "--docs", str(tmp_path / "nope"), cwd=tmp_path)
    assert no_docs.returncode == 2 and "nope" in no_docs.stderr


def test_a_store_from_before_the_catalog_is_upgraded_keeping_its_history(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # a store as the first schema left it
        conn.executescript(MIGRATIONS[0])
        conn.execute("INSERT INTO feeds (key, category, source, channel) VALUES ('k', 'c', 's',"
                     " 'ch')")
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    with open_store(str(db)) as store:
        assert store.search_routes(["anything"]) == []
        assert [row["key"] for row in store.feed_health()] == ["k"]
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
