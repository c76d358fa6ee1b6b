"""``newsstand.toml`` -> a typed, frozen ``Config``; errors that name the file, line and key.

Each section is described once, in a schema table (key -> kind, default, check), and one
reader walks every table with it: the unknown-key check, the type check, defaults and the
per-key checks are the same code for every section. What spans several keys (exactly one
of ``route``/``url``, ``channel`` falling back to ``source``, duplicate feeds) is done
after, in the few lines that build each dataclass.

tomllib keeps no positions for a valid document, so ``_Locator`` scans the text for table
headers and ``key =`` lines to put a line number on an error (best effort: a key written
inside an inline table has none).
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from . import __version__
from .model import Feed

__all__ = [
    "CONFIG_NAME",
    "Config",
    "ConfigError",
    "DeployConfig",
    "DeployHexoConfig",
    "FetchConfig",
    "HexoConfig",
    "RSSHubConfig",
    "SiteConfig",
    "SiteOutputConfig",
    "StoreConfig",
    "branch_name",
    "derived_cname",
    "find_config",
    "is_git_url",
    "load_config",
    "normalize_route",
    "parse_config",
    "parse_duration",
    "starter_config",
]

CONFIG_NAME = "newsstand.toml"
DEFAULT_USER_AGENT = f"newsstand/{__version__} (+https://github.com/newsstand)"
DEFAULT_DB = ".newsstand/newsstand.db"
DEFAULT_POSTS = "source/_posts"
DEFAULT_SITE = "public"
SQLITE_PREFIX = "sqlite:///"
DATE_FORMATS = ("iso", "rfc822", "local")
LANGUAGES = ("zh-CN", "en")
DEFAULT_DEPLOY_MESSAGE = "newsstand: site update {time}"
DEFAULT_DEPLOY_AUTHOR = "newsstand <newsstand@localhost>"


class ConfigError(Exception):
    """A problem with the config file; ``str()`` is one line: ``file:line: what``."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.key = key  # dotted: "fetch.timeout", "output.hexo.dir", "feeds[2].route"
        super().__init__(message)

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = _display(self.path)
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}"


# --------------------------------------------------------------------------- the dataclasses


@dataclass(frozen=True, slots=True)
class SiteConfig:
    title: str = "newsstand"
    url: str = "http://localhost:4000"  # no trailing slash
    timezone: str = "UTC"  # an IANA name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class RSSHubConfig:
    instances: tuple[str, ...] = ("https://rsshub.app",)  # http(s), no trailing slash
    access_key: str | None = field(default=None, repr=False)  # a secret: never shown
    access_key_env: str = "RSSHUB_ACCESS_KEY"  # the variable holding it when access_key is unset
    access: str = "key"  # how the key is sent: "key" (the key) or "code" (MD5 of route + key)


@dataclass(frozen=True, slots=True)
class StoreConfig:
    url: str  # from a file: "sqlite:///" + an absolute path
    keep_days: int | None = None
    keep_per_feed: int | None = None

    @property
    def sqlite_path(self) -> Path:
        """The database file; ValueError when the URL is not a ``sqlite:///`` URL."""
        if not self.url.startswith(SQLITE_PREFIX):
            raise ValueError(f"not a sqlite:/// URL: {self.url!r}")
        return Path(unquote(self.url[len(SQLITE_PREFIX) :]))


@dataclass(frozen=True, slots=True)
class FetchConfig:
    concurrency: int = 16
    per_host: int = 4
    timeout: float = 30.0
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    user_agent: str = DEFAULT_USER_AGENT
    retries: int = 2
    interval: float = 3600.0  # seconds between fetches of a feed (a feed may set its own)
    min_interval: float = 600.0  # seconds: no feed is fetched more often (the floor)
    max_interval: float = 86400.0  # seconds: a feed's own hints raise its interval up to this
    jitter: float = 0.1  # share of the interval added at random so feeds spread out


@dataclass(frozen=True, slots=True)
class HexoConfig:
    enabled: bool = True
    dir: Path = Path(DEFAULT_POSTS)  # from a file: always absolute
    date_format: str = "iso"  # "iso", "rfc822" or "local"


@dataclass(frozen=True, slots=True)
class SiteOutputConfig:
    enabled: bool = True
    dir: Path = Path(DEFAULT_SITE)  # from a file: always absolute
    per_page: int = 20
    theme_dir: Path | None = None  # templates here override the shipped ones, by name
    language: str = "zh-CN"  # interface labels: "zh-CN" or "en"
    base_path: str = "/"  # the site's path on its host: "/" or "/repo/" (GitHub project pages)


