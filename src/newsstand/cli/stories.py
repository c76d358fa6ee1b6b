"""`newsstand stories list/rebuild`: the stories several feeds reported, and grouping the
last days again after the [stories] settings changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from . import output
from .common import Exit, common, fail, load

_DAYS = click.option(
    "--days",
    type=click.FloatRange(min=0, min_open=True),
    help="Only the last N days (default: list everything; rebuild the [stories] window).",
)


@click.group()
def stories() -> None:
    """The same event reported by several feeds, grouped as one story."""


@stories.command("list")
@_DAYS
@common
def stories_list(config_path: Path | None, as_json: bool, days: float | None) -> None:
    """Show the stories with more than one entry, newest first, each entry with its feed.

    --json prints a list of {"story", "entries": [{"feed", "id", "title", "link",
    "published"}]}.
    """
    from ..store import open_store

    config = load(config_path)
    since = None
    if days is not None:
        since = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    with open_store(config.store.url, lock=False) as store:
        found = store.stories(since)
    if as_json:
        output.echo_json(
            [
                {
                    "story": story.id,
                    "entries": [
                        {
                            "feed": item.feed_key,
                            "id": item.entry.id,
                            "title": item.entry.title,
                            "link": item.entry.link,
                            "published": item.entry.published.isoformat()
                            if item.entry.published
                            else None,
                        }
                        for item in story.items
                    ],
                }
                for story in found
            ]
        )
        return
    if not found:
        click.echo("no story was reported by more than one feed")
        return
    for story in found:
        first = story.items[0]
        click.echo(f"{first.entry.title}  ({len(story.items)} entries)")
        for item in story.items:
            when = item.entry.published.strftime("%Y-%m-%d %H:%M") if item.entry.published else ""
            click.echo(f"  {when}  {item.source} › {item.channel}: {item.entry.title}")


@stories.command("rebuild")
@_DAYS
@common
def stories_rebuild(config_path: Path | None, as_json: bool, days: float | None) -> None:
    """Group the entries of the last N days again, with the current [stories] settings."""
    from ..stories import rebuild

    config = load(config_path)
    if not config.stories.enabled:
        fail(f"[stories] enabled is false in {config.path.name}: nothing to group", Exit.USAGE)
    span = days if days is not None else config.stories.window / 86400
    from ..store import open_store

    with output.run_log(config), open_store(config.store.url) as store:
        cleared, grouped = rebuild(store, config.stories, config.feeds, span)
    if as_json:
        output.echo_json(
            {"cleared": cleared, "grouped": grouped.assigned, "joined": grouped.joined}
        )
    else:
        click.echo(
            f"grouped {grouped.assigned} entries of the last {span:g} days again:"
            f" {grouped.joined} joined a story of another feed"
        )
