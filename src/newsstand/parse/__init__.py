"""Feed documents (bytes) in, a ParsedFeed of normalised Entry values out.

A document meets four layers, in this order:

1. *Bytes to trusted UTF-8* (``decode.to_utf8``): recognise what is not text at all
   (images, archives), decide the encoding (BOM, valid UTF-8, HTTP charset, XML
   declaration, a guess), drop characters XML 1.0 forbids and the now-wrong XML declaration.
2. *Readers* turn one format into the format-neutral raw shape (``raw.RawFeed`` of
   ``raw.RawItem``): ``xml`` reads RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 with a hardened lxml
   parser, driven by one table per dialect (``_RSS``, ``_ATOM``); ``jsonfeed`` reads JSON
   Feed; ``loose`` asks feedparser's lenient parser about documents that are not
   well-formed XML, after a cheap repair (in ``xml``) has failed to make them so.
3. *The adapter* (``adapt.adapt``) makes Entry values from raw items: dates in UTC
   (``dates``), absolute links, stable ids, a thumbnail (``text``).
4. Anything that is not a feed raises ParseError with one line saying what it is instead
   (``sniff``).

The item HTML is kept exactly as the document gives it: sanitising and URL rewriting are
the clean stage's job. parse does no I/O: entities are never expanded, DTDs never loaded,
nothing is fetched.
"""

from __future__ import annotations

from datetime import UTC, tzinfo

from ..model import ParsedFeed
from .adapt import adapt
from .dates import parse_date
from .decode import to_utf8
from .errors import ParseError
from .jsonfeed import read_json
from .repair import read_markup_document

__all__ = ["ParseError", "parse", "parse_date"]


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
    data = to_utf8(body, content_type, warnings)
    start = data.lstrip()[:1]
    raw = read_json(data) if start in (b"{", b"[") else read_markup_document(data, url)
    raw.warnings[:0] = warnings
    return adapt(raw, url, default_tz)
