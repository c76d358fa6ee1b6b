"""Markup that is not well-formed XML: a cheap repair (junk around the document, undeclared
prefixes, bare ampersands, an unfinished last tag), read again by ``xml``; else the loose
reader (feedparser, ``loose``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.entities import html5 as _HTML5_ENTITIES

from lxml import etree

from .decode import XML_DECL, drop_declaration
from .loose import read_loose
from .raw import RawFeed
from .sniff import (
    DOCTYPE,
    DOCTYPE_DECLARATION,
    ENTITY_DECLARATION,
    HTML_START,
    MARKUP_NOISE,
    html_error,
    not_a_feed,
)
from .xml import PREFIXES, read_xml

_ROOT_START = re.compile(
    rb"<(?:[A-Za-z][\w.-]*:)?(?:rss|feed|rdf|channel)(?=[\s>/])", re.IGNORECASE
)
_REPAIR_ATTEMPTS = 3


def read_markup_document(data: bytes, url: str) -> RawFeed:
    try:
        return read_xml(data, url)
    except etree.XMLSyntaxError as error:
        first_problem = _describe_xml_error(error)
        last_error = error
    if HTML_START.match(data[:4096]):
        raise html_error(data, url, "page")
    if not _ROOT_START.search(data):
        raise not_a_feed(data, url)
    repaired, done = data, []
    for _ in range(_REPAIR_ATTEMPTS):
        changed = False
        for repair in _REPAIRS:
            repaired, what = repair(repaired, last_error)
            if what:
                done.append(what)
                changed = True
        if not changed:
            break
        try:
            raw = read_xml(repaired, url)
        except etree.XMLSyntaxError as error:
            last_error = error
            continue
        raw.warnings.append(f"not well-formed XML ({first_problem}); read after {', '.join(done)}")
        return raw
    raw = read_loose(data, url)
    raw.warnings.append(
        f"not well-formed XML ({first_problem}); "
        f"recovered {len(raw.items)} items with a lenient parser"
    )
    return raw


def _describe_xml_error(error: etree.XMLSyntaxError) -> str:
    message = re.sub(r", line \d+, column \d+$", "", str(error.msg or error)).strip()
    message = " ".join(message.split())
    if len(message) > 120:
        message = message[:117] + "..."
    return f"line {error.lineno}: {message}" if error.lineno else message


# Repairs: each fixes one common fault cheaply, returning the bytes and what it did.


def _cut_leading_junk(data: bytes, error: etree.XMLSyntaxError) -> tuple[bytes, str]:
    """Text before the document (a PHP warning, a stray XML declaration after comments)."""
    root = _ROOT_START.search(data)
    if root is None:
        return data, ""
    before = data[: root.start()]
    declaration = XML_DECL.search(before)
    if MARKUP_NOISE.sub(b"", before).strip():
        start = declaration.start() if declaration else root.start()
        return drop_declaration(data[start:]), f"skipping {start} bytes before the document"
    if declaration:
        cleaned = MARKUP_NOISE.sub(b"", before[declaration.start() :])
        return before[: declaration.start()] + cleaned + data[root.start() :], (
            "removing a misplaced XML declaration"
        )
    return data, ""


def _cut_trailing_junk(data: bytes, error: etree.XMLSyntaxError) -> tuple[bytes, str]:
    if not (error.msg or "").startswith("Extra content at the end of the document"):
        return data, ""
    line, column = error.position
    offset = 0
    for _ in range(line - 1):
        offset = data.find(b"\n", offset) + 1
        if offset == 0:
            return data, ""
    line_end = data.find(b"\n", offset)
    text = data[offset : line_end if line_end != -1 else len(data)].decode("utf-8", "replace")
    offset += len(text[: max(column - 1, 0)].encode("utf-8"))
    if not 0 < offset < len(data):
        return data, ""
    return data[:offset], f"cutting {len(data) - offset} bytes after the document"


_PREFIX_USE = re.compile(rb"</?([A-Za-z_][\w.-]*):[A-Za-z_]|\s([A-Za-z_][\w.-]*):[\w.-]+\s*=")
_PREFIX_DECLARATION = re.compile(rb"xmlns:([A-Za-z_][\w.-]*)\s*=")
_KNOWN_NAMESPACES = {prefix.encode(): uri for uri, prefix in reversed(list(PREFIXES.items()))}


def _declare_prefixes(data: bytes, error: etree.XMLSyntaxError) -> tuple[bytes, str]:
    """Namespace prefixes used but never declared (itunes:, media:, dc:)."""
    if "Namespace prefix" not in (error.msg or ""):
        return data, ""
    used = {a or b for a, b in _PREFIX_USE.findall(data)}
    missing = sorted(used - set(_PREFIX_DECLARATION.findall(data)) - {b"xml", b"xmlns"})
    root = _ROOT_START.search(data)
    if not missing or root is None:
        return data, ""
    declarations = b"".join(
        b' xmlns:%s="%s"'
        % (prefix, _KNOWN_NAMESPACES.get(prefix, "urn:undeclared:" + prefix.decode()).encode())
        for prefix in missing
    )
    names = b", ".join(missing).decode()
    return data[: root.end()] + declarations + data[root.end() :], f"declaring prefixes {names}"


_VERBATIM_SPLIT = re.compile(rb"(<!\[CDATA\[.*?\]\]>|" + DOCTYPE + rb")", re.DOTALL | re.IGNORECASE)
_AMPERSAND = re.compile(rb"&(?:#[0-9]+;|#[xX][0-9a-fA-F]+;|([A-Za-z][A-Za-z0-9]*);)?")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


def _escape_ampersands(data: bytes, error: etree.XMLSyntaxError) -> tuple[bytes, str]:
    """Bare ``&`` and HTML-only entities (``&nbsp;``), outside CDATA sections and the
    DOCTYPE (references to entities it declares are left alone: they are never expanded)."""
    if b"&" not in data:
        return data, ""
    changed = False
    doctype = DOCTYPE_DECLARATION.search(data)
    declared = set(ENTITY_DECLARATION.findall(doctype.group(0))) if doctype else set()

    def fix(match: re.Match[bytes]) -> bytes:
        nonlocal changed
        name = match.group(1)
        if match.group(0) == b"&":
            changed = True
            return b"&amp;"
        if name is None or name in _XML_ENTITIES or name in declared:
            return match.group(0)
        changed = True
        char = _HTML5_ENTITIES.get(name.decode("ascii") + ";")
        if char is None:
            return b"&amp;" + name + b";"
        return "".join(f"&#{ord(c)};" for c in char).encode("ascii")

    parts = _VERBATIM_SPLIT.split(data)
    parts[::2] = [_AMPERSAND.sub(fix, part) if b"&" in part else part for part in parts[::2]]
    if not changed:
        return data, ""
    return b"".join(parts), "escaping bare '&' and HTML entities"


_UNFINISHED_END_TAG = re.compile(rb"</[A-Za-z_][\w:.-]*\s*$")


def _finish_last_tag(data: bytes, error: etree.XMLSyntaxError) -> tuple[bytes, str]:
    """A document cut one byte short: ``...</rss`` with no ``>``."""
    if not _UNFINISHED_END_TAG.search(data[-200:]):
        return data, ""
    return data.rstrip() + b">", "closing the last tag"


_REPAIRS: tuple[Callable[[bytes, etree.XMLSyntaxError], tuple[bytes, str]], ...] = (
    _cut_trailing_junk,  # first: it goes by the error's position in the bytes as they are
    _cut_leading_junk,
    _finish_last_tag,
    _declare_prefixes,
    _escape_ampersands,
)
