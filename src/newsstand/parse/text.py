"""Text helpers: plain text, HTML from text, absolute URLs, thumbnail candidates, HTML
attributes, author names."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

_TAG = re.compile(r"<!--.*?(?:-->|$)|<!\[CDATA\[|\]\]>|</?[A-Za-z][^<>]*>", re.DOTALL)
_LOOKS_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);")
_ASCII_SPACE = re.compile(r"[ \t\r\n\f\v]+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


def _build_controls() -> dict[int, str | None]:
    table: dict[int, str | None] = {c: None for c in range(0x20) if c not in (9, 10, 13)}
    table[0x7F] = None
    for code in range(0x80, 0xA0):  # C1 controls: what the cp1252 byte meant, or nothing
        try:
            table[code] = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            table[code] = None
    return table


_CONTROLS = _build_controls()


def plain(value: str | None) -> str:
    """Plain one-line text: tags removed, entities decoded, no control characters, runs
    of white space collapsed, stripped."""
    if not value:
        return ""
    if "<" in value:
        value = _TAG.sub("", value)
    if "&" in value:
        value = html.unescape(value)
    if value.isprintable() and "  " not in value:  # the common case: nothing to collapse
        return value.strip()
    value = value.translate(_CONTROLS)
    return _ASCII_SPACE.sub(" ", value).strip()


def as_html(value: str, plain: bool) -> str:
    """HTML for a value: as given, or escaped into paragraphs when it is said to be plain
    text and does not look like HTML (feeds mislabel HTML as text far more often than
    they put literal tags in text)."""
    if not plain or _LOOKS_HTML.search(value):
        return value
    return text_to_html(value)


def text_to_html(value: str) -> str:
    paragraphs = (part.strip() for part in _PARAGRAPH_BREAK.split(value.strip()))
    return "".join(
        "<p>" + html.escape(part, quote=False).replace("\n", "<br>\n") + "</p>"
        for part in paragraphs
        if part
    )


def absolute(value: str | None, base: str) -> str | None:
    """An absolute http(s) URL, or None when the value cannot be made one."""
    if not value:
        return None
    value = value.strip()
    if value.startswith(("https://", "http://")):
        return value
    if not value or value.lower().startswith(("data:", "javascript:")):
        return None
    try:
        joined = urljoin(base, value)
    except ValueError:
        return None
    return joined if joined.startswith(("https://", "http://")) else None


_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_IMG_SOURCES = ("src", "data-src", "data-original", "data-actualsrc", "data-lazy-src")


def first_image(markup: str | None) -> str | None:
    """The first <img> worth a thumbnail: a real (not data:) source, not a 1-pixel one."""
    if not markup:
        return None
    start = markup.find("<img")  # where lower case is used, an upper-case one earlier is rare
    if start == -1:
        start = 0
    for tag in _IMG_TAG.finditer(markup, start):
        attrs = attributes(tag.group(0))
        if attrs.get("width", "").strip() in ("0", "1") or attrs.get("height", "").strip() in (
            "0",
            "1",
        ):
            continue
        for name in _IMG_SOURCES:
            source = attrs.get(name, "").strip()
            if source and not source.lower().startswith("data:"):
                return source
    return None


_IMAGE_EXTENSION = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|bmp)$", re.IGNORECASE)


def is_image(medium: object, kind: object, url: object) -> bool:
    if medium == "image" or (isinstance(kind, str) and kind.lower().startswith("image/")):
        return True
    if medium or kind or not isinstance(url, str):
        return False
    return bool(_IMAGE_EXTENSION.search(url.split("?", 1)[0].split("#", 1)[0]))


def add(images: list[str], url: str | None) -> None:
    if url and url.strip() and not url.strip().lower().startswith("data:"):
        images.append(url.strip())


_ATTR = re.compile(r"""([^\s"'<>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def attributes(tag: bytes | str) -> dict[str, str]:
    text = tag.decode("utf-8", "replace") if isinstance(tag, bytes) else tag
    attrs: dict[str, str] = {}
    for name, double, single, bare in _ATTR.findall(text):
        attrs.setdefault(name.lower(), html.unescape(double or single or bare))
    return attrs


_AUTHOR_IN_PARENS = re.compile(r"^\S+@\S+\s*\((.+)\)$")
_AUTHOR_BEFORE_ADDRESS = re.compile(r"^(.+?)\s*<\S+@\S+>$")


def author(value: str | None) -> str | None:
    if not value:
        return None
    value = _ASCII_SPACE.sub(" ", value.translate(_CONTROLS)).strip()
    match = _AUTHOR_IN_PARENS.match(value) or _AUTHOR_BEFORE_ADDRESS.match(value)
    if match:
        value = match.group(1).strip()
    return value or None
