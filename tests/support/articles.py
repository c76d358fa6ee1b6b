"""An article of our own (Chinese text, an image, a link to the original), published
through the real pipeline: the input of the site, browser and Hexo tests of newsstand's
own behaviour, which so need nothing from ../shared (the acceptance tests use its item)."""

from __future__ import annotations

from pathlib import Path

from newsstand import pipeline
from newsstand.demo.server import Resource

from .helpers import rss

PLACE = {"category": "新闻", "source": "示例日报", "channel": "要闻"}
TITLE = "港口新航线开通 首月集装箱吞吐量创新高"
TEXT = "新开通的远洋航线首月共完成集装箱吞吐量"
LINK = "https://news.example.org/2021/04/01/port.html"
IMAGE = "https://img.example.org/2021/port.jpg"
DATE = "Thu, 01 Apr 2021 00:12:07 GMT"  # 2021-04-01 08:12:07 in Asia/Shanghai
HTML = (
    f'<p><img src="{IMAGE}" alt="港口"></p>'
    f"<p>{TEXT}十二万标准箱，比去年同期增长百分之十八。</p>"
    "<p>港务部门表示，下一步将继续优化航线布局，提升码头作业效率。</p>"
    "<style>p { color: red }</style><!-- 编辑备注 -->"
)


def article(n: int = 0) -> dict:
    """The article (n = 0), or another of the same source for lists of several."""
    if n == 0:
        return {"title": TITLE, "guid": "port-1", "link": LINK, "date": DATE, "html": HTML}
    return {
        "title": f"第 {n} 条简讯：码头作业效率提升",
        "guid": f"brief-{n}",
        "link": f"https://news.example.org/briefs/{n}.html",
        "date": f"Thu, 01 Apr 2021 {n % 24:02d}:30:00 GMT",
        "html": f"<p>简讯 {n}：港区作业效率继续提升。</p>",
    }


def publish_article(server, make_config, *, site: dict | None = None, **hexo) -> Path:
    """Serve the article's feed, run the job, and return the article's Hexo post."""
    server.routes["/daily/news"] = Resource(rss([article()]), "application/rss+xml")
    config = make_config(
        [{"url": server.url("/daily/news"), **PLACE}], output__hexo=hexo, site=site or {}
    )
    summary = pipeline.run(config)
    assert not summary.failed, summary.failed
    (post,) = (config.hexo.dir / Path(*PLACE.values())).glob("*.md")
    return post