@dataclass(frozen=True, slots=True)
class HealthConfig:
    backoff: float = 15.0  # minutes a feed rests after its first failure (doubling after)
    max_backoff: float = 1440.0  # minutes: the longest rest
    alert_share: float = 0.5  # `newsstand status` exits 1 when this share of feeds fails


# -- [deploy]: where `newsstand deploy` and `newsstand store save/restore` push


@dataclass(frozen=True, slots=True)
class DeployHexoConfig:
    repo: str | None = None  # None: the [deploy] repo (or its --repo override)
    branch: str = "main"
    path: str = DEFAULT_POSTS  # where the posts go in that branch ("source/_posts")


@dataclass(frozen=True, slots=True)
class DeployConfig:
    repo: str | None = None  # a git URL, or an absolute path; None: deploy not configured
    branch: str = "gh-pages"
    message: str = DEFAULT_DEPLOY_MESSAGE  # "{time}" is the UTC time of the deploy
    author: str = DEFAULT_DEPLOY_AUTHOR  # "Name <email>"
    force: bool = False  # force-push the site branch (never unless true)
    token_env: str = "GITHUB_TOKEN"  # the environment variable holding an HTTPS token
    cname: str | None = None  # the CNAME file's host; None: no CNAME (derived from [site] url)
    store_branch: str = "newsstand-data"  # `newsstand store save` keeps the store here
    hexo: DeployHexoConfig | None = None  # [deploy.hexo]: push the Hexo posts too


@dataclass(frozen=True, slots=True)
class Config:
    path: Path  # absolute
    root: Path  # the folder the config file is in: relative paths start here
    site: SiteConfig = field(default_factory=SiteConfig)
    rsshub: RSSHubConfig = field(default_factory=RSSHubConfig)
    store: StoreConfig = field(default_factory=lambda: StoreConfig(url=SQLITE_PREFIX + DEFAULT_DB))
    fetch: FetchConfig = field(default_factory=FetchConfig)
    hexo: HexoConfig = field(default_factory=HexoConfig)
    site_output: SiteOutputConfig = field(default_factory=SiteOutputConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    deploy: DeployConfig = field(default_factory=DeployConfig)
    feeds: tuple[Feed, ...] = ()

    @property
    def enabled_feeds(self) -> tuple[Feed, ...]:
        return tuple(f for f in self.feeds if f.enabled)


# --------------------------------------------------------------------------- public functions


def find_config(explicit: Path | None, cwd: Path) -> Path:
    """The config file to use: ``explicit`` (a file, or a folder holding newsstand.toml), else
    ``cwd/newsstand.toml``."""
    if explicit is not None:
        path = cwd / explicit.expanduser()
        if path.is_dir():
            path = path / CONFIG_NAME
        if not path.is_file():
            raise ConfigError("no such config file; run `newsstand init` to create one", path=path)
        return path
    path = cwd / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(
            f"no {CONFIG_NAME} in {cwd}; run `newsstand init` to create one, or pass --config PATH"
        )
    return path


def load_config(path: Path) -> Config:
    """Read and check the config file at ``path``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            "no such config file; run `newsstand init` to create one", path=path
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot read the config file: {e.strerror or e}", path=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ConfigError(
            f"not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8",
            path=path,
            line=line,
        ) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    """Check ``text`` (the contents of ``path``) and build the Config.

    ``path`` names the file in messages, and its folder is where relative paths start.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _syntax_error(e, text, path) from None
    return _Reader(text, path).read(doc)


def starter_config() -> str:
    """The commented starter config that ``newsstand init`` writes."""
    return resources.files("newsstand").joinpath("starter.toml").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- kinds and checks


class _Bad(Exception):
    """A value failed a check: the message says what is wrong (and what to do)."""


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str  # as in "expected <name>"
    accepts: Callable[[Any], bool]
    convert: Callable[[Any], Any] = lambda v: v


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


STRING = _Kind("a string", lambda v: isinstance(v, str))
INTEGER = _Kind("an integer", _is_int)
NUMBER = _Kind("a number", lambda v: _is_int(v) or isinstance(v, float), float)
BOOLEAN = _Kind("true or false", lambda v: isinstance(v, bool))
TABLE = _Kind("a table such as { limit = 20 }", lambda v: isinstance(v, dict))
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", re.IGNORECASE)


def parse_duration(value: Any) -> float:
    """Seconds in ``value``: a number of minutes, or text such as ``90s``, ``30m``, ``2h``,
    ``1d`` (a bare number in text is minutes too). ValueError when it is neither."""
    if _is_int(value) or isinstance(value, float):
        return float(value) * 60
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a duration such as 30 (minutes), \"90s\", \"30m\", \"2h\""
                         f" or \"1d\", got {value!r}")
    return float(match.group(1)) * DURATION_UNITS[(match.group(2) or "m").lower()]


