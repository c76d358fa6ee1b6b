"""Feed documents (bytes) in, a ParsedFeed of normalised Entry values out.

A document meets four layers, in this order:

1. *Bytes to trusted UTF-8* (``_to_utf8``): recognise what is not text at all (images,
   archives), decide the encoding (BOM, valid UTF-8, HTTP charset, XML declaration, a
   guess), drop characters XML 1.0 forbids and the now-wrong XML declaration.
2. *Readers* turn one format into the format-neutral raw shape (``_RawFeed`` of
   ``_RawItem``): ``_read_xml`` reads RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 with a hardened lxml
   parser, driven by one table per dialect (``_RSS``, ``_ATOM``); ``_read_json`` reads JSON
   Feed; ``_read_loose`` asks feedparser's lenient parser about documents that are not
   well-formed XML, after a cheap repair has failed to make them so.
3. *The adapter* (``_adapt``) makes Entry values from raw items: dates in UTC, absolute
   links, stable ids, a thumbnail.
4. Anything that is not a feed raises ParseError with one line saying what it is instead.

The item HTML is kept exactly as the document gives it: sanitising and URL rewriting are
the clean stage's job. parse does no I/O: entities are never expanded, DTDs never loaded,
nothing is fetched.
"""

from __future__ import annotations

import base64
import codecs
import copy
import dataclasses
import hashlib
import html
import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from html.entities import html5 as _HTML5_ENTITIES
from typing import Any
from urllib.parse import urljoin

import charset_normalizer
import feedparser
from feedparser.datetimes import _parse_date as _feedparser_parse_date
from lxml import etree

from .model import Entry, ParsedFeed

__all__ = ["ParseError", "parse", "parse_date"]


class ParseError(Exception):
    """The document is not a feed parse can read; the message says what it is instead.

    ``feed_url`` is the absolute URL of a feed that an HTML page links to, when it does.
    """

    def __init__(self, message: str, *, feed_url: str | None = None) -> None:
        super().__init__(message)
        self.feed_url = feed_url

    def __reduce__(self) -> tuple[Any, ...]:  # survives the trip back from a process pool
        return _parse_error, (str(self), self.feed_url)


def _parse_error(message: str, feed_url: str | None) -> ParseError:
    return ParseError(message, feed_url=feed_url)


def parse(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    default_tz: tzinfo = UTC,
) -> ParsedFeed:
    """Parse one feed document (RSS, RDF, Atom or JSON Feed) fetched from ``url``.

    ``content_type`` is the HTTP Content-Type (its charset is one encoding hint);
    ``default_tz`` is the zone of dates that name none. Raises ParseError only.
    """
    warnings: list[str] = []
    data = _to_utf8(body, content_type, warnings)
    start = data.lstrip()[:1]
    raw = _read_json(data) if start in (b"{", b"[") else _read_markup_document(data, url)
    raw.warnings[:0] = warnings
    return _adapt(raw, url, default_tz)


# ---------------------------------------------------------------------------------------
# The raw shape every reader produces


@dataclass(slots=True)
class _RawItem:
    """One item as its format gave it: strings, HTML already decided, dates unparsed."""

    guid: str | None = None
    link: str | None = None  # possibly relative
    title: str = ""  # plain text
    author: str | None = None
    published: str | None = None
    updated: str | None = None
    content: str | None = None  # HTML
    summary: str | None = None  # HTML
    images: list[str] = field(default_factory=list)  # thumbnail candidates, best first
    base: str = ""  # what relative URLs of this item resolve against


@dataclass(slots=True)
class _RawFeed:
    title: str | None = None
    link: str | None = None
    ttl: str | None = None
    author: str | None = None  # inherited by items that name none (Atom, JSON Feed)
    items: list[_RawItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Bytes -> UTF-8


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "gzip-compressed data (the Content-Encoding was not undone)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data (the Content-Encoding was not undone)"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"BZh", "bzip2-compressed data"),
    (b"\x00asm", "WebAssembly"),
)

_BOMS = (  # UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels that mean a superset in practice (what browsers do, too).
_CODEC_ALIASES = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "gb_2312-80": ("gb18030",),
    "csgb2312": ("gb18030",),
    "cp936": ("gb18030",),
    "chinese": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "x-big5": ("big5hkscs", "cp950"),
    "cn-big5": ("big5hkscs", "cp950"),
    "csbig5": ("big5hkscs", "cp950"),
    "shift_jis": ("cp932",),
    "shift-jis": ("cp932",),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "ms_kanji": ("cp932",),
    "windows-31j": ("cp932",),
    "euc-kr": ("cp949",),
    "ks_c_5601-1987": ("cp949",),
    "iso-8859-1": ("cp1252", "latin-1"),
    "iso8859-1": ("cp1252", "latin-1"),
    "latin1": ("cp1252", "latin-1"),
    "latin-1": ("cp1252", "latin-1"),
    "us-ascii": ("cp1252", "latin-1"),
    "ascii": ("cp1252", "latin-1"),
}
# What a guess may say: encodings web servers actually send (no DOS or EBCDIC code pages).
_PLAUSIBLE_GUESSES = frozenset(
    {"utf_8", "gb18030", "gb2312", "gbk", "hz", "big5", "big5hkscs", "cp950", "shift_jis",
     "cp932", "euc_jp", "iso2022_jp", "euc_kr", "cp949", "koi8_r", "koi8_u",
     "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
     "cp1258", "latin_1", "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_5", "iso8859_6",
     "iso8859_7", "iso8859_8", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14",
     "iso8859_15", "iso8859_16", "tis_620", "cp874", "mac_roman", "utf_16", "utf_32"}
)  # fmt: skip
_GUESS_FALLBACKS = ("gb18030", "big5hkscs", "cp932", "cp1252")
_LATIN_CODEPAGES = frozenset(
    {"cp1250", "cp1257", "cp1258", "latin_1", "mac_roman", "iso8859_2", "iso8859_3",
     "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15",
     "iso8859_16"}
)  # fmt: skip

