"""The RSSHub route catalog's pure parts: both docs formats read, route templates."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from newsstand.sources.catalog import (
    fill_template,
    match_template,
    parse_docs,
    parse_docs_dir,
    parse_namespace_api,
)


def count_in_files(folder: Path) -> Counter:
    """Routes per category, counted without the parser: the file's `# ` heading names the
    category; each `<Route` tag is one route, or one per path of a new-format :data."""
    counts: Counter = Counter()
    for file in sorted(folder.glob("*.md")):
        text = file.read_text("utf-8")
        heading = next(line for line in text.splitlines() if line.startswith("# "))
        category = heading.split()[-1]  # "# 💰 金融" -> "金融"
        for tag in text.split("<Route")[1:]:
            data = re.match(r"""\s+namespace="[^"]*"\s+:data='([^']*)'""", tag)
            if data:
                path = json.loads(data.group(1).replace("&#39;", "'"))["path"]
                counts[category] += len(path) if isinstance(path, list) else 1
            else:
                counts[category] += 1
    return counts


@pytest.mark.parametrize("which", ["docs-old", "docs-new"])
def test_routes_per_category_match_the_files(shared: Path, which: str) -> None:
    folder = shared / "data" / "rsshub" / which
    routes = parse_docs_dir(folder)
    expected = count_in_files(folder)
    assert Counter(r.category for r in routes) == expected
    assert sum(expected.values()) > 250
    assert {r.format for r in routes} == {which.split("-")[1]}
    assert all(r.path.startswith("/" + r.namespace) and r.source for r in routes)


def test_old_tags_spread_over_lines_or_missing_their_end() -> None:
    text = (
        "# 金融\n\n## 某站\n\n### 频道一\n\n"
        '<Route author="a"\n    example="/site/one/5"\n    path="/site/one/:id?"\n'
        "    :paramsDesc=\"['编号, 默认为 \\'5\\'']\"/>\n\n"
        "### 频道二\n\n"
        '<Route author="b" example="/site/two" path="/site/two"\n\n'
        "说明文字\n\n"
        "```\n# not a heading\n```\n\n"
        "### 频道三\n\n"
        '<Route author="c" example="/site/three" path="/site/three">\n\n| a |\n\n</Route>\n'
    )
    routes = parse_docs(text, "t.md")
    assert [(r.path, r.channel, r.line) for r in routes] == [
        ("/site/one/:id?", "频道一", 7),
        ("/site/two", "频道二", 14),
        ("/site/three", "频道三", 24),
    ]
    assert routes[0].parameters == (("id", "编号, 默认为 '5'"),)
    assert {(r.category, r.source) for r in routes} == {("金融", "某站")}


def test_templates() -> None:
    assert match_template("/xueqiu/user/:id/:type?", "/xueqiu/user/1") == {"id": "1"}
    assert match_template("/xueqiu/user/:id/:type?", "/xueqiu/user/1/2") == {"id": "1", "type": "2"}
    assert match_template("/xueqiu/user/:id", "/xueqiu/user") is None
    assert match_template("/a/:rest{.+}?", "/a/b/c") == {"rest": "b/c"}
    assert fill_template("/xueqiu/user/:id/:type?", {"id": "1"}) == "/xueqiu/user/1"
    with pytest.raises(KeyError):
        fill_template("/xueqiu/user/:id", {})


def test_a_route_served_at_several_paths_is_one_row_per_path() -> None:
    """/api/namespace lists such a route under each of its paths, each entry naming all of
    them in "path"; a namespace's categories file the routes that name none."""
    paths = ["/search/:query?", "/user/:username?"]
    data = {
        "nyaa": {
            "name": "Nyaa",
            "categories": ["multimedia"],
            "routes": {p: {"path": paths, "name": "Search", "categories": []} for p in paths},
        },
        "league": {"name": "League", "categories": ["sport"], "routes": {"/": {"name": "News"}}},
    }
    routes = parse_namespace_api(data, "http://rsshub.local")
    assert [(r.path, r.category) for r in routes] == [
        ("/nyaa/search/:query?", "音视频"),
        ("/nyaa/user/:username?", "音视频"),
        ("/league", "体育"),
    ]
