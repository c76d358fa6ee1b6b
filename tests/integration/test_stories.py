"""Stories over the whole run: the same event from five feeds is one story, two events
told in similar words are two, and the store, the CLI and the settings agree."""

from __future__ import annotations

import json

import pytest
from support.cli import cli
from support.stories import fixtures, serve_outlets

from newsstand import pipeline
from newsstand.store import open_store

pytestmark = pytest.mark.usefixtures("store_url")  # on each store backend


def stories_of(config) -> list[list[str]]:
    with open_store(config.store.url, lock=False) as store:
        return [[item.entry.title for item in story.items] for story in store.stories()]


def test_five_feeds_with_the_same_event_make_one_story(server, make_config) -> None:
    rows = fixtures("rrr-cut")
    config = make_config(serve_outlets(server, rows))
    pipeline.run(config)
    found = stories_of(config)
    assert len(found) == 1 and sorted(found[0]) == sorted(r["title"] for r in rows)
    assert found[0][0] == rows[0]["title"]  # earliest first


def test_two_events_in_similar_words_stay_two_stories(server, make_config) -> None:
    rows = fixtures("rrr-cut", "lpr-cut", "fed-hike", "ecb-hike", "moutai", "wuliangye")
    config = make_config(serve_outlets(server, rows))
    pipeline.run(config)
    clusters = {r["title"]: r["cluster"] for r in rows}
    found = stories_of(config)
    assert found
    for titles in found:
        assert len({clusters[t] for t in titles}) == 1, titles
    assert {clusters[t[0]] for t in found} >= {"rrr-cut", "moutai", "lpr-cut"}


def test_a_feed_with_stories_false_is_never_grouped(server, make_config) -> None:
    rows = fixtures("quake-sichuan")
    feeds = serve_outlets(server, rows)
    feeds[0]["stories"] = False
    config = make_config(feeds)
    pipeline.run(config)
    (story,) = stories_of(config)
    assert len(story) == len(rows) - 1


def test_stories_can_be_switched_off(server, make_config) -> None:
    config = make_config(serve_outlets(server, fixtures("rrr-cut")), stories={"enabled": False})
    summary = pipeline.run(config)
    assert summary.stories is None and stories_of(config) == []


def test_list_shows_the_stories_as_json_and_rebuild_regroups(server, make_config) -> None:
    config = make_config(serve_outlets(server, fixtures("rrr-cut", "moutai")))
    pipeline.run(config)
    listed = cli("stories", "list", "--json", "-c", str(config.path))
    assert listed.returncode == 0, listed.stdout
    data = json.loads(listed.stdout)
    assert len(data) == 2
    assert set(data[0]) == {"story", "entries"}
    assert set(data[0]["entries"][0]) == {"feed", "id", "title", "link", "published"}
    assert {len(s["entries"]) for s in data} == {5, 4}
    # a stricter threshold, then the last 30 days grouped again: fewer entries join
    text = config.path.read_text(encoding="utf-8")
    config.path.write_text("[stories]\nthreshold = 0.9\n" + text, encoding="utf-8")
    rebuilt = cli("stories", "rebuild", "--days", "36500", "-c", str(config.path))
    assert rebuilt.returncode == 0, rebuilt.stdout
    again = json.loads(cli("stories", "list", "--json", "-c", str(config.path)).stdout)
    assert sum(len(s["entries"]) for s in again) < 9
    plain = cli("stories", "list", "-c", str(config.path))
    assert plain.returncode == 0


def test_the_site_shows_a_story_once_with_its_outlets(server, make_config) -> None:
    rows = fixtures("rrr-cut")
    config = make_config(serve_outlets(server, rows))
    pipeline.run(config)
    site = config.site_output.dir
    home = (site / "index.html").read_text(encoding="utf-8")
    titles = [r["title"] for r in rows]
    assert sum(home.count(f">{t}</a></h2>") for t in titles) == 1
    assert "5 家媒体报道" in home
    category = (site / "category" / "金融" / "index.html").read_text(encoding="utf-8")
    assert "5 家媒体报道" in category and category.count('class="card"') == 1
    atom = (site / "atom.xml").read_text(encoding="utf-8")
    assert atom.count("<entry>") == 1
    # every entry keeps its own page, which names the four other outlets
    pages = list((site / "posts").rglob("*.html"))
    assert len(pages) == 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "其他媒体的报道" in text
        assert sum(f">{t}</a>" in text for t in titles) == 4


def test_hexo_posts_are_every_entry_unless_first_is_asked(server, make_config) -> None:
    rows = fixtures("rrr-cut", "moutai")
    feeds = serve_outlets(server, rows)
    config = make_config(feeds)
    pipeline.run(config)
    assert len(list(config.hexo.dir.rglob("*.md"))) == 9  # drop-in: one post per entry
    first = make_config(feeds, output__hexo={"stories": "first"})  # the same store
    pipeline.run(first)
    posts = list(first.hexo.dir.rglob("*.md"))
    titles = {
        line.removeprefix("title: ").strip("'")
        for post in posts
        for line in post.read_text(encoding="utf-8").splitlines()
        if line.startswith("title: ")
    }
    assert titles == {fixtures("rrr-cut")[0]["title"], fixtures("moutai")[0]["title"]}
