"""`newsstand deploy`: the built site (and the Hexo posts) pushed to a branch of a git
repository.

Built for a site of 1.5 GB in 230,000 files, so the site is never copied into a work
tree. Each target (repository + branch) has a cache repository of its own under the
store's folder (``.newsstand/deploy/<key>.git``, bare) and a persistent index file in
it. A deploy fetches the branch's tip, stages the site folder with ``git add -A`` using
that folder as the work tree (the index remembers every file's stat data, so only
changed files are read: the site builder re-links unchanged files, which changes their
ctime only, hence ``core.trustctime=false``), adds ``.nojekyll`` and ``CNAME`` as blobs
(never written into the site), writes the tree, and commits and pushes only when that
tree differs from the tip's. A token for an https remote reaches git only through the
child process's environment (``GIT_CONFIG_*`` -> ``http.extraHeader``): never in an
argument, a URL, a config file, the log or a message.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import locks
from ..config import Config
from ..publish.site.tree import MANIFEST
from .git import DEPLOYED, Branch, DeployError, NotConfigured, Remote, cache_root, graft


@dataclass(frozen=True, slots=True)
class Pushed:
    """What one target's deploy did."""

    target: str  # "site", "hexo" or "store"
    repo: str  # redacted: no password or token
    branch: str
    commit: str | None  # None: nothing changed, no commit
    changed: int = 0  # files changed by the commit

    def line(self) -> str:
        where = f"{self.target} → {self.repo} {self.branch}"
        if self.commit is None:
            return f"{where}: nothing changed, no commit"
        return f"{where}: committed {self.commit[:7]} ({self.changed} files changed)"

    def to_json(self) -> dict[str, object]:
        return {
            "target": self.target,
            "repo": self.repo,
            "branch": self.branch,
            "commit": self.commit,
            "files_changed": self.changed,
        }


def deploy(
    config: Config,
    *,
    repo: str | None = None,
    branch: str | None = None,
    now: datetime | None = None,
) -> list[Pushed]:
    """Push the site (and the Hexo posts, with [deploy.hexo]) to the configured branches."""
    settings = config.deploy
    repo = repo or settings.repo
    if repo is None:
        raise NotConfigured(
            f"nothing to deploy to: set [deploy] repo in {config.path} (or give --repo)"
        )
    token = os.environ.get(settings.token_env) or None
    when = now or datetime.now(UTC)
    message = settings.message.format(time=when.strftime("%Y-%m-%d %H:%M UTC"))
    targets: list[Pushed] = []
    if config.site_output.enabled:
        site = config.site_output.dir
        if not site.is_dir():
            raise DeployError(f"no site in {site} to deploy; run `newsstand build` first")
        extra = {".nojekyll": b""}
        if settings.cname:
            extra["CNAME"] = settings.cname.encode() + b"\n"
        excludes = (f"/{MANIFEST}", f"/.{site.name}.*", ".*.tmp")
        remote = Remote(repo, token)
        with Branch(
            remote,
            branch or settings.branch,
            cache_root(config),
            "site",
            settings.token_env,
            excludes,
        ) as target:
            targets.append(
                _deploy_folder(
                    target,
                    site,
                    extra,
                    "site",
                    message,
                    settings.author,
                    settings.force,
                    when,
                    lock=lambda: _locked_site(site),
                )
            )
    if settings.hexo is not None and config.hexo.enabled:
        hexo = settings.hexo
        posts = config.hexo.dir
        posts.mkdir(parents=True, exist_ok=True)
        remote = Remote(hexo.repo or repo, token)
        with Branch(
            remote, hexo.branch, cache_root(config), "hexo", settings.token_env, (".*.tmp",)
        ) as target:
            targets.append(
                _deploy_folder(
                    target,
                    posts,
                    {},
                    "hexo",
                    message,
                    settings.author,
                    settings.force,
                    when,
                    path=hexo.path,
                    lock=lambda: _locked_store(config),
                )
            )
    if not targets:
        raise NotConfigured(
            "nothing to deploy: [output.site] is disabled and there is no [deploy.hexo]"
        )
    return targets


def _locked_site(site: Path) -> contextlib.AbstractContextManager[None]:
    return _locked(
        locks.site_lock_path(site),
        f"{site} is being built by another newsstand process; deploy after it finishes",
    )


def _locked_store(config: Config) -> contextlib.AbstractContextManager[None]:
    """The posts are written by a run holding the store's lock: hold it while reading them."""
    return _locked(
        config.state.store_lock,
        f"a newsstand run is writing the posts (it holds {config.state.db});"
        " deploy after it finishes",
    )


@contextlib.contextmanager
def _locked(path: Path, busy: str) -> Iterator[None]:
    try:
        handle = locks.take(path, busy)
    except locks.Busy as exc:
        raise DeployError(str(exc)) from None
    try:
        yield
    finally:
        handle.close()


def _deploy_folder(
    target: Branch,
    folder: Path,
    extra: Mapping[str, bytes],
    name: str,
    message: str,
    author: str,
    force: bool,
    when: datetime,
    *,
    lock: object,
    path: str | None = None,
) -> Pushed:
    last = target.ref(DEPLOYED)
    tip = target.fetch(shallow=last is None)
    with lock():  # type: ignore[operator]
        own = target.stage(folder, extra)
    tip_tree = target.tree_of(tip) if tip else None
    tree = own
    if path is not None:  # the posts go into the branch's own tree at ``path``
        tree = graft(target, tip_tree, path.split("/"), own)
    shown = Pushed(name, target.remote.shown, target.branch, None)
    if tree == tip_tree:
        target.set_ref(DEPLOYED, tip)
        return shown
    parent, lease = tip, None
    if last and tip and tip != last and not target.is_ancestor(last, tip):
        if not force:
            raise DeployError(
                f"{target.remote.shown} {target.branch}: the branch was rewritten since the"
                f" last deploy from here (it no longer holds {last[:7]}); nothing was pushed."
                " Look at it, then set [deploy] force = true to overwrite it"
            )
        parent, lease = last, tip  # our own line of history replaces theirs
        if path is not None:
            tree = graft(target, target.tree_of(last), path.split("/"), own)
    sha = target.commit(tree, parent, message, author, when)
    target.push(sha, lease=lease)
    target.set_ref(DEPLOYED, sha)
    pushed = Pushed(name, target.remote.shown, target.branch, sha, target.changed(tip_tree, tree))
    target.tidy()
    return pushed
