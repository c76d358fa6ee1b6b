"""Disk writes a user relies on: atomic, idempotent, and only ever to our own files."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import unicodedata
from pathlib import Path

# Characters no path segment may hold: separators, controls, and what Windows, URLs
# (Hexo permalinks) or shells make trouble of.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"/\\|?*#%\u2028\u2029]')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


def truncate_utf8(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore")


def safe_segment(text: str, *, max_bytes: int = 200, fallback: str = "untitled") -> str:
    """A readable file or folder name made from ``text`` that cannot escape or hide.

    No separators, ``..``, controls or reserved characters; no leading dot or
    underscore (Hexo skips such files); no trailing dot or space; not a reserved
    Windows device name; at most ``max_bytes`` of UTF-8.
    """
    name = unicodedata.normalize("NFC", text)
    name = " ".join(_UNSAFE.sub(" ", name).split())
    name = name.lstrip("._ ")
    name = truncate_utf8(name, max_bytes).rstrip(". ")
    if not name:
        name = fallback
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = truncate_utf8(name, max_bytes - 1) + "_"
    return name


def digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


_pid = os.getpid()  # in the temporary names: two processes never share one


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def read_if_exists(path: Path) -> bytes | None:
    """The file's bytes, or None when there is no such file."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_fd(fd: int, data: bytes) -> None:
    """Write all of ``data`` to the open file ``fd``, then close it."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a hidden temporary file and a rename.

    A crash never leaves a half-written post that Hexo would read. Few system calls
    (open, write, close, rename), as thousands of posts are written in a run. Callers
    that must not touch an unchanged file compare with ``read_if_exists`` first.
    """
    tmp = path.with_name(f".{path.name}.{_pid}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    try:
        fd = os.open(tmp, flags, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, flags, 0o644)
    try:
        write_fd(fd, data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


_TEMPORARY = re.compile(r"^\..+\.\d+\.tmp$")  # what write_atomic names its temporary files


def remove_temporary_files(root: Path) -> int:
    """Delete the temporary files that a process killed inside ``write_atomic`` left
    under ``root``; returns how many. Call only while no other process publishes there."""
    removed = 0
    for folder, _, names in os.walk(root):
        for name in names:
            if _TEMPORARY.match(name):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(folder, name))
                    removed += 1
    return removed


def remove_own(root: Path, relpath: str, expected_digest: str) -> bool:
    """Delete a file we wrote, unless someone changed it since; prune emptied folders.

    Returns True when the file is gone (or was already).
    """
    path = root / relpath
    try:
        if digest(path.read_bytes()) != expected_digest:
            return False
        path.unlink()
    except FileNotFoundError:
        return True
    parent = path.parent
    while parent != root and root in parent.parents:
        try:
            parent.rmdir()  # only succeeds when empty
        except OSError:
            break
        parent = parent.parent
    return True
