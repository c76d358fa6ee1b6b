"""What ``newsstand init --systemd`` and ``init --cron`` write: a systemd service + timer
(and the long-running ``watch`` service as the alternative), and a crontab line.

Both call this very interpreter (``python -m newsstand``), so they work from a virtual
environment without it being on PATH, with absolute paths, since neither cron nor
systemd starts in the config's folder or with the user's PATH.
"""

from __future__ import annotations

import shlex
import sys
from importlib import resources
from pathlib import Path

from ..config import Config
from . import ScaffoldExists, write_new

UNITS = ("newsstand.service", "newsstand.timer", "newsstand-watch.service")
FLEET_UNITS = ("newsstand-worker@.service", "newsstand-builder.service")  # PostgreSQL
CRON_SCHEDULE = "*/10 * * * *"  # a run with nothing due is cheap: tick often


def command() -> list[str]:
    """How to start this newsstand: its interpreter, with the package as the module."""
    return [str(Path(sys.executable).absolute()), "-m", "newsstand"]


def _unit_value(text: str) -> str:
    """``text`` as a systemd setting's value: ``%`` starts a specifier, so it is doubled."""
    if "\n" in text:
        raise ValueError(f"a path with a line break cannot go in a unit file: {text!r}")
    return text.replace("%", "%%")


def _exec_word(text: str) -> str:
    """One word of a systemd ``ExecStart=`` line, quoted (``$`` expands there, too)."""
    escaped = _unit_value(text).replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$")
    return f'"{escaped}"'


def systemd_units(config: Config, *, deploy: bool = False, worker: bool = False) -> dict[str, str]:
    """File name -> text of the units that run newsstand on ``config`` (``worker``: the
    fleet's, a worker template and the builder)."""
    words = {
        "__COMMAND__": " ".join(_exec_word(w) for w in command()),
        "__CONFIG__": _exec_word(str(config.path)),
        "__DEPLOY__": " --deploy" if deploy else "",
        "__ROOT__": _unit_value(str(config.root)),
    }
    units = {}
    for name in FLEET_UNITS if worker else UNITS:
        text = resources.files(__package__).joinpath(name).read_text("utf-8")
        for placeholder, value in words.items():
            text = text.replace(placeholder, value)
        units[name] = text
    return units


def cron_line(config: Config, *, deploy: bool = False) -> str:
    """A crontab line: ``newsstand run`` every 10 minutes, silent unless it fails — then
    what it printed goes to cron's mail (set MAILTO in the crontab to choose where)."""
    words = [*command(), "run", "--config", str(config.path), *(["--deploy"] if deploy else [])]
    job = (
        f"cd {shlex.quote(str(config.root))} &&"
        f' out=$({" ".join(shlex.quote(w) for w in words)} 2>&1) || echo "$out"'
    )
    return f"{CRON_SCHEDULE} " + job.replace("%", "\\%")  # cron reads % as a line break


def write_systemd(
    directory: Path,
    config: Config,
    *,
    deploy: bool = False,
    force: bool = False,
    worker: bool = False,
) -> list[Path]:
    """Write the units into ``directory``: all of them, or none if one is there already
    (unless ``force``)."""
    units = {
        directory / name: text
        for name, text in systemd_units(config, deploy=deploy, worker=worker).items()
    }
    there = [path for path in units if path.exists()]
    if there and not force:
        raise ScaffoldExists(f"{there[0]} already exists (use --force to overwrite it)")
    for path, text in units.items():
        write_new(path, text, force=True)
    return list(units)
