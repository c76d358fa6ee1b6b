"""``newsstand.toml`` -> a typed, frozen ``Config``; errors that name the file, line and key.

``schema`` describes each key once (kind, default, check), ``read`` walks the document
with it, ``locate`` finds lines for errors, ``edit`` changes the file in place keeping its
comments. This module is the face the other stages use.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from .checks import branch_name, derived_cname, is_git_url
from .locate import ConfigError, syntax_error
from .read import Reader
from .schema import SCHEMA, parse_duration
from .sections import (
    Config,
    DeployConfig,
    DeployHexoConfig,
    FetchConfig,
    HealthConfig,
    HexoConfig,
    ImagesConfig,
    RSSHubConfig,
    SiteConfig,
    SiteOutputConfig,
    StoreConfig,
    StoriesConfig,
)

__all__ = [
    "CONFIG_NAME",
    "SCHEMA",
    "Config",
    "ConfigError",
    "DeployConfig",
    "DeployHexoConfig",
    "FetchConfig",
    "HealthConfig",
    "HexoConfig",
    "ImagesConfig",
    "RSSHubConfig",
    "SiteConfig",
    "SiteOutputConfig",
    "StoreConfig",
    "StoriesConfig",
    "branch_name",
    "derived_cname",
    "find_config",
    "is_git_url",
    "load_config",
    "parse_config",
    "parse_duration",
    "starter_config",
]

CONFIG_NAME = "newsstand.toml"


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
        raise syntax_error(e, text, path) from None
    return Reader(text, path).read(doc)


def starter_config() -> str:
    """The commented starter config that ``newsstand init`` writes."""
    return resources.files("newsstand").joinpath("starter.toml").read_text(encoding="utf-8")
