"""The cron line and the systemd units that `newsstand init --cron/--systemd` write: they
pass systemd's own checker, and their commands, run the way cron and systemd run them
(an empty environment, another working folder), do the job. The folder's name has a
space and a per cent sign, which both formats treat specially."""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import subprocess
from pathlib import Path

from support.cli import cli
from support.helpers import rss, write_config

from newsstand.demo.server import FeedServer, Resource

# what cron gives a job: next to nothing. (A PYTHONPATH the tests run with is passed on, so
# that the job imports the code under test, as an installed newsstand would be; CI sets none.)
_UNDER_TEST = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
CRON_ENV = {
    "HOME": "/nonexistent",
    "PATH": "/usr/bin:/bin",
    "SHELL": "/bin/sh",
    "LANG": "C",
    **_UNDER_TEST,
}
SYSTEMD_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C", **_UNDER_TEST}


def _site(server: FeedServer, tmp_path: Path) -> Path:
    server.routes["/news"] = Resource(rss([{"title": "定时任务 news", "guid": "1"}]))
    return write_config(
        tmp_path / "my news 100%",
        [{"url": server.url("/news"), "category": "c", "source": "s"}],
        fetch={"retries": 0},
    )


def _posts(config: Path) -> list[Path]:
    return list((config.parent / "source" / "_posts").rglob("*.md"))


def test_cron_line_runs_the_job_silently_and_speaks_up_when_it_fails(
    server: FeedServer, tmp_path: Path
) -> None:
    config = _site(server, tmp_path)
    made = cli("init", "--cron", "--config", str(config), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    (line,) = made.stdout.strip().splitlines()
    fields = line.split(" ", 5)
    assert fields[:5] == ["*/10", "*", "*", "*", "*"]
    job = fields[5].replace("\\%", "%")  # as cron passes it to the shell
    ran = subprocess.run(
        ["/bin/sh", "-c", job], cwd="/", env=CRON_ENV, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0 and ran.stdout == "" and ran.stderr == ""  # no mail
    assert len(_posts(config)) == 1 and server.hits["/news"] == 1

    lock = config.parent / ".newsstand" / "newsstand.db.lock"
    with open(lock, "a+") as held:  # another run holds the store: this one fails
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy = subprocess.run(
            ["/bin/sh", "-c", job],
            cwd="/",
            env=CRON_ENV,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert busy.returncode == 0  # the job's output is what cron mails
    assert "another newsstand process is using" in busy.stdout, busy

    server.routes["/news"] = Resource(b"RSSHub is down", "text/plain", status=503)
    dead = subprocess.run(  # every feed it fetched failed: cron mails what the run said
        ["/bin/sh", "-c", job], cwd="/", env=CRON_ENV, capture_output=True, text=True, timeout=120
    )
    assert "error: every feed fetched failed (1 of 1)" in dead.stdout, dead
    assert "HTTP 503" in dead.stdout
    resting = subprocess.run(  # the feed rests now: the next ticks fetch nothing, no mail
        ["/bin/sh", "-c", job], cwd="/", env=CRON_ENV, capture_output=True, text=True, timeout=120
    )
    assert resting.stdout == "" and resting.stderr == "", resting


def _exec_start(unit: str) -> list[str]:
    """ExecStart's words as systemd reads them (double quotes; %% and $$ escapes)."""
    (line,) = [x for x in unit.splitlines() if x.startswith("ExecStart=")]
    words = shlex.split(line.removeprefix("ExecStart="))
    return [w.replace("%%", "%").replace("$$", "$") for w in words]


def _setting(unit: str, key: str) -> str:
    (line,) = [x for x in unit.splitlines() if x.startswith(f"{key}=")]
    return line.split("=", 1)[1].replace("%%", "%")


def test_systemd_units_verify_and_their_command_runs(server: FeedServer, tmp_path: Path) -> None:
    config = _site(server, tmp_path)
    made = cli("init", "--systemd", "--config", str(config), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    units = config.parent / "systemd"
    names = sorted(p.name for p in units.iterdir())
    assert names == ["newsstand-watch.service", "newsstand.service", "newsstand.timer"]
    assert "systemctl --user enable --now newsstand.timer" in made.stdout
    again = cli("init", "--systemd", "--config", str(config), cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr

    analyze = shutil.which("systemd-analyze")
    if analyze:  # systemd's own checker: unknown keys, bad values, missing programs
        checked = subprocess.run(
            [analyze, "verify", "--man=no", *sorted(units.iterdir())],
            capture_output=True,
            text=True,
            timeout=60,
        )
        ours = [x for x in checked.stderr.splitlines() if str(units) in x]
        assert checked.returncode == 0 and not ours, checked.stderr

    service = (units / "newsstand.service").read_text("utf-8")
    argv = _exec_start(service)
    workdir = _setting(service, "WorkingDirectory")
    assert Path(workdir) == config.parent and argv[-2:] == ["--config", str(config)]
    ran = subprocess.run(
        argv, cwd=workdir, env=SYSTEMD_ENV, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert len(_posts(config)) == 1

    watch = (units / "newsstand-watch.service").read_text("utf-8")
    argv = _exec_start(watch)
    assert argv[-3:] == ["watch", "--config", str(config)]
    process = subprocess.Popen(
        [*argv, "--cycles", "1"],
        cwd=workdir,
        env=SYSTEMD_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0 and "cycle 1" in err, err
