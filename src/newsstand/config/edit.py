"""Edits to ``newsstand.toml`` in place: add, remove, enable and disable ``[[feeds]]``.

tomlkit keeps the user's comments, blank lines and order; every edit is checked by
reading the result back with the config reader before the file is (atomically) replaced,
so an edit never leaves a config that ``newsstand run`` would refuse.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table

from ..files import write_atomic
from ..rsshub import normalize_route
from . import Config, ConfigError, parse_config

# the order keys are written in, as the starter config shows them
KEY_ORDER = (
    "route",
    "url",
    "category",
    "source",
    "channel",
    "limit",
    "include",
    "exclude",
    "clean",
    "enabled",
    "keep_days",
    "keep_per_feed",
    "rsshub_params",
)


def _read(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text("utf-8-sig"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read the config file: {exc.strerror or exc}", path=path
        ) from None
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"TOML syntax error: {exc}", path=path, line=exc.line) from None


def _write(path: Path, doc: tomlkit.TOMLDocument) -> Config:
    text = tomlkit.dumps(doc)
    text += "" if text.endswith("\n") else "\n"  # an appended table ends without one
    try:
        config = parse_config(text, path)  # refuses before anything is written
    except ConfigError as exc:  # its line is one of the edited text, never written:
        raise ConfigError(  # say what was refused, not where
            f"not changed: the edit would be refused: {exc.message}", path=path, key=exc.key
        ) from None
    write_atomic(path, text.encode("utf-8"))
    return config


def _feeds(doc: tomlkit.TOMLDocument) -> AoT | None:
    feeds = doc.get("feeds")
    return feeds if isinstance(feeds, AoT) else None


def _table(values: Mapping[str, Any]) -> Table:
    table = tomlkit.table()
    for key in sorted(values, key=lambda k: KEY_ORDER.index(k) if k in KEY_ORDER else 99):
        value = values[key]
        if value is None:
            continue
        if isinstance(value, Mapping):
            inline = tomlkit.inline_table()
            inline.update(value)
            value = inline
        table.add(key, value)
    return table


def add_feeds(path: Path, feeds: Sequence[Mapping[str, Any]]) -> Config:
    """Append a ``[[feeds]]`` table for each of ``feeds`` (key -> value) to the config."""
    doc = _read(path)
    tables = [_table(f) for f in feeds]
    existing = _feeds(doc)
    if existing is None:
        if "feeds" in doc:
            raise ConfigError(
                "'feeds' is not an array of [[feeds]] tables; fix it first", path=path
            )
        doc.add(tomlkit.nl())
        doc.append("feeds", tomlkit.aot())
        existing = _feeds(doc)
        assert existing is not None
    for table in tables:
        table.trivia.indent = "\n"  # a blank line before each new [[feeds]]
        existing.append(table)
    return _write(path, doc)


def feed_index(config: Config, key: str) -> int:
    """Which ``[[feeds]]`` (0-based) has the route or URL ``key``; KeyError if none."""
    wanted = {key}
    if not key.lower().startswith(("http://", "https://")):
        with contextlib.suppress(ValueError):
            wanted.add(normalize_route(key))
    for i, feed in enumerate(config.feeds):
        if feed.key in wanted:
            return i
    raise KeyError(key)


def new_only(
    config: Config, feeds: Sequence[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], list[str]]:
    """``feeds`` not in the config yet (nor repeated), and the keys of those that are."""
    known = {f.key for f in config.feeds}
    new, already = [], []
    for feed in feeds:
        key = feed.get("route") or feed.get("url") or ""
        if key in known:
            already.append(key)
        else:
            known.add(key)
            new.append(feed)
    return new, already


def remove_feed(path: Path, config: Config, key: str) -> Config:
    """Delete the ``[[feeds]]`` table of ``key`` (its comments inside go with it)."""
    index = feed_index(config, key)
    doc = _read(path)
    feeds = _feeds(doc)
    assert feeds is not None
    del feeds[index]
    if not len(feeds):
        del doc["feeds"]
    return _write(path, doc)


def set_enabled(path: Path, config: Config, key: str, enabled: bool) -> Config:
    """Set ``enabled`` of the feed of ``key`` (true is the default, so it is removed)."""
    index = feed_index(config, key)
    doc = _read(path)
    feeds = _feeds(doc)
    assert feeds is not None
    table = feeds[index]
    if enabled:
        if "enabled" in table:
            del table["enabled"]
    elif "enabled" in table:
        table["enabled"] = False
    else:  # after the table's last key, not after the comments that end it
        keys = [k.key for k, _ in table.value.body if k is not None]
        try:
            table.value._insert_after(keys[-1], "enabled", False)
        except (AttributeError, IndexError):  # tomlkit internals moved: append instead
            table["enabled"] = False
    return _write(path, doc)
