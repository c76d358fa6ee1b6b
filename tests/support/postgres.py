"""A PostgreSQL for tests: a fresh schema per test in the server CI starts, and (for the
test that restarts its server) a server of the test's own in a temporary folder.

``NEWSSTAND_TEST_POSTGRES`` names the database to make schemas in (default: the machine's
server, database ``test``). A test that needs PostgreSQL skips where none answers, and
fails instead when ``NEWSSTAND_REQUIRE_POSTGRES=1`` (as in CI).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

BASE = os.environ.get("NEWSSTAND_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/test")
BIN = Path("/usr/lib/postgresql/15/bin")


def missing() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    try:
        psycopg.connect(BASE, connect_timeout=3).close()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL at {BASE} ({first}); .ci/run starts one"
    return None


def in_schema(base: str, schema: str) -> str:
    """``base`` with its search_path set to ``schema`` (libpq's ``options``)."""
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote(f'-csearch_path={schema}', safe='')}"


@contextlib.contextmanager
def fresh_schema(base: str = BASE) -> Iterator[str]:
    """A store URL in a new, empty schema of ``base``, dropped afterwards."""
    import psycopg

    name = f"t_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield in_schema(base, name)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnServer:
    """A PostgreSQL server of one test's own (initdb + pg_ctl in ``folder``, on a free
    port), so that restarting it disturbs nobody else's tests. Run as the ``postgres``
    user when this process is root (initdb refuses root)."""

    def __init__(self) -> None:
        # its own folder in /tmp: the postgres user cannot reach into pytest's (root's, 0700)
        self.folder = Path(tempfile.mkdtemp(prefix="newsstand-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def missing() -> str | None:
        if not (BIN / "initdb").exists():
            return f"no initdb at {BIN}"
        if os.geteuid() == 0 and not shutil.which("runuser"):
            return "root needs runuser to start a PostgreSQL of its own"
        return None

    def _run(self, *args: str) -> None:
        command = [str(BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> OwnServer:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            self.folder.chmod(0o700)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._ctl("start")
        return self

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        self._run(
            "pg_ctl",
            action,
            "-D",
            str(self.data),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            *(("-m", "fast") if action != "start" else ()),
        )

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "stop", "-D", str(self.data), "-w", "-m", "fast")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
