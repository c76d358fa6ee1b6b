"""migrate-rsshub-page: where the reference script's config puts each path."""

from __future__ import annotations

from support.paths import DATA

from newsstand.sources.migrate import selected_paths

PAGE = DATA / "rsshub-page"


def test_headings_say_where_a_path_belongs() -> None:
    text = (PAGE / "temple" / "temple_config.yml").read_text("utf-8")
    assert selected_paths(text) == [
        ("/sina/finance", ("金融", "新浪财经", "新浪财经－国內")),
        ("/xueqiu/today", ("金融", "雪球", "今日话题")),
        ("/aicaijing/latest", ("金融", "AI 财经社", None)),
        ("/aicaijing/cover", ("金融", "AI 财经社", None)),
        ("/no/such/route", ("设计", None, None)),
    ]
