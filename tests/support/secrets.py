"""The RSSHub access key the secret tests guard, and the search for it in every byte a run
wrote or printed (gzipped files unpacked, git objects and store snapshots read)."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path
from urllib.parse import quote

KEY = "K3y+s3cr3t/9f8e7d"  # '+' and '/' so that its percent-encoded forms differ


def forms(secret: str) -> list[bytes]:
    return [f.encode() for f in {secret, quote(secret, safe=""), quote(secret)}]


def every_byte_written(root: Path) -> list[tuple[str, bytes]]:
    """Each file under ``root``, gzipped ones unpacked and git repositories' objects read."""
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        found.append((str(path), data))
        if data[:2] == b"\x1f\x8b":
            found.append((f"{path} (unpacked)", gzip.decompress(data)))
    for git_dir in {p.parent for p in root.rglob("HEAD") if (p.parent / "objects").is_dir()}:
        objects = subprocess.run(
            ["git", "--git-dir", str(git_dir), "cat-file", "--batch-all-objects", "--batch"],
            capture_output=True,
            check=True,
        ).stdout
        found.append((f"{git_dir} (objects)", objects))
        for part in _gzip_blobs(git_dir):
            found.append((f"{git_dir} (a snapshot part)", part))
    return found


def _gzip_blobs(git_dir: Path) -> list[bytes]:
    listing = subprocess.run(
        [
            "git",
            "--git-dir",
            str(git_dir),
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname) %(objecttype)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    parts = []
    for line in filter(None, listing):
        name, kind = line.split()
        if kind == "blob":
            blob = subprocess.run(
                ["git", "--git-dir", str(git_dir), "cat-file", "blob", name],
                capture_output=True,
                check=True,
            ).stdout
            if blob[:2] == b"\x1f\x8b":
                parts.append(gzip.decompress(blob))
    return parts


def assert_no_secret(secrets: list[bytes], places: list[tuple[str, bytes]]) -> None:
    leaks = [(where, s) for where, data in places for s in secrets if s in data]
    assert not leaks, f"the secret is in {leaks[:5]}"
