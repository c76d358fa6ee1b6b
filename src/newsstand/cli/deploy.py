"""`newsstand deploy` (the site, and the Hexo posts, to git branches) and `newsstand store
save/restore` (the store on a data branch between CI runs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..config import Config, branch_name
from . import output
from .common import Exit, checked, common, fail, load, log

T = TypeVar("T")


def deploy_call(config: Config, call: Callable[[], T]) -> T:
    """``call()``, its DeployError as the one line and exit code (2: refused, 1: failed)."""
    from ..deploy.git import DeployError, Refused

    with output.run_log(config):
        try:
            return call()
        except Refused as exc:
            log.warning("%s", exc)
            fail(str(exc), Exit.USAGE)
        except DeployError as exc:
            log.warning("%s", exc)
            fail(str(exc), Exit.FAILED)


def repo_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--repo", help="Push to this git URL or path instead of [deploy] repo.")(
        command
    )


@click.command()
@repo_option
@click.option(
    "--branch",
    callback=lambda ctx, param, value: checked(branch_name, value),
    help="Push the site to this branch instead of [deploy] branch.",
)
@common
def deploy(config_path: Path | None, as_json: bool, repo: str | None, branch: str | None) -> None:
    """Push the built site (and, with [deploy.hexo], the Hexo posts) to a git branch.

    Commits only when something changed; never force-pushes unless [deploy] force = true.
    An https token is read from the variable named by [deploy] token_env (GITHUB_TOKEN).
    """
    from ..deploy.git import resolve_repo
    from ..deploy.site import deploy as push

    config = load(config_path)
    chosen = resolve_repo(repo) if repo else None
    pushed = deploy_call(config, lambda: push(config, repo=chosen, branch=branch))
    if as_json:
        click.echo(json.dumps([p.to_json() for p in pushed], ensure_ascii=False, indent=2))
    else:
        for target in pushed:
            click.echo(target.line())
    for target in pushed:
        log.info("deploy: %s", target.line())


@click.group()
def store() -> None:
    """Keep the store on a branch of the deploy repository between CI runs."""


@store.command("save")
@repo_option
@common
def store_save(config_path: Path | None, as_json: bool, repo: str | None) -> None:
    """Commit a snapshot of the store to [deploy] store_branch (replacing the last one)."""
    from ..deploy import store as storesync
    from ..deploy.git import resolve_repo

    config = load(config_path)
    chosen = resolve_repo(repo) if repo else None
    saved = deploy_call(config, lambda: storesync.save(config, repo=chosen))
    click.echo(json.dumps(saved.to_json(), indent=2) if as_json else saved.line())
    log.info("store save: %s", saved.line())


@store.command("restore")
@repo_option
@click.option("--force", is_flag=True, help="Replace the store file that is already here.")
@common
def store_restore(config_path: Path | None, as_json: bool, repo: str | None, force: bool) -> None:
    """Bring back the store saved on [deploy] store_branch (none saved yet: start fresh)."""
    from ..deploy import store as storesync
    from ..deploy.git import resolve_repo

    config = load(config_path)
    chosen = resolve_repo(repo) if repo else None
    restored = deploy_call(config, lambda: storesync.restore(config, repo=chosen, force=force))
    click.echo(json.dumps(restored.to_json(), indent=2) if as_json else restored.line())
    log.info("store restore: %s", restored.line())
