"""store: a real SQLite file and a real PostgreSQL (a fresh schema), the same tests on each."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.postgres import free_port

from newsstand.model import Entry, Feed, Fetched, Outcome
from newsstand.store import StoreBusy, StoreError, open_store
from newsstand.store.migrations import MIGRATIONS

FEED = Feed(key="/f", route="/f", url=None, category="c", source="s", channel="ch")
T0 = datetime(2024, 1, 1, tzinfo=UTC)
OK = Fetched(feed_key="/f", url="http://x/f", status=200, body=b"x", etag='"e1"')


def entry(i: int, *, published: datetime | None = T0, content: str = "<p>x</p>") -> Entry:
    return Entry(
        id=f"id{i}",
        link=f"https://e.com/{i}",
        title=f"t{i}",
        author=None,
        published=published,
        updated=None,
        content=content,
        thumbnail=None,
    )


def record(store, feed: Feed, fetched: Fetched, entries, *, now=None):
    outcome = Outcome(feed, fetched, tuple(entries) if entries is not None else None)
    return store.record([outcome], now=now)[0]


@pytest.fixture
def store(store_url: str):
    with open_store(store_url) as s:
        s.sync_feeds([FEED])
        yield s


def test_new_updated_unchanged(store) -> None:
    assert record(store, FEED, OK, [entry(1), entry(2)]).new == 2
    again = record(store, FEED, OK, [entry(1), entry(2, content="<p>changed</p>")])
    assert (again.new, again.updated) == (0, 1)
    assert store.validators("/f") == ('"e1"', None)
    items = {i.entry.id: i for i in store.items()}
    assert items["id2"].entry.content == "<p>changed</p>"
    assert items["id2"].revision > items["id1"].revision


def test_undated_items_keep_first_seen(store) -> None:
    record(store, FEED, OK, [entry(1, published=None)], now=T0)
    record(
        store,
        FEED,
        OK,
        [entry(1, published=None, content="<p>new</p>")],
        now=T0 + timedelta(days=3),
    )
    (item,) = store.items()
    assert item.entry.published == T0 and item.entry.content == "<p>new</p>"


def test_failure_keeps_entries(store) -> None:
    record(store, FEED, OK, [entry(1)])
    failed = Fetched(feed_key="/f", url="http://x/f", status=500, error="HTTP 500")
    record(store, FEED, failed, None)
    assert [i.entry.id for i in store.items()] == ["id1"]
    (health,) = store.feed_records()
    assert health.failures == 1 and health.last_error == "HTTP 500"
    assert health.entries == 1


def test_retention(store) -> None:
    feed = dataclasses.replace(FEED, keep_per_feed=2)
    record(store, feed, OK, [entry(i, published=T0 + timedelta(days=i)) for i in range(5)])
    assert store.apply_retention([feed]) == 3
    assert sorted(i.entry.id for i in store.items()) == ["id3", "id4"]
    by_age = dataclasses.replace(FEED, keep_days=10)
    assert store.apply_retention([by_age], now=T0 + timedelta(days=13.5)) == 1
    assert [i.entry.id for i in store.items()] == ["id4"]


def test_moving_a_feed_revises_its_items(store) -> None:
    record(store, FEED, OK, [entry(1)])
    before = store.revisions()
    store.sync_feeds([dataclasses.replace(FEED, category="other")])
    (item,) = store.items()
    assert item.category == "other" and item.revision > before[item.uid]


def test_schema_version(tmp_path: Path) -> None:
    import sqlite3

    with open_store(str(tmp_path / "a.db")):
        pass
    assert sqlite3.connect(tmp_path / "a.db").execute("PRAGMA user_version").fetchone()[0] == len(
        MIGRATIONS
    )


def test_corrupt_store_is_named_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"bad\.db"):
        open_store(str(path))
    assert path.read_bytes() == b"this is not a database" * 100


def test_second_process_is_refused(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "a.db")), pytest.raises(StoreBusy, match="another"):
        open_store(str(tmp_path / "a.db"))


def test_schema_parity(tmp_path: Path, pg_url: str) -> None:
    """Every table and column of one backend is in the other (a migration added to one
    list needs its twin in the other), but for the coordination of workers."""
    import sqlite3

    import psycopg

    from newsstand.store.pg_migrations import COORDINATION

    with open_store(str(tmp_path / "a.db")), open_store(pg_url) as pg:
        schema = pg.schema
    db = sqlite3.connect(tmp_path / "a.db")
    lite = {
        table: {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = %s",
            (schema,),
        ).fetchall()
    post: dict[str, set[str]] = {}
    for table, column in rows:
        post.setdefault(table, set()).add(column)
    post.pop("schema_version")
    for table, columns in COORDINATION.items():
        if columns is None:
            post.pop(table)
        else:
            post[table] -= columns
    assert post == lite


def test_postgres_text_sorts_as_sqlite(tmp_path: Path, pg_url: str) -> None:
    """Byte order on both (PostgreSQL's text is COLLATE "C"): the same feeds, the same order."""
    feeds = [
        dataclasses.replace(FEED, key=f"/k{i}", category=c, source=s)
        for i, (c, s) in enumerate(
            [("b", "Z"), ("B", "a"), ("财经", "x"), ("a b", "y"), ("a", "é")]
        )
    ]
    orders = []
    for url in (str(tmp_path / "a.db"), pg_url):
        with open_store(url) as s:
            s.sync_feeds(feeds)
            orders.append([r.key for r in s.feed_records()])
    assert orders[0] == orders[1]


def test_postgres_busy_and_unreachable(pg_url: str) -> None:
    with open_store(pg_url), pytest.raises(StoreBusy, match="another newsstand"):
        open_store(pg_url)
    with pytest.raises(StoreError, match=r"cannot reach the store postgresql://u:\*\*\*@"):
        open_store(f"postgresql://u:secret@127.0.0.1:{free_port()}/x")
