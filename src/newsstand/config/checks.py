"""The value checks of the config: each takes a value and returns it checked (or
converted), or raises ``Bad`` with a message that says what is wrong and what to do."""

from __future__ import annotations

import difflib
import ipaddress
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from .. import rsshub
from .locate import absolute

SQLITE_PREFIX = "sqlite:///"


class Bad(Exception):
    """A value failed a check: the message says what is wrong (and what to do)."""


@dataclass(frozen=True, slots=True)
class Context:
    root: Path | None  # where relative paths start (None: a default, left relative)
    from_env: bool = False  # the value comes from the environment, not the file


Check = Callable[[Any, Context], Any]
T = TypeVar("T")


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def positive(v: int | float, _: Context) -> int | float:
    if v <= 0:
        raise Bad(f"must be greater than 0, got {v}")
    return v


def not_negative(v: int | float, _: Context) -> int | float:
    if v < 0:
        raise Bad(f"must be 0 or more, got {v}")
    return v


def share(v: float, _: Context) -> float:
    if not 0 < v <= 1:
        raise Bad("expected a share of the feeds between 0 (exclusive) and 1, such as 0.5")
    return v


def similarity(v: float, _: Context) -> float:
    if not 0 < v <= 1:
        raise Bad(f"expected a similarity between 0 (exclusive) and 1, such as 0.4, got {v}")
    return v


def jitter(v: float, _: Context) -> float:
    if not 0 <= v <= 1:
        raise Bad(f"expected a share of the interval between 0 and 1, such as 0.1, got {v}")
    return v


def not_empty(v: str, _: Context) -> str:
    v = v.strip()
    if not v:
        raise Bad("must not be empty")
    return v


def optional_text(v: str, _: Context) -> str | None:
    return v.strip() or None


def http_url(v: str, _: Context) -> str:
    v = v.strip()
    parts = urlsplit(v)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise Bad(f"expected an http:// or https:// URL, got {v!r}")
    return v


def base_url(v: str, ctx: Context) -> str:
    return http_url(v, ctx).rstrip("/")


def instances(v: tuple[str, ...], ctx: Context) -> tuple[str, ...]:
    if not v:
        raise Bad("give at least one RSSHub instance URL")
    for s in v:
        parts = urlsplit(s.strip())
        if parts.query or parts.fragment:  # the value is not quoted: it may hold the key
            raise Bad(
                "give an instance's address without a query (such as"
                f" {parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}); its access key"
                " goes in access_key or the access_key_env variable"
            )
    return tuple(base_url(s, ctx) for s in v)


@cache
def zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone(v: str, _: Context) -> str:
    v = v.strip()
    if v not in ("localtime", "posixrules"):
        try:
            zoneinfo.ZoneInfo(v)
        except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
            pass
        else:
            return v
    names = zone_names()
    same = [n for n in names if n.lower() == v.lower()]
    hint = f" (did you mean {same[0]!r}?)" if same else suggest(v, names)
    raise Bad(f"unknown time zone {v!r}{hint}; use an IANA name such as 'Asia/Shanghai' or 'UTC'")


def choice(*choices: str) -> Check:
    def check(v: str, _: Context) -> str:
        if v not in choices:
            listed = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"
            raise Bad(f"expected {listed}, got {v!r}{suggest(v, choices)}")
        return v

    return check


def choices(*allowed: str) -> Check:
    """An array of some of ``allowed`` (each once, in the order given)."""
    one = choice(*allowed)

    def check(v: tuple[str, ...], ctx: Context) -> tuple[str, ...]:
        return tuple(dict.fromkeys(one(s, ctx) for s in v))

    return check


def regex(v: str, _: Context) -> re.Pattern[str]:
    try:
        return re.compile(v)
    except re.error as e:
        raise Bad(f"invalid regular expression {v!r}: {e}") from None


def _under(ctx: Context, path: Path) -> Path:
    """``path`` from the config's folder (a default, checked without one, stays relative)."""
    return path if ctx.root is None else absolute(ctx.root / path)


def folder(v: str, ctx: Context) -> Path:
    if not v.strip():
        raise Bad("must not be empty")
    return _under(ctx, Path(v).expanduser())


def base_path(v: str, _: Context) -> str:
    v = v.strip()
    if "://" in v or any(c in v for c in "?#\\ "):
        raise Bad('must be a path such as "/" or "/my-news/", not a URL')
    return "/" + v.strip("/") + "/" if v.strip("/") else "/"


_URL_UNSAFE = re.compile(r"[%?#]")  # all a path needs quoted to survive urlsplit + unquote
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def store_url(v: str, ctx: Context) -> str:
    v = v.strip()
    if not v:
        raise Bad("must not be empty")
    m = _SCHEME.match(v)
    if m is None:  # a plain file path
        file = Path(v).expanduser()
    else:
        scheme = m.group(1).lower()
        if scheme in ("postgresql", "postgres"):
            return postgres_url(v, ctx)
        if scheme.startswith("postgresql+"):
            raise Bad(f"write postgresql://user@host/database (no driver name), got {v!r}")
        if scheme != "sqlite":
            raise Bad(f"expected a sqlite:/// URL, a postgresql:// URL or a file path, got {v!r}")
        if not v.startswith(SQLITE_PREFIX):
            raise Bad(f"expected sqlite:///path/to/file.db, got {v!r}")
        rest = v[len(SQLITE_PREFIX) :]
        if not rest or rest == ":memory:":
            raise Bad("the store must be a file (an in-memory store would lose its history)")
        file = Path(unquote(rest)).expanduser()
    file = _under(ctx, file)
    return SQLITE_PREFIX + _URL_UNSAFE.sub(lambda m: quote(m.group()), str(file))


