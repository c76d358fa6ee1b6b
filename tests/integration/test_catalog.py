"""The RSSHub route catalog in the store: synced from docs and from an instance's
/api/namespace, searched from the command line (CliRunner); on each store backend. The
inputs are our own (tests/data: a docs file and an /api/namespace answer, a few routes
each), but for the test that reads RSSHub's real docs from ../shared."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from support.cli import cli
from support.helpers import write_config
from support.paths import DATA

from newsstand.demo.server import Resource
from newsstand.sources.routes import find_route, resolve, sync_docs
from newsstand.store import open_store
from newsstand.store.migrations import MIGRATIONS

ACCEPTANCE = ("金融", "新浪财经", "新浪财经－国內")
DOCS = DATA / "rsshub-docs"  # RSSHub's old docs format
NAMESPACE = DATA / "rsshub-namespace.json"  # an instance's /api/namespace answer


def test_sina_finance_resolves_to_its_place(shared: Path, store_url: str) -> None:
    with open_store(store_url) as store:
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


def test_syncing_the_same_docs_again_replaces_not_doubles(store_url: str) -> None:
    with open_store(store_url) as store:
        first = sync_docs(store, DOCS).routes
        sync_docs(store, DOCS)
        assert first == 7 and sum(n for _, _, n in store.route_counts()) == first


def test_sync_from_an_instance_then_search(server, tmp_path: Path, store_url: str) -> None:
    sample = NAMESPACE.read_bytes()
    server.routes["/api/namespace"] = Resource(sample, "application/json; charset=utf-8")
    # the first instance does not answer: the next one is asked
    write_config(
        tmp_path,
        [],
        rsshub={"instances": [server.url("/down"), server.base]},
        fetch={"retries": 0},
        store={"url": store_url},
    )
    result = cli("routes", "sync", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    synced = json.loads(result.stdout)
    expected = sum(len(ns["routes"]) for ns in json.loads(sample).values())
    assert synced["origin"] == server.base and synced["routes"] == expected
    assert server.hits["/down/api/namespace"] == 1

    chinese = json.loads(cli("routes", "search", "财联社", "--json", cwd=tmp_path).stdout)
    assert chinese and {r["source"] for r in chinese} == {"财联社"}
    english = json.loads(cli("routes", "search", "cls", "telegraph", "--json", cwd=tmp_path).stdout)
    assert [r["path"] for r in english] == ["/cls/telegraph/:category?"]
    by_category = json.loads(cli("routes", "search", "finance", "--json", cwd=tmp_path).stdout)
    assert all("finance" in (r["category_id"] or "") + r["path"] for r in by_category)
    assert any(r["category"] == "金融" and "finance" not in r["path"] for r in by_category)

    table = cli("routes", "search", "新浪", cwd=tmp_path)
    assert table.returncode == 0 and "/sina/finance/china" in table.stdout  # example column
    shown = cli("routes", "show", "/sina/finance/china", cwd=tmp_path)
    assert shown.returncode == 0 and "新媒体" in shown.stdout and ":lid" in shown.stdout
    missing = cli("routes", "search", "no-such-word-here", cwd=tmp_path)
    assert missing.returncode == 0 and missing.stdout == "" and "no route" in missing.stderr


def test_a_catalog_from_docs_and_instance_keeps_both(server, tmp_path: Path) -> None:
    server.routes["/api/namespace"] = Resource(NAMESPACE.read_bytes(), "application/json")
    write_config(tmp_path, [], rsshub={"instances": [server.base]})
    assert cli("routes", "sync", "--docs", str(DOCS), cwd=tmp_path).returncode == 0
    assert cli("routes", "sync", cwd=tmp_path).returncode == 0
    old = json.loads(cli("routes", "show", "/sina/finance", "--json", cwd=tmp_path).stdout)
    new = json.loads(cli("routes", "show", "/sina/finance/china", "--json", cwd=tmp_path).stdout)
    assert (old["category"], old["source"], old["channel"]) == ACCEPTANCE
    assert (new["path"], new["category"], new["format"]) == (
        "/sina/finance/china/:lid?",
        "新媒体",
        "api",
    )


def test_both_backends_search_alike(shared: Path, tmp_path: Path, pg_url: str) -> None:
    """The same catalog gives the same routes in the same order on SQLite and PostgreSQL
    (byte order, NULL channels first, ASCII-only case folding)."""
    found = []
    for url in (str(tmp_path / "store.db"), pg_url):
        with open_store(url) as store:
            sync_docs(store, shared / "data" / "rsshub" / "docs-old")
            sync_docs(store, shared / "data" / "rsshub" / "docs-new")
            found.append(
                [
                    store.routes(),
                    *(store.search_routes(w) for w in ([], ["新浪"], ["FINANCE"], ["a", "e"])),
                    store.search_routes(["news"], limit=7),
                    store.route_counts(),
                ]
            )
    assert found[0] == found[1]
    assert any(r.channel is None for r in found[0][1])


def test_a_store_from_before_the_catalog_is_upgraded_keeping_its_history(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # a store as the first schema left it
        conn.executescript(MIGRATIONS[0])
        conn.execute(
            "INSERT INTO feeds (key, category, source, channel) VALUES ('k', 'c', 's', 'ch')"
        )
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    with open_store(str(db)) as store:
        assert store.search_routes(["anything"]) == []
        assert [record.key for record in store.feed_records()] == ["k"]
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
