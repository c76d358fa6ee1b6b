"""What HTTP's headers mean to a polite client: the validators to send, how long an
answer may be kept or asks to be waited for, where a feed has moved. Pure: ``fetch``
sends and reads them."""

from __future__ import annotations

import time
from collections.abc import Sequence
from email.utils import parsedate_to_datetime


def if_none_match(etag: str) -> str:
    """The If-None-Match for a stored ETag. A weak one (``W/"x"``) is sent in both forms:
    RFC 9110 servers compare weakly, but some (RSSHub, whose gzip makes its ETags weak)
    compare the header's values as strings and know only the strong form."""
    if etag.startswith("W/") and etag[2:].startswith('"'):
        return f"{etag}, {etag[2:]}"
    return etag


def retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` asks to wait (a number, or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def max_age(cache_control: str) -> float | None:
    """Seconds a response may be cached for, from its ``Cache-Control: max-age``."""
    for directive in cache_control.split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age" and value.strip().strip('"').isdigit():
            return float(value.strip().strip('"'))
    return None


def moved_to(hops: Sequence[tuple[int, str]]) -> str | None:
    """Where the feed now is, if the redirects (status, where it led) began with permanent
    ones (301/308)."""
    moved = None
    for status, target in hops:
        if status not in (301, 308):
            break
        moved = target
    return moved
