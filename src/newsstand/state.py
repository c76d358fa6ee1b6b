"""Where newsstand keeps what it needs between runs: every such file, named once.

Everything lives in one folder, ``.newsstand`` beside the config by default (the folder
of the SQLite store): the database and its lock, the run log, the deploy caches.
The Hexo posts and the site are outputs and go where the config says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class State:
    """The files of one site's state (built once, by the config reader)."""

    folder: Path  # holds everything below
    db: Path  # the SQLite store

    @classmethod
    def beside(cls, db: Path) -> State:
        return cls(folder=db.parent, db=db)

    @property
    def store_lock(self) -> Path:
        """Held by the one process writing the store (see ``locks``)."""
        return self.db.with_name(self.db.name + ".lock")

    @property
    def log(self) -> Path:
        """The run log, rotated at 1 MB: ``newsstand.log``."""
        return self.folder / "newsstand.log"

    @property
    def deploy_caches(self) -> Path:
        """A bare cache repository per deploy target (and the store's data branch)."""
        return self.folder / "deploy"

    @property
    def images(self) -> Path:
        """The image cache: the site's pictures as small WebP files, named by their hash."""
        return self.folder / "images"

    def picture(self, name: str) -> Path:
        """A file of the image cache, by its name ("<hash>.webp"), under a two-letter folder."""
        return self.images / name[:2] / name
