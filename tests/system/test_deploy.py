"""`newsstand deploy` and `newsstand store save/restore` against real git repositories: local
bare ones, and one served over HTTP by `git http-backend` that demands the token.

The commands run in this process (CliRunner) except where the child's environment is the
point: no git on PATH, a git wrapper on PATH, the token in GITHUB_TOKEN."""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import Ran, cli
from support.gitserver import GitHTTPServer
from support.helpers import rss, write_config

from newsstand.config import load_config
from newsstand.demo.server import FeedServer, Resource
from newsstand.deploy import store as storesync

SECRET = "tok-5f1d0c9e-UNIQUE-never-shown-7a3b"


def items(*numbers: int) -> list[dict]:
    return [
        {
            "title": f"Story {n} 新闻",
            "guid": f"story-{n}",
            "link": f"https://example.com/{n}",
            "date": f"Mon, {n:02d} Jan 2024 10:00:00 GMT",
            "html": f"<p>Story {n} body</p>",
        }
        for n in numbers
    ]


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=_env()
    ).stdout.strip()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_TOKEN"}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", **extra)
    return env


def newsstand(config: Path, *args: str) -> Ran:
    """The CLI in this process (CliRunner); ``args`` start with the command's name. The git
    it runs sees no global git config and no token, as with ``_env``."""
    return cli(
        *args,
        "-c",
        str(config),
        env={"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GITHUB_TOKEN": None},
    )


