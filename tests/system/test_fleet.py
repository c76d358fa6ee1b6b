"""Workers on PostgreSQL, as real processes over loopback feed servers that log every
request: each due feed fetched once, politeness per host across workers, a worker killed
mid-batch losing nothing, SIGTERM finishing the batch in hand."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from support.fleet import Farm, Proc, entry_counts, fetched_feeds, processes, wait_until
from support.postgres import OwnServer

pytestmark = [pytest.mark.slow, pytest.mark.needs_postgres]


def test_four_workers_fetch_every_feed_once(tmp_path: Path, pg_url: str) -> None:
    with Farm(2000, hosts=4, latency=0.01) as farm, processes() as procs:
        # 4 hosts x 8 leases: room for every worker's batch of 8 at once (with fewer,
        # three quick workers can hold every lease while the fourth waits, rightly)
        config = farm.config(tmp_path / "site", pg_url, fetch={"per_host": 8})
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
    assert max(farm.peak.values()) <= 8, farm.peak  # per host, across the workers
    worked = [int(p.wait_for("stopped by").split("after ")[1].split()[0]) for p in procs]
    assert all(batches > 0 for batches in worked), worked  # they shared the work
    with psycopg.connect(pg_url) as conn:
        (held,) = conn.execute("SELECT count(*) FROM feeds WHERE claimed_by IS NOT NULL").fetchone()
    assert held == 0  # SIGTERM left nothing claimed

    from support.cli import cli

    shown = cli("status", "--json", "-c", str(config))
    fleet = json.loads(shown.stdout)["fleet"]
    workers = [w for w in fleet["workers"] if w["role"] == "worker"]
    assert len(workers) == 4 and all(w["stopped"] for w in workers)
    assert sum(w["fetched"] for w in workers) == 2000 and fleet["claims"] == 2000
    assert fleet["lag_p50"] is not None and fleet["lag_p95"] >= fleet["lag_p50"]
    assert fleet["due_now"] == 0
    table = cli("status", "-c", str(config)).stdout
    assert "claim lag p50" in table and f"{workers[0]['name']}\tworker (stopped)" in table


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


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_one_builder_builds_the_other_waits_and_takes_over(tmp_path: Path, pg_url: str) -> None:
    with Farm(300, per_feed=4) as farm, processes() as procs:
        config = farm.config(tmp_path / "site", pg_url)
        site = tmp_path / "site" / "public"
        filler = Proc("worker", "-c", str(config), "--until-idle", cwd=tmp_path)
        procs.append(filler)
        assert filler.finish(300) == 0
        first, second = (Proc("builder", "-c", str(config), cwd=tmp_path) for _ in range(2))
        procs += [first, second]
        leader, standby = first, second

        def leads(proc: Proc) -> bool:  # not "another builder leads; waiting"
            return any(
                line.startswith("builder ") and line.endswith(" leads") for line in proc.lines
            )

        wait_until(lambda: leads(first) or leads(second), 120, "a builder taking the lead")
        if leads(second):
            leader, standby = second, first
        standby.wait_for("another builder leads; waiting")
        leader.wait_for("built:")
        before = _tree(site)
        assert "index.html" in before and ".newsstand-manifest.json" in before
        posts = len(list((tmp_path / "site" / "source" / "_posts").rglob("*.md")))
        assert posts == 1200

        # new items arrive; the leader starts building them and is killed mid-build
        for path in farm.bodies:
            farm.bodies[path] = rss_items(path, 8)
        farm.config(tmp_path / "site", pg_url, fetch={"interval": 0, "min_interval": 0})
        procs.append(Proc("worker", "-c", str(config), cwd=tmp_path))  # every feed due
        staging = site.with_name(".public.new")
        wait_until(staging.exists, 300, "the leader building the new items")
        leader.popen.send_signal(signal.SIGKILL)
        leader.finish()
        assert _tree(site) == before  # the site as it was, whole
        wait_until(lambda: leads(standby), 120, "the standby taking the lead")
        standby.wait_for("built:", 300)
        wait_until(lambda: not staging.exists(), 60, "the build swapped in")
        after = _tree(site)
        assert after != before and "index.html" in after
        standby.signal(signal.SIGTERM)
        assert standby.finish() == 0


def rss_items(path: str, count: int) -> bytes:
    from support.fleet import items
    from support.helpers import rss

    return rss(items(path.strip("/"), count))


@pytest.mark.parametrize("command", [("run",), ("worker",), ("status",)])
def test_connection_refused_is_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    from support.postgres import free_port

    url = f"postgresql://newsstand@127.0.0.1:{free_port()}/news"
    with Farm(1) as farm:
        config = farm.config(tmp_path / "site", url)
        proc = Proc(*command, "-c", str(config), cwd=tmp_path)
        assert proc.finish() == 1
    assert len(proc.lines) == 1, proc.lines
    assert proc.lines[0].startswith(f"error: cannot reach the store {url}: ")
    assert "Connection refused" in proc.lines[0]


@pytest.fixture
def own() -> Iterator[OwnServer]:
    """A PostgreSQL server of the test's own, to stop and restart (removed afterwards)."""
    reason = OwnServer.missing()
    if reason:
        pytest.skip(reason)
    server = OwnServer().start()
    try:
        yield server
    finally:
        server.remove()


