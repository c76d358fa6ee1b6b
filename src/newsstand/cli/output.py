"""How the commands talk to the user: progress, tables, the run summary, the cycle
line, the run log beside the store, and the signals that stop a run."""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from ..config import Config
from ..control import Progress as ProgressFn
from ..store.errors import StoreError
from .common import log

if TYPE_CHECKING:
    from ..health import HealthReport
    from ..publish.site import SiteResult
    from ..report import RunSummary
    from ..watch import Cycle


class Stop(threading.Event):
    """Set by SIGTERM or SIGINT; ``signum`` says which."""

    signum: int = signal.SIGTERM


@contextlib.contextmanager
def signals() -> Iterator[Stop]:
    """SIGTERM and SIGINT ask the run to stop at its next safe point (a second one stops
    it at once); the exit code is then 128 + the signal's number."""
    stop = Stop()

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


def stopped_by(stop: Stop) -> str:
    return signal.Signals(stop.signum).name


class _RunLogHandler(logging.handlers.RotatingFileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        """A log that cannot be written (the disk is full) adds no traceback to the one
        line the user is given."""


@contextlib.contextmanager
def run_log(config: Config) -> Iterator[None]:
    """Keep a log beside the store (newsstand.log, rotated): the details behind the one
    line a user sees, for runs nobody watches."""
    path = config.state.log
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


class Progress:
    """A progress bar on a terminal, plain lines on stderr otherwise, nothing for --json."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> ProgressFn | None:
        if not self.enabled:
            return None
        if self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("{task.description:>8}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[line]}", style="dim"),
                console=Console(stderr=True),
                transient=True,
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


def table(headers: list[str], rows: list[list[str]], title: str | None = None) -> None:
    """A rich table on a terminal; tab-separated lines (with a header) otherwise."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        shown = Table(*headers, title=title)
        for row in rows:
            shown.add_row(*row)
        Console().print(shown)
        return
    click.echo("\t".join(headers))
    for row in rows:
        click.echo("\t".join(row))


def echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def site_line(result: SiteResult) -> str:
    size = result.size
    weight = f", {size['bytes'] / 1e6:.0f} MB in {size['files']} files" if size else ""
    if result.skipped:
        return f"site     unchanged, {result.pages} pages in {result.dir}{weight}"
    return (
        f"site     {result.pages} pages in {result.dir}{weight}: {result.rendered} rendered,"
        f" {result.removed} removed, {result.indexed} search bundles indexed"
    )


def print_summary(summary: RunSummary) -> None:
    data = summary.to_json()
    feeds, entries, posts = data["feeds"], data["entries"], data["posts"]
    rows = [
        (
            "feeds",
            f"{feeds['total']} total, {feeds['ok']} ok, {feeds['failed']} failed"
            + (f", {len(feeds['skipped'])} skipped" if feeds["skipped"] else "")
            + (
                f", {feeds['not_due']} not due yet (the next at"
                f" {when(feeds['next_due'])} UTC; --all fetches them)"
                if feeds["not_due"]
                else ""
            ),
        ),
        (
            "entries",
            f"{entries['new']} new, {entries['updated']} updated"
            + (
                f", {entries['removed_by_retention']} removed by retention"
                if entries["removed_by_retention"]
                else ""
            ),
        ),
        (
            "posts",
            f"{posts['written']} written, {posts['unchanged']} unchanged,"
            f" {posts['removed']} removed",
        ),
        ("time", f"{summary.elapsed:.2f} s"),
    ]
    if summary.site:
        rows.insert(3, ("site", site_line(summary.site)[9:]))
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
    for warning in summary.site.warnings if summary.site else ():
        click.echo(f"warning: {warning}", err=True)


def print_cycle(cycle: Cycle, *, as_json: bool) -> None:
    """One line per cycle on stderr and in the log; with --json, a JSON object on stdout."""
    summary = cycle.summary
    parts = []
    if summary is not None:
        data = summary.to_json()
        feeds, entries = data["feeds"], data["entries"]
        skipped = len(feeds["skipped"])
        parts.append(
            f"{feeds['fetched']} fetched ({feeds['failed']} failed),"
            f" {feeds['not_due']} not due"
            + (f", {skipped} skipped (resting or gone)" if skipped else "")
            + f"; {entries['new']} new, {entries['updated']} updated"
        )
        if summary.published is None:
            parts.append("nothing to publish")
        else:
            parts.append(f"{summary.published.written} posts written")
            if summary.site:
                parts.append(site_line(summary.site)[9:])
    if cycle.error:
        parts.append(f"error: {cycle.error}")
    if cycle.next_at:
        parts.append(f"next cycle {cycle.next_at:%H:%M:%S} UTC")
    line = f"cycle {cycle.number} at {cycle.started:%H:%M:%S} UTC: " + "; ".join(parts)
    log.info("%s", line)
    if not as_json:
        click.echo(line, err=True)
        return
    click.echo(
        json.dumps(
            {
                "cycle": cycle.number,
                "started": cycle.started.isoformat(timespec="seconds"),
                "error": cycle.error,
                "summary": summary.to_json() if summary else None,
                "next_at": cycle.next_at.isoformat(timespec="seconds") if cycle.next_at else None,
            },
            ensure_ascii=False,
        )
    )
    sys.stdout.flush()


def when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


def minutes(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 60:g} h" if value >= 60 and value % 60 == 0 else f"{value:g} min"


def print_health(report: HealthReport) -> None:
    columns = (
        "feed",
        "state",
        "fails",
        "HTTP",
        "last success",
        "every",
        "next fetch",
        "entries",
        "last error",
    )
    rows = [
        (
            f.feed,
            f.state,
            str(f.failures or ""),
            str(f.http_status or "-"),
            when(f.last_success),
            minutes(f.interval_minutes),
            when(f.next_fetch)
            if f.next_fetch
            else "-"
            if f.state in ("gone", "disabled")
            else "next run",
            str(f.entries),
            (f.last_error or "") + (f" (moved to {f.moved_to})" if f.moved_to else ""),
        )
        for f in report.feeds
    ]
    verdict = (
        f"{report.failing} of {report.checked} feeds failing"
        f" ({report.share:.0%}; alert at {report.alert_share:.0%})"
    )
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*columns, title="newsstand status")
        for row in rows:
            table.add_row(*row, style="red" if row[1] in ("gone", "failing") else None)
        console = Console()
        console.print(table)
        for line in _image_lines(report):
            console.print(line, highlight=False, markup=False)
        console.print(verdict)
        return
    click.echo("\t".join(columns))
    for row in rows:
        click.echo("\t".join(row))
    for line in _image_lines(report):
        click.echo(line)
    click.echo(verdict)


def _image_lines(report: HealthReport) -> list[str]:
    """The image cache: its size, what the site publishes, the hosts whose pictures fail."""
    cache = report.images
    if cache is None:
        return []

    def size(n: int) -> str:
        return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB"

    lines = [
        f"images   {cache.files} cached ({size(cache.bytes)}); the site publishes"
        f" {cache.published} ({size(cache.published_bytes)} of {size(cache.max_bytes)})"
    ]
    for host, count, error in cache.failing:
        lines.append(f"  {host}: {count} picture{'s' if count != 1 else ''} failing: {error}")
    return lines