def postgres_url(v: str, ctx: Context) -> str:
    """A PostgreSQL URL, ``postgresql://`` spelled out. A password is refused in the config
    file (which is often committed): it comes from the environment (PGPASSWORD, ~/.pgpass,
    or the whole URL in NEWSSTAND_STORE_URL: ``ctx.from_env``)."""
    parts = urlsplit(v)
    secret = parts.password is not None or "password=" in parts.query.lower()
    if secret and not ctx.from_env:
        raise Bad(
            "a password must not be written in the config file: set PGPASSWORD (or use"
            " ~/.pgpass), or give the whole URL in NEWSSTAND_STORE_URL"
        )
    if not parts.hostname and "host=" not in parts.query:
        raise Bad(f"expected postgresql://user@host/database, got {_shown(v)!r}")
    return "postgresql://" + v.split("://", 1)[1]


def _shown(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def sqlite_file(url: str) -> Path:
    """The file behind a store URL as ``store_url`` leaves it (``sqlite:///`` + a path)."""
    return Path(unquote(url.removeprefix(SQLITE_PREFIX)))


def route_path(v: str, _: Context) -> str:
    try:
        return rsshub.normalize_route(v)
    except ValueError as exc:
        raise Bad(str(exc)) from None


def rsshub_params(v: dict[str, Any], _: Context) -> tuple[tuple[str, str], ...]:
    pairs = []
    for name, value in v.items():
        if name not in rsshub.PARAMS:
            raise Bad(
                f"unknown RSSHub parameter {name!r}{suggest(name, rsshub.PARAMS)}"
                f"; known: {', '.join(rsshub.PARAMS)}"
            )
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, str | int | float):
            raise Bad(f"{name}: expected a string, number or true/false, got {describe(value)}")
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


def git_repo(v: str, ctx: Context) -> str:
    v = v.strip()
    if not v:
        raise Bad("must not be empty (leave it out when there is nothing to deploy)")
    if is_git_url(v):
        return v
    return str(_under(ctx, Path(v).expanduser()))


def branch(v: str, _: Context) -> str:
    v = v.strip()
    if v.startswith("refs/heads/"):
        v = v[len("refs/heads/") :]
    if not v or _BAD_BRANCH.search(v) or any(ord(c) < 32 or ord(c) == 127 for c in v):
        raise Bad(f"not a valid git branch name: {v!r}")
    return v


def message(v: str, _: Context) -> str:
    if not v.strip():
        raise Bad("must not be empty")
    try:
        v.format(time="2024-01-01 00:00 UTC")
    except (KeyError, IndexError, ValueError) as exc:
        raise Bad(f"{{time}} is the only placeholder a message may hold ({exc})") from None
    return v


def author(v: str, _: Context) -> str:
    m = _AUTHOR.match(v.strip())
    if m is None:
        raise Bad(f'expected "Name <email>", such as "newsstand <bot@example.org>", got {v!r}')
    return f"{m.group(1)} <{m.group(2)}>"


def env_name(v: str, _: Context) -> str:
    v = v.strip()
    if not _ENV_NAME.match(v):
        raise Bad(f"expected the name of an environment variable such as GITHUB_TOKEN, got {v!r}")
    return v


def cname(v: str, _: Context) -> str:
    v = v.strip().lower().rstrip(".")
    if v and not _HOST.fullmatch(v):
        raise Bad(f'expected a host name such as "news.example.org" (or "" for none), got {v!r}')
    return v


def repo_path(v: str, _: Context) -> str:
    parts = [p for p in v.replace("\\", "/").split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise Bad(f'expected a folder inside the repository such as "source/_posts", got {v!r}')
    return "/".join(parts)


def derived_cname(site_url: str) -> str | None:
    """The CNAME for a site served at ``site_url``: its host, unless GitHub's own or local."""
    host = (urlsplit(site_url).hostname or "").lower().rstrip(".")
    if (
        not host
        or "." not in host
        or host == "localhost"
        or host.endswith((".localhost", "github.io"))
    ):
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None


def outside(check: Callable[[str, Context], T], text: str) -> T:
    """A value check used outside a config file: its problem as a ValueError."""
    try:
        return check(text, Context(root=Path.cwd()))
    except Bad as exc:
        raise ValueError(str(exc)) from None


def branch_name(text: str) -> str:
    """A git branch name as ``[deploy] branch`` takes it (``refs/heads/`` dropped).
    ValueError says what is wrong with it."""
    return outside(branch, text)


def suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe(value: Any) -> str:
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
        shown = ", ".join(describe(v) for v in value[:3]) + (", ..." if len(value) > 3 else "")
        return f"an array [{shown}]"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date | time):
        return f"date/time {value.isoformat()}"
    return type(value).__name__


def referers(v: dict[str, Any], _: Context) -> tuple[tuple[str, str], ...]:
    """[images] referers: host (or ".suffix") -> the Referer its images want ("" for none)."""
    pairs = []
    for host, referer in v.items():
        if not host or "/" in host or ":" in host.lstrip("."):
            raise Bad(f'{host!r}: expected a host name such as "img.example.com" or ".example.com"')
        if isinstance(referer, dict):
            raise Bad(f'quote each host name: {{ "{host}.…" = "https://…" }}')
        if not isinstance(referer, str):
            raise Bad(f'{host}: expected a URL or "" (no Referer), got {describe(referer)}')
        if referer and not referer.startswith(("http://", "https://")):
            raise Bad(f'{host}: expected an http(s) URL or "" (no Referer), got {referer!r}')
        pairs.append((host.lower(), referer))
    return tuple(pairs)
