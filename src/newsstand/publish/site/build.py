"""The site build: stored entries straight to HTML, feeds and search.

``build_site`` plans every page (``plan``), renders the ones whose inputs changed
(``render``, in worker processes when there are many) into a new tree beside the old
one (``tree``), re-indexes the search bundles that changed (``search``) and swaps the
new tree in.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import shutil
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from ... import locks
from ...config import Config
from ...control import Progress
from ...model import IndexRow
from ...sources.opml import export_opml
from ...store import open_store
from ...workers import BATCH, POOL_THRESHOLD, Workers
from . import search, tree
from .errors import SiteBusy, SiteError
from .icons import static_icons
from .plan import SEARCH_CHUNK, Page, Plan, Settings
from .render import (
    Renderer,
    RendererArgs,
    index_chunk,
    picture_file,
    render_batch,
    static_files,
    theme_hash,
)


@dataclass(slots=True)
class SiteResult:
    """What a build did."""

    dir: Path
    pages: int = 0  # pages the site has
    rendered: int = 0  # pages written by this build
    removed: int = 0  # pages the site no longer has
    indexed: int = 0  # search bundles (re-)built
    skipped: bool = False  # nothing had changed: the site was not touched
    size: tree.Size | None = None  # what the built site weighs
    warnings: list[str] = field(default_factory=list)  # near GitHub Pages' limits
    phase_seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "dir": str(self.dir),
            "pages": self.pages,
            "rendered": self.rendered,
            "removed": self.removed,
            "search_bundles_indexed": self.indexed,
            "skipped": self.skipped,
            "bytes": self.size["bytes"] if self.size else None,
            "files": self.size["files"] if self.size else None,
            "fullest_folder": (
                {"path": self.size["folder"], "entries": self.size["entries"]}
                if self.size
                else None
            ),
            "warnings": self.warnings,
            "phase_seconds": {k: round(v, 3) for k, v in self.phase_seconds.items()},
        }


def settings_of(config: Config) -> Settings:
    out = config.site_output
    return Settings(
        title=config.site.title,
        url=config.site.url,
        base_path=out.base_path,
        per_page=out.per_page,
        language=out.language,
        timezone=config.site.timezone,
        stories=config.stories.enabled,
        images=config.images.enabled,
        full_entries=config.site_output.full_entries,
    )


def subscriptions(config: Config) -> str:
    """The configured feeds as the site's OPML (never with the RSSHub access key)."""
    return export_opml(
        config.feeds, config.rsshub.instances[0], config.site.title, stamp=False
    ).decode("utf-8")


def build_site(
    config: Config,
    *,
    progress: Progress | None = None,
    force: bool = False,
    workers: Workers | None = None,
) -> SiteResult:
    """Build (or bring up to date) the site in ``[output.site] dir``, holding its lock (held,
    the site is not swapped: ``deploy`` reads it). Pages render in ``workers`` when there
    are many (in a pool of the build's own when none is given)."""
    out = config.site_output.dir
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        lock = locks.take(locks.site_lock_path(out), f"another newsstand process is building {out}")
    except locks.Busy as exc:
        raise SiteBusy(str(exc)) from None
    try:
        with workers or Workers() as pool:
            return _Build(config, out, progress or (lambda *_: None), force, pool).run()
    finally:
        lock.close()


