"""Pages to files: Jinja2 templates fed with stored entries.

Templates are the only place HTML (or the site's XML and JSON) is written. Entry HTML
is sanitised again here, whatever the feed's ``clean`` setting, so no feed can put a
script on the site. A ``Renderer`` runs in the main process or in each worker process
with its own read-only store connection.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import os
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from importlib import resources
from pathlib import Path
from typing import cast

import jinja2
import markupsafe

from ...clean import clean_html
from ...files import write_fd
from ...model import Item
from ...store import open_store
from . import search
from .errors import SiteError
from .links import Links
from .plan import Page, SearchChunk, Settings

PACKAGE_TEMPLATES = Path(str(resources.files(__package__) / "templates"))
PACKAGE_STATIC = Path(str(resources.files(__package__) / "static"))

LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "home": "首页",
        "categories": "分类",
        "archives": "归档",
        "search": "搜索",
        "search_placeholder": "搜索文章",
        "original": "阅读原文",
        "newer": "较新",
        "older": "较早",
        "entries": "篇",
        "page": "第 {n} 页",
        "theme": "切换深色模式",
        "not_found": "页面不存在",
        "not_found_text": "这个地址没有页面。",
        "feeds": "订阅",
        "empty": "还没有文章。",
        "sources": "来源",
        "published": "发布于",
        "search_nojs": "搜索需要启用 JavaScript。",
        "no_results": "没有找到结果。",
        "search_failed": "搜索索引未能加载。",
        "results": "个结果",
        "outlets": "{n} 家媒体报道",
        "also_reported": "其他媒体的报道",
        "latest": "最新",
        "pages": "分页",
        "older_entry": "上一篇",
        "newer_entry": "下一篇",
        "more_from": "更多来自{source}",
    },
    "en": {
        "home": "Home",
        "categories": "Categories",
        "archives": "Archives",
        "search": "Search",
        "search_placeholder": "Search articles",
        "original": "Read the original",
        "newer": "Newer",
        "older": "Older",
        "entries": "entries",
        "page": "Page {n}",
        "theme": "Toggle dark mode",
        "not_found": "Page not found",
        "not_found_text": "There is no page at this address.",
        "feeds": "Feeds",
        "empty": "No entries yet.",
        "sources": "Sources",
        "published": "Published",
        "search_nojs": "Search needs JavaScript.",
        "no_results": "No results.",
        "search_failed": "The search index could not be loaded.",
        "results": "results",
        "outlets": "{n} sources",
        "also_reported": "Also reported by",
        "latest": "Latest",
        "pages": "Pages",
        "older_entry": "Older",
        "newer_entry": "Newer",
        "more_from": "More from {source}",
    },
}

SUMMARY = 160  # characters of text a compact entry page shows
PICTURES = "images"  # the site's folder of pictures (files of the image cache)
CARD_CACHE = 20_000  # cards kept per process (~2 KB each)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # invalid in XML 1.0 and HTML
_TAG = re.compile(r"<[^>]*>")
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
_SRC = re.compile(r'\ssrc="([^"]*)"')
_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')
_FIRST_IMG = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"', re.I)
_INDENT = re.compile(r"\n[ \t]+")
_INVISIBLE = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.S | re.I)


def picture_file(name: str) -> str:
    """Where a picture of the cache is published: a folder per first two characters of its
    (hashed) name, so no folder nears GitHub's 3,000 entries."""
    return f"{PICTURES}/{name[:2]}/{name}"


