"""`newsstand store save` / `store restore`: the store kept on a data branch of the deploy
repository, so that history survives CI runners that start empty.

The branch (``[deploy] store_branch``) holds only the latest snapshot: one commit without
a parent, replaced by each save, so the repository does not grow with every run. A
snapshot is the store copied with ``VACUUM INTO`` while the store lock is held, gzipped
and cut into parts under 45 MB (GitHub refuses files over 100 MB), with ``store.json``
naming the parts and the SHA-256 of the database they make. The image cache
(``State.images``: the site's pictures, files named by the hash of their bytes) rides
along as the folder ``images/`` of the same tree: git stores each file once, so a save
pushes only the pictures that are new since the snapshot it replaces, and a restore on
a fresh machine (a new CI runner) brings back every picture without asking its host.

Replacing the branch is a force-push, so it is guarded by a lease: a save pushes with
``--force-with-lease=refs/heads/<branch>:<sha>``, where ``<sha>`` is the snapshot this
store was restored from (remembered by ``restore``), or, for a store never restored, the
one seen when the save began. Two runs that restored the same snapshot cannot both
replace it: the second one's lease no longer matches and its save is refused, instead of
overwriting the newer store with an older history.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .. import __version__, locks
from ..config import Config
from ..files import write_atomic
from ..store import is_postgres, open_store
from ..store.sqlite import check_file
from .git import Branch, DeployError, GitFailed, NotConfigured, Refused, Remote, cache_root

PART_SIZE = 40 * 1024 * 1024  # bytes of gzip per part: under GitHub's 50 MB warning
FORMAT = 1
META = "store.json"
IMAGES = "images"  # the image cache's folder in the snapshot
RESTORE_BATCH = 256  # pictures read from git per process
_PART = re.compile(r"^newsstand\.db\.gz\.\d{3}$")


class StoreExists(Refused):
    """A store file is already where ``restore`` would put one."""


@dataclass(frozen=True, slots=True)
class Saved:
    repo: str
    branch: str
    commit: str | None  # None: the saved store was the same, no commit
    parts: int = 0
    size: int = 0  # bytes of gzip
    sha256: str = ""

    def line(self) -> str:
        where = f"store → {self.repo} {self.branch}"
        if self.commit is None:
            return f"{where}: nothing changed, no commit"
        return (
            f"{where}: committed {self.commit[:7]} ({self.parts} part"
            f"{'s' if self.parts != 1 else ''}, {self.size / 1e6:.1f} MB gzipped)"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "repo": self.repo,
            "branch": self.branch,
            "commit": self.commit,
            "parts": self.parts,
            "bytes": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class Restored:
    repo: str
    branch: str
    commit: str | None  # None: no store saved yet
    path: Path
    size: int = 0
    saved_at: str | None = None

    def line(self) -> str:
        if self.commit is None:
            return f"store ← {self.repo} {self.branch}: no saved store yet; starting fresh"
        return (
            f"store ← {self.repo} {self.branch}: restored {self.commit[:7]} (saved"
            f" {self.saved_at}, {self.size / 1e6:.1f} MB) into {self.path}"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "repo": self.repo,
            "branch": self.branch,
            "commit": self.commit,
            "path": str(self.path),
            "bytes": self.size,
            "saved_at": self.saved_at,
        }


def _sqlite_only(config: Config) -> None:
    if is_postgres(config.store.url):
        raise DeployError(
            "`store save` and `store restore` keep a SQLite store; back a PostgreSQL store"
            " up with pg_dump, or copy it to a file with `newsstand store copy --to"
            " sqlite:///path/newsstand.db` and save that"
        )


def _branch(config: Config, repo: str | None) -> Branch:
    repo = repo or config.deploy.repo
    if repo is None:
        raise NotConfigured(
            f"no repository to keep the store in: set [deploy] repo in"
            f" {config.path} (or give --repo)"
        )
    token = os.environ.get(config.deploy.token_env) or None
    return Branch(
        Remote(repo, token),
        config.deploy.store_branch,
        cache_root(config),
        "store",
        config.deploy.token_env,
        excludes=(".*",),  # a picture being written (a hidden temporary file)
    )


# -- the lease: the snapshot this store came from -------------------------------------------


def _lease_file(target: Branch) -> Path:
    return target.git_dir.with_suffix(".lease")


def _lease(target: Branch) -> str | None:
    """The commit the local store was restored from or last saved as ("" when the branch
    did not exist then); None when this store was never restored or saved here."""
    try:
        commit = json.loads(_lease_file(target).read_text("utf-8"))["commit"]
        return commit if isinstance(commit, str) else None
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def _set_lease(target: Branch, commit: str) -> None:
    path = _lease_file(target)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps({"repo": target.remote.shown, "branch": target.branch, "commit": commit}),
        encoding="utf-8",
    )
    os.replace(tmp, path)


def _meta(target: Branch, commit: str) -> dict[str, object] | None:
    try:
        raw = target.git("cat-file", "blob", f"{commit}:{META}")
    except GitFailed:
        return None
    try:
        meta = json.loads(raw)
    except ValueError:
        return None
    return meta if isinstance(meta, dict) else None


# -- save -----------------------------------------------------------------------------------


def save(
    config: Config,
    *,
    repo: str | None = None,
    part_size: int = PART_SIZE,
    now: datetime | None = None,
) -> Saved:
    """Snapshot the store and make it the only commit of the store branch."""
    _sqlite_only(config)
    branch = _branch(config, repo)
    db = config.state.db
    if not db.is_file():
        raise DeployError(f"no store at {db} to save; run `newsstand run` first")
    when = now or datetime.now(UTC)
    with (
        branch as target,
        tempfile.TemporaryDirectory(dir=target.git_dir.parent, prefix=".save-") as tmp,
    ):
        snapshot = Path(tmp) / "newsstand.db"
        with open_store(config.store.url, lock=True) as store:  # no run writes meanwhile
            schema = store.snapshot(snapshot)
        digest, size = _sha256(snapshot)
        shown = Saved(target.remote.shown, target.branch, None, sha256=digest)

        tip = target.fetch(shallow=True)
        old = _meta(target, tip) if tip else None
        if old is not None and old.get("sha256") == digest:
            _set_lease(target, tip or "")
            return shown
        expected = _lease(target)
        if expected is None:
            expected = tip or ""
        if expected != (tip or ""):
            raise DeployError(_newer(target, expected, tip))

        parts = _gzip_parts(snapshot, Path(tmp), part_size)
        pictures, count = _pictures_tree(target, config.state.images)
        meta = {
            "format": FORMAT,
            "parts": [p.name for p in parts],
            "sha256": digest,
            "bytes": size,
            "saved_at": when.isoformat(timespec="seconds"),
            "newsstand": __version__,
            "schema": schema,
            "images": count,
        }
        records = [f"100644 blob {target.blob(p.read_bytes())}\t{p.name}" for p in parts]
        if pictures:
            records.append(f"040000 tree {pictures}\t{IMAGES}")
        records.append(f"100644 blob {target.blob(json.dumps(meta, indent=2).encode())}\t{META}")
        tree = target.git("mktree", input="\n".join(records).encode() + b"\n")
        message = f"newsstand: store snapshot {when.strftime('%Y-%m-%d %H:%M UTC')}"
        commit = target.commit(tree, None, message, config.deploy.author, when)
        try:
            target.push(commit, lease=expected)
        except DeployError as exc:
            if "moved while deploying" in str(exc):
                raise DeployError(_newer(target, expected, None)) from None
            raise
        _set_lease(target, commit)
        _forget_old(target)
        return Saved(
            target.remote.shown,
            target.branch,
            commit,
            len(parts),
            sum(p.stat().st_size for p in parts),
            digest,
        )


def _pictures_tree(target: Branch, folder: Path) -> tuple[str | None, int]:
    """The tree of the image cache (through the target's index: only files that are new
    are read) and how many files it holds; (None, 0) without a cache."""
    if not folder.is_dir() or not any(folder.iterdir()):
        return None, 0
    tree = target.stage(folder)
    count = target.git("ls-tree", "-r", "--name-only", "-z", tree).count("\0")
    return tree, count


def _restore_pictures(target: Branch, commit: str, folder: Path) -> int:
    """Put the snapshot's pictures that ``folder`` lacks into it; how many."""
    listed = target.remote.run(
        "ls-tree", "-r", "-z", f"{commit}:{IMAGES}", git_dir=target.git_dir, check=False
    )
    if listed.returncode != 0:
        return 0  # a snapshot without pictures
    wanted = []
    for record in filter(None, listed.stdout.split(b"\0")):
        meta, _, name = record.decode("utf-8", "replace").partition("\t")
        path = folder / name
        if ".." not in Path(name).parts and not path.is_file():
            wanted.append((meta.split()[2], path))
    for start in range(0, len(wanted), RESTORE_BATCH):
        batch = wanted[start : start + RESTORE_BATCH]
        out = target.remote.run(
            "cat-file",
            "--batch",
            git_dir=target.git_dir,
            input="".join(f"{sha}\n" for sha, _ in batch).encode(),
        ).stdout
        at = 0
        for _sha, path in batch:
            header_end = out.index(b"\n", at)
            size = int(out[at:header_end].split()[2])
            data = out[header_end + 1 : header_end + 1 + size]
            at = header_end + 1 + size + 1
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
    return len(wanted)


