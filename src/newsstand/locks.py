"""The locks that keep newsstand processes apart, and the order they are taken in.

Each lock is an exclusive ``flock`` on a small file, taken without waiting: a process
that finds it held fails at once with ``Busy`` (one line saying who holds what), and the
kernel drops it when the holder exits, however it exits.

Lock order: a process holding one of these may take the ones below it, never one above.

1. the store lock (``<db>.lock``, ``State.store_lock``): a run that writes the store or
   the Hexo posts; ``store save``/``restore``; a deploy of the posts while it reads them.
2. the site lock (``.<site>.lock`` beside the site folder): a site build, and a deploy of
   the site while it reads it (so the site is not swapped under it).
3. a deploy cache lock (``<cache>.lock`` beside each bare cache repository): one deploy
   per target at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class Busy(Exception):
    """Another process holds the lock; the message says which and what to do."""


def take(path: Path, busy: str) -> IO[str]:
    """Hold the lock on ``path`` until the returned file is closed; ``Busy(busy)`` when
    another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - the caller closes it
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise Busy(busy) from None
    return handle


@contextlib.contextmanager
def held(path: Path, busy: str) -> Iterator[None]:
    """``with held(path, busy):`` the lock on ``path`` for the block."""
    handle = take(path, busy)
    try:
        yield
    finally:
        handle.close()


def site_lock_path(site: Path) -> Path:
    """The site lock of the site folder ``site``: ``.<name>.lock`` beside it."""
    return site.with_name(f".{site.name}.lock")