_XML_DECL_ENCODING = re.compile(
    rb"""\s*<\?xml[^>]*?\bencoding\s*=\s*["']?\s*([A-Za-z0-9._:+-]+)""", re.IGNORECASE
)
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:+-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"<\?xml[\s?]")
# C0 controls XML 1.0 forbids (all but tab, newline, carriage return); safe to delete from
# UTF-8 bytes, where they never occur inside a multi-byte sequence.
_FORBIDDEN_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def _to_utf8(body: bytes, content_type: str | None, warnings: list[str]) -> bytes:
    """Decode ``body`` and return UTF-8 bytes with no BOM, XML declaration or forbidden
    characters; raise ParseError for bodies that are empty or not text."""
    if not body or body.isspace():
        raise ParseError("not a feed: empty body" if not body else "not a feed: only white space")
    for magic, what in _MAGIC:
        if body.startswith(magic):
            raise ParseError(f"not a feed: {what}")
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        raise ParseError("not a feed: a WebP image")
    data = _decode(body, content_type, warnings)
    stripped = data.translate(None, _FORBIDDEN_BYTES)
    if len(stripped) != len(data):
        warnings.append(
            f"removed {len(data) - len(stripped)} control characters that XML does not allow"
        )
        data = stripped
    if not data or data.isspace():
        raise ParseError("not a feed: no text after decoding")
    return _drop_declaration(data)