def newsstand_process(config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a real process, for what its environment decides (PATH, the token)."""
    return subprocess.run(
        [sys.executable, "-m", "newsstand.cli", *args, "-c", str(config)],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=300,
        check=False,
    )


def bare(path: Path) -> Path:
    git("init", "--bare", "--quiet", str(path))
    return path


def commits(remote: Path, branch: str = "gh-pages") -> int:
    return int(git("--git-dir", str(remote), "rev-list", "--count", branch))


def tip(remote: Path, branch: str = "gh-pages") -> str:
    return git("--git-dir", str(remote), "rev-parse", f"refs/heads/{branch}")


def tree_files(remote: Path, ref: str) -> dict[str, str]:
    """path -> blob id of every file in ``ref``."""
    out = git("--git-dir", str(remote), "ls-tree", "-r", "-z", ref)
    files = {}
    for record in filter(None, out.split("\0")):
        meta, path = record.split("\t", 1)
        files[path] = meta.split()[2]
    return files


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def folder_files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): blob_id(p.read_bytes())
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def feeds():
    with FeedServer() as server:
        server.routes["/news"] = Resource(rss(items(1, 2)))
        yield server


def site_config(root: Path, server: FeedServer, **deploy: object) -> Path:
    return write_config(
        root,
        [{"url": server.url("/news"), "category": "新闻", "source": "S"}],
        site={"url": "https://news.example.org"},
        fetch={"timeout": 5, "retries": 0},
        deploy=deploy,
    )


def ok(done: Ran | subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


# --------------------------------------------------------------------------- config


def test_deploy_without_a_repo_exits_2_saying_what_to_set(tmp_path: Path, feeds) -> None:
    config = write_config(tmp_path, [{"url": feeds.url("/news"), "category": "c", "source": "s"}])
    for command in (["deploy"], ["store", "save"], ["store", "restore"]):
        done = newsstand(config, *command)
        assert done.returncode == 2, done.stderr
        assert "set [deploy] repo" in done.stderr and len(done.stderr.splitlines()) == 1
    bad = newsstand(config, "deploy", "--repo", str(tmp_path), "--branch", "gh..pages")
    assert bad.returncode == 2 and "not a valid git branch name: 'gh..pages'" in bad.stderr


def test_deploy_without_git_says_so_in_one_line(tmp_path: Path, feeds) -> None:
    config = site_config(tmp_path / "site", feeds, repo=str(bare(tmp_path / "pages.git")))
    ok(newsstand(config, "run"))
    done = newsstand_process(config, "deploy", PATH=str(tmp_path / "empty"))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: git is not installed (or not on PATH); install git to deploy"
    )


# --------------------------------------------------------------------------- deploy


def test_deploy_commits_only_changes_and_pushes_the_site_as_it_is(tmp_path: Path, feeds) -> None:
    remote = bare(tmp_path / "pages.git")
    config = site_config(tmp_path / "site", feeds, repo="../pages.git")
    site = tmp_path / "site" / "public"
    ok(newsstand(config, "run"))

    out = ok(newsstand(config, "deploy"))
    assert out.startswith(f"site → {remote} gh-pages: committed ")
    assert commits(remote) == 1
    assert ok(newsstand(config, "deploy")).strip() == (
        f"site → {remote} gh-pages: nothing changed, no commit"
    )
    assert commits(remote) == 1

    feeds.routes["/news"] = Resource(rss(items(1, 2, 3)))  # the feed gains an item
    ok(newsstand(config, "run"))
    out = ok(newsstand(config, "deploy", "--json"))
    assert '"files_changed"' in out
    assert commits(remote) == 2
    parent = git("--git-dir", str(remote), "rev-parse", "gh-pages^")
    assert git("--git-dir", str(remote), "rev-list", "--count", parent) == "1"

    pushed = tree_files(remote, "gh-pages")
    expected = folder_files(site)
    assert ".newsstand-manifest.json" in expected  # the builder's, never deployed
    del expected[".newsstand-manifest.json"]
    expected[".nojekyll"] = blob_id(b"")
    expected["CNAME"] = blob_id(b"news.example.org\n")
    assert pushed == expected
    assert not (site / ".nojekyll").exists() and not (site / "CNAME").exists()
    message = git("--git-dir", str(remote), "log", "-1", "--format=%an <%ae>|%s", "gh-pages")
    assert message.startswith("newsstand <newsstand@localhost>|newsstand: site update ")


def test_a_rewritten_branch_is_refused_unless_force(tmp_path: Path, feeds) -> None:
    remote = bare(tmp_path / "pages.git")
    config = site_config(tmp_path / "site", feeds, repo=str(remote), branch="pages")
    ok(newsstand(config, "run"))
    ok(newsstand(config, "deploy"))
    ours = tip(remote, "pages")

    # someone replaces the branch with unrelated history
    other = tmp_path / "other"
    git("init", "--quiet", "-b", "pages", str(other))
    (other / "index.html").write_text("somebody else's page")
    git("add", "-A", cwd=other)
    git("-c", "user.name=x", "-c", "user.email=x@x", "commit", "--quiet", "-m", "theirs", cwd=other)
    git("push", "--quiet", "--force", str(remote), "pages", cwd=other)
    theirs = tip(remote, "pages")

    feeds.routes["/news"] = Resource(rss(items(1, 2, 3)))
    ok(newsstand(config, "run"))
    done = newsstand(config, "deploy")
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert "rewritten since the last deploy" in line and "force = true" in line
    assert tip(remote, "pages") == theirs  # left as it was

    forced = site_config(tmp_path / "site", feeds, repo=str(remote), branch="pages", force=True)
    out = ok(newsstand(forced, "deploy"))
    assert "committed" in out
    new = tip(remote, "pages")
    assert git("--git-dir", str(remote), "rev-parse", f"{new}^") == ours  # our line, theirs gone
    assert "index.html" in tree_files(remote, "pages")
    assert git("--git-dir", str(remote), "show", "pages:index.html") != "somebody else's page"


def test_a_push_that_loses_a_race_is_one_line_and_leaves_the_remote(tmp_path: Path, feeds) -> None:
    """Another push reaches the branch between deploy's fetch and its push (a `git` on PATH
    that moves the remote branch first, then runs the real git)."""
    remote = bare(tmp_path / "pages.git")
    config = site_config(tmp_path / "site", feeds, repo=str(remote))
    ok(newsstand(config, "run"))
    ok(newsstand(config, "deploy"))
    first = tip(remote)
    other = git(
        "--git-dir",
        str(remote),
        "-c",
        "user.name=x",
        "-c",
        "user.email=x@x",
        "commit-tree",
        f"{first}^{{tree}}",
        "-p",
        first,
        "-m",
        "someone else",
    )
    real = subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ "$3" = push ]; then "{real}" --git-dir="{remote}" update-ref'
        f" refs/heads/gh-pages {other}; fi\n"
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    feeds.routes["/news"] = Resource(rss(items(1, 2, 3)))
    ok(newsstand(config, "run"))
    done = newsstand_process(config, "deploy", PATH=f"{wrapper.parent}:{os.environ['PATH']}")
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert "the branch moved while deploying" in line and "run the deploy again" in line
    assert tip(remote) == other  # what the other push left, not overwritten

    out = ok(newsstand(config, "deploy"))  # the next deploy goes on top of it
    assert "committed" in out
    assert git("--git-dir", str(remote), "rev-parse", "gh-pages^") == other


def test_hexo_posts_replace_only_their_folder_of_the_branch(tmp_path: Path, feeds) -> None:
    blog = bare(tmp_path / "blog.git")
    work = tmp_path / "blog-work"
    git("init", "--quiet", "-b", "main", str(work))
    (work / "source" / "_posts").mkdir(parents=True)
    (work / "source" / "_posts" / "stale.md").write_text("old post")
    (work / "source" / "about").mkdir()
    (work / "source" / "about" / "index.md").write_text("about me")
    (work / "_config.yml").write_text("title: blog\n")
    git("add", "-A", cwd=work)
    git("-c", "user.name=x", "-c", "user.email=x@x", "commit", "--quiet", "-m", "blog", cwd=work)
    git("push", "--quiet", str(blog), "main", cwd=work)
    before = tip(blog, "main")

    pages = bare(tmp_path / "pages.git")
    config = site_config(tmp_path / "site", feeds, repo=str(pages))
    text = config.read_text("utf-8") + f'\n[deploy.hexo]\nrepo = "{blog}"\n'
    config.write_text(text, "utf-8")
    ok(newsstand(config, "run"))
    lines = ok(newsstand(config, "deploy")).splitlines()
    assert lines[0].startswith("site → ") and lines[1].startswith(f"hexo → {blog} main: committed")

    files = tree_files(blog, "main")
    posts = tmp_path / "site" / "source" / "_posts"
    expected = {f"source/_posts/{p}": b for p, b in folder_files(posts).items()}
    assert len(expected) == 2
    assert {p: b for p, b in files.items() if p.startswith("source/_posts/")} == expected
    assert files["_config.yml"] == blob_id(b"title: blog\n")
    assert files["source/about/index.md"] == blob_id(b"about me")
    assert git("--git-dir", str(blog), "rev-parse", "main^") == before
    assert "nothing changed" in ok(newsstand(config, "deploy")).splitlines()[1]


# --------------------------------------------------------------------------- the token


@pytest.mark.slow
def test_the_token_goes_over_http_and_nowhere_else(tmp_path: Path, feeds) -> None:
    served = tmp_path / "served"
    remote = bare(served / "pages.git")
    with GitHTTPServer(served, SECRET) as http:
        url = http.url("pages.git")
        config = site_config(tmp_path / "site", feeds, repo=url)
        ok(newsstand(config, "run"))

        done = newsstand_process(config, "deploy")  # no token
        assert done.returncode == 1
        assert done.stderr.strip() == (
            f"error: {url}: authentication failed; set GITHUB_TOKEN to a token that may push to it"
        )
        wrong = newsstand_process(config, "deploy", GITHUB_TOKEN="not-the-token")
        assert wrong.returncode == 1 and "authentication failed" in wrong.stderr
        assert http.refused >= 2

        outputs = [done, wrong]
        outputs.append(newsstand_process(config, "deploy", GITHUB_TOKEN=SECRET))
        assert outputs[-1].returncode == 0, outputs[-1].stderr
        assert commits(remote) == 1
        outputs.append(newsstand_process(config, "store", "save", GITHUB_TOKEN=SECRET))
        assert "committed" in outputs[-1].stdout, outputs[-1].stderr
        fresh = site_config(tmp_path / "fresh", feeds, repo=url)
        outputs.append(newsstand_process(fresh, "store", "restore", GITHUB_TOKEN=SECRET))
        assert "restored" in outputs[-1].stdout, outputs[-1].stderr
        outputs.append(
            newsstand_process(fresh, "deploy", "--verbose", GITHUB_TOKEN="bad-" + SECRET)
        )

    basic = base64.b64encode(f"x-access-token:{SECRET}".encode())
    for done in outputs:
        assert SECRET not in done.stdout + done.stderr
        assert basic.decode() not in done.stdout + done.stderr
    assert (tmp_path / "site" / ".newsstand" / "newsstand.log").is_file()
    assert list((tmp_path / "site" / ".newsstand" / "deploy").glob("*.git"))
    for path in tmp_path.rglob("*"):  # cache repos, their configs, the remote, the logs
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data and basic not in data, path


# --------------------------------------------------------------------------- the store


def entries(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT uid, title, content, published, first_seen FROM entries ORDER BY uid"
        ).fetchall()


def test_store_save_and_restore_keep_every_entry(tmp_path: Path, feeds) -> None:
    remote = bare(tmp_path / "pages.git")
    config = site_config(tmp_path / "a", feeds, repo=str(remote))
    done = newsstand(config, "store", "restore")
    assert "no saved store yet; starting fresh" in ok(done)
    ok(newsstand(config, "run"))
    assert "committed" in ok(newsstand(config, "store", "save"))
    assert "nothing changed, no commit" in ok(newsstand(config, "store", "save"))
    assert commits(remote, "newsstand-data") == 1
    assert set(tree_files(remote, "newsstand-data")) == {"store.json", "newsstand.db.gz.000"}

    fresh = site_config(tmp_path / "b", feeds, repo=str(remote))
    assert "restored" in ok(newsstand(fresh, "store", "restore"))
    db_a = tmp_path / "a" / ".newsstand" / "newsstand.db"
    db_b = tmp_path / "b" / ".newsstand" / "newsstand.db"
    assert len(entries(db_b)) == 2 and entries(db_b) == entries(db_a)

    refused = newsstand(fresh, "store", "restore")  # a store is there now
    assert refused.returncode == 2 and "already exists" in refused.stderr
    assert entries(db_b) == entries(db_a)
    ok(newsstand(fresh, "store", "restore", "--force"))

    feeds.routes["/news"] = Resource(rss(items(1, 2, 3)))
    ok(newsstand(fresh, "run"))
    assert "committed" in ok(newsstand(fresh, "store", "save"))
    assert commits(remote, "newsstand-data") == 1  # the branch keeps only the latest


def test_a_save_after_a_newer_save_is_refused(tmp_path: Path, feeds) -> None:
    remote = bare(tmp_path / "pages.git")
    first = site_config(tmp_path / "first", feeds, repo=str(remote))
    ok(newsstand(first, "run"))
    ok(newsstand(first, "store", "save"))

    # two runs restore the same snapshot ...
    a = site_config(tmp_path / "a", feeds, repo=str(remote))
    b = site_config(tmp_path / "b", feeds, repo=str(remote))
    ok(newsstand(a, "store", "restore"))
    ok(newsstand(b, "store", "restore"))
    feeds.routes["/news"] = Resource(rss(items(1, 2, 3)))
    ok(newsstand(a, "run"))
    # b's history differs from a's whatever the clock says (two runs within one second
    # would otherwise store the same rows, and a save of the same store is no conflict)
    feeds.routes["/news"] = Resource(rss(items(1, 2, 4)))
    ok(newsstand(b, "run"))
    # ... the first to save wins; the other must not put its older history over it
    ok(newsstand(a, "store", "save"))
    saved = tip(remote, "newsstand-data")
    done = newsstand(b, "store", "save")
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert "another run saved a newer store" in line
    assert tip(remote, "newsstand-data") == saved

    # a run that found no store at all may not replace one saved meanwhile either
    c = site_config(tmp_path / "c", feeds, repo=str(bare(tmp_path / "other.git")))
    ok(newsstand(c, "store", "restore"))
    ok(newsstand(a, "store", "save", "--repo", str(tmp_path / "other.git")))
    ok(newsstand(c, "run"))
    refused = newsstand(c, "store", "save")
    assert refused.returncode == 1 and "another run saved a newer store" in refused.stderr


def test_a_store_in_several_parts_comes_back_whole(tmp_path: Path, feeds) -> None:
    remote = bare(tmp_path / "pages.git")
    config_path = site_config(tmp_path / "a", feeds, repo=str(remote))
    ok(newsstand(config_path, "run"))
    saved = storesync.save(load_config(config_path), part_size=512)
    assert saved.parts >= 3
    names = set(tree_files(remote, "newsstand-data"))
    assert {f"newsstand.db.gz.{n:03d}" for n in range(saved.parts)} | {"store.json"} == names

    fresh = site_config(tmp_path / "b", feeds, repo=str(remote))
    restored = storesync.restore(load_config(fresh))
    assert restored.commit == saved.commit
    assert entries(tmp_path / "b" / ".newsstand" / "newsstand.db") == entries(
        tmp_path / "a" / ".newsstand" / "newsstand.db"
    )


def test_a_damaged_saved_store_is_not_restored(tmp_path: Path, feeds) -> None:
    remote = bare(tmp_path / "pages.git")
    config = site_config(tmp_path / "a", feeds, repo=str(remote))
    ok(newsstand(config, "run"))
    ok(newsstand(config, "store", "save"))
    # replace the part with a valid gzip of other bytes: the SHA-256 no longer matches
    work = tmp_path / "work"
    git("clone", "--quiet", "-b", "newsstand-data", str(remote), str(work))
    import gzip

    (work / "newsstand.db.gz.000").write_bytes(gzip.compress(b"not the store"))
    git("-c", "user.name=x", "-c", "user.email=x@x", "commit", "--quiet", "-am", "damage", cwd=work)
    git("push", "--quiet", "origin", "newsstand-data", cwd=work)

    fresh = site_config(tmp_path / "b", feeds, repo=str(remote))
    done = newsstand(fresh, "store", "restore")
    assert done.returncode == 1 and "does not match its SHA-256" in done.stderr
    assert not (tmp_path / "b" / ".newsstand" / "newsstand.db").exists()


# --------------------------------------------------------------------------- on a schedule


def test_run_and_watch_deploy_after_publishing(tmp_path: Path, feeds) -> None:
    remote = bare(tmp_path / "pages.git")
    config = site_config(tmp_path / "site", feeds, repo=str(remote))
    out = ok(newsstand(config, "run", "--deploy"))
    assert f"site → {remote} gh-pages: committed" in out
    again = ok(newsstand(config, "run", "--deploy", "--json"))
    assert again.lstrip().startswith("{")  # stdout stays the run's JSON summary
    assert commits(remote) == 1

    feeds.routes["/news"] = Resource(rss(items(1, 2, 3)))
    watched = newsstand(config, "watch", "--deploy", "--cycles", "1")
    assert watched.returncode == 0, watched.stderr
    assert f"site → {remote} gh-pages: committed" in watched.stderr
    assert commits(remote) == 2

    cron = ok(newsstand(config, "init", "--cron"))
    assert " --deploy" in cron  # [deploy] repo is set: the job deploys too
    unconfigured = write_config(tmp_path / "plain", [])
    assert "--deploy" not in ok(newsstand(unconfigured, "init", "--cron"))


def test_run_deploy_pushes_nothing_after_an_incomplete_run(tmp_path: Path, feeds) -> None:
    remote = bare(tmp_path / "pages.git")
    config = site_config(tmp_path / "site", feeds, repo=str(remote))
    blocker = tmp_path / "site" / "public"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the site folder goes")  # the site cannot be built
    done = newsstand(config, "run", "--deploy")
    assert done.returncode == 1
    assert "nothing was deployed" in done.stderr
    assert git("--git-dir", str(remote), "branch", "--list") == ""


def test_the_image_cache_rides_with_the_store_to_a_fresh_machine(tmp_path: Path) -> None:
    from support.pictures import photo

    with FeedServer() as server:
        for n in (1, 2):
            server.routes[f"/p/{n}.jpg"] = Resource(photo(seed=n), "image/jpeg")
        news = [
            {**item, "html": f'<p><img src="{server.url(f"/p/{n}.jpg")}"></p>' + item["html"]}
            for n, item in zip((1, 2), items(1, 2), strict=True)
        ]
        server.routes["/news"] = Resource(rss(news))
        remote = bare(tmp_path / "pages.git")

        def with_images(root: Path) -> Path:
            return write_config(
                root,
                [{"url": server.url("/news"), "category": "新闻", "source": "S"}],
                fetch={"timeout": 5, "retries": 0},
                deploy={"repo": str(remote)},
                images={},  # on, as by default
            )

        config = with_images(tmp_path / "a")
        ok(newsstand(config, "run"))
        cache = tmp_path / "a" / ".newsstand" / "images"
        pictures = folder_files(cache)
        assert len(pictures) == 2
        ok(newsstand(config, "store", "save"))
        saved = tree_files(remote, "newsstand-data")
        assert {f"images/{path}": blob for path, blob in pictures.items()}.items() <= saved.items()
        asked = sum(1 for path, _ in server.requests if path.startswith("/p/"))

        # a fresh runner: the store and its pictures come back; no host is asked again
        fresh = with_images(tmp_path / "b")
        ok(newsstand(fresh, "store", "restore"))
        assert folder_files(tmp_path / "b" / ".newsstand" / "images") == pictures
        ok(newsstand(fresh, "run"))
        assert sum(1 for path, _ in server.requests if path.startswith("/p/")) == asked
        site = tmp_path / "b" / "public"
        assert {p.name for p in (site / "images").rglob("*.webp")} == {
            Path(p).name for p in pictures
        }
        assert "/images/" in (site / "index.html").read_text("utf-8")
