"""The real-Hexo harness works, and what real Hexo does with the post format.

These tests build sites with Hexo from npm (tests/hexo). They pin down facts that the
Hexo publisher relies on: where Hexo puts nested category pages, which front-matter
date styles keep their instant, and that the harness makes Hexo's quiet errors loud.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from support.hexo_site import build_hexo_site

CATEGORIES = ("金融", "新浪财经", "新浪财经－国內")
SEED_TEXT = "先进制造业集聚中心"
INSTANT = "2021-04-01T00:12:07.000Z"  # the seed's date, as the theme prints it


@pytest.fixture(autouse=True)
def _hexo(hexo) -> None:
    """Every test here builds with real Hexo."""


@pytest.fixture
def seed_post(shared: Path) -> Path:
    """The reference system's post (skips where ../shared is absent)."""
    return shared / "acceptance" / "seed-post.md"


def _write_post(folder: Path, name: str, title: str, date: str, body: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = f"---\ntitle: '{title}'\ndate: {date}\n---\n\n<div><p>{body or title}</p></div>\n"
    (folder / f"{name}.md").write_text(text, encoding="utf-8")


def _page_with_title(build, title: str) -> str:
    heading = f'<h1 class="page-title">{title}</h1>'
    pages = build.pages_containing(heading)
    assert len(pages) == 1, f"expected one page titled {title!r}, found {pages}"
    return pages[0].read_text(encoding="utf-8")


def _post_date(page: str) -> str:
    m = re.search(r'<time class="post-date" datetime="([^"]+)"', page)
    assert m, "post page has no date"
    return m.group(1)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_seed_post_builds_into_category_path_and_article(tmp_path: Path, seed_post: Path) -> None:
    seed = seed_post
    front = yaml.safe_load(seed.read_text(encoding="utf-8").split("\n---\n")[1])
    assert tuple(front["categories"]) == CATEGORIES

    posts = tmp_path / "posts"
    channel = posts.joinpath(*CATEGORIES)
    channel.mkdir(parents=True)
    shutil.copy(seed, channel / seed.name)

    build = build_hexo_site(posts, tmp_path / "site").check(allow_warnings=False)

    # hexo-generator-category writes nested categories as nested folders with raw UTF-8
    # names (slugize keeps CJK and the full-width dash); links to them are %-encoded.
    for depth in range(1, len(CATEGORIES) + 1):
        page = build.public / "categories" / Path(*CATEGORIES[:depth]) / "index.html"
        assert page.is_file(), f"missing category page {page}"
    channel_page = build.read("categories/金融/新浪财经/新浪财经－国內/index.html")
    assert front["title"] in channel_page

    html = _page_with_title(build, front["title"])
    content = html.split('<div class="post-content">', 1)[1]
    assert f"打造全国重要{SEED_TEXT}方面" in content  # the article's text, not just its title
    crumbs = re.search(r'<nav class="breadcrumb">(.*?)</nav>', html, re.S)
    assert crumbs
    assert re.findall(r">([^<>]+)</a>", crumbs.group(1)) == list(CATEGORIES)
    assert _post_date(html) == INSTANT


@pytest.mark.parametrize("tz", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_front_matter_date_styles(tmp_path: Path, tz: str) -> None:
    """With the site's `timezone` empty, date *strings* keep their instant on any machine.

    A quoted ISO 8601 string with an offset (or Z) and the seed's RFC 822 string both
    denote 2021-04-01T00:12:07Z whatever time zone the machine running Hexo is in. An
    unquoted ISO timestamp does not: YAML makes it a timestamp, and hexo-front-matter
    re-reads every YAML timestamp as wall-clock time in the machine's zone.
    """
    posts = tmp_path / "posts"
    styles = {
        "quoted-offset": "'2021-04-01T08:12:07+08:00'",
        "quoted-utc": "'2021-04-01T00:12:07Z'",
        "rfc822": "Thu, 01 Apr 2021 00:12:07 GMT",  # the seed's style (a YAML string)
        "unquoted-utc": "2021-04-01T00:12:07Z",  # a YAML timestamp
    }
    for name, date in styles.items():
        _write_post(posts, name, f"date style {name}", date)

    build = build_hexo_site(posts, tmp_path / "site", tz=tz).check()
    shown = {name: _post_date(_page_with_title(build, f"date style {name}")) for name in styles}

    assert shown["quoted-offset"] == INSTANT
    assert shown["quoted-utc"] == INSTANT
    assert shown["rfc822"] == INSTANT
    machine_wall_clock = datetime(2021, 4, 1, 0, 12, 7, tzinfo=ZoneInfo(tz))
    assert shown["unquoted-utc"] == _iso(machine_wall_clock)  # == INSTANT only when tz is UTC


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_site_timezone_makes_hexo_read_dates_as_wall_clock(tmp_path: Path, tz: str) -> None:
    """With `timezone: Asia/Shanghai` in _config.yml, only a naive wall-clock date is exact.

    Hexo then shifts every date (even one with an explicit offset) as if its machine-local
    wall-clock reading were Shanghai time; a date written without offset, as wall-clock
    time in the site's zone, comes out right on any machine.
    """
    posts = tmp_path / "posts"
    _write_post(posts, "naive", "naive wall clock", "'2021-04-01 08:12:07'")
    _write_post(posts, "offset", "explicit offset", "'2021-04-01T08:12:07+08:00'")

    build = build_hexo_site(
        posts, tmp_path / "site", tz=tz, config={"timezone": "Asia/Shanghai"}
    ).check()

    assert _post_date(_page_with_title(build, "naive wall clock")) == INSTANT
    assert _post_date(_page_with_title(build, "explicit offset")) != INSTANT


def test_blank_line_then_indented_html_becomes_a_code_block(
    tmp_path: Path, seed_post: Path
) -> None:
    """The seed's body, as the reference wrote it, shows its QR-code block as code.

    A CommonMark HTML block ends at a blank line; the seed's later lines are indented
    by 12 spaces, so hexo-renderer-marked prints them (the <style> and its &#123;
    entities included) as a <pre><code> block. The same body without blank lines stays
    one raw HTML block.
    """
    seed = seed_post.read_text(encoding="utf-8")
    head, sep, body = seed.partition("\n---\n\n")
    assert sep, "seed post layout changed"
    compact = "\n".join(line for line in body.splitlines() if line.strip()) + "\n"
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "as-written.md").write_text(seed, encoding="utf-8")
    (posts / "compact.md").write_text(
        head.replace("title: '", "title: 'compact ", 1) + sep + compact, encoding="utf-8"
    )

    build = build_hexo_site(posts, tmp_path / "site").check()
    title = yaml.safe_load(head.split("---\n", 1)[1])["title"]
    as_written = _page_with_title(build, title)
    compacted = _page_with_title(build, f"compact {title}")

    assert "<pre><code>" in as_written
    assert "&lt;style&gt;" in as_written
    assert "&amp;#123;" in as_written  # the reader sees a literal "&#123;"
    assert "<pre>" not in compacted
    assert '<div class="appendQr_normal_txt">' in compacted
    assert SEED_TEXT in as_written and SEED_TEXT in compacted


def test_invalid_front_matter_is_an_error_although_hexo_exits_0(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "broken.md").write_text("---\ntitle: 'unterminated\n---\n\nbody\n", encoding="utf-8")

    build = build_hexo_site(posts, tmp_path / "site")

    assert build.returncode == 0  # Hexo drops the post and carries on
    assert any("Process failed" in line and "broken.md" in line for line in build.errors)
    assert not build.ok
    with pytest.raises(AssertionError, match=r"broken\.md"):
        build.check()


def test_unescaped_braces_are_fatal(tmp_path: Path) -> None:
    """Why the body's braces must be written as &#123; / &#125;: Nunjucks reads tags."""
    posts = tmp_path / "posts"
    _write_post(posts, "braces", "braces", "'2021-04-01T00:12:07Z'", body="{% raw_tag %} {{ x }}")

    build = build_hexo_site(posts, tmp_path / "site")

    assert build.returncode != 0
    assert any(line.startswith("FATAL") for line in build.errors)
    with pytest.raises(AssertionError, match="Nunjucks"):
        build.check()