def _decode(body: bytes, content_type: str | None, warnings: list[str]) -> bytes:
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return _recode(body[len(bom) :], codec, warnings, "its byte order mark")
    wide = _sniff_wide(body)
    if wide:
        return _recode(body, wide, warnings, "its zero bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return body if "\ufffe" not in text and "\uffff" not in text else _encode(text, warnings)
    if _mostly_utf8(body):
        return _recode(body, "utf-8", warnings, "its bytes")
    declared = (
        ("the HTTP charset", _http_charset(content_type)),
        ("the XML declaration", _xml_charset(body)),
    )
    for where, label in declared:
        if not label:
            continue
        for codec in _codecs_for(label):
            try:
                return _encode(body.decode(codec), warnings)
            except UnicodeDecodeError:
                continue
        warnings.append(f"{where} says {label!r}, which does not fit the bytes")
    guessed = _guess(body)
    if guessed:
        codec, text = guessed
        warnings.append(f"no usable charset declared; decoded as {codec} (guessed)")
        return _encode(text, warnings)
    return _recode(body, "utf-8", warnings, "nothing else")


def _recode(body: bytes, codec: str, warnings: list[str], why: str) -> bytes:
    try:
        text = body.decode(codec)
    except UnicodeDecodeError:
        text = body.decode(codec, "replace")
        warnings.append(f"bytes that are not {codec} (going by {why}) were replaced")
    return _encode(text, warnings)


def _encode(text: str, warnings: list[str]) -> bytes:
    """UTF-8 for lxml, without the two noncharacters XML forbids."""
    if "\ufffe" in text or "\uffff" in text:
        count = text.count("\ufffe") + text.count("\uffff")
        text = text.replace("\ufffe", "").replace("\uffff", "")
        warnings.append(f"removed {count} noncharacters (U+FFFE, U+FFFF) that XML does not allow")
    return text.encode("utf-8")


def _sniff_wide(body: bytes) -> str | None:
    """UTF-16/32 without a BOM, recognised by the zero bytes around the first character."""
    head = body[:4]
    if len(head) < 4 or 0 not in head:
        return None
    zeros = tuple(b == 0 for b in head)
    return {
        (True, True, True, False): "utf-32-be",
        (False, True, True, True): "utf-32-le",
        (True, False, True, False): "utf-16-be",
        (False, True, False, True): "utf-16-le",
    }.get(zeros)


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8 with a few broken sequences (a truncated body, one bad byte)."""
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return non_ascii - bad >= 20 * bad


def _http_charset(content_type: str | None) -> str | None:
    match = _HTTP_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _xml_charset(body: bytes) -> str | None:
    match = _XML_DECL_ENCODING.match(body[:1024])
    return match.group(1).decode("ascii") if match else None


def _codecs_for(label: str) -> tuple[str, ...]:
    label = label.strip().lower()
    aliased = _CODEC_ALIASES.get(label)
    if aliased:
        return aliased
    try:
        return (codecs.lookup(label).name,)
    except LookupError:
        return ()


# Characters real text seldom holds, but CJK bytes read with the wrong CJK codec often
# yield: Hangul compatibility jamo, half-width katakana, private use, CJK extension A and
# compatibility ideographs, box drawing, enclosed numbers, C1 controls.
_UNLIKELY = re.compile(
    "[\u3130-\u318f\uff61-\uff9f\ue000-\uf8ff\u3400-\u4dbf\uf900-\ufaff"
    "\u2500-\u257f\u2460-\u24ff\u0080-\u009f\ufffd]"
)


def _guess(body: bytes) -> tuple[str, str] | None:
    """The codec and text of the likeliest guess: charset_normalizer's candidates in its
    order, then common CJK and Western code pages; the first whose text holds nothing
    unlikely wins, else the one with least (statistics are weak on short documents)."""
    best: tuple[int, str, str] | None = None
    for codec in _guesses(body):
        try:
            text = body.decode(codec)
        except UnicodeDecodeError:
            continue
        unlikely = len(_UNLIKELY.findall(text))
        if best is None or unlikely < best[0]:
            best = (unlikely, codec, text)
        if unlikely == 0:
            break
    return (best[1], best[2]) if best else None


def _guesses(body: bytes) -> list[str]:
    found = [
        match.encoding
        for match in charset_normalizer.from_bytes(body)
        if match.encoding in _PLAUSIBLE_GUESSES
    ]
    if found and found[0] in _LATIN_CODEPAGES and "cp1252" in found:
        found.insert(0, "cp1252")  # undeclared single-byte Latin text is cp1252 far most often
    return found + [codec for codec in _GUESS_FALLBACKS if codec not in found]


def _drop_declaration(data: bytes) -> bytes:
    """Remove the XML declaration (it may name the old encoding) and the white space
    before it, keeping line numbers: lxml then reads the bytes as the UTF-8 they are."""
    stripped = data.lstrip()
    if not _XML_DECL.match(stripped):
        return data
    end = stripped.find(b"?>")
    if end == -1:
        return data
    if len(stripped) == len(data):  # at the very start: harmless unless it names another encoding
        declared = _XML_DECL_ENCODING.match(data[: end + 2])
        if declared is None or declared.group(1).lower() in (b"utf-8", b"utf8"):
            return data
    lines = data[: len(data) - len(stripped)].count(b"\n") + stripped[:end].count(b"\n")
    return b"\n" * lines + stripped[end + 2 :]


# ---------------------------------------------------------------------------------------
# Markup: the lxml fast path, a cheap repair, then feedparser


# Well-known namespaces and the prefixes they get in element keys (see _Dialect).
_PREFIXES = {
    "http://www.w3.org/2005/Atom": "atom",
    "http://purl.org/atom/ns#": "atom",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://search.yahoo.com/mrss/": "media",
    "http://search.yahoo.com/mrss": "media",
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://www.w3.org/1999/xhtml": "xhtml",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://purl.oclc.org/net/rss_2.0/enc#": "enc",
}


_thread = threading.local()


def _xml_parser() -> etree.XMLParser:
    """A hardened parser per thread (lxml parsers must not be shared between threads):
    no entity expansion, no DTD, no network, no huge trees."""
    parser = getattr(_thread, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_blank_text=False,
            remove_pis=True,
        )
        _thread.parser = parser
    return parser


_HTML_START = re.compile(
    rb"\s*(?:<!--.*?-->\s*|<\?.*?\?>\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TAGS = re.compile(
    rb"<(?:html|head|body|title|meta|div|p|a|span|script|br|table|h[1-6])[\s>/]", re.IGNORECASE
)
_ROOT_START = re.compile(
    rb"<(?:[A-Za-z][\w.-]*:)?(?:rss|feed|rdf|channel)(?=[\s>/])", re.IGNORECASE
)
_REPAIR_ATTEMPTS = 3
_DOCTYPE = rb"<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>"
_MARKUP_NOISE = re.compile(rb"<!--.*?-->|<\?.*?\?>|" + _DOCTYPE, re.DOTALL | re.IGNORECASE)
_DOCTYPE_DECLARATION = re.compile(_DOCTYPE, re.DOTALL | re.IGNORECASE)


def _read_markup_document(data: bytes, url: str) -> _RawFeed:
    try:
        return _read_xml(data, url)
    except etree.XMLSyntaxError as error:
        first_problem = _describe_xml_error(error)
        last_error = error
    if _HTML_START.match(data[:4096]):
        raise _html_error(data, url, "page")
    if not _ROOT_START.search(data):
        raise _not_a_feed(data, url)
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
            raw = _read_xml(repaired, url)
        except etree.XMLSyntaxError as error:
            last_error = error
            continue
        raw.warnings.append(f"not well-formed XML ({first_problem}); read after {', '.join(done)}")
        return raw
    raw = _read_loose(data, url)
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
    declaration = _XML_DECL.search(before)
    if _MARKUP_NOISE.sub(b"", before).strip():
        start = declaration.start() if declaration else root.start()
        return _drop_declaration(data[start:]), f"skipping {start} bytes before the document"
    if declaration:
        cleaned = _MARKUP_NOISE.sub(b"", before[declaration.start() :])
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
_KNOWN_NAMESPACES = {prefix.encode(): uri for uri, prefix in reversed(list(_PREFIXES.items()))}


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


_VERBATIM_SPLIT = re.compile(
    rb"(<!\[CDATA\[.*?\]\]>|" + _DOCTYPE + rb")", re.DOTALL | re.IGNORECASE
)
_AMPERSAND = re.compile(rb"&(?:#[0-9]+;|#[xX][0-9a-fA-F]+;|([A-Za-z][A-Za-z0-9]*);)?")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


def _escape_ampersands(data: bytes, error: etree.XMLSyntaxError) -> tuple[bytes, str]:
    """Bare ``&`` and HTML-only entities (``&nbsp;``), outside CDATA sections and the
    DOCTYPE (references to entities it declares are left alone: they are never expanded)."""
    if b"&" not in data:
        return data, ""
    changed = False
    doctype = _DOCTYPE_DECLARATION.search(data)
    declared = set(_ENTITY_DECLARATION.findall(doctype.group(0))) if doctype else set()

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


_ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s+([A-Za-z_][\w.-]*)")
_ENTITY_REFERENCE = re.compile(rb"&([A-Za-z_][\w.-]*);")


def _read_loose(data: bytes, url: str) -> _RawFeed:
    """feedparser's lenient parser, for documents lxml cannot read. The DOCTYPE goes
    first so that no entity it declares can be expanded."""
    doctype = _DOCTYPE_DECLARATION.search(data)
    if doctype:
        declared = set(_ENTITY_DECLARATION.findall(doctype.group(0)))
        data = data[: doctype.start()] + data[doctype.end() :]
        if declared:  # their references would otherwise stay in the text as "&name;"
            data = _ENTITY_REFERENCE.sub(
                lambda match: b"" if match.group(1) in declared else match.group(0), data
            )
    headers = {"content-type": "application/xml; charset=utf-8"}
    if url:
        headers["content-location"] = url
    try:
        result = feedparser.parse(
            io.BytesIO(data),
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers=headers,
        )
    except Exception as error:  # a crash in the third-party parser is still "cannot read"
        raise ParseError(
            f"not a feed: not well-formed XML that the lenient parser cannot read either "
            f"({type(error).__name__})"
        ) from error
    if not _fp(result, "version") and not _fp(result, "entries"):
        raise _not_a_feed(data, url)
    feed = _fp(result, "feed") or {}
    raw = _RawFeed(
        title=_plain(_fp_str(feed, "title")),
        link=_fp_str(feed, "link"),
        ttl=_fp_str(feed, "ttl"),
        author=_fp_str(feed, "author"),
    )
    for entry in _fp(result, "entries") or ():
        raw.items.append(_loose_item(entry, url))
    return raw


def _loose_item(entry: Any, url: str) -> _RawItem:
    content = None
    for part in _fp(entry, "content") or ():
        value = _fp_str(part, "value")
        if value and value.strip():
            content = _as_html(value, _fp(part, "type") == "text/plain")
            break
    summary = _fp_str(entry, "summary")
    if summary is not None:
        summary = _as_html(summary, _fp(_fp(entry, "summary_detail") or {}, "type") == "text/plain")
    images: list[str] = []
    for thumb in _fp(entry, "media_thumbnail") or ():
        _add(images, _fp_str(thumb, "url"))
    for media in _fp(entry, "media_content") or ():
        if _is_image(_fp(media, "medium"), _fp(media, "type"), _fp(media, "url")):
            _add(images, _fp_str(media, "url"))
    for link in _fp(entry, "links") or ():
        if _fp(link, "rel") == "enclosure" and _is_image(
            None, _fp(link, "type"), _fp(link, "href")
        ):
            _add(images, _fp_str(link, "href"))
    return _RawItem(
        guid=_fp_str(entry, "id"),
        link=_fp_str(entry, "link"),
        title=_plain(_fp_str(entry, "title")),
        author=_fp_str(entry, "author"),
        published=_fp_str(entry, "published") or _fp_str(entry, "created"),
        updated=_fp_str(entry, "updated"),
        content=content,
        summary=summary if summary != content else None,
        images=images,
        base=url,
    )


def _fp(mapping: Any, key: str) -> Any:
    """A value of a feedparser result, read as the plain dict it is: FeedParserDict.get
    maps old names, and answers "updated" with the published date."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def _fp_str(mapping: Any, key: str) -> str | None:
    value = _fp(mapping, key)
    return value if isinstance(value, str) else None


# ---------------------------------------------------------------------------------------
# Not a feed: say what it is


_LINK_TAG = re.compile(rb"<link\b[^>]*>", re.IGNORECASE)
_BASE_TAG = re.compile(rb"<base\b[^>]*>", re.IGNORECASE)
_TITLE_TAG = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_ATTR = re.compile(r"""([^\s"'<>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json",
     "application/rdf+xml", "application/x.atom+xml", "application/x-atom+xml"}
)  # fmt: skip


def _not_a_feed(data: bytes, url: str) -> ParseError:
    if _HTML_TAGS.search(data[:8192]):
        return _html_error(data, url, "fragment" if not _HTML_START.match(data) else "page")
    head = data.lstrip()[:200].decode("utf-8", "replace")
    if head.startswith("<"):
        if not _MARKUP_NOISE.sub(b"", data).strip():
            return ParseError("not a feed: a document with only comments in it")
        return ParseError("not a feed: markup with no rss, feed or rdf:RDF element")
    printable = sum(c.isprintable() or c.isspace() for c in head)
    if printable < len(head) * 0.9:
        return ParseError("not a feed: binary data")
    snippet = " ".join(head.split())[:40]
    return ParseError(f"not a feed: plain text ({snippet!r}...)")


def _html_error(data: bytes, url: str, kind: str) -> ParseError:
    head = data[:65536]
    title_match = _TITLE_TAG.search(head)
    title = _plain(title_match.group(1).decode("utf-8", "replace")) if title_match else ""
    what = f"an HTML {kind}" + (f" ({title[:80]!r})" if title else "")
    base = url
    base_tag = _BASE_TAG.search(head)
    if base_tag:
        base = _absolute(_attributes(base_tag.group(0)).get("href"), url) or url
    for tag in _LINK_TAG.finditer(head):
        attrs = _attributes(tag.group(0))
        rels = (attrs.get("rel") or "").lower().split()
        kind_of = (attrs.get("type") or "").strip().lower()
        if "alternate" in rels and kind_of in _FEED_TYPES:
            feed_url = _absolute(attrs.get("href"), base)
            if feed_url:
                return ParseError(
                    f"not a feed: {what}; it links to a feed at {feed_url}", feed_url=feed_url
                )
    return ParseError(f"not a feed: {what}")


def _attributes(tag: bytes | str) -> dict[str, str]:
    text = tag.decode("utf-8", "replace") if isinstance(tag, bytes) else tag
    attrs: dict[str, str] = {}
    for name, double, single, bare in _ATTR.findall(text):
        attrs.setdefault(name.lower(), html.unescape(double or single or bare))
    return attrs


# ---------------------------------------------------------------------------------------
# XML: one table per dialect, one reader for both


_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


@dataclass(frozen=True, slots=True)
class _Dialect:
    """How one XML feed family names things. Keys are lower-case local names for the
    dialect's own namespaces and ``prefix:name`` for the well-known others."""

    own: frozenset[str]  # namespaces whose elements get bare keys
    item: str
    text_by_default: bool  # untyped content is plain text (Atom) rather than HTML (RSS)
    feed: dict[str, tuple[str, ...]]  # _RawFeed field -> keys, best first
    fields: dict[str, tuple[str, ...]]  # _RawItem field -> keys, best first


_RSS_NAMESPACES = frozenset(
    {"", "http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/",
     "http://channel.netscape.com/rdf/simple/0.9/", "http://backend.userland.com/rss2",
     "http://backend.userland.com/RSS2", "http://purl.org/net/rss1.1#"}
)  # fmt: skip
_RSS = _Dialect(
    own=_RSS_NAMESPACES,
    item="item",
    text_by_default=False,
    feed={
        "title": ("title", "dc:title", "atom:title"),
        "link": ("link", "atom:link"),
        "ttl": ("ttl",),
    },
    fields={
        "guid": ("guid", "atom:id"),
        "link": ("link", "atom:link"),
        "title": ("title", "dc:title", "atom:title"),
        "author": ("author", "dc:creator", "atom:author", "itunes:author"),
        "published": ("pubdate", "dc:date", "atom:published", "dcterms:issued", "dcterms:created"),
        "updated": ("atom:updated", "dcterms:modified"),
        "content": ("content:encoded", "atom:content", "xhtml:body", "xhtml:div"),
        "summary": ("description", "atom:summary", "dc:description", "itunes:summary"),
    },
)
_ATOM = _Dialect(
    own=frozenset({"", "http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#"}),
    item="entry",
    text_by_default=True,
    feed={"title": ("title",), "link": ("link",), "author": ("author",)},
    fields={
        "guid": ("id",),
        "link": ("link",),
        "title": ("title", "dc:title"),
        "author": ("author", "dc:creator"),
        "published": ("published", "issued", "created", "dc:date"),
        "updated": ("updated", "modified", "dcterms:modified"),
        "content": ("content",),
        "summary": ("summary", "media:description"),
    },
)
_HTML_ROOTS = frozenset({"html", "head", "body", "title", "div", "p", "span", "table", "a"})
_ROOTS = {"rss": _RSS, "rdf": _RSS, "channel": _RSS, "feed": _ATOM}
_Found = dict[str, list[Any]]


def _read_xml(data: bytes, url: str) -> _RawFeed:
    root = etree.fromstring(data, _xml_parser(), base_url=url or None)
    name = _local(root.tag).lower()
    dialect = _ROOTS.get(name)
    if dialect is None:
        if name in _HTML_ROOTS:
            raise _html_error(data, url, "page" if name == "html" else "fragment")
        what = "an OPML subscription list" if name == "opml" else f"XML whose root is <{name}>"
        raise ParseError(f"not a feed: {what}")
    key_of = _key_function(dialect.own)
    top = _index(root, key_of)
    channel = top["channel"][0] if name != "channel" and "channel" in top else root
    found = top if channel is root else _index(channel, key_of)
    readers = _readers(dialect)
    raw = _RawFeed(**{key: readers[key](_pick(found, keys)) for key, keys in dialect.feed.items()})
    has_xml_base = b"xml:base" in data
    feed_base = _absolute(raw.link, url) or url
    elements = top.get(dialect.item, [])  # RSS 1.0 keeps its items beside the channel
    if channel is not root:
        elements = elements + found.get(dialect.item, [])
    fields = dialect.fields.items()
    for element in elements:
        item_found = _index(element, key_of)
        item = _RawItem(**{key: readers[key](_pick(item_found, keys)) for key, keys in fields})
        item.base = _base_of(element, feed_base) if has_xml_base else feed_base
        item.images = _xml_images(item_found)
        if item.link is None and item.guid and item.guid.startswith(("http://", "https://")):
            guid = item_found["guid"][0] if "guid" in item_found else None
            if guid is not None and (guid.get("isPermaLink") or "true").lower() != "false":
                item.link = item.guid
        raw.items.append(item)
    return raw


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _key_function(own: frozenset[str]) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def key_of(tag: str) -> str:
        key = cache.get(tag)
        if key is None:
            namespace, _, local = tag[1:].partition("}") if tag[:1] == "{" else ("", "", tag)
            if namespace in own:
                key = local.lower()
            else:
                prefix = _PREFIXES.get(namespace)
                key = f"{prefix}:{local.lower()}" if prefix else f"{{{namespace}}}{local}"
            cache[tag] = key
        return key

    return key_of


def _index(element: Any, key_of: Callable[[str], str]) -> _Found:
    """The element's children by key, in document order (media:group is see-through)."""
    found: _Found = {}
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        key = key_of(tag)
        if key == "media:group":
            for key_in, children in _index(child, key_of).items():
                found.setdefault(key_in, []).extend(children)
            continue
        same = found.get(key)
        if same is None:
            found[key] = [child]
        else:
            same.append(child)
    return found


def _pick(found: _Found, keys: tuple[str, ...]) -> list[Any]:
    """The elements under any of ``keys``, best key first."""
    picked: list[Any] | None = None
    for key in keys:
        elements = found.get(key)
        if elements is not None:
            picked = elements if picked is None else picked + elements
    return picked or []


def _base_of(element: Any, fallback: str) -> str:
    node = element
    while node is not None:
        if node.get(_XML_BASE) is not None:
            return element.base or fallback
        node = node.getparent()
    return fallback


_Reader = Callable[[list[Any]], str | None]


def _readers(dialect: _Dialect) -> dict[str, _Reader]:
    def markup(elements: list[Any]) -> str | None:
        return _read_markup_value(elements, dialect.text_by_default)

    def title(elements: list[Any]) -> str:
        return _plain(_read_markup_value(elements, False))

    return {
        "guid": _read_text,
        "link": _read_link,
        "title": title,
        "author": _read_person,
        "published": _read_text,
        "updated": _read_text,
        "content": markup,
        "summary": markup,
        "ttl": _read_text,
    }


def _read_text(elements: list[Any]) -> str | None:
    for element in elements:
        value = _value(element).strip()
        if value:
            return value
    return None


def _read_link(elements: list[Any]) -> str | None:
    for element in elements:
        href = element.get("href")
        if href is None:
            value = _value(element).strip()
            if value:
                return value
        elif (element.get("rel") or "alternate").strip().lower() in (
            "alternate",
            "http://www.iana.org/assignments/relation/alternate",
        ) and href.strip():
            return href.strip()
    return None


def _read_person(elements: list[Any]) -> str | None:
    for element in elements:
        if len(element):
            for child in element:
                if isinstance(child.tag, str) and _local(child.tag).lower() == "name":
                    name = _value(child).strip()
                    if name:
                        return name
        value = (element.text or "").strip()
        if value:
            return value
    return None


_TEXT_TYPES = frozenset({"text", "text/plain", "plain"})
_XHTML_TYPES = frozenset({"xhtml", "application/xhtml+xml"})


def _read_markup_value(elements: list[Any], text_by_default: bool) -> str | None:
    """The HTML of a content/summary/description element, as the document gives it."""
    for element in elements:
        if not element.attrib:  # the common case: an RSS description or content:encoded
            value = _value(element)
            if value.strip():
                return _as_html(value, text_by_default)
            continue
        kind = (element.get("type") or "").strip().lower()
        mode = (element.get("mode") or "").strip().lower()
        if element.get("src") is not None and not len(element) and not element.text:
            continue  # Atom out-of-line content: nothing here
        if kind in _XHTML_TYPES or mode == "xml":
            value = _xhtml_value(element)
        else:
            value = _value(element)
            if mode == "base64":
                try:
                    value = base64.b64decode(value).decode("utf-8", "replace")
                except ValueError:
                    continue
        if not value.strip():
            continue
        plain = kind in _TEXT_TYPES or (text_by_default and not kind)
        return _as_html(value, plain)
    return None


def _value(element: Any) -> str:
    """An element's value: its text (a CDATA section comes out exactly), entity references
    in it replaced by the character only when HTML defines the name (never expanded from a
    DTD), and child elements -- HTML put into the feed unescaped -- serialised back."""
    if not len(element):
        return element.text or ""
    if all(isinstance(child, etree._Entity) for child in element):
        parts = [element.text or ""]
        for child in element:
            parts.append(_HTML5_ENTITIES.get(child.name + ";", ""))
            parts.append(child.tail or "")
        return "".join(parts)
    return _serialise_children(element)


def _xhtml_value(element: Any) -> str:
    """Atom type="xhtml": the children of the wrapping div, without namespaces."""
    container = element
    children = [child for child in element if isinstance(child.tag, str)]
    if len(children) == 1 and _local(children[0].tag).lower() == "div":
        container = children[0]
    return _serialise_children(container)


def _serialise_children(element: Any) -> str:
    parts = [html.escape(element.text or "", quote=False)]
    for child in element:
        if isinstance(child, etree._Entity):
            char = _HTML5_ENTITIES.get(child.name + ";", "")
            parts.append(html.escape(char + (child.tail or ""), quote=False))
            continue
        clone = copy.deepcopy(child)
        for node in list(clone.iter()):
            if isinstance(node, etree._Entity):
                _replace_entity(node)
            elif isinstance(node.tag, str) and node.tag[:1] == "{":
                node.tag = _local(node.tag)
        etree.cleanup_namespaces(clone)
        parts.append(etree.tostring(clone, encoding="unicode", with_tail=True))
    return "".join(parts)


def _replace_entity(node: Any) -> None:
    """Put an entity reference's HTML character (or nothing) in its place."""
    text = _HTML5_ENTITIES.get(node.name + ";", "") + (node.tail or "")
    parent = node.getparent()
    previous = node.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    elif parent is not None:
        parent.text = (parent.text or "") + text
    if parent is not None:
        parent.remove(node)


def _xml_images(found: _Found) -> list[str]:
    images: list[str] = []
    for element in found.get("media:thumbnail", ()):
        _add(images, element.get("url"))
    for element in found.get("media:content", ()):
        if _is_image(element.get("medium"), element.get("type"), element.get("url")):
            _add(images, element.get("url"))
    for element in found.get("enclosure", ()):
        if _is_image(None, element.get("type"), element.get("url")):
            _add(images, element.get("url"))
    for element in found.get("enc:enclosure", ()):
        url = element.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}resource")
        if _is_image(None, element.get("{http://purl.oclc.org/net/rss_2.0/enc#}type"), url):
            _add(images, url)
    for element in found.get("link", []) + found.get("atom:link", []):
        if element.get("rel") == "enclosure" and _is_image(
            None, element.get("type"), element.get("href")
        ):
            _add(images, element.get("href"))
    return images


_IMAGE_EXTENSION = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|bmp)$", re.IGNORECASE)


