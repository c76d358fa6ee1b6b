"""The layout ARCHITECTURE.md describes holds: imports flow one way, the ground floor
stands on nothing above it, the CLI's --help loads no pipeline, no module grows past 500
lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "newsstand"
GROUND = {"model", "control", "files", "workers", "locks", "state", "rsshub"}


def room_of(module: str) -> str:
    """``newsstand.store.sqlite`` -> ``store``: a top-level module or package."""
    return module.split(".")[1] if module.count(".") else module


def imports() -> dict[str, set[str]]:
    """room -> the rooms its modules import (relative imports resolved)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        room = room_of(module)
        if room == "newsstand":
            continue
        used = graph.setdefault(room, set())
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                    names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
                else:
                    names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("newsstand.") and room_of(name) not in (room, "__init__"):
                    used.add(room_of(name))
    return graph


def test_rooms_import_each_other_one_way_only() -> None:
    graph = imports()
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"rooms import each other: {exc.args[1]}") from None
    assert {"cli", "pipeline", "store", "config", "fetch"} <= set(order)


def test_the_ground_floor_stands_on_nothing_above_it() -> None:
    graph = imports()
    for room in GROUND:
        assert graph.get(room, set()) <= GROUND, (room, graph[room] - GROUND)


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text("utf-8").splitlines())) > 500
    }
    assert not long


def test_help_and_version_import_no_pipeline() -> None:
    probe = (
        "import sys, runpy; sys.argv = ['newsstand', '--help']\n"
        "try:\n    runpy.run_module('newsstand', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('aiohttp', 'lxml', 'jinja2', 'newsstand.pipeline',"
        " 'newsstand.fetch', 'rich') if m in sys.modules]\n"
        "print('loaded:', ','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "loaded:", done.stdout
