"""Story grouping's parts: headlines normalised and shingled alike in Chinese and English,
sketches that estimate similarity, and quality floors on the labelled data (a little under
what bench/bench_stories.py measures, so a regression fails)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.stories import FIXTURES

from newsstand.model import StoryEntry
from newsstand.stories import match
from newsstand.stories import sketch as sk
from newsstand.stories.text import lead, normalise, normalise_all, numbers, shingles

THREE_DAYS = 3 * 86400.0


def test_labels_numbers_and_width_are_written_one_way() -> None:
    assert normalise("【快讯】央行宣布降准０.５０个百分点") == "央行宣布降准0.5个百分点"
    assert normalise("快讯：释放资金约一万亿元") == normalise("释放资金约10,000亿元")
    assert normalise("UPDATE 3-Pizza chain Sbarro files") == "pizza chain sbarro files"
    assert normalise("一千五百人") == "1500人" and normalise("百度") == "百度"


def test_numbers_leave_out_dates_and_years() -> None:
    text = normalise("央行5月15日起下调存款准备金率0.5个百分点，2024年释放1万亿元")
    assert numbers(text) == {"0.5", "10000"}


def test_shingles_are_character_bigrams_in_chinese_and_trigrams_otherwise() -> None:
    assert shingles("央行降准") == {"央行", "行降", "降准"}
    assert shingles("fed hikes") == {" fe", "fed", "ed ", "d h", " hi", "hik", "ike", "kes", "es "}
    assert shingles("a 中 b") == {" a ", "中", " b "}


def test_the_vector_shingles_are_the_same_as_the_set_ones() -> None:
    texts = [normalise(t) for t in ("央行：5月15日起降准0.5个百分点 lpr", "Fed hikes 0.25%", "中")]
    codes, owners = sk.shingle_codes(texts)
    for n, text in enumerate(texts):
        assert len(set(codes[owners == n].tolist())) == len(shingles(text))


def test_sketch_agreement_estimates_jaccard() -> None:
    a = normalise("Mt. Gox files for US bankruptcy protection to halt class action")
    b = normalise("Mt. Gox files for U.S. bankruptcy protection")
    sketches = sk.sketch([a, b, ""], ["", "", ""])
    true = len(shingles(a) & shingles(b)) / len(shingles(a) | shingles(b))
    share = sk.agreement(sketches, np.array([0, 0]), np.array([1, 2]))
    assert abs(share[0, 0] - true) < 0.2 and share[1, 0] == 0.0  # the empty one shares nothing


def test_lead_is_the_start_of_the_text_without_markup() -> None:
    assert lead("<p>第一段<b>加粗</b></p><script>x()</script><p>第二段</p>") == "第一段 加粗 第二段"


def entry(row: int, feed: str, title: str, at: str = "2024-05-10T08:00:00+00:00") -> StoryEntry:
    return StoryEntry(row, feed, at, title, "")


def test_entries_of_one_feed_never_pair_directly_and_time_keeps_events_apart() -> None:
    same = "央行宣布全面降准0.5个百分点 释放长期资金约1万亿元"
    done = match.assign(
        [
            entry(1, "a", same),
            entry(2, "a", same),  # the same feed: not grouped with its own entry
            entry(3, "b", same, "2024-05-20T08:00:00+00:00"),  # ten days later
        ],
        [],
        threshold=0.4,
        seconds=THREE_DAYS,
    )
    assert [e.story for e in done] == [1, 2, 3]


def _dataset(rows: list[dict]) -> tuple[list[StoryEntry], list[str]]:
    entries = [
        StoryEntry(
            n + 1,
            r["source"],
            datetime.fromisoformat(r["published"].replace("Z", "+00:00"))
            .astimezone(UTC)
            .isoformat(timespec="seconds"),
            r["title"],
            lead(r.get("text") or ""),
        )
        for n, r in enumerate(rows)
    ]
    return entries, [r["cluster"] for r in rows]


def _scores(rows: list[dict]) -> tuple[float, float, float]:
    """(pairwise precision, B-cubed precision, B-cubed F1) at the default settings."""
    entries, gold = _dataset(rows)
    stories = {e.row: e.story for e in match.assign(entries, [], threshold=0.4, seconds=THREE_DAYS)}
    predicted = [stories[e.row] for e in entries]
    both = Counter(zip(predicted, gold, strict=True))
    sizes_p, sizes_g = Counter(predicted), Counter(gold)
    pairs = sum(n * (n - 1) // 2 for n in sizes_p.values())
    precision = sum(n * (n - 1) // 2 for n in both.values()) / pairs
    bp = sum(both[k] / sizes_p[k[0]] for k in zip(predicted, gold, strict=True)) / len(gold)
    br = sum(both[k] / sizes_g[k[1]] for k in zip(predicted, gold, strict=True)) / len(gold)
    return precision, bp, 2 * bp * br / (bp + br)


def test_quality_on_the_chinese_fixtures() -> None:
    rows = [json.loads(line) for line in FIXTURES.open(encoding="utf-8")]
    precision, b_precision, b_f1 = _scores([r for r in rows if r["lang"] == "zh"])
    assert precision >= 0.99 and b_precision >= 0.99 and b_f1 >= 0.95


@pytest.mark.needs_shared
def test_quality_on_the_uci_headlines(shared) -> None:
    path = shared / "data" / "clusters" / "en_uci_news_aggregator.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    precision, b_precision, b_f1 = _scores(rows)
    # measured: pairwise 0.813 to 0.872, B-cubed 0.959 to 0.961 and F1 0.167 on the splits
    # of this data seen so far (headlines only; the labels themselves split identical
    # headlines across stories: see bench/bench_stories.py)
    assert precision >= 0.78 and b_precision >= 0.95 and b_f1 >= 0.15


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), max_size=6))
def test_any_texts_normalise_one_for_one(texts: list[str]) -> None:
    assert len(normalise_all(texts)) == len(texts)
    assert all("\n" not in t for t in normalise_all(texts))
