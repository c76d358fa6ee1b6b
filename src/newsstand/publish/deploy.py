"""`newsstand deploy`: the built site (and the Hexo posts) pushed to a branch of a git
repository, with the git command line.

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

import base64
import contextlib
import fcntl
import hashlib
import logging
import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..config import Config, is_git_url
from ..store import StoreBusy, sqlite_path, take_lock
from .site import site_lock
from .site.errors import SiteBusy
from .site.tree import MANIFEST

log = logging.getLogger("newsstand.deploy")

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
TIP = "refs/newsstand/tip"  # the remote branch's tip, as last fetched
DEPLOYED = "refs/newsstand/deployed"  # the last commit this cache pushed


class DeployError(Exception):
    """What went wrong, in one line; tokens and URL passwords are already removed."""


class Refused(DeployError):
    """A usage problem, not a failure (exit 2): nothing configured, a file in the way."""


class NotConfigured(Refused):
    """No repository to deploy to."""


class GitFailed(DeployError):
    """A git command failed: ``str()`` is its last error line, ``detail`` all it said."""

    def __init__(self, line: str, detail: str) -> None:
        super().__init__(line)
        self.detail = detail


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
        return {"target": self.target, "repo": self.repo, "branch": self.branch,
                "commit": self.commit, "files_changed": self.changed}


# --------------------------------------------------------------------------- git itself


_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redact_url(text: str) -> str:
    """``https://user:pass@host/x`` -> ``https://***@host/x`` (anywhere in ``text``)."""
    return _USERINFO.sub("***@", text)


def resolve_repo(repo: str, cwd: Path | None = None) -> str:
    """A ``--repo`` as given on the command line: a URL as is, a path made absolute."""
    repo = repo.strip()
    if not repo:
        raise NotConfigured("--repo must not be empty")
    return repo if is_git_url(repo) else os.path.abspath((cwd or Path.cwd()) / repo)


class Remote:
    """git on the command line, talking to one repository.

    The token (for http(s) remotes only) goes into the environment of each git child as
    ``http.extraHeader`` through ``GIT_CONFIG_COUNT``/``KEY``/``VALUE``; everything git
    says is passed through ``redact`` before it is logged or shown.
    """

    def __init__(self, repo: str, token: str | None = None) -> None:
        self.repo = repo
        self.shown = redact_url(repo)
        self.env = dict(os.environ)
        self.env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", LANGUAGE="C")
        self._secrets: list[str] = []
        if token and repo.lower().startswith(("http://", "https://")):
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
            self._secrets += [token, basic]
            n = int(self.env.get("GIT_CONFIG_COUNT", "0") or 0)
            self.env.update({"GIT_CONFIG_COUNT": str(n + 1),
                             f"GIT_CONFIG_KEY_{n}": "http.extraHeader",
                             f"GIT_CONFIG_VALUE_{n}": f"Authorization: Basic {basic}"})

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return redact_url(text)

    def run(self, *args: str, git_dir: Path | None = None, env: Mapping[str, str] | None = None,
            input: bytes | None = None, cwd: Path | None = None,
            check: bool = True) -> subprocess.CompletedProcess[bytes]:
        command = ["git", *(("--git-dir", str(git_dir)) if git_dir else ()), *args]
        log.debug("git %s", self.redact(" ".join(args)))
        try:
            done = subprocess.run(command, env={**self.env, **(env or {})}, input=input,
                                  capture_output=True, cwd=cwd, check=False)
        except FileNotFoundError:
            raise DeployError("git is not installed (or not on PATH); install git to deploy"
                              ) from None
        if check and done.returncode != 0:
            said = self.redact((done.stderr + done.stdout).decode("utf-8", "replace"))
            log.info("git %s failed (exit %d): %s", self.redact(" ".join(args)),
                      done.returncode, said.strip())
            raise GitFailed(_last_error(said) or f"git {args[0]} failed", said)
        return done

    def text(self, *args: str, **kwargs: object) -> str:
        return self.run(*args, **kwargs).stdout.decode("utf-8", "replace").strip()  # type: ignore[arg-type]


