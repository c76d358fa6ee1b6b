"""[deploy] settings: their defaults, paths relative to the config, the derived CNAME, and
the starter config showing every key."""

from __future__ import annotations

from pathlib import Path

from support.helpers import write_config

from newsstand.config import derived_cname, load_config


def test_deploy_settings_and_their_defaults(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, [], deploy={"repo": "../pages.git"}))
    deploy = config.deploy
    assert deploy.repo == str(tmp_path.parent / "pages.git")  # relative to the config
    assert (deploy.branch, deploy.store_branch, deploy.force) == (
        "gh-pages",
        "newsstand-data",
        False,
    )
    assert deploy.token_env == "GITHUB_TOKEN" and deploy.hexo is None
    assert deploy.author == "newsstand <newsstand@localhost>"
    assert deploy.cname is None  # [site] url is localhost
    for url, cname in (
        ("https://news.example.org/x", "news.example.org"),
        ("https://me.github.io/news", None),
        ("http://127.0.0.1:8000", None),
        ("http://[::1]:8000", None),
        ("http://localhost:4000", None),
    ):
        assert derived_cname(url) == cname, url
    url_repo = load_config(
        write_config(
            tmp_path,
            [],
            deploy={"repo": "git@github.com:me/news.git", "cname": ""},
            site={"url": "https://a.org"},
        )
    )
    assert url_repo.deploy.repo == "git@github.com:me/news.git" and url_repo.deploy.cname is None
    hexo = load_config(write_config(tmp_path, [], deploy__hexo={"branch": "master"}))
    assert hexo.deploy.hexo is not None
    assert (hexo.deploy.hexo.repo, hexo.deploy.hexo.path) == (None, "source/_posts")


def test_the_starter_config_shows_every_deploy_key() -> None:
    from newsstand.config import DeployConfig, DeployHexoConfig, starter_config

    text = starter_config()
    assert "\n[deploy]\n" in text and "\n# [deploy.hexo]\n" in text
    for name in DeployConfig.__dataclass_fields__.keys() - {"hexo"}:
        assert f"\n# {name} = " in text, name
    for name in DeployHexoConfig.__dataclass_fields__:
        assert f"\n#   {name} = " in text, name
