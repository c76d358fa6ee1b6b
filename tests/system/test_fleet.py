"""Workers on PostgreSQL, as real processes over loopback feed servers that log every
request: each due feed fetched once, politeness per host across workers, a worker killed
mid-batch losing nothing, SIGTERM finishing the batch in hand."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psycopg
import pytest
from support.fleet import Farm, Proc, entry_counts, fetched_feeds, processes, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.needs_postgres]


def test_four_workers_fetch_every_feed_once(tmp_path: Path, pg_url: str) -> None:
    with Farm(2000, hosts=4, latency=0.01) as farm, processes() as procs:
        config = farm.config(tmp_path / "site", pg_url, fetch={"per_host": 6})
        for _ in range(4):
            procs.append(Proc("worker", "-c", str(config), "--batch", "8", cwd=tmp_path))
        for proc in procs:
            proc.wait_for("claiming batches of 8")
        wait_until(lambda: fetched_feeds(pg_url) == 2000, 600, "all 2,000 feeds fetched")
        # the feeds are due again only in a day: a few more idle claims change nothing
        time.sleep(3)
        for proc in procs:
            proc.signal(signal.SIGTERM)
        assert [proc.finish() for proc in procs] == [0, 0, 0, 0], [p.lines[-3:] for p in procs]
    assert len(farm.hits) == 2000 and set(farm.hits.values()) == {1}  # once each
    assert entry_counts(pg_url) == (4000, 4000)  # every entry stored once
    assert max(farm.peak.values()) <= 6, farm.peak  # per host, across the workers
    worked = [int(p.wait_for("stopped by").split("after ")[1].split()[0]) for p in procs]
    assert all(batches > 0 for batches in worked), worked  # they shared the work
    with psycopg.connect(pg_url) as conn:
        (held,) = conn.execute("SELECT count(*) FROM feeds WHERE claimed_by IS NOT NULL").fetchone()
    assert held == 0  # SIGTERM left nothing claimed


def test_a_killed_worker_loses_nothing(tmp_path: Path, pg_url: str) -> None:
    with Farm(240, hosts=2, latency=0.3) as farm, processes() as procs:
        config = farm.config(tmp_path / "site", pg_url, fetch={"per_host": 8})
        victim = Proc("worker", "-c", str(config), "--batch", "8", "--lease", "3s", cwd=tmp_path)
        procs.append(victim)
        victim.wait_for("claiming batches")
        others = [
            Proc("worker", "-c", str(config), "--batch", "8", "--lease", "3s", cwd=tmp_path)
            for _ in range(2)
        ]
        procs.extend(others)

        def victim_holds() -> list[str]:
            with psycopg.connect(pg_url) as conn:
                rows = conn.execute(
                    "SELECT key FROM feeds WHERE claimed_by LIKE %s", (f"%:{victim.pid}:%",)
                ).fetchall()
            return ["/" + key.rsplit("/", 1)[1] for (key,) in rows]

        def in_flight() -> bool:
            return any(farm.hits[path] for path in victim_holds())

        wait_until(in_flight, 120, "the victim fetching a batch")
        held = set(victim_holds())
        victim.popen.send_signal(signal.SIGKILL)
        victim.finish()
        assert held
        wait_until(lambda: fetched_feeds(pg_url) == 240, 300, "every feed fetched")
        for proc in others:
            proc.signal(signal.SIGTERM)
        assert [proc.finish() for proc in others] == [0, 0]
    assert entry_counts(pg_url) == (480, 480)  # nothing lost, nothing twice
    assert all(farm.hits[path] >= 1 for path in held)  # taken over after the lease ran out
    assert {path for path, n in farm.hits.items() if n > 1} <= held  # only those twice
    with psycopg.connect(pg_url) as conn:
        stale = conn.execute(
            "SELECT count(*) FROM feeds WHERE due_at <= now() OR claimed_by IS NOT NULL"
        ).fetchone()
    assert stale == (0,)  # every feed moved to its next slot; no claim left behind


def test_sigterm_finishes_the_batch_in_hand(tmp_path: Path, pg_url: str) -> None:
    with Farm(40, latency=1.0) as farm, processes() as procs:
        config = farm.config(tmp_path / "site", pg_url, fetch={"per_host": 8})
        worker = Proc("worker", "-c", str(config), "--batch", "8", cwd=tmp_path)
        procs.append(worker)
        wait_until(lambda: sum(farm.hits.values()) >= 1, 120, "a batch being fetched")
        worker.signal(signal.SIGTERM)
        assert worker.finish() == 0
        assert "stopped by SIGTERM after 1 batch(es)" in worker.lines[-1]
    fetched = fetched_feeds(pg_url)
    assert fetched == sum(farm.hits.values()) == 8  # the batch in hand, stored whole
    assert entry_counts(pg_url) == (16, 16)


def test_a_worker_needs_a_postgres_store(tmp_path: Path) -> None:
    with Farm(1) as farm:
        config = farm.config(tmp_path / "site", "sqlite:///x.db")
        proc = Proc("worker", "-c", str(config), cwd=tmp_path)
        assert proc.finish() == 1
    assert proc.lines == [
        "error: workers share a PostgreSQL store: set [store] url (or NEWSSTAND_STORE_URL)"
        " to postgresql://user@host/database; with a SQLite store, use `newsstand run` or"
        " `newsstand watch`"
    ]
