"""The Hexo posts of a run: written early, as entries are stored (``EarlyPublish``), then
brought in step with the store by the publish pass (``publish``); and the publisher's
own bookkeeping in the store (``Ledger``)."""

from __future__ import annotations

import logging
import queue
import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from ..config import Config
from ..control import Progress, check, stopping
from ..files import remove_temporary_files, write_atomic
from ..model import Item, Output
from ..store import Store, open_store
from ..workers import BATCH, Workers
from .hexo import TARGET, HexoPublisher, PublishResult

log = logging.getLogger(__name__)


HEXO_PICTURES = "images"  # the Hexo source's folder of the site's pictures
_PICTURE = re.compile(r"[0-9a-f]{32}\.webp")  # a name the image cache gives


def mixed(revision: int, mark: str) -> int:
    """An entry's revision folded with the picture its post shows: the post is written
    again when the picture comes or goes."""
    return (revision << 32) | zlib.crc32(mark.encode())


def local_pictures(config: Config, store: Store) -> dict[str, tuple[str, str]]:
    """With ``[output.hexo] images = "local"``: uid -> (its thumbnail's path in the Hexo
    source, the file in the image cache), for the entries whose thumbnail the site
    publishes; the files are put in ``source/images/`` (and those no longer published
    taken out). Empty otherwise."""
    if config.hexo.images != "local" or not config.images.enabled:
        return {}
    uids = store.picture_marks()
    found: dict[str, tuple[str, str]] = {}
    thumbnails = {item.uid: item.entry.thumbnail for item in store.items(uids)}
    for uid, pictures in store.pictures(uids).items():
        picture = pictures.get(thumbnails.get(uid) or "")
        if picture and config.state.picture(picture[0]).is_file():
            found[uid] = (f"{HEXO_PICTURES}/{picture[0]}", picture[0])
    folder = config.hexo.dir.parent / HEXO_PICTURES
    names = {name for _, name in found.values()}
    if folder.is_dir():
        for path in folder.iterdir():
            if _PICTURE.fullmatch(path.name) and path.name not in names:
                path.unlink()  # a picture of ours the site no longer publishes
    for name in names:
        target = folder / name
        if not target.exists():
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(target, config.state.picture(name).read_bytes())
    return found


def publisher(config: Config) -> HexoPublisher:
    return HexoPublisher(
        config.hexo.dir,
        tz=config.site.tz,
        date_style=config.hexo.date_format,
        extras=config.hexo.extra_front_matter,
    )


class Ledger:
    """What the Hexo publisher notes in the store beside its outputs: the settings its
    posts were written with, and whether a publish was under way (a run killed then may
    have left a temporary file behind)."""

    def __init__(self, store: Store, publisher: HexoPublisher) -> None:
        self.store = store
        self.publisher = publisher

    def previous(self) -> dict[str, Output]:
        return self.store.outputs(TARGET)

    def fresh(self, previous: dict[str, Output]) -> bool:
        """Whether the posts on record were written with the publisher's current settings."""
        return not previous or self.store.get_meta(f"{TARGET}.fingerprint") == (
            self.publisher.fingerprint
        )

    def begin(self) -> None:
        """A publish starts: sweep what an unfinished one left, and note this one."""
        folder = self.publisher.dir
        if self.store.get_meta(f"{TARGET}.unfinished") and folder.is_dir():
            removed = remove_temporary_files(folder)
            if removed:
                log.warning(
                    "removed %d temporary files an interrupted run left in %s", removed, folder
                )
        self.store.set_meta(f"{TARGET}.unfinished", "1")

    def settings_used(self) -> None:
        """Posts are being written with the current settings (early publishing)."""
        self.store.set_meta(f"{TARGET}.fingerprint", self.publisher.fingerprint)

    def end(self, *, complete: bool) -> None:
        """The publish is over (``complete``: every post is in step with the store)."""
        if complete:
            self.settings_used()
        self.store.set_meta(f"{TARGET}.unfinished", "")


