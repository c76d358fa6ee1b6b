"""The catalog as the commands use it: sync it into the store, and turn a path the user
typed into a route and a place to file its feed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import FetchConfig, RSSHubConfig
from ..fetch import Fetcher, Request
from ..model import Fetched, Route
from ..rsshub import ACCESS_PARAMS, normalize_route, route_path
from ..store import Store
from .catalog import (
    CatalogError,
    fill_template,
    match_template,
    parse_docs_dir,
    parse_namespace_api,
    split_query,
    template_params,
)

API = "/api/namespace"
API_MAX_BYTES = 256 * 1024 * 1024  # a full instance answers with tens of MB


@dataclass(frozen=True, slots=True)
class Synced:
    """What a sync brought into the catalog."""

    origin: str  # the docs folder, or the instance that answered
    routes: int
    categories: dict[str, int]


def _counts(routes: Sequence[Route]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for route in routes:
        counts[route.category] = counts.get(route.category, 0) + 1
    return counts


def sync_docs(store: Store, folder: Path) -> Synced:
    """Read RSSHub's documentation under ``folder`` into the catalog (replacing what the
    same files gave before)."""
    if not folder.exists():
        raise CatalogError(f"no such folder: {folder}")
    routes = parse_docs_dir(folder)
    origins = {r.origin for r in routes}
    store.replace_routes(origins, routes)
    return Synced(str(folder), len(routes), _counts(routes))


def ask_instances(
    instances: Sequence[str], fetch: FetchConfig, rsshub: RSSHubConfig
) -> tuple[str, list[Route]]:
    """The routes of the first of ``instances`` to answer ``/api/namespace``, and which
    one that was. CatalogError says why none did.

    An instance with access control asks for the key there too: it is sent (as ``key=``,
    or ``code=`` for that path, as ``rsshub.access`` says) to the configured instances
    only, never to another one named here, and kept nowhere."""
    instances = tuple(i.rstrip("/") for i in instances)
    keyed = [i in rsshub.instances and bool(rsshub.access_key) for i in instances]
    path = route_path(API, (), rsshub.access_key, rsshub.access)
    urls = tuple(i + (path if k else API) for i, k in zip(instances, keyed, strict=True))

    async def get() -> Fetched:
        async with Fetcher(
            replace(fetch, max_bytes=max(fetch.max_bytes, API_MAX_BYTES)), backoff=0.5
        ) as fetcher:
            return await fetcher.fetch(
                Request(
                    "catalog",
                    urls,
                    private=ACCESS_PARAMS if any(keyed) else (),
                    access_key=rsshub.access_key if any(keyed) else None,
                    access=rsshub.access,
                )
            )

    fetched = asyncio.run(get())
    if not fetched.ok:
        hint = ""
        if fetched.status == 403 and not all(keyed):
            hint = (
                "; an instance with access control needs its key: set [rsshub] access_key"
                f" or {rsshub.access_key_env} (it is sent to the [rsshub] instances only)"
            )
        raise CatalogError(f"no RSSHub instance answered {API}: {fetched.error}{hint}")
    answered = next((u for u, ok in fetched.tried if ok), fetched.url)  # without the key
    origin = max((i for i in instances if answered.startswith(i + "/")), key=len)
    try:
        data = json.loads(fetched.body)
    except ValueError as exc:
        raise CatalogError(f"{origin + API} did not answer with JSON ({exc})") from None
    return origin, parse_namespace_api(data, origin)


def sync_instance(
    store: Store, instances: Sequence[str], fetch: FetchConfig, rsshub: RSSHubConfig
) -> Synced:
    """Ask the instances, in order, for ``/api/namespace`` and keep the first answer in
    the catalog (replacing what that instance gave before)."""
    origin, routes = ask_instances(instances, fetch, rsshub)
    store.replace_routes([origin], routes)
    return Synced(origin, len(routes), _counts(routes))


# --------------------------------------------------------------------------- resolving

_PREFERENCE = {"api": 0, "new": 1, "old": 2}  # the fresher source first


@dataclass(frozen=True, slots=True)
class Resolved:
    """A path the user gave, made concrete, and the catalog route it belongs to."""

    path: str  # what to fetch: "/xueqiu/user/8152922548"
    route: Route | None  # None: not in the catalog


class RouteError(ValueError):
    """The path cannot be made into a route; the message says what to give."""


def _literal_segments(template: str) -> int:
    return sum(1 for s in template.split("/") if s and not s.startswith(":"))


def find_route(store: Store, path: str) -> Route | None:
    """The catalog's best route for a concrete path (or a template, given exactly)."""
    bare = split_query(path)[0].rstrip("/") or "/"
    candidates = store.routes(next((s for s in bare.split("/") if s), ""))
    ranked = []
    for route in candidates:
        if route.path == bare:
            rank = 0
        elif route.example and split_query(route.example)[0].rstrip("/") == bare:
            rank = 1
        elif match_template(route.path, bare) is not None:
            rank = 2
        else:
            continue
        ranked.append(
            (rank, -_literal_segments(route.path), _PREFERENCE.get(route.format, 3), route)
        )
    ranked.sort(key=lambda t: t[:3])
    return ranked[0][3] if ranked else None


def resolve(store: Store, path: str, values: Mapping[str, str]) -> Resolved:
    """``path`` (concrete, or a template with ``values`` for its parameters) as a route."""
    path, query = split_query(path)
    if ":" not in path:
        if values:
            raise RouteError(f"{path} takes no NAME=VALUE parameters (it has no :name in it)")
        return Resolved(path + query, find_route(store, path))
    route = find_route(store, path)
    names = [n for n, _ in template_params(path)]
    unknown = [k for k in values if k not in names]
    if unknown:
        raise RouteError(
            f"{path} has no parameter {unknown[0]!r}; its parameters: " + ", ".join(names)
        )
    try:
        concrete = fill_template(path, values)
    except KeyError as exc:
        name = exc.args[0]
        described = dict(route.parameters).get(name, "") if route else ""
        hint = f" ({described})" if described else ""
        raise RouteError(f"{path} needs {name}{hint}: give {name}=VALUE") from None
    return Resolved(concrete + query, route)


def place_for(
    resolved: Resolved, category: str | None, source: str | None, channel: str | None
) -> tuple[str, str, str | None]:
    """Where a route's feed is filed: the flags given, else the catalog's place."""
    route = resolved.route
    category = category or (route.category if route else None)
    source = source or (route.source if route else None)
    channel = channel or (route.channel if route else None)
    if not (category and source):
        raise RouteError(
            f"{resolved.path} is not in the route catalog; run `newsstand routes sync`, "
            "or give --category and --source (and --channel)"
        )
    return category, source, channel


def route_feed(
    store: Store,
    target: str,
    values: Mapping[str, str],
    category: str | None,
    source: str | None,
    channel: str | None,
) -> dict[str, str | None]:
    """The ``[[feeds]]`` table for an RSSHub path the user typed (``rsshub://`` too)."""
    try:
        resolved = resolve(store, normalize_route(target), values)
        path = normalize_route(resolved.path)
    except ValueError as exc:  # RouteError included
        raise RouteError(str(exc)) from None
    category, source, channel = place_for(resolved, category, source, channel)
    return {
        "route": path,
        "category": category,
        "source": source,
        "channel": channel if channel != source else None,
    }
