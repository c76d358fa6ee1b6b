"""The command line as a real process, as a shell meets it: the entry point starts, exit
codes and the one line on stderr; one smoke test per command group (routes here; feeds,
store, deploy, watch, serve, build and publish in the other system tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import cli_process
from support.helpers import rss, write_config

from newsstand.demo.server import Resource


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = cli_process("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("init", "fetch", "publish", "run", "demo"):
        assert command in result.stdout


def test_config_errors_exit_2_with_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "newsstand.toml").write_text(
        '[site]\ntitle = "x"\n\n[[feeds]]\nurl = "https://e.com/feed"\ncategroy = "c"\n'
        'source = "s"\n',
        encoding="utf-8",
    )
    result = cli_process("run", cwd=tmp_path)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line and "newsstand.toml:6" in line and "'category'" in line


def test_missing_config_says_what_to_do(tmp_path: Path) -> None:
    result = cli_process("run", cwd=tmp_path)
    assert result.returncode == 2 and "newsstand init" in result.stderr


def test_corrupt_store_exits_1_naming_the_file(tmp_path: Path, server) -> None:
    server.routes["/ok"] = Resource(rss([{"title": "t", "guid": "1"}]))
    write_config(tmp_path, [{"url": server.url("/ok"), "category": "c", "source": "s"}])
    store = tmp_path / ".newsstand" / "newsstand.db"
    store.parent.mkdir()
    store.write_bytes(b"garbage" * 1000)
    result = cli_process("run", cwd=tmp_path)
    assert result.returncode == 1 and "newsstand.db" in result.stderr


def test_search_on_an_empty_catalog_says_what_to_do(tmp_path: Path) -> None:
    write_config(tmp_path, [])
    result = cli_process("routes", "search", "新浪", cwd=tmp_path)
    assert result.returncode == 2 and "routes sync" in result.stderr
    no_scheme = cli_process("routes", "sync", "--instance", "rsshub.example", cwd=tmp_path)
    assert no_scheme.returncode == 2 and "http://" in no_scheme.stderr
    no_docs = cli_process("routes", "sync", "--docs", str(tmp_path / "nope"), cwd=tmp_path)
    assert no_docs.returncode == 2 and "nope" in no_docs.stderr


# Ctrl-C delivered while the command line's modules load (the first moments of any
# command, before it can install handlers): the entry must turn it into one line. The
# import hook sends the real signal to the process at a chosen import, so the test does
# not depend on how fast this machine starts Python.
CTRL_C_AT_IMPORT = """
import importlib.abc, os, signal, sys

# Ctrl-C as at a terminal, even where this test run was started as a background job
# (its children then inherit SIGINT ignored, and Python leaves it so)
signal.signal(signal.SIGINT, signal.default_int_handler)
AT = sys.argv[1]

class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == AT:
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlC())
sys.argv = ["newsstand", "status"]
from importlib.metadata import entry_points
(script,) = [e for e in entry_points(group="console_scripts") if e.name == "newsstand"]
script.load()()  # what the `newsstand` command runs
"""


@pytest.mark.parametrize("module", ["click", "newsstand.config", "newsstand.cli.jobs"])
def test_ctrl_c_while_starting_is_one_line(tmp_path: Path, module: str) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", CTRL_C_AT_IMPORT, module],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 130 and done.stderr == "error: interrupted\n"