def _is_image(medium: object, kind: object, url: object) -> bool:
    if medium == "image" or (isinstance(kind, str) and kind.lower().startswith("image/")):
        return True
    if medium or kind or not isinstance(url, str):
        return False
    return bool(_IMAGE_EXTENSION.search(url.split("?", 1)[0].split("#", 1)[0]))


def _add(images: list[str], url: str | None) -> None:
    if url and url.strip() and not url.strip().lower().startswith("data:"):
        images.append(url.strip())


# ---------------------------------------------------------------------------------------
# JSON Feed


def _read_json(data: bytes) -> _RawFeed:
    try:
        document = json.loads(data)
    except RecursionError as error:
        raise ParseError("not a feed: JSON nested too deeply") from error
    except ValueError as error:
        what = "JSON Feed" if b"jsonfeed.org/version" in data[:4096] else "JSON"
        detail = (
            f"line {error.lineno} column {error.colno}: {error.msg}"
            if isinstance(error, json.JSONDecodeError)
            else str(error)
        )
        raise ParseError(f"not a feed: malformed {what} ({detail})") from error
    if not isinstance(document, dict):
        raise ParseError("not a feed: JSON that is not a JSON Feed")
    rss = document.get("rss")
    if isinstance(rss, dict) and isinstance(rss.get("channel"), dict):
        return _read_rss_in_json(rss["channel"])
    if not _is_json_feed(document):
        raise ParseError("not a feed: JSON that is not a JSON Feed")
    raw = _RawFeed(
        title=_plain(_json_str(document.get("title"))),
        link=_json_str(document.get("home_page_url")),
        author=_json_author(document),
    )
    skipped = 0
    for item in document.get("items") or ():
        if isinstance(item, dict):
            raw.items.append(_json_item(item))
        else:
            skipped += 1
    if skipped:
        raw.warnings.append(f"skipped {skipped} items that are not JSON objects")
    return raw