def _is_duration(v: Any) -> bool:
    try:
        parse_duration(v)
    except ValueError:
        return False
    return True


DURATION = _Kind('a duration such as 30 (minutes), "90s", "30m", "2h" or "1d"', _is_duration,
                 parse_duration)
STRINGS = _Kind(  # a lone string is taken as a one-element array
    "an array of strings",
    lambda v: isinstance(v, str) or (isinstance(v, list) and all(isinstance(s, str) for s in v)),
    lambda v: (v,) if isinstance(v, str) else tuple(v),
)

_REQUIRED: Any = object()


@dataclass(frozen=True, slots=True)
class _Ctx:
    root: Path


Check = Callable[[Any, _Ctx], Any]


@dataclass(frozen=True, slots=True)
class _Key:
    kind: _Kind
    default: Any = None  # a raw value (checked like a given one), None, or _REQUIRED
    check: Check | None = None


def _positive(v: int | float, _: _Ctx) -> int | float:
    if v <= 0:
        raise _Bad(f"must be greater than 0, got {v}")
    return v


def _not_negative(v: int | float, _: _Ctx) -> int | float:
    if v < 0:
        raise _Bad(f"must be 0 or more, got {v}")
    return v


def _share(v: float, _: _Ctx) -> float:
    if not 0 < v <= 1:
        raise _Bad("expected a share of the feeds between 0 (exclusive) and 1, such as 0.5")
    return v


def _jitter(v: float, _: _Ctx) -> float:
    if not 0 <= v <= 1:
        raise _Bad(f"expected a share of the interval between 0 and 1, such as 0.1, got {v}")
    return v


def _not_empty(v: str, _: _Ctx) -> str:
    v = v.strip()
    if not v:
        raise _Bad("must not be empty")
    return v


def _optional_text(v: str, _: _Ctx) -> str | None:
    return v.strip() or None


def _http_url(v: str, _: _Ctx) -> str:
    v = v.strip()
    parts = urlsplit(v)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise _Bad(f"expected an http:// or https:// URL, got {v!r}")
    return v


def _base_url(v: str, ctx: _Ctx) -> str:
    return _http_url(v, ctx).rstrip("/")


def _instances(v: tuple[str, ...], ctx: _Ctx) -> tuple[str, ...]:
    if not v:
        raise _Bad("give at least one RSSHub instance URL")
    return tuple(_base_url(s, ctx) for s in v)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(v: str, _: _Ctx) -> str:
    v = v.strip()
    names = _zone_names()
    if v in names:
        return v
    if v not in ("localtime", "posixrules"):
        try:
            zoneinfo.ZoneInfo(v)
        except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
            pass
        else:
            return v
    same = [n for n in names if n.lower() == v.lower()]
    hint = f" (did you mean {same[0]!r}?)" if same else _suggest(v, names)
    raise _Bad(f"unknown time zone {v!r}{hint}; use an IANA name such as 'Asia/Shanghai' or 'UTC'")


def _choice(*choices: str) -> Check:
    def check(v: str, _: _Ctx) -> str:
        if v not in choices:
            listed = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"
            raise _Bad(f"expected {listed}, got {v!r}{_suggest(v, choices)}")
        return v

    return check


def _regex(v: str, _: _Ctx) -> re.Pattern[str]:
    try:
        return re.compile(v)
    except re.error as e:
        raise _Bad(f"invalid regular expression {v!r}: {e}") from None


def _folder(v: str, ctx: _Ctx) -> Path:
    if not v.strip():
        raise _Bad("must not be empty")
    return _absolute(ctx.root / Path(v).expanduser())


def _base_path(v: str, _: _Ctx) -> str:
    v = v.strip()
    if "://" in v or any(c in v for c in "?#\\ "):
        raise _Bad("must be a path such as \"/\" or \"/my-news/\", not a URL")
    return "/" + v.strip("/") + "/" if v.strip("/") else "/"


_URL_UNSAFE = re.compile(r"[%?#]")  # all a path needs quoted to survive urlsplit + unquote
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _store_url(v: str, ctx: _Ctx) -> str:
    v = v.strip()
    if not v:
        raise _Bad("must not be empty")
    m = _SCHEME.match(v)
    if m is None:  # a plain file path
        file = Path(v).expanduser()
    else:
        scheme = m.group(1).lower()
        if scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+"):
            raise _Bad("PostgreSQL stores are not supported yet; use a sqlite:/// URL")
        if scheme != "sqlite":
            raise _Bad(f"expected a sqlite:/// URL or a file path, got {v!r}")
        if not v.startswith(SQLITE_PREFIX):
            raise _Bad(f"expected sqlite:///path/to/file.db, got {v!r}")
        rest = v[len(SQLITE_PREFIX) :]
        if not rest or rest == ":memory:":
            raise _Bad("the store must be a file (an in-memory store would lose its history)")
        file = Path(unquote(rest)).expanduser()
    file = _absolute(ctx.root / file)
    return SQLITE_PREFIX + _URL_UNSAFE.sub(lambda m: quote(m.group()), str(file))


