"""Every config key, once: its kind, its default (as a user would write it) and its check.

The dataclasses in ``sections`` take their defaults from here (``default``), so a default
is written in one place, in the unit the config file uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import __version__, rsshub
from . import checks as c
from .checks import SQLITE_PREFIX, Check, Context, is_int

DEFAULT_USER_AGENT = f"newsstand/{__version__}"  # no project page to point at: say who asks
# in [fetch] user_agent (the starter shows how)
DEFAULT_DB = ".newsstand/newsstand.db"
DEFAULT_POSTS = "source/_posts"
DEFAULT_SITE = "public"
DATE_FORMATS = ("iso", "rfc822", "local")
FRONT_MATTER_EXTRAS = ("link", "updated")  # Hexo keys a post may carry beyond the seed's
FULLTEXT_MODES = ("off", "auto")
HEXO_STORIES = ("all", "first")
HEXO_IMAGES = ("remote", "local")  # posts point at the original pictures, or copy ours
LANGUAGES = ("zh-CN", "en")
DEFAULT_DEPLOY_MESSAGE = "newsstand: site update {time}"
DEFAULT_DEPLOY_AUTHOR = "newsstand <newsstand@localhost>"


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # as in "expected <name>"
    accepts: Callable[[Any], bool]
    convert: Callable[[Any], Any] = lambda v: v


STRING = Kind("a string", lambda v: isinstance(v, str))
INTEGER = Kind("an integer", is_int)
NUMBER = Kind("a number", lambda v: is_int(v) or isinstance(v, float), float)
BOOLEAN = Kind("true or false", lambda v: isinstance(v, bool))
TABLE = Kind("a table such as { limit = 20 }", lambda v: isinstance(v, dict))
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", re.IGNORECASE)


def parse_duration(value: Any) -> float:
    """Seconds in ``value``: a number of minutes, or text such as ``90s``, ``30m``, ``2h``,
    ``1d`` (a bare number in text is minutes too). ValueError when it is neither."""
    if is_int(value) or isinstance(value, float):
        return float(value) * 60
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f'expected a duration such as 30 (minutes), "90s", "30m", "2h" or "1d", got {value!r}'
        )
    return float(match.group(1)) * DURATION_UNITS[(match.group(2) or "m").lower()]


def is_duration(v: Any) -> bool:
    try:
        parse_duration(v)
    except ValueError:
        return False
    return True


DURATION = Kind(
    'a duration such as 30 (minutes), "90s", "30m", "2h" or "1d"', is_duration, parse_duration
)
STRINGS = Kind(  # a lone string is taken as a one-element array
    "an array of strings",
    lambda v: isinstance(v, str) or (isinstance(v, list) and all(isinstance(s, str) for s in v)),
    lambda v: (v,) if isinstance(v, str) else tuple(v),
)

REQUIRED: Any = object()


@dataclass(frozen=True, slots=True)
class Key:
    kind: Kind
    default: Any = None  # a raw value (checked like a given one), None, or REQUIRED
    check: Check | None = None

    def value(self, raw: Any, ctx: Context) -> Any:
        """``raw`` (of this kind) converted and checked; ``Bad`` says what is wrong."""
        value = self.kind.convert(raw)
        return value if self.check is None else self.check(value, ctx)


# --------------------------------------------------------------------------- the schema

SectionPath = tuple[str, ...]

SCHEMA: dict[SectionPath, dict[str, Key]] = {
    ("site",): {
        "title": Key(STRING, "newsstand", c.not_empty),
        "url": Key(STRING, "http://localhost:4000", c.base_url),
        "timezone": Key(STRING, "UTC", c.timezone),
    },
    ("rsshub",): {
        "instances": Key(STRINGS, ["https://rsshub.app"], c.instances),
        "access_key": Key(STRING, None, c.optional_text),
        "access_key_env": Key(STRING, "RSSHUB_ACCESS_KEY", c.env_name),
        "access": Key(STRING, "key", c.choice(*rsshub.ACCESS_KINDS)),
        "per_host": Key(INTEGER, None, c.positive),
    },
    ("store",): {
        "url": Key(STRING, SQLITE_PREFIX + DEFAULT_DB, c.store_url),
        "keep_days": Key(INTEGER, None, c.positive),
        "keep_per_feed": Key(INTEGER, None, c.positive),
    },
    ("fetch",): {
        "concurrency": Key(INTEGER, 16, c.positive),
        "per_host": Key(INTEGER, 4, c.positive),
        "timeout": Key(NUMBER, 30.0, c.positive),
        "connect_timeout": Key(NUMBER, 10.0, c.positive),
        "read_timeout": Key(NUMBER, 20.0, c.positive),
        "max_bytes": Key(INTEGER, 10 * 1024 * 1024, c.positive),
        "user_agent": Key(STRING, DEFAULT_USER_AGENT, c.not_empty),
        "retries": Key(INTEGER, 2, c.not_negative),
        "interval": Key(DURATION, 60, c.not_negative),
        "min_interval": Key(DURATION, 10, c.not_negative),
        "max_interval": Key(DURATION, "1d", c.positive),
        "jitter": Key(NUMBER, 0.1, c.jitter),
        "fulltext": Key(STRING, "off", c.choice(*FULLTEXT_MODES)),
    },
    ("stories",): {
        "enabled": Key(BOOLEAN, True),
        "window": Key(DURATION, "3d", c.positive),
        "threshold": Key(NUMBER, 0.4, c.similarity),
    },
    ("images",): {  # the site's own copies of the pictures its pages show
        "enabled": Key(BOOLEAN, True),
        "content": Key(BOOLEAN, False),
        "referers": Key(TABLE, {}, c.referers),
        "max_bytes": Key(INTEGER, 300_000_000, c.positive),
        "max_download": Key(INTEGER, 8 * 1024 * 1024, c.positive),
        "width": Key(INTEGER, 400, c.positive),
        "content_width": Key(INTEGER, 800, c.positive),
    },
    ("output", "hexo"): {
        "enabled": Key(BOOLEAN, True),
        "dir": Key(STRING, DEFAULT_POSTS, c.folder),
        "date_format": Key(STRING, "iso", c.choice(*DATE_FORMATS)),
        "extra_front_matter": Key(STRINGS, [], c.choices(*FRONT_MATTER_EXTRAS)),
        "stories": Key(STRING, "all", c.choice(*HEXO_STORIES)),
        "images": Key(STRING, "remote", c.choice(*HEXO_IMAGES)),
    },
    ("output", "site"): {
        "enabled": Key(BOOLEAN, True),
        "dir": Key(STRING, DEFAULT_SITE, c.folder),
        "per_page": Key(INTEGER, 20, c.positive),
        "theme_dir": Key(STRING, None, c.folder),
        "language": Key(STRING, "zh-CN", c.choice(*LANGUAGES)),
        "base_path": Key(STRING, "/", c.base_path),
        "full_entries": Key(INTEGER, 10000, c.not_negative),
    },
    ("health",): {
        "backoff": Key(NUMBER, 15.0, c.positive),
        "max_backoff": Key(NUMBER, 1440.0, c.positive),
        "alert_share": Key(NUMBER, 0.5, c.share),
        "run_alert_share": Key(NUMBER, 1.0, c.share),
    },
    ("deploy",): {  # its sub-table [deploy.hexo] is optional: see Reader.deploy
        "repo": Key(STRING, None, c.git_repo),
        "branch": Key(STRING, "gh-pages", c.branch),
        "message": Key(STRING, DEFAULT_DEPLOY_MESSAGE, c.message),
        "author": Key(STRING, DEFAULT_DEPLOY_AUTHOR, c.author),
        "force": Key(BOOLEAN, False),
        "token_env": Key(STRING, "GITHUB_TOKEN", c.env_name),
        "cname": Key(STRING, None, c.cname),
        "store_branch": Key(STRING, "newsstand-data", c.branch),
    },
    ("deploy", "hexo"): {
        "repo": Key(STRING, None, c.git_repo),
        "branch": Key(STRING, "main", c.branch),
        "path": Key(STRING, DEFAULT_POSTS, c.repo_path),
    },
    ("feeds",): {  # an array of tables
        "route": Key(STRING, None, c.route_path),
        "url": Key(STRING, None, c.http_url),
        "category": Key(STRING, REQUIRED, c.not_empty),
        "source": Key(STRING, REQUIRED, c.not_empty),
        "channel": Key(STRING, None, c.not_empty),
        "limit": Key(INTEGER, None, c.positive),
        "include": Key(STRING, None, c.regex),
        "exclude": Key(STRING, None, c.regex),
        "clean": Key(BOOLEAN, True),
        "enabled": Key(BOOLEAN, True),
        "keep_days": Key(INTEGER, None, c.positive),
        "keep_per_feed": Key(INTEGER, None, c.positive),
        "rsshub_params": Key(TABLE, None, c.rsshub_params),
        "timezone": Key(STRING, None, c.timezone),
        "interval": Key(DURATION, None, c.not_negative),
        "stories": Key(BOOLEAN, True),
        "fulltext": Key(BOOLEAN, None),
    },
}
FEEDS: SectionPath = ("feeds",)
ARRAYS: frozenset[SectionPath] = frozenset({FEEDS})


def default(path: SectionPath, key: str) -> Any:
    """The default of ``key`` in the table ``path``, converted and checked as a value
    written in the file would be (relative paths stay relative)."""
    spec = SCHEMA[path][key]
    if spec.default is None or spec.default is REQUIRED:
        return None
    return spec.value(spec.default, Context(root=None))
