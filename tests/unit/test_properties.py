"""Properties over the stages a hostile feed reaches: parse, clean, and the post on disk."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.hostile import assert_safe

from newsstand.clean import clean_html
from newsstand.gather import process
from newsstand.model import Entry, Feed, Fetched, Item
from newsstand.parse import ParseError
from newsstand.publish.hexo import HexoPublisher, display_title

FEED = Feed(
    key="k", route=None, url="https://example.com/feed", category="c", source="s", channel="ch"
)
PIECES = [
    "<rss><channel>",
    "</channel></rss>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<description>",
    "</description>",
    "<![CDATA[",
    "]]>",
    "<script>",
    "onerror=",
    "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
    "&e;",
    "&#0;",
    "\x00",
    "{",
    "}",
    "\ufeff",
    "<feed xmlns='http://www.w3.org/2005/Atom'>",
    "<entry>",
    '{"version": "https://jsonfeed.org/version/1.1", "items": [',
    "]}",
    "年",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=3000)
    | st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=40).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
    )
)
def test_any_bytes_through_parse_and_clean_raise_only_parse_error(body: bytes) -> None:
    fetched = Fetched(feed_key="k", url="https://example.com/feed", status=200, body=body)
    try:
        parsed = process(FEED, fetched, "UTC")
    except ParseError as error:
        assert str(error) and "\n" not in str(error)
        return
    for entry in parsed.entries:
        assert_safe(entry.content)


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=300)
    | st.lists(
        st.sampled_from(
            [
                "<script>",
                "</script>",
                "<a href='",
                "javascript:",
                "java\tscript:",
                "&#106;ava",
                "<img src=x onerror=",
                "<svg><a xlink:href='javascript:x'>",
                "<iframe srcdoc='",
                "<style>",
                "<meta http-equiv=refresh content='0;url=javascript:x'>",
                "<base href=",
                "<form action=",
                "<p style='x:expression(1)'>",
                "<math><mi href='javascript:1'>",
                "<object data=",
                "<embed src=",
                "'",
                '"',
                ">",
                "<",
                "vbscript:",
                "<p>",
                "text",
                "<noscript><p title='</noscript><img src=x onerror=alert(1)>'>",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_any_html_through_clean_has_no_script_by_parsing(html: str) -> None:
    assert_safe(clean_html(html, "https://example.com/a/"))


words = st.text(min_size=0, max_size=80)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(title=words, category=words, source=words, channel=words)
def test_any_title_and_category_give_a_post_inside_that_reads_back(
    tmp_path_factory, title: str, category: str, source: str, channel: str
) -> None:
    out = tmp_path_factory.mktemp("posts")
    entry = Entry(
        id="1",
        link="https://example.com/1",
        title=title,
        author=None,
        published=datetime(2021, 4, 1, tzinfo=UTC),
        updated=None,
        content="<p>x</p>",
        thumbnail=None,
    )
    item = Item(
        uid="0123456789abcdef",
        feed_key="k",
        category=category,
        source=source,
        channel=channel,
        entry=entry,
        revision=1,
    )
    result = HexoPublisher(out, tz=ZoneInfo("UTC"), extras=("link",)).publish([item], {}, ())
    assert not result.errors, result.errors
    (output,) = result.outputs
    written = out / output.path
    assert written.is_file()
    assert os.path.realpath(written).startswith(os.path.realpath(out) + os.sep)
    assert [p for p in out.rglob("*") if p.is_file()] == [written]
    text = written.read_text("utf-8")
    meta = yaml.safe_load(text.split("\n---\n", 1)[0][4:])
    assert meta["title"] == display_title(item)
    assert meta["categories"] == [category, source, channel]
    assert meta["link"] == "https://example.com/1"
    assert Path(output.path).parts[-1].endswith("-01234567.md")