_RSS_IN_JSON_FIELDS = {
    "guid": ("guid",),
    "link": ("link",),
    "title": ("title",),
    "author": ("author", "dc:creator"),
    "published": ("pubDate", "dc:date"),
    "content": ("content:encoded",),
    "summary": ("description",),
}


def _read_rss_in_json(channel: dict[str, Any]) -> _RawFeed:
    """Dave Winer's RSS-in-JSON (scripting.com): RSS 2.0 element names as JSON keys."""
    raw = _RawFeed(
        title=_plain(_json_str(channel.get("title"))),
        link=_json_str(channel.get("link")),
        ttl=_json_str(channel.get("ttl")),
    )
    items = channel.get("item")
    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, dict):
            continue
        values = {
            name: next((v for key in keys if (v := _json_str(item.get(key)))), None)
            for name, keys in _RSS_IN_JSON_FIELDS.items()
        }
        images: list[str] = []
        enclosure = item.get("enclosure")
        if isinstance(enclosure, dict) and _is_image(
            None, enclosure.get("type"), enclosure.get("url")
        ):
            _add(images, _json_str(enclosure.get("url")))
        raw.items.append(
            _RawItem(
                guid=values["guid"],
                link=values["link"],
                title=_plain(values["title"]),
                author=values["author"],
                published=values["published"],
                content=values["content"],
                summary=values["summary"],
                images=images,
            )
        )
    return raw


