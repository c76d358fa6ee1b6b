"""``newsstand builder``: the one process of a fleet that writes the posts and the site
(and deploys), elected with a PostgreSQL advisory lock.

Any number of builders may run, on any machines; one leads (it holds the lock, which
PostgreSQL drops the moment its connection ends, however the process ends), the others
wait and take over when it goes. The leader builds at once, then again whenever workers
store new or changed entries (a notification, checked against ``Store.state`` so that a
missed one costs at most ``every`` seconds), waiting ``settle`` seconds first so that a
burst of batches makes one build. A build is the publish pass and the site build of
``run``: every post is written atomically and the site is swapped in whole, so a builder
killed mid-build leaves the site as it was and the next leader finishes the posts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import fulltext, pipeline, stories
from .config import Config
from .publish import images, posts
from .publish.hexo import PublishResult
from .publish.site import SiteResult
from .store import Store, StoreError, open_postgres
from .worker import require_postgres, worker_name
from .workers import Workers

log = logging.getLogger(__name__)

EVERY = 60.0  # seconds: look at the store at least this often
SETTLE = 2.0  # seconds to let a burst of stored batches end before building
POLL = 2.0  # seconds between tries to lead, while another builder leads


@dataclass
class Build:
    """One build, as reported."""

    published: PublishResult
    site: SiteResult | None
    site_error: str | None
    state: str  # the store's change mark it was built from


@dataclass
class Event:
    kind: str  # "waiting" (another builder leads), "leading", "built", "deployed"
    build: Build | None = None
    line: str = ""


class Builder:
    def __init__(
        self,
        config: Config,
        *,
        stop: threading.Event,
        on_event: Callable[[Event], None],
        deploy: Callable[[Config], list[str]] | None = None,
        every: float = EVERY,
        settle: float = SETTLE,
        builds: int | None = None,
    ) -> None:
        require_postgres(config)
        self.config, self.stop, self.on_event = config, stop, on_event
        self.deploy, self.every, self.settle, self.builds = deploy, every, settle, builds
        self.name = worker_name()

    def run(self) -> int:
        """Lead (or wait to) and build until stopped; the number of builds made."""
        made = 0
        with open_postgres(self.config.store.url, lock=False) as store, Workers() as pool:
            store.join(self.name, "builder", socket.gethostname(), os.getpid())
            try:
                waiting = False
                while not store.lead(self.name):
                    if not waiting:
                        self.on_event(Event("waiting", line="another builder leads; waiting"))
                        waiting = True
                    if self.stop.wait(POLL):
                        return made
                self.on_event(Event("leading", line=f"builder {self.name} leads"))
                built: str | None = None
                looked = -self.every
                while not self.stop.is_set():
                    changed = built is None
                    if not changed and store.wait_for_change(1.0):
                        self.stop.wait(self.settle)
                        changed = True
                    if not changed and time.monotonic() - looked < self.every:
                        continue
                    looked = time.monotonic()
                    if store.state() == built:
                        continue
                    build = self._build(store, pool)
                    built = build.state
                    made += 1
                    self.on_event(Event("built", build))
                    if self.deploy is not None and build.site is not None:
                        for line in self.deploy(self.config):
                            self.on_event(Event("deployed", line=line))
                    if self.builds is not None and made >= self.builds:
                        break
            finally:
                try:
                    store.leave(self.name)
                except StoreError as exc:  # the lock goes with the connection anyway
                    log.warning("builder %s could not leave cleanly: %s", self.name, exc)
        return made

    def _build(self, store: Store, pool: Workers) -> Build:
        """The passes after fetching, the posts and the site, as ``run`` makes them."""
        store.sync_feeds(self.config.feeds)
        if fulltext.enabled(self.config):  # pages of the entries the workers stored
            fulltext.run(self.config, store, pool)
        if self.config.stories.enabled:
            stories.update(store, self.config.stories, self.config.feeds)
        if images.wanted(self.config):  # the pictures of what the workers stored
            images.run(self.config, store, pool, self.stop)
        mark = store.state()  # after the passes: what they changed is built now
        published = PublishResult()
        if self.config.hexo.enabled:
            posts.Ledger(store, posts.publisher(self.config)).begin()
            published = pipeline.publish(self.config, store, workers=pool, stop=self.stop)
        site, error = None, None
        if self.config.site_output.enabled:
            site, error = pipeline.build(self.config, workers=pool)
        log.info("builder %s built from %s", self.name, mark)
        return Build(published, site, error, mark)
