"""The site's own pictures, over a whole run against loopback image hosts that behave as
real ones do: one answers 403 unless it gets the Referer its table entry names (as
sinaimg.cn does), one answers 403 to any Referer (as WeChat's does), one serves a PNG
bomb, one an SVG with a script, one HTML as image/jpeg, one is down."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image
from support.cli import cli
from support.helpers import rss
from support.pictures import SVG_MARKER, WEIBO, image_hosts, item, photo, setup

from newsstand import pipeline
from newsstand.demo.server import Resource
from newsstand.publish.images import referer_for
from newsstand.store import open_store

pytestmark = pytest.mark.usefixtures("store_url")  # on each store backend


@pytest.fixture
def hosts(server):
    yield from image_hosts(server)


def cards(site: Path) -> list[str]:
    return re.findall(r"<img [^>]*>", (site / "index.html").read_text("utf-8"))


def src(tag: str) -> str:
    found = re.search(r'src="([^"]+)"', tag)
    assert found, tag
    return found[1].replace("&amp;", "&")


def test_every_picture_that_can_be_shown_is_a_file_of_the_site(hosts, make_config) -> None:
    config, pictures = setup(hosts, make_config)
    server, sina, wechat, _ = hosts
    summary = pipeline.run(config)
    site = config.site_output.dir
    assert summary.images is not None

    # the sinaimg-like host got the Referer of its table entry, the WeChat-like none,
    # the feed's own host the entry's link
    (asked,) = [h for p, h in sina.requests if p == "/large/a.jpg"]
    assert asked.get("Referer") == WEIBO
    (asked,) = [h for p, h in wechat.requests if p == "/mmbiz/b.png"]
    assert "Referer" not in asked
    (asked,) = [h for p, h in server.requests if p == "/pics/html.jpg"]
    assert asked.get("Referer") == server.url("/news/5.html")
    assert "newsstand" in asked["User-Agent"] and asked["Accept"].startswith("image/")

    shown = {n: src(tag) for n, tag in enumerate(reversed(cards(site)), 1)}  # oldest first
    assert len(shown) == 8
    for n in (1, 2, 7, 8):  # fetched: a file of the site, with its size given
        assert shown[n].startswith("/images/") and shown[n].endswith(".webp"), shown[n]
        file = site / shown[n].lstrip("/")
        with Image.open(file) as im:
            assert im.format == "WEBP" and im.width <= 400
        assert file.stat().st_size <= 30_000
    assert shown[1] == shown[7] == shown[8]  # one picture, one file
    for n in (3, 4, 5, 6):  # refused or down: the original URL, as before
        assert shown[n] == pictures[n - 1]
    tags = {src(t): t for t in cards(site)}
    assert re.search(r'width="400" height="267"', tags[shown[1]])
    assert 'referrerpolicy="no-referrer"' in tags[pictures[5]]
    assert 'data-initial="示"' in tags[pictures[5]]  # the tile it falls back to

    # the bomb, the HTML and the SVG: one warning each; the down host: one
    warnings = [w for r in summary.feeds for w in r.warnings]
    assert len([w for w in warnings if "decompression bomb" in w]) == 1
    assert len([w for w in warnings if "html.jpg" in w and "not a picture" in w]) == 1
    assert len([w for w in warnings if "SVG" in w]) == 1
    assert len([w for w in warnings if "down.jpg" in w and "not fetched" in w]) == 1

    # no SVG is published, nor anything the SVG held
    published = sorted(p for p in (site / "images").rglob("*") if p.is_file())
    assert published and all(p.suffix == ".webp" for p in published)
    assert all(p.parent.name == p.name[:2] for p in published)  # a folder per 2 characters
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".webp", ".svg"):
            assert SVG_MARKER.encode() not in path.read_bytes(), path

    # the entry page: the picture with its size, og:image and the feeds absolute
    page = next(p for p in (site / "posts").rglob("*.html") if shown[1] in p.read_text("utf-8"))
    text = page.read_text("utf-8")
    assert f'<meta property="og:image" content="https://news.example.org{shown[1]}">' in text
    # the text opens with the same picture: it is shown once, the site's own file
    assert text.count(f'src="{shown[1]}"') == 1 and 'class="hero"' not in text
    (tag,) = [t for t in re.findall(r"<img [^>]*>", text) if shown[1] in t]
    assert tag.count("width=") == tag.count("height=") == 1 and 'width="400"' in tag
    feed = json.loads((site / "feed.json").read_text("utf-8"))
    images = {i["image"] for i in feed["items"]}
    assert "https://news.example.org" + shown[1] in images
    assert pictures[5] in images  # the down host's: its original URL


def test_a_second_run_asks_no_host_again_and_changes_no_file(hosts, make_config) -> None:
    config, _ = setup(hosts, make_config)
    server, sina, wechat, _ = hosts
    pipeline.run(config)
    site = config.site_output.dir
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    asked = len(sina.requests) + len(wechat.requests)
    pics = sum(1 for p, _ in server.requests if p.startswith("/pics/"))
    again = pipeline.run(config)
    assert again.images is not None and again.images.fetched == 1  # only the down host's
    assert len(sina.requests) + len(wechat.requests) == asked
    assert sum(1 for p, _ in server.requests if p.startswith("/pics/")) == pics
    after = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    assert after == before


def test_an_origin_that_deletes_a_picture_does_not_break_an_old_entry(hosts, make_config) -> None:
    config, _ = setup(hosts, make_config)
    server, sina, _, _ = hosts
    pipeline.run(config)
    first = cards(config.site_output.dir)
    del sina.routes["/large/a.jpg"]
    del server.routes["/pics/same.jpg"]
    pipeline.run(config, everything=True)
    assert cards(config.site_output.dir) == first
    for tag in first:
        if src(tag).startswith("/images/"):
            assert (config.site_output.dir / src(tag).lstrip("/")).is_file()


def test_the_budget_keeps_the_newest_entries_pictures(server, make_config) -> None:
    for n in range(1, 7):
        server.routes[f"/p/{n}.jpg"] = Resource(photo(seed=n), "image/jpeg")
    items = [item(n, server.url(f"/p/{n}.jpg"), server.url(f"/n/{n}")) for n in range(1, 7)]
    server.routes["/feed.xml"] = Resource(rss(items), "application/rss+xml")
    feed = [{"url": server.url("/feed.xml"), "category": "c", "source": "s"}]
    config = make_config(feed, images={})  # the defaults
    pipeline.run(config)
    with open_store(config.store.url, lock=False) as store:
        records = store.image_records()
    sizes = [records[server.url(f"/p/{n}.jpg")].size for n in range(1, 7)]
    budget = sum(sizes[3:]) + sizes[2] // 2  # room for the newest three, not four
    config = make_config(feed, images={"max_bytes": budget})
    pipeline.run(config)
    site = config.site_output.dir
    shown = [src(tag) for tag in cards(site)]  # newest first
    local = [s.startswith("/images/") for s in shown]
    assert local == [True, True, True, False, False, False], shown
    total = sum(p.stat().st_size for p in (site / "images").rglob("*.webp"))
    assert 0 < total <= budget
    # a newer entry takes its place; the oldest of the three loses its picture
    server.routes["/p/7.jpg"] = Resource(photo(seed=7), "image/jpeg")
    items.append(item(7, server.url("/p/7.jpg"), server.url("/n/7")))
    server.routes["/feed.xml"] = Resource(rss(items), "application/rss+xml")
    pipeline.run(config)
    shown = [src(tag) for tag in cards(site)]
    assert [s.startswith("/images/") for s in shown][:5] == [True, True, True, False, False]
    assert sum(p.stat().st_size for p in (site / "images").rglob("*.webp")) <= budget
    cached = list(config.state.images.rglob("*.webp"))
    assert len(cached) == 3  # the cache holds what the site publishes, no more
    again = pipeline.run(config, everything=True)  # nothing new: the budget stands
    assert again.images is not None and again.images.fetched == 0
    assert [src(tag) for tag in cards(site)] == shown


def test_status_shows_the_cache_and_the_failing_hosts(hosts, make_config) -> None:
    config, _ = setup(hosts, make_config)
    pipeline.run(config)
    result = cli("status", "--json", "-c", str(config.path))
    cache = json.loads(result.stdout)["images"]
    assert cache["files"] == 2 and cache["published"] == 2 and cache["bytes"] > 0
    failing = {host: count for host, count, _error in cache["failing"]}
    server, _, _, gone = hosts
    assert failing[server.base.removeprefix("http://")] == 3  # the bomb, the SVG, the HTML
    assert failing[gone.removeprefix("http://")] == 1
    text = cli("status", "-c", str(config.path)).stdout
    assert "images   2 cached" in text and gone.removeprefix("http://") in text


def test_images_off_leaves_the_pages_as_before(hosts, make_config) -> None:
    config, pictures = setup(hosts, make_config, enabled=False)
    summary = pipeline.run(config)
    assert summary.images is None
    assert [src(t) for t in reversed(cards(config.site_output.dir))] == pictures
    assert not (config.site_output.dir / "images").exists()


def test_the_referer_table() -> None:
    link = "https://example.com/news/1"
    assert referer_for("https://wx1.sinaimg.cn/large/a.jpg", link) == "https://weibo.com"
    assert referer_for("https://cdnfile.sspai.com/a.png", link) == "https://sspai.com"
    assert referer_for("https://mmbiz.qpic.cn/a.jpg", link) is None
    assert referer_for("https://pic1.zhimg.com/a.jpg", link) is None
    assert referer_for("https://img.example.net/a.jpg", link) == link
    assert referer_for("https://img.example.net/a.jpg", None) is None
    table = (("img.example.net", "https://example.net"), (".sinaimg.cn", ""))
    assert referer_for("https://img.example.net/a.jpg", link, table) == "https://example.net"
    assert referer_for("https://wx1.sinaimg.cn/a.jpg", link, table) is None


def test_the_file_is_small_whatever_the_picture(tmp_path: Path) -> None:
    from newsstand.publish.picture import Made, make

    for data in (photo(4000, 3000, seed=3), photo(300, 4000, seed=4, fmt="PNG")):
        made = make(data, 400)
        assert isinstance(made, Made)
        assert made.width <= 400 and made.height <= 800 and len(made.data) <= 30_000
        with Image.open(io.BytesIO(made.data)) as im:
            assert im.format == "WEBP" and im.size == (made.width, made.height)


def posts_by_number(config) -> dict[int, str]:
    found = {}
    for post in config.hexo.dir.rglob("*.md"):
        text = post.read_text("utf-8")
        found[int(re.search(r"title: '第(\d+)条新闻'", text)[1])] = text
    return found


def test_hexo_posts_are_as_before_unless_asked_for_local_pictures(hosts, make_config) -> None:
    config, pictures = setup(hosts, make_config)
    pipeline.run(config)
    for n, text in posts_by_number(config).items():  # the default: the original URLs
        assert f"headimg: '{pictures[n - 1]}'" in text and "/images/" not in text.split("---")[1]
    assert not (config.hexo.dir.parent / "images").exists()

    config, _ = setup(
        hosts,
        make_config,
    )
    config = make_config(
        [{"url": hosts[0].url("/feed.xml"), "category": "新闻", "source": "示例"}],
        images={"referers": {"127.0.0.2": WEIBO, "127.0.0.3": ""}},
        output__hexo={"images": "local"},
        fetch={"retries": 0},
    )
    pipeline.run(config)
    source = config.hexo.dir.parent
    for n, text in posts_by_number(config).items():
        head = re.search(r"headimg: '([^']+)'", text)[1]
        thumb = re.search(r"thumbnail: '([^']+)'", text)[1]
        assert head == thumb
        if n in (1, 2, 7, 8):
            assert head.startswith("/images/") and (source / head.lstrip("/")).is_file()
        else:
            assert head == pictures[n - 1]
    again = pipeline.run(config)
    assert again.published is not None and again.published.written == 0


def test_the_demo_site_keeps_its_pictures_after_the_demo_exits(tmp_path: Path) -> None:
    result = cli("demo", str(tmp_path / "demo"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    site = tmp_path / "demo" / "public"
    shown = 0
    for page in site.rglob("*.html"):
        for tag in re.findall(r"<img [^>]*>", page.read_text("utf-8")):
            url = src(tag)
            assert "127.0.0.1" not in url, (page, tag)  # the demo's server is gone now
            if url.startswith("/images/"):
                assert (site / url.lstrip("/")).is_file()
                shown += 1
    assert shown > 19  # every card and every entry's pictures
    assert not [p for p in site.rglob("*.svg") if p.parent.name != "static"]
