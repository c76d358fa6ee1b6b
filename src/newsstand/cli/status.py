"""`newsstand status`: each feed's health, sick feeds first."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import output
from .common import Exit, common, load


@click.command()
@common
def status(config_path: Path | None, as_json: bool) -> None:
    """Show each feed's health, sick feeds first.

    Exits 1 when at least [health] alert_share of the enabled feeds are failing or
    gone, so that a scheduler can alert someone.
    """
    from ..health import feed_health

    report = feed_health(load(config_path))
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        output.print_health(report)
        if report.fleet is not None:
            from .scale import print_fleet

            print_fleet(report.fleet)
    sys.exit(Exit.FAILED if report.alert else Exit.OK)