def _route(v: str, _: _Ctx) -> str:
    v = v.strip()
    if v.lower().startswith("rsshub://"):  # as RSSHub Radar copies it
        v = v[len("rsshub://") :]
    elif _SCHEME.match(v):
        raise _Bad(
            f"expected an RSSHub path such as '/sina/finance', got the URL {v!r}; "
            "use url = ... for a full feed URL"
        )
    path, sep, query = v.partition("?")
    path = "/" + "/".join(p for p in path.split("/") if p)
    if path == "/":
        raise _Bad("expected an RSSHub path such as '/sina/finance'")
    return path + sep + query


# RSSHub's common query parameters (https://docs.rsshub.app/guide/parameters)
RSSHUB_PARAMS = (
    "limit", "filter", "filter_title", "filter_description", "filter_author",
    "filter_category", "filter_time", "filterout", "filterout_title",
    "filterout_description", "filterout_author", "filterout_category",
    "filter_case_sensitive", "mode", "sorted", "brief", "opencc", "scihub", "tgiv",
    "image_hotlink_template", "multimedia_hotlink_template", "wrap_multimedia_in_iframe",
    "format", "domain",
)


def _rsshub_params(v: dict[str, Any], _: _Ctx) -> tuple[tuple[str, str], ...]:
    pairs = []
    for name, value in v.items():
        if name not in RSSHUB_PARAMS:
            raise _Bad(f"unknown RSSHub parameter {name!r}{_suggest(name, RSSHUB_PARAMS)}"
                       f"; known: {', '.join(RSSHUB_PARAMS)}")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, str | int | float):
            raise _Bad(f"{name}: expected a string, number or true/false, got {_describe(value)}")
        pairs.append((name, str(value)))
    return tuple(pairs)


# -- [deploy] checks

_SCP_LIKE = re.compile(r"^[^/:]+:(?!//)")  # git@github.com:me/news.git (git's own rule, roughly)
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_AUTHOR = re.compile(r"^([^<>]+?)\s*<([^<>\s]+@[^<>\s]+|[^<>\s@]+)>$")
_BAD_BRANCH = re.compile(r"[\s~^:?*\[\\]|\.\.|@\{|//|^[-/.]|[/.]$|\.lock$")


def is_git_url(text: str) -> bool:
    """A remote git URL (``https://…``, ``ssh://…``, ``git@host:path``), not a local path."""
    return bool(_SCHEME.match(text) or _SCP_LIKE.match(text))


def _git_repo(v: str, ctx: _Ctx) -> str:
    v = v.strip()
    if not v:
        raise _Bad("must not be empty (leave it out when there is nothing to deploy)")
    if is_git_url(v):
        return v
    return str(_absolute(ctx.root / Path(v).expanduser()))


def _branch(v: str, _: _Ctx) -> str:
    v = v.strip()
    if v.startswith("refs/heads/"):
        v = v[len("refs/heads/") :]
    if not v or _BAD_BRANCH.search(v) or any(ord(c) < 32 or ord(c) == 127 for c in v):
        raise _Bad(f"not a valid git branch name: {v!r}")
    return v


def _message(v: str, _: _Ctx) -> str:
    if not v.strip():
        raise _Bad("must not be empty")
    try:
        v.format(time="2024-01-01 00:00 UTC")
    except (KeyError, IndexError, ValueError) as exc:
        raise _Bad(f"{{time}} is the only placeholder a message may hold ({exc})") from None
    return v


def _author(v: str, _: _Ctx) -> str:
    m = _AUTHOR.match(v.strip())
    if m is None:
        raise _Bad(f'expected "Name <email>", such as "newsstand <bot@example.org>", got {v!r}')
    return f"{m.group(1)} <{m.group(2)}>"


def _env_name(v: str, _: _Ctx) -> str:
    v = v.strip()
    if not _ENV_NAME.match(v):
        raise _Bad(f"expected the name of an environment variable such as GITHUB_TOKEN, got {v!r}")
    return v


def _cname(v: str, _: _Ctx) -> str:
    v = v.strip().lower().rstrip(".")
    if v and not _HOST.fullmatch(v):
        raise _Bad(f'expected a host name such as "news.example.org" (or "" for none), got {v!r}')
    return v


