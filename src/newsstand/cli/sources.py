"""Where feeds come from: the feeds of the config (`feeds`), OPML in and out, and
migration from the reference script. (The route catalog's commands: ``routes``.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from . import output
from .common import Exit, common, fail, load


def pairs(values: tuple[str, ...], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for value in values:
        name, eq, given = value.partition("=")
        if not eq or not name.strip():
            fail(f"expected NAME=VALUE for {what}, got {value!r}", Exit.USAGE)
        given = given.strip()
        out[name.strip()] = int(given) if given.isdigit() and what == "--param" else given
    return out


@click.group()
def feeds() -> None:
    """Add, list, remove, enable and disable feeds; OPML in and out."""


@feeds.command("add")
@click.argument("target")
@click.argument("values", nargs=-1)
@click.option("--category", help="File its items under this category.")
@click.option("--source", help="... this source (the site).")
@click.option("--channel", help="... this channel (default: the catalog's, else the source).")
@click.option(
    "--param",
    "params",
    multiple=True,
    help="An RSSHub common parameter, NAME=VALUE (limit=20, mode=fulltext; repeatable).",
)
@click.option(
    "--no-check",
    "no_check",
    is_flag=True,
    help="Add a URL as given, without fetching it first (give --category and --source).",
)
@common
def feeds_add(
    config_path: Path | None,
    as_json: bool,
    target: str,
    values: tuple[str, ...],
    category: str | None,
    source: str | None,
    channel: str | None,
    params: tuple[str, ...],
    no_check: bool,
) -> None:
    """Add a feed: an RSSHub path (filed from the catalog) or a web page / feed URL.

    A URL is fetched first to find its feed; with --category and --source given, one
    that cannot be fetched now is added as given, with a warning (--no-check: not
    fetched at all).

    \b
    newsstand feeds add /sina/finance/china
    newsstand feeds add /xueqiu/user/:id id=8152922548
    newsstand feeds add https://example.com/ --category Tech --source Example
    """
    from ..sources.add import AddError, add_feed

    config = load(config_path)

    def ask(question: str, default: str | None) -> str:
        return str(click.prompt(question, default=default))

    try:
        added = add_feed(
            config,
            target,
            pairs(values, "route parameters"),
            category=category,
            source=source,
            channel=channel,
            params=pairs(params, "--param"),
            ask=ask if sys.stdin.isatty() else None,
            check=not no_check,
        )
    except AddError as exc:
        fail(str(exc), Exit.USAGE)
    for warning in added.warnings:
        click.echo(f"warning: {warning}", err=True)
    for note in added.notes:
        if as_json and note.startswith("found"):
            continue
        click.echo(note, err=True)
    if as_json:
        shown = {k: v for k, v in added.feed.items() if v is not None}
        click.echo(json.dumps({"added": shown}, ensure_ascii=False, indent=2))
        return
    click.echo(f"added {added.key} under {added.place}")


@feeds.command("list")
@common
def feeds_list(config_path: Path | None, as_json: bool) -> None:
    """The configured feeds, where they are filed, and how their last fetch went."""
    from ..health import feed_health

    config = load(config_path)
    report = {f.feed: f for f in feed_health(config, missing_ok=True).feeds}
    rows = []
    for feed in config.feeds:
        h = report[feed.key]
        status = (
            "never fetched"
            if h.last_attempt is None
            else f"failed: {h.last_error}"
            if h.last_error
            else f"ok (HTTP {h.http_status})"
        )
        rows.append((feed, h, status))
    if as_json:
        output.echo_json(
            [
                {
                    "feed": feed.key,
                    "category": feed.category,
                    "source": feed.source,
                    "channel": feed.channel,
                    "enabled": feed.enabled,
                    "last_attempt": h.last_attempt,
                    "status": status,
                    "entries": h.entries,
                }
                for feed, h, status in rows
            ]
        )
        return
    output.table(
        ["feed", "category", "source", "channel", "enabled", "last fetch", "entries"],
        [
            [
                feed.key,
                feed.category,
                feed.source,
                feed.channel,
                "yes" if feed.enabled else "no",
                f"{h.last_attempt or ''} {status}".strip(),
                str(h.entries),
            ]
            for feed, h, status in rows
        ],
        title=f"feeds in {config.path.name}",
    )


@feeds.command("check")
@click.option(
    "--offline",
    is_flag=True,
    help="Do not ask the instance: check against the catalog `routes sync` kept.",
)
@common
def feeds_check(config_path: Path | None, as_json: bool, offline: bool) -> None:
    """Ask RSSHub whether it still serves every route of the config; for one it does not,
    suggest the current path of the same name. Exits 1 when a route is gone."""
    from ..sources.check import CheckError, check_routes, current_routes
    from ..sources.routes import find_route
    from ..store import open_store

    config = load(config_path)
    routes = [(f.route, f.channel) for f in config.feeds if f.route]
    try:
        with open_store(config.store.url, lock=False) as store:
            basis, current = current_routes(config, store, live=not offline)
            checks = check_routes(routes, current, lambda path: find_route(store, path))
    except CheckError as exc:
        fail(str(exc), Exit.FAILED)
    gone = [c for c in checks if c.gone]
    if as_json:
        output.echo_json(
            {
                "checked_against": {"origin": basis.origin, "synced": basis.synced},
                "routes": [
                    {
                        "route": c.path,
                        "served_by": c.served_by.path if c.served_by else None,
                        "suggestion": (c.suggestion.example or c.suggestion.path)
                        if c.suggestion
                        else None,
                    }
                    for c in checks
                ],
            }
        )
    else:
        click.echo(f"checked {len(checks)} routes against {basis}")
        for check in gone:
            click.echo(f"gone  {check.line()}")
        click.echo(f"{len(checks) - len(gone)} served, {len(gone)} gone")
    if gone:
        sys.exit(Exit.FAILED)


def _edit_feed(config_path: Path | None, as_json: bool, key: str, action: str) -> None:
    from ..config.edit import remove_feed, set_enabled

    config = load(config_path)
    try:
        if action == "remove":
            remove_feed(config.path, config, key)
        else:
            set_enabled(config.path, config, key, action == "enable")
    except KeyError:
        fail(f"no feed {key!r} in {config.path}; see `newsstand feeds list`", Exit.USAGE)
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
@click.option(
    "--category",
    "default_category",
    default="Uncategorized",
    show_default=True,
    help="Category of feeds that sit in no folder.",
)
@common
def feeds_import_opml(
    config_path: Path | None, as_json: bool, file: Path, default_category: str
) -> None:
    """Add the feeds of an OPML file (folders become category › source)."""
    from ..config.edit import add_feeds, new_only
    from ..sources.opml import OPMLError, plan_import, read_opml

    config = load(config_path)
    try:
        outlines = read_opml(file.read_bytes())
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", Exit.USAGE)
    except OPMLError as exc:
        fail(f"{file}: {exc}", Exit.USAGE)
    plan = plan_import(outlines, config.rsshub.instances, default_category)
    added, skipped = new_only(config, plan.feeds)
    refused = plan.refused
    if added:
        add_feeds(config.path, added)
    if as_json:
        click.echo(
            json.dumps(
                {"added": len(added), "skipped": skipped, "refused": refused}, ensure_ascii=False
            )
        )
        return
    click.echo(
        f"added {len(added)} feeds from {file}"
        + (f"; {len(skipped)} already there" if skipped else "")
    )
    for line in refused:
        click.echo(f"skipped {line}", err=True)


@feeds.command("export-opml")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here (default: stdout).",
)
@common
def feeds_export_opml(config_path: Path | None, as_json: bool, output: Path | None) -> None:
    """Write every feed as OPML (category › source folders; routes on the first instance)."""
    from ..files import write_atomic
    from ..sources.opml import export_opml

    config = load(config_path)
    data = export_opml(config.feeds, config.rsshub.instances[0], config.site.title)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_atomic(output, data)
    click.echo(f"wrote {len(config.feeds)} feeds to {output}", err=True)


@click.command("migrate-rsshub-page")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--dry-run", is_flag=True, help="Show the feeds; do not change the config.")
@common
def migrate_rsshub_page(
    config_path: Path | None, as_json: bool, directory: Path, dry_run: bool
) -> None:
    """Bring the feeds of a reference-script site (config.yml / temple/temple_config.yml
    and user_config.yml in DIRECTORY) into newsstand.toml."""
    from ..config.edit import add_feeds, new_only
    from ..sources.check import disable_gone
    from ..sources.migrate import MigrateError, migrate
    from ..sources.routes import find_route
    from ..store import open_store

    config = load(config_path)
    try:
        with open_store(config.store.url, lock=False) as store:
            result = migrate(directory, lambda path: find_route(store, path))
            gone = disable_gone(result.feeds, config, store)
    except MigrateError as exc:
        fail(str(exc), Exit.USAGE)
    new, _ = new_only(config, result.feeds)
    if new and not dry_run:
        add_feeds(config.path, new)
    for note in [*result.notes, *gone]:
        click.echo(note, err=True)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "added": [] if dry_run else new,
                    "feeds": result.feeds,
                    "already": len(result.feeds) - len(new),
                    "skipped": result.skipped,
                    "gone": [f.get("route") for f in result.feeds if f.get("enabled") is False],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for feed in new:
        place = " › ".join(filter(None, (feed["category"], feed["source"], feed.get("channel"))))
        click.echo(
            f"{'would add' if dry_run else 'added'} {feed.get('route') or feed['url']}"
            f" under {place}"
            + (" (disabled: gone from RSSHub)" if feed.get("enabled") is False else "")
        )
    if len(result.feeds) > len(new):
        click.echo(f"{len(result.feeds) - len(new)} already in {config.path.name}")
    for line in result.skipped:
        click.echo(f"skipped {line}", err=True)
