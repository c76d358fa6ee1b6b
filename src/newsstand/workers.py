"""One pool of worker processes for a run's CPU work: parsing feeds, rendering posts and
rendering site pages.

A pool is started only when the work pays for it (``for_jobs``: at least
``POOL_THRESHOLD`` jobs, each caller sizing its jobs to ``BATCH`` items or so), and only
once per run: the parse, publish and site stages share it. A pool that breaks (a worker
killed, a platform without forkserver) is not fatal: callers then do the work in this
process.

Workers come from multiprocessing's fork server, so they are not children of the run: a
run killed with SIGKILL cannot shut its pool down, and its workers would otherwise wait
for work for ever (holding the store's files open). Every worker calls ``watch_parent``
first.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor

POOL_THRESHOLD = 8  # fewer jobs than this run in-process: starting a pool costs more
BATCH = 64  # items (posts, pages) per job sent to a worker
MAX_WORKERS = 4
# what workers import once, in the fork server, before any job arrives
PRELOAD = ["newsstand.gather", "newsstand.publish.site.render"]


class Workers:
    """The run's pool, started on first need; use as a context manager."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self.broken = (os.cpu_count() or 1) < 2
        self.size = min(os.cpu_count() or 2, MAX_WORKERS)

    def for_jobs(self, count: int) -> Executor | None:
        """The pool for ``count`` jobs, or None: do them here."""
        if self.broken or count < POOL_THRESHOLD:
            return None
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            self._pool = ProcessPoolExecutor(
                max_workers=self.size,
                mp_context=context,
                initializer=watch_parent,
                initargs=(os.getpid(),),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def watch_parent(pid: int) -> None:
    """In a worker: exit when the process ``pid`` (the run that started it) is gone.

    A pidfd (Linux) becomes readable when that very process ends, even if its pid is
    reused later; elsewhere the pid is polled."""
    try:
        handle: int | None = os.pidfd_open(pid)
    except ProcessLookupError:  # gone already
        os._exit(1)
    except (AttributeError, OSError):
        handle = None

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])
            os._exit(1)
        while True:
            time.sleep(0.5)
            try:
                os.kill(pid, 0)
            except (ProcessLookupError, PermissionError):  # gone, or the pid now another's
                os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
