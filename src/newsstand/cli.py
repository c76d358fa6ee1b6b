"""The command line: commands, progress, exit codes — nothing else.

Exit codes: 0 the run completed (failed feeds are reported, not fatal); 1 the run could
not complete; 2 usage or configuration error.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import logging.handlers
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from . import __version__, health, pipeline
from .config import CONFIG_NAME, Config, ConfigError, find_config, load_config, starter_config
from .store import StoreError, sqlite_path

log = logging.getLogger("newsstand")


class Exit:
    OK = 0
    FAILED = 1
    USAGE = 2


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def common(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config, --verbose and --json, accepted after the command name."""

    @click.option("-c", "--config", "config_path", type=click.Path(path_type=Path),
                  help=f"Config file (default: ./{CONFIG_NAME}).")
    @click.option("-v", "--verbose", is_flag=True, help="Log details to stderr.")
    @click.option("--json", "as_json", is_flag=True,
                  help="Print a machine-readable summary on stdout instead of tables.")
    @functools.wraps(command)
    def wrapper(*args: Any, config_path: Path | None, verbose: bool, as_json: bool,
                **kwargs: Any) -> Any:
        # stderr gets log records only with --verbose (the CLI prints what a user needs);
        # the run log beside the store gets them always (see _run_log).
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setLevel(logging.DEBUG if verbose else logging.ERROR)
        stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                            handlers=[stderr])
        try:
            return command(*args, config_path=config_path, as_json=as_json, **kwargs)
        except ConfigError as exc:
            _fail(str(exc), Exit.USAGE)
        except StoreError as exc:
            _fail(str(exc), Exit.FAILED)
        except KeyboardInterrupt:
            _fail("interrupted", 130)

    return wrapper


def _load(config_path: Path | None) -> Config:
    return load_config(find_config(config_path, Path.cwd()))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsstand")
def main() -> None:
    """newsstand: RSSHub routes and feeds in, a news portal out.

    Fetches every feed in newsstand.toml politely and concurrently, keeps their history
    in a store, sanitises their HTML, and publishes Hexo posts.
    Start with `newsstand demo` (offline) or `newsstand init`.
    """


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@common
def init(config_path: Path | None, as_json: bool, force: bool) -> None:
    """Write a commented starter newsstand.toml."""
    path = config_path or Path.cwd() / CONFIG_NAME
    if path.exists() and not force:
        _fail(f"{path} already exists (use --force to overwrite it)", Exit.USAGE)
    path.write_text(starter_config(), encoding="utf-8")
    if as_json:
        click.echo(json.dumps({"written": str(path)}))
        return
    click.echo(f"Wrote {path}.")
    click.echo("Edit its [[feeds]], then run `newsstand run`.")


@main.command()
@common
def fetch(config_path: Path | None, as_json: bool) -> None:
    """Fetch every enabled feed and store new and changed items (no publishing)."""
    _execute(_load(config_path), as_json, do_fetch=True, do_publish=False)


@main.command()
@common
def publish(config_path: Path | None, as_json: bool) -> None:
    """Write the Hexo posts of every stored item (no fetching)."""
    _execute(_load(config_path), as_json, do_fetch=False, do_publish=True)


@main.command()
@common
def run(config_path: Path | None, as_json: bool) -> None:
    """Fetch, store and publish: the whole job."""
    _execute(_load(config_path), as_json, do_fetch=True, do_publish=True)


@main.command()
@click.argument("directory", type=click.Path(path_type=Path), default="newsstand-demo")
@common
def demo(config_path: Path | None, as_json: bool, directory: Path) -> None:
    """Run the whole pipeline offline over sample feeds served from 127.0.0.1.

    Writes DIRECTORY/newsstand.toml, the store and the Hexo posts into DIRECTORY
    (default: ./newsstand-demo).
    """
    from .demo import sample

    if config_path is not None:
        _fail("demo writes its own config; --config does not apply", Exit.USAGE)
    with sample.demo_server() as server:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / CONFIG_NAME
        path.write_text(sample.demo_config(server.base), encoding="utf-8")
        if not as_json:
            click.echo(f"Serving sample feeds at {server.base}; config: {path}", err=True)
        config = load_config(path)
        summary = _execute(config, as_json, do_fetch=True, do_publish=True, exit_after=False)
    if not as_json:
        posts = config.hexo.dir
        count = sum(1 for _ in posts.rglob("*.md")) if posts.exists() else 0
        click.echo(f"\nDone. {count} Hexo posts are in {posts}")
        click.echo(f"Config and store: {path.parent}. Run `newsstand demo {directory}` again to"
                   " refetch (nothing changes), or `newsstand init` to start your own.")
    sys.exit(Exit.OK if summary.complete else Exit.FAILED)


# -- status: feed health ----------------------------------------------------------------


@main.command()
@common
def status(config_path: Path | None, as_json: bool) -> None:
    """Show each feed's health, sick feeds first.

    Exits 1 when at least [health] alert_share of the enabled feeds are failing or
    gone, so that a scheduler can alert someone.
    """
    report = health.feed_health(_load(config_path))
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_health(report)
    sys.exit(Exit.FAILED if report.alert else Exit.OK)


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


