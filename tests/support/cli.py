"""The command line in tests, two ways.

``cli(...)`` runs a command in this process through click's ``CliRunner``: for tests about
what a command does (its output, exit code, the files it writes). It is what most tests use:
a real interpreter start costs 0.6-1 s.

``cli_process(...)`` runs ``python -m newsstand.cli`` as a real process: for tests where
being a process is the point (exit codes a shell sees, signals, kills, the child's
environment, a terminal) and for one smoke test per command group. Log records reach
stderr only here: in this process the CLI's ``logging.basicConfig`` finds pytest's
handlers and does nothing, so a test of ``--verbose`` log output needs a real process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from newsstand.cli import main

EXE = [sys.executable, "-m", "newsstand.cli"]


@dataclass(frozen=True)
class Ran:
    """What ``cli`` saw: the same names as ``subprocess.CompletedProcess``."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def cli(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    input: str | None = None,
) -> Ran:
    """Run ``newsstand ARGS`` in this process, in the folder ``cwd``; ``env`` is added to
    the environment for the call (a value of None removes the variable).

    An exception the CLI does not turn into an exit code is raised here, with its
    traceback, rather than counted as exit code 1."""
    root, package = logging.getLogger(), logging.getLogger("newsstand")
    saved = (root.handlers[:], root.level, package.level)
    try:
        with contextlib.chdir(cwd or Path.cwd()):
            result = CliRunner().invoke(
                main,
                list(args),
                env={"NO_COLOR": "1", **(env or {})},
                input=input,
                catch_exceptions=False,
            )
    finally:  # what basicConfig and the run log changed stays with this call
        for handler in root.handlers[:]:
            if handler not in saved[0]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(saved[1])
        package.setLevel(saved[2])
    return Ran(tuple(args), result.exit_code, result.stdout, result.stderr)


def cli_process(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m newsstand.cli ARGS`` as a user does, in a real process; ``env`` is
    the child's whole environment (default: this one's, with NO_COLOR=1)."""
    return subprocess.run(
        [*EXE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(env) if env is not None else {**os.environ, "NO_COLOR": "1"},
    )
