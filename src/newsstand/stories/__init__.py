"""Stories: entries of different feeds that report the same event, grouped.

Run once per run after the fetch pass (``update``): the entries not in a story yet are
matched (``match.assign``) against the entries of the recent window, never against the
whole history, and the store keeps where each went. ``rebuild`` forgets the stories of
the last days and groups those entries again (after the settings changed).

The matching is MinHash LSH over character shingles (``sketch``, ``text``): a headline
of 30 characters and a 100,000-entry window take the same few band-key lookups.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from ..config import StoriesConfig
from ..model import Feed
from ..store import Store
from .text import lead

BATCH = 20_000  # entries matched at once (a first run over a big store goes in batches)

__all__ = ["Grouped", "rebuild", "update"]


@dataclass
class Grouped:
    """What grouping did."""

    assigned: int = 0  # entries given a story
    joined: int = 0  # of them, entries that joined another feed's entry
    phases: dict[str, float] = field(default_factory=dict)  # seconds


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def update(
    store: Store, settings: StoriesConfig, feeds: Iterable[Feed], now: datetime | None = None
) -> Grouped:
    """Give every entry that has none its story."""
    from .match import assign  # numpy: loaded when there is grouping to do

    now = now or datetime.now(UTC)
    result = Grouped()
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        elapsed = time.perf_counter()
        result.phases[name] = result.phases.get(name, 0.0) + elapsed - clock
        clock = elapsed

    pending = [replace(e, lead=lead(e.lead)) for e in store.ungrouped()]
    phase("read")
    if not pending:
        return result
    excluded = {feed.key for feed in feeds if not feed.stories}
    span = timedelta(seconds=settings.window)
    keep = _iso(now - 2 * span)
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        since = _iso(datetime.fromisoformat(batch[0].at) - span)
        window = store.story_window(since)
        phase("read")
        grouped = assign(
            batch,
            window,
            threshold=settings.threshold,
            seconds=settings.window,
            excluded=excluded,
            texts=store.story_texts,
        )
        phase("match")
        last = start + BATCH >= len(pending)  # sketches age out once all are matched
        store.save_stories(grouped, keep if last else "")
        phase("write")
        result.assigned += len(grouped)
        result.joined += sum(1 for e in grouped if e.story != e.row)
    return result


def rebuild(
    store: Store,
    settings: StoriesConfig,
    feeds: Iterable[Feed],
    days: float,
    now: datetime | None = None,
) -> tuple[int, Grouped]:
    """Group the entries of the last ``days`` again; (stories forgotten, what grouping did)."""
    now = now or datetime.now(UTC)
    cleared = store.clear_stories(_iso(now - timedelta(days=days)))
    return cleared, update(store, settings, feeds, now)