def _print_health(report: health.HealthReport) -> None:
    columns = ("feed", "state", "fails", "HTTP", "last success", "next try", "entries",
               "last error")
    rows = [
        (f.feed, f.state, str(f.failures or ""), str(f.http_status or "-"),
         _when(f.last_success), _when(f.next_due) if f.next_due else "", str(f.entries),
         (f.last_error or "") + (f" (moved to {f.moved_to})" if f.moved_to else ""))
        for f in report.feeds
    ]
    verdict = (f"{report.failing} of {report.checked} feeds failing"
               f" ({report.share:.0%}; alert at {report.alert_share:.0%})")
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*columns, title="newsstand status")
        for row in rows:
            table.add_row(*row, style="red" if row[1] in ("gone", "failing") else None)
        console = Console()
        console.print(table)
        console.print(verdict)
        return
    click.echo("\t".join(columns))
    for row in rows:
        click.echo("\t".join(row))
    click.echo(verdict)


# -- running and reporting ------------------------------------------------------------


def _execute(config: Config, as_json: bool, *, do_fetch: bool, do_publish: bool,
             exit_after: bool = True) -> pipeline.RunSummary:
    if do_fetch and not config.feeds:
        click.echo(f"warning: {config.path} has no [[feeds]]; nothing to fetch", err=True)
    with _run_log(config), _Progress(enabled=not as_json) as progress, _signals() as stop:
        try:
            summary = pipeline.run(config, do_fetch=do_fetch, do_publish=do_publish,
                                   progress=progress, stop=stop)
        except pipeline.Interrupted as exc:
            name = signal.Signals(stop.signum).name
            log.warning("%s: %s", name, exc)
            _fail(f"stopped by {name}: the writes in progress were finished; run again to"
                  " go on", 128 + stop.signum)
    if as_json:
        click.echo(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
    if exit_after:
        sys.exit(Exit.OK if summary.complete else Exit.FAILED)
    return summary


class _Stop(threading.Event):
    signum: int = signal.SIGTERM


@contextlib.contextmanager
def _signals() -> Iterator[_Stop]:
    """SIGTERM and SIGINT ask the run to stop at its next safe point (a second one stops
    it at once); the exit code is then 128 + the signal's number."""
    stop = _Stop()

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.signum = signum
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def _run_log(config: Config) -> Iterator[None]:
    """Keep a log beside the store (newsstand.log, rotated): the details behind the one
    line a user sees, for runs nobody watches."""
    path = sqlite_path(config.store.url).parent / "newsstand.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1 << 20, backupCount=3,
                                                   encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        handler.close()


class _Progress:
    """A progress bar on a terminal, plain lines on stderr otherwise, nothing for --json."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> pipeline.Progress | None:
        if not self.enabled:
            return None
        if self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[line]}", style="dim"),
                console=Console(stderr=True), transient=True,
            )
            self._bar.start()
        return self.update

    def update(self, phase: str, done: int, total: int, line: str) -> None:
        if self._bar is None:
            if line:
                click.echo(f"[{done}/{total}] {line}", err=True)
            elif phase == "publish" and done == total:
                click.echo(f"published {total} posts", err=True)
            return
        if phase not in self._tasks:
            self._tasks[phase] = self._bar.add_task(phase, total=total, line="")
        self._bar.update(self._tasks[phase], completed=done, total=total, line=line[:60])

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _print_summary(summary: pipeline.RunSummary) -> None:
    data = summary.to_json()
    feeds, entries, posts = data["feeds"], data["entries"], data["posts"]
    rows = [
        ("feeds", f"{feeds['total']} total, {feeds['ok']} ok, {feeds['failed']} failed"
                  + (f", {len(feeds['skipped'])} skipped" if feeds["skipped"] else "")),
        ("entries", f"{entries['new']} new, {entries['updated']} updated"
                    + (f", {entries['removed_by_retention']} removed by retention"
                       if entries["removed_by_retention"] else "")),
        ("posts", f"{posts['written']} written, {posts['unchanged']} unchanged,"
                  f" {posts['removed']} removed"),
        ("time", f"{summary.elapsed:.2f} s"),
    ]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title="newsstand run", show_header=False)
        for name, value in rows:
            table.add_row(name, value)
        console = Console()
        console.print(table)
        if summary.failed or summary.skipped:
            failures = Table("failed feed", "reason", title="Failures")
            for report in summary.failed:
                failures.add_row(report.feed_key, report.error or "")
            for report in summary.skipped:
                failures.add_row(report.feed_key, f"skipped: {report.error}")
            console.print(failures)
    else:
        for name, value in rows:
            click.echo(f"{name:<8} {value}")
        for report in summary.failed:
            click.echo(f"failed   {report.feed_key}: {report.error}")
        for report in summary.skipped:
            click.echo(f"skipped  {report.feed_key}: {report.error}")
    for warning in data["warnings"]:
        click.echo(f"warning: {warning['feed']}: {warning['warning']}", err=True)
    for problem in posts["problems"]:
        click.echo(f"warning: {problem}", err=True)
    for error in posts["errors"]:
        click.echo(f"error: {error}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
