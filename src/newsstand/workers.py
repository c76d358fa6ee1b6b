"""Worker processes (parse workers, site render workers) that end with the run that
started them.

Workers come from multiprocessing's fork server, so they are not children of the run: a
run killed with SIGKILL cannot shut its pools down, and its workers would otherwise wait
for work for ever (holding the store's files open). Every pool's initializer calls
``watch_parent`` first.
"""

from __future__ import annotations

import os
import select
import threading
import time


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
