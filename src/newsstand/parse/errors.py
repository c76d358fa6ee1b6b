"""The one error parse raises: the document is not a feed it can read."""

from __future__ import annotations

from typing import Any


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
