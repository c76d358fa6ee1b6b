"""RSSHub's conventions, shared by the config, fetch, the catalog and OPML: how a route is
written, its common parameters, the access key or code (a secret: sent, never kept), and
the order in which instances are tried."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Sequence
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urlencode, urlsplit

# RSSHub's common query parameters (https://docs.rsshub.app/guide/parameters)
PARAMS = (
    "limit",
    "filter",
    "filter_title",
    "filter_description",
    "filter_author",
    "filter_category",
    "filter_time",
    "filterout",
    "filterout_title",
    "filterout_description",
    "filterout_author",
    "filterout_category",
    "filter_case_sensitive",
    "mode",
    "sorted",
    "brief",
    "opencc",
    "scihub",
    "tgiv",
    "image_hotlink_template",
    "multimedia_hotlink_template",
    "wrap_multimedia_in_iframe",
    "format",
    "domain",
)
ACCESS_PARAMS = ("key", "code")  # RSSHub's access parameters: sent, never shown or kept
ACCESS_KINDS = ("key", "code")  # [rsshub] access: send the key itself, or the route's code
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def normalize_route(text: str) -> str:
    """An RSSHub path as a config stores it (``rsshub://a/b``, ``a//b/`` -> ``/a/b``).
    ValueError says what is wrong with it."""
    v = text.strip()
    if v.lower().startswith("rsshub://"):  # as RSSHub Radar copies it
        v = v[len("rsshub://") :]
    elif _SCHEME.match(v):
        raise ValueError(
            f"expected an RSSHub path such as '/sina/finance', got the URL {v!r}; "
            "use url = ... for a full feed URL"
        )
    path, sep, query = v.partition("?")
    path = "/" + "/".join(p for p in path.split("/") if p)
    if path == "/":
        raise ValueError("expected an RSSHub path such as '/sina/finance'")
    return path + sep + query


def route_path(
    route: str,
    params: Sequence[tuple[str, str]] = (),
    access_key: str | None = None,
    access: str = "key",
) -> str:
    """A route with its query: the route's own, ``params``, then RSSHub's access parameter
    (``key=`` the access key, or ``code=`` the MD5 of path and key, which works for this
    route only and so does not give the key away)."""
    path, _, query = route.partition("?")
    # RSSHub hashes the path as it receives it: percent-encoded (as aiohttp sends it)
    path = quote(path, safe="/:@!$&'()*+,;=-._~%")
    pairs = parse_qsl(query, keep_blank_values=True) + list(params)
    if access_key:
        if access == "code":
            pairs.append(("code", hashlib.md5((path + access_key).encode("utf-8")).hexdigest()))
        else:
            pairs.append(("key", access_key))
    return path + ("?" + urlencode(pairs) if pairs else "")


def instance_order(instances: Sequence[str], demoted: Collection[str]) -> tuple[str, ...]:
    """The instances to try, in the configured order but with the ``demoted`` ones last."""
    return tuple(i for i in instances if i not in demoted) + tuple(
        i for i in instances if i in demoted
    )


def instance_answers(
    instances: Sequence[str], tried: Iterable[tuple[str, bool]]
) -> dict[str, bool]:
    """Per instance asked in these attempts (``Fetched.tried``): whether it ever answered."""
    answered: dict[str, bool] = {}
    for url, ok in tried:
        # the longest match: one instance may sit under another's path
        instance = max((i for i in instances if url.startswith(i + "/")), key=len, default=None)
        if instance is not None:
            answered[instance] = answered.get(instance, False) or ok
    return answered


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
    return {
        value
        for url in urls
        for name, value in parse_qsl(urlsplit(url).query)
        if name in private and value
    }


def secret_forms(secret: str) -> set[str]:
    """How a secret may be written in a URL or a message: as is, and percent-encoded."""
    return {secret, quote(secret, safe=""), quote_plus(secret)}
