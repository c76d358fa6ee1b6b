"""RSSHub's conventions, shared by the config, fetch, the catalog and OPML: how a route is
written, its common parameters, the access key or code (a secret: sent, never kept), the
order in which instances are tried, and how RSSHub says what went wrong."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
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


# --------------------------------------------------------------------------- its errors

# RSSHub's error page: <p class="message">Error Message:<br/><code …>Name: message</code>
_ERROR_PAGE = re.compile(rb"Error Message:\s*<br\s*/?>\s*<code\b[^>]*>(.*?)</code>", re.DOTALL)
_ERROR_NAME = re.compile(r"^((?:[A-Z]\w*)?Error):\s*(.*)$", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
# The errors of RSSHub's own requests to the site behind a route (ofetch's FetchError and
# the like), and of a request for the same path already running: asking again may help.
# Any other error is the route's own verdict (NotFoundError: no such route; RejectError: the
# access key; Error: "this route is empty", a bad parameter ...): asking again will not.
TRANSIENT_ERRORS = frozenset({"FetchError", "HTTPError", "RequestError", "RequestInProgressError"})
_UPSTREAM_MESSAGE = re.compile(r'^\[[A-Z]+\] "|currently fetching|in progress', re.IGNORECASE)
MESSAGE_CHARS = 300  # a longer message is cut: it is one line of a report


@dataclass(frozen=True, slots=True)
class RSSHubError:
    """What an RSSHub error answer said: the error's name (on its HTML page; None in the
    ``?format=json`` form) and its message."""

    name: str | None
    message: str

    @property
    def final(self) -> bool:
        """Whether asking again soon would get the same answer."""
        if self.name is not None:
            return self.name not in TRANSIENT_ERRORS
        return not _UPSTREAM_MESSAGE.search(self.message)

    def __str__(self) -> str:
        named = f"{self.name}: {self.message}" if self.name and self.name != "Error" else ""
        return f"RSSHub said: {named or self.message}"


def _one_line(text: str) -> str:
    text = " ".join(_TAG.sub("", text).split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def error_of(body: bytes) -> RSSHubError | None:
    """RSSHub's error in an error answer's body (its HTML page, or ``{"error": {"message":
    …}}``), or None when the body is not one."""
    stripped = body.lstrip()
    if stripped.startswith(b"{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            return None
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        if not isinstance(message, str) or not message.strip():
            return None
        return RSSHubError(None, _one_line(message))
    found = _ERROR_PAGE.search(body)
    if found is None:
        return None
    text = html.unescape(found.group(1).decode("utf-8", "replace")).strip()
    named = _ERROR_NAME.match(text)
    name, message = (named.group(1), named.group(2)) if named else (None, text)
    message = _one_line(message)
    return RSSHubError(name, message) if message else None


def host_key(url: str) -> str:
    """``host:port`` of an http(s) URL, the port spelt out: what a per-host limit counts."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def instance_limits(instances: Sequence[str], per_host: int | None) -> dict[str, int]:
    """Requests at a time to each instance's host (``[rsshub] per_host``; none when unset)."""
    if per_host is None:
        return {}
    return {host_key(instance): per_host for instance in instances}
