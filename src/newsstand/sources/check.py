"""Which routes RSSHub still serves: each path compared with the routes of an instance (asked
now, or as the catalog last synced them), and for a route that is gone the current path
of the same name in its namespace, where there is one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..model import Route
from ..store import Store
from .catalog import CatalogError, match_template, split_query
from .routes import ask_instances, find_route


class CheckError(Exception):
    """Nothing to check the routes against; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Basis:
    """What the routes were checked against."""

    origin: str  # the instance whose routes they are
    synced: str | None = None  # None: asked just now; else when the catalog got them (UTC)
    why_not_live: str | None = None  # why the instance was not asked now

    def __str__(self) -> str:
        if self.synced is None:
            return f"{self.origin}'s routes (its /api/namespace, just now)"
        said = f"; {self.why_not_live}" if self.why_not_live else ""
        return f"{self.origin}'s routes as synced at {self.synced[:16]} UTC{said}"


@dataclass(frozen=True, slots=True)
class RouteCheck:
    """One route: the current route that serves it, or a suggestion where it went."""

    path: str  # as configured, query included
    served_by: Route | None  # None: no route of the instance takes the path
    suggestion: Route | None = None  # for a gone route: the same name in its namespace

    @property
    def gone(self) -> bool:
        return self.served_by is None

    def line(self) -> str:
        """One line for a gone route: what and where it may be now."""
        if self.suggestion is None:
            return f"{self.path}: RSSHub has no such route now"
        now = self.suggestion
        place = " › ".join(filter(None, (now.source, now.channel)))
        return (
            f"{self.path}: RSSHub has no such route now; perhaps"
            f" {now.example or now.path} ({place})"
        )


def current_routes(config: Config, store: Store, *, live: bool = True) -> tuple[Basis, list[Route]]:
    """The routes to check against: the configured instances' ``/api/namespace`` (unless
    ``live`` is False), else an instance's routes as the catalog holds them."""
    why: str | None = None
    if live:
        try:
            origin, routes = ask_instances(config.rsshub.instances, config.fetch, config.rsshub)
        except CatalogError as exc:
            why = str(exc)
        else:
            return Basis(origin), routes
    kept = [r for r in store.routes() if r.format == "api"]
    origins = list(dict.fromkeys(r.origin for r in kept))
    ours = [o for o in config.rsshub.instances if o in origins]
    if not origins:
        raise CheckError(
            f"cannot tell which routes RSSHub serves: {why or 'no instance asked'}, and the"
            " route catalog holds no instance's routes; run `newsstand routes sync` while an"
            " instance answers"
        )
    origin = (ours or origins)[0]
    synced = next((t for o, _, t in store.route_origins(_first(kept, origin)) if o == origin), "")
    return Basis(origin, synced, why), [r for r in kept if r.origin == origin]


def _first(routes: Iterable[Route], origin: str) -> str:
    return next(r.path for r in routes if r.origin == origin)


_NOT_NAME = re.compile(r"[\s\-－_·・,，、/|:：()（）]+")


def _name(text: str | None) -> str:
    return _NOT_NAME.sub("", unicodedata.normalize("NFKC", text or "")).casefold()


def _literal_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/")[1:], b.split("/")[1:], strict=False):
        if x != y or x.startswith(":"):
            break
        n += 1
    return n


def _suggestion(
    path: str, names: Sequence[str | None], candidates: Sequence[Route]
) -> Route | None:
    """The route of ``candidates`` (same namespace) named as ``names`` say, if one is."""
    wanted = [n for n in (_name(n) for n in names) if len(n) >= 2]
    ranked = []
    for route in candidates:
        have = _name(route.channel)
        if len(have) < 2:
            continue
        if any(have == w for w in wanted):
            rank = 0
        elif any(have in w or w in have for w in wanted):
            rank = 1
        else:
            continue
        ranked.append((rank, -_literal_prefix(path, route.path), route.path, route))
    return min(ranked, key=lambda t: t[:3])[3] if ranked else None


def check_routes(
    paths: Iterable[tuple[str, str | None]],
    current: Sequence[Route],
    known: Callable[[str], Route | None] = lambda path: None,
) -> list[RouteCheck]:
    """Each ``(path, name)`` against the ``current`` routes; a gone one gets a suggestion,
    from its ``name`` (the feed's channel) and the name ``known`` (the catalog's docs)
    gives its path."""
    by_namespace: dict[str, list[Route]] = {}
    for route in current:
        by_namespace.setdefault(route.namespace, []).append(route)
    out = []
    for path, name in paths:
        bare = split_query(path)[0].rstrip("/") or "/"
        namespace = next((s for s in bare.split("/") if s), "")
        candidates = by_namespace.get(namespace, [])
        served = next(
            (r for r in candidates if r.path == bare or match_template(r.path, bare) is not None),
            None,
        )
        if served is not None:
            out.append(RouteCheck(path, served))
            continue
        documented = known(bare)
        names = [name, documented.channel if documented else None]
        out.append(RouteCheck(path, None, _suggestion(bare, names, candidates)))
    return out


def disable_gone(feeds: Sequence[dict[str, Any]], config: Config, store: Store) -> list[str]:
    """Check the routes of ``feeds`` (``[[feeds]]`` tables) against the catalog, with no
    request: one that RSSHub no longer serves is kept but disabled. Returns a line per
    such route, or one saying why none could be checked."""
    try:
        basis, current = current_routes(config, store, live=False)
    except CheckError as exc:
        return [f"not checked whether RSSHub still serves these routes: {exc}"]
    routes = [(str(f["route"]), f.get("channel")) for f in feeds if f.get("route")]
    checks = {c.path: c for c in check_routes(routes, current, lambda p: find_route(store, p))}
    lines = []
    for feed in feeds:
        check = checks.get(str(feed.get("route")))
        if check is not None and check.gone:
            feed["enabled"] = False
            lines.append(f"gone: {check.line()} (added disabled)")
    if lines:
        lines.insert(0, f"checked against {basis}")
    return lines