class EarlyPublish:
    """Writes the posts of entries as soon as they are stored, from a thread.

    Creating thousands of small files is I/O-bound on most disks; doing it while the
    network and the parse workers are busy hides most of that time. The full publish
    pass that follows finds these posts up to date and handles everything else
    (removals, retention, settings changes). Any failure here only leaves more work
    for that pass.
    """

    BATCH = 512

    def __init__(self, config: Config, stop: threading.Event | None = None) -> None:
        self.config = config
        self._stop = stop
        self.publisher = publisher(config)
        self._queue: queue.SimpleQueue[Sequence[str] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="early-publish", daemon=True)
        self.result = PublishResult()  # what it wrote, counted into the run's summary
        self._ended = False

    def _stopping(self) -> bool:
        return stopping(self._stop)

    def submit(self, uids: Sequence[str]) -> None:
        self._queue.put(uids)

    def _batches(self) -> Iterator[list[str]]:
        """Submitted uids, several submissions at a time, until the end is signalled."""
        batch: list[str] = []
        while True:
            uids = self._queue.get()
            if uids is None:
                break
            batch += uids
            if len(batch) >= self.BATCH or self._queue.empty():
                yield batch
                batch = []
        self._ended = True
        if batch:
            yield batch

    def _run(self) -> None:
        try:
            with open_store(self.config.store.url, lock=False) as store:
                ledger = Ledger(store, self.publisher)
                previous = ledger.previous()
                if ledger.fresh(previous):  # else all is for the full pass
                    ledger.settings_used()
                    for batch in self._batches():
                        result = self.publisher.publish(
                            store.items(batch), previous, (), should_stop=self._stopping
                        )
                        store.save_outputs(TARGET, result.outputs, ())
                        previous.update((out.uid, out) for out in result.outputs)
                        # saved already; an error is the full pass's to meet and report
                        self.result.add(replace(result, outputs=[], errors=[]))
                        if result.errors or self._stopping():
                            break
        except Exception:  # the full pass redoes whatever was not done
            log.warning("early publishing stopped; the publish pass will do it", exc_info=True)
        while not self._ended and self._queue.get() is not None:  # drain to the end
            pass

    def __enter__(self) -> EarlyPublish:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)
        self._thread.join()


def publish(
    config: Config,
    store: Store,
    workers: Workers,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> PublishResult:
    """Bring the Hexo posts in step with the store (every stored item, not only new ones;
    with ``[output.hexo] stories = "first"``, the first entry of each story only).

    Once ``stop`` is set, the post being written is finished, what was written is
    recorded, and Interrupted is raised.
    """
    hexo = publisher(config)
    ledger = Ledger(store, hexo)
    previous = ledger.previous()
    revisions = store.revisions(feed.key for feed in config.feeds)
    if config.hexo.stories == "first" and config.stories.enabled:
        for uid in store.story_followers():  # a story's later entries have no post
            revisions.pop(uid, None)
    local = local_pictures(config, store)
    if local:
        revisions = {
            uid: mixed(revision, local[uid][0]) if uid in local else revision
            for uid, revision in revisions.items()
        }
    stale = hexo.stale(revisions, previous, ledger.fresh(previous))
    gone = [uid for uid in previous if uid not in revisions]
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress and (done % 100 == 0 or done == len(stale)):
            progress("publish", done, len(stale), "")

    should_stop = stop.is_set if stop is not None else None

    def items() -> Iterator[Item]:
        for item in store.items(stale):
            if item.uid in local:  # [output.hexo] images = "local": the site's own copy
                thumbnail = "/" + local[item.uid][0]
                item = replace(
                    item,
                    entry=replace(item.entry, thumbnail=thumbnail),
                    revision=revisions[item.uid],
                )
            yield item

    try:
        result = hexo.publish(
            items(),
            previous,
            gone,
            tick,
            executor=workers.for_jobs(len(stale) // BATCH),
            should_stop=should_stop,
        )
    except BrokenProcessPool:  # render here instead; writes are idempotent
        workers.broken, done = True, 0
        result = hexo.publish(items(), previous, gone, tick, should_stop=should_stop)
    store.save_outputs(TARGET, result.outputs, result.forgotten)
    check(stop)
    if not result.errors:
        ledger.end(complete=True)
    return result
