"""OPML: import from real readers' exports, export, and a round trip that loses nothing."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from support.cli import cli
from support.paths import DATA as TEST_DATA

from newsstand.sources.opml import read_opml

DATA = TEST_DATA / "opml"
READERS = ["feedly", "inoreader", "freshrss", "miniflux"]


def new_site(folder: Path, instance: str = "https://rsshub.app") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "newsstand.toml"
    path.write_text(f'# my site\n[rsshub]\ninstances = ["{instance}"]\n', "utf-8")
    return path


def feeds_of(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text("utf-8")).get("feeds", [])


def places(path: Path) -> set[tuple]:
    return {
        (
            f.get("route") or f["url"],
            f["category"],
            f["source"],
            f.get("channel", f["source"]),
            f.get("enabled", True),
            tuple(sorted(f.get("rsshub_params", {}).items())),
        )
        for f in feeds_of(path)
    }


@pytest.mark.parametrize("reader", READERS)
def test_reader_exports_import(tmp_path: Path, reader: str) -> None:
    file = DATA / f"{reader}.opml"
    text = file.read_text("utf-8")
    site = new_site(tmp_path)
    result = cli("feeds", "import-opml", str(file), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    feeds = feeds_of(site)
    assert len(feeds) == len(re.findall(r'xmlUrl="', text))
    folders = set(re.findall(r'<outline text="([^"]+)"(?: title="[^"]*")?>', text))
    assert {f["category"] for f in feeds} == folders
    assert "# my site" in site.read_text("utf-8")


def test_rsshub_urls_become_routes_without_the_key(tmp_path: Path) -> None:
    site = new_site(tmp_path)
    assert cli("feeds", "import-opml", str(DATA / "miniflux.opml"), cwd=tmp_path).returncode == 0
    xueqiu = next(f for f in feeds_of(site) if f.get("route"))
    assert xueqiu == {
        "route": "/xueqiu/today",
        "category": "All",
        "source": "雪球 今日话题",
        "rsshub_params": {"limit": "10"},
    }
    assert "secret" not in site.read_text("utf-8")


def test_round_trip_keeps_every_feed_and_folder(tmp_path: Path) -> None:
    first = new_site(tmp_path / "a")
    for reader in READERS:
        assert (
            cli("feeds", "import-opml", str(DATA / f"{reader}.opml"), cwd=first.parent).returncode
            == 0
        )
    # a nested folder (category › source), a disabled feed and a channel of its own
    (tmp_path / "nested.opml").write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline text="金融"><outline text="新浪财经">'
        '<outline type="rss" text="新浪财经－国內" xmlUrl="https://rsshub.app/sina/finance/china"/>'
        '<outline type="rss" text="滚动" isDisabled="true"'
        ' xmlUrl="https://rsshub.app/sina/rollnews"/>'
        "</outline></outline>"
        '<outline type="rss" text="Loose" xmlUrl="https://loose.example/feed"/>'
        "</body></opml>",
        "utf-8",
    )
    assert (
        cli("feeds", "import-opml", str(tmp_path / "nested.opml"), cwd=first.parent).returncode == 0
    )
    exported = cli("feeds", "export-opml", cwd=first.parent)
    assert exported.returncode == 0
    out = tmp_path / "out.opml"
    out.write_text(exported.stdout, "utf-8")
    assert len(read_opml(out.read_bytes())) == len(feeds_of(first))

    second = new_site(tmp_path / "b")
    assert cli("feeds", "import-opml", str(out), cwd=second.parent).returncode == 0
    assert places(second) == places(first)
    assert ("/sina/finance/china", "金融", "新浪财经", "新浪财经－国內", True, ()) in places(second)
    assert ("/sina/rollnews", "金融", "新浪财经", "滚动", False, ()) in places(second)
    assert ("https://loose.example/feed", "Uncategorized", "Loose", "Loose", True, ()) in places(
        second
    )

    again = cli("feeds", "import-opml", str(out), cwd=second.parent)
    assert again.returncode == 0 and "already there" in again.stdout
    assert places(second) == places(first)


def test_not_opml_is_refused(tmp_path: Path) -> None:
    new_site(tmp_path)
    (tmp_path / "x.opml").write_text("<rss><channel/></rss>", "utf-8")
    result = cli("feeds", "import-opml", str(tmp_path / "x.opml"), cwd=tmp_path)
    assert result.returncode == 2 and "not an OPML document" in result.stderr


def test_feeds_that_are_not_http_are_reported_not_written(tmp_path: Path) -> None:
    site = new_site(tmp_path)
    (tmp_path / "x.opml").write_text(
        '<opml version="1.0"><body><outline text="A">'
        '<outline text="odd" xmlUrl="feed://example.com/rss"/>'
        '<outline text="ok" xmlUrl="https://example.com/rss"/>'
        "</outline></body></opml>",
        "utf-8",
    )
    result = cli("feeds", "import-opml", str(tmp_path / "x.opml"), cwd=tmp_path)
    assert result.returncode == 0 and "feed://example.com/rss" in result.stderr
    assert [f["url"] for f in feeds_of(site)] == ["https://example.com/rss"]
