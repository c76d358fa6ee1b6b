"""Well-formed XML feeds with a hardened parser: one table per dialect (RSS 0.9x/1.0/2.0,
Atom 0.3/1.0), one reader for both. Documents that are not well-formed go through
``repair`` first."""

from __future__ import annotations

import base64
import copy
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass
from html.entities import html5 as _HTML5_ENTITIES
from typing import Any

from lxml import etree

from .errors import ParseError
from .raw import RawFeed, RawItem
from .sniff import (
    html_error,
)
from .text import absolute, add, as_html, is_image, plain

# ---------------------------------------------------------------------------------------
# The hardened parser


# Well-known namespaces and the prefixes they get in element keys (see _Dialect).
PREFIXES = {
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
    "http://purl.org/rss/1.0/modules/syndication/": "sy",
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


# ---------------------------------------------------------------------------------------
# One table per dialect, one reader for both


_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


@dataclass(frozen=True, slots=True)
class _Dialect:
    """How one XML feed family names things. Keys are lower-case local names for the
    dialect's own namespaces and ``prefix:name`` for the well-known others."""

    own: frozenset[str]  # namespaces whose elements get bare keys
    item: str
    text_by_default: bool  # untyped content is plain text (Atom) rather than HTML (RSS)
    feed: dict[str, tuple[str, ...]]  # RawFeed field -> keys, best first
    fields: dict[str, tuple[str, ...]]  # RawItem field -> keys, best first


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
        "update_period": ("sy:updateperiod",),
        "update_frequency": ("sy:updatefrequency",),
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


def read_xml(data: bytes, url: str) -> RawFeed:
    root = etree.fromstring(data, _xml_parser(), base_url=url or None)  # type: ignore[arg-type]
    name = _local(root.tag).lower()
    dialect = _ROOTS.get(name)
    if dialect is None:
        if name in _HTML_ROOTS:
            raise html_error(data, url, "page" if name == "html" else "fragment")
        what = "an OPML subscription list" if name == "opml" else f"XML whose root is <{name}>"
        raise ParseError(f"not a feed: {what}")
    key_of = _key_function(dialect.own)
    top = _index(root, key_of)
    channel = top["channel"][0] if name != "channel" and "channel" in top else root
    found = top if channel is root else _index(channel, key_of)
    readers = _readers(dialect)
    raw = RawFeed()
    for key, keys in dialect.feed.items():
        setattr(raw, key, readers[key](_pick(found, keys)))
    has_xml_base = b"xml:base" in data
    feed_base = absolute(raw.link, url) or url
    elements = top.get(dialect.item, [])  # RSS 1.0 keeps its items beside the channel
    if channel is not root:
        elements = elements + found.get(dialect.item, [])
    fields = dialect.fields.items()
    for element in elements:
        item_found = _index(element, key_of)
        item = RawItem()
        for key, keys in fields:
            setattr(item, key, readers[key](_pick(item_found, keys)))
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
                prefix = PREFIXES.get(namespace)
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
        return plain(_read_markup_value(elements, False))

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
        "update_period": _read_text,
        "update_frequency": _read_text,
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
            return str(href).strip()
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
                return as_html(value, text_by_default)
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
        return as_html(value, plain)
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
        add(images, element.get("url"))
    for element in found.get("media:content", ()):
        if is_image(element.get("medium"), element.get("type"), element.get("url")):
            add(images, element.get("url"))
    for element in found.get("enclosure", ()):
        if is_image(None, element.get("type"), element.get("url")):
            add(images, element.get("url"))
    for element in found.get("enc:enclosure", ()):
        url = element.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}resource")
        if is_image(None, element.get("{http://purl.oclc.org/net/rss_2.0/enc#}type"), url):
            add(images, url)
    for element in found.get("link", []) + found.get("atom:link", []):
        if element.get("rel") == "enclosure" and is_image(
            None, element.get("type"), element.get("href")
        ):
            add(images, element.get("href"))
    return images