def _forget_old(target: Branch) -> None:
    """Drop earlier snapshots from the cache repository: it keeps only the one its refs
    name, or a machine saving every half hour would pile up old stores."""
    target.remote.run("gc", "--quiet", "--prune=now", git_dir=target.git_dir, check=False)


def _newer(target: Branch, expected: str, tip: str | None) -> str:
    now = f"is now at {tip[:7]}" if tip else "has changed"
    since = f"{expected[:7]} this store was restored from" if expected else "it was empty"
    return (
        f"{target.remote.shown} {target.branch} {now}, not at {since}: another run saved"
        " a newer store; it was not overwritten. Restore it (`newsstand store restore"
        " --force`) and run again"
    )


def _sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _gzip_parts(source: Path, folder: Path, part_size: int) -> list[Path]:
    """``source`` gzipped (the same bytes for the same input: no name, no time) and cut
    into files of at most ``part_size`` bytes."""
    parts: list[Path] = []
    out: BinaryIO | None = None
    room = 0

    def write(data: bytes) -> None:
        nonlocal out, room
        while data:
            if room == 0:
                if out is not None:
                    out.close()
                parts.append(folder / f"newsstand.db.gz.{len(parts):03d}")
                out = open(parts[-1], "wb")  # noqa: SIM115 - closed when full or at the end
                room = part_size
            assert out is not None
            out.write(data[:room])
            taken = min(room, len(data))
            room -= taken
            data = data[taken:]

    # level 1: of a 421 MB store, 81 MB in 1.9 s (level 6: 60 MB in 7.4 s); the bytes
    # pushed cost less than the CPU of a CI run. 31: a gzip header, with mtime 0.
    gz = zlib.compressobj(1, zlib.DEFLATED, 31)
    try:
        with open(source, "rb") as f:
            while chunk := f.read(1 << 20):
                write(gz.compress(chunk))
        write(gz.flush())
    finally:
        if out is not None:
            out.close()
    return parts


