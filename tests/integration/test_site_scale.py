"""A long history on GitHub Pages: old entries get compact pages and one-line rows, no
folder holds more than 3,000 entries, and a build says what the site weighs."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from support.helpers import dated_item, serve_feed
from support.site_check import check_site, parse

from newsstand import pipeline
from newsstand.cli import main
from newsstand.model import IndexRow
from newsstand.publish.site import tree
from newsstand.publish.site.plan import COMPACT_OTHERS, OTHERS, Plan, Settings

START = datetime(2024, 3, 1, tzinfo=UTC)


def _items(numbers) -> list[dict]:
    return [
        dated_item(
            n,
            START + timedelta(hours=n),
            title=f"标题 {n}",
            guid=f"g-{n}",
            html=f'<p>正文{n} <img src="https://img.example.com/{n}.jpg"> 全文的第二句。</p>',
        )
        for n in numbers
    ]


def _entry_page(site: Path, n: int) -> str:
    (page,) = [
        p for p in (site / "posts").rglob("*.html") if f">标题 {n}</h1>" in p.read_text("utf-8")
    ]
    return page.read_text("utf-8")


def test_entries_older_than_the_window_get_compact_pages(server, make_config) -> None:
    url = serve_feed(server, "/feed", _items(range(30)))
    config = make_config(
        [{"url": url, "category": "新闻", "source": "日报"}],
        output__site={"per_page": 5, "full_entries": 10},
    )
    pipeline.run(config)
    site = config.site_output.dir
    check_site(site)  # every link of the compact pages and rows resolves
    for n in range(20, 30):  # the newest ten: the whole article
        page = _entry_page(site, n)
        assert 'class="content"' in page and "img.example.com" in page and "全文的第二句" in page
    for n in range(20):  # older: title, source, date, first words, the original's link
        page = _entry_page(site, n)
        assert 'class="content"' not in page and "img.example.com" not in page
        article = re.search(r"<article.*?</article>", page, re.S).group(0)
        assert f"正文{n}" in article and "全文的第二句" in article  # the summary, as text
        assert f'href="https://example.com/{n}"' in article and "日报" in article
    # lists: the newest as cards, the old ones as one line each
    home = parse(site / "index.html")
    assert len([e for e in home.iter("article") if e.get("class") == "card"]) == 5
    oldest = (site / "page/1.html").read_text("utf-8")
    assert oldest.count('<p class="row">') == 5 and 'class="card"' not in oldest
    assert "标题 0" in oldest

    # five new entries: five more leave the window, and only what shows them changes
    before = {p: p.read_bytes() for p in (site / "posts").rglob("*.html")}
    serve_feed(server, "/feed", _items(range(35)))
    pipeline.run(config)
    check_site(site)
    for n in range(20, 25):
        assert 'class="content"' not in _entry_page(site, n)
    for n in range(25, 35):
        assert 'class="content"' in _entry_page(site, n)
    unchanged = [p for p, data in before.items() if p.exists() and p.read_bytes() == data]
    assert len(unchanged) >= 20 - 2  # the compact pages stay (bar the newest one's neighbour)


def _rows(count: int, days: int) -> list[IndexRow]:
    step = days * 86400 / count
    return [
        IndexRow(
            i,
            f"{i:016x}",
            1,
            (START + timedelta(seconds=i * step)).isoformat(),
            "c",
            "s",
            "ch",
            i,
        )
        for i in range(count)
    ]


def test_a_compact_page_lists_fewer_of_its_story() -> None:
    """One story of 30 entries: a full page names 10 of the others, a compact one 3."""
    rows = [row._replace(story=0) for row in _rows(30, 1)]
    settings = Settings("t", "https://x.test", "/", 5, "en", "UTC", full_entries=10)
    pages = [p for p in Plan(rows, settings, ZoneInfo("UTC"), "", "theme").pages()]
    listed = {p.template: len(p.context["others"]) for p in pages if "others" in p.context}
    assert listed == {"entry.html": OTHERS, "entry_compact.html": COMPACT_OTHERS}


def test_no_folder_of_a_long_history_holds_over_3000_entries() -> None:
    """9,000 entries in one month, two a list page: the month's posts are split by day and
    each list's 4,500 numbered pages spread over folders."""
    settings = Settings("t", "https://x.test", "/", 2, "en", "UTC", full_entries=1000)
    plan = Plan(_rows(9000, 30), settings, ZoneInfo("UTC"), "", "theme")
    entries: Counter[str] = Counter()
    seen = set()
    for page in plan.pages():
        path = PurePosixPath(page.path)
        for parent, child in zip(path.parents, (path, *path.parents), strict=False):
            if (parent, child) not in seen:
                seen.add((parent, child))
                entries[str(parent)] += 1
    assert max(entries.values()) <= tree.FOLDER_LIMIT
    assert entries["page"] > 1000 and entries["posts/2024/03"] <= 31
    # a month lists its days (each paginated) and its newest entries, no pages of its own
    paths = [page.path for page in plan.pages()]
    assert not [p for p in paths if p.startswith("archives/2024/03/page/")]
    assert "archives/2024/03/01/page/1.html" in paths
    # a numbered page keeps its path as the list grows
    longer = Plan(_rows(9100, 30), settings, ZoneInfo("UTC"), "", "theme")
    paths = {p.path for p in plan.pages() if "/page/" in "/" + p.path}
    assert paths <= {p.path for p in longer.pages()}


def test_a_build_says_what_the_site_weighs(server, make_config) -> None:
    url = serve_feed(server, "/feed", _items(range(12)))
    config = make_config([{"url": url, "category": "新闻", "source": "日报"}])
    runner = CliRunner()
    done = runner.invoke(main, ["fetch", "--config", str(config.path)])
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["build", "--json", "--config", str(config.path)])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    site = config.site_output.dir
    files = [p for p in site.rglob("*") if p.is_file() and p.name != tree.MANIFEST]
    assert result["files"] == len(files)
    assert result["bytes"] == sum(p.stat().st_size for p in files)
    assert result["warnings"] == []
    done = runner.invoke(main, ["build", "--config", str(config.path)])  # nothing new
    assert f"{result['bytes'] / 1e6:.0f} MB in {len(files)} files" in done.stdout


def test_a_site_near_the_pages_limit_is_warned_of() -> None:
    size = tree.Size(bytes=850_000_000, files=200_000, folder="posts/2024/03/01", entries=3200)
    said = " ".join(tree.warnings(size))
    assert "850 MB" in said and "full_entries" in said and "posts/2024/03/01" in said
    assert tree.warnings(tree.Size(bytes=10**8, files=1, folder="", entries=10)) == []
