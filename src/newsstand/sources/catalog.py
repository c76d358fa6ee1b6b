"""RSSHub's route catalog: read from its documentation or from a running instance.

Two documentation formats are read:

- the old VuePress one: ``# category`` / ``## source`` / ``### channel`` headings and
  ``<Route author="…" example="/sina/finance" path="/sina/finance/:id?"
  :paramsDesc="['…']" />`` tags (a tag may span lines, or lack its closing ``>``);
- the new one: the same headings and ``<Route namespace="sina" :data='{json}' />``, where
  the JSON holds path (one or several), categories, example, name and parameters.

An instance's ``/api/namespace`` answer is read by ``parse_namespace_api``. Every reader
returns ``Route`` nouns; nothing here does I/O except ``parse_docs_dir`` reading files.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..model import Route

__all__ = [
    "CATEGORIES",
    "CatalogError",
    "fill_template",
    "match_template",
    "parse_docs",
    "parse_docs_dir",
    "parse_namespace_api",
    "split_query",
    "template_params",
]

# RSSHub's category ids and the names its Chinese documentation gives them.
CATEGORIES: dict[str, str] = {
    "popular": "热门",
    "social-media": "社交媒体",
    "new-media": "新媒体",
    "traditional-media": "传统媒体",
    "bbs": "论坛",
    "blog": "博客",
    "programming": "编程",
    "design": "设计",
    "live": "直播",
    "multimedia": "音视频",
    "picture": "图片",
    "anime": "二次元",
    "program-update": "程序更新",
    "university": "大学通知",
    "forecast": "预报预警",
    "travel": "出行旅游",
    "shopping": "购物",
    "game": "游戏",
    "reading": "阅读",
    "government": "政务消息",
    "study": "学习",
    "journal": "科学期刊",
    "finance": "金融",
    "sport": "体育",
    "other": "其他",
}
_CATEGORY_IDS = {name: cid for cid, name in CATEGORIES.items()}


class CatalogError(Exception):
    """Catalog data that cannot be read; the message says which and why."""


# --------------------------------------------------------------------------- path templates

# ":name", optionally with a constraint ("{.+}" or "(\\d+)") and a modifier ("?", "*", "+")
_PARAM = re.compile(r":(\w+)(\{[^}]*\}|\([^)]*\))?([?*+])?")


def split_query(path: str) -> tuple[str, str]:
    """``/a/:b?/c?x=1`` -> (``/a/:b?/c``, ``?x=1``): a ``?`` ending a ``:name`` marks it
    optional; the first other ``?`` starts the query."""
    for i, c in enumerate(path):
        if c == "?" and not path[path.rfind("/", 0, i) + 1 : i].startswith(":"):
            return path[:i], path[i:]
    return path, ""


def template_params(template: str) -> list[tuple[str, bool]]:
    """(name, required) for each ``:name`` of a path template, in order."""
    return [(m.group(1), m.group(3) not in ("?", "*")) for m in _PARAM.finditer(template)]


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """The path with ``values`` put in; optional parameters not given are left out.

    KeyError names the first required parameter that has no value.
    """
    parts: list[str] = []
    for segment in template.split("/")[1:]:
        m = _PARAM.fullmatch(segment)
        if m is None:
            parts.append(segment)
            continue
        name, optional = m.group(1), m.group(3) in ("?", "*")
        if values.get(name):
            parts.append(str(values[name]))
        elif not optional:
            raise KeyError(name)
    return "/" + "/".join(p for p in parts if p)


def match_template(template: str, path: str) -> dict[str, str] | None:
    """The parameter values if ``path`` is an instance of ``template``, else None."""
    want = [s for s in split_query(path)[0].split("/") if s]
    have = [s for s in template.split("/") if s]
    values: dict[str, str] = {}
    i = 0
    for j, segment in enumerate(have):
        m = _PARAM.fullmatch(segment)
        if m is None:
            if i >= len(want) or want[i] != segment:
                return None
            i += 1
            continue
        catch_all = (m.group(2) or "").startswith("{.+") or m.group(3) in ("*", "+")
        if catch_all and j == len(have) - 1:  # a catch-all last parameter takes the rest
            if i < len(want):
                values[m.group(1)] = "/".join(want[i:])
                i = len(want)
            elif m.group(3) not in ("?", "*"):
                return None
            continue
        if i < len(want):
            values[m.group(1)] = want[i]
            i += 1
        elif m.group(3) not in ("?", "*"):
            return None
    return values if i == len(want) else None


def _namespace(path: str) -> str:
    return next((s for s in path.split("/") if s), "")


# --------------------------------------------------------------------------- documentation

_HEADING = re.compile(r"^(#{1,3})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TAG_NAME = re.compile(r"<Route\b")
_ATTR = re.compile(r"""([:@\w.-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?""")
_JS_STRING = re.compile(r"""'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`((?:[^`\\]|\\.)*)`""")
_SITE_TAG = re.compile(r"<[A-Za-z][^>]*>")


def _clean_heading(text: str) -> str:
    """``💰 金融`` -> ``金融``; ``1x.com <Site url="1x.com"/>`` -> ``1x.com``."""
    text = _SITE_TAG.sub("", text)
    text = "".join(
        c for c in text if unicodedata.category(c) not in ("So", "Sk", "Cf", "Mn") or c.isalnum()
    )
    return " ".join(text.split())


def _read_tag(text: str, start: int) -> tuple[dict[str, str], int]:
    """The attributes of the tag whose name ends at ``start``, and where the tag ends.

    A tag ends at ``/>`` or ``>``; one missing its ``>`` ends at the first thing that is
    not an attribute, or at a blank line.
    """
    attrs: dict[str, str] = {}
    i, n = start, len(text)
    while i < n:
        j = i
        while j < n and text[j].isspace():
            j += 1
        if "\n\n" in text[i:j].replace("\r", "") or j >= n:
            return attrs, j
        if text.startswith("/>", j):
            return attrs, j + 2
        if text[j] == ">":
            return attrs, j + 1
        m = _ATTR.match(text, j)
        if (
            m is None
            or m.end() == j
            or (m.group(2) is None and m.group(3) is None and not _flag_end(text, m.end()))
        ):
            return attrs, j  # not an attribute: the tag lacks its ">"
        value = m.group(2) if m.group(2) is not None else m.group(3)
        attrs[m.group(1)] = value if value is not None else ""
        i = m.end()
    return attrs, n


def _flag_end(text: str, i: int) -> bool:
    return i >= len(text) or text[i].isspace() or text[i] in "/>"


def _js_strings(value: str) -> list[str]:
    """``['a', 'b\\'c']`` (a JavaScript array literal of strings) -> ["a", "b'c"]."""
    out = []
    for m in _JS_STRING.finditer(value):
        raw = next(g for g in m.groups() if g is not None)
        out.append(re.sub(r"\\(.)", r"\1", raw))
    return out


class _Headings:
    """The ``#``/``##``/``###`` headings in force at each point of a docs file."""

    def __init__(self) -> None:
        self.category: str | None = None
        self.source: str | None = None
        self.channel: str | None = None

    def see(self, level: int, text: str) -> None:
        if level == 1:
            self.category, self.source, self.channel = text, None, None
        elif level == 2:
            self.source, self.channel = text, None
        else:
            self.channel = text


def parse_docs(text: str, origin: str = "", *, category_id: str | None = None) -> list[Route]:
    """Every route of one RSSHub documentation page, in either format.

    ``category_id`` (such as the file's stem "finance") is used when the page's ``#``
    heading is not one of RSSHub's known category names.
    """
    routes: list[Route] = []
    heads = _Headings()
    in_fence = False
    pos = 0
    tags = list(_TAG_NAME.finditer(text))
    tag_index = 0
    for lineno, line in enumerate(text.split("\n"), 1):
        line_end = pos + len(line)
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            m = _HEADING.match(line)
            if m:
                heads.see(len(m.group(1)), _clean_heading(m.group(2)))
        while tag_index < len(tags) and tags[tag_index].start() <= line_end:
            tag = tags[tag_index]
            tag_index += 1
            if in_fence:
                continue
            attrs, _ = _read_tag(text, tag.end())
            routes.extend(_routes_of_tag(attrs, heads, origin, lineno, category_id))
        pos = line_end + 1
    return routes


def _routes_of_tag(
    attrs: dict[str, str], heads: _Headings, origin: str, line: int, category_id: str | None
) -> Iterator[Route]:
    category = heads.category or CATEGORIES.get(category_id or "", category_id or "")
    cid = _CATEGORY_IDS.get(category, category_id)
    if ":data" in attrs:  # the new format
        raw = attrs[":data"].replace("&#39;", "'")
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"{origin}:{line}: the <Route :data> is not JSON ({exc})") from None
        namespace = attrs.get("namespace") or _namespace(data.get("example") or "")
        source = heads.source or namespace
        yield from _api_routes(namespace, source, data, origin, line, "new", category, cid)
        return
    path = (attrs.get("path") or attrs.get("example") or "").strip()
    if not path:
        return
    path = "/" + path.lstrip("/")  # one page writes "mpaypass/main/:type?"
    names = [name for name, _ in template_params(path)]
    described = _js_strings(attrs.get(":paramsDesc", ""))
    yield Route(
        path=path,
        example=attrs.get("example") or None,
        namespace=_namespace(path),
        category=category or "",
        category_id=cid,
        source=heads.source or _namespace(path),
        channel=heads.channel,
        parameters=tuple(
            (n, described[i] if i < len(described) else "") for i, n in enumerate(names)
        ),
        origin=origin,
        line=line,
        format="old",
    )


def _description(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("description") or "")
    return "" if value is None else str(value)


def _api_routes(
    namespace: str,
    source: str,
    data: Mapping[str, Any],
    origin: str,
    line: int | None,
    fmt: str,
    category: str | None = None,
    category_id: str | None = None,
    namespace_categories: Any = None,
) -> Iterator[Route]:
    paths = data.get("path")
    paths = [paths] if isinstance(paths, str) else list(paths or [])
    if category is None:
        # the route's own categories, else its namespace's ("popular" is a mark, not a place)
        marks = list(data.get("categories") or namespace_categories or [])
        ids = [c for c in marks if c != "popular"]
        category_id = ids[0] if ids else (marks or [None])[0]
        category = CATEGORIES.get(category_id or "other", category_id or "其他")
    given = data.get("parameters") or {}
    for sub in paths:
        full = "/" + namespace + ("" if sub in ("", "/") else "/" + sub.lstrip("/"))
        names = [name for name, _ in template_params(full)]
        yield Route(
            path=full,
            example=data.get("example") or None,
            namespace=namespace,
            category=category,
            category_id=category_id,
            source=source,
            channel=data.get("name") or None,
            parameters=tuple((n, _description(given.get(n))) for n in names),
            origin=origin,
            line=line,
            format=fmt,
        )


def parse_docs_dir(folder: Path) -> list[Route]:
    """The routes of every ``*.md`` file under ``folder`` (or of ``folder`` if it is a file)."""
    files = [folder] if folder.is_file() else sorted(folder.rglob("*.md"))
    if not files:
        raise CatalogError(f"no .md files in {folder}; give RSSHub's docs folder")
    routes: list[Route] = []
    for file in files:
        try:
            text = file.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(f"cannot read {file}: {exc}") from None
        routes += parse_docs(text, str(file.resolve()), category_id=file.stem)
    return routes


# --------------------------------------------------------------------------- instance API


def parse_namespace_api(data: Any, origin: str = "") -> list[Route]:
    """The routes in an ``/api/namespace`` answer (or one ``/api/namespace/<name>``)."""
    if not isinstance(data, Mapping):
        raise CatalogError(f"{origin}: expected a JSON object of namespaces")
    if isinstance(data.get("routes"), Mapping):  # a single namespace
        example = next(
            (
                r.get("example")
                for r in data["routes"].values()
                if isinstance(r, Mapping) and r.get("example")
            ),
            "",
        )
        data = {_namespace(example or ""): data}
    routes: list[Route] = []
    for namespace, info in data.items():
        if not isinstance(info, Mapping):
            continue
        source = str(info.get("name") or namespace)
        for key, route in (info.get("routes") or {}).items():
            if isinstance(route, Mapping):
                # The key is the path. A route served at several paths is listed once per
                # path, each entry's "path" naming all of them: read the key only.
                routes += _api_routes(
                    namespace,
                    source,
                    {**route, "path": key},
                    origin,
                    None,
                    "api",
                    namespace_categories=info.get("categories"),
                )
    if not routes and data:
        raise CatalogError(f"{origin}: no routes in the answer; is this RSSHub's /api/namespace?")
    return routes
