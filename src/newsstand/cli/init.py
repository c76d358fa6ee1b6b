"""`newsstand init`: a starter config, or what runs the job elsewhere (a GitHub Actions
workflow, systemd units, a crontab line)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..config import CONFIG_NAME, load_config, starter_config
from .common import Exit, common, fail


@click.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option(
    "--github-actions",
    "github_actions",
    is_flag=True,
    help="Write .github/workflows/newsstand.yml beside the config instead: fetch,"
    " deploy and keep the store on a schedule (the config is written too if"
    " there is none).",
)
@click.option(
    "--install",
    "install_spec",
    metavar="SPEC",
    help="What that workflow pip-installs (default: where this newsstand was installed"
    " from, a git URL at its commit or an archive URL; refused for a local folder).",
)
@click.option(
    "--systemd",
    is_flag=True,
    help="Write systemd user units (a service + timer every 10 minutes, and a"
    " `watch` service) into a systemd/ folder beside the config.",
)
@click.option(
    "--worker",
    is_flag=True,
    help="With --systemd: the units of a fleet on a PostgreSQL store instead (a"
    " `worker` template to start N times, and a `builder`).",
)
@click.option(
    "--cron",
    is_flag=True,
    help="Print a crontab line running the job every 10 minutes (silent unless it fails).",
)
@common
def init(
    config_path: Path | None,
    as_json: bool,
    force: bool,
    github_actions: bool,
    install_spec: str | None,
    systemd: bool,
    worker: bool,
    cron: bool,
) -> None:
    """Write a commented starter newsstand.toml (or a schedule that runs it)."""
    path = config_path or Path.cwd() / CONFIG_NAME
    if github_actions + systemd + cron > 1:
        fail("give one of --github-actions, --systemd and --cron", Exit.USAGE)
    if worker and not systemd:
        fail("--worker applies to --systemd only", Exit.USAGE)
    if github_actions:
        _init_github_actions(path, as_json, force, install_spec)
        return
    if systemd or cron:
        _init_service(path, as_json, force, "systemd" if systemd else "cron", worker=worker)
        return
    if install_spec:
        fail("--install applies to --github-actions only", Exit.USAGE)
    if path.exists() and not force:
        fail(f"{path} already exists (use --force to overwrite it)", Exit.USAGE)
    path.write_text(starter_config(), encoding="utf-8")
    if as_json:
        click.echo(json.dumps({"written": str(path)}))
        return
    click.echo(f"Wrote {path}.")
    click.echo("Edit its [[feeds]], then run `newsstand run`.")


def _starter_if_missing(path: Path) -> tuple[Path, bool]:
    """The config file at ``path`` (a file or its folder), the starter written if absent."""
    if path.is_dir():
        path = path / CONFIG_NAME
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter_config(), encoding="utf-8")
    return path, True


def _init_service(
    path: Path, as_json: bool, force: bool, kind: str, *, worker: bool = False
) -> None:
    """init --systemd / --cron: the job (and a deploy, when [deploy] repo is set) on a timer."""
    from ..scaffold import ScaffoldExists, services

    path, wrote_config = _starter_if_missing(path)
    config = load_config(path)
    deploy = config.deploy.repo is not None
    if kind == "cron":
        line = services.cron_line(config, deploy=deploy)
        if as_json:
            click.echo(
                json.dumps(
                    {"cron": line, "written": [str(path)] if wrote_config else []},
                    ensure_ascii=False,
                )
            )
            return
        click.echo(line)
        click.echo(
            "Add this line with `crontab -e` (set MAILTO there to choose where its"
            " failures are mailed).",
            err=True,
        )
        return
    try:
        units = services.write_systemd(
            config.root / "systemd", config, deploy=deploy, force=force, worker=worker
        )
    except ScaffoldExists as exc:
        fail(str(exc), Exit.USAGE)
    written = ([str(path)] if wrote_config else []) + [str(u) for u in units]
    if as_json:
        click.echo(json.dumps({"written": written}, ensure_ascii=False))
        return
    click.echo(f"Wrote {', '.join(written)}.")
    folder = units[0].parent
    if worker:
        click.echo(
            "Install them as user units, and start as many workers as you like:\n"
            f"  mkdir -p ~/.config/systemd/user && cp {folder}/* ~/.config/systemd/user/\n"
            "  systemctl --user daemon-reload && systemctl --user enable --now"
            " newsstand-worker@1 newsstand-worker@2 newsstand-builder\n"
            '  loginctl enable-linger "$USER"\n'
            "Put the database password in newsstand.env as PGPASSWORD=... (chmod 600)."
        )
        return
    click.echo(
        "Install them as user units (the timer, or the watch service instead):\n"
        f"  mkdir -p ~/.config/systemd/user && cp {folder}/* ~/.config/systemd/user/\n"
        "  systemctl --user daemon-reload && systemctl --user enable --now"
        " newsstand.timer\n"
        '  loginctl enable-linger "$USER"   # keep it running when you log out'
    )


def _init_github_actions(path: Path, as_json: bool, force: bool, install: str | None) -> None:
    from ..scaffold import NoInstallSpec, ScaffoldExists, install_spec, write_github_actions

    if not install:
        try:
            install = install_spec()
        except NoInstallSpec as exc:
            fail(str(exc), Exit.USAGE)
    path, wrote_config = _starter_if_missing(path)
    try:
        workflow = write_github_actions(path.parent, install, force=force)
    except ScaffoldExists as exc:
        fail(str(exc), Exit.USAGE)
    written = ([str(path)] if wrote_config else []) + [str(workflow)]
    if as_json:
        click.echo(json.dumps({"written": written}))
        return
    click.echo(f"Wrote {', '.join(written)}.")
    click.echo(
        "Commit them and push; then in Settings > Pages deploy from the branch gh-pages."
        ' See the README\'s "Keep it live: GitHub Actions".'
    )
