"""What the site is made of: every page, the entries on it, and a key for its inputs.

Pure: it takes the store's index rows (uid, revision, sort time, place) and returns
page specs. Nothing is read from or written to disk here. A page's ``key`` hashes all
of its inputs, so the build re-renders exactly the pages whose key changed.

A story of several feeds (``stories``) is shown once on every list and feed: by its
earliest entry on that list, with how many outlets reported it; each of its entries'
pages names the others.

Lists paginate from the oldest entry: page 1 holds the oldest ``per_page`` entries and
never changes when newer ones arrive. The list's front page shows the newest entries and
links to the newest full page older than it, so N new entries re-render the fronts they
appear on and, per list, a new page and the two below it (their pagers name it: see
``nearby``), not the whole history.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from ...model import IndexRow
from .icons import favicon_ico
from .links import Links
from .nearby import neighbours, pager
from .search import SHARDS, bundle_dir

FEED_SIZE = 50  # entries in each of the site's own feeds
SEARCH_CHUNK = 1000  # entries per search bundle: a change re-indexes only its bundle
SITEMAP_CHUNK = 10000  # URLs per sitemap file (the protocol allows 50,000)
OTHERS = 10  # an entry page lists at most this many of its story's other entries
COMPACT_OTHERS = 3  # and a compact page this many (a big story listed 10 times on 90k
# compact pages was 76 MB of a 100k-entry site)


@dataclass(slots=True)
class Page:
    """One file of the site: a template, its context, and the entries it shows."""

    path: str  # relative to the site root, "/"-separated
    template: str  # "" for a file given whole in context["text"] (or bytes in "data")
    context: dict[str, object] = field(default_factory=dict)
    uids: tuple[str, ...] = ()  # entries to load, in display order
    paths: tuple[str, ...] = ()  # each entry's own page
    key: str = ""  # hash of every input; set by ``Plan.pages``


@dataclass(frozen=True, slots=True)
class SearchChunk:
    """One search bundle: the entries it indexes, oldest first."""

    number: int
    uids: tuple[str, ...]
    paths: tuple[str, ...]  # each entry's page
    compact: tuple[bool, ...]  # whether its page is compact (its first words indexed)
    key: str


@dataclass(frozen=True, slots=True)
class Settings:
    """The configuration a build depends on; part of every page's key."""

    title: str
    url: str  # absolute, no trailing slash
    base_path: str  # "/" or "/repo/"
    per_page: int
    language: str
    timezone: str
    stories: bool = True  # a story of several feeds is one card on every list
    images: bool = True  # pages show the site's own copies of the pictures ([images])
    full_entries: int = 0  # the newest this many entries get full pages (0: all of them);
    # older ones a compact page and a one-line row on lists


