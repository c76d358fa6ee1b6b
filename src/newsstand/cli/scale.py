"""Beyond one machine: `worker`, `builder`, `store copy`, and the workers in `status`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from ..config import Config, find_config, load_config, parse_duration
from . import output
from .common import Exit, checked, common, fail, load, log

if TYPE_CHECKING:
    from ..builder import Event
    from ..health import Fleet
    from ..worker import Batch


def _seconds(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    seconds: float | None = checked(parse_duration, value)
    if seconds is not None and seconds <= 0:
        raise click.BadParameter("must be longer than 0")
    return seconds


@click.command()
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Feeds claimed at a time.",
)
@click.option(
    "--lease",
    callback=_seconds,
    default="60s",
    show_default=True,
    metavar="DURATION",
    help="How long a claim lasts unless renewed (renewed every third of it while the"
    " worker lives): how soon the others take over the feeds of a worker that died.",
)
@click.option("--until-idle", is_flag=True, help="Stop once no feed is due or held.")
@common
def worker(
    config_path: Path | None, as_json: bool, batch: int, lease: float, until_idle: bool
) -> None:
    """Fetch due feeds of a PostgreSQL store together with any number of other workers.

    Run it as many times as you like, on as many machines, all with the same config and
    [store] url: each claims small batches of due feeds with a lease, fetches, stores and
    releases them. A worker killed at any time loses nothing: its leases run out and the
    others take its feeds. SIGTERM finishes the batch in hand, then stops (exit 0). Posts
    and the site are made by `newsstand builder`.
    """
    from ..worker import Worker

    path = find_config(config_path, Path.cwd())
    config = load_config(path)
    with output.run_log(config), output.signals() as stop:

        def batch_line(done: Batch) -> None:
            if as_json:
                click.echo(json.dumps(_batch_json(done)))
            else:
                lags = [c.lag for c in done.claims if c.lag is not None]
                click.echo(
                    f"{len(done.reports)} feed(s): {len(done.reports) - done.failed} ok,"
                    f" {done.failed} failed, {sum(r.new for r in done.reports)} new"
                    + (f"; claimed {max(lags):.1f} s after due at most" if lags else "")
                    + (f"; {len(done.dropped)} lost to an expired lease" if done.dropped else ""),
                    err=True,
                )

        def started(store: str) -> None:
            click.echo(
                f"worker {running.name} joined {store}: claiming batches of {batch},"
                f" leases of {lease:g} s",
                err=True,
            )
            sys.stderr.flush()

        running = Worker(
            lambda: load_config(path),
            path,
            stop=stop,
            batch=batch,
            lease=lease,
            until_idle=until_idle,
            on_batch=batch_line,
            on_start=started,
        )
        done = running.run()
    how = f"stopped by {output.stopped_by(stop)}" if stop.is_set() else "nothing left due"
    log.info("worker %s: %s after %d batch(es)", running.name, how, done)
    click.echo(f"worker {running.name}: {how} after {done} batch(es)", err=True)


def _batch_json(done: Batch) -> dict[str, object]:
    return {
        "feeds": len(done.reports),
        "failed": done.failed,
        "new": sum(r.new for r in done.reports),
        "updated": sum(r.updated for r in done.reports),
        "lost": done.dropped,
        "lag": [c.lag for c in done.claims],
    }


@click.command()
@click.option(
    "--deploy",
    "then_deploy",
    is_flag=True,
    help="Push the site after each build, as `newsstand deploy` does ([deploy] settings).",
)
@click.option("--builds", type=click.IntRange(min=1), help="Stop after this many builds.")
@common
def builder(config_path: Path | None, as_json: bool, then_deploy: bool, builds: int | None) -> None:
    """Write the posts and build the site of a PostgreSQL store as workers fill it.

    One builder leads (PostgreSQL elects it); start a second, on this machine or another,
    and it waits to take over when the first goes. The leader builds at once, then again
    whenever workers store something new. SIGTERM stops it (exit 0); a builder killed
    mid-build leaves the site as it was.
    """
    from ..builder import Builder

    config = load(config_path)

    def deploy(config: Config) -> list[str]:
        from ..deploy.site import deploy as push

        return [target.line() for target in push(config)]

    def event(happened: Event) -> None:
        if happened.build is None:
            click.echo(happened.line, err=True)
            return
        build = happened.build
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "published": {
                            "written": build.published.written,
                            "unchanged": build.published.unchanged,
                            "removed": build.published.removed,
                            "errors": build.published.errors,
                        },
                        "site": build.site.to_json() if build.site else None,
                        "site_error": build.site_error,
                    }
                )
            )
            return
        click.echo(
            f"built: {build.published.written} post(s) written, {build.published.removed}"
            f" removed; "
            + (output.site_line(build.site) if build.site else build.site_error or "no site"),
            err=True,
        )

    with output.run_log(config), output.signals() as stop:
        made = Builder(
            config, stop=stop, on_event=event, deploy=deploy if then_deploy else None, builds=builds
        ).run()
    click.echo(f"builder: stopped after {made} build(s)", err=True)


@click.command("copy")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="The empty store to copy into: postgresql://user@host/db or sqlite:///path.db"
    " (a password comes from PGPASSWORD or ~/.pgpass, never from the command line).",
)
@common
def store_copy(config_path: Path | None, as_json: bool, target: str) -> None:
    """Copy this site's store, all its history, into another, empty one, and check it.

    From SQLite to PostgreSQL to scale out, or back. The posts and the site built from
    either are the same, byte for byte.
    """
    from ..config.checks import Bad, Context, store_url
    from ..store.copy import copy_store

    config = load(config_path)
    if urlsplit(target).password is not None or "password=" in target.lower():
        fail("--to must not carry a password: set PGPASSWORD (or use ~/.pgpass)", Exit.USAGE)
    try:
        url = store_url(target, Context(root=Path.cwd()))
    except Bad as exc:
        fail(f"--to: {exc}", Exit.USAGE)
    if url == config.store.url:
        fail("--to names the store itself; copy into another one", Exit.USAGE)
    counts = copy_store(config.store.url, url)
    if as_json:
        output.echo_json({"copied": counts})
        return
    for table, rows in counts.items():
        click.echo(f"{table}\t{rows}")
    click.echo(f"Copied {sum(counts.values())} rows; the counts match.")


def print_fleet(fleet: Fleet) -> None:
    """The workers section of `newsstand status`."""
    lag = (
        f"claim lag p50 {fleet.lag_p50:.1f} s, p95 {fleet.lag_p95:.1f} s"
        f" ({fleet.claims} claims in the last hour)"
        if fleet.lag_p50 is not None and fleet.lag_p95 is not None
        else "no claims in the last hour"
    )
    click.echo("")
    click.echo(
        "\t".join(("worker", "role", "last seen", "holding", "claimed", "fetched", "errors"))
    )
    for w in fleet.workers:
        click.echo(
            "\t".join(
                (
                    w.name,
                    w.role if w.stopped is None else f"{w.role} (stopped)",
                    output.when(w.last_seen),
                    str(w.holding),
                    str(w.claimed),
                    str(w.fetched),
                    str(w.errors) + (f" ({w.last_error})" if w.errors and w.last_error else ""),
                )
            )
        )
    click.echo(f"{len(fleet.workers)} worker(s) and builder(s) seen in the last day; {lag}")
    if fleet.due_now:
        click.echo(f"{fleet.due_now} feed(s) due and not yet claimed")
