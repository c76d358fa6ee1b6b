"""Build a throw-away site with real Hexo (from npm) around a folder of posts.

The Hexo-compatibility tests use it like this::

    from support.hexo_site import build_hexo_site

    def test_something(hexo, tmp_path):  # the `hexo` fixture (conftest.py): require_hexo()
        build = build_hexo_site(posts_dir, tmp_path / "site").check()
        assert (build.public / "index.html").is_file()

Hexo itself lives in ``tests/hexo/node_modules`` (``npm ci --prefix tests/hexo``); the
site skeleton (``_config.yml`` and the tiny ``mini`` theme) in ``tests/hexo/site``.

Hexo is quiet about some failures: a post whose front matter is not valid YAML is
logged as ``ERROR Process failed`` and left out, and ``hexo generate`` still exits 0.
So a build counts as failed when the exit code is non-zero *or* any line of its output
is at ERROR/FATAL level; ``HexoBuild.check()`` raises with the whole output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from support.paths import HEXO as HEXO_DIR

SKELETON_DIR = HEXO_DIR / "site"
NODE_MODULES = HEXO_DIR / "node_modules"
HEXO_BIN = Path("node_modules") / "hexo" / "bin" / "hexo"  # relative to the site dir

REQUIRE_ENV = "NEWSSTAND_REQUIRE_HEXO"
MISSING_MESSAGE = "Hexo is not installed: run `npm ci --prefix tests/hexo`"
DEFAULT_TIMEOUT = 300.0

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LEVEL = re.compile(r"^\s*(ERROR|FATAL|WARN)\b")


def hexo_available() -> bool:
    """True when ``npm ci --prefix tests/hexo`` has been run and ``node`` is on PATH."""
    return (NODE_MODULES / "hexo" / "package.json").is_file() and shutil.which("node") is not None


def require_hexo() -> None:
    """Skip the calling test when Hexo is absent; fail instead when CI demands Hexo.

    With ``NEWSSTAND_REQUIRE_HEXO=1`` (set in CI) a missing Hexo is a failure, so the
    real-Hexo tests can never pass by silently skipping.
    """
    import pytest

    if hexo_available():
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{MISSING_MESSAGE} ({REQUIRE_ENV}=1 is set)", pytrace=False)
    pytest.skip(MISSING_MESSAGE)


@dataclass(frozen=True)
class HexoBuild:
    """What one ``hexo generate`` did."""

    returncode: int
    stdout: str
    stderr: str
    workdir: Path
    seconds: float
    command: tuple[str, ...]
    errors: tuple[str, ...] = field(default=())  # output lines at ERROR or FATAL level
    warnings: tuple[str, ...] = field(default=())  # output lines at WARN level

    @property
    def public(self) -> Path:
        return self.workdir / "public"

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.errors

    def report(self) -> str:
        return (
            f"hexo generate in {self.workdir}: exit {self.returncode}, "
            f"{len(self.errors)} error line(s), {len(self.warnings)} warning(s), "
            f"{self.seconds:.1f}s\n"
            f"--- errors ---\n{chr(10).join(self.errors) or '(none)'}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )

    def check(self, *, allow_warnings: bool = True) -> HexoBuild:
        """Return self if the build succeeded, else raise AssertionError with all output."""
        if not self.ok or (self.warnings and not allow_warnings):
            raise AssertionError(self.report())
        return self

    def pages(self) -> list[Path]:
        """Every HTML file Hexo wrote, sorted."""
        return sorted(self.public.rglob("*.html"))

    def pages_containing(self, text: str) -> list[Path]:
        return [p for p in self.pages() if text in p.read_text(encoding="utf-8")]

    def read(self, relpath: str | Path) -> str:
        """Text of a file under public/ (a path such as ``categories/金融/index.html``)."""
        return (self.public / relpath).read_text(encoding="utf-8")


def _level_lines(text: str, levels: tuple[str, ...]) -> list[str]:
    lines = []
    for raw in text.splitlines():
        line = _ANSI.sub("", raw)
        m = _LEVEL.match(line)
        if m and m.group(1) in levels:
            lines.append(line.strip())
    return lines


def _apply_config(config_file: Path, overrides: Mapping[str, str]) -> None:
    """Set top-level scalar keys of _config.yml (values are written as given, raw YAML)."""
    lines = config_file.read_text(encoding="utf-8").splitlines()
    for key, value in overrides.items():
        entry = f"{key}: {value}"
        for i, line in enumerate(lines):
            if re.match(rf"^{re.escape(key)}\s*:", line):
                lines[i] = entry
                break
        else:
            lines.append(entry)
    config_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build_hexo_site(
    posts_dir: Path,
    workdir: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    tz: str | None = None,
    config: Mapping[str, str] | None = None,
) -> HexoBuild:
    """Run ``hexo generate`` on a site made of the skeleton plus ``posts_dir``'s tree.

    ``workdir`` must not exist or be empty; it receives the skeleton, ``package.json``,
    a symlink to ``tests/hexo/node_modules`` and ``source/_posts`` (a copy of
    ``posts_dir``). ``tz`` sets the TZ of the Hexo process (the machine time zone Hexo
    sees; by default the caller's). ``config`` overrides top-level keys of
    ``_config.yml``, values given as raw YAML (e.g. ``{"timezone": "Asia/Shanghai"}``).
    """
    if not hexo_available():
        raise RuntimeError(MISSING_MESSAGE)
    workdir = Path(workdir)
    if workdir.exists() and any(workdir.iterdir()):
        raise FileExistsError(f"workdir is not empty: {workdir}")
    shutil.copytree(SKELETON_DIR, workdir, dirs_exist_ok=True)
    shutil.copy2(HEXO_DIR / "package.json", workdir / "package.json")  # Hexo loads plugins from it
    (workdir / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    shutil.copytree(posts_dir, workdir / "source" / "_posts")
    if config:
        _apply_config(workdir / "_config.yml", config)

    env = dict(os.environ)
    env.pop("FORCE_COLOR", None)
    env["NO_COLOR"] = "1"  # picocolors colours output when CI is set
    if tz is not None:
        env["TZ"] = tz
    command = ("node", str(HEXO_BIN), "generate")
    started = time.monotonic()
    try:
        proc = subprocess.run(
            command,
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else exc.stdout
        err = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else exc.stderr
        raise AssertionError(
            f"hexo generate timed out after {timeout}s in {workdir}\n"
            f"--- stdout ---\n{out or ''}\n--- stderr ---\n{err or ''}"
        ) from exc
    seconds = time.monotonic() - started
    both = proc.stdout + "\n" + proc.stderr
    return HexoBuild(
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        workdir=workdir,
        seconds=seconds,
        command=command,
        errors=tuple(_level_lines(both, ("ERROR", "FATAL"))),
        warnings=tuple(_level_lines(both, ("WARN",))),
    )