def _last_error(said: str) -> str:
    lines = [" ".join(line.split()) for line in said.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith(("fatal:", "error:", "remote:", "!")):
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return lines[-1] if lines else ""


def _explain(exc: GitFailed, remote: Remote, branch: str, token_env: str) -> DeployError:
    """A git failure as the one line a user can act on."""
    said = exc.detail
    if re.search(r"could not read Username|Authentication failed|terminal prompts disabled"
                 r"|HTTP (401|403)|returned error: 40[13]|Permission denied", said):
        hint = (f"set {token_env} to a token that may push to it"
                if remote.repo.lower().startswith(("http://", "https://"))
                else "check that this machine may push to it")
        return DeployError(f"{remote.shown}: authentication failed; {hint}")
    if re.search(r"\[rejected\]|non-fast-forward|fetch first|stale info"
                 r"|failed to update ref|cannot lock ref", said):
        return DeployError(f"{remote.shown} {branch}: the push was refused because the branch"
                           f" moved while deploying (another push reached it first): {exc};"
                           " run the deploy again")
    if "[remote rejected]" in said:
        return DeployError(f"{remote.shown} {branch}: the remote refused the push ({exc})")
    if re.search(r"does not appear to be a git repository|Could not resolve host|not found"
                 r"|Repository not found", said):
        return DeployError(f"{remote.shown}: not a git repository that can be reached ({exc})")
    return DeployError(f"{remote.shown} {branch}: {exc}")


# --------------------------------------------------------------------------- a cached branch


def cache_root(config: Config) -> Path:
    return sqlite_path(config.store.url).parent / "deploy"


class Branch:
    """One target (repository + branch) with its bare cache repository, held locked."""

    def __init__(self, remote: Remote, branch: str, root: Path, kind: str, token_env: str,
                 excludes: tuple[str, ...] = ()) -> None:
        self.remote = remote
        self.branch = branch
        self.token_env = token_env
        key = hashlib.sha256(f"{kind}\0{remote.repo}\0{branch}".encode()).hexdigest()[:16]
        self.git_dir = root / f"{key}.git"
        self.index = self.git_dir / "index"
        self.excludes = excludes
        self.tip: str | None = None
        self._lock: object = None

    # -- set-up ------------------------------------------------------------------------

    def __enter__(self) -> Branch:
        self.git_dir.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.git_dir.with_suffix(".lock"), "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DeployError(f"another newsstand deploy is using {self.git_dir}; wait for it"
                              " to finish") from None
        self._lock = handle
        try:
            self._init()
        except BaseException:
            handle.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.close()  # type: ignore[attr-defined]

    def _init(self) -> None:
        if not (self.git_dir / "HEAD").is_file():
            self.remote.run("init", "--bare", "--quiet", str(self.git_dir))
        exclude = self.git_dir / "info" / "exclude"
        exclude.parent.mkdir(exist_ok=True)
        exclude.write_text("".join(f"{p}\n" for p in self.excludes), encoding="utf-8")
        settings = {
            "core.trustctime": "false",  # the site builder re-links unchanged files
            "core.autocrlf": "false", "core.safecrlf": "false",
            "core.excludesFile": str(exclude),  # not the user's global ignore file
            "index.version": "4",  # paths prefix-compressed: a smaller index for 230k files
        }
        for name, value in settings.items():
            self.git("config", name, value)

    # -- plumbing ----------------------------------------------------------------------

    def git(self, *args: str, **kwargs: object) -> str:
        return self.remote.text(*args, git_dir=self.git_dir, **kwargs)  # type: ignore[arg-type]

    def ref(self, name: str) -> str | None:
        done = self.remote.run("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}",
                               git_dir=self.git_dir, check=False)
        return done.stdout.decode().strip() if done.returncode == 0 else None

    def set_ref(self, name: str, sha: str | None) -> None:
        if sha:
            self.git("update-ref", name, sha)
        elif self.ref(name):
            self.git("update-ref", "-d", name)

    def tree_of(self, commit: str) -> str:
        return self.git("rev-parse", f"{commit}^{{tree}}")

    def is_ancestor(self, old: str, new: str) -> bool:
        done = self.remote.run("merge-base", "--is-ancestor", old, new, git_dir=self.git_dir,
                               check=False)
        return done.returncode == 0

    def blob(self, data: bytes) -> str:
        return self.git("hash-object", "-w", "--stdin", input=data)

    def fetch(self, *, shallow: bool) -> str | None:
        """Fetch the branch's tip (None: the branch does not exist yet)."""
        args = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head"]
        if shallow:
            args.append("--depth=1")
        try:
            self.git(*args, self.remote.repo, f"+refs/heads/{self.branch}:{TIP}")
        except GitFailed as exc:
            if "couldn't find remote ref" in exc.detail:
                self.set_ref(TIP, None)
                self.tip = None
                return None
            raise _explain(exc, self.remote, self.branch, self.token_env) from None
        self.tip = self.ref(TIP)
        return self.tip

    def stage(self, folder: Path, extra: Mapping[str, bytes] | None = None) -> str:
        """The tree of ``folder`` (plus ``extra`` files given by name), through the
        persistent index: only files whose stat data changed are read again."""
        env = {"GIT_INDEX_FILE": str(self.index)}
        work = ("--work-tree", str(folder))
        self.git(*work, "add", "--all", env=env, cwd=folder)
        for name, data in (extra or {}).items():
            self.git(*work, "update-index", "--add", "--cacheinfo",
                     f"100644,{self.blob(data)},{name}", env=env, cwd=folder)
        return self.git("write-tree", env=env)

    def changed(self, old_tree: str | None, new_tree: str) -> int:
        """Files that differ between two trees (all files when there is no old tree)."""
        out = self.remote.run("diff-tree", "-r", "-z", "--name-only", "--no-renames",
                              old_tree or EMPTY_TREE, new_tree, git_dir=self.git_dir).stdout
        return out.count(b"\0")

    def commit(self, tree: str, parent: str | None, message: str, author: str,
               when: datetime) -> str:
        m = re.match(r"^(.*?)\s*<(.*)>$", author)
        name, email = (m.group(1), m.group(2)) if m else (author, "")
        stamp = f"{int(when.timestamp())} +0000"
        env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": stamp,
               "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
               "GIT_COMMITTER_DATE": stamp}
        parents = ("-p", parent) if parent else ()
        return self.git("commit-tree", tree, *parents, "-F", "-", env=env,
                        input=message.encode("utf-8"))

    def push(self, sha: str, *, lease: str | None = None) -> None:
        """Push ``sha`` to the branch: a fast-forward only, unless ``lease`` (the sha the
        branch must still be at, "" for absent) allows replacing what it holds."""
        args = ["push", "--quiet", "--porcelain", "--no-verify"]
        if lease is not None:
            args.append(f"--force-with-lease=refs/heads/{self.branch}:{lease}")
        try:
            self.git(*args, self.remote.repo, f"{sha}:refs/heads/{self.branch}")
        except GitFailed as exc:
            raise _explain(exc, self.remote, self.branch, self.token_env) from None
        self.set_ref(TIP, sha)