class _Build:
    def __init__(
        self, config: Config, out: Path, progress: Progress, force: bool, workers: Workers
    ) -> None:
        self.config = config
        self.out = out
        self.progress = progress
        self.force = force
        self.workers = workers
        self.settings = settings_of(config)
        self.theme_dir = config.site_output.theme_dir
        self.result = SiteResult(out)
        self._clock = time.perf_counter()

    def _phase(self, name: str) -> None:
        now = time.perf_counter()
        self.result.phase_seconds[name] = now - self._clock
        self._clock = now

    def run(self) -> SiteResult:
        tree.recover(self.out)
        old: tree.Manifest = {} if self.force else tree.read_manifest(self.out)
        theme = theme_hash(self.theme_dir, self.settings)
        subs = subscriptions(self.config)
        with open_store(self.config.store.url, lock=False, light=True) as store:
            marks = store.picture_marks() if self.settings.images else {}
            shown = sorted(marks.values())  # the pictures pages show: a change is a change
            signature = hashlib.sha1(repr((theme, store.state(), subs, shown)).encode()).hexdigest()
            if old.get("signature") == signature and self.out.is_dir():
                self.result.skipped = True
                self.result.pages = len(old.get("pages", {}))
                self._sized(old.get("size"))
                self._phase("plan")
                return self.result
            rows = with_pictures(store.site_index(), marks)
        plan = Plan(rows, self.settings, self.config.site.tz, subs, theme)
        if old.get("base") != plan.base:  # new templates, settings or categories:
            old = {**old, "pages": dict.fromkeys(old.get("pages", {}), "")}  # render all
        self._phase("plan")

        staging = tree.staging_path(self.out)
        if self.out.is_dir() and old:
            tree.clone(self.out, staging)
        else:
            staging.mkdir()
        self._phase("clone")
        try:
            pages = self._render(plan, staging, old.get("pages", {}))
            static = self._static(staging, old.get("static", {}))
            pictures = self._pictures(staging, old.get("images", []), marks)
            self._phase("render")
            searched = self._search(plan, staging, old.get("search", {}))
            self._phase("search")
            size = tree.measure(staging)
            self._sized(size)
            self._phase("measure")
            tree.write_manifest(
                staging,
                {
                    "signature": signature,
                    "base": plan.base,
                    "pages": pages,
                    "static": static,
                    "search": searched,
                    "images": pictures,
                    "size": size,
                },
            )
            tree.swap(staging, self.out)
            self._phase("swap")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return self.result

    def _sized(self, size: tree.Size | None) -> None:
        self.result.size = size
        self.result.warnings = tree.warnings(size) if size else []

    def _render(self, plan: Plan, staging: Path, before: dict[str, str]) -> dict[str, str]:
        keys: dict[str, str] = {}

        def changed() -> Iterator[Page]:
            for page in plan.pages():
                keys[page.path] = page.key
                if before.get(page.path) != page.key:
                    yield page

        batches = _batches(changed())
        first = list(itertools.islice(batches, POOL_THRESHOLD))  # enough to choose
        args = self._renderer_args(plan, staging)
        pool = self.workers.for_jobs(len(first))
        if pool is not None:
            with self._worker_deaths():
                self._render_in_pool(pool, args, first, batches)
        else:
            renderer = Renderer(*args)
            try:
                for batch in itertools.chain(first, batches):
                    self._count(renderer.render(batch))
            finally:
                renderer.close()
        gone = [path for path in before if path not in keys]
        tree.remove(staging, gone)
        self.result.removed = len(gone)
        self.result.pages = len(keys)
        return keys

    def _renderer_args(self, plan: Plan, staging: Path) -> RendererArgs:
        return (
            self.config.store.url,
            staging,
            self.settings,
            self.config.site.tz,
            self.theme_dir,
            tuple(plan.nav),
        )

    @contextlib.contextmanager
    def _worker_deaths(self) -> Iterator[None]:
        try:
            yield
        except BrokenProcessPool:
            self.workers.broken = True
            raise SiteError(
                "a site build worker died; run the build again (it works in this process then)"
            ) from None

    def _render_in_pool(
        self,
        pool: Executor,
        args: RendererArgs,
        first: list[list[Page]],
        rest: Iterator[list[Page]],
    ) -> None:
        running: set[Future[list[tuple[str, int]]]] = set()
        for batch in itertools.chain(first, rest):
            running.add(pool.submit(render_batch, args, batch))
            if len(running) >= self.workers.size * 2:  # bounded: memory stays a few batches
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    self._count(future.result())
        for future in running:
            self._count(future.result())

    def _count(self, written: list[tuple[str, int]]) -> None:
        self.result.rendered += len(written)
        self.progress("site:render", self.result.rendered, 0, "")

    def _static(self, staging: Path, before: dict[str, str]) -> dict[str, str]:
        keys = {}
        files = {  # the drawn icons, unless the theme ships its own
            **static_icons(),
            **{name: path.read_bytes() for name, path in static_files(self.theme_dir).items()},
        }
        for name, data in files.items():
            keys[name] = hashlib.sha1(data).hexdigest()
            target = staging / "static" / name
            if before.get(name) != keys[name] or not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.unlink(missing_ok=True)
                target.write_bytes(data)
        tree.remove(staging / "static", [n for n in before if n not in keys])
        return keys

    def _pictures(self, staging: Path, before: list[str], marks: dict[str, str]) -> list[str]:
        """The published pictures in ``images/``, linked from the image cache."""
        if not marks:
            names: list[str] = []
        else:
            with open_store(self.config.store.url, lock=False, light=True) as store:
                names = store.published_pictures()
        kept = set(names)
        for name in before:
            if name not in kept:
                (staging / picture_file(name)).unlink(missing_ok=True)
        for name in names:
            target = staging / picture_file(name)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = self.config.state.picture(name)
            try:
                os.link(source, target)
            except FileNotFoundError:
                continue  # left the cache since: its pages fall back to the original
            except OSError:  # another file system
                shutil.copyfile(source, target)
        return names

    def _search(self, plan: Plan, staging: Path, before: dict[str, str]) -> dict[str, str]:
        chunks = plan.search_chunks
        keys = {str(c.number): c.key for c in chunks}
        dirty = [
            c
            for c in chunks
            if before.get(str(c.number)) != c.key
            or not (staging / search.bundle_dir(c.number)).is_dir()
        ]
        search.clear(staging, [int(n) for n in before if n not in keys] + [c.number for c in dirty])
        args = self._renderer_args(plan, staging)
        # a bundle is ~SEARCH_CHUNK entries' work, in jobs of BATCH for the pool's threshold
        pool = self.workers.for_jobs(len(dirty) * SEARCH_CHUNK // BATCH)
        if pool is not None:
            with self._worker_deaths():
                for future in as_completed([pool.submit(index_chunk, args, c) for c in dirty]):
                    future.result()
                    self._indexed(len(dirty))
        else:
            renderer = Renderer(*args)
            try:
                for chunk in dirty:
                    renderer.index(chunk)
                    self._indexed(len(dirty))
            finally:
                renderer.close()
        return keys

    def _indexed(self, dirty: int) -> None:
        self.result.indexed += 1
        self.progress("site:search", self.result.indexed, dirty, "")


def with_pictures(rows: list[IndexRow], marks: dict[str, str]) -> list[IndexRow]:
    """The rows, each entry's revision folded with the pictures its pages show (``marks``),
    so that a page is rendered again when one of its pictures comes or goes."""
    if not marks:
        return rows
    return [
        row._replace(revision=(row.revision << 32) | zlib.crc32(marks[row.uid].encode()))
        if row.uid in marks
        else row
        for row in rows
    ]


def _batches(pages: Iterator[Page]) -> Iterator[list[Page]]:
    """``pages`` in jobs of ``BATCH``."""
    while batch := list(itertools.islice(pages, BATCH)):
        yield batch
