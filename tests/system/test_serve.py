"""`newsstand serve` as the long-running process it is: it previews the site and rebuilds
it when the store changes."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
from support.helpers import dated_item, serve_feed

from newsstand import pipeline


def test_serve_previews_and_rebuilds(server, make_config) -> None:
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    items = [dated_item(1, datetime(2024, 1, 1, tzinfo=UTC))]
    url = serve_feed(server, "/feed", items)
    config = make_config([{"url": url, "category": "c", "source": "s"}])
    pipeline.run(config)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsstand.cli",
            "serve",
            "--port",
            "0",
            "--json",
            "-c",
            str(config.path),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        base = json.loads(process.stdout.readline())["url"]
        assert "Item 1" in urllib.request.urlopen(base).read().decode()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base + "no/such/page.html")
        assert missing.value.code == 404
        assert "页面不存在" in missing.value.read().decode()  # the site's own 404 page
        serve_feed(server, "/feed", [*items, dated_item(2, datetime(2024, 1, 2, tzinfo=UTC))])
        pipeline.run(config, do_publish=False)  # the store changes; serve rebuilds
        for _ in range(100):
            if "Item 2" in urllib.request.urlopen(base).read().decode():
                break
            time.sleep(0.1)
        else:
            pytest.fail("serve did not rebuild after the store changed")
    finally:
        process.terminate()
        process.wait(10)


def _at_a_terminal() -> None:
    """In the child: SIGINT as a terminal leaves it, even where this test run is a
    background job (whose children start with SIGINT ignored, which Python keeps)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _serve(config_path, *args: str):
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "newsstand", "serve", "-c", str(config_path), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=_at_a_terminal,
    )


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_ctrl_c_or_sigterm_stops_serve_cleanly(server, make_config, signum: str) -> None:
    """Stopping is how a preview ends: exit 0 and one line, not `error: interrupted`."""
    import signal
    import urllib.request

    url = serve_feed(server, "/feed", [dated_item(1, datetime(2024, 1, 1, tzinfo=UTC))])
    config = make_config([{"url": url, "category": "c", "source": "s"}])
    pipeline.run(config)
    process = _serve(config.path, "--port", "0", "--json")
    try:
        base = json.loads(process.stdout.readline())["url"]  # it is serving
        assert "Item 1" in urllib.request.urlopen(base).read().decode()
        process.send_signal(getattr(signal, signum))
        _out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    assert err.strip().splitlines()[-1] == f"stopped serving {base}"
    assert "error" not in err and "Traceback" not in err


def test_a_busy_port_suggests_port_0(server, make_config) -> None:
    import socket

    url = serve_feed(server, "/feed", [dated_item(1, datetime(2024, 1, 1, tzinfo=UTC))])
    config = make_config([{"url": url, "category": "c", "source": "s"}])
    with socket.socket() as taken:  # another program listens on the port asked for
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _serve(config.path, "--port", str(port))
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    (line,) = err.strip().splitlines()  # at once: nothing is built for a port it cannot use
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert line.endswith("give another --port, or --port 0 for any free one")
