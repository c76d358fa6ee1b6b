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
