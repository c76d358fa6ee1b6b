"""Bytes -> UTF-8: recognise what is not text at all (images, archives), decide the encoding
(BOM, valid UTF-8, HTTP charset, XML declaration, a guess), drop characters XML 1.0 forbids
and the now-wrong XML declaration."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from .errors import ParseError

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
XML_DECL = re.compile(rb"<\?xml[\s?]")
# C0 controls XML 1.0 forbids (all but tab, newline, carriage return); safe to delete from
# UTF-8 bytes, where they never occur inside a multi-byte sequence.
_FORBIDDEN_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def to_utf8(body: bytes, content_type: str | None, warnings: list[str]) -> bytes:
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
    return drop_declaration(data)


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
    zeros = (head[0] == 0, head[1] == 0, head[2] == 0, head[3] == 0)
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


def http_charset(content_type: str | None) -> str | None:
    """The Python codec for the charset a Content-Type names (GBK read as GB18030, as
    browsers do), or None when it names none this Python knows."""
    label = _http_charset(content_type)
    codecs_ = _codecs_for(label) if label else ()
    return codecs_[0] if codecs_ else None


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


def drop_declaration(data: bytes) -> bytes:
    """Remove the XML declaration (it may name the old encoding) and the white space
    before it, keeping line numbers: lxml then reads the bytes as the UTF-8 they are."""
    stripped = data.lstrip()
    if not XML_DECL.match(stripped):
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