# --------------------------------------------------------------------------- deploy


def deploy(config: Config, *, repo: str | None = None, branch: str | None = None,
           now: datetime | None = None) -> list[Pushed]:
    """Push the site (and the Hexo posts, with [deploy.hexo]) to the configured branches."""
    settings = config.deploy
    repo = repo or settings.repo
    if repo is None:
        raise NotConfigured(f"nothing to deploy to: set [deploy] repo in {config.path}"
                            " (or give --repo)")
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
        with Branch(remote, branch or settings.branch, cache_root(config), "site",
                    settings.token_env, excludes) as target:
            targets.append(_deploy_folder(target, site, extra, "site", message,
                                          settings.author, settings.force, when,
                                          lock=lambda: _locked_site(site)))
    if settings.hexo is not None and config.hexo.enabled:
        hexo = settings.hexo
        posts = config.hexo.dir
        posts.mkdir(parents=True, exist_ok=True)
        remote = Remote(hexo.repo or repo, token)
        with Branch(remote, hexo.branch, cache_root(config), "hexo", settings.token_env,
                    (".*.tmp",)) as target:
            targets.append(_deploy_folder(target, posts, {}, "hexo", message, settings.author,
                                          settings.force, when, path=hexo.path,
                                          lock=lambda: _locked_store(config)))
    if not targets:
        raise NotConfigured("nothing to deploy: [output.site] is disabled and there is no"
                            " [deploy.hexo]")
    return targets


@contextlib.contextmanager
def _locked_site(site: Path) -> Iterator[None]:
    try:
        lock = site_lock(site)
        lock.__enter__()
    except SiteBusy:
        raise DeployError(f"{site} is being built by another newsstand process; deploy"
                          " after it finishes") from None
    try:
        yield
    finally:
        lock.__exit__()


@contextlib.contextmanager
def _locked_store(config: Config) -> Iterator[None]:
    """The posts are written by a run holding the store's lock: hold it while reading them."""
    db = sqlite_path(config.store.url)
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = take_lock(db)
    except StoreBusy:
        raise DeployError(f"a newsstand run is writing the posts (it holds {db}); deploy"
                          " after it finishes") from None
    try:
        yield
    finally:
        handle.close()


def _deploy_folder(target: Branch, folder: Path, extra: Mapping[str, bytes], name: str,
                   message: str, author: str, force: bool, when: datetime, *,
                   lock: object, path: str | None = None) -> Pushed:
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
                " Look at it, then set [deploy] force = true to overwrite it")
        parent, lease = last, tip  # our own line of history replaces theirs
        if path is not None:
            tree = graft(target, target.tree_of(last), path.split("/"), own)
    sha = target.commit(tree, parent, message, author, when)
    target.push(sha, lease=lease)
    target.set_ref(DEPLOYED, sha)
    return Pushed(name, target.remote.shown, target.branch, sha, target.changed(tip_tree, tree))


def graft(target: Branch, base: str | None, parts: list[str], subtree: str) -> str:
    """``base`` with the folder at ``parts`` replaced by ``subtree`` (removed when that is
    empty), other entries kept; each level is one small ``mktree``, never the whole tree."""
    entries: dict[str, bytes] = {}
    if base:
        listing = target.remote.run("ls-tree", "-z", base, git_dir=target.git_dir).stdout
        for record in listing.split(b"\0"):
            if record:
                entries[record.split(b"\t", 1)[1].decode("utf-8", "surrogateescape")] = record
    name = parts[0]
    if len(parts) > 1:
        old = entries.get(name)
        inner = old.split()[2].decode() if old and old.split()[1] == b"tree" else None
        subtree = graft(target, inner, parts[1:], subtree)
    entries.pop(name, None)
    if subtree != EMPTY_TREE:
        entries[name] = f"040000 tree {subtree}\t{name}".encode()
    data = b"".join(record + b"\0" for record in entries.values())
    return target.git("mktree", "-z", input=data)
