"""publish.hexo: safe, distinct, stable post files; idempotent writes; only our files."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from newsstand.files import safe_segment
from newsstand.model import Entry, Item
from newsstand.publish.hexo import HexoPublisher, post_body, render_post
from newsstand.store import entry_uid

WHEN = datetime(2021, 4, 1, 0, 12, 7, tzinfo=UTC)
HOSTILE_TITLES = [
    "../../x",
    "a/b",
    "CON",
    "con.txt",
    "中" * 300,
    "'quoted' \"double\"",
    "key: value",
    "line\nbreak",
    "{{ x }}",
    "{% raw %}",
    "..",
    ".hidden",
    "_draft",
    "trailing. ",
    "---",
    "&anchor",
    "*alias",
    "!!python/object:os.system",
    "@at",
    "%pct",
    "| pipe",
    "> fold",
    "nul\x00byte",
    "tab\there",
    "a\\b",
    "what?*<>|",
    "",
]


def item(
    title: str,
    uid: str,
    *,
    category: str = "金融",
    content: str = "<p>body</p>",
    revision: int = 1,
    thumbnail: str | None = "https://img.example/a.png",
) -> Item:
    return Item(
        uid=uid,
        feed_key="/k",
        category=category,
        source="新浪财经",
        channel="新浪财经－国內",
        entry=Entry(
            id=uid,
            link="https://example.com/" + uid,
            title=title,
            author=None,
            published=WHEN,
            updated=None,
            content=content,
            thumbnail=thumbnail,
        ),
        revision=revision,
    )


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    matter, _, _body = text[4:].partition("\n---\n")
    return yaml.safe_load(matter)


def publish(tmp_path: Path, items: list[Item], previous=None, gone=()):
    publisher = HexoPublisher(tmp_path, tz=ZoneInfo("UTC"))
    return publisher.publish(items, previous or {}, gone)


def test_hostile_titles_give_safe_distinct_stable_files(tmp_path: Path) -> None:
    items = [item(t, entry_uid("/k", str(i))) for i, t in enumerate(HOSTILE_TITLES)]
    result = publish(tmp_path, items)
    assert result.written == len(items) and not result.problems
    paths = [o.path for o in result.outputs]
    assert len(set(paths)) == len(paths)
    for out, it in zip(result.outputs, items, strict=True):
        file = (tmp_path / out.path).resolve()
        assert tmp_path.resolve() in file.parents
        assert file.parent.relative_to(tmp_path.resolve()).parts == (
            "金融",
            "新浪财经",
            "新浪财经－国內",
        )
        name = file.name
        assert len(name.encode()) <= 200 and not name.startswith((".", "_"))
        assert not any(c in name for c in '/\\:*?"<>|\x00\n')
        data = front_matter(file.read_text("utf-8"))
        assert data["categories"] == ["金融", "新浪财经", "新浪财经－国內"]
        if it.entry.title.strip() and "\x00" not in it.entry.title and "\n" not in it.entry.title:
            assert data["title"] == it.entry.title.strip()
    again = publish(tmp_path, items)
    assert [o.path for o in again.outputs] == paths and again.written == 0


def test_same_title_never_overwrites(tmp_path: Path) -> None:
    result = publish(tmp_path, [item("Same", "a" * 16), item("Same", "b" * 16)])
    assert len({o.path for o in result.outputs}) == 2
    # even when the short ids collide
    result = publish(tmp_path, [item("Same", "c" * 8 + "1" * 8), item("Same", "c" * 8 + "2" * 8)])
    assert len({o.path for o in result.outputs}) == 2 and result.written == 2


def test_second_run_changes_no_file(tmp_path: Path) -> None:
    items = [item("one", "1" * 16), item("two", "2" * 16)]
    first = publish(tmp_path, items)
    stamps = {o.path: os.stat(tmp_path / o.path).st_mtime_ns for o in first.outputs}
    second = publish(tmp_path, items, {o.uid: o for o in first.outputs})
    assert second.written == 0 and second.unchanged == 2
    assert {o.path: os.stat(tmp_path / o.path).st_mtime_ns for o in second.outputs} == stamps


def test_stale_skips_what_is_up_to_date(tmp_path: Path) -> None:
    publisher = HexoPublisher(tmp_path, tz=ZoneInfo("UTC"))
    first = publisher.publish([item("one", "1" * 16)], {}, ())
    previous = {o.uid: o for o in first.outputs}
    assert publisher.stale({"1" * 16: 1}, previous, fresh=True) == []
    assert publisher.stale({"1" * 16: 2}, previous, fresh=True) == ["1" * 16]
    assert publisher.stale({"1" * 16: 1}, previous, fresh=False) == ["1" * 16]
    (tmp_path / first.outputs[0].path).unlink()
    assert publisher.stale({"1" * 16: 1}, previous, fresh=True) == ["1" * 16]


def test_changed_title_keeps_file_name(tmp_path: Path) -> None:
    first = publish(tmp_path, [item("old title", "1" * 16)])
    previous = {o.uid: o for o in first.outputs}
    second = publish(tmp_path, [item("new title", "1" * 16, revision=2)], previous)
    assert second.outputs[0].path == first.outputs[0].path
    assert front_matter((tmp_path / second.outputs[0].path).read_text())["title"] == "new title"


def test_moved_item_and_removed_item(tmp_path: Path) -> None:
    first = publish(tmp_path, [item("a", "1" * 16), item("b", "2" * 16)])
    previous = {o.uid: o for o in first.outputs}
    foreign = tmp_path / "金融" / "mine.md"
    foreign.write_text("my own post")
    second = publish(
        tmp_path, [item("a", "1" * 16, category="科技", revision=2)], previous, gone=["2" * 16]
    )
    assert second.outputs[0].path.startswith("科技/")
    assert second.removed == 1 and second.forgotten == ["2" * 16]
    assert not (tmp_path / first.outputs[0].path).exists()
    assert not (tmp_path / first.outputs[1].path).exists()
    assert foreign.read_text() == "my own post"


def test_a_post_written_but_not_recorded_is_adopted(tmp_path: Path) -> None:
    # A run killed between writing a post and saving the manifest: the next run, with the
    # item changed meanwhile, must update that file, not call it someone else's.
    first = publish(tmp_path, [item("a", "1" * 16)])
    result = publish(tmp_path, [item("a", "1" * 16, content="<p>changed</p>", revision=2)])
    assert result.written == 1 and not result.problems
    assert "changed" in (tmp_path / first.outputs[0].path).read_text("utf-8")


def test_edited_post_is_not_removed(tmp_path: Path) -> None:
    first = publish(tmp_path, [item("a", "1" * 16)])
    path = tmp_path / first.outputs[0].path
    path.write_text(path.read_text() + "\nmy note\n")
    result = publish(tmp_path, [], {o.uid: o for o in first.outputs}, gone=["1" * 16])
    assert path.exists() and result.removed == 0 and result.problems


def test_front_matter_keys_and_dates() -> None:
    post = render_post(item("标题", "1" * 16), tz=ZoneInfo("Asia/Shanghai"), date_style="iso")
    data = front_matter(post.text)
    assert list(data)[:7] == [
        "title",
        "categories",
        "headimg",
        "author",
        "comments",
        "date",
        "thumbnail",
    ]
    assert data["author"] == "新浪财经" and data["comments"] is False
    assert data["date"] == "2021-04-01T08:12:07+08:00"
    assert "link" not in data and "updated" not in data  # the seed's keys only
    rfc = render_post(item("t", "1" * 16), tz=ZoneInfo("Asia/Shanghai"), date_style="rfc822")
    assert front_matter(rfc.text)["date"] == "Thu, 01 Apr 2021 00:12:07 GMT"  # GMT, always


def test_link_and_updated_are_opt_ins() -> None:
    entry = item("t", "1" * 16).entry
    changed = replace(
        item("t", "1" * 16), entry=replace(entry, updated=datetime(2021, 4, 2, tzinfo=UTC))
    )
    tz = ZoneInfo("UTC")
    both = front_matter(
        render_post(changed, tz=tz, date_style="iso", extras=("link", "updated")).text
    )
    assert both["link"] == "https://example.com/" + "1" * 16
    assert both["updated"] == "2021-04-02T00:00:00+00:00"
    only_link = front_matter(render_post(changed, tz=tz, date_style="iso", extras=("link",)).text)
    assert "link" in only_link and "updated" not in only_link


def test_no_image_no_image_keys() -> None:
    data = front_matter(
        render_post(item("t", "1" * 16, thumbnail=None), tz=ZoneInfo("UTC"), date_style="iso").text
    )
    assert "headimg" not in data and "thumbnail" not in data


@pytest.mark.parametrize("title", ["", "   "])
def test_untitled_items_get_words_of_their_text(title: str) -> None:
    post = render_post(
        item(title, "1" * 16, content="<p>First words of the text</p>"),
        tz=ZoneInfo("UTC"),
        date_style="iso",
    )
    assert front_matter(post.text)["title"] == "First words of the text"


def test_body_is_one_html_block_with_braces_escaped() -> None:
    body = post_body("<p>{{ a }} {% b %} {# c #}</p>\n\n\n    <p>indented</p>\n<pre>x\n\ny</pre>")
    assert "{" not in body and "}" not in body and "&#123;&#123; a &#125;&#125;" in body
    assert "\n\n" not in body  # a blank line would end Markdown's HTML block
    assert "<pre>x&#10;&#10;y</pre>" in body
    assert body.startswith("<div>\n") and body.endswith("\n</div>\n")


@settings(max_examples=200, deadline=None)
@given(title=st.text(), category=st.text())
def test_any_title_and_category_stay_inside_and_read_back(title: str, category: str) -> None:
    post = render_post(
        item(title, "1" * 16, category=category), tz=ZoneInfo("UTC"), date_style="iso"
    )
    root = Path("/out")
    target = root / post.path
    assert os.path.normpath(target).startswith("/out/")
    assert len(Path(post.path).parts) == 4
    assert all(len(part.encode()) <= 200 for part in Path(post.path).parts)
    data = front_matter(post.text)
    assert data["categories"][0] == category
    assert isinstance(data["title"], str) and data["title"]


def test_safe_segment_examples() -> None:
    assert safe_segment("../../x") == "x"
    assert safe_segment("CON") == "CON_"
    assert safe_segment("") == "untitled"
    assert len(safe_segment("中" * 300).encode()) <= 200
