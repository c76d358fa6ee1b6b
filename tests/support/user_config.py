"""A newsstand.toml as a user keeps it (comments, blank lines, an old feed), for the
tests of the commands that edit it in place."""

from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = """\
# My news portal. 我的新闻站。
[site]
title = "portal"   # shown on every page

[rsshub]
instances = ["{instance}"]
{rsshub_extra}
[fetch]
retries = 0
timeout = 5
interval = 0        # every feed on every run
min_interval = 0

# ---- my feeds below; keep this comment ----
[[feeds]]
url = "{instance}/existing.xml"   # an old favourite
category = "Tech"
source = "Existing"
"""


def setup_site(tmp: Path, instance: str, rsshub_extra: str = "") -> Path:
    path = tmp / "newsstand.toml"
    path.write_text(CONFIG.format(instance=instance, rsshub_extra=rsshub_extra), "utf-8")
    return path


def feeds_of(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text("utf-8"))["feeds"]