def _is_json_feed(document: dict[str, Any]) -> bool:
    version = document.get("version")
    if isinstance(version, str) and "jsonfeed.org/version" in version:
        return True
    return isinstance(document.get("items"), list) and "title" in document


def _json_item(item: dict[str, Any]) -> _RawItem:
    content = _json_str(item.get("content_html"))
    if not (content and content.strip()):
        text = _json_str(item.get("content_text"))
        content = _text_to_html(text) if text and text.strip() else None
    summary = _json_str(item.get("summary"))
    images: list[str] = []
    for key in ("image", "banner_image"):
        _add(images, _json_str(item.get(key)))
    for attachment in item.get("attachments") or ():
        if isinstance(attachment, dict) and _is_image(
            None, attachment.get("mime_type"), attachment.get("url")
        ):
            _add(images, _json_str(attachment.get("url")))
    identifier = item.get("id")
    if isinstance(identifier, int | float) and not isinstance(identifier, bool):
        identifier = str(identifier)
    return _RawItem(
        guid=_json_str(identifier),
        link=_json_str(item.get("url")) or _json_str(item.get("external_url")),
        title=_plain(_json_str(item.get("title"))),
        author=_json_author(item),
        published=_json_str(item.get("date_published")),
        updated=_json_str(item.get("date_modified")),
        content=content,
        summary=_text_to_html(summary) if summary and summary.strip() else None,
        images=images,
    )


