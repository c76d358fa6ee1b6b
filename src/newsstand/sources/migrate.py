"""Read the reference script's configuration ("RSSHub → Hexo page" sites) as feeds.

That script keeps:

- ``temple/temple_config.yml`` (or ``config.yml``; the script reads the first when both
  exist): ``slect:``, a YAML list of RSSHub paths. A path commented out is not selected.
  Comment lines above a path written as headings — ``#金融``, ``##新浪财经``,
  ``###新浪财经－国內`` — say where it belongs (category, source, channel), as the ``#``
  headings of RSSHub's docs do;
- ``user_config.yml``: ``diy:``, a list of ``{link, categories, source_parent,
  source_child}``, each a route or URL with its place spelt out;
- ``temple/*.md``: copies of RSSHub's docs pages, which also say where a path belongs.

What the headings do not say is looked up in the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..model import Route
from .catalog import CatalogError, parse_docs_dir

SELECT_FILES = ("temple/temple_config.yml", "config.yml")  # the one the script reads first
USER_FILE = "user_config.yml"

_SELECT_KEY = re.compile(r"^slect\s*:")
_ITEM = re.compile(r"""^-\s*["']?([^"'\s#]+)""")
_HEADING = re.compile(r"^(#{1,3})(?!#)\s*(.*?)\s*$")


class MigrateError(Exception):
    """The folder does not hold the reference script's config; the message says why."""


@dataclass
class Migration:
    """The feeds the old config describes, and what could not be carried over."""

    feeds: list[dict[str, Any]] = field(default_factory=list)  # [[feeds]] tables
    skipped: list[str] = field(default_factory=list)  # one line each: what and why
    read: list[Path] = field(default_factory=list)  # files read
    notes: list[str] = field(default_factory=list)  # what the user should know, one line each


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text("utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MigrateError(f"cannot read {path}: {exc}") from None


def selected_paths(text: str) -> list[tuple[str, tuple[str | None, str | None, str | None]]]:
    """(path, (category, source, channel) from the headings above it) for each selected path."""
    out = []
    place: list[str | None] = [None, None, None]
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if _SELECT_KEY.match(raw):
            inside = True
            continue
        if not inside or not line:
            continue
        if not raw[:1].isspace() and not line.startswith(("#", "-")):
            inside = False  # the next top-level key
            continue
        if line.startswith("#"):
            m = _HEADING.match(line)
            text_ = m.group(2) if m else ""
            if not m or not text_ or text_.startswith(("-", "/")):
                continue  # a path commented out, or a plain comment
            level = len(m.group(1))
            place[level - 1] = text_
            for deeper in range(level, 3):
                place[deeper] = None
            continue
        path = _item(line)
        if path:
            out.append((path, (place[0], place[1], place[2])))
    return out


def _item(line: str) -> str | None:
    """The path of a ``- path`` line as YAML reads it (``- /pnas/Applied Mathematics`` is
    one path, spaces and all), else as far as it looks like one."""
    try:
        value = yaml.safe_load(line)
    except yaml.YAMLError:
        value = None
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str | int):
        return str(value[0]).strip() or None
    m = _ITEM.match(line)
    return m.group(1) if m else None


def migrate(folder: Path, lookup: Callable[[str], Route | None]) -> Migration:
    """The [[feeds]] equivalent to the reference config in ``folder``."""
    result = Migration()
    select_file = next((folder / f for f in SELECT_FILES if (folder / f).is_file()), None)
    user_file = folder / USER_FILE
    if select_file is None and not user_file.is_file():
        raise MigrateError(f"{folder} has none of {', '.join(SELECT_FILES)} or {USER_FILE}")
    docs: dict[str, Route] = {}
    if (folder / "temple").is_dir() and any((folder / "temple").glob("*.md")):
        try:
            for documented in parse_docs_dir(folder / "temple"):
                for key in (documented.example, documented.path):
                    if key:
                        docs.setdefault(key, documented)
        except CatalogError:
            pass  # the catalog is the other source of places

    def find(path: str) -> Route | None:
        return docs.get(path) or lookup(path)

    if select_file is not None:
        result.read.append(select_file)
        others = [f for f in SELECT_FILES if (folder / f).is_file() and folder / f != select_file]
        if others:
            result.notes.append(
                f"read {select_file.relative_to(folder)}, as the reference script does;"
                f" {', '.join(others)} beside it was not read"
            )
        data = _yaml(select_file) or {}
        chosen = data.get("slect") if isinstance(data, dict) else None
        if not isinstance(chosen, list):
            raise MigrateError(f"{select_file}: no 'slect:' list of route paths")
        chosen_set = {str(p).strip() for p in chosen if p}
        found = selected_paths(select_file.read_text("utf-8-sig"))
        # A line the scan reads otherwise than YAML (a layout it does not follow) costs that
        # path its heading only: it is filed from the catalog, the other paths as headed.
        found += [(str(p).strip(), (None, None, None)) for p in chosen if p]
        seen: set[str] = set()
        for path, (category, source, channel) in found:
            if path not in chosen_set or path in seen:
                continue
            seen.add(path)
            route = find(path) if not (category and source and channel) else None
            category = category or (route.category if route else None)
            source = source or (route.source if route else None)
            channel = channel or (route.channel if route else None)
            if not (category and source):
                result.skipped.append(
                    f"{path}: no heading above it says where it belongs and the catalog "
                    "does not know it (run `newsstand routes sync`, then migrate again)"
                )
                continue
            result.feeds.append(_feed(path, category, source, channel))
    if user_file.is_file():
        result.read.append(user_file)
        data = _yaml(user_file) or {}
        diy = data.get("diy") if isinstance(data, dict) else None
        for i, item in enumerate(diy or [], 1):
            if not isinstance(item, dict) or not item.get("link"):
                result.skipped.append(f"{user_file.name} diy #{i}: no link")
                continue
            link = str(item["link"]).strip()
            route = find(link) if not link.startswith(("http://", "https://")) else None
            category = item.get("categories") or (route.category if route else None)
            source = item.get("source_parent") or (route.source if route else None)
            if isinstance(category, list):
                category = category[0] if category else None
            if not (category and source):
                result.skipped.append(
                    f"{user_file.name} diy #{i} ({link}): no categories or source_parent"
                )
                continue
            channel = item.get("source_child") or (route.channel if route else None)
            result.feeds.append(
                _feed(link, str(category), str(source), str(channel) if channel else None)
            )
    return result


def _feed(link: str, category: str, source: str, channel: str | None) -> dict[str, Any]:
    where = "url" if link.startswith(("http://", "https://")) else "route"
    feed: dict[str, Any] = {where: link, "category": category, "source": source}
    if channel and channel != source:
        feed["channel"] = channel
    return feed
