"""The RSSHub route catalog (`routes`): sync it from RSSHub's docs or an instance, search
it, show a route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..model import Route
from . import output
from .common import Exit, common, fail, load


def route_json(route: Route) -> dict[str, Any]:
    return {
        "path": route.path,
        "example": route.example,
        "category": route.category,
        "category_id": route.category_id,
        "source": route.source,
        "channel": route.channel,
        "parameters": dict(route.parameters),
        "origin": route.origin,
        "line": route.line,
        "format": route.format,
    }


@click.group()
def routes() -> None:
    """The RSSHub route catalog: sync it, search it, show a route."""


@routes.command("sync")
@click.option(
    "--docs",
    "docs",
    type=click.Path(path_type=Path),
    help="Read RSSHub's documentation markdown (a folder or a file).",
)
@click.option(
    "--instance",
    "instances",
    multiple=True,
    help="Ask this RSSHub instance's /api/namespace (repeatable; default: the"
    " [rsshub] instances, in order).",
)
@common
def routes_sync(
    config_path: Path | None, as_json: bool, docs: Path | None, instances: tuple[str, ...]
) -> None:
    """Refresh the route catalog from RSSHub's docs or from a running instance."""
    from ..sources.catalog import CatalogError
    from ..sources.routes import sync_docs, sync_instance
    from ..store import open_store

    config = load(config_path)
    if docs is not None and instances:
        fail("give --docs or --instance, not both", Exit.USAGE)
    if docs is not None and not docs.exists():
        fail(f"no such folder or file: {docs}", Exit.USAGE)
    try:
        with open_store(config.store.url) as store:
            if docs is not None:
                synced = sync_docs(store, docs)
            else:
                env = config.rsshub.access_key_env
                chosen = tuple(_instance(i, env) for i in instances) or config.rsshub.instances
                synced = sync_instance(store, chosen, config.fetch, config.rsshub)
    except CatalogError as exc:
        fail(str(exc), Exit.FAILED)
    if as_json:
        click.echo(
            json.dumps(
                {"origin": synced.origin, "routes": synced.routes, "categories": synced.categories},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"{synced.routes} routes from {synced.origin}")
    for category, count in sorted(synced.categories.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {category}: {count}")


def _instance(url: str, key_env: str) -> str:
    """An ``--instance`` URL, checked: an address, with no query (a key there would be on
    the command line, in shell history and process lists)."""
    from urllib.parse import urlsplit

    from ..rsshub import public_url

    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        fail(f"--instance {public_url(url)!r}: expected an http:// or https:// URL", Exit.USAGE)
    if parts.query or parts.fragment:
        fail(
            f"--instance takes the instance's address only ({parts.scheme}://{parts.netloc}"
            f"{parts.path.rstrip('/')}): its access key goes in [rsshub] access_key or the"
            f" {key_env} environment variable, never on a command line",
            Exit.USAGE,
        )
    return url.rstrip("/")


@routes.command("search")
@click.argument("words", nargs=-1, required=True)
@click.option("--limit", default=50, show_default=True, help="Show at most this many routes.")
@common
def routes_search(
    config_path: Path | None, as_json: bool, words: tuple[str, ...], limit: int
) -> None:
    """Find routes whose category, source, channel or path hold every one of WORDS."""
    from ..store import open_store

    config = load(config_path)
    with open_store(config.store.url, lock=False) as store:
        found = store.search_routes(words, limit=limit)
        empty = not found and not store.route_counts()
    if as_json:
        click.echo(json.dumps([route_json(r) for r in found], ensure_ascii=False, indent=2))
        return
    if empty:
        fail("the route catalog is empty; run `newsstand routes sync` first", Exit.USAGE)
    if not found:
        click.echo(f"no route matches {' '.join(words)!r}", err=True)
        return
    output.table(
        ["category", "source", "channel", "example", "path"],
        [[r.category, r.source, r.channel or "", r.example or "", r.path] for r in found],
        title=f"routes matching {' '.join(words)}",
    )


_FORMATS = {"api": "an instance's /api/namespace", "new": "new docs", "old": "old docs"}


@routes.command("show")
@click.argument("path")
@common
def routes_show(config_path: Path | None, as_json: bool, path: str) -> None:
    """Everything the catalog knows about the route that serves PATH."""
    from ..sources.routes import find_route
    from ..store import open_store

    config = load(config_path)
    with open_store(config.store.url, lock=False) as store:
        route = find_route(store, path)
        copies = store.route_origins(route.path) if route else []
    if route is None:
        fail(f"no route in the catalog serves {path}; try `newsstand routes search`", Exit.USAGE)
    if as_json:
        shown = route_json(route)
        shown["origins"] = [{"origin": o, "format": f, "synced": t} for o, f, t in copies]
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    where = route.origin + (f":{route.line}" if route.line else "")
    synced = next((t for o, f, t in copies if (o, f) == (route.origin, route.format)), "")
    others = [f"{o} ({f})" for o, f, _ in copies if (o, f) != (route.origin, route.format)]
    rows = [
        ("path", route.path),
        ("example", route.example or ""),
        ("category", route.category),
        ("source", route.source),
        ("channel", route.channel or ""),
        ("from", f"{where} ({_FORMATS.get(route.format, route.format)}, synced {synced[:16]})"),
    ]
    if others:  # the same path in other origins: this one is the freshest
        rows.append(("also in", ", ".join(others)))
    for name, value in rows:
        click.echo(f"{name:<9} {value}")
    for name, described in route.parameters:
        click.echo(f"  :{name}  {described}")
