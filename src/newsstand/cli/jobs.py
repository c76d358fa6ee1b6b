"""The job: fetch, publish, build, run, watch, serve, demo."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from ..config import CONFIG_NAME, Config, find_config, load_config, parse_duration
from ..control import Interrupted
from . import output
from .common import Exit, checked, common, fail, load, log

if TYPE_CHECKING:
    from ..report import RunSummary

_ALL = click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Fetch every enabled feed, due or not (resting and gone ones too).",
)


@click.command()
@_ALL
@common
def fetch(config_path: Path | None, as_json: bool, everything: bool) -> None:
    """Fetch the enabled feeds that are due and store new and changed items (no publishing)."""
    _execute(load(config_path), as_json, do_fetch=True, do_publish=False, everything=everything)


@click.command()
@common
def publish(config_path: Path | None, as_json: bool) -> None:
    """Write the Hexo posts of every stored item and build the site (no fetching)."""
    _execute(load(config_path), as_json, do_fetch=False, do_publish=True)


_DEPLOY = click.option(
    "--deploy",
    "then_deploy",
    is_flag=True,
    help="Then push the site as `newsstand deploy` does ([deploy] settings).",
)


@click.command()
@_ALL
@_DEPLOY
@common
def run(config_path: Path | None, as_json: bool, everything: bool, then_deploy: bool) -> None:
    """Fetch the feeds that are due, store, and publish: the whole job.

    A feed is due once its interval has passed since it last answered ([fetch] interval,
    raised by the feed's <ttl>, sy:updatePeriod or Cache-Control max-age); run it from cron
    or a CI schedule as often as you like.
    """
    config = load(config_path)
    summary = _execute(
        config,
        as_json,
        do_fetch=True,
        do_publish=True,
        everything=everything,
        exit_after=not then_deploy,
    )
    if then_deploy:
        _deploy_after_run(config, summary, as_json)


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    seconds: float | None = checked(parse_duration, value)
    if seconds is None:
        return None
    if seconds <= 0:
        raise click.BadParameter("must be longer than 0")
    return seconds


@click.command()
@click.option(
    "--every",
    callback=_duration,
    metavar="DURATION",
    help="Start a cycle this often (30m, 2h, 90s; a number is minutes). Default:"
    " when the next feed falls due.",
)
@click.option("--cycles", type=click.IntRange(min=1), help="Stop after this many cycles.")
@_DEPLOY
@common
def watch(
    config_path: Path | None,
    as_json: bool,
    every: float | None,
    cycles: int | None,
    then_deploy: bool,
) -> None:
    """Keep the site fresh: run the job over the due feeds in cycles, until stopped.

    Each cycle re-reads the config, fetches the feeds that are due, publishes when something
    changed, and prints one line (with --json, one JSON object per line). A failing cycle
    is reported and the next one comes as planned. SIGTERM or Ctrl-C stops it cleanly (the
    write in progress is finished) with exit code 0.
    """
    from .. import watch as watching

    path = find_config(config_path, Path.cwd())
    config = load_config(path)
    with output.run_log(config), output.signals() as stop:
        try:
            count = watching.watch(
                lambda: load_config(path),
                stop=stop,
                every=every,
                cycles=cycles,
                on_cycle=functools.partial(output.print_cycle, as_json=as_json),
                after=_deploy_after_cycle if then_deploy else None,
            )
        except Interrupted:
            name = output.stopped_by(stop)
            log.warning("watch stopped by %s during a cycle", name)
            click.echo(
                f"stopped by {name} during a cycle: the writes in progress were finished", err=True
            )
            sys.exit(Exit.OK)
    if stop.is_set():
        name = output.stopped_by(stop)
        log.info("watch stopped by %s after %d cycle(s)", name, count)
        click.echo(f"stopped by {name} after {count} cycle(s)", err=True)


@click.command()
@click.option("--force", is_flag=True, help="Re-render every page, not only changed ones.")
@common
def build(config_path: Path | None, as_json: bool, force: bool) -> None:
    """Build the static site from the store (no fetching)."""
    from .. import pipeline

    config = load(config_path)
    with output.run_log(config), output.Progress(enabled=not as_json) as progress:
        result, error = pipeline.build(config, progress=progress, force=force)
    if result is None:
        fail(error or "site build failed", Exit.FAILED)
    if as_json:
        output.echo_json(result.to_json())
    else:
        click.echo(output.site_line(result))
        click.echo("Preview it with `newsstand serve`.")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command()
@click.option(
    "-p",
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option("--no-rebuild", is_flag=True, help="Serve as is; do not rebuild on changes.")
@common
def serve(config_path: Path | None, as_json: bool, port: int, no_rebuild: bool) -> None:
    """Preview the site on 127.0.0.1, rebuilding it when the store or templates change.

    Ctrl+C (or SIGTERM) stops it, with exit code 0.
    """
    import errno
    import signal
    import threading

    from .. import pipeline
    from ..preview import Preview

    config = load(config_path)

    def rebuild() -> None:
        result, error = pipeline.build(config)
        click.echo(output.site_line(result) if result else error, err=True)

    try:
        preview = Preview(config, port, None if no_rebuild else rebuild)
    except OSError as exc:
        hint = (
            ": another program is listening there; give another --port, or --port 0 for"
            " any free one"
            if exc.errno == errno.EADDRINUSE
            else ""
        )
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}{hint}", Exit.FAILED)
    # stopping is the normal end of a preview: SIGTERM as Ctrl+C, and neither an error
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler) if main_thread else None
    try:
        rebuild()
        if as_json:
            click.echo(json.dumps({"url": preview.url}))
        else:
            click.echo(f"Serving {config.site_output.dir} at {preview.url} (Ctrl+C to stop)")
        sys.stdout.flush()
        preview.serve_forever()
    except KeyboardInterrupt:
        preview.close()
        click.echo(f"stopped serving {preview.url}", err=True)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


@click.command()
@click.argument("directory", type=click.Path(path_type=Path), default="newsstand-demo")
@common
def demo(config_path: Path | None, as_json: bool, directory: Path) -> None:
    """Run the whole pipeline offline over sample feeds served from 127.0.0.1.

    Writes DIRECTORY/newsstand.toml, the store, the Hexo posts and the static site into
    DIRECTORY (default: ./newsstand-demo).
    """
    from ..demo import sample

    if config_path is not None:
        fail("demo writes its own config; --config does not apply", Exit.USAGE)
    with sample.demo_server() as server:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / CONFIG_NAME
        path.write_text(sample.demo_config(server.base), encoding="utf-8")
        if not as_json:
            click.echo(f"Serving sample feeds at {server.base}; config: {path}", err=True)
        config = load_config(path)
        # every feed, due or not: the sample server is up only now, so a rerun refetches
        summary = _execute(
            config, as_json, do_fetch=True, do_publish=True, exit_after=False, everything=True
        )
    posts = config.hexo.dir
    count = sum(1 for _ in posts.rglob("*.md")) if posts.exists() else 0
    if count and summary.complete and not as_json:
        click.echo(f"\nDone. {count} Hexo posts are in {posts}")
        click.echo(
            f"The site is in {config.site_output.dir}; preview it with `newsstand serve -c {path}`"
        )
        click.echo(
            f"Config and store: {path.parent}. `newsstand demo {directory}` again fetches the"
            " sample feeds again (they are fixed: no post or page changes);"
            " `newsstand init` starts a config of your own."
        )
    if not count and summary.complete and not summary.feeds_alarm():
        fail(f"the demo published no posts in {posts}; see {config.state.log}", Exit.FAILED)
    _exit(config, summary)


def _execute(
    config: Config,
    as_json: bool,
    *,
    do_fetch: bool,
    do_publish: bool,
    exit_after: bool = True,
    everything: bool = False,
) -> RunSummary:
    if do_fetch and not config.feeds:
        click.echo(f"warning: {config.path} has no [[feeds]]; nothing to fetch", err=True)
    from .. import pipeline

    with (
        output.run_log(config),
        output.Progress(enabled=not as_json) as progress,
        output.signals() as stop,
    ):
        try:
            summary = pipeline.run(
                config,
                do_fetch=do_fetch,
                do_publish=do_publish,
                progress=progress,
                stop=stop,
                everything=everything,
            )
        except Interrupted as exc:
            name = output.stopped_by(stop)
            log.warning("%s: %s", name, exc)
            fail(
                f"stopped by {name}: the writes in progress were finished; run again to go on",
                128 + stop.signum,
            )
        alarm = summary.feeds_alarm(config.health.run_alert_share)
        if alarm:  # the run log says it too, for runs nobody watches
            log.warning("%s", alarm)
    if as_json:
        output.echo_json(summary.to_json())
    else:
        output.print_summary(summary)
    if exit_after:
        _exit(config, summary)
    return summary


def _exit(config: Config, summary: RunSummary) -> NoReturn:
    """The run's exit: 1 when it could not complete (its errors are printed already), or
    when every feed it fetched failed ([health] run_alert_share of them), so that cron
    mails and a CI job turns red; 0 otherwise, a partial failure included."""
    if not summary.complete:
        sys.exit(Exit.FAILED)
    alarm = summary.feeds_alarm(config.health.run_alert_share)
    if alarm:
        fail(f"{alarm}; their errors are in the summary and in {config.state.log}", Exit.FAILED)
    sys.exit(Exit.OK)


def _deploy_after_run(config: Config, summary: RunSummary, as_json: bool) -> None:
    """run --deploy: push the site once the run completed (an incomplete run pushes nothing)."""
    from ..deploy.site import deploy
    from .deploy import deploy_call

    if not summary.complete:
        fail("the run did not complete, so nothing was deployed", Exit.FAILED)
    for target in deploy_call(config, lambda: deploy(config)):
        log.info("deploy: %s", target.line())
        click.echo(target.line(), err=as_json)  # --json: stdout holds the run's summary
    _exit(config, summary)  # the site is pushed even when the feeds failed: it is whole


def _deploy_after_cycle(config: Config, summary: RunSummary) -> None:
    """watch --deploy: after a cycle that published, push; a failure fails that cycle."""
    from ..deploy.site import deploy

    for target in deploy(config):
        log.info("deploy: %s", target.line())
        click.echo(target.line(), err=True)
