"""Shared fixtures: a loopback feed server, the ../shared test data, configs on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import write_config

from newsstand.config import Config, load_config
from newsstand.demo.server import FeedServer

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture
def shared() -> Path:
    if not (SHARED / "acceptance").is_dir():
        pytest.skip(f"the shared test data is not at {SHARED} (CI always has it)")
    return SHARED


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture
def make_config(tmp_path: Path):
    """make_config(feeds, **sections) -> Config, with fetch settings fit for tests."""

    def make(feeds: list[dict], **sections: dict) -> Config:
        fetch = {"timeout": 5, "retries": 1, **sections.pop("fetch", {})}
        return load_config(write_config(tmp_path / "site", feeds, fetch=fetch, **sections))

    return make