# -- restore --------------------------------------------------------------------------------


def restore(config: Config, *, repo: str | None = None, force: bool = False) -> Restored:
    """Bring the saved store back into place; remember which snapshot it was."""
    _sqlite_only(config)
    branch = _branch(config, repo)
    db = config.state.db
    if db.exists() and not force:
        raise StoreExists(
            f"{db} already exists and restoring would replace it; move it away, or use --force"
        )
    with branch as target:
        tip = target.fetch(shallow=True)
        if tip is None:
            _set_lease(target, "")
            return Restored(target.remote.shown, target.branch, None, db)
        meta = _meta(target, tip)
        parts = meta.get("parts") if meta else None
        if (
            not meta
            or meta.get("format") != FORMAT
            or not isinstance(parts, list)
            or not parts
            or not all(isinstance(p, str) and _PART.match(p) for p in parts)
        ):
            raise DeployError(
                f"{target.remote.shown} {target.branch}: {tip[:7]} holds no"
                f" store this newsstand can read (no valid {META})"
            )
        db.parent.mkdir(parents=True, exist_ok=True)
        tmp = db.with_name(f".{db.name}.restore-{os.getpid()}")
        try:
            size = _unpack(target, tip, parts, meta.get("sha256"), tmp)
            _check(tmp, f"{target.remote.shown} {target.branch} {tip[:7]}")
            try:  # no run uses the store while it is replaced
                lock = locks.take(
                    config.state.store_lock,
                    f"another newsstand process is using {db}; wait for it to finish",
                )
            except locks.Busy as exc:
                raise DeployError(str(exc)) from None
            try:
                for suffix in ("-wal", "-shm"):  # an old log must not be replayed onto it
                    db.with_name(db.name + suffix).unlink(missing_ok=True)
                os.replace(tmp, db)
                dir_fd = os.open(db.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
            finally:
                lock.close()
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
                leftover.unlink(missing_ok=True)
        _restore_pictures(target, tip, config.state.images)
        _set_lease(target, tip)
        _forget_old(target)
        return Restored(
            target.remote.shown, target.branch, tip, db, size, str(meta.get("saved_at"))
        )


def _unpack(target: Branch, commit: str, parts: list[str], digest: object, out: Path) -> int:
    h = hashlib.sha256()
    size = 0
    gz = zlib.decompressobj(31)
    with open(out, "wb") as f:
        for part in parts:
            data = target.remote.run(
                "cat-file", "blob", f"{commit}:{part}", git_dir=target.git_dir
            ).stdout
            piece = gz.decompress(data)
            h.update(piece)
            f.write(piece)
            size += len(piece)
        piece = gz.flush()
        h.update(piece)
        f.write(piece)
        size += len(piece)
        f.flush()
        os.fsync(f.fileno())
    where = f"{target.remote.shown} {target.branch} {commit[:7]}"
    if not gz.eof:
        raise DeployError(f"{where}: the saved store is cut short (a part is missing)")
    if h.hexdigest() != digest:
        raise DeployError(f"{where}: the saved store does not match its SHA-256; not restored")
    return size


def _check(path: Path, where: str) -> None:
    problem = check_file(path)
    if problem is not None:
        raise DeployError(f"{where}: the saved store is not one to restore: {problem}")
