"""The acceptance item (../shared/acceptance) published through the real pipeline: the
post that the acceptance, site, Hexo and browser tests look at."""

from __future__ import annotations

from pathlib import Path

from newsstand import pipeline
from newsstand.demo.server import Resource

PLACE = {"category": "金融", "source": "新浪财经", "channel": "新浪财经－国內"}


def publish_acceptance(
    shared: Path,
    server,
    make_config,
    *,
    clean: bool,
    route: bool = False,
    site: dict | None = None,
    **hexo,
) -> Path:
    server.routes["/sina/finance"] = Resource(
        (shared / "acceptance" / "sina-finance.xml").read_bytes(),
        "application/rss+xml; charset=utf-8",
    )
    feed = {"route": "/sina/finance"} if route else {"url": server.url("/sina/finance")}
    config = make_config(
        [{**feed, **PLACE, "clean": clean}],
        rsshub={"instances": [server.base]},
        output__hexo=hexo,
        site=site or {},
    )
    summary = pipeline.run(config)
    assert not summary.failed, summary.failed
    folder = config.hexo.dir / "金融" / "新浪财经" / "新浪财经－国內"
    (post,) = folder.glob("*.md")
    return post
