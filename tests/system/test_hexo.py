"""Point 4 of acceptance/README.md: real Hexo (from npm) builds newsstand's posts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import articles
from support.acceptance import publish_acceptance
from support.articles import publish_article
from support.cli import cli
from support.hexo_site import build_hexo_site

CATEGORIES = ("金融", "新浪财经", "新浪财经－国內")
TEXT = "打造全国重要先进制造业集聚中心方面"


@pytest.mark.parametrize("clean", [False, True], ids=["clean-false", "clean-true"])
def test_hexo_builds_the_acceptance_post(
    hexo, shared, server, make_config, tmp_path: Path, clean: bool
) -> None:
    post = publish_acceptance(shared, server, make_config, clean=clean)
    posts_dir = post.parents[3]
    build = build_hexo_site(posts_dir, tmp_path / "hexo").check(allow_warnings=False)
    for depth in range(1, 4):
        page = build.public / "categories" / Path(*CATEGORIES[:depth]) / "index.html"
        assert page.is_file(), page
    assert "大连着力打造先进制造业集聚中心" in build.read(
        "categories/金融/新浪财经/新浪财经－国內/index.html"
    )
    (article,) = [
        p
        for p in build.pages_containing(TEXT)
        if "categories" not in p.parts and p.parent != build.public
    ]
    html = article.read_text("utf-8")
    content = html.split('<div class="post-content">', 1)[1]
    assert TEXT in content
    assert "2021-04-01T00:12:07.000Z" in html
    # the whole body stayed raw HTML: nothing was turned into a Markdown code block
    assert "<pre><code>" not in content and "&amp;#123;" not in content
    if clean:
        assert "<style" not in content and 'referrerpolicy="no-referrer"' in content


def test_hexo_builds_the_demo(hexo, tmp_path: Path) -> None:
    result = cli("demo", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    posts_dir = tmp_path / "d" / "source" / "_posts"
    posts = list(posts_dir.rglob("*.md"))
    build = build_hexo_site(posts_dir, tmp_path / "hexo").check(allow_warnings=False)
    articles = [
        p for p in build.pages() if re.match(r"\d{4}$", p.relative_to(build.public).parts[0])
    ]
    assert len(articles) == len(posts)
    for page in articles:
        html = page.read_text("utf-8")
        assert "<script" not in html.split('<div class="post-content">', 1)[1]
    channel = build.public / "categories" / "金融" / "示例财经" / "示例财经－国内"
    assert (channel / "index.html").is_file()


def test_local_dates_for_hexo_sites_with_a_timezone(
    hexo, server, make_config, tmp_path: Path
) -> None:
    post = publish_article(
        server, make_config, date_format="local", site={"timezone": "Asia/Shanghai"}
    )
    assert "\ndate: '2021-04-01 08:12:07'\n" in post.read_text("utf-8")
    build = build_hexo_site(
        post.parents[3],
        tmp_path / "hexo",
        tz="America/New_York",
        config={"timezone": "Asia/Shanghai"},
    ).check()
    (article,) = [
        p
        for p in build.pages_containing(articles.TEXT)
        if "categories" not in p.parts and p.parent != build.public
    ]
    assert "2021-04-01T00:12:07.000Z" in article.read_text("utf-8")
