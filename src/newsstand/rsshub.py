"""RSSHub's conventions that several stages share: its access parameters are secrets."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urlsplit

ACCESS_PARAMS = ("key", "code")  # RSSHub's access parameters: sent, never shown or kept


def public_url(url: str, private: Collection[str] = ACCESS_PARAMS) -> str:
    """``url`` without the query parameters named in ``private`` (the rest kept as written)."""
    base, mark, query = url.partition("?")
    if not mark:
        return url
    query, hash_, fragment = query.partition("#")
    kept = [p for p in query.split("&") if unquote_plus(p.partition("=")[0]) not in private]
    return base + ("?" + "&".join(kept) if kept else "") + hash_ + fragment


def secrets_in(urls: Iterable[str], private: Collection[str] = ACCESS_PARAMS) -> set[str]:
    """The values of the ``private`` query parameters of ``urls``."""
    return {value for url in urls for name, value in parse_qsl(urlsplit(url).query)
            if name in private and value}


def secret_forms(secret: str) -> set[str]:
    """How a secret may be written in a URL or a message: as is, and percent-encoded."""
    return {secret, quote(secret, safe=""), quote_plus(secret)}