def _repo_path(v: str, _: _Ctx) -> str:
    parts = [p for p in v.replace("\\", "/").split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise _Bad(f'expected a folder inside the repository such as "source/_posts", got {v!r}')
    return "/".join(parts)


def derived_cname(site_url: str) -> str | None:
    """The CNAME for a site served at ``site_url``: its host, unless GitHub's own or local."""
    host = (urlsplit(site_url).hostname or "").lower().rstrip(".")
    if not host or "." not in host or host == "localhost" or host.endswith(
        (".localhost", "github.io")
    ):
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None


def _outside(check: Check, text: str) -> Any:
    """A value check used outside a config file: its problem as a ValueError."""
    try:
        return check(text, _Ctx(root=Path.cwd()))
    except _Bad as exc:
        raise ValueError(str(exc)) from None


def normalize_route(text: str) -> str:
    """An RSSHub path as a config stores it (``rsshub://a/b``, ``a//b/`` -> ``/a/b``).
    ValueError says what is wrong with it."""
    return _outside(_route, text)


def branch_name(text: str) -> str:
    """A git branch name as ``[deploy] branch`` takes it (``refs/heads/`` dropped).
    ValueError says what is wrong with it."""
    return _outside(_branch, text)


# --------------------------------------------------------------------------- the schema

SectionPath = tuple[str, ...]

SCHEMA: dict[SectionPath, dict[str, _Key]] = {
    ("site",): {
        "title": _Key(STRING, "newsstand", _not_empty),
        "url": _Key(STRING, "http://localhost:4000", _base_url),
        "timezone": _Key(STRING, "UTC", _timezone),
    },
    ("rsshub",): {
        "instances": _Key(STRINGS, ["https://rsshub.app"], _instances),
        "access_key": _Key(STRING, None, _optional_text),
        "access_key_env": _Key(STRING, "RSSHUB_ACCESS_KEY", _env_name),
        "access": _Key(STRING, "key", _choice("key", "code")),
    },
    ("store",): {
        "url": _Key(STRING, SQLITE_PREFIX + DEFAULT_DB, _store_url),
        "keep_days": _Key(INTEGER, None, _positive),
        "keep_per_feed": _Key(INTEGER, None, _positive),
    },
    ("fetch",): {
        "concurrency": _Key(INTEGER, 16, _positive),
        "per_host": _Key(INTEGER, 4, _positive),
        "timeout": _Key(NUMBER, 30.0, _positive),
        "connect_timeout": _Key(NUMBER, 10.0, _positive),
        "read_timeout": _Key(NUMBER, 20.0, _positive),
        "max_bytes": _Key(INTEGER, 10 * 1024 * 1024, _positive),
        "user_agent": _Key(STRING, DEFAULT_USER_AGENT, _not_empty),
        "retries": _Key(INTEGER, 2, _not_negative),
        "interval": _Key(DURATION, 60, _not_negative),
        "min_interval": _Key(DURATION, 10, _not_negative),
        "max_interval": _Key(DURATION, "1d", _positive),
        "jitter": _Key(NUMBER, 0.1, _jitter),
    },
    ("output", "hexo"): {
        "enabled": _Key(BOOLEAN, True),
        "dir": _Key(STRING, DEFAULT_POSTS, _folder),
        "date_format": _Key(STRING, "iso", _choice(*DATE_FORMATS)),
    },
    ("output", "site"): {
        "enabled": _Key(BOOLEAN, True),
        "dir": _Key(STRING, DEFAULT_SITE, _folder),
        "per_page": _Key(INTEGER, 20, _positive),
        "theme_dir": _Key(STRING, None, _folder),
        "language": _Key(STRING, "zh-CN", _choice(*LANGUAGES)),
        "base_path": _Key(STRING, "/", _base_path),
    },
    ("health",): {
        "backoff": _Key(NUMBER, 15.0, _positive),
        "max_backoff": _Key(NUMBER, 1440.0, _positive),
        "alert_share": _Key(NUMBER, 0.5, _share),
    },
    ("deploy",): {  # its sub-table [deploy.hexo] is optional: see _Reader.deploy
        "repo": _Key(STRING, None, _git_repo),
        "branch": _Key(STRING, "gh-pages", _branch),
        "message": _Key(STRING, DEFAULT_DEPLOY_MESSAGE, _message),
        "author": _Key(STRING, DEFAULT_DEPLOY_AUTHOR, _author),
        "force": _Key(BOOLEAN, False),
        "token_env": _Key(STRING, "GITHUB_TOKEN", _env_name),
        "cname": _Key(STRING, None, _cname),
        "store_branch": _Key(STRING, "newsstand-data", _branch),
    },
    ("deploy", "hexo"): {
        "repo": _Key(STRING, None, _git_repo),
        "branch": _Key(STRING, "main", _branch),
        "path": _Key(STRING, DEFAULT_POSTS, _repo_path),
    },
    ("feeds",): {  # an array of tables
        "route": _Key(STRING, None, _route),
        "url": _Key(STRING, None, _http_url),
        "category": _Key(STRING, _REQUIRED, _not_empty),
        "source": _Key(STRING, _REQUIRED, _not_empty),
        "channel": _Key(STRING, None, _not_empty),
        "limit": _Key(INTEGER, None, _positive),
        "include": _Key(STRING, None, _regex),
        "exclude": _Key(STRING, None, _regex),
        "clean": _Key(BOOLEAN, True),
        "enabled": _Key(BOOLEAN, True),
        "keep_days": _Key(INTEGER, None, _positive),
        "keep_per_feed": _Key(INTEGER, None, _positive),
        "rsshub_params": _Key(TABLE, None, _rsshub_params),
        "timezone": _Key(STRING, None, _timezone),
        "interval": _Key(DURATION, None, _not_negative),
    },
}
FEEDS: SectionPath = ("feeds",)
ARRAYS: frozenset[SectionPath] = frozenset({FEEDS})
SECTIONS: dict[str, tuple[SectionPath, type]] = {  # Config field -> its table and dataclass
    "site": (("site",), SiteConfig),
    "rsshub": (("rsshub",), RSSHubConfig),
    "store": (("store",), StoreConfig),
    "fetch": (("fetch",), FetchConfig),
    "hexo": (("output", "hexo"), HexoConfig),
    "site_output": (("output", "site"), SiteOutputConfig),
    "health": (("health",), HealthConfig),
}


# --------------------------------------------------------------------------- the reader


def _name(path: SectionPath) -> str:
    return ".".join(path)


def _label(path: SectionPath, index: int | None) -> str:
    return f"[[{_name(path)}]] #{index + 1}" if index is not None else f"[{_name(path)}]"


def _dotted(path: SectionPath, index: int | None, key: str | None) -> str | None:
    name = _name(path) + (f"[{index + 1}]" if index is not None else "")
    return ".".join(filter(None, (name, key))) or None


class _Reader:
    def __init__(self, text: str, path: Path) -> None:
        self.path = path
        self.ctx = _Ctx(root=_absolute(path).parent)
        self._text = text

    @functools.cached_property
    def locator(self) -> _Locator:
        """Built only when an error needs a line number: a valid config never pays for it."""
        return _Locator(self._text)

    def error(
        self,
        path: SectionPath,
        index: int | None,
        key: str | None,
        what: str,
        *,
        name_key: bool = True,
    ) -> ConfigError:
        """An error about ``key`` (or the table itself) of table ``path``, placed at its line."""
        line = self.locator.line(path + ((key,) if key else ()), index)
        if line is None and key:
            line = self.locator.line(path, index)
        label = _label(path, index) if path else ""
        if key and name_key:
            label = f"{label} {key}".lstrip()
        return ConfigError(
            f"{label}: {what}", path=self.path, line=line, key=_dotted(path, index, key)
        )

    def read(self, doc: dict[str, Any]) -> Config:
        self.check_tables(doc, ())
        parts = {
            field: cls(**self.section(_table_at(doc, path), path))
            for field, (path, cls) in SECTIONS.items()
        }
        rsshub = parts["rsshub"]
        if rsshub.access_key is None and os.environ.get(rsshub.access_key_env):
            # a config committed to a public repository must not carry the key itself
            parts["rsshub"] = replace(rsshub, access_key=os.environ[rsshub.access_key_env])
        return Config(
            path=_absolute(self.path),
            root=self.ctx.root,
            **parts,
            deploy=self.deploy(doc, parts["site"]),
            feeds=self.feeds(doc.get("feeds", []), parts["store"]),
        )

    def deploy(self, doc: Mapping[str, Any], site: SiteConfig) -> DeployConfig:
        """[deploy], and [deploy.hexo] only when it is there; cname derived from [site] url."""
        path = ("deploy",)
        table = _table_at(doc, path)
        values = self.section(table, path)
        hexo = None
        if "hexo" in table:
            if not isinstance(table["hexo"], dict):
                raise self.error(path, None, "hexo",
                                 f"expected a table [deploy.hexo], got {_describe(table['hexo'])}")
            hexo = DeployHexoConfig(**self.section(table["hexo"], (*path, "hexo")))
        if values["cname"] is None:
            values["cname"] = derived_cname(site.url)
        values["cname"] = values["cname"] or None
        return DeployConfig(**values, hexo=hexo)

    def check_tables(self, table: Mapping[str, Any], prefix: SectionPath) -> None:
        """Every name down to the sections must be a known section, or a table holding some."""
        depth = len(prefix)
        known = sorted({p[depth] for p in SCHEMA if len(p) > depth and p[:depth] == prefix})
        for name, value in table.items():
            path = (*prefix, name)
            if path in ARRAYS:
                if not (isinstance(value, list) and all(isinstance(t, dict) for t in value)):
                    raise self.error(
                        prefix,
                        None,
                        name,
                        f"expected an array of tables [[{_name(path)}]], got {_describe(value)}"
                        + (
                            " (write [[feeds]], with double brackets)"
                            if isinstance(value, dict)
                            else ""
                        ),
                    )
            elif name in known:
                if not isinstance(value, dict):
                    raise self.error(
                        prefix,
                        None,
                        name,
                        f"expected a table [{_name(path)}], got {_describe(value)}",
                    )
                if path not in SCHEMA:
                    self.check_tables(value, path)
            else:
                raise self.unknown(prefix, name, value, known)

    def unknown(self, prefix: SectionPath, name: str, value: Any, known: list[str]) -> ConfigError:
        """An error for ``name`` where only the sections ``known`` may be."""
        path = (*prefix, name)
        if isinstance(value, dict | list):
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = (
                f"did you mean [{_name((*prefix, close[0]))}]?"
                if close
                else "known: " + ", ".join(f"[{_name((*prefix, k))}]" for k in known)
            )
            what = f"unknown section [{_name(path)}] ({hint})"
        else:  # a stray key = value outside any section
            homes = [
                f"a [[{_name(p)}]] table" if p in ARRAYS else f"[{_name(p)}]"
                for p, keys in SCHEMA.items()
                if name in keys
            ]
            hint = f" (did you mean {name!r} in {homes[0]}?)" if homes else ""
            where = f"[{_name(prefix)}]" if prefix else "the top level"
            what = f"unknown key {name!r} at {where}{hint}"
        return ConfigError(what, path=self.path, line=self.locator.line(path), key=_name(path))

    def section(
        self, table: Mapping[str, Any], path: SectionPath, index: int | None = None
    ) -> dict[str, Any]:
        """Check one table against its schema: its values, defaults filled in."""
        schema = SCHEMA[path]
        values: dict[str, Any] = {}
        for key, raw in table.items():
            spec = schema.get(key)
            if spec is None and index is None and (*path, key) in SCHEMA:
                continue  # a sub-table such as [deploy.hexo], read on its own
            if spec is None:
                raise self.error(
                    path,
                    index,
                    key,
                    f"unknown key {key!r}{_suggest(key, schema)}",
                    name_key=False,
                )
            if not spec.kind.accepts(raw):
                raise self.error(
                    path, index, key, f"expected {spec.kind.name}, got {_describe(raw)}"
                )
            values[key] = self.checked(spec, raw, path, index, key)
        for key, spec in schema.items():
            if key in values:
                continue
            if spec.default is _REQUIRED:
                raise self.error(path, index, None, f"missing required key {key!r}")
            values[key] = (
                None if spec.default is None else self.checked(spec, spec.default, path, index, key)
            )
        return values

    def checked(self, spec: _Key, raw: Any, path: SectionPath, index: int | None, key: str) -> Any:
        value = spec.kind.convert(raw)
        if spec.check is None:
            return value
        try:
            return spec.check(value, self.ctx)
        except _Bad as e:
            raise self.error(path, index, key, str(e)) from None

    def feeds(self, tables: list[dict[str, Any]], store: StoreConfig) -> tuple[Feed, ...]:
        path = FEEDS
        feeds: list[Feed] = []
        seen: dict[str, int] = {}
        for i, table in enumerate(tables):
            v = self.section(table, path, i)
            route, url = v.pop("route"), v.pop("url")
            if (route is None) == (url is None):
                has = "both" if route else "neither"
                raise self.error(
                    path, i, None, f"give exactly one of 'route' or 'url' (it has {has})"
                )
            key = route or url
            if key in seen:
                first = seen[key]
                first_line = self.locator.line(path, first)
                at = f" (line {first_line})" if first_line is not None else ""
                raise self.error(
                    path,
                    i,
                    None,
                    f"{'route' if route else 'url'} {key!r} is already used by "
                    f"{_label(path, first)}{at}",
                )
            seen[key] = i
            if v["rsshub_params"] and url is not None:
                raise self.error(path, i, "rsshub_params",
                                 "applies to RSSHub routes only; put the parameters in the url")
            v["rsshub_params"] = v["rsshub_params"] or ()
            v["channel"] = v["channel"] or v["source"]
            v["keep_days"] = v["keep_days"] or store.keep_days
            v["keep_per_feed"] = v["keep_per_feed"] or store.keep_per_feed
            feeds.append(Feed(key=key, route=route, url=url, **v))
        return tuple(feeds)


def _table_at(doc: Mapping[str, Any], path: SectionPath) -> Mapping[str, Any]:
    for name in path:
        doc = doc.get(name, {})
    return doc


# --------------------------------------------------------------------------- the locator


@dataclass(frozen=True, slots=True)
class _Mark:
    path: tuple[str, ...]  # header path, or header path + key path
    index: int | None  # which element of the enclosing array of tables
    line: int


class _Locator:
    """Where tables and keys are in the text: ``line(("fetch", "timeout"))``."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*(\]\]?)\s*(?:#.*)?$")
    _PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
    _KEY = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")

    def __init__(self, text: str) -> None:
        self.marks: list[_Mark] = []
        counts: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        index: int | None = None
        for lineno, line in _value_starts(text):
            header = self._HEADER.match(line)
            if header and len(header.group(1)) == len(header.group(3)):
                path = _parse_key(header.group(2))
                if path is None:
                    continue
                if header.group(1) == "[[":
                    counts[path] = counts.get(path, 0) + 1
                    index = counts[path] - 1
                else:  # a sub-table of the latest element of an array, or a plain table
                    arrays = [p for p in counts if path[: len(p)] == p]
                    index = counts[max(arrays, key=len)] - 1 if arrays else None
                table = path
                self.marks.append(_Mark(path, index, lineno))
                continue
            key = self._KEY.match(line)
            if key:
                parts = _parse_key(key.group(1))
                if parts is not None:
                    self.marks.append(_Mark(table + parts, index, lineno))

    def line(self, path: tuple[str, ...], index: int | None = None) -> int | None:
        """The first line that declares ``path`` or something inside it; None if not found."""
        for mark in self.marks:
            if mark.path[: len(path)] == path and (index is None or mark.index == index):
                return mark.line
        return None


def _parse_key(text: str) -> tuple[str, ...] | None:
    """``a."b c".d`` -> ("a", "b c", "d"), by asking tomllib itself."""
    try:
        doc: Any = tomllib.loads(f"{text} = 0")
    except tomllib.TOMLDecodeError:
        return None
    parts: list[str] = []
    while isinstance(doc, dict) and len(doc) == 1:
        name, doc = next(iter(doc.items()))
        parts.append(name)
    return tuple(parts)


def _value_starts(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for each line that starts outside any string, array or inline table."""
    state = ""  # "", '"', "'", '"""' or "'''"
    depth = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if not state and depth == 0:
            yield lineno, line
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if not state:
                if c == "#":
                    break
                if line.startswith(('"""', "'''"), i):
                    state, i = line[i : i + 3], i + 3
                    continue
                if c in "\"'":
                    state = c
                elif c in "[{":
                    depth += 1
                elif c in "]}":
                    depth = max(0, depth - 1)
            elif c == "\\" and state in ('"', '"""'):
                i += 2
                continue
            elif len(state) == 1 and c == state:
                state = ""
            elif len(state) == 3 and line.startswith(state, i):
                while i < n and line[i] == state[0]:  # up to two quotes may end the string
                    i += 1
                state = ""
                continue
            i += 1
        if len(state) == 1:  # a one-line string cannot go on to the next line
            state = ""


# --------------------------------------------------------------------------- helpers


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _display(path: Path) -> str:
    """``path`` as the user would type it: relative to the current folder when inside it."""
    try:
        return str(_absolute(path).relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


def _suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, list):
        shown = ", ".join(_describe(v) for v in value[:3]) + (", ..." if len(value) > 3 else "")
        return f"an array [{shown}]"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date | time):
        return f"date/time {value.isoformat()}"
    return type(value).__name__


_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")
_BARE_WORD = re.compile(r"^[^\W\d]", re.UNICODE)


def _syntax_error(e: tomllib.TOMLDecodeError, text: str, path: Path) -> ConfigError:
    message = str(e).splitlines()[0] if str(e) else "invalid TOML"
    m = _AT.search(message)
    line: int | None = None
    if m:
        message = message[: m.start()]
        if m.group(1):
            line = int(m.group(1))
            message += f" (column {m.group(2)})"
        else:
            line = max(1, len(text.splitlines()))
    if line is not None and message.startswith("Invalid value"):
        lines = text.splitlines()
        _, eq, value = lines[line - 1].partition("=") if line <= len(lines) else ("", "", "")
        word = value.strip()
        if eq and _BARE_WORD.match(word) and word.split()[0] not in ("true", "false", "inf", "nan"):
            message += '; strings need quotes: key = "text"'
    return ConfigError(f"TOML syntax error: {message}", path=path, line=line)
