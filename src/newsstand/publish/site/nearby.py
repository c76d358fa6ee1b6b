"""What a page links to nearby (pure): a list page's numbered pages, an entry's older and
newer entries in its channel, and more of its source.

Each is chosen so that a new entry changes few pages: list pages far from the newest
link to the same pages whatever the list's length, and an entry's neighbours change only
for the entries next to the newest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...model import IndexRow

NEARBY_PAGES = 2  # numbered pages shown on each side of the current one
MORE = 4  # entries of the same source an entry page shows


def pager(last: int, current: int | None) -> list[int | None]:
    """The numbered pages a list page links to, newest first: ``0`` is the list's front
    (its newest entries), ``1`` its oldest page, ``None`` a gap. ``last`` is the newest
    numbered page (0: the list has only its front); ``current`` is None on the front.

    A page far from the newest links the same pages however long the list grows."""
    if last == 0:
        return []
    here = last + 1 if current is None else current  # the front sits above the last page
    shown = {0, 1, *range(max(1, here - NEARBY_PAGES), min(last, here + NEARBY_PAGES) + 1)}
    numbers = sorted(shown - {0}, reverse=True)
    out: list[int | None] = [0]
    for number in numbers:
        above = out[-1] if out[-1] else last + 1  # the front is last + 1 in this order
        if above - number > 1:
            out.append(None)
        out.append(number)
    return out


@dataclass(frozen=True, slots=True)
class Nearby:
    """Row indexes an entry page links to (into the site's rows, oldest first)."""

    older: int | None = None  # the entry before it in its channel
    newer: int | None = None  # the entry after it
    more: tuple[int, ...] = ()  # others of its source nearest to it in time, newest first


def neighbours(rows: Sequence[IndexRow], more: int = MORE) -> list[Nearby]:
    """For each row, its ``Nearby``: older and newer in its channel, and up to ``more``
    other entries of its source (not those two), the nearest in time on either side."""
    channels: dict[tuple[str, ...], list[int]] = {}
    sources: dict[tuple[str, ...], list[int]] = {}
    for index, row in enumerate(rows):
        channels.setdefault(tuple(row[4:7]), []).append(index)
        sources.setdefault(tuple(row[4:6]), []).append(index)
    beside: list[tuple[int | None, int | None]] = [(None, None)] * len(rows)
    for members in channels.values():
        for at, index in enumerate(members):
            older = members[at - 1] if at else None
            newer = members[at + 1] if at + 1 < len(members) else None
            beside[index] = (older, newer)
    found: list[Nearby] = [Nearby()] * len(rows)
    for members in sources.values():
        for at, index in enumerate(members):
            older, newer = beside[index]
            skip = {index, older, newer}
            before = [i for i in reversed(members[max(0, at - more - 2) : at]) if i not in skip]
            after = [i for i in members[at + 1 : at + more + 3] if i not in skip]
            take_before = min(len(before), max(more // 2, more - len(after)))
            picked = before[:take_before] + after[: more - take_before]
            found[index] = Nearby(older, newer, tuple(sorted(picked, reverse=True)))
    return found
