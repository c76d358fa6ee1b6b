"""Files that ``newsstand init`` writes for running newsstand elsewhere: a GitHub Actions
workflow here, systemd units and a crontab line in ``services``."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from .. import __version__
from ..files import write_atomic

WORKFLOW = Path(".github") / "workflows" / "newsstand.yml"


class ScaffoldExists(Exception):
    """The file is already there (and --force was not given)."""


def default_install() -> str:
    """What the workflow installs: this very version of newsstand."""
    return f"newsstand=={__version__}"


def github_actions_workflow(install: str | None = None) -> str:
    """The workflow's text, installing ``install`` (a pip requirement: a version, a git URL)."""
    template = resources.files(__package__).joinpath("github-actions.yml").read_text("utf-8")
    return template.replace("__NEWSSTAND_INSTALL__", json.dumps(install or default_install()))


def write_github_actions(root: Path, install: str | None = None, *, force: bool = False) -> Path:
    """Write ``root/.github/workflows/newsstand.yml``; refuse to replace one unless ``force``."""
    path = root / WORKFLOW
    write_new(path, github_actions_workflow(install), force=force)
    return path


def write_new(path: Path, text: str, *, force: bool = False) -> None:
    """Write ``path`` atomically; ScaffoldExists if it is there already, unless ``force``."""
    if path.exists() and not force:
        raise ScaffoldExists(f"{path} already exists (use --force to overwrite it)")
    write_atomic(path, text.encode("utf-8"))
