"""One reader for every table: the unknown-key check, the type check, defaults and the
per-key checks are the same code for every section (``schema.SCHEMA``). What spans
several keys (exactly one of ``route``/``url``, ``channel`` falling back to ``source``,
duplicate feeds) is done after, in the few lines that build each dataclass."""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..model import Feed
from ..state import State
from .checks import Bad, Context, derived_cname, describe, sqlite_file, store_url, suggest
from .locate import ConfigError, Locator, absolute
from .schema import ARRAYS, FEEDS, REQUIRED, SCHEMA, Key, SectionPath
from .sections import SECTIONS, Config, DeployConfig, DeployHexoConfig, SiteConfig, StoreConfig

STORE_URL_ENV = "NEWSSTAND_STORE_URL"  # names the store instead of [store] url


def _name(path: SectionPath) -> str:
    return ".".join(path)


def _label(path: SectionPath, index: int | None) -> str:
    return f"[[{_name(path)}]] #{index + 1}" if index is not None else f"[{_name(path)}]"


def _dotted(path: SectionPath, index: int | None, key: str | None) -> str | None:
    name = _name(path) + (f"[{index + 1}]" if index is not None else "")
    return ".".join(filter(None, (name, key))) or None


class Reader:
    def __init__(self, text: str, path: Path) -> None:
        self.path = path
        self.root = absolute(path).parent
        self.ctx = Context(root=self.root)
        self._text = text

    @functools.cached_property
    def locator(self) -> Locator:
        """Built only when an error needs a line number: a valid config never pays for it."""
        return Locator(self._text)

    def error(
        self,
        path: SectionPath,
        index: int | None,
        key: str | None,
        what: str,
        *,
        name_key: bool = True,
    ) -> ConfigError:
        """An error about ``key`` (or the table itself) of table ``path``, placed at its line."""
        line = self.locator.line(path + ((key,) if key else ()), index)
        if line is None and key:
            line = self.locator.line(path, index)
        label = _label(path, index) if path else ""
        if key and name_key:
            label = f"{label} {key}".lstrip()
        return ConfigError(
            f"{label}: {what}", path=self.path, line=line, key=_dotted(path, index, key)
        )

    def read(self, doc: dict[str, Any]) -> Config:
        self.check_tables(doc, ())
        parts = {
            field: cls(**self.section(_table_at(doc, path), path))
            for field, (path, cls) in SECTIONS.items()
        }
        rsshub = parts["rsshub"]
        if rsshub.access_key is None and os.environ.get(rsshub.access_key_env):
            # a config committed to a public repository must not carry the key itself
            parts["rsshub"] = replace(rsshub, access_key=os.environ[rsshub.access_key_env])
        parts["store"] = self.store_from_env(parts["store"])
        return Config(
            path=absolute(self.path),
            root=self.root,
            state=self.state(parts["store"].url),
            **parts,
            deploy=self.deploy(doc, parts["site"]),
            feeds=self.feeds(doc.get("feeds", []), parts["store"]),
        )

    def store_from_env(self, store: StoreConfig) -> StoreConfig:
        """NEWSSTAND_STORE_URL, when set, names the store instead of [store] url (the place
        for a URL that carries a password)."""
        url = os.environ.get(STORE_URL_ENV)
        if not url:
            return store
        try:
            checked = store_url(url, Context(root=self.root, from_env=True))
        except Bad as exc:
            raise ConfigError(f"{STORE_URL_ENV}: {exc}", path=self.path) from None
        return replace(store, url=checked)

    def state(self, url: str) -> State:
        """Where state lives: beside the SQLite file, or (PostgreSQL) in .newsstand beside
        the config, for the run log and the deploy caches."""
        if url.startswith("postgresql://"):
            folder = self.root / ".newsstand"
            return State(folder=folder, db=folder / "newsstand.db")
        return State.beside(sqlite_file(url))

    def deploy(self, doc: Mapping[str, Any], site: SiteConfig) -> DeployConfig:
        """[deploy], and [deploy.hexo] only when it is there; cname derived from [site] url."""
        path = ("deploy",)
        table = _table_at(doc, path)
        values = self.section(table, path)
        hexo = None
        if "hexo" in table:
            if not isinstance(table["hexo"], dict):
                raise self.error(
                    path,
                    None,
                    "hexo",
                    f"expected a table [deploy.hexo], got {describe(table['hexo'])}",
                )
            hexo = DeployHexoConfig(**self.section(table["hexo"], (*path, "hexo")))
        if values["cname"] is None:
            values["cname"] = derived_cname(site.url)
        values["cname"] = values["cname"] or None
        return DeployConfig(**values, hexo=hexo)

    def check_tables(self, table: Mapping[str, Any], prefix: SectionPath) -> None:
        """Every name down to the sections must be a known section, or a table holding some."""
        depth = len(prefix)
        known = sorted({p[depth] for p in SCHEMA if len(p) > depth and p[:depth] == prefix})
        for name, value in table.items():
            path = (*prefix, name)
            if path in ARRAYS:
                if not (isinstance(value, list) and all(isinstance(t, dict) for t in value)):
                    raise self.error(
                        prefix,
                        None,
                        name,
                        f"expected an array of tables [[{_name(path)}]], got {describe(value)}"
                        + (
                            " (write [[feeds]], with double brackets)"
                            if isinstance(value, dict)
                            else ""
                        ),
                    )
            elif name in known:
                if not isinstance(value, dict):
                    raise self.error(
                        prefix,
                        None,
                        name,
                        f"expected a table [{_name(path)}], got {describe(value)}",
                    )
                if path not in SCHEMA:
                    self.check_tables(value, path)
            else:
                raise self.unknown(prefix, name, value, known)

    def unknown(self, prefix: SectionPath, name: str, value: Any, known: list[str]) -> ConfigError:
        """An error for ``name`` where only the sections ``known`` may be."""
        path = (*prefix, name)
        if isinstance(value, dict | list):
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = (
                f"did you mean [{_name((*prefix, close[0]))}]?"
                if close
                else "known: " + ", ".join(f"[{_name((*prefix, k))}]" for k in known)
            )
            what = f"unknown section [{_name(path)}] ({hint})"
        else:  # a stray key = value outside any section
            homes = [
                f"a [[{_name(p)}]] table" if p in ARRAYS else f"[{_name(p)}]"
                for p, keys in SCHEMA.items()
                if name in keys
            ]
            hint = f" (did you mean {name!r} in {homes[0]}?)" if homes else ""
            where = f"[{_name(prefix)}]" if prefix else "the top level"
            what = f"unknown key {name!r} at {where}{hint}"
        return ConfigError(what, path=self.path, line=self.locator.line(path), key=_name(path))

    def section(
        self, table: Mapping[str, Any], path: SectionPath, index: int | None = None
    ) -> dict[str, Any]:
        """Check one table against its schema: its values, defaults filled in."""
        schema = SCHEMA[path]
        values: dict[str, Any] = {}
        for key, raw in table.items():
            spec = schema.get(key)
            if spec is None and index is None and (*path, key) in SCHEMA:
                continue  # a sub-table such as [deploy.hexo], read on its own
            if spec is None:
                raise self.error(
                    path,
                    index,
                    key,
                    f"unknown key {key!r}{suggest(key, schema)}",
                    name_key=False,
                )
            if not spec.kind.accepts(raw):
                raise self.error(
                    path, index, key, f"expected {spec.kind.name}, got {describe(raw)}"
                )
            values[key] = self.checked(spec, raw, path, index, key)
        for key, spec in schema.items():
            if key in values:
                continue
            if spec.default is REQUIRED:
                raise self.error(path, index, None, f"missing required key {key!r}")
            values[key] = (
                None if spec.default is None else self.checked(spec, spec.default, path, index, key)
            )
        return values

    def checked(self, spec: Key, raw: Any, path: SectionPath, index: int | None, key: str) -> Any:
        try:
            return spec.value(raw, self.ctx)
        except Bad as e:
            raise self.error(path, index, key, str(e)) from None

    def feeds(self, tables: list[dict[str, Any]], store: StoreConfig) -> tuple[Feed, ...]:
        path = FEEDS
        feeds: list[Feed] = []
        seen: dict[str, int] = {}
        for i, table in enumerate(tables):
            v = self.section(table, path, i)
            route, url = v.pop("route"), v.pop("url")
            if (route is None) == (url is None):
                has = "both" if route else "neither"
                raise self.error(
                    path, i, None, f"give exactly one of 'route' or 'url' (it has {has})"
                )
            key = route or url
            if key in seen:
                first = seen[key]
                first_line = self.locator.line(path, first)
                at = f" (line {first_line})" if first_line is not None else ""
                raise self.error(
                    path,
                    i,
                    None,
                    f"{'route' if route else 'url'} {key!r} is already used by "
                    f"{_label(path, first)}{at}",
                )
            seen[key] = i
            if v["rsshub_params"] and url is not None:
                raise self.error(
                    path,
                    i,
                    "rsshub_params",
                    "applies to RSSHub routes only; put the parameters in the url",
                )
            v["rsshub_params"] = v["rsshub_params"] or ()
            v["channel"] = v["channel"] or v["source"]
            v["keep_days"] = v["keep_days"] or store.keep_days
            v["keep_per_feed"] = v["keep_per_feed"] or store.keep_per_feed
            feeds.append(Feed(key=key, route=route, url=url, **v))
        return tuple(feeds)


def _table_at(doc: Mapping[str, Any], path: SectionPath) -> Mapping[str, Any]:
    for name in path:
        doc = doc.get(name, {})
    return doc
