"""Where the test data is: the repository, tests/data, tests/hexo, and ../shared."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
DATA = TESTS / "data"
HEXO = TESTS / "hexo"
# the shared test data beside the repository (CI always has it); see GUIDE.md section 5
SHARED = ROOT.parent / "shared"


def shared_missing() -> str | None:
    """Why the tests that need ../shared cannot run, or None when it is there."""
    if (SHARED / "acceptance").is_dir() and (SHARED / "corpus" / "MANIFEST.json").is_file():
        return None
    return f"../shared not found at {SHARED} (CI always has it)"