def excerpt(content: str, limit: int | None = 120) -> str:
    """The first words of an entry's text (all of it with no ``limit``)."""
    text = " ".join(html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", content))).split())
    return text if limit is None or len(text) <= limit else text[:limit].rstrip() + "…"


def _opens_with(content: str, picture: str) -> bool:
    """Whether ``content``'s first picture is ``picture`` (an entry's thumbnail, which
    the page shows above the text)."""
    match = _FIRST_IMG.search(content)
    return bool(picture) and match is not None and html.unescape(match[1]) == picture


def template_dirs(theme_dir: Path | None) -> list[Path]:
    return [d for d in (theme_dir, PACKAGE_TEMPLATES) if d is not None]


def static_files(theme_dir: Path | None) -> dict[str, Path]:
    """Static file name -> file, a theme's ``static/`` overriding the shipped ones."""
    files: dict[str, Path] = {}
    for folder in (PACKAGE_STATIC, theme_dir / "static" if theme_dir else None):
        if folder and folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    files[path.relative_to(folder).as_posix()] = path
    return files


def theme_hash(theme_dir: Path | None, settings: Settings) -> str:
    """Changes when any template, static file or site setting changes."""
    h = hashlib.sha1(repr(settings).encode())
    for folder in template_dirs(theme_dir):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                h.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    for name, path in static_files(theme_dir).items():
        h.update(name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _printable(value: object) -> object:
    """Every printed value loses the control characters no HTML or XML page may hold."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(_NOT_XML.sub("", value))
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    return value


class Renderer:
    """Renders pages into ``out``, reading entries from the store at ``store_url``."""

    def __init__(
        self,
        store_url: str,
        out: Path,
        settings: Settings,
        tz: tzinfo,
        theme_dir: Path | None,
        nav: Sequence[tuple[str, str]],
    ) -> None:
        self.store = open_store(store_url, lock=False, light=True)
        self.out = out
        self.settings = settings
        self.tz = tz
        self.links = Links(settings.base_path)
        self._made: set[Path] = set()
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(theme_dir)]),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            auto_reload=False,  # a renderer lives for one build: no stat per include
            finalize=_printable,
        )
        env.filters["local"] = self.local_time
        env.filters["rfc822"] = lambda dt: dt.astimezone(UTC).strftime(
            "%a, %d %b %Y %H:%M:%S +0000"
        )
        env.filters["iso"] = lambda dt: dt.astimezone(UTC).isoformat(timespec="seconds")
        href = functools.lru_cache(maxsize=4096)(self.links.href)
        env.globals.update(
            stories={},  # uid -> the outlets of its story, on pages that show cards
            others=[],  # the other entries of the story, on an entry page
            site=settings,
            labels=LABELS[settings.language],
            nav=nav,
            lang=settings.language,
            href=href,
            absolute=lambda path: settings.url + self.links.uri(path),
            static=lambda name: href("static/" + name),
        )
        # What every page shares is rendered once, not once per page, without the
        # templates' indentation (bytes on every page of the site).
        env.globals["chrome"] = {
            part: markupsafe.Markup(_INDENT.sub("\n", env.get_template(f"_{part}.html").render()))
            for part in ("header", "footer")
        }
        self.env = env
        self._cards: dict[tuple[str, int, str], dict[str, object]] = {}
        self.pictures: dict[str, dict[str, tuple[str, int, int]]] = {}  # of this batch

    def local_time(self, dt: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return dt.astimezone(self.tz).strftime(fmt)

    def close(self) -> None:
        self.store.close()

    def card(self, item: Item, path: str) -> dict[str, object]:
        """What a list shows of an entry; an entry is on ~6 lists, so it is made once."""
        entry = item.entry
        local = self.pictures.get(item.uid, {}).get(entry.thumbnail or "")
        key = (item.uid, item.revision, local[0] if local else "")
        card = self._cards.get(key)
        if card is None:
            if len(self._cards) > CARD_CACHE:
                self._cards.clear()
            assert entry.published is not None
            picture = self.picture_path(local[0]) if local else None
            card = self._cards[key] = {
                "uid": item.uid,
                "title": entry.title,
                "link": entry.link,
                "href": self.links.href(path),
                "path": path,
                "thumbnail": self.links.href(picture) if picture else entry.thumbnail,
                # the picture for other sites (feeds, link previews): absolute
                "image": self.settings.url + self.links.href(picture)
                if picture
                else entry.thumbnail,
                "width": local[1] if local else None,  # pixels, when the site has the file
                "height": local[2] if local else None,
                "published": entry.published,
                "iso": entry.published.astimezone(UTC).isoformat(timespec="seconds"),
                "when": self.local_time(entry.published),
                "author": entry.author,
                "category": item.category,
                "source": item.source,
                "channel": item.channel,
                "excerpt": excerpt(entry.content),
                "place": self.links.href(
                    self.links.place(item.category, item.source, item.channel) + "/index.html"
                ),
            }
        return card

    @staticmethod
    def picture_path(name: str) -> str:
        return picture_file(name)

    def content(self, item: Item, absolute: bool = False) -> str:
        """An entry's HTML, sanitised, its pictures the site's own where it has them."""
        return self._local(item, clean_html(item.entry.content, item.entry.link), absolute)

    def _local(self, item: Item, cleaned: str, absolute: bool = False) -> str:
        local = self.pictures.get(item.uid)
        if not local:
            return cleaned
        prefix = self.settings.url if absolute else ""

        def swap(match: re.Match[str]) -> str:
            tag = match[0]
            src = _SRC.search(tag)
            found = local.get(html.unescape(src[1])) if src else None
            if src is None or found is None:
                return tag
            name, width, height = found
            url = html.escape(prefix + self.links.href(self.picture_path(name)))
            ours = f' src="{url}" width="{width}" height="{height}"'
            return _SIZE.sub("", tag[: src.start()]) + ours + _SIZE.sub("", tag[src.end() :])

        return _IMG_TAG.sub(swap, cleaned)

    def render(self, pages: Iterable[Page]) -> list[tuple[str, int]]:
        """Render and write ``pages``; return (path, bytes written) for each."""
        pages = list(pages)
        wanted = {uid for page in pages for uid in page.uids}
        items = {item.uid: item for item in self.store.items(wanted)} if wanted else {}
        self.pictures = self.store.pictures(wanted) if wanted and self.settings.images else {}
        written = []
        for page in pages:
            shown = [
                (items[uid], path)
                for uid, path in zip(page.uids, page.paths, strict=True)
                if uid in items
            ]
            try:
                data = self.render_one(page, shown)
            except jinja2.TemplateError as exc:
                where = (
                    f"{exc.name}:{exc.lineno}"
                    if isinstance(exc, jinja2.TemplateSyntaxError)
                    else page.template
                )
                raise SiteError(f"template {where} failed on {page.path}: {exc}") from None
            self.write(page.path, data)
            written.append((page.path, len(data)))
        return written

    def index(self, chunk: SearchChunk) -> None:
        """Write the search bundle of ``chunk``: of each entry, what its page shows."""
        items = {item.uid: item for item in self.store.items(set(chunk.uids))}
        docs = []
        for uid, path, compact in zip(chunk.uids, chunk.paths, chunk.compact, strict=True):
            item = items.get(uid)
            if item is None:  # gone since the plan
                continue
            assert item.entry.published is not None
            text = excerpt(item.entry.content, SUMMARY if compact else None)
            when = self.local_time(item.entry.published)
            docs.append((item, self.links.href(path), when, text))
        folder = search.bundle_dir(chunk.number)
        for name, data in search.bundle(docs[::-1]).items():
            self.write(f"{folder}/{name}", data)

    def render_one(self, page: Page, items: list[tuple[Item, str]]) -> bytes:
        if not page.template:  # a file given whole: bytes, or text
            data = page.context.get("data")
            return data if isinstance(data, bytes) else str(page.context["text"]).encode("utf-8")
        template = self.env.get_template(page.template)
        context = dict(page.context)
        context["path"] = page.path
        if page.template in ("entry.html", "entry_compact.html"):
            shown = {item.uid: (item, self.card(item, path)) for item, path in items}
            entry, context["item"] = shown[page.uids[0]]
            if page.template == "entry.html":
                cleaned = clean_html(entry.entry.content, entry.entry.link)
                shown_content = context["content"] = self._local(entry, cleaned)
                # no hero when the text's first picture is the same (the same URL or file)
                card = cast(dict[str, object], context["item"])
                context["hero"] = not (
                    _opens_with(cleaned, entry.entry.thumbnail or "")
                    or _opens_with(shown_content, str(card["thumbnail"] or ""))
                )
            else:  # a compact page: the first words instead of the article
                context["summary"] = excerpt(entry.entry.content, SUMMARY)
            for name in ("older", "newer"):  # the entry's neighbours, as cards (or None)
                uid = cast(str | None, page.context[name])
                context[name] = shown[uid][1] if uid in shown else None
            more = cast(list[str], page.context["more"])
            context["more"] = [shown[uid][1] for uid in more if uid in shown]
            others = cast(list[str], page.context.get("others", []))
            context["others"] = [shown[uid][1] for uid in others if uid in shown]
        else:
            cards = [self.card(item, path) for item, path in items]
            if page.template in ("atom.xml", "rss.xml", "feed.json"):
                cards = [
                    {
                        **card,
                        "content": self.content(item, absolute=True),
                        "updated": item.entry.updated or item.entry.published,
                    }
                    for card, (item, _) in zip(cards, items, strict=True)
                ]
            context["items"] = cards
            context["compact"] = frozenset(cast(list[str], page.context.get("compact", ())))
        return template.render(context).encode("utf-8")

    def write(self, path: str, data: bytes) -> None:
        """Write a file of the new tree. The tree may hold a hard link to the old site's
        file at this path, so the link is replaced, never written through."""
        target = self.out / path
        parent = target.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        write_fd(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), data)


# -- in worker processes -----------------------------------------------------------------

# what a worker makes its Renderer of: the store's URL, the tree, settings, time zone,
# theme and navigation
RendererArgs = tuple[str, Path, Settings, tzinfo, Path | None, tuple[tuple[str, str], ...]]
_renderer: tuple[RendererArgs, Renderer] | None = None  # this worker's, for one build


def _worker(args: RendererArgs) -> Renderer:
    """This worker's Renderer of ``args``, kept for the next job."""
    global _renderer
    if _renderer is None or _renderer[0] != args:
        if _renderer is not None:
            _renderer[1].close()
        _renderer = (args, Renderer(*args))
    return _renderer[1]


def render_batch(args: RendererArgs, pages: list[Page]) -> list[tuple[str, int]]:
    """Render ``pages`` in a worker."""
    return _worker(args).render(pages)


def index_chunk(args: RendererArgs, chunk: SearchChunk) -> None:
    """Write the search bundle of ``chunk`` in a worker."""
    _worker(args).index(chunk)
