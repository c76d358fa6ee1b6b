"""nearby: a list page's numbered pages and an entry's neighbours, and how little a new
entry changes them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from newsstand.model import IndexRow
from newsstand.publish.site.nearby import MORE, NEARBY_PAGES, neighbours, pager


def test_the_pager_shows_the_front_nearby_pages_and_the_oldest() -> None:
    assert pager(0, None) == []  # a list with only its front needs no pager
    assert pager(1, None) == [0, 1] and pager(1, 1) == [0, 1]
    assert pager(9, None) == [0, 9, 8, None, 1]
    assert pager(9, 5) == [0, None, 7, 6, 5, 4, 3, None, 1]
    assert pager(9, 2) == [0, None, 4, 3, 2, 1]


@given(st.integers(1, 500), st.integers(1, 500), st.integers(1, 50))
def test_a_page_far_from_the_newest_keeps_its_pager(current: int, last: int, more: int) -> None:
    if current > last:
        current, last = last, current
    numbers = pager(last, current)
    assert numbers[0] == 0 and numbers[-1] == 1 and current in numbers
    assert all(isinstance(n, int) and 0 < n <= last for n in numbers[1:] if n is not None)
    if current + NEARBY_PAGES < last:  # as the list grows, this page's pager stays
        assert pager(last + more, current) == numbers


def _rows(places: list[tuple[str, str]]) -> list[IndexRow]:
    return [
        IndexRow(
            i, f"u{i}", 1, f"2024-01-01T{i // 60:02d}:{i % 60:02d}:00", "c", source, channel, i
        )
        for i, (source, channel) in enumerate(places)
    ]


@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xyz")), max_size=40))
def test_an_entry_links_only_its_own_channel_and_source(places) -> None:
    rows = _rows(places)
    for index, near in enumerate(neighbours(rows)):
        row = rows[index]
        for other in (near.older, near.newer):
            if other is not None:
                assert rows[other][5:7] == row[5:7]  # the same channel
        if near.older is not None:
            assert near.older < index and not any(
                rows[i][5:7] == row[5:7] for i in range(near.older + 1, index)
            )
        if near.newer is not None:
            assert near.newer > index
        assert len(near.more) <= MORE and len(set(near.more)) == len(near.more)
        assert index not in near.more and {near.older, near.newer}.isdisjoint(near.more)
        assert all(rows[i].source == row.source for i in near.more)
        assert list(near.more) == sorted(near.more, reverse=True)  # newest first
        same_source = sum(r.source == row.source for r in rows) - 1
        shown = len([i for i in (near.older, near.newer) if i is not None])
        assert len(near.more) == min(MORE, same_source - shown)  # as many as there are


@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xy")), min_size=1, max_size=40))
def test_a_new_entry_changes_the_neighbours_of_few_entries(places) -> None:
    rows = _rows(places)
    before = neighbours(rows)
    after = neighbours(_rows([*places, places[0]]))[: len(rows)]
    changed = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b != a]
    assert len(changed) <= 1 + MORE
