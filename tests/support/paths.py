"""Where the test data is: the repository, tests/data, tests/hexo, and ../shared."""

from __future__ import annotations

import os
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
DATA = TESTS / "data"
HEXO = TESTS / "hexo"
# the shared test data beside the repository (CI always has it); see GUIDE.md section 5.
# NEWSSTAND_SHARED names another place (a path that does not exist: run as without it).
SHARED = Path(os.environ.get("NEWSSTAND_SHARED") or ROOT.parent / "shared")


def shared_missing() -> str | None:
    """Why the tests that need ../shared cannot run, or None when it is there."""
    if (SHARED / "acceptance").is_dir() and (SHARED / "corpus" / "MANIFEST.json").is_file():
        return None
    return f"../shared not found at {SHARED}; CI always has it"
