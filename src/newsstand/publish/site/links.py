"""Where each kind of page lives: its path in the site, and its link from a page (an
IRI) or from a feed or sitemap (a URI)."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from urllib.parse import quote

from ...files import safe_segment

# What a link on a page leaves as it is: letters and digits of any script (a Chinese
# folder name is 3 bytes a character, not the 9 of its percent-encoding), and "/._~-".
_IRI_UNSAFE = re.compile(r"[^\w/.~-]")
RESERVED = frozenset({"page", "index.html", "atom.xml", "rss.xml", "feed.json"})
FOLDER_PAGES = 2000  # a list's numbered pages kept in its page/ folder; later ones in
# page/<n // 1000>/, so no folder holds more than GitHub Pages' 3,000 entries


def _quote(match: re.Match[str]) -> str:
    return quote(match.group(0), safe="")


@functools.lru_cache(maxsize=65536)  # a site has few places, each named on many pages
def segment(name: str) -> str:
    """A folder name for a category, source or channel that cannot clash with ours."""
    name = safe_segment(name, max_bytes=120)
    return name + "_" if name in RESERVED else name


class Links:
    """Where each kind of page lives, as paths and as hrefs under the base path."""

    def __init__(self, base_path: str) -> None:
        self.base = base_path

    def href(self, path: str) -> str:
        """The link to a file on a page (an IRI: only what a URL cannot hold is
        percent-encoded): ``a/b/index.html`` is linked as ``a/b/``."""
        return self.base + _IRI_UNSAFE.sub(_quote, self._folder(path))

    def uri(self, path: str) -> str:
        """The link to a file as a URI, every non-ASCII character percent-encoded: what
        feeds, sitemaps and robots.txt give."""
        return self.base + quote(self._folder(path))

    @staticmethod
    def _folder(path: str) -> str:
        if path == "index.html":
            return ""
        if path.endswith("/index.html"):
            return path[: -len("index.html")]
        return path

    @staticmethod
    def place(*names: str) -> str:
        return "/".join(["category", *(segment(n) for n in names)])

    @staticmethod
    def entry(uid: str, local: datetime) -> str:
        return f"posts/{local:%Y/%m/%d}/{uid}.html"

    @staticmethod
    def numbered(prefix: str, number: int) -> str:
        """A list's numbered page: ``page/N.html``, or ``page/<N // 1000>/N.html`` past
        ``FOLDER_PAGES`` (a page's path never changes as the list grows)."""
        if number <= FOLDER_PAGES:
            return f"{prefix}page/{number}.html"
        return f"{prefix}page/{number // 1000}/{number}.html"

    @staticmethod
    def month(local: datetime) -> str:
        return f"archives/{local:%Y/%m}"

    @staticmethod
    def day(local: datetime) -> str:
        return f"archives/{local:%Y/%m/%d}"
