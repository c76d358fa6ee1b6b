"""The config as the stages read it: one frozen dataclass per table.

Every default comes from the schema (``default``), where it is written once in the units
of the file (an interval in minutes there is seconds here, converted by the same code
that converts a value the user wrote).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import Feed
from ..state import State
from .schema import SectionPath, default


def _of(*path: str) -> Callable[[str], Any]:
    """The defaults of one table, by key."""
    return lambda key: default(path, key)


_site, _rsshub, _store, _fetch = _of("site"), _of("rsshub"), _of("store"), _of("fetch")
_hexo, _out, _health = _of("output", "hexo"), _of("output", "site"), _of("health")
_deploy, _deploy_hexo = _of("deploy"), _of("deploy", "hexo")
_stories = _of("stories")
_images = _of("images")


@dataclass(frozen=True, slots=True)
class SiteConfig:
    title: str = _site("title")
    url: str = _site("url")  # no trailing slash
    timezone: str = _site("timezone")  # an IANA name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class RSSHubConfig:
    instances: tuple[str, ...] = _rsshub("instances")  # http(s), no trailing slash
    access_key: str | None = field(default=None, repr=False)  # a secret: never shown
    access_key_env: str = _rsshub("access_key_env")  # holds the key when access_key is unset
    access: str = _rsshub("access")  # "key" (the key) or "code" (MD5 of route + key)
    per_host: int | None = None  # requests at a time to each instance; None: [fetch] per_host


@dataclass(frozen=True, slots=True)
class StoreConfig:
    # "sqlite:///" + an absolute path, or "postgresql://…" (which, from the environment,
    # may hold a password: never shown)
    url: str = field(repr=False)
    keep_days: int | None = None
    keep_per_feed: int | None = None


@dataclass(frozen=True, slots=True)
class FetchConfig:
    concurrency: int = _fetch("concurrency")
    per_host: int = _fetch("per_host")
    timeout: float = _fetch("timeout")  # seconds
    connect_timeout: float = _fetch("connect_timeout")  # seconds
    read_timeout: float = _fetch("read_timeout")  # seconds
    max_bytes: int = _fetch("max_bytes")
    user_agent: str = _fetch("user_agent")
    retries: int = _fetch("retries")
    interval: float = _fetch("interval")  # seconds between fetches (a feed may set its own)
    min_interval: float = _fetch("min_interval")  # seconds: the floor
    max_interval: float = _fetch("max_interval")  # seconds: a feed's hints raise it up to this
    jitter: float = _fetch("jitter")  # share of the interval added so feeds spread out
    fulltext: str = _fetch("fulltext")  # "off", or "auto": article pages for short entries


@dataclass(frozen=True, slots=True)
class HexoConfig:
    enabled: bool = _hexo("enabled")
    dir: Path = _hexo("dir")  # noqa: RUF009 - a Path is immutable; from a file: absolute
    date_format: str = _hexo("date_format")  # "iso", "rfc822" or "local"
    extra_front_matter: tuple[str, ...] = _hexo("extra_front_matter")  # "link", "updated"
    stories: str = _hexo("stories")  # "all" entries, or the "first" of each story only
    images: str = _hexo("images")  # "remote": the original URLs; "local": copies in source/


@dataclass(frozen=True, slots=True)
class SiteOutputConfig:
    enabled: bool = _out("enabled")
    dir: Path = _out("dir")  # noqa: RUF009 - a Path is immutable; from a file: absolute
    per_page: int = _out("per_page")
    theme_dir: Path | None = None  # templates here override the shipped ones, by name
    language: str = _out("language")  # interface labels: "zh-CN" or "en"
    base_path: str = _out("base_path")  # "/" or "/repo/" (GitHub project pages)
    full_entries: int = _out("full_entries")  # newest entries with full pages; 0: all


@dataclass(frozen=True, slots=True)
class StoriesConfig:
    enabled: bool = _stories("enabled")  # group entries of different feeds by event
    window: float = _stories("window")  # seconds: entries this far apart are never one story
    threshold: float = _stories("threshold")  # similarity (0..1) at which two entries join


@dataclass(frozen=True, slots=True)
class ImagesConfig:
    enabled: bool = _images("enabled")  # the site shows its own copies of the thumbnails
    content: bool = _images("content")  # and of the pictures inside entries
    referers: tuple[tuple[str, str], ...] = _images("referers")  # host -> Referer ("": none)
    max_bytes: int = _images("max_bytes")  # what the site publishes of them, at most
    max_download: int = _images("max_download")  # bytes: a larger picture is not fetched
    width: int = _images("width")  # pixels: a thumbnail's width
    content_width: int = _images("content_width")  # pixels: a picture in an entry's text


@dataclass(frozen=True, slots=True)
class HealthConfig:
    backoff: float = _health("backoff")  # minutes a feed rests after its first failure
    max_backoff: float = _health("max_backoff")  # minutes: the longest rest
    alert_share: float = _health("alert_share")  # `status` exits 1 at this share failing
    run_alert_share: float = _health("run_alert_share")  # a run exits 1 at this share failed


# -- [deploy]: where `newsstand deploy` and `newsstand store save/restore` push


@dataclass(frozen=True, slots=True)
class DeployHexoConfig:
    repo: str | None = None  # None: the [deploy] repo (or its --repo override)
    branch: str = _deploy_hexo("branch")
    path: str = _deploy_hexo("path")  # where the posts go in that branch


@dataclass(frozen=True, slots=True)
class DeployConfig:
    repo: str | None = None  # a git URL, or an absolute path; None: deploy not configured
    branch: str = _deploy("branch")
    message: str = _deploy("message")  # "{time}" is the UTC time of the deploy
    author: str = _deploy("author")  # "Name <email>"
    force: bool = _deploy("force")  # force-push the site branch (never unless true)
    token_env: str = _deploy("token_env")  # the environment variable holding an HTTPS token
    cname: str | None = None  # the CNAME file's host; None: no CNAME (derived from [site] url)
    store_branch: str = _deploy("store_branch")  # `newsstand store save` keeps the store here
    hexo: DeployHexoConfig | None = None  # [deploy.hexo]: push the Hexo posts too


@dataclass(frozen=True, slots=True)
class Config:
    path: Path  # absolute
    root: Path  # the folder the config file is in: relative paths start here
    state: State  # where the store, its lock, the log and the deploy caches are
    site: SiteConfig = field(default_factory=SiteConfig)
    rsshub: RSSHubConfig = field(default_factory=RSSHubConfig)
    store: StoreConfig = field(default_factory=lambda: StoreConfig(url=_store("url")))
    fetch: FetchConfig = field(default_factory=FetchConfig)
    hexo: HexoConfig = field(default_factory=HexoConfig)
    site_output: SiteOutputConfig = field(default_factory=SiteOutputConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    stories: StoriesConfig = field(default_factory=StoriesConfig)
    images: ImagesConfig = field(default_factory=ImagesConfig)
    deploy: DeployConfig = field(default_factory=DeployConfig)
    feeds: tuple[Feed, ...] = ()

    @property
    def enabled_feeds(self) -> tuple[Feed, ...]:
        return tuple(f for f in self.feeds if f.enabled)


SECTIONS: dict[str, tuple[SectionPath, type]] = {  # Config field -> its table and dataclass
    "site": (("site",), SiteConfig),
    "rsshub": (("rsshub",), RSSHubConfig),
    "store": (("store",), StoreConfig),
    "fetch": (("fetch",), FetchConfig),
    "hexo": (("output", "hexo"), HexoConfig),
    "site_output": (("output", "site"), SiteOutputConfig),
    "health": (("health",), HealthConfig),
    "stories": (("stories",), StoriesConfig),
    "images": (("images",), ImagesConfig),
}
