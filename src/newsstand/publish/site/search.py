"""Full-text search with Pagefind, one bundle per chunk of entries.

Pagefind indexes a whole bundle at a time (~1.8 s per 1,000 pages here), so entries are
split into chunks by storage order (``plan.SEARCH_CHUNK``) and each chunk gets its own
bundle under ``pagefind/<n>/``. New entries land in the newest chunk, so a run with a
few new entries re-indexes one bundle; the search page merges all bundles. The extended
build of Pagefind (PyPI ``pagefind[extended]``) segments Chinese; the index language is
forced to Chinese, whose segmenter also keeps English words whole.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import SearchError
from .plan import SearchChunk

# What Pagefind writes for its own search widgets, which the site does not use (search.js
# talks to pagefind.js): ~420 KB per bundle, 42 MB in a site of 100 bundles.
UNUSED = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-highlight.js",
)


def bundle_dir(number: int) -> str:
    return f"pagefind/{number}"


def index(
    site: Path, chunks: Sequence[SearchChunk], on_done: Callable[[SearchChunk], None] | None = None
) -> None:
    """(Re-)index ``chunks`` of the site being built in ``site``, one at a time: Pagefind
    keeps both cores busy on its own (two at once measured no faster here, and each
    takes ~170 MB)."""
    executable = _executable() if chunks else ""
    for chunk in chunks:
        out = site / bundle_dir(chunk.number)
        shutil.rmtree(out, ignore_errors=True)
        command = [
            executable,
            "--site",
            str(site),
            "--glob",
            "{" + ",".join(chunk.paths) + "}",
            "--output-subdir",
            bundle_dir(chunk.number),
            "--force-language",
            "zh",
            "--silent",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SearchError(
                f"pagefind failed on bundle {chunk.number}: "
                f"{(done.stderr or done.stdout).strip()[-500:]}"
            )
        for name in UNUSED:
            (out / name).unlink(missing_ok=True)
        if on_done:
            on_done(chunk)


def _executable() -> str:
    """The Pagefind binary the ``pagefind[extended]`` wheel ships (run directly: going
    through ``python -m pagefind`` costs a Python start-up per bundle)."""
    try:
        from pagefind_bin_extended import get_executable

        return str(get_executable())
    except (ImportError, FileNotFoundError) as exc:
        raise SearchError(
            f"the Pagefind binary is missing ({exc}); pip install 'pagefind[extended]'"
        ) from None


def remove(site: Path, numbers: Sequence[int]) -> None:
    for number in numbers:
        shutil.rmtree(site / bundle_dir(number), ignore_errors=True)