def _json_author(holder: dict[str, Any]) -> str | None:
    authors = holder.get("authors")
    candidates = authors if isinstance(authors, list) else [holder.get("author")]
    for author in candidates:
        if isinstance(author, dict):
            name = _json_str(author.get("name"))
            if name:
                return name
    return None


def _json_str(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


# ---------------------------------------------------------------------------------------
# Text helpers


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


def _plain(value: str | None) -> str:
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


def _as_html(value: str, plain: bool) -> str:
    """HTML for a value: as given, or escaped into paragraphs when it is said to be plain
    text and does not look like HTML (feeds mislabel HTML as text far more often than
    they put literal tags in text)."""
    if not plain or _LOOKS_HTML.search(value):
        return value
    return _text_to_html(value)


def _text_to_html(value: str) -> str:
    paragraphs = (part.strip() for part in _PARAGRAPH_BREAK.split(value.strip()))
    return "".join(
        "<p>" + html.escape(part, quote=False).replace("\n", "<br>\n") + "</p>"
        for part in paragraphs
        if part
    )


def _absolute(value: str | None, base: str) -> str | None:
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


def _first_image(markup: str | None) -> str | None:
    """The first <img> worth a thumbnail: a real (not data:) source, not a 1-pixel one."""
    if not markup:
        return None
    start = markup.find("<img")  # where lower case is used, an upper-case one earlier is rare
    if start == -1:
        start = 0
    for tag in _IMG_TAG.finditer(markup, start):
        attrs = _attributes(tag.group(0))
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


_AUTHOR_IN_PARENS = re.compile(r"^\S+@\S+\s*\((.+)\)$")
_AUTHOR_BEFORE_ADDRESS = re.compile(r"^(.+?)\s*<\S+@\S+>$")


def _author(value: str | None) -> str | None:
    if not value:
        return None
    value = _ASCII_SPACE.sub(" ", value.translate(_CONTROLS)).strip()
    match = _AUTHOR_IN_PARENS.match(value) or _AUTHOR_BEFORE_ADDRESS.match(value)
    if match:
        value = match.group(1).strip()
    return value or None


# ---------------------------------------------------------------------------------------
# Dates


_MONTHS = {  # English, and the abbreviations of Portuguese, Spanish, French and German feeds
    name: number
    for number, names in enumerate(
        ("jan ene janv", "feb fev fév févr", "mar mär mrz mars", "apr abr avr", "may mai",
         "jun juin", "jul juil", "aug ago aoû août", "sep set sept", "oct out okt", "nov",
         "dec dic dez déc"),
        1,
    )
    for name in names.split()
}  # fmt: skip
_ZONES = {  # minutes east of UTC
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "est": -300, "edt": -240, "cst": -360,
    "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420, "bst": 60,
    "cet": 60, "cest": 120, "met": 60, "mest": 120, "eet": 120, "eest": 180,
    "msk": 180, "ist": 330, "hkt": 480, "sgt": 480, "awst": 480, "jst": 540,
    "kst": 540, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
}  # fmt: skip
_ZONE_TOKEN = re.compile(r"([A-Za-z]*)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?")
_TZ = r"(?P<tz>Z|[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5}(?:\s*[+-]\d{1,2}(?::?\d{2})?)?)"
_TIME = (
    r"(?P<H>\d{1,2})\s*[:时時点點]\s*(?P<M>\d{1,2})"
    r"(?:\s*[:分]\s*(?P<S>\d{1,2})(?:[.,]\d+)?\s*秒?)?\s*分?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
)
_DATE_FORMATS = (
    # RFC 822 and its broken variants: "Thu, 01 Apr 2021 00:12:07 GMT", "1 April 2021 8:12"
    re.compile(
        r"(?:[^\W\d_]+\.?\s*,?\s*)?"
        r"(?:(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s-]*(?P<m>[^\W\d_]{3,9})\.?"
        r"|(?P<m2>[^\W\d_]{3,9})\.?\s*(?P<d2>\d{1,2})(?:st|nd|rd|th)?)"
        r"[\s,-]+(?P<y>\d{4}|\d{2})"
        rf"(?:[\sT,]+{_TIME})?\s*{_TZ}?\s*(?:\([^)]*\))?$"
    ),
    # ISO 8601 / W3CDTF, and the numeric forms of Chinese sites: "2021年04月01日 08:12"
    re.compile(
        r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
        rf"(?:[T\s]*(?P<cn>上午|下午)?\s*{_TIME})?\s*{_TZ}?\s*(?:\([^)]*\))?$"
    ),
    # ISO 8601 basic format: "20210401T081207Z"
    re.compile(
        r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})T(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?(?:[.,]\d+)?"
        rf"\s*{_TZ}?$"
    ),
    # asctime and Java's Date.toString(): "Thu Apr 01 08:12:07 CST 2021"
    re.compile(
        r"[A-Za-z]{3,9},?\s+(?P<m>[A-Za-z]{3,9})\s+(?P<d>\d{1,2})\s+"
        rf"{_TIME}\s+(?:{_TZ}\s+)?(?P<y>\d{{4}})$"
    ),
)
_JAVA_FORMAT = _DATE_FORMATS[-1]
_EPOCH = re.compile(r"\d{10}(?:\d{3})?$")
# What nearly every RSS feed writes (RSSHub included), read without the general patterns.
_RFC822_CANONICAL = re.compile(
    r"[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (GMT|[+-]\d{4})$"
)


