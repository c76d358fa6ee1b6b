"""New entries against the recent window: which story each one joins. Pure.

1. Each new entry's headline and lead are shingled (``text``) and sketched (``sketch``).
2. Pairs that share an LSH band key, within ``window`` seconds of each other and of
   different feeds, are the candidates; their sketches' agreement estimates their
   similarity, and only pairs estimated near the threshold are compared exactly.
3. The similarity of a pair is the Jaccard similarity of their headlines' shingles, or
   of their leads' when both have one and that is higher; two texts that both state
   numbers and share none of them (降准0.5个百分点 / 降息0.25个百分点; 6.8级 / 5.0级)
   are different events whatever their words.
4. In time order, an entry joins the story of its most similar earlier entry at or over
   ``threshold``; else it starts a story of its own (its row is the story's id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from ..model import StoryEntry
from . import sketch as sk
from .text import normalise_all, numbers

MIN_LEAD = 24  # characters: a shorter lead (a teaser's "more…") is not compared
SLACK = 0.2  # compared exactly when the sketches' estimate is this close to the threshold
PARTNERS = 8  # at most this many candidates per new entry are compared exactly (the most
# alike by their sketches): templated headlines ("Item 1", "Item 2"...) cannot make a
# run compare every pair


@dataclass(slots=True)
class _Text:
    title: set[int]  # shingles, as ``sketch.shingle_codes`` numbers them
    lead: set[int]
    numbers: frozenset[str]


def _normalised(entries: Sequence[StoryEntry]) -> tuple[list[str], list[str]]:
    """Headlines and leads normalised (a lead too short to tell anything is empty)."""
    both = normalise_all([t for e in entries for t in (e.title, e.lead)])
    return both[0::2], [
        lead if len(e.lead) >= MIN_LEAD else "" for e, lead in zip(entries, both[1::2], strict=True)
    ]


def _texts(pairs: Sequence[tuple[str, str]]) -> list[_Text]:
    """The shingle sets and numbers of normalised (headline, lead) pairs, at once."""
    parts = [part for pair in pairs for part in pair]
    codes, owners = sk.shingle_codes(parts)
    cuts = np.searchsorted(owners, np.arange(1, len(parts)))
    sets = [set(chunk.tolist()) for chunk in np.split(codes, cuts)]
    return [
        _Text(sets[2 * n], sets[2 * n + 1], numbers(f"{title} {lead}"))
        for n, (title, lead) in enumerate(pairs)
    ]


def _jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def similarity(a: _Text, b: _Text) -> float:
    """How alike two entries read (0..1); 0 when they state different numbers."""
    if a.numbers and b.numbers and not a.numbers & b.numbers:
        return 0.0
    return max(_jaccard(a.title, b.title), _jaccard(a.lead, b.lead))


def _seconds(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


def assign(
    new: Sequence[StoryEntry],
    window: Sequence[StoryEntry],
    *,
    threshold: float,
    seconds: float,
    excluded: Iterable[str] = (),
    texts: Callable[[list[int]], dict[int, tuple[str, str]]] | None = None,
) -> list[StoryEntry]:
    """``new`` (not grouped yet) with their story and sketch, in time order. ``window``:
    the grouped entries they may join (with sketches); ``excluded``: feeds whose entries
    stay stories of their own (``stories = false``); ``texts``: the (headline, lead) of
    window entries by row, for those whose own are not given (read only for the few that
    come close)."""
    skip = frozenset(excluded)
    new = sorted(new, key=lambda e: (e.at, e.row))
    titles, leads = _normalised(new)
    sketched = sk.sketch(titles, leads)
    blobs = sk.to_bytes(sketched)
    old = [e for e in window if e.sketch is not None and e.story is not None]
    every = [*old, *new]
    sketches = np.concatenate([sk.from_bytes([e.sketch or b"" for e in old]), sketched])
    first = len(old)
    keys, valid = sk.band_keys(sketches)
    for i, entry in enumerate(new):
        if entry.feed_key in skip:
            valid[first + i] = False
    pairs = sk.pairs_sharing_a_key(keys, valid, first)
    if len(pairs):
        seen = np.zeros(len(every), dtype=bool)  # np.unique is slow on many (numpy 2.4)
        seen[pairs.ravel()] = True
        involved = np.flatnonzero(seen)
        times = np.zeros(len(every))
        times[involved] = [_seconds(every[i].at) for i in involved.tolist()]
        feeds: dict[str, int] = {}
        feed = np.zeros(len(every), dtype=np.int64)
        feed[involved] = [
            feeds.setdefault(every[i].feed_key, len(feeds)) for i in involved.tolist()
        ]
        a, b = pairs[:, 0], pairs[:, 1]
        keep = (feed[a] != feed[b]) & (np.abs(times[a] - times[b]) <= seconds)
        a, b = a[keep], b[keep]
        estimate = sk.agreement(sketches, a, b).max(axis=1)
        near = estimate >= threshold - SLACK
        a, b, estimate = a[near], b[near], estimate[near]
        order = np.lexsort((-estimate, b))  # by new entry, the most alike first
        b_sorted = b[order]
        starts = np.flatnonzero(np.concatenate(([True], b_sorted[1:] != b_sorted[:-1])))
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.append(starts, len(order))))
        chosen = order[rank < PARTNERS]
        pairs = np.stack([a[chosen], b[chosen]], axis=1)
    candidates: list[list[int]] = pairs.tolist()
    partners: dict[int, list[int]] = {}
    for i, j in candidates:  # i < j: j is new, and later in time order than i
        partners.setdefault(j, []).append(i)
    needed = sorted({i for i, _ in candidates if i < first})
    if texts is not None and needed:
        found = texts([old[i].row for i in needed])
        for i in needed:
            title, lead = found.get(old[i].row, ("", ""))
            old[i] = replace(old[i], title=title, lead=lead)
    old_titles, old_leads = _normalised([old[i] for i in needed])
    normalised = dict(zip(needed, zip(old_titles, old_leads, strict=True), strict=True))
    normalised.update((first + n, both) for n, both in enumerate(zip(titles, leads, strict=True)))
    compared = sorted(normalised.keys() & {i for two in candidates for i in two})
    cache = dict(zip(compared, _texts([normalised[i] for i in compared]), strict=True))
    story: dict[int, int] = {n: e.story for n, e in enumerate(old) if e.story is not None}
    result = []
    for n, entry in enumerate(new):
        index = first + n
        best, best_score = None, 0.0
        if entry.feed_key not in skip:
            for other in partners.get(index, ()):
                mine = cache[index]
                score = similarity(mine, cache[other])
                if score >= threshold and score > best_score:
                    best, best_score = other, score
        story[index] = story[best] if best is not None else entry.row
        result.append(
            replace(entry, story=story[index], sketch=None if entry.feed_key in skip else blobs[n])
        )
    return result
