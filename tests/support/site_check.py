"""Checks over a built site: every internal link resolves, every page is sound HTML5,
and no script but the site's own."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import html5lib

OWN_SCRIPTS = {"static/site.js", "static/search.js"}


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def parse(page: Path):
    """The page's DOM; html5lib in strict mode raises on any parse error."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(page.read_bytes(), transport_encoding="utf-8")


def target(site: Path, base_path: str, href: str, page_url: str) -> Path | None:
    """The file an internal link points at, or None for an external link."""
    url = urlsplit(urljoin(page_url, href))
    if url.scheme not in ("http", "https") or url.netloc != "site.test":
        return None
    path = unquote(url.path)
    assert path.startswith(base_path), f"{href} is outside the base path {base_path}"
    file = site / path[len(base_path) :]
    return file / "index.html" if path.endswith("/") else file


def check_site(site: Path, base_path: str = "/") -> dict[str, int]:
    """Raise AssertionError on the first broken link, unsound page or foreign script."""
    counted = {"pages": 0, "links": 0}
    for page in pages(site):
        relative = page.relative_to(site).as_posix()
        page_url = f"http://site.test{base_path}{relative}"
        doc = parse(page)
        counted["pages"] += 1
        for element in doc.iter():
            for attr in ("href", "src"):
                value = element.get(attr)
                if value is None:
                    continue
                file = target(site, base_path, value, page_url)
                if file is not None:
                    counted["links"] += 1
                    assert file.is_file(), f"{relative}: <{element.tag} {attr}={value}> is broken"
            if element.tag == "script":
                src = element.get("src", "")
                file = target(site, base_path, src, page_url) if src else None
                own = file is not None and file.relative_to(site).as_posix() in OWN_SCRIPTS
                assert own and not (element.text or "").strip(), (
                    f"{relative}: a script that is not the site's own: {src or element.text!r}"
                )
            for name in element.attrib:
                assert not name.lower().startswith("on"), f"{relative}: handler {name}"
    return counted