def _key(*parts: object) -> str:
    return hashlib.sha1(
        json.dumps(parts, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    ).hexdigest()


@dataclass(slots=True)
class _List:
    """An ordered list of entries (oldest first) to paginate under ``folder``."""

    folder: str  # "" for the home page
    kind: str
    title: str
    crumbs: list[tuple[str, str]]
    uids: list[str] = field(default_factory=list)
    revisions: list[int] = field(default_factory=list)
    children: list[tuple[str, str, int]] = field(default_factory=list)
    feeds: bool = False
    paged: bool = True  # False: the front only (a month: its days list every entry)


class Plan:
    """Every page of the site for one state of the store."""

    def __init__(
        self, rows: Sequence[IndexRow], settings: Settings, tz: tzinfo, opml: str, theme: str
    ) -> None:
        self.settings = settings
        self.links = Links(settings.base_path)
        self.opml = opml
        self.theme = theme
        self.rows = rows
        self.local = [datetime.fromisoformat(row.at).astimezone(tz) for row in rows]
        self.entry_paths = [
            self.links.entry(row.uid, at) for row, at in zip(rows, self.local, strict=True)
        ]
        self.path_of = {row.uid: path for row, path in zip(rows, self.entry_paths, strict=True)}
        # story -> the rows of its entries, oldest first (only stories of several entries)
        self.members: dict[int, list[int]] = {}
        if settings.stories:
            by_story: dict[int, list[int]] = {}
            for index, row in enumerate(rows):
                by_story.setdefault(row.story, []).append(index)
            self.members = {story: found for story, found in by_story.items() if len(found) > 1}
        # entries older than the newest ``full_entries`` get compact pages and rows
        self.first_full = max(0, len(rows) - settings.full_entries) if settings.full_entries else 0
        self.compact = frozenset(row.uid for row in rows[: self.first_full])
        self.nav = self._nav()
        # What every page depends on: when it changes, every page is rendered again, so
        # the pages' own keys leave it out.
        self.base = _key(theme, self.nav)

    # -- the tree of places -------------------------------------------------------

    def _nav(self) -> list[tuple[str, str]]:
        names = sorted({row.category for row in self.rows})
        return [(name, self.links.href(self.links.place(name) + "/index.html")) for name in names]

    def _lists(self) -> list[_List]:
        """Every paginated list; also sets ``tree`` and ``archive`` (their summaries)."""
        links = self.links
        home = _List("", "home", self.settings.title, [], feeds=True)
        places: dict[tuple[str, ...], _List] = {}
        months: dict[str, _List] = {}
        days: dict[str, _List] = {}
        shown: dict[int, set[str]] = {}  # story -> the lists (folders) it is on already
        for index, row in enumerate(self.rows):
            uid, revision = row.uid, row.revision
            lists = shown.setdefault(row.story, set()) if row.story in self.members else None
            if lists is None or "" not in lists:
                home.uids.append(uid)
                home.revisions.append(revision)
                if lists is not None:
                    lists.add("")
            names = row[4:7]
            for depth in (1, 2, 3):
                key = names[:depth]
                lst = places.get(key)
                if lst is None:
                    folder = links.place(*key)
                    crumbs = [
                        (n, links.href(links.place(*key[: i + 1]) + "/index.html"))
                        for i, n in enumerate(key[:-1])
                    ]
                    lst = places[key] = _List(
                        folder,
                        ("category", "source", "channel")[depth - 1],
                        key[-1],
                        crumbs,
                        feeds=depth == 1,
                    )
                if lists is None or lst.folder not in lists:
                    lst.uids.append(uid)
                    lst.revisions.append(revision)
                    if lists is not None:
                        lists.add(lst.folder)
            at = self.local[index]
            for table, folder, title in (
                (months, links.month(at), f"{at:%Y-%m}"),
                (days, links.day(at), f"{at:%Y-%m-%d}"),
            ):
                lst = table.get(folder)
                if lst is None:
                    crumbs = (
                        []
                        if table is months
                        else [(f"{at:%Y-%m}", links.href(links.month(at) + "/index.html"))]
                    )
                    lst = table[folder] = _List(
                        folder, "archive", title, crumbs, paged=table is not months
                    )
                if lists is None or lst.folder not in lists:
                    lst.uids.append(uid)
                    lst.revisions.append(revision)
                    if lists is not None:
                        lists.add(lst.folder)
        below: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for key in places:  # each place's children, found once (not each against all)
            if len(key) > 1:
                below[key[:-1]].append(key)
        for key, lst in places.items():
            lst.children = sorted(
                (
                    child[-1],
                    links.href(places[child].folder + "/index.html"),
                    len(places[child].uids),
                )
                for child in below[key]
            )
        days_of: dict[str, list[_List]] = defaultdict(list)
        for day in days.values():
            days_of[day.folder.rsplit("/", 1)[0]].append(day)
        for month in months.values():
            month.children = [
                (d.title[-2:], links.href(d.folder + "/index.html"), len(d.uids))
                for d in days_of[month.folder]
            ]
        self.tree = self._tree(places, below)
        self.archive = [
            (m.title, links.href(m.folder + "/index.html"), len(m.uids))
            for m in reversed(months.values())
        ]
        return [home, *places.values(), *months.values(), *days.values()]

    def _tree(
        self,
        places: dict[tuple[str, ...], _List],
        below: dict[tuple[str, ...], list[tuple[str, ...]]],
    ) -> list[dict[str, object]]:
        def node(key: tuple[str, ...]) -> dict[str, object]:
            lst = places[key]
            children = sorted(below[key])
            return {
                "name": key[-1],
                "href": self.links.href(lst.folder + "/index.html"),
                "count": len(lst.uids),
                "children": [node(c) for c in children],
            }

        return [node(k) for k in sorted(k for k in places if len(k) == 1)]

    # -- pages --------------------------------------------------------------------

    def _list_pages(self, lst: _List) -> Iterator[Page]:
        per_page = self.settings.per_page
        links = self.links
        prefix = lst.folder + "/" if lst.folder else ""
        total = len(lst.uids)
        older_than_front = total - per_page  # entries [0, older_than_front) are not on the front
        last = (older_than_front - 1) // per_page + 1 if older_than_front > 0 and lst.paged else 0
        base = {
            "kind": lst.kind,
            "title": lst.title,
            "crumbs": lst.crumbs,
            "children": lst.children,
            "count": total,
            "feeds": self._feed_links(prefix) if lst.feeds else None,
        }

        def page_path(number: int) -> str:
            return links.numbered(prefix, number)

        def numbered(current: int | None) -> list[tuple[int | None, str | None]]:
            """The pager: (number, href), 0 the front, (None, None) a gap."""
            return [
                (n, None if n is None else links.href(page_path(n) if n else f"{prefix}index.html"))
                for n in pager(last, current)
            ]

        front = lst.uids[-per_page:][::-1]
        yield self._page(
            f"{prefix}index.html",
            "list.html",
            {
                **base,
                "compact": self._compact(front),
                "stories": self._outlets(front),
                "page": None,
                "older": links.href(page_path(last)) if last else None,
                "newer": None,
                "pages": numbered(None),
            },
            front,
            lst.revisions[-per_page:],
        )
        for number in range(1, last + 1):
            start = (number - 1) * per_page
            newer = page_path(number + 1) if number < last else f"{prefix}index.html"
            yield self._page(
                page_path(number),
                "list.html",
                {
                    **base,
                    "compact": self._compact(lst.uids[start : start + per_page]),
                    "stories": self._outlets(lst.uids[start : start + per_page]),
                    "page": number,
                    "children": [],
                    "count": None,
                    "older": links.href(page_path(number - 1)) if number > 1 else None,
                    "newer": links.href(newer),
                    "pages": numbered(number),
                },
                lst.uids[start : start + per_page][::-1],
                lst.revisions[start : start + per_page],
            )
        if lst.feeds:
            newest = lst.uids[-FEED_SIZE:][::-1]
            revisions = lst.revisions[-FEED_SIZE:]
            context: dict[str, object] = {
                "title": lst.title,
                "folder": prefix,
                "home": links.href(f"{prefix}index.html"),
                "stories": self._outlets(newest),
            }
            for name, template in (
                ("atom.xml", "atom.xml"),
                ("rss.xml", "rss.xml"),
                ("feed.json", "feed.json"),
            ):
                yield self._page(prefix + name, template, context, newest, revisions)

    @functools.cached_property
    def _row_of(self) -> dict[str, int]:
        return {row.uid: index for index, row in enumerate(self.rows)}

    def _outlets(self, uids: Iterable[str]) -> dict[str, list[str]]:
        """uid -> the outlets (sources, earliest first) of its story, for the entries of
        ``uids`` whose story more than one outlet reported."""
        found = {}
        for uid in uids:
            row = self.rows[self._row_of[uid]]
            members = self.members.get(row.story)
            if members:
                sources = list(dict.fromkeys(self.rows[i].source for i in members))
                if len(sources) > 1:
                    found[uid] = sources
        return found

    def _compact(self, uids: Iterable[str]) -> list[str]:
        """Those of ``uids`` shown as one-line rows (older than the full-page window)."""
        return [uid for uid in uids if uid in self.compact] if self.compact else []

    def _feed_links(self, prefix: str) -> dict[str, str]:
        return {
            name: self.links.href(prefix + name) for name in ("atom.xml", "rss.xml", "feed.json")
        }

    def _page(
        self,
        path: str,
        template: str,
        context: dict[str, object] | None = None,
        uids: Iterable[str] = (),
        revisions: Iterable[int] = (),
    ) -> Page:
        uids = tuple(uids)
        paths = tuple(self.path_of[uid] for uid in uids)
        context = context or {}
        page = Page(path, template, context, uids, paths)
        page.key = _key(template, context, paths, list(revisions))
        return page

    def pages(self) -> Iterator[Page]:
        """Every page, entry pages first: a crash part-way never leaves a list linking to
        an entry page that is not there yet."""
        links = self.links
        crumbs: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        rows = self.rows
        nearby = neighbours(rows)
        # source by source (in time order within each), so that a batch of entry pages
        # holds the entries they link to, and the renderer loads few others
        for index in sorted(range(len(rows)), key=lambda i: rows[i][4:6]):
            row, near = rows[index], nearby[index]
            uid, revision, names = row.uid, row.revision, row[4:7]
            if names not in crumbs:
                crumbs[names] = [
                    (n, links.href(links.place(*names[: i + 1]) + "/index.html"))
                    for i, n in enumerate(names)
                ]
            path = self.entry_paths[index]
            compact = index < self.first_full  # a compact page lists no more of its source
            members = self.members.get(row.story)  # its story's other entries are listed
            listed = COMPACT_OTHERS if compact else OTHERS
            others = [i for i in members if i != index][:listed] if members else []
            more = () if compact else near.more
            near_by = [i for i in (near.older, near.newer, *more) if i is not None]
            shown = list(dict.fromkeys(others + near_by))
            # Entry pages are most of the site: their key is cheap (an entry page shows
            # its entry, its place and the entries it links to, and nothing else that the
            # base key does not cover).
            yield Page(
                path,
                "entry_compact.html" if compact else "entry.html",
                {
                    "crumbs": crumbs[names],
                    "older": rows[near.older].uid if near.older is not None else None,
                    "newer": rows[near.newer].uid if near.newer is not None else None,
                    "more": [rows[i].uid for i in more],
                    "others": [rows[i].uid for i in others],
                },
                (uid, *(rows[i].uid for i in shown)),
                (path, *(self.entry_paths[i] for i in shown)),
                key="\0".join(
                    (
                        str(revision) + ("c" if compact else ""),
                        *names,
                        *(f"{rows[i].uid}:{rows[i].revision}" for i in shown),
                    )
                ),
            )
        for lst in self._lists():
            yield from self._list_pages(lst)
        yield self._page("categories/index.html", "categories.html", {"tree": self.tree})
        yield self._page("archives/index.html", "archives.html", {"months": self.archive})
        yield self._page(
            "search/index.html",
            "search.html",
            {
                "bundles": [links.href(bundle_dir(c.number) + "/") for c in self.search_chunks],
                "shards": SHARDS,
            },
        )
        yield self._page("404.html", "404.html")
        yield self._page("manifest.webmanifest", "manifest.webmanifest")
        yield self._page("favicon.ico", "", {"data": favicon_ico()})
        yield self._page("opml.xml", "", {"text": self.opml})
        yield from self._sitemaps()
        yield self._page(
            "robots.txt",
            "robots.txt",
            {"sitemap": self.settings.url + self.links.uri("sitemap.xml")},
        )

    def _sitemaps(self) -> Iterator[Page]:
        absolute = self.settings.url
        hrefs = [self.links.uri(p) for p in self.entry_paths]
        files = []
        for number, start in enumerate(range(0, max(len(hrefs), 1), SITEMAP_CHUNK), start=1):
            chunk = [absolute + h for h in hrefs[start : start + SITEMAP_CHUNK]]
            if number == 1:
                chunk = [absolute + self.links.base, *chunk]
            path = f"sitemap-{number}.xml"
            files.append(absolute + self.links.uri(path))
            yield self._page(path, "sitemap.xml", {"urls": chunk})
        yield self._page("sitemap.xml", "sitemap-index.xml", {"sitemaps": files})

    @functools.cached_property
    def search_chunks(self) -> list[SearchChunk]:
        """Entries grouped by storage order: new entries land in the newest bundles."""
        groups: dict[int, list[int]] = defaultdict(list)
        for index, row in enumerate(self.rows):
            groups[row.id // SEARCH_CHUNK].append(index)
        return [
            SearchChunk(
                number,
                tuple(self.rows[i].uid for i in indexes),
                tuple(self.entry_paths[i] for i in indexes),
                tuple(i < self.first_full for i in indexes),
                _key(
                    self.theme,
                    [
                        (
                            self.rows[i].uid,
                            self.rows[i].revision,
                            self.entry_paths[i],
                            i < self.first_full,
                        )
                        for i in indexes
                    ],
                ),
            )
            for number, indexes in sorted(groups.items())
        ]
