"""The command line: commands, options, progress and exit codes — nothing else.

One module per area (``jobs``, ``status``, ``routes``, ``sources``, ``deploy``, ``init``,
``scale``, ``stories``); each command is a few lines over a library call, importing what
it needs when it runs, so ``newsstand --help`` loads no fetching, parsing or rendering
code. ``common`` holds the shared options and the one-line failure; ``output`` how results
are shown.

Exit codes: 0 the run completed (failed feeds are reported, not fatal); 1 the run could
not complete; 2 usage or configuration error; 128 + signal when stopped by one.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from . import deploy, init, jobs, routes, scale, sources, status, stories
from .common import Given, common_options


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsstand")
@common_options
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, verbose: bool, as_json: bool) -> None:
    """newsstand: RSSHub routes and feeds in, a news portal out.

    Fetches every feed in newsstand.toml politely and concurrently, keeps their history
    in a store, sanitises their HTML, and publishes Hexo posts and a static news site.
    Start with `newsstand demo` (offline) or `newsstand init`. The options --config,
    --verbose and --json go before the command or after it: `newsstand -c site.toml run`
    is `newsstand run -c site.toml`.
    """
    ctx.obj = Given(config_path, verbose, as_json)


for command in (
    init.init,
    jobs.fetch,
    jobs.publish,
    jobs.run,
    jobs.watch,
    jobs.build,
    jobs.serve,
    jobs.demo,
    status.status,
    stories.stories,
    deploy.deploy,
    deploy.store,
    routes.routes,
    sources.feeds,
    sources.migrate_rsshub_page,
    scale.worker,
    scale.builder,
):
    main.add_command(command)
deploy.store.add_command(scale.store_copy)
