"""Benchmark: story grouping, its quality on labelled data and its speed on a big store.

Quality (``--quality``, the default): the English headlines of ../shared/data/clusters
(UCI News Aggregator, 4,452 headlines in 59 stories; no text) and the Chinese fixtures of
tests/data/stories (written for the tests: no real labelled Chinese story data was within
reach), each run through ``stories.match.assign`` as one batch of new entries, the
outlet as the feed. Pairwise precision/recall/F1 and B-cubed precision/recall/F1 per
language at the default threshold and over a curve of thresholds; for UCI also the
ceiling its labels put on pairwise precision (pairs of identical headlines that the
aggregator filed under different stories).

Speed (``--speed``): a real SQLite store with a window of ``--window`` entries (default
100,000, three days of them) already grouped, then ``--new`` (10,000) new entries grouped
by ``stories.update`` as a run does it (read, sketch, match, write), timed.

    python bench/bench_stories.py [--quality] [--speed] [--window N] [--new N]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsstand.config.schema import default
from newsstand.model import Entry, Feed, Fetched, Outcome, StoryEntry
from newsstand.stories import match, update
from newsstand.stories.text import lead, normalise, shingles

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7)


def load(path: Path, lang: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return [r for r in rows if lang is None or r.get("lang") == lang]


def entries_of(rows: list[dict]) -> list[StoryEntry]:
    return [
        StoryEntry(
            row=n + 1,
            feed_key=r["source"],
            at=datetime.fromisoformat(r["published"].replace("Z", "+00:00"))
            .astimezone(UTC)
            .isoformat(timespec="seconds"),
            title=r["title"],
            lead=lead(r.get("text") or ""),
        )
        for n, r in enumerate(rows)
    ]


def scores(predicted: list[int], gold: list[str]) -> dict[str, float]:
    """Pairwise and B-cubed precision, recall and F1 (see data/clusters/README.md)."""

    def pairs(labels: list) -> int:
        return sum(n * (n - 1) // 2 for n in Counter(labels).values())

    both = Counter(zip(predicted, gold, strict=True))
    tp = sum(n * (n - 1) // 2 for n in both.values())
    p = tp / pairs(predicted) if pairs(predicted) else 1.0
    r = tp / pairs(gold) if pairs(gold) else 1.0
    sizes_p, sizes_g = Counter(predicted), Counter(gold)
    bp = sum(both[k] / sizes_p[k[0]] for k in zip(predicted, gold, strict=True)) / len(gold)
    br = sum(both[k] / sizes_g[k[1]] for k in zip(predicted, gold, strict=True)) / len(gold)
    return {
        "P": p,
        "R": r,
        "F1": 2 * p * r / (p + r) if p + r else 0.0,
        "bP": bp,
        "bR": br,
        "bF1": 2 * bp * br / (bp + br) if bp + br else 0.0,
        "stories": len(sizes_p),
    }


def grouped(rows: list[dict], threshold: float, window: float) -> list[int]:
    entries = entries_of(rows)
    done = match.assign(entries, [], threshold=threshold, seconds=window)
    by_row = {e.row: e.story for e in done}
    return [by_row[e.row] or 0 for e in entries]


def line(name: str, s: dict[str, float]) -> str:
    return (
        f"{name}: pairwise P {s['P']:.3f} R {s['R']:.3f} F1 {s['F1']:.3f} | B-cubed P"
        f" {s['bP']:.3f} R {s['bR']:.3f} F1 {s['bF1']:.3f} | {s['stories']} stories"
    )


def ceiling(rows: list[dict]) -> str:
    """How often the labels split identical (normalised) headlines of different outlets."""
    by_title: dict[str, list[dict]] = {}
    for r in rows:
        by_title.setdefault(" ".join(sorted(shingles(normalise(r["title"])))), []).append(r)
    same = split = 0
    for group in by_title.values():
        for a, b in itertools.combinations(group, 2):
            if a["source"] != b["source"]:
                same += a["cluster"] == b["cluster"]
                split += a["cluster"] != b["cluster"]
    share = same / (same + split) if same + split else 1.0
    return (
        f"  labels: {same + split} pairs of identical headlines from different outlets,"
        f" {split} of them filed under different stories: pairwise precision of an exact"
        f" duplicate detector is {share:.3f} on them"
    )


def quality(shared: Path) -> None:
    threshold = default(("stories",), "threshold")
    window = default(("stories",), "window")
    sets = []
    uci = shared / "data" / "clusters" / "en_uci_news_aggregator.jsonl"
    if uci.is_file():
        sets.append(("en (UCI News Aggregator, headlines only)", load(uci)))
    else:
        print(f"no UCI data at {uci}: English skipped")
    fixtures = ROOT / "tests" / "data" / "stories" / "zh_events.jsonl"
    sets.append(("zh (tests/data/stories fixtures, not real labels)", load(fixtures, "zh")))
    sets.append(("all fixtures (zh + a few en)", load(fixtures)))
    for name, rows in sets:
        gold = [r["cluster"] for r in rows]
        started = time.perf_counter()
        at_default = scores(grouped(rows, threshold, window), gold)
        elapsed = time.perf_counter() - started
        print(f"{name}: {len(rows)} entries, {len(set(gold))} stories, threshold {threshold}")
        print("  " + line("default", at_default) + f" | {elapsed:.2f} s")
        if name.startswith("en"):
            print(ceiling(rows))
        for t in THRESHOLDS:
            print("  " + line(f"threshold {t:.2f}", scores(grouped(rows, t, window), gold)))


_CHARS = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
_VOCABULARY = random.Random(1).sample(
    [a + b for a in _CHARS[:300] for b in _CHARS[300:600]], 20_000
)  # two-character "words"; news headlines share few words but their topics'
_COMMON = _VOCABULARY[:200]  # the words of the day (央行, 发布, 同比...): in many headlines


def headline(rng: random.Random) -> str:
    words = [rng.choice(_COMMON) for _ in range(2)] + rng.sample(_VOCABULARY, 6)
    rng.shuffle(words)
    return "".join(words[:4]) + f"{rng.randint(1, 9999)}" + "".join(words[4:])


def speed(window: int, new: int) -> None:
    from newsstand.store import open_store

    rng = random.Random(7)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    feeds = [
        Feed(key=f"https://f{n}.example/", route=None, url=f"https://f{n}.example/",
             category="金融", source=f"来源{n}", channel=f"来源{n}")
        for n in range(50)
    ]  # fmt: skip
    span = timedelta(days=3)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "bench.db"))
        store.sync_feeds(feeds)

        def fill(count: int, start: int, first: datetime, last: datetime) -> None:
            step = (last - first) / max(count, 1)
            by_feed: dict[int, list[Entry]] = {}
            for n in range(start, start + count):
                event = n // 5 if rng.random() < 0.3 else n + 10**7  # some stories of 5
                local = random.Random(event)
                title = headline(local)
                body = "<p>" + "，".join(headline(local) for _ in range(4)) + "</p>"
                when = first + step * (n - start)
                by_feed.setdefault(n % len(feeds), []).append(
                    Entry(f"id{n}", f"https://x.example/{n}", title, None, when, None, body, None)
                )
            for k, entries in by_feed.items():
                for part in range(0, len(entries), 2000):
                    fetched = Fetched(feed_key=feeds[k].key, url=feeds[k].key, status=200)
                    store.record([Outcome(feeds[k], fetched, tuple(entries[part : part + 2000]))],
                                 now=last)  # fmt: skip

        settings = _settings()
        started = time.perf_counter()
        fill(window, 0, now - span, now)
        filled = time.perf_counter() - started
        started = time.perf_counter()
        update(store, settings, feeds, now=now)
        first = time.perf_counter() - started
        later = now + timedelta(hours=2)
        fill(new, window, now, later)
        started = time.perf_counter()
        result = update(store, settings, feeds, now=later)
        elapsed = time.perf_counter() - started
        store.close()
    print(f"cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"store filled with {window} entries in {filled:.1f} s; grouping them all: {first:.2f} s")
    print(
        f"{new} new entries against a {window}-entry window: {elapsed:.2f} s"
        f" ({result.assigned} grouped, {result.joined} joined a story of another feed;"
        f" phases {', '.join(f'{k} {v:.2f} s' for k, v in result.phases.items())})"
    )


def _settings():  # type: ignore[no-untyped-def]
    from newsstand.config.sections import StoriesConfig

    return StoriesConfig()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--window", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=10_000)
    args = parser.parse_args()
    if not (args.quality or args.speed):
        args.quality = True
    print(f"cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.2f} (1 min)", file=sys.stderr)
    if args.quality:
        quality(args.shared)
    if args.speed:
        speed(args.window, args.new)


if __name__ == "__main__":
    main()
