"""migrate-rsshub-page: the reference script's config.yml / temple_config.yml and
user_config.yml become [[feeds]]."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

from support.cli import cli
from support.paths import DATA

PAGE = DATA / "rsshub-page"


def site(tmp: Path, shared: Path) -> Path:
    path = tmp / "newsstand.toml"
    path.write_text('# migrated site\n[site]\ntitle = "旧站"\n', "utf-8")
    synced = cli("routes", "sync", "--docs", str(shared / "data" / "rsshub" / "docs-old"), cwd=tmp)
    assert synced.returncode == 0, synced.stderr
    return path


def test_migrate_writes_the_equivalent_feeds(tmp_path: Path, shared: Path) -> None:
    config = site(tmp_path, shared)
    result = cli("migrate-rsshub-page", str(PAGE), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    feeds = tomllib.loads(config.read_text("utf-8"))["feeds"]
    assert feeds == report["added"]
    by_key = {f.get("route") or f["url"]: f for f in feeds}
    assert list(by_key) == [
        "/sina/finance",
        "/xueqiu/today",
        "/aicaijing/latest",
        "/aicaijing/cover",
        "/cls/telegraph",
        "https://www.ruanyifeng.com/blog/atom.xml",
        "/eastmoney/report/strategyreport",
    ]
    assert by_key["/sina/finance"] == {
        "route": "/sina/finance",
        "category": "金融",
        "source": "新浪财经",
        "channel": "新浪财经－国內",
    }
    # the heading gave category and source; the catalog gives the channel
    assert by_key["/aicaijing/latest"]["channel"] == "最新文章"
    assert by_key["/aicaijing/cover"]["channel"] == "封面文章"
    assert by_key["https://www.ruanyifeng.com/blog/atom.xml"] == {
        "url": "https://www.ruanyifeng.com/blog/atom.xml",
        "category": "博客",
        "source": "阮一峰",
        "channel": "网络日志",
    }
    assert by_key["/cls/telegraph"]["channel"] == "电报"
    # commented out: not selected; unknown everywhere: reported, not guessed
    assert "/xueqiu/hots" not in by_key and "/xueqiu/user/8152922548" not in by_key
    assert [s.split(":")[0] for s in report["skipped"]] == ["/no/such/route"]
    assert config.read_text("utf-8").startswith("# migrated site\n")

    again = cli("migrate-rsshub-page", str(PAGE), cwd=tmp_path)
    assert again.returncode == 0 and "7 already in" in again.stdout
    assert tomllib.loads(config.read_text("utf-8"))["feeds"] == feeds


def test_config_yml_at_the_top_and_dry_run(tmp_path: Path, shared: Path) -> None:
    config = site(tmp_path, shared)
    old = tmp_path / "old-site"
    old.mkdir()
    shutil.copy(PAGE / "temple" / "temple_config.yml", old / "config.yml")
    before = config.read_text("utf-8")
    result = cli("migrate-rsshub-page", str(old), "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "would add /sina/finance under 金融 › 新浪财经 › 新浪财经－国內" in result.stdout
    assert config.read_text("utf-8") == before


def test_a_folder_without_the_reference_config(tmp_path: Path, shared: Path) -> None:
    site(tmp_path, shared)
    result = cli("migrate-rsshub-page", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "temple_config.yml" in result.stderr