def test_the_database_restarted_mid_run(tmp_path: Path, own: OwnServer) -> None:
    """A server of this test's own (restarting the machine's would disturb other tests):
    restarted while workers fetch, they reconnect, and every feed is stored once."""
    with Farm(200, hosts=2, latency=0.2) as farm, processes() as procs:
        config = farm.config(tmp_path / "site", own.url, fetch={"per_host": 8})
        for _ in range(2):
            procs.append(Proc("worker", "-c", str(config), "--batch", "8", cwd=tmp_path))
        for proc in procs:
            proc.wait_for("claiming batches")
        wait_until(lambda: fetched_feeds(own.url) >= 40, 120, "some feeds stored")
        own.restart()
        wait_until(lambda: fetched_feeds(own.url) == 200, 300, "every feed after the restart")
        for proc in procs:
            proc.signal(signal.SIGTERM)
        assert [proc.finish() for proc in procs] == [0, 0], [p.lines[-5:] for p in procs]
    assert entry_counts(own.url) == (400, 400)
    assert all(n in (1, 2) for n in farm.hits.values())  # at most the batch in hand again
    with psycopg.connect(own.url) as conn:
        (left,) = conn.execute("SELECT count(*) FROM feeds WHERE claimed_by IS NOT NULL").fetchone()
    assert left == 0


def test_a_run_fails_cleanly_when_the_database_goes_away(tmp_path: Path, own: OwnServer) -> None:
    """Stopped for good mid-run: one line and exit 1 once reconnecting is given up; what
    was stored before is whole."""
    with Farm(120, latency=0.3) as farm, processes() as procs:
        config = farm.config(tmp_path / "site", own.url, fetch={"per_host": 4})
        run = Proc("run", "-c", str(config), cwd=tmp_path, env={"NEWSSTAND_STORE_RECONNECT": "3"})
        procs.append(run)
        wait_until(lambda: fetched_feeds(own.url) >= 8, 120, "some feeds stored")
        own.stop()
        assert run.finish(180) == 1
        errors = [line for line in run.lines if line.startswith("error:")]
        assert len(errors) == 1, run.lines[-5:]
        assert "nothing half-stored" in errors[0], errors
        own._ctl("start")
        stored, distinct = entry_counts(own.url)
        assert stored == distinct == 2 * fetched_feeds(own.url)


