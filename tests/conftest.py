"""Shared fixtures: a loopback feed server, the ../shared test data, configs on disk, real
Hexo, Chromium and RSSHub; the markers that say what a test needs, and one line at the end of the
run naming the groups of skipped tests and why.

Tests are in unit/ (pure functions, tmp files at most), integration/ (a loopback server,
a real SQLite file, library calls, the CLI through CliRunner) and system/ (real
processes: kills, signals, services, the workflow, deploy against git, real Hexo, the
browser). Their helpers are in support/.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.helpers import write_config
from support.hexo_site import MISSING_MESSAGE, require_hexo
from support.paths import SHARED, shared_missing
from support.rsshub import MISSING_MESSAGE as RSSHUB_MISSING
from support.rsshub import RSSHub, require_rsshub, start_rsshub
from support.secrets import KEY

from newsstand.config import Config, load_config
from newsstand.demo.server import FeedServer

# marker -> the fixture that provides what it names (a test using the fixture gets the mark)
NEEDS = {
    "needs_shared": "shared",
    "needs_node": "hexo",
    "needs_browser": "chromium",
    "needs_postgres": "pg_url",
    "needs_rsshub": "rsshub_installed",  # what the rsshub and rsshub_keyed fixtures use
}
CHROMIUM = os.environ.get("NEWSSTAND_CHROMIUM", "/usr/bin/chromium")
# a skip's reason -> what it lacked (a test may need two things; its reason tells which)
REASON_GROUP: dict[str, str] = {MISSING_MESSAGE: "needs_node", RSSHUB_MISSING: "needs_rsshub"}


def _skip(group: str, reason: str) -> None:
    REASON_GROUP[reason] = group
    pytest.skip(reason)


@pytest.fixture
def shared() -> Path:
    """The ../shared test data (GUIDE.md section 5); skips the test where it is absent."""
    reason = shared_missing()
    if reason:
        _skip("needs_shared", reason)
    return SHARED


@pytest.fixture
def hexo() -> None:
    """Real Hexo from npm (tests/hexo): skips without it, fails with NEWSSTAND_REQUIRE_HEXO=1."""
    require_hexo()


@pytest.fixture
def chromium():
    """Debian's Chromium, and Playwright's ``sync_playwright`` to drive it: skips without
    them, fails without Chromium when NEWSSTAND_REQUIRE_BROWSER is set."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        message = f"no Chromium at {CHROMIUM}; apt-get install chromium"
        if os.environ.get("NEWSSTAND_REQUIRE_BROWSER"):
            pytest.fail(message)
        _skip("needs_browser", message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip("needs_browser", "playwright is not installed (pip install -e '.[test]')")
    return sync_playwright


def require_postgres() -> None:
    """Skip without a PostgreSQL server; fail instead with NEWSSTAND_REQUIRE_POSTGRES=1."""
    from support import postgres

    reason = postgres.missing()
    if reason:
        if os.environ.get("NEWSSTAND_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        _skip("needs_postgres", reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL store URL in a fresh schema of its own (dropped after the test)."""
    from support import postgres

    require_postgres()
    with postgres.fresh_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.needs_postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL of each backend: a SQLite file, and a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/s/newsstand.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def rsshub_installed() -> None:
    """The real RSSHub from npm (tests/rsshub): skips without it, fails with
    NEWSSTAND_REQUIRE_RSSHUB=1."""
    require_rsshub()


@pytest.fixture(scope="session")
def rsshub(rsshub_installed: None) -> Iterator[RSSHub]:
    """The real RSSHub, without access control: one process for the whole test session."""
    server = start_rsshub()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def rsshub_keyed(rsshub_installed: None) -> Iterator[RSSHub]:
    """The real RSSHub with ACCESS_KEY set (to support.secrets.KEY): one process per session."""
    server = start_rsshub(access_key=KEY)
    yield server
    server.stop()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture
def make_config(tmp_path: Path, request: pytest.FixtureRequest):
    """make_config(feeds, **sections) -> Config, with fetch settings fit for tests; on each
    backend in turn when the test uses ``store_url`` (``usefixtures("store_url")``)."""
    store_url = (
        request.getfixturevalue("store_url") if "store_url" in request.fixturenames else None
    )

    def make(feeds: list[dict], **sections: dict) -> Config:
        fetch = {"timeout": 5, "retries": 1, **sections.pop("fetch", {})}
        if store_url is not None and "store" not in sections:
            sections["store"] = {"url": store_url}
        return load_config(write_config(tmp_path / "site", feeds, fetch=fetch, **sections))

    return make


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test that uses a fixture of NEEDS gets its marker; a test marked needs_shared
    without the fixture (its data is named at collection) is skipped where it is absent."""
    missing = shared_missing()
    if missing:
        REASON_GROUP[missing] = "needs_shared"
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        for marker, fixture in NEEDS.items():
            if fixture in names and item.get_closest_marker(marker) is None:
                item.add_marker(marker)
        if missing and item.get_closest_marker("needs_shared") and "shared" not in names:
            item.add_marker(pytest.mark.skip(reason=missing))


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: after pytest's own summary
def pytest_terminal_summary(
    terminalreporter, exitstatus: int, config: pytest.Config
) -> Iterator[None]:
    """One line: how many tests were skipped, by what they need, and why."""
    yield
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    counts: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        group = REASON_GROUP.get(reason) or next(
            (m for m in NEEDS if m in report.keywords), "other"
        )
        counts[group] += 1
        reasons.setdefault(group, Counter())[reason] += 1
    parts = [
        f"{n} {group} ({reasons[group].most_common(1)[0][0]})"  # the main reason
        for group, n in counts.most_common()
    ]
    terminalreporter.write_line("skipped: " + ", ".join(parts))
