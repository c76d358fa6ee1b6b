"""The GitHub Actions workflow that `newsstand init --github-actions` writes: actionlint finds
nothing in it, and its steps, run here as a script twice, carry the history from one run
to the next through the data branch."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from support.cli import cli
from support.helpers import rss, write_config

from newsstand import __version__
from newsstand.demo.server import FeedServer, Resource

BIN = Path(sys.executable).parent
RESTORED = "always() && steps.restore.outcome == 'success'"


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=_env()
    ).stdout.strip()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_TOKEN"}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        **extra,
    )
    return env


# what the tests' workflows install: this venv's newsstand is an editable install, which
# `init --github-actions` refuses to guess a spec for (see the test of it below)
INSTALL = (
    "newsstand @ git+https://github.com/you/newsstand@0123456789abcdef0123456789abcdef01234567"
)


def init_workflow(folder: Path, *args: str) -> Path:
    if "--install" not in args:
        args = (*args, "--install", INSTALL)
    done = cli("init", "--github-actions", *args, cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder / ".github" / "workflows" / "newsstand.yml"


def test_the_workflow_passes_actionlint(tmp_path: Path) -> None:
    actionlint = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
    assert actionlint, "actionlint is installed by the test extra (pip install -e '.[test]')"
    workflow = init_workflow(tmp_path)
    assert (tmp_path / "newsstand.toml").is_file()  # no config there: the starter is written
    done = subprocess.run(
        [actionlint, "-no-color", str(workflow)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr

    custom = init_workflow(tmp_path, "--force", "--install", "newsstand @ git+https://x/y.git")
    job = yaml.safe_load(custom.read_text("utf-8"))["jobs"]["update"]
    assert job["env"]["NEWSSTAND_INSTALL"] == "newsstand @ git+https://x/y.git"
    again = subprocess.run(
        [sys.executable, "-m", "newsstand.cli", "init", "--github-actions", "--install", INSTALL],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert again.returncode == 2 and "already exists" in again.stderr


def test_the_workflow_keeps_what_it_must(tmp_path: Path) -> None:
    flow = yaml.safe_load(init_workflow(tmp_path).read_text("utf-8"))
    assert set(flow[True]) == {"schedule", "workflow_dispatch"}  # YAML 1.1 reads `on` as true
    assert flow["permissions"] == {"contents": "write"}
    assert flow["concurrency"]["cancel-in-progress"] is False
    job = flow["jobs"]["update"]
    assert job["env"]["NEWSSTAND_INSTALL"] == INSTALL
    steps = job["steps"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == [
        "actions/checkout",
        "actions/setup-python",
        "actions/cache/restore",
        "actions/cache/save",
    ]
    # the build state is a cache of what the run makes; the store is never in it
    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore"))
    cached = restore["with"]["path"].split()
    assert cached == ["public", ".newsstand/deploy"]
    assert restore["with"]["restore-keys"] == "newsstand-build-"
    last = steps[-1]
    assert last["uses"].startswith("actions/cache/save") and last["if"] == "always()"
    assert last["with"]["path"].split() == cached
    assert last["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert steps[0]["with"]["persist-credentials"] is False  # no token in the clone's config
    for step in steps:  # run: steps are plain shell: no expression is pasted into them
        assert "${{" not in step.get("run", "")
    # the token reaches only the steps that fetch from or push to the repository
    assert "GITHUB_TOKEN" not in job["env"]
    given = [s["name"] for s in steps if "GITHUB_TOKEN" in s.get("env", {})]
    assert given == ["Restore the store", "Deploy the site to gh-pages", "Save the store"]
    save = next(s for s in steps if s.get("name") == "Save the store")
    assert "store save" in save["run"] and save["if"] == RESTORED


# --------------------------------------------------------------------------- run it here


def feed_setup(feed_url: str) -> tuple[list[dict], dict[str, dict]]:
    """The user's feeds and settings. Kept in one place: once `newsstand run` fetches only
    feeds that are due ([fetch] interval), this is where the test makes the second run
    fetch again (an interval/floor that has passed by the second run)."""
    feeds = [{"url": feed_url, "category": "新闻", "source": "Loopback"}]
    sections = {"site": {"url": "https://news.example.org"}, "fetch": {"timeout": 10, "retries": 0}}
    return feeds, sections


def story(n: int) -> dict:
    return {
        "title": f"Workflow story {n}",
        "guid": f"wf-{n}",
        "link": f"https://example.com/{n}",
        "date": f"Tue, {n:02d} Jan 2024 08:00:00 GMT",
        "html": f"<p>Body {n}</p>",
    }


def run_workflow(
    workflow: dict, clone: Path, env: dict[str, str], cache: Path | None = None
) -> dict[str, str]:
    """Each step with `run:` as GitHub runs it (`bash -e`), in the clone, with the job's env.

    actions/checkout is the fresh `git clone` made by the test, actions/setup-python the
    Python running the tests (its bin folder first on PATH); actions/cache/restore and
    save copy the cached paths from and to ``cache`` (keeping mtimes, as the action's tar
    does), newest entry first, or do nothing when it is None. Returns each step's outcome
    by name or id.
    """
    outcomes: dict[str, str] = {}
    failed = False
    for number, step in enumerate(workflow["jobs"]["update"]["steps"]):
        name = step.get("id") or step.get("name") or f"step {number}"
        condition = step.get("if")
        if condition is None:
            go = not failed
        elif condition == RESTORED:
            go = outcomes.get("restore") == "success"
        elif condition == "always()":
            go = True
        else:
            raise AssertionError(f"the test does not know the condition {condition!r}")
        if "uses" in step:
            if go and cache is not None and step["uses"].startswith("actions/cache/"):
                _cache_step(step, clone, cache)
            continue
        if not go:
            outcomes[name] = "skipped"
            continue
        step_env = {k: v for k, v in step.get("env", {}).items() if "${{" not in v}
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=clone,
            env={**env, **step_env},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        outcomes[name] = "success" if done.returncode == 0 else "failure"
        outcomes[name + ":output"] = done.stdout + done.stderr
        failed = failed or done.returncode != 0
    return outcomes


def _cache_step(step: dict, clone: Path, cache: Path) -> None:
    paths = step["with"]["path"].split()
    if step["uses"].startswith("actions/cache/save"):
        entry = cache / f"entry-{len(list(cache.glob('entry-*'))):03d}"
        for path in paths:
            if (clone / path).exists():
                shutil.copytree(clone / path, entry / path, symlinks=True)
        entry.mkdir(parents=True, exist_ok=True)
        return
    entries = sorted(cache.glob("entry-*"))
    if entries:  # the newest entry whose key starts with restore-keys
        for path in paths:
            if (entries[-1] / path).exists():
                shutil.copytree(entries[-1] / path, clone / path, symlinks=True)


def user_repository(tmp_path: Path, feed_url: str) -> tuple[Path, dict, dict[str, str]]:
    """The user's repository (bare, with main holding the config and the workflow), the
    workflow, and the job's environment for ``run_workflow``."""
    user = tmp_path / "user.git"  # the user's repository: main, and then gh-pages and data
    git("init", "--bare", "--quiet", "-b", "main", str(user))
    start = tmp_path / "start"
    feeds, sections = feed_setup(feed_url)
    write_config(start, feeds, **sections)
    git("init", "--quiet", "-b", "main", str(start))
    workflow_path = init_workflow(start)
    git("add", "-A", cwd=start)
    git("-c", "user.name=me", "-c", "user.email=me@x", "commit", "--quiet", "-m", "news", cwd=start)
    git("push", "--quiet", str(user), "main", cwd=start)
    workflow = yaml.safe_load(workflow_path.read_text("utf-8"))
    env = _env(**workflow["jobs"]["update"]["env"])
    env.update(
        DEPLOY_REPO=str(user),
        GITHUB_TOKEN="dummy-secret-for-the-job",
        NEWSSTAND_INSTALL=f"newsstand=={__version__}",  # already installed here
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return user, workflow, env


@pytest.mark.slow
def restored_store(tmp_path: Path, user: Path, env: dict[str, str]) -> Path:
    """The store as a fresh clone of the user's repository restores it: its file."""
    check = tmp_path / "check"
    git("clone", "--quiet", "-b", "main", str(user), str(check))
    done = subprocess.run(
        [sys.executable, "-m", "newsstand.cli", "store", "restore", "--repo", str(user)],
        cwd=check,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return check / ".newsstand" / "newsstand.db"


def test_two_scheduled_runs_keep_the_history(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.routes["/feed"] = Resource(rss([story(1)]))
        user, workflow, env = user_repository(tmp_path, server.url("/feed"))
        said = []
        for run in (1, 2):
            if run == 2:  # the feed drops its old item and has a new one
                server.routes["/feed"] = Resource(rss([story(2)]))
            clone = tmp_path / f"run{run}"
            git("clone", "--quiet", "-b", "main", str(user), str(clone))
            outcomes = run_workflow(workflow, clone, env)
            steps = {k: v for k, v in outcomes.items() if not k.endswith(":output")}
            assert set(steps.values()) == {"success"}, outcomes
            assert len(steps) == 5
            said.append(outcomes["restore:output"])
    assert "no saved store yet; starting fresh" in said[0]
    assert "restored" in said[1]

    assert git("--git-dir", str(user), "rev-list", "--count", "newsstand-data") == "1"
    assert git("--git-dir", str(user), "rev-list", "--count", "gh-pages") == "2"
    site = git("--git-dir", str(user), "grep", "-l", "Workflow story", "gh-pages", "--", "posts")
    assert sum(1 for line in site.splitlines() if line.endswith(".html")) == 2
    index = git("--git-dir", str(user), "show", "gh-pages:index.html")
    assert "Workflow story 1" in index and "Workflow story 2" in index

    with sqlite3.connect(restored_store(tmp_path, user, env)) as conn:
        titles = sorted(r[0] for r in conn.execute("SELECT title FROM entries"))
    assert titles == ["Workflow story 1", "Workflow story 2"]


def _site_line(outcomes: dict[str, str]) -> tuple[int, int]:
    """(pages, rendered) from what the run step printed of the site."""
    run = next(k for k in outcomes if k.startswith("Fetch the feeds") and k.endswith(":output"))
    found = re.search(r"site +(\d+) pages in .*?: (\d+) rendered", outcomes[run])
    assert found, outcomes[run]
    return int(found.group(1)), int(found.group(2))


@pytest.mark.slow
def test_a_run_on_a_fresh_runner_with_the_build_state_restored_builds_what_is_new(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "actions-cache"
    cache.mkdir()
    with FeedServer() as server:
        server.routes["/feed"] = Resource(rss([story(n) for n in range(1, 31)]))
        user, workflow, env = user_repository(tmp_path, server.url("/feed"))
        shown = []
        for run in (1, 2, 3):
            if run > 1:  # one new story each time
                server.routes["/feed"] = Resource(rss([story(n) for n in range(1, 30 + run)]))
            if run == 3:  # the cache was evicted: one cold build, nothing lost
                shutil.rmtree(cache)
                cache.mkdir()
            clone = tmp_path / f"run{run}"
            git("clone", "--quiet", "-b", "main", str(user), str(clone))
            outcomes = run_workflow(workflow, clone, env, cache)
            steps = {k: v for k, v in outcomes.items() if not k.endswith(":output")}
            assert set(steps.values()) == {"success"}, outcomes
            shown.append(_site_line(outcomes))
    (pages1, rendered1), (pages2, rendered2), (pages3, rendered3) = shown
    assert rendered1 == pages1 and rendered3 == pages3  # cold: every page
    assert pages2 > pages1 and 0 < rendered2 < pages2 / 3  # restored: what the new entry changed
    assert git("--git-dir", str(user), "rev-list", "--count", "gh-pages") == "3"
    index = git("--git-dir", str(user), "show", "gh-pages:index.html")
    assert "Workflow story 32" in index and "Workflow story 31" in index
    listed = git("--git-dir", str(user), "ls-tree", "-r", "--name-only", "gh-pages", "posts")
    assert len([p for p in listed.splitlines() if p.endswith(".html")]) == 32
    with sqlite3.connect(tmp_path / "run3" / ".newsstand" / "newsstand.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 32


@pytest.mark.slow
def test_a_run_where_every_feed_failed_fails_the_job_and_keeps_the_store(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.routes["/feed"] = Resource(b"RSSHub is down", "text/plain", status=503)
        user, workflow, env = user_repository(tmp_path, server.url("/feed"))
        clone = tmp_path / "run"
        git("clone", "--quiet", "-b", "main", str(user), str(clone))
        outcomes = run_workflow(workflow, clone, env)
    steps = {k: v for k, v in outcomes.items() if not k.endswith(":output")}
    run = next(name for name in steps if "Fetch the feeds" in name)
    deploy = next(name for name in steps if "Deploy" in name)
    assert steps[run] == "failure", outcomes  # the job fails: GitHub shows it red
    assert "error: every feed fetched failed (1 of 1)" in outcomes[run + ":output"]
    assert steps[deploy] == "skipped"
    assert steps["Save the store"] == "success", outcomes  # what the run learnt is kept
    with sqlite3.connect(restored_store(tmp_path, user, env)) as conn:
        failures, status = conn.execute(
            "SELECT consecutive_failures, last_status FROM feeds"
        ).fetchone()
    assert (failures, status) == (1, 503)  # so the next run lets the feed rest


@pytest.mark.parametrize("failing", ["restore", "run"])
def test_save_runs_only_after_a_good_restore(tmp_path: Path, failing: str) -> None:
    workflow = yaml.safe_load(init_workflow(tmp_path).read_text("utf-8"))
    steps = workflow["jobs"]["update"]["steps"]
    save = next(s["name"] for s in steps if "store save" in s.get("run", ""))
    for step in steps:
        if "run" in step:
            hit = ("store restore" if failing == "restore" else "newsstand run") in step["run"]
            step["run"] = "exit 1" if hit else f"echo {step.get('id') or 'ok'}"
    outcomes = run_workflow(workflow, tmp_path, _env())
    assert outcomes[save] == ("skipped" if failing == "restore" else "success")


# --------------------------------------------------------------------------- what it installs


def test_an_install_from_a_local_folder_is_refused(tmp_path: Path) -> None:
    """This venv's newsstand came from `pip install -e .` (the README's, and CI's, way):
    a runner cannot install that, so init asks for --install and writes nothing."""
    done = subprocess.run(
        [sys.executable, "-m", "newsstand.cli", "init", "--github-actions"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: this newsstand was installed from a local folder, file://")
    assert "pass --install SPEC" in line
    assert list(tmp_path.iterdir()) == []  # not even the starter config


def _digest(text: str) -> str:
    """A file's hash as a wheel's RECORD writes it."""
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


def _wheel(folder: Path) -> Path:
    """A wheel named newsstand holding only its metadata: what pip records of an install
    is the point here, the code is this venv's."""
    info = f"newsstand-{__version__}.dist-info"
    files = {
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: newsstand\nVersion: {__version__}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = [f"{name},sha256={_digest(text)},{len(text.encode())}" for name, text in files.items()]
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"newsstand-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def test_an_install_from_an_archive_url_is_written_with_its_hash(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    with FeedServer() as server:
        url = server.url(f"/dist/{wheel.name}")
        server.routes[f"/dist/{wheel.name}"] = Resource(wheel.read_bytes(), "application/zip")
        site = tmp_path / "site"  # as `pip install URL` leaves it, direct_url.json and all
        subprocess.run([*pip, "--target", str(site), url], check=True, env=_env())
        paths = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
        folder = tmp_path / "repo"
        folder.mkdir()
        done = subprocess.run(
            [sys.executable, "-m", "newsstand.cli", "init", "--github-actions"],
            cwd=folder,
            capture_output=True,
            text=True,
            env=_env(PYTHONPATH=paths),
            check=False,
        )
        assert done.returncode == 0, done.stderr
        workflow = yaml.safe_load((folder / ".github/workflows/newsstand.yml").read_text())
        spec = workflow["jobs"]["update"]["env"]["NEWSSTAND_INSTALL"]
        assert spec == f"newsstand @ {url}#sha256={digest}"
        # the workflow's install step, given that spec, installs it (and checks the hash)
        again = subprocess.run(
            [*pip, "--target", str(tmp_path / "runner"), spec], env=_env(), check=False
        )
        assert again.returncode == 0
        server.routes[f"/dist/{wheel.name}"] = Resource(b"another file", "application/zip")
        tampered = subprocess.run(
            [*pip, "--target", str(tmp_path / "runner2"), spec],
            env=_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert tampered.returncode != 0 and "hash" in tampered.stderr.lower()
