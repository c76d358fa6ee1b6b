"""Which routes are still served, and where a gone one went: pure, over Route nouns (the
same against the real RSSHub: tests/system/rsshub/test_check.py)."""

from __future__ import annotations

from newsstand.model import Route
from newsstand.sources.check import check_routes


def route(path: str, name: str | None, example: str | None = None) -> Route:
    return Route(path, example, path.split("/")[1], "新媒体", "new-media", "新浪", name)


CURRENT = [
    route("/sina/finance/china/:lid?", "财经－国內", "/sina/finance/china"),
    route("/sina/finance/rollnews/:lid?", "财经－滚动新闻"),
    route("/sina/sports/:type?", "新浪体育"),
    route("/cls/:category?", None),
]


def test_served_paths_match_a_template_or_the_path() -> None:
    checks = check_routes([("/sina/finance/china/1687?limit=5", None), ("/cls", None)], CURRENT)
    assert [c.served_by.path if c.served_by else None for c in checks] == [
        "/sina/finance/china/:lid?",
        "/cls/:category?",
    ]


def test_a_gone_route_is_offered_the_current_one_of_its_name() -> None:
    (gone,) = check_routes([("/sina/finance", "新浪财经－国內")], CURRENT)
    assert gone.gone and gone.suggestion is not None
    assert gone.line() == (
        "/sina/finance: RSSHub has no such route now;"
        " perhaps /sina/finance/china (新浪 › 财经－国內)"
    )


def test_the_name_can_come_from_the_docs_catalog() -> None:
    documented = route("/sina/rollnews", "财经－滚动新闻")
    (gone,) = check_routes([("/sina/rollnews", "新浪")], CURRENT, lambda path: documented)
    assert gone.suggestion is not None and gone.suggestion.path == "/sina/finance/rollnews/:lid?"


def test_no_guess_without_a_name_that_matches() -> None:
    (gone,) = check_routes([("/sina/csj", "创事记")], CURRENT)
    assert gone.gone and gone.suggestion is None
    assert gone.line() == "/sina/csj: RSSHub has no such route now"
    (elsewhere,) = check_routes([("/nowhere/news", "新闻")], CURRENT)
    assert elsewhere.gone and elsewhere.suggestion is None
