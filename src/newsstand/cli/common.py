"""What every command shares: exit codes, the one-line failure, the common options
(``--config``, ``--verbose``, ``--json``) and loading the config."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from ..config import CONFIG_NAME, Config, ConfigError, find_config, load_config
from ..store.errors import StoreError

log = logging.getLogger("newsstand")


class Exit:
    OK = 0
    FAILED = 1
    USAGE = 2


def fail(message: str, code: int) -> NoReturn:
    """The one line a user sees, on stderr, and the exit code."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@dataclass(frozen=True)
class Given:
    """The common options as given before the command name (``newsstand -c FILE run``)."""

    config_path: Path | None = None
    verbose: bool = False
    as_json: bool = False


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config, --verbose and --json: for every command, and for the group before it."""
    for option in reversed(
        (
            click.option(
                "-c",
                "--config",
                "config_path",
                type=click.Path(path_type=Path),
                help=f"Config file (default: ./{CONFIG_NAME}).",
            ),
            click.option("-v", "--verbose", is_flag=True, help="Log details to stderr."),
            click.option(
                "--json",
                "as_json",
                is_flag=True,
                help="Print a machine-readable summary on stdout instead of tables.",
            ),
        )
    ):
        command = option(command)
    return command


def common(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config, --verbose and --json, accepted after the command name, or before it
    (given after it, they win)."""

    @common_options
    @functools.wraps(command)
    def wrapper(
        *args: Any, config_path: Path | None, verbose: bool, as_json: bool, **kwargs: Any
    ) -> Any:
        before = click.get_current_context().find_root().obj
        if isinstance(before, Given):
            config_path = config_path or before.config_path
            verbose, as_json = verbose or before.verbose, as_json or before.as_json
        # stderr gets log records only with --verbose (the CLI prints what a user needs);
        # the run log beside the store gets them always (see output.run_log).
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setLevel(logging.DEBUG if verbose else logging.ERROR)
        stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        level = log.level
        log.addHandler(stderr)
        log.setLevel(logging.DEBUG if verbose else logging.INFO)
        try:
            return command(*args, config_path=config_path, as_json=as_json, **kwargs)
        except ConfigError as exc:
            fail(str(exc), Exit.USAGE)
        except StoreError as exc:
            fail(str(exc), Exit.FAILED)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        finally:
            log.removeHandler(stderr)
            log.setLevel(level)

    return wrapper


def load(config_path: Path | None) -> Config:
    """The config the command runs on: ``--config``, else ./newsstand.toml."""
    return load_config(find_config(config_path, Path.cwd()))


def checked(check: Callable[[str], Any], value: str | None) -> Any:
    """An option's value through a config check; its ValueError as click's usage error."""
    if value is None:
        return None
    try:
        return check(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
