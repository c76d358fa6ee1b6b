"""The README documents everything a user can type: every command and subcommand has help
text and a row in the command table, and every config key a row in the configuration
tables (as sqlite-utils checks its docs)."""

from __future__ import annotations

import re

import click
import pytest
from support.paths import ROOT

from newsstand.cli import main
from newsstand.config import SCHEMA

README = (ROOT / "README.md").read_text("utf-8")


def section(title: str) -> str:
    """The README's text under the ``## title`` heading, up to the next one."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def first_cells(text: str) -> list[tuple[str, str]]:
    """(the first cell, the line before the table) of every table row in ``text``."""
    rows, before = [], ""
    for line in text.splitlines():
        if not line.startswith("|"):
            if line.strip():
                before = line
            continue
        cell = re.split(r"(?<!\\)\|", line)[1].strip()  # a \| inside a cell is text
        if cell and set(cell) - set("- "):  # not the |---| line
            rows.append((cell, before))
    return rows


def commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
    return found


ALL_COMMANDS = commands(main)


def documented_commands() -> set[tuple[str, ...]]:
    """Command paths named by the rows of `## Commands`: ``newsstand feeds remove/enable/
    disable FEED`` names three; words end at an argument, option or placeholder."""
    named = set()
    for cell, _ in first_cells(section("Commands")):
        for code in re.findall(r"`newsstand ([^`]*)`", cell):
            words: list[str] = []
            for word in code.split():
                if not re.fullmatch(r"[a-z][a-z/-]*", word):
                    break
                words.append(word)
            *head, last = words
            named |= {(*head, name) for name in last.split("/")}
    return named


def test_the_commands_are_found() -> None:
    names = {path for path, _ in ALL_COMMANDS}
    assert {("run",), ("feeds", "add"), ("store", "restore"), ("routes", "sync")} <= names


@pytest.mark.parametrize(
    ("path", "command"), ALL_COMMANDS, ids=[" ".join(path) for path, _ in ALL_COMMANDS]
)
def test_every_command_has_help_and_a_row(path: tuple[str, ...], command: click.Command) -> None:
    assert (command.help or "").strip(), f"`newsstand {' '.join(path)}` has no help text"
    rows = documented_commands()
    if isinstance(command, click.Group):  # a group is documented by its commands' rows
        assert any(row[: len(path)] == path for row in rows), path
    else:
        assert path in rows, (
            f"README.md's command table has no row for `newsstand {' '.join(path)}`"
        )


def documented_keys() -> set[tuple[tuple[str, ...], str]]:
    """(section path, key) named by the rows of the configuration tables. A row names its
    section as ``[output.site]``, or the table is the one introduced with ``[[feeds]]``;
    it may name several keys: ``[fetch] timeout` / `connect_timeout``."""
    named = set()
    for cell, before in first_cells(section("Configuration: `newsstand.toml`")):
        table = re.match(r"`\[([a-z_.]+)\] ", cell)
        if table:
            where = tuple(table.group(1).split("."))
            cell = "`" + cell[table.end() :]
        elif "[[feeds]]" in before:
            where = ("feeds",)
        else:
            continue
        named |= {(where, key) for key in re.findall(r"`([a-z_]+)`", cell)}
    return named


ALL_KEYS = [(where, key) for where, keys in SCHEMA.items() for key in keys]


def test_the_keys_are_found() -> None:
    assert (("fetch",), "timeout") in ALL_KEYS and (("deploy", "hexo"), "path") in ALL_KEYS
    assert len(ALL_KEYS) > 50


@pytest.mark.parametrize(
    ("where", "key"), ALL_KEYS, ids=[".".join(where) + "." + key for where, key in ALL_KEYS]
)
def test_every_config_key_has_a_row(where: tuple[str, ...], key: str) -> None:
    assert (where, key) in documented_keys(), (
        f"README.md's configuration tables have no row for [{'.'.join(where)}] {key}"
    )