def test_init_systemd_worker_units_verify_and_run(tmp_path: Path, pg_url: str) -> None:
    """`init --systemd --worker`: a worker template and a builder that systemd's checker
    accepts, whose commands (run as systemd would: bare environment) do their jobs."""
    import os
    import shlex
    import shutil
    import subprocess

    from support.cli import cli

    with Farm(5) as farm:
        config = farm.config(tmp_path / "my fleet", pg_url)
        made = cli("init", "--systemd", "--worker", "--config", str(config), cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        assert "newsstand-worker@1 newsstand-worker@2 newsstand-builder" in made.stdout
        units = config.parent / "systemd"
        assert sorted(p.name for p in units.iterdir()) == [
            "newsstand-builder.service",
            "newsstand-worker@.service",
        ]
        analyze = shutil.which("systemd-analyze")
        if analyze:
            check = tmp_path / "check"
            check.mkdir()
            shutil.copy(units / "newsstand-worker@.service", check / "newsstand-worker@1.service")
            shutil.copy(units / "newsstand-builder.service", check)
            checked = subprocess.run(
                [analyze, "verify", "--man=no", *sorted(check.iterdir())],
                capture_output=True,
                text=True,
                timeout=60,
            )
            ours = [x for x in checked.stderr.splitlines() if str(check) in x]
            assert checked.returncode == 0 and not ours, checked.stderr
        env = {"PATH": "/usr/bin:/bin", "LANG": "C"}
        if os.environ.get("PYTHONPATH"):
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        for name, extra in (
            ("newsstand-worker@.service", ["--until-idle"]),
            ("newsstand-builder.service", ["--builds", "1"]),
        ):
            unit = (units / name).read_text("utf-8")
            (line,) = [x for x in unit.splitlines() if x.startswith("ExecStart=")]
            argv = [
                w.replace("%%", "%").replace("$$", "$")
                for w in shlex.split(line.removeprefix("ExecStart="))
            ]
            ran = subprocess.run(
                [*argv, *extra],
                cwd=config.parent,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert ran.returncode == 0, ran.stderr
    assert len(farm.hits) == 5
    assert len(list((config.parent / "source" / "_posts").rglob("*.md"))) == 10
    assert (config.parent / "public" / "index.html").is_file()


def test_a_password_in_the_environment_reaches_no_output_or_log(
    tmp_path: Path, pg_url: str
) -> None:
    """NEWSSTAND_STORE_URL may carry the password (the server here trusts, so any will
    do): it is in nothing newsstand prints or writes."""
    secret = "s3cret-PW-xyzzy"
    with_password = pg_url.replace("://root@", f"://root:{secret}@")
    env = {"NEWSSTAND_STORE_URL": with_password}
    with Farm(20) as farm:
        config = farm.config(tmp_path / "site", "sqlite:///unused.db")
        ran = [
            Proc("worker", "-c", str(config), "--until-idle", "-v", cwd=tmp_path, env=env),
            Proc("status", "-c", str(config), "--json", cwd=tmp_path, env=env),
            Proc("builder", "-c", str(config), "--builds", "1", "-v", cwd=tmp_path, env=env),
        ]
        codes = []
        for proc in ran:
            codes.append(proc.finish(180))
        assert codes == [0, 0, 0], [p.lines[-3:] for p in ran]
        busy = Proc(
            "worker",
            "-c",
            str(config),
            cwd=tmp_path,
            env={"NEWSSTAND_STORE_URL": with_password.replace("127.0.0.1", "127.0.0.1:1")},
        )
        assert busy.finish() == 1
    assert any("root:***@" in line for line in busy.lines), busy.lines
    written = {p: p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()}
    assert any(p.name == "newsstand.log" for p in written)
    assert not [p for p, data in written.items() if secret.encode() in data]
    for proc in [*ran, busy]:
        assert secret not in "\n".join(proc.lines) + proc.stdout


def test_a_run_waits_for_no_fleet(tmp_path: Path, pg_url: str) -> None:
    """`newsstand run` and workers never write one store at once: each refuses while the
    other holds it, with one line."""
    with Farm(10, latency=0.5) as farm, processes() as procs:
        config = farm.config(tmp_path / "site", pg_url, fetch={"interval": 0})
        worker = Proc("worker", "-c", str(config), cwd=tmp_path)
        procs.append(worker)
        worker.wait_for("claiming batches")
        run = Proc("run", "-c", str(config), cwd=tmp_path)
        assert run.finish() == 1
        assert run.lines == [
            f"error: another newsstand process is using the store {pg_url} (a run, or"
            " workers): wait for it, or stop the workers"
        ]
        worker.signal(signal.SIGTERM)
        assert worker.finish() == 0


def test_a_run_rides_out_a_restart_of_the_database(tmp_path: Path, own: OwnServer) -> None:
    """`newsstand run` on PostgreSQL, the server restarted mid-run: it reconnects, the run
    completes, every entry is stored once and every post written."""
    with Farm(120, latency=0.3) as farm, processes() as procs:
        config = farm.config(tmp_path / "site", own.url, fetch={"per_host": 4})
        run = Proc("run", "-c", str(config), cwd=tmp_path)
        procs.append(run)
        wait_until(lambda: fetched_feeds(own.url) >= 16, 120, "some feeds stored")
        own.restart()
        assert run.finish(300) == 0, run.lines[-5:]
    assert entry_counts(own.url) == (240, 240)
    assert len(list((tmp_path / "site" / "source" / "_posts").rglob("*.md"))) == 240
    assert set(farm.hits.values()) == {1}  # a run's fetches are not repeated
