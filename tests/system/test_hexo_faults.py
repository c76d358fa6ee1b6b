"""Real Hexo (from npm) builds the posts of a hostile feed safely: no script, templates
shown and never evaluated."""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path

from support.faultsite import Site
from support.hexo_site import build_hexo_site
from support.hostile import assert_safe, hostile_feed

from newsstand.demo.server import FeedServer, Resource


def test_hexo_builds_the_hostile_posts_safely(hexo, server: FeedServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path / "site")
    site.second_run(Resource(hostile_feed()))
    build = build_hexo_site(site.posts_dir, tmp_path / "hexo").check(allow_warnings=False)
    articles = [
        p for p in build.pages() if re.match(r"\d{4}$", p.relative_to(build.public).parts[0])
    ]
    assert len(articles) == len(site.posts())
    seen = ""
    for page in articles:
        html = page.read_text("utf-8")
        content = html.split('<div class="post-content">', 1)[1].split("</article>", 1)[0]
        assert_safe(content.rsplit("</div>", 1)[0])
        seen += html
    shown = html_module.unescape(seen)
    assert "{{ site.title }}" in shown and "{{ 7*7 }}" in shown  # shown, never evaluated
    assert "{{ config.title }}" in shown and "49" not in shown
