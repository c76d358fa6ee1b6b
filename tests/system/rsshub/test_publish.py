"""Posts from the real RSSHub, built by real Hexo: the seed's front matter keys only, so no
post becomes a "link post" whose title leads away from the site; `link` is an opt-in."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from support.helpers import write_config
from support.hexo_site import build_hexo_site
from support.rsshub import RSSHub

from newsstand import pipeline
from newsstand.config import load_config

ROUTES = ("/test/1", "/test/complicated", "/test/multimedia", "/test/json", "/test/enclosure")
SEED_KEYS = ["title", "categories", "headimg", "author", "comments", "date", "thumbnail"]


def publish(rsshub: RSSHub, root: Path, **hexo) -> Path:
    config = load_config(
        write_config(
            root,
            [
                {"route": r, "category": "测试", "source": "RSSHub", "channel": r.strip("/")}
                for r in ROUTES
            ],
            rsshub={"instances": [rsshub.base]},
            output__hexo=hexo,
            output__site={"enabled": False},
        )
    )
    summary = pipeline.run(config)
    assert not summary.failed, [(r.feed_key, r.error) for r in summary.failed]
    return config.hexo.dir


def index_links(public: Path) -> list[str]:
    html = (public / "index.html").read_text("utf-8")
    return re.findall(r'class="post-link"[^>]*? href="([^"]+)"', html)


@pytest.mark.slow
def test_hexo_builds_posts_from_rsshub_as_the_site_s_own_pages(
    hexo, rsshub: RSSHub, tmp_path: Path
) -> None:
    posts = publish(rsshub, tmp_path / "news")
    files = list(posts.rglob("*.md"))
    assert len(files) > 20
    for post in files:
        keys = list(yaml.safe_load(post.read_text("utf-8").split("---\n")[1]))
        assert keys == [k for k in SEED_KEYS if k in keys], (post, keys)
    build = build_hexo_site(posts, tmp_path / "hexo", config={"per_page": "0"}).check()
    links = index_links(build.public)
    assert len(links) == len(files)
    assert all(link.startswith("/") and "github.com" not in link for link in links), links[:3]
    pages = [build.public / unquote(link).strip("/") for link in links]
    missing = [p for p in pages if not (p.is_file() or (p / "index.html").is_file())]
    assert not missing, missing[:3]


@pytest.mark.slow
def test_with_the_link_opt_in_titles_lead_to_the_original_articles(
    hexo, rsshub: RSSHub, tmp_path: Path
) -> None:
    posts = publish(rsshub, tmp_path / "news", extra_front_matter=["link"])
    build = build_hexo_site(posts, tmp_path / "hexo", config={"per_page": "0"}).check()
    links = index_links(build.public)
    assert links and sum(link.startswith("https://") for link in links) > len(links) / 2
