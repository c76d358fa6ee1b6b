"""The site folder, replaced whole: a new tree is built beside the old and swapped in.

The new tree starts as hard links to the old one's files (cheap: no bytes copied), the
build replaces what changed, and one ``renameat2(RENAME_EXCHANGE)`` swaps the two
folders, so a reader (or a crash) sees the old site or the new one, never a mix. The
manifest of page keys lives inside the tree, so it always describes the files beside it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TypedDict, cast

MANIFEST = ".newsstand-manifest.json"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def staging_path(site: Path) -> Path:
    return site.with_name(f".{site.name}.new")


def retired_path(site: Path) -> Path:
    """A unique name for an old tree on its way out (removal may outlive the build)."""
    return site.with_name(f".{site.name}.old-{time.time_ns()}")


def _retired(site: Path) -> list[Path]:
    return sorted(site.parent.glob(f".{site.name}.old-*"), key=lambda p: p.name)


def recover(site: Path) -> None:
    """Undo what a crash between two renames may have left, then clear leftovers."""
    retired = _retired(site)
    if not site.exists() and retired and retired[-1].is_dir():
        retired.pop().rename(site)
    for leftover in (staging_path(site), *retired):
        shutil.rmtree(leftover, ignore_errors=True)


PAGES_LIMIT = 1_000_000_000  # bytes: GitHub Pages publishes a site of at most 1 GB
FOLDER_LIMIT = 3000  # entries: GitHub's documented limit per directory


class Size(TypedDict):
    """What a built tree weighs (the manifest left out: it is not published)."""

    bytes: int
    files: int
    folder: str  # the folder with the most entries (files and folders), "" the root
    entries: int  # how many it holds


def measure(root: Path) -> Size:
    """Walk ``root``: its bytes, files, and its fullest folder."""
    total = files = most = 0
    fullest = ""
    prefix = len(str(root)) + 1
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        count = 0
        with os.scandir(folder) as listing:
            for item in listing:
                count += 1
                if item.is_dir(follow_symlinks=False):
                    stack.append(item.path)
                elif item.name != MANIFEST or folder != str(root):
                    files += 1
                    total += item.stat(follow_symlinks=False).st_size
                else:
                    count -= 1
        if count > most:
            most, fullest = count, folder[prefix:]
    return Size(bytes=total, files=files, folder=fullest, entries=most)


def warnings(size: Size) -> list[str]:
    """What a user publishing ``size`` on GitHub Pages must hear."""
    found = []
    if size["bytes"] >= PAGES_LIMIT * 0.8:
        found.append(
            f"the site is {size['bytes'] / 1e6:.0f} MB, {size['bytes'] / PAGES_LIMIT:.0%} of"
            " the 1 GB GitHub Pages publishes; lower [output.site] full_entries (older"
            " entries get compact pages) or keep less history ([store] keep_days)"
        )
    if size["entries"] > FOLDER_LIMIT:
        found.append(
            f"{size['folder'] or 'the site root'} holds {size['entries']} entries, more than"
            f" the {FOLDER_LIMIT} GitHub documents per folder"
        )
    return found


class Manifest(TypedDict, total=False):
    """What a build remembers of the site it made: an input key per file."""

    signature: str  # of the store, the theme and the feeds: unchanged means nothing to do
    base: str  # of what every page depends on (templates, settings, the category set)
    pages: dict[str, str]  # page path -> its input key
    static: dict[str, str]  # static file -> its digest
    search: dict[str, str]  # search bundle number -> its input key
    images: list[str]  # the pictures (files of images/) the site carries
    size: Size  # of the tree when it was built


def read_manifest(site: Path) -> Manifest:
    try:
        data = json.loads((site / MANIFEST).read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return cast(Manifest, data) if isinstance(data, dict) else {}


def clone(site: Path, staging: Path) -> int:
    """Make ``staging`` a copy of ``site`` made of hard links; return the files linked."""
    count = 0
    prefix = len(str(site)) + 1
    for folder, _dirs, files in os.walk(site):
        target = (
            os.path.join(staging, folder[prefix:]) if len(folder) > len(str(site)) else str(staging)
        )
        os.makedirs(target, exist_ok=True)
        for name in files:
            os.link(os.path.join(folder, name), os.path.join(target, name))
            count += 1
    return count


def remove(staging: Path, paths: list[str]) -> None:
    """Delete files the new site no longer has, and folders left empty by that."""
    folders = set()
    for path in paths:
        target = staging / path
        try:
            target.unlink()
        except FileNotFoundError:
            continue
        folders.add(target.parent)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        while folder != staging:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent


def write_manifest(staging: Path, manifest: Manifest) -> None:
    (staging / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, separators=(",", ":")), "utf-8"
    )


def _exchange(a: Path, b: Path) -> bool:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    done: int = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def swap(staging: Path, site: Path) -> None:
    """Put ``staging`` in place of ``site`` and delete the old tree."""
    if not site.exists():
        staging.rename(site)
        return
    retired = retired_path(site)
    if _exchange(staging, site):
        staging.rename(retired)
    else:  # no atomic exchange here: two renames, which ``recover`` can undo
        site.rename(retired)
        staging.rename(site)
    remove_later(retired)


def remove_later(tree: Path) -> None:
    """Delete ``tree`` in a detached process: unlinking tens of thousands of files takes
    seconds here, and the new site is already live. A removal cut short (the machine
    stopped) is finished by the next build's ``recover``."""
    subprocess.Popen(
        [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], True)", str(tree)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
