"""`newsstand store copy`: SQLite to PostgreSQL and back, every row; the posts and the
site built from each copy are the ones built from the original, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

from support.cli import cli
from support.helpers import rss, write_config

from newsstand import pipeline
from newsstand.config import load_config
from newsstand.demo.server import Resource


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _site(root: Path, url: str, feeds: list[dict]) -> Path:
    return write_config(root, feeds, store={"url": url}, fetch={"timeout": 5})


def test_round_trip_gives_the_same_posts_and_site(server, tmp_path: Path, pg_url: str) -> None:
    feeds = []
    for n in range(6):
        items = [
            {
                "title": f"第{n}条 {i}",
                "guid": f"g{n}-{i}",
                "link": f"https://e.com/{n}/{i}",
                "date": f"Mon, 0{1 + i} Jan 2024 10:00:00 GMT",
                "html": f"<p>text {n} {i}</p>",
            }
            for i in range(5)
        ]
        server.routes[f"/f{n}"] = Resource(rss(items))
        feeds.append({"url": server.url(f"/f{n}"), "category": f"c{n % 2}", "source": f"s{n}"})
    lite = _site(tmp_path / "a", f"sqlite:///{tmp_path}/a/a.db", feeds)
    summary = pipeline.run(load_config(lite))
    assert summary.complete and sum(r.new for r in summary.feeds) == 30
    posts, site = _tree(tmp_path / "a" / "source"), _tree(tmp_path / "a" / "public")

    copied = cli("store", "copy", "--to", pg_url, "-c", str(lite))
    assert copied.returncode == 0, copied.stderr
    assert "entries\t30" in copied.stdout and "the counts match" in copied.stdout

    back_url = f"sqlite:///{tmp_path}/c/c.db"
    for root, url in ((tmp_path / "b", pg_url), (tmp_path / "c", back_url)):
        config = load_config(_site(root, url, feeds))
        if url == back_url:
            again = cli(
                "store", "copy", "--to", back_url, "-c", str(tmp_path / "b" / "newsstand.toml")
            )
            assert again.returncode == 0, again.stderr
        shutil.rmtree(root / "source", ignore_errors=True)
        result = pipeline.run(config, do_fetch=False)
        assert result.complete
        assert _tree(root / "source") == posts
        assert _tree(root / "public") == site


def test_copy_refuses_a_store_that_is_not_empty(server, tmp_path: Path, pg_url: str) -> None:
    server.routes["/a"] = Resource(rss([{"title": "t", "guid": "g", "link": "https://e.com/"}]))
    feeds = [{"url": server.url("/a"), "category": "c", "source": "s"}]
    lite = _site(tmp_path / "a", f"sqlite:///{tmp_path}/a/a.db", feeds)
    pipeline.run(load_config(lite))
    assert cli("store", "copy", "--to", pg_url, "-c", str(lite)).returncode == 0
    twice = cli("store", "copy", "--to", pg_url, "-c", str(lite))
    assert twice.returncode == 1
    assert "the target store is not empty (feeds holds 1 rows)" in twice.stderr
    secret = cli("store", "copy", "--to", "postgresql://u:pw@h/db", "-c", str(lite))
    assert secret.returncode == 2 and "pw" not in secret.stderr
