"""Files that ``newsstand init`` writes for running newsstand elsewhere: a GitHub Actions
workflow here, systemd units and a crontab line in ``services``."""

from __future__ import annotations

import json
from importlib import metadata, resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..files import write_atomic

WORKFLOW = Path(".github") / "workflows" / "newsstand.yml"
_ASK = (
    "; pass --install SPEC with what a runner can pip-install, e.g. --install"
    " 'newsstand @ git+https://github.com/you/newsstand@<commit>'"
)


class ScaffoldExists(Exception):
    """The file is already there (and --force was not given)."""


class NoInstallSpec(Exception):
    """Where this newsstand came from cannot be installed elsewhere (or is not known)."""


def _public(url: str) -> str:
    """``url`` without what an http(s) URL's user part may hold (a token, a password); an
    ssh URL keeps its user name (``git@``)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    user, _, host = parts.netloc.rpartition("@")
    keep = parts.scheme in ("ssh", "git+ssh") and ":" not in user
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if keep else host))


def install_spec_from(direct_url: str | None, name: str = "newsstand") -> str:
    """The pip requirement that installs again what PEP 610's ``direct_url.json`` (its
    text; None when pip wrote none) describes: a VCS URL at its commit, or an archive URL
    with its hash. NoInstallSpec for a local folder or file, or when it is not known."""
    if direct_url is None:
        raise NoInstallSpec(
            "cannot tell where this newsstand was installed from (pip recorded no"
            " direct_url.json: an index, or a copy)" + _ASK
        )
    try:
        info: dict[str, Any] = json.loads(direct_url)
        url = str(info["url"])
    except (ValueError, KeyError, TypeError):
        raise NoInstallSpec("this newsstand's direct_url.json cannot be read" + _ASK) from None
    if urlsplit(url).scheme in ("file", ""):
        where = "folder" if "dir_info" in info else "repository" if "vcs_info" in info else "file"
        raise NoInstallSpec(f"this newsstand was installed from a local {where}, {url}" + _ASK)
    url = _public(url)
    fragment = f"#subdirectory={info['subdirectory']}" if info.get("subdirectory") else ""
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") and vcs.get("commit_id"):
        return f"{name} @ {vcs['vcs']}+{url}@{vcs['commit_id']}{fragment}"
    archive = info.get("archive_info")
    if isinstance(archive, dict):
        hashes = archive.get("hashes") or {}
        digest = f"sha256={hashes['sha256']}" if "sha256" in hashes else archive.get("hash") or ""
        if digest:
            fragment = f"#{digest}" + (f"&{fragment[1:]}" if fragment else "")
        return f"{name} @ {url}{fragment}"
    raise NoInstallSpec(
        f"this newsstand's direct_url.json names no commit or archive: {url}" + _ASK
    )


def install_spec() -> str:
    """What the workflow installs: where the running newsstand was installed from."""
    try:
        direct_url = metadata.distribution("newsstand").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct_url = None
    return install_spec_from(direct_url)


def github_actions_workflow(install: str) -> str:
    """The workflow's text, installing ``install`` (a pip requirement: a version, a git URL)."""
    template = resources.files(__package__).joinpath("github-actions.yml").read_text("utf-8")
    return template.replace("__NEWSSTAND_INSTALL__", json.dumps(install))


def write_github_actions(root: Path, install: str, *, force: bool = False) -> Path:
    """Write ``root/.github/workflows/newsstand.yml``; refuse to replace one unless ``force``."""
    path = root / WORKFLOW
    write_new(path, github_actions_workflow(install), force=force)
    return path


def write_new(path: Path, text: str, *, force: bool = False) -> None:
    """Write ``path`` atomically; ScaffoldExists if it is there already, unless ``force``."""
    if path.exists() and not force:
        raise ScaffoldExists(f"{path} already exists (use --force to overwrite it)")
    write_atomic(path, text.encode("utf-8"))
