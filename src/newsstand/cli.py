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
from .config import (
    CONFIG_NAME,
    Config,
    ConfigError,
    branch_name,
    find_config,
    load_config,
    parse_duration,
    starter_config,
)
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
    in a store, sanitises their HTML, and publishes Hexo posts and a static news site.
    Start with `newsstand demo` (offline) or `newsstand init`.
    """


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option("--github-actions", "github_actions", is_flag=True,
              help="Write .github/workflows/newsstand.yml beside the config instead: fetch,"
                   " deploy and keep the store on a schedule (the config is written too if"
                   " there is none).")
@click.option("--install", "install_spec", metavar="SPEC",
              help="What that workflow pip-installs (default: this newsstand version).")
@click.option("--systemd", is_flag=True,
              help="Write systemd user units (a service + timer every 10 minutes, and a"
                   " `watch` service) into a systemd/ folder beside the config.")
@click.option("--cron", is_flag=True, help="Print a crontab line running the job every 10"
                                           " minutes (silent unless it fails).")
@common
def init(config_path: Path | None, as_json: bool, force: bool, github_actions: bool,
         install_spec: str | None, systemd: bool, cron: bool) -> None:
    """Write a commented starter newsstand.toml (or a schedule that runs it)."""
    path = config_path or Path.cwd() / CONFIG_NAME
    if github_actions + systemd + cron > 1:
        _fail("give one of --github-actions, --systemd and --cron", Exit.USAGE)
    if github_actions:
        _init_github_actions(path, as_json, force, install_spec)
        return
    if systemd or cron:
        _init_service(path, as_json, force, "systemd" if systemd else "cron")
        return
    if install_spec:
        _fail("--install applies to --github-actions only", Exit.USAGE)
    if path.exists() and not force:
        _fail(f"{path} already exists (use --force to overwrite it)", Exit.USAGE)
    path.write_text(starter_config(), encoding="utf-8")
    if as_json:
        click.echo(json.dumps({"written": str(path)}))
        return
    click.echo(f"Wrote {path}.")
    click.echo("Edit its [[feeds]], then run `newsstand run`.")


def _starter_if_missing(path: Path) -> tuple[Path, bool]:
    """The config file at ``path`` (a file or its folder), the starter written if absent."""
    if path.is_dir():
        path = path / CONFIG_NAME
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter_config(), encoding="utf-8")
    return path, True


def _init_service(path: Path, as_json: bool, force: bool, kind: str) -> None:
    """init --systemd / --cron: the job (and a deploy, when [deploy] repo is set) on a timer."""
    from .scaffold import ScaffoldExists, services

    path, wrote_config = _starter_if_missing(path)
    config = load_config(path)
    deploy = config.deploy.repo is not None
    if kind == "cron":
        line = services.cron_line(config, deploy=deploy)
        if as_json:
            click.echo(json.dumps({"cron": line, "written": [str(path)] if wrote_config else []},
                                  ensure_ascii=False))
            return
        click.echo(line)
        click.echo("Add this line with `crontab -e` (set MAILTO there to choose where its"
                   " failures are mailed).", err=True)
        return
    try:
        units = services.write_systemd(config.root / "systemd", config, deploy=deploy,
                                       force=force)
    except ScaffoldExists as exc:
        _fail(str(exc), Exit.USAGE)
    written = ([str(path)] if wrote_config else []) + [str(u) for u in units]
    if as_json:
        click.echo(json.dumps({"written": written}, ensure_ascii=False))
        return
    click.echo(f"Wrote {', '.join(written)}.")
    folder = units[0].parent
    click.echo("Install them as user units (the timer, or the watch service instead):\n"
               f"  mkdir -p ~/.config/systemd/user && cp {folder}/* ~/.config/systemd/user/\n"
               "  systemctl --user daemon-reload && systemctl --user enable --now"
               " newsstand.timer\n"
               "  loginctl enable-linger \"$USER\"   # keep it running when you log out")


def _init_github_actions(path: Path, as_json: bool, force: bool, install: str | None) -> None:
    from .scaffold import ScaffoldExists, write_github_actions

    path, wrote_config = _starter_if_missing(path)
    try:
        workflow = write_github_actions(path.parent, install, force=force)
    except ScaffoldExists as exc:
        _fail(str(exc), Exit.USAGE)
    written = ([str(path)] if wrote_config else []) + [str(workflow)]
    if as_json:
        click.echo(json.dumps({"written": written}))
        return
    click.echo(f"Wrote {', '.join(written)}.")
    click.echo("Commit them and push; then in Settings > Pages deploy from the branch gh-pages."
               " See the README's \"Keep it live: GitHub Actions\".")


_ALL = click.option("--all", "everything", is_flag=True,
                    help="Fetch every enabled feed, due or not (resting and gone ones too).")


@main.command()
@_ALL
@common
def fetch(config_path: Path | None, as_json: bool, everything: bool) -> None:
    """Fetch the enabled feeds that are due and store new and changed items (no publishing)."""
    _execute(_load(config_path), as_json, do_fetch=True, do_publish=False, everything=everything)


@main.command()
@common
def publish(config_path: Path | None, as_json: bool) -> None:
    """Write the Hexo posts of every stored item and build the site (no fetching)."""
    _execute(_load(config_path), as_json, do_fetch=False, do_publish=True)


_DEPLOY = click.option("--deploy", "then_deploy", is_flag=True,
                       help="Then push the site as `newsstand deploy` does ([deploy] settings).")


@main.command()
@_ALL
@_DEPLOY
@common
def run(config_path: Path | None, as_json: bool, everything: bool, then_deploy: bool) -> None:
    """Fetch the feeds that are due, store, and publish: the whole job.

    A feed is due once its interval has passed since it last answered ([fetch] interval,
    raised by the feed's <ttl>, sy:updatePeriod or Cache-Control max-age); run it from cron
    or a CI schedule as often as you like.
    """
    config = _load(config_path)
    summary = _execute(config, as_json, do_fetch=True, do_publish=True, everything=everything,
                       exit_after=not then_deploy)
    if then_deploy:
        _deploy_after_run(config, summary, as_json)


def _checked(check: Callable[[str], Any], value: str | None) -> Any:
    """An option's value through a config check; its ValueError as click's usage error."""
    if value is None:
        return None
    try:
        return check(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    seconds = _checked(parse_duration, value)
    if seconds is None:
        return None
    if seconds <= 0:
        raise click.BadParameter("must be longer than 0")
    return seconds


@main.command()
@click.option("--every", callback=_duration, metavar="DURATION",
              help="Start a cycle this often (30m, 2h, 90s; a number is minutes). Default:"
                   " when the next feed falls due.")
@click.option("--cycles", type=click.IntRange(min=1), help="Stop after this many cycles.")
@_DEPLOY
@common
def watch(config_path: Path | None, as_json: bool, every: float | None,
          cycles: int | None, then_deploy: bool) -> None:
    """Keep the site fresh: run the job over the due feeds in cycles, until stopped.

    Each cycle re-reads the config, fetches the feeds that are due, publishes when something
    changed, and prints one line (with --json, one JSON object per line). A failing cycle
    is reported and the next one comes as planned. SIGTERM or Ctrl-C stops it cleanly (the
    write in progress is finished) with exit code 0.
    """
    from . import watch as watching

    path = find_config(config_path, Path.cwd())
    config = load_config(path)
    with _run_log(config), _signals() as stop:
        try:
            count = watching.watch(lambda: load_config(path), stop=stop, every=every,
                                   cycles=cycles, on_cycle=functools.partial(_print_cycle,
                                                                             as_json=as_json),
                                   after=_deploy_after_cycle if then_deploy else None)
        except pipeline.Interrupted:
            name = signal.Signals(stop.signum).name
            log.warning("watch stopped by %s during a cycle", name)
            click.echo(f"stopped by {name} during a cycle: the writes in progress were"
                       " finished", err=True)
            sys.exit(Exit.OK)
    if stop.is_set():
        name = signal.Signals(stop.signum).name
        log.info("watch stopped by %s after %d cycle(s)", name, count)
        click.echo(f"stopped by {name} after {count} cycle(s)", err=True)


def _print_cycle(cycle: Any, *, as_json: bool) -> None:
    """One line per cycle on stderr and in the log; with --json, a JSON object on stdout."""
    summary = cycle.summary
    data = summary.to_json() if summary else None
    parts = []
    if data is not None:
        feeds, entries = data["feeds"], data["entries"]
        skipped = len(feeds["skipped"])
        parts.append(f"{feeds['total'] - skipped} fetched ({feeds['failed']} failed),"
                     f" {feeds['not_due']} not due"
                     + (f", {skipped} skipped (resting or gone)" if skipped else "")
                     + f"; {entries['new']} new, {entries['updated']} updated")
        if summary.published is None:
            parts.append("nothing to publish")
        else:
            parts.append(f"{summary.published.written} posts written")
            if summary.site:
                parts.append(_site_line(summary.site)[9:])
    if cycle.error:
        parts.append(f"error: {cycle.error}")
    if cycle.next_at:
        parts.append(f"next cycle {cycle.next_at:%H:%M:%S} UTC")
    line = f"cycle {cycle.number} at {cycle.started:%H:%M:%S} UTC: " + "; ".join(parts)
    log.info("%s", line)
    if not as_json:
        click.echo(line, err=True)
        return
    click.echo(json.dumps({
        "cycle": cycle.number, "started": cycle.started.isoformat(timespec="seconds"),
        "error": cycle.error, "summary": data,
        "next_at": cycle.next_at.isoformat(timespec="seconds") if cycle.next_at else None,
    }, ensure_ascii=False))
    sys.stdout.flush()


@main.command()
@click.option("--force", is_flag=True, help="Re-render every page, not only changed ones.")
@common
def build(config_path: Path | None, as_json: bool, force: bool) -> None:
    """Build the static site from the store (no fetching)."""
    config = _load(config_path)
    with _run_log(config), _Progress(enabled=not as_json) as progress:
        result, error = pipeline.build(config, progress=progress, force=force)
    if error:
        _fail(error, Exit.FAILED)
    assert result is not None
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(_site_line(result))
        click.echo("Preview it with `newsstand serve`.")


@main.command()
@click.option("-p", "--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--no-rebuild", is_flag=True, help="Serve as is; do not rebuild on changes.")
@common
def serve(config_path: Path | None, as_json: bool, port: int, no_rebuild: bool) -> None:
    """Preview the site on 127.0.0.1, rebuilding it when the store or templates change."""
    from .publish.site.serve import Preview

    config = _load(config_path)

    def rebuild() -> None:
        result, error = pipeline.build(config)
        click.echo(error or _site_line(result), err=True)

    rebuild()
    try:
        preview = Preview(config, port, None if no_rebuild else rebuild)
    except OSError as exc:
        _fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}", Exit.FAILED)
    if as_json:
        click.echo(json.dumps({"url": preview.url}), nl=True)
    else:
        click.echo(f"Serving {config.site_output.dir} at {preview.url} (Ctrl+C to stop)")
    sys.stdout.flush()
    preview.serve_forever()


def _site_line(result: Any) -> str:
    if result.skipped:
        return f"site     unchanged, {result.pages} pages in {result.dir}"
    return (f"site     {result.pages} pages in {result.dir}: {result.rendered} rendered,"
            f" {result.removed} removed, {result.indexed} search bundles indexed")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path), default="newsstand-demo")
@common
def demo(config_path: Path | None, as_json: bool, directory: Path) -> None:
    """Run the whole pipeline offline over sample feeds served from 127.0.0.1.

    Writes DIRECTORY/newsstand.toml, the store, the Hexo posts and the static site into
    DIRECTORY (default: ./newsstand-demo).
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
        click.echo(f"The site is in {config.site_output.dir}; preview it with"
                   f" `newsstand serve -c {path}`")
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


def _minutes(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 60:g} h" if value >= 60 and value % 60 == 0 else f"{value:g} min"


def _print_health(report: health.HealthReport) -> None:
    columns = ("feed", "state", "fails", "HTTP", "last success", "every", "next fetch",
               "entries", "last error")
    rows = [
        (f.feed, f.state, str(f.failures or ""), str(f.http_status or "-"),
         _when(f.last_success), _minutes(f.interval_minutes),
         _when(f.next_fetch) if f.next_fetch
         else "-" if f.state in ("gone", "disabled") else "next run",
         str(f.entries),
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
             exit_after: bool = True, everything: bool = False) -> pipeline.RunSummary:
    if do_fetch and not config.feeds:
        click.echo(f"warning: {config.path} has no [[feeds]]; nothing to fetch", err=True)
    with _run_log(config), _Progress(enabled=not as_json) as progress, _signals() as stop:
        try:
            summary = pipeline.run(config, do_fetch=do_fetch, do_publish=do_publish,
                                   progress=progress, stop=stop, everything=everything)
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


class _RunLogHandler(logging.handlers.RotatingFileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        """A log that cannot be written (the disk is full) adds no traceback to the one
        line the user is given."""


@contextlib.contextmanager
def _run_log(config: Config) -> Iterator[None]:
    """Keep a log beside the store (newsstand.log, rotated): the details behind the one
    line a user sees, for runs nobody watches."""
    path = sqlite_path(config.store.url).parent / "newsstand.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _RunLogHandler(path, maxBytes=1 << 20, backupCount=3, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)
    try:
        yield
    except StoreError as exc:  # the store busy or unusable: the log says so too
        log.warning("%s", exc)  # (not error: that would print the line twice on stderr)
        raise
    finally:
        log.removeHandler(handler)
        with contextlib.suppress(OSError):  # a full disk: the user has the one line already
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
            self._tasks[phase] = self._bar.add_task(phase, total=total or None, line="")
        self._bar.update(self._tasks[phase], completed=done, total=total or None, line=line[:60])

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _print_summary(summary: pipeline.RunSummary) -> None:
    data = summary.to_json()
    feeds, entries, posts = data["feeds"], data["entries"], data["posts"]
    rows = [
        ("feeds", f"{feeds['total']} total, {feeds['ok']} ok, {feeds['failed']} failed"
                  + (f", {len(feeds['skipped'])} skipped" if feeds["skipped"] else "")
                  + (f", {feeds['not_due']} not due yet (the next at"
                     f" {_when(feeds['next_due'])} UTC; --all fetches them)"
                     if feeds["not_due"] else "")),
        ("entries", f"{entries['new']} new, {entries['updated']} updated"
                    + (f", {entries['removed_by_retention']} removed by retention"
                       if entries["removed_by_retention"] else "")),
        ("posts", f"{posts['written']} written, {posts['unchanged']} unchanged,"
                  f" {posts['removed']} removed"),
        ("time", f"{summary.elapsed:.2f} s"),
    ]
    if summary.site:
        rows.insert(3, ("site", _site_line(summary.site)[9:]))
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
    if summary.site_error:
        click.echo(f"error: {summary.site_error}", err=True)


# -- deploy: the site to a git branch, the store to a data branch ------------------------
# (`newsstand deploy`, `newsstand store save/restore`; the work is in publish/deploy.py and
# publish/storesync.py)


def _deploy_call(config: Config, call: Callable[[], Any]) -> Any:
    from .publish.deploy import DeployError, Refused

    with _run_log(config):
        try:
            return call()
        except Refused as exc:
            log.warning("%s", exc)
            _fail(str(exc), Exit.USAGE)
        except DeployError as exc:
            log.warning("%s", exc)
            _fail(str(exc), Exit.FAILED)


def _deploy_after_run(config: Config, summary: pipeline.RunSummary, as_json: bool) -> None:
    """run --deploy: push the site once the run completed (an incomplete run pushes nothing)."""
    from .publish.deploy import deploy

    if not summary.complete:
        _fail("the run did not complete, so nothing was deployed", Exit.FAILED)
    for target in _deploy_call(config, lambda: deploy(config)):
        log.info("deploy: %s", target.line())
        click.echo(target.line(), err=as_json)  # --json: stdout holds the run's summary
    sys.exit(Exit.OK)


def _deploy_after_cycle(config: Config, summary: pipeline.RunSummary) -> None:
    """watch --deploy: after a cycle that published, push; a failure fails that cycle."""
    from .publish.deploy import deploy

    for target in deploy(config):
        log.info("deploy: %s", target.line())
        click.echo(target.line(), err=True)


def _repo_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--repo", help="Push to this git URL or path instead of [deploy] repo."
                        )(command)


@main.command()
@_repo_option
@click.option("--branch", callback=lambda ctx, param, value: _checked(branch_name, value),
              help="Push the site to this branch instead of [deploy] branch.")
@common
def deploy(config_path: Path | None, as_json: bool, repo: str | None,
           branch: str | None) -> None:
    """Push the built site (and, with [deploy.hexo], the Hexo posts) to a git branch.

    Commits only when something changed; never force-pushes unless [deploy] force = true.
    An https token is read from the variable named by [deploy] token_env (GITHUB_TOKEN).
    """
    from .publish import deploy as deploying

    config = _load(config_path)
    chosen = deploying.resolve_repo(repo) if repo else None
    pushed = _deploy_call(config, lambda: deploying.deploy(config, repo=chosen, branch=branch))
    if as_json:
        click.echo(json.dumps([p.to_json() for p in pushed], ensure_ascii=False, indent=2))
    else:
        for target in pushed:
            click.echo(target.line())
    for target in pushed:
        log.info("deploy: %s", target.line())


@main.group()
def store() -> None:
    """Keep the store on a branch of the deploy repository between CI runs."""


@store.command("save")
@_repo_option
@common
def store_save(config_path: Path | None, as_json: bool, repo: str | None) -> None:
    """Commit a snapshot of the store to [deploy] store_branch (replacing the last one)."""
    from .publish import storesync
    from .publish.deploy import resolve_repo

    config = _load(config_path)
    chosen = resolve_repo(repo) if repo else None
    saved = _deploy_call(config, lambda: storesync.save(config, repo=chosen))
    click.echo(json.dumps(saved.to_json(), indent=2) if as_json else saved.line())
    log.info("store save: %s", saved.line())


@store.command("restore")
@_repo_option
@click.option("--force", is_flag=True, help="Replace the store file that is already here.")
@common
def store_restore(config_path: Path | None, as_json: bool, repo: str | None,
                  force: bool) -> None:
    """Bring back the store saved on [deploy] store_branch (none saved yet: start fresh)."""
    from .publish import storesync
    from .publish.deploy import resolve_repo

    config = _load(config_path)
    chosen = resolve_repo(repo) if repo else None
    restored = _deploy_call(config, lambda: storesync.restore(config, repo=chosen, force=force))
    click.echo(json.dumps(restored.to_json(), indent=2) if as_json else restored.line())
    log.info("store restore: %s", restored.line())


# -- sources: the route catalog, feed management, OPML, migration --------------------------
# (kept together: commands that edit newsstand.toml or read the catalog)


def _store_for(config: Config, *, lock: bool) -> Any:
    from .store import open_store

    return open_store(config.store.url, lock=lock)


def _table_out(headers: list[str], rows: list[list[str]], title: str | None = None) -> None:
    """A rich table on a terminal; tab-separated lines (with a header) otherwise."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*headers, title=title)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    click.echo("\t".join(headers))
    for row in rows:
        click.echo("\t".join(row))


def _route_json(route: Any) -> dict[str, Any]:
    return {"path": route.path, "example": route.example, "category": route.category,
            "category_id": route.category_id, "source": route.source, "channel": route.channel,
            "parameters": dict(route.parameters), "origin": route.origin, "line": route.line,
            "format": route.format}


def _pairs(values: tuple[str, ...], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for value in values:
        name, eq, given = value.partition("=")
        if not eq or not name.strip():
            _fail(f"expected NAME=VALUE for {what}, got {value!r}", Exit.USAGE)
        given = given.strip()
        out[name.strip()] = int(given) if given.isdigit() and what == "--param" else given
    return out


@main.group()
def routes() -> None:
    """The RSSHub route catalog: sync it, search it, show a route."""


@routes.command("sync")
@click.option("--docs", "docs", type=click.Path(path_type=Path),
              help="Read RSSHub's documentation markdown (a folder or a file).")
@click.option("--instance", "instances", multiple=True,
              help="Ask this RSSHub instance's /api/namespace (repeatable; default: the"
                   " [rsshub] instances, in order).")
@common
def routes_sync(config_path: Path | None, as_json: bool, docs: Path | None,
                instances: tuple[str, ...]) -> None:
    """Refresh the route catalog from RSSHub's docs or from a running instance."""
    from .sources.catalog import CatalogError
    from .sources.routes import sync_docs, sync_instance

    config = _load(config_path)
    if docs is not None and instances:
        _fail("give --docs or --instance, not both", Exit.USAGE)
    if docs is not None and not docs.exists():
        _fail(f"no such folder or file: {docs}", Exit.USAGE)
    try:
        with _store_for(config, lock=True) as store:
            if docs is not None:
                synced = sync_docs(store, docs)
            else:
                bad = [i for i in instances if not i.lower().startswith(("http://", "https://"))]
                if bad:
                    _fail(f"--instance {bad[0]!r}: expected an http:// or https:// URL",
                          Exit.USAGE)
                chosen = tuple(i.rstrip("/") for i in instances) or config.rsshub.instances
                synced = sync_instance(store, chosen, config.fetch)
    except CatalogError as exc:
        _fail(str(exc), Exit.FAILED)
    if as_json:
        click.echo(json.dumps({"origin": synced.origin, "routes": synced.routes,
                               "categories": synced.categories}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{synced.routes} routes from {synced.origin}")
    for category, count in sorted(synced.categories.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {category}: {count}")


@routes.command("search")
@click.argument("words", nargs=-1, required=True)
@click.option("--limit", default=50, show_default=True, help="Show at most this many routes.")
@common
def routes_search(config_path: Path | None, as_json: bool, words: tuple[str, ...],
                  limit: int) -> None:
    """Find routes whose category, source, channel or path hold every one of WORDS."""
    config = _load(config_path)
    with _store_for(config, lock=False) as store:
        found = store.search_routes(words, limit=limit)
        empty = not found and not store.route_counts()
    if as_json:
        click.echo(json.dumps([_route_json(r) for r in found], ensure_ascii=False, indent=2))
        return
    if empty:
        _fail("the route catalog is empty; run `newsstand routes sync` first", Exit.USAGE)
    if not found:
        click.echo(f"no route matches {' '.join(words)!r}", err=True)
        return
    _table_out(["category", "source", "channel", "example", "path"],
               [[r.category, r.source, r.channel or "", r.example or "", r.path] for r in found],
               title=f"routes matching {' '.join(words)}")


@routes.command("show")
@click.argument("path")
@common
def routes_show(config_path: Path | None, as_json: bool, path: str) -> None:
    """Everything the catalog knows about the route that serves PATH."""
    from .sources.routes import find_route

    config = _load(config_path)
    with _store_for(config, lock=False) as store:
        route = find_route(store, path)
    if route is None:
        _fail(f"no route in the catalog serves {path}; try `newsstand routes search`",
              Exit.USAGE)
    if as_json:
        click.echo(json.dumps(_route_json(route), ensure_ascii=False, indent=2))
        return
    where = route.origin + (f":{route.line}" if route.line else "")
    for name, value in (("path", route.path), ("example", route.example or ""),
                        ("category", route.category), ("source", route.source),
                        ("channel", route.channel or ""), ("from", f"{where} ({route.format})")):
        click.echo(f"{name:<9} {value}")
    for name, described in route.parameters:
        click.echo(f"  :{name}  {described}")


@main.group()
def feeds() -> None:
    """Add, list, remove, enable and disable feeds; OPML in and out."""


@feeds.command("add")
@click.argument("target")
@click.argument("values", nargs=-1)
@click.option("--category", help="File its items under this category.")
@click.option("--source", help="... this source (the site).")
@click.option("--channel", help="... this channel (default: the catalog's, else the source).")
@click.option("--param", "params", multiple=True,
              help="An RSSHub common parameter, NAME=VALUE (limit=20, mode=fulltext; repeatable).")
@common
def feeds_add(config_path: Path | None, as_json: bool, target: str, values: tuple[str, ...],
              category: str | None, source: str | None, channel: str | None,
              params: tuple[str, ...]) -> None:
    """Add a feed: an RSSHub path (filed from the catalog) or a web page / feed URL.

    \b
    newsstand feeds add /sina/finance
    newsstand feeds add /xueqiu/user/:id id=8152922548
    newsstand feeds add https://example.com/ --category Tech --source Example
    """
    from .sources.discover import DiscoveryError, discover
    from .sources.editconfig import add_feeds, feed_index
    from .sources.opml import route_of
    from .sources.routes import RouteError, route_feed

    config = _load(config_path)
    rsshub_params = _pairs(params, "--param")
    on_instance = route_of(target, config.rsshub.instances)  # a URL on our own RSSHub
    if on_instance:
        target, given = on_instance
        rsshub_params = {**given, **rsshub_params}
    if target.lower().startswith(("http://", "https://")):
        if values:
            _fail("NAME=VALUE parameters apply to RSSHub paths only", Exit.USAGE)
        try:
            found = discover(target, config.fetch)
        except DiscoveryError as exc:
            _fail(str(exc), Exit.USAGE)
        if found.url != target and not as_json:
            click.echo(f"found the feed {found.url}" + (f" ({found.title})" if found.title
                                                        else ""), err=True)
        for other in found.others:
            click.echo(f"  the page also names {other}", err=True)
        if not (category and source):
            if not sys.stdin.isatty():
                _fail(f"say where to file {found.url}: give --category and --source",
                      Exit.USAGE)
            category = category or click.prompt("category")
            source = source or click.prompt("source", default=found.title or None)
            channel = channel or click.prompt("channel", default=source)
        feed: dict[str, Any] = {"url": found.url, "category": category, "source": source,
                                "channel": channel if channel != source else None}
    else:
        try:
            with _store_for(config, lock=False) as store:
                feed = route_feed(store, target, _pairs(values, "route parameters"), category,
                                  source, channel)
        except RouteError as exc:
            _fail(str(exc), Exit.USAGE)
    if rsshub_params:
        feed["rsshub_params"] = rsshub_params
    key = feed.get("route") or feed["url"]
    try:
        index = feed_index(config, key)
    except KeyError:
        pass
    else:
        _fail(f"{key} is already in {config.path} ([[feeds]] #{index + 1})", Exit.USAGE)
    add_feeds(config.path, [feed])
    if as_json:
        shown = {k: v for k, v in feed.items() if v is not None}
        click.echo(json.dumps({"added": shown}, ensure_ascii=False, indent=2))
        return
    place_text = " › ".join(filter(None, (feed["category"], feed["source"], feed["channel"])))
    click.echo(f"added {key} under {place_text}")


@feeds.command("list")
@common
def feeds_list(config_path: Path | None, as_json: bool) -> None:
    """The configured feeds, where they are filed, and how their last fetch went."""
    config = _load(config_path)
    with _store_for(config, lock=False) as store:
        health = {row["key"]: row for row in store.feed_health()}
    rows = []
    for feed in config.feeds:
        h = health.get(feed.key, {})
        status = ("never fetched" if not h.get("last_attempt") else
                  f"failed: {h['last_error']}" if h.get("last_error") else
                  f"ok (HTTP {h['last_status']})")
        rows.append({"feed": feed.key, "category": feed.category, "source": feed.source,
                     "channel": feed.channel, "enabled": feed.enabled,
                     "last_attempt": h.get("last_attempt"), "status": status,
                     "entries": h.get("entries", 0)})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    _table_out(["feed", "category", "source", "channel", "enabled", "last fetch", "entries"],
               [[r["feed"], r["category"], r["source"], r["channel"],
                 "yes" if r["enabled"] else "no",
                 f"{r['last_attempt'] or ''} {r['status']}".strip(), str(r["entries"])]
                for r in rows], title=f"feeds in {config.path.name}")


def _edit_feed(config_path: Path | None, as_json: bool, key: str, action: str) -> None:
    from .sources.editconfig import remove_feed, set_enabled

    config = _load(config_path)
    try:
        if action == "remove":
            remove_feed(config.path, config, key)
        else:
            set_enabled(config.path, config, key, action == "enable")
    except KeyError:
        _fail(f"no feed {key!r} in {config.path}; see `newsstand feeds list`", Exit.USAGE)
    if as_json:
        click.echo(json.dumps({action + "d": key}))
    else:
        click.echo(f"{action}d {key}")


@feeds.command("remove")
@click.argument("feed")
@common
def feeds_remove(config_path: Path | None, as_json: bool, feed: str) -> None:
    """Remove FEED (its route or URL) from the config; stored items stay in the store."""
    _edit_feed(config_path, as_json, feed, "remove")


@feeds.command("enable")
@click.argument("feed")
@common
def feeds_enable(config_path: Path | None, as_json: bool, feed: str) -> None:
    """Fetch FEED again."""
    _edit_feed(config_path, as_json, feed, "enable")


@feeds.command("disable")
@click.argument("feed")
@common
def feeds_disable(config_path: Path | None, as_json: bool, feed: str) -> None:
    """Stop fetching FEED but keep it (and its posts)."""
    _edit_feed(config_path, as_json, feed, "disable")


@feeds.command("import-opml")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--category", "default_category", default="Uncategorized", show_default=True,
              help="Category of feeds that sit in no folder.")
@common
def feeds_import_opml(config_path: Path | None, as_json: bool, file: Path,
                      default_category: str) -> None:
    """Add the feeds of an OPML file (folders become category › source)."""
    from .sources.editconfig import add_feeds, new_only
    from .sources.opml import OPMLError, plan_import, read_opml

    config = _load(config_path)
    try:
        outlines = read_opml(file.read_bytes())
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}", Exit.USAGE)
    except OPMLError as exc:
        _fail(f"{file}: {exc}", Exit.USAGE)
    plan = plan_import(outlines, config.rsshub.instances, default_category)
    added, skipped = new_only(config, plan.feeds)
    refused = plan.refused
    if added:
        add_feeds(config.path, added)
    if as_json:
        click.echo(json.dumps({"added": len(added), "skipped": skipped, "refused": refused},
                              ensure_ascii=False))
        return
    click.echo(f"added {len(added)} feeds from {file}"
               + (f"; {len(skipped)} already there" if skipped else ""))
    for line in refused:
        click.echo(f"skipped {line}", err=True)


@feeds.command("export-opml")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write here (default: stdout).")
@common
def feeds_export_opml(config_path: Path | None, as_json: bool, output: Path | None) -> None:
    """Write every feed as OPML (category › source folders; routes on the first instance)."""
    from .publish.files import write_atomic
    from .sources.opml import export_opml

    config = _load(config_path)
    data = export_opml(config.feeds, config.rsshub.instances[0], config.site.title)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_atomic(output, data)
    click.echo(f"wrote {len(config.feeds)} feeds to {output}", err=True)


@main.command("migrate-rsshub-page")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--dry-run", is_flag=True, help="Show the feeds; do not change the config.")
@common
def migrate_rsshub_page(config_path: Path | None, as_json: bool, directory: Path,
                        dry_run: bool) -> None:
    """Bring the feeds of a reference-script site (config.yml / temple/temple_config.yml
    and user_config.yml in DIRECTORY) into newsstand.toml."""
    from .sources.editconfig import add_feeds, new_only
    from .sources.migrate import MigrateError, migrate
    from .sources.routes import find_route

    config = _load(config_path)
    try:
        with _store_for(config, lock=False) as store:
            result = migrate(directory, lambda path: find_route(store, path))
    except MigrateError as exc:
        _fail(str(exc), Exit.USAGE)
    new, _ = new_only(config, result.feeds)
    if new and not dry_run:
        add_feeds(config.path, new)
    if as_json:
        click.echo(json.dumps({"added": [] if dry_run else new, "feeds": result.feeds,
                               "already": len(result.feeds) - len(new),
                               "skipped": result.skipped}, ensure_ascii=False, indent=2))
        return
    for feed in new:
        place = " › ".join(filter(None, (feed["category"], feed["source"], feed.get("channel"))))
        click.echo(f"{'would add' if dry_run else 'added'} {feed.get('route') or feed['url']}"
                   f" under {place}")
    if len(result.feeds) > len(new):
        click.echo(f"{len(result.feeds) - len(new)} already in {config.path.name}")
    for line in result.skipped:
        click.echo(f"skipped {line}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
