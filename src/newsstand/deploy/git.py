"""git plumbing for deploys: a remote reached with a token that never touches disk, and a
branch kept in a bare cache repository with a persistent index.

A token for an https remote reaches git only through the child process's environment
(``GIT_CONFIG_*`` -> ``http.extraHeader``): never in an argument, a URL, a config file,
the log or a message.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from .. import locks
from ..config import Config, is_git_url

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
            self.env.update(
                {
                    "GIT_CONFIG_COUNT": str(n + 1),
                    f"GIT_CONFIG_KEY_{n}": "http.extraHeader",
                    f"GIT_CONFIG_VALUE_{n}": f"Authorization: Basic {basic}",
                }
            )

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return redact_url(text)

    def run(
        self,
        *args: str,
        git_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        input: bytes | None = None,
        cwd: Path | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        command = ["git", *(("--git-dir", str(git_dir)) if git_dir else ()), *args]
        log.debug("git %s", self.redact(" ".join(args)))
        try:
            done = subprocess.run(
                command,
                env={**self.env, **(env or {})},
                input=input,
                capture_output=True,
                cwd=cwd,
                check=False,
            )
        except FileNotFoundError:
            raise DeployError(
                "git is not installed (or not on PATH); install git to deploy"
            ) from None
        if check and done.returncode != 0:
            said = self.redact((done.stderr + done.stdout).decode("utf-8", "replace"))
            log.info(
                "git %s failed (exit %d): %s",
                self.redact(" ".join(args)),
                done.returncode,
                said.strip(),
            )
            raise GitFailed(_last_error(said) or f"git {args[0]} failed", said)
        return done

    def text(
        self,
        *args: str,
        git_dir: Path | None = None,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> str:
        done = self.run(*args, git_dir=git_dir, input=input, env=env, cwd=cwd)
        return done.stdout.decode("utf-8", "replace").strip()


def _last_error(said: str) -> str:
    lines = [" ".join(line.split()) for line in said.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith(("fatal:", "error:", "remote:", "!")):
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return lines[-1] if lines else ""


def _explain(exc: GitFailed, remote: Remote, branch: str, token_env: str) -> DeployError:
    """A git failure as the one line a user can act on."""
    said = exc.detail
    if re.search(
        r"could not read Username|Authentication failed|terminal prompts disabled"
        r"|HTTP (401|403)|returned error: 40[13]|Permission denied",
        said,
    ):
        hint = (
            f"set {token_env} to a token that may push to it"
            if remote.repo.lower().startswith(("http://", "https://"))
            else "check that this machine may push to it"
        )
        return DeployError(f"{remote.shown}: authentication failed; {hint}")
    if re.search(
        r"\[rejected\]|non-fast-forward|fetch first|stale info"
        r"|failed to update ref|cannot lock ref",
        said,
    ):
        return DeployError(
            f"{remote.shown} {branch}: the push was refused because the branch"
            f" moved while deploying (another push reached it first): {exc};"
            " run the deploy again"
        )
    if "[remote rejected]" in said:
        return DeployError(f"{remote.shown} {branch}: the remote refused the push ({exc})")
    if re.search(
        r"does not appear to be a git repository|Could not resolve host|not found"
        r"|Repository not found",
        said,
    ):
        return DeployError(f"{remote.shown}: not a git repository that can be reached ({exc})")
    return DeployError(f"{remote.shown} {branch}: {exc}")


# --------------------------------------------------------------------------- a cached branch


def cache_root(config: Config) -> Path:
    return config.state.deploy_caches


class Branch:
    """One target (repository + branch) with its bare cache repository, held locked."""

    def __init__(
        self,
        remote: Remote,
        branch: str,
        root: Path,
        kind: str,
        token_env: str,
        excludes: tuple[str, ...] = (),
    ) -> None:
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
        try:
            handle = locks.take(
                self.git_dir.with_suffix(".lock"),
                f"another newsstand deploy is using {self.git_dir}; wait for it to finish",
            )
        except locks.Busy as exc:
            raise DeployError(str(exc)) from None
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
            # a cache restored on a fresh CI runner has new inodes, owners and ctimes:
            # size and mtime (which a restore keeps) decide what is read again
            "core.checkStat": "minimal",
            "core.autocrlf": "false",
            "core.safecrlf": "false",
            "core.excludesFile": str(exclude),  # not the user's global ignore file
            "index.version": "4",  # paths prefix-compressed: a smaller index for 230k files
            # ``tidy`` packs the loose objects in the foreground, before a CI cache saves
            # the repository (tens of thousands of files untar slowly; a few packs do not)
            "gc.autoDetach": "false",
            # a blob over 1 MB (a part of a gzipped store snapshot) is packed whole: a
            # delta search against the last snapshot finds nothing and cost 4.9 s a push
            # of a 100k-entry store; the site's files are smaller
            "core.bigFileThreshold": "1m",
        }
        for name, value in settings.items():
            self.git("config", name, value)

    # -- plumbing ----------------------------------------------------------------------

    def git(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> str:
        return self.remote.text(*args, git_dir=self.git_dir, input=input, env=env, cwd=cwd)

    def ref(self, name: str) -> str | None:
        done = self.remote.run(
            "rev-parse",
            "--verify",
            "--quiet",
            f"{name}^{{commit}}",
            git_dir=self.git_dir,
            check=False,
        )
        return done.stdout.decode().strip() if done.returncode == 0 else None

    def set_ref(self, name: str, sha: str | None) -> None:
        if sha:
            self.git("update-ref", name, sha)
        elif self.ref(name):
            self.git("update-ref", "-d", name)

    def tree_of(self, commit: str) -> str:
        return self.git("rev-parse", f"{commit}^{{tree}}")

    def is_ancestor(self, old: str, new: str) -> bool:
        done = self.remote.run(
            "merge-base", "--is-ancestor", old, new, git_dir=self.git_dir, check=False
        )
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
            self.git(
                *work,
                "update-index",
                "--add",
                "--cacheinfo",
                f"100644,{self.blob(data)},{name}",
                env=env,
                cwd=folder,
            )
        return self.git("write-tree", env=env)

    def tidy(self) -> None:
        """Pack loose objects once there are many (``git gc --auto``: a no-op until then)."""
        self.git("gc", "--auto", "--quiet")

    def changed(self, old_tree: str | None, new_tree: str) -> int:
        """Files that differ between two trees (all files when there is no old tree)."""
        out = self.remote.run(
            "diff-tree",
            "-r",
            "-z",
            "--name-only",
            "--no-renames",
            old_tree or EMPTY_TREE,
            new_tree,
            git_dir=self.git_dir,
        ).stdout
        return out.count(b"\0")

    def commit(
        self, tree: str, parent: str | None, message: str, author: str, when: datetime
    ) -> str:
        m = re.match(r"^(.*?)\s*<(.*)>$", author)
        name, email = (m.group(1), m.group(2)) if m else (author, "")
        stamp = f"{int(when.timestamp())} +0000"
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": stamp,
        }
        parents = ("-p", parent) if parent else ()
        return self.git(
            "commit-tree", tree, *parents, "-F", "-", env=env, input=message.encode("utf-8")
        )

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