def parse_date(value: str | None, default_tz: tzinfo = UTC) -> datetime | None:
    """An aware UTC datetime from a feed's date string, or None when it cannot be read.

    Dates that name no zone are taken to be in ``default_tz``.
    """
    if not value:
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    canonical = _RFC822_CANONICAL.match(text)
    if canonical:
        day, month, year, hour, minute, second, zone = canonical.groups()
        number = _MONTHS.get(month.lower())
        if number is not None:
            offset = (
                0
                if zone == "GMT"
                else (int(zone[1:3]) * 60 + int(zone[3:])) * (-1 if zone[0] == "-" else 1)
            )
            try:
                moment = datetime(int(year), number, int(day), int(hour), int(minute),
                                  min(int(second), 59), tzinfo=UTC)  # fmt: skip
                return moment - timedelta(minutes=offset)
            except (ValueError, OverflowError):
                pass
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, UTC)
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            found = _date_from_match(match, default_tz, java=pattern is _JAVA_FORMAT)
            if found is not None:
                return found
    return _feedparser_date(text)


def _date_from_match(match: re.Match[str], default_tz: tzinfo, *, java: bool) -> datetime | None:
    groups = match.groupdict()
    month_text = groups.get("m2") or groups["m"]
    day = groups.get("d2") or groups["d"]
    if month_text.isdigit():
        month = int(month_text)
    else:
        lowered = month_text.lower()
        found_month = _MONTHS.get(lowered[:4]) or _MONTHS.get(lowered[:3])
        if found_month is None:
            return None
        month = found_month
    year = int(groups["y"])
    if len(groups["y"]) == 2:
        year += 2000 if year < 50 else 1900
    hour = int(groups["H"] or 0)
    ampm = (groups.get("ampm") or "").lower()[:1]
    if (ampm == "p" or groups.get("cn") == "下午") and hour < 12:
        hour += 12
    elif ampm == "a" and hour == 12:
        hour = 0
    zone_text = groups.get("tz")
    if java and zone_text == "CST":  # Java's toString() on servers in China
        zone_text = "+0800"
    zone = _zone(zone_text, default_tz)
    if zone is None:
        return None
    try:
        moment = datetime(
            year, month, int(day), hour, int(groups["M"] or 0), min(int(groups["S"] or 0), 59),
            tzinfo=zone,
        )  # fmt: skip
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _zone(token: str | None, default_tz: tzinfo) -> tzinfo | None:
    if not token:
        return default_tz
    match = _ZONE_TOKEN.fullmatch(token.strip())
    if match is None:
        return None
    name, sign, hours, minutes = match.groups()
    offset = 0
    if name:
        known = _ZONES.get(name.lower())
        if known is None:
            return None
        offset = known
    if sign:
        delta = int(hours) * 60 + int(minutes or 0)
        offset += delta if sign == "+" else -delta
    if abs(offset) >= 24 * 60:
        return None
    return UTC if offset == 0 else timezone(timedelta(minutes=offset))


def _feedparser_date(text: str) -> datetime | None:
    try:
        parsed = _feedparser_parse_date(text)
        if not parsed:
            return None
        return datetime(*parsed[:6], tzinfo=UTC)
    except Exception:  # the third-party registry: any failure means "unreadable"
        return None


# ---------------------------------------------------------------------------------------
# The adapter: raw items -> Entry


def _adapt(raw: _RawFeed, url: str, default_tz: tzinfo) -> ParsedFeed:
    feed_link = _absolute(raw.link, url)
    entries: dict[str, Entry] = {}
    seen: set[tuple[str, str | None, str, str]] = set()
    empty = duplicates = renamed = 0
    for item in raw.items:
        entry = _entry(item, raw.author, feed_link or url, default_tz)
        if entry is None:
            empty += 1
            continue
        signature = (entry.id, entry.link, entry.title, entry.content)
        if signature in seen:
            duplicates += 1
            continue
        seen.add(signature)
        if entry.id in entries:
            entry = dataclasses.replace(entry, id=_unused_id(entry, entries))
            renamed += 1
        entries[entry.id] = entry
    warnings = list(raw.warnings)
    warnings += _counted(
        (empty, "items with no title, link, id or content skipped"),
        (duplicates, "repeated items dropped"),
        (renamed, "items that repeat another item's id given ids of their own"),
    )
    return ParsedFeed(
        title=raw.title or None,
        link=feed_link,
        entries=tuple(entries.values()),
        warnings=tuple(warnings),
        ttl_minutes=_ttl(raw.ttl),
    )


def _entry(item: _RawItem, feed_author: str | None, base: str, default_tz: tzinfo) -> Entry | None:
    base = item.base or base
    link = _absolute(item.link, base)
    guid = item.guid.strip() if item.guid else None
    content = item.content if item.content is not None else item.summary
    if not (item.title or link or guid or (content and content.strip())):
        return None
    updated = parse_date(item.updated, default_tz)
    return Entry(
        id=guid or link or _hash_id(item, content),
        link=link,
        title=item.title,
        author=_author(item.author) or _author(feed_author),
        published=parse_date(item.published, default_tz) or updated,
        updated=updated,
        content=content or "",
        thumbnail=_thumbnail(item, content, base),
    )


def _thumbnail(item: _RawItem, content: str | None, base: str) -> str | None:
    for candidate in item.images:
        url = _absolute(candidate, base)
        if url:
            return url
    url = _absolute(_first_image(content), base)
    if url is None and item.summary is not content:
        url = _absolute(_first_image(item.summary), base)
    return url


def _hash_id(item: _RawItem, content: str | None) -> str:
    basis = f"{item.title}\n{item.published or item.updated or ''}"
    if not item.title and not (item.published or item.updated):
        basis += "\n" + (content or "")
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()


def _unused_id(entry: Entry, taken: dict[str, Entry]) -> str:
    """An id for an item whose id another item of the feed already has: its link, else a
    hash of what it holds (deterministic, so the same document gives the same ids)."""
    if entry.link and entry.link not in taken:
        return entry.link
    basis = f"{entry.id}\n{entry.title}\n{entry.link}\n{entry.content}"
    candidate = hashlib.sha1(basis.encode("utf-8")).hexdigest()
    number = 1
    while candidate in taken:
        number += 1
        candidate = hashlib.sha1(f"{basis}\n{number}".encode()).hexdigest()
    return candidate


def _counted(*counts: tuple[int, str]) -> Iterable[str]:
    return (f"{count} {what}" for count, what in counts if count)


def _ttl(value: str | None) -> int | None:
    match = re.match(r"\s*(\d{1,9})\s*$", value or "")
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None
