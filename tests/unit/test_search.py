"""The site's search index: what is a token, and what a bundle holds (the browser's side
is asked in tests/system/test_search_quality.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from newsstand.model import Entry, Item
from newsstand.publish.site import search


def test_words_are_lower_cased_and_cjk_is_characters_and_pairs() -> None:
    assert search.tokens("Fed holds RATES, 2024") == {"fed", "holds", "rates", "2024"}
    assert search.tokens("洋山港") == {"洋", "山", "港", "洋山", "山港"}
    # a run of CJK ends a word: C919 is a word of its own inside Chinese text
    assert search.tokens("大飞机C919完成") >= {"c919", "飞机", "完成"}
    assert "机c" not in search.tokens("大飞机C919完成")
    # full-width forms are their ASCII twins (NFKC), as a reader types them
    assert search.tokens("ＡＩ芯片") == {"ai", "芯", "片", "芯片"}
    assert search.tokens("café_au-lait") == {"café", "au", "lait"}


@given(st.text(alphabet="央行宣布下调准备金率芯片abc ，。", min_size=1, max_size=30), st.data())
def test_a_piece_of_a_cjk_run_is_found_in_it(text: str, data: st.DataObject) -> None:
    """No false negatives: any two neighbouring characters of a text are among its tokens."""
    runs = [r for r in search._CJK.split(text)[1::2] if len(r) >= 2]
    if runs:
        run = data.draw(st.sampled_from(runs))
        at = data.draw(st.integers(0, len(run) - 2))
        assert run[at : at + 2] in search.tokens(text)


def test_shards_are_stable() -> None:
    """search.js computes the same numbers: these pin the function both implement."""
    assert [search.shard(t) for t in ("a", "央行", "c919", "𠀀")] == [12, 7, 27, 31]
    assert all(0 <= search.shard(t) < search.SHARDS for t in search.tokens("任意的文字 any"))


def _doc(n: int, title: str, text: str) -> search.Doc:
    when = datetime(2024, 5, 1, tzinfo=UTC)
    entry = Entry(f"e{n}", f"https://x.example/{n}", title, None, when, None, "", None)
    item = Item(f"u{n}", "f", "新闻", "日报", "要闻", entry, 1)
    return item, f"/posts/{n}.html", "2024-05-01 08:00", text


def _lookup(files: dict[str, bytes], token: str) -> dict[int, int]:
    postings = json.loads(files[f"{search.shard(token)}.json"]).get(token, [])
    found, value = {}, 0
    for delta in postings:
        value += delta
        found[value >> 1] = value & 1
    return found


def test_a_bundle_finds_entries_by_title_and_text() -> None:
    docs = [_doc(n, f"标题{n}", f"正文{n} 共同的话") for n in range(250)]
    docs[7] = _doc(7, "央行降准", "释放长期资金")
    files = search.bundle(docs)
    assert len([n for n in files if not n.startswith("d")]) == search.SHARDS
    assert _lookup(files, "央行") == {7: 1}  # entry 7, in its title
    assert _lookup(files, "资金") == {7: 0}  # in its text only
    assert len(_lookup(files, "共同")) == 249
    results = json.loads(files["d0.json"]) + json.loads(files["d1.json"])
    assert len(results) == 200 and json.loads(files["d2.json"])[49][1] == "标题249"
    assert results[7] == [
        "/posts/7.html",
        "央行降准",
        "日报 › 要闻",
        "2024-05-01 08:00",
        "释放长期资金",
    ]


def test_the_excerpt_of_a_long_text_is_cut() -> None:
    files = search.bundle([_doc(0, "t", "字" * 500)])
    excerpt = json.loads(files["d0.json"])[0][4]
    assert len(excerpt) == search.EXCERPT + 1 and excerpt.endswith("…")
