"""An article page's bytes -> the article: its paragraphs as HTML, without the page's
navigation, ads, related links or comments (trafilatura).

Pure and picklable: the full-text pass runs it in the run's worker processes. Its HTML
still goes through ``clean`` afterwards, like any content.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import trafilatura

from .parse.decode import http_charset

MIN_TEXT = 140  # characters of plain text: less is a page that gave no article
_TAG = re.compile(r"<[^>]*>")
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
_EMPTY = re.compile(r"<(p|div|td|tr|table|span)\b[^>]*>\s*</\1>", re.I)


@dataclass(frozen=True, slots=True)
class Article:
    """What extraction found on a page."""

    html: str  # the article's paragraphs (not yet sanitised); "" when none was found
    text_length: int  # characters of plain text in it


def plain_length(content: str) -> int:
    """Characters of text in an HTML fragment (white space collapsed)."""
    return len(" ".join(html.unescape(_TAG.sub(" ", content)).split()))


def decoded(body: bytes, content_type: str | None) -> str | bytes:
    """The page as text when the server named its charset; else the bytes, for
    trafilatura to decode from the page's own <meta charset> or a guess."""
    charset = http_charset(content_type)
    if charset:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return body


def extract_text(body: bytes, url: str | None, content_type: str | None = None) -> str:
    """The article's plain text (what the extraction benchmarks score)."""
    return (
        trafilatura.extract(
            decoded(body, content_type), url=url, include_comments=False, include_tables=True
        )
        or ""
    )


def extract_article(body: bytes, url: str | None, content_type: str | None = None) -> Article:
    """The article on the page at ``url``, as HTML with its images and links."""
    found = trafilatura.extract(
        decoded(body, content_type),
        url=url,
        output_format="html",
        include_comments=False,
        include_tables=True,
        include_images=True,
        include_links=True,
    )
    if not found:
        return Article("", 0)
    match = _BODY.search(found)
    inner = (match.group(1) if match else found).strip()
    previous = None
    while previous != inner:  # layout tables left empty once their text was taken
        previous, inner = inner, _EMPTY.sub("", inner)
    return Article(inner, plain_length(inner))
