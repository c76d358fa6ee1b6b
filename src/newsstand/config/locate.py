"""Where things are in a config file: line numbers for errors (tomllib keeps no positions
for a valid document, so the text is scanned for table headers and ``key =`` lines, best
effort), TOML syntax errors made readable, and ``ConfigError``, which names file and line."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A problem with the config file; ``str()`` is one line: ``file:line: what``."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.key = key  # dotted: "fetch.timeout", "output.hexo.dir", "feeds[2].route"
        super().__init__(message)

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = display(self.path)
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class _Mark:
    path: tuple[str, ...]  # header path, or header path + key path
    index: int | None  # which element of the enclosing array of tables
    line: int


class Locator:
    """Where tables and keys are in the text: ``line(("fetch", "timeout"))``."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*(\]\]?)\s*(?:#.*)?$")
    _PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
    _KEY = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")

    def __init__(self, text: str) -> None:
        self.marks: list[_Mark] = []
        counts: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        index: int | None = None
        for lineno, line in _value_starts(text):
            header = self._HEADER.match(line)
            if header and len(header.group(1)) == len(header.group(3)):
                path = _parse_key(header.group(2))
                if path is None:
                    continue
                if header.group(1) == "[[":
                    counts[path] = counts.get(path, 0) + 1
                    index = counts[path] - 1
                else:  # a sub-table of the latest element of an array, or a plain table
                    arrays = [p for p in counts if path[: len(p)] == p]
                    index = counts[max(arrays, key=len)] - 1 if arrays else None
                table = path
                self.marks.append(_Mark(path, index, lineno))
                continue
            key = self._KEY.match(line)
            if key:
                parts = _parse_key(key.group(1))
                if parts is not None:
                    self.marks.append(_Mark(table + parts, index, lineno))

    def line(self, path: tuple[str, ...], index: int | None = None) -> int | None:
        """The first line that declares ``path`` or something inside it; None if not found."""
        for mark in self.marks:
            if mark.path[: len(path)] == path and (index is None or mark.index == index):
                return mark.line
        return None


def _parse_key(text: str) -> tuple[str, ...] | None:
    """``a."b c".d`` -> ("a", "b c", "d"), by asking tomllib itself."""
    try:
        doc: Any = tomllib.loads(f"{text} = 0")
    except tomllib.TOMLDecodeError:
        return None
    parts: list[str] = []
    while isinstance(doc, dict) and len(doc) == 1:
        name, doc = next(iter(doc.items()))
        parts.append(name)
    return tuple(parts)


def _value_starts(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for each line that starts outside any string, array or inline table."""
    state = ""  # "", '"', "'", '"""' or "'''"
    depth = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if not state and depth == 0:
            yield lineno, line
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if not state:
                if c == "#":
                    break
                if line.startswith(('"""', "'''"), i):
                    state, i = line[i : i + 3], i + 3
                    continue
                if c in "\"'":
                    state = c
                elif c in "[{":
                    depth += 1
                elif c in "]}":
                    depth = max(0, depth - 1)
            elif c == "\\" and state in ('"', '"""'):
                i += 2
                continue
            elif len(state) == 1 and c == state:
                state = ""
            elif len(state) == 3 and line.startswith(state, i):
                while i < n and line[i] == state[0]:  # up to two quotes may end the string
                    i += 1
                state = ""
                continue
            i += 1
        if len(state) == 1:  # a one-line string cannot go on to the next line
            state = ""


def absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def display(path: Path) -> str:
    """``path`` as the user would type it: relative to the current folder when inside it."""
    try:
        return str(absolute(path).relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")
_BARE_WORD = re.compile(r"^[^\W\d]", re.UNICODE)


def syntax_error(e: tomllib.TOMLDecodeError, text: str, path: Path) -> ConfigError:
    message = str(e).splitlines()[0] if str(e) else "invalid TOML"
    m = _AT.search(message)
    line: int | None = None
    if m:
        message = message[: m.start()]
        if m.group(1):
            line = int(m.group(1))
            message += f" (column {m.group(2)})"
        else:
            line = max(1, len(text.splitlines()))
    if line is not None and message.startswith("Invalid value"):
        lines = text.splitlines()
        _, eq, value = lines[line - 1].partition("=") if line <= len(lines) else ("", "", "")
        word = value.strip()
        if eq and _BARE_WORD.match(word) and word.split()[0] not in ("true", "false", "inf", "nan"):
            message += '; strings need quotes: key = "text"'
    return ConfigError(f"TOML syntax error: {message}", path=path, line=line)
