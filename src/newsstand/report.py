"""What a run did, for the people and programs that read it: ``RunSummary``, its JSON,
the progress line of each feed, and what goes to the run log."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .fulltext import Articles
from .model import FeedReport, Fetched
from .publish.hexo import PublishResult
from .publish.images import ImagesResult
from .publish.site import SiteResult
from .stories import Grouped

log = logging.getLogger("newsstand.pipeline")


@dataclass
class RunSummary:
    """What a run did: the CLI prints it, ``--json`` emits it."""

    feeds: list[FeedReport] = field(default_factory=list)
    waiting: list[tuple[str, datetime]] = field(default_factory=list)  # not due: feed, when
    wake: datetime | None = None  # when the next feed falls due (None: never)
    published: PublishResult | None = None
    site: SiteResult | None = None
    site_error: str | None = None
    retention_removed: int = 0
    stories: Grouped | None = None  # what story grouping did (None: not run)
    articles: Articles | None = None  # what the full-text pass did (None: not run)
    images: ImagesResult | None = None  # what the image pass did (None: not run)
    elapsed: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase

    def add_warnings(self, warnings: Mapping[str, Sequence[str]]) -> None:
        """Warnings of a later pass (feed key -> lines), added to the feeds' reports."""
        self.feeds = [
            replace(r, warnings=(*r.warnings, *warnings[r.feed_key]))
            if warnings.get(r.feed_key)
            else r
            for r in self.feeds
        ]
        for key, lines in warnings.items():
            for line in lines:
                log.warning("feed %s: %s", key, line)

    @property
    def failed(self) -> list[FeedReport]:
        return [r for r in self.feeds if not r.ok and not r.skipped]

    @property
    def skipped(self) -> list[FeedReport]:
        return [r for r in self.feeds if r.skipped]

    @property
    def changed(self) -> bool:
        """Whether the run stored anything new or removed anything."""
        return bool(self.retention_removed or any(r.new or r.updated for r in self.feeds))

    @property
    def complete(self) -> bool:
        return not (self.published and self.published.errors) and not self.site_error

    def feeds_alarm(self, share: float = 1.0) -> str | None:
        """What to say when at least ``share`` of the feeds this run fetched failed (1.0:
        every one of them; a dead RSSHub), else None. Feeds it skipped do not count."""
        fetched = len(self.feeds) - len(self.skipped)
        failed = len(self.failed)
        if not fetched or failed / fetched < share:
            return None
        if failed == fetched:
            return f"every feed fetched failed ({failed} of {fetched})"
        return f"{failed} of {fetched} feeds fetched failed ([health] run_alert_share = {share:g})"

    def to_json(self) -> dict[str, Any]:
        published = self.published or PublishResult()
        return {
            "feeds": {  # total = ok + failed + skipped + not_due: every enabled feed
                "total": len(self.feeds) + len(self.waiting),
                "fetched": len(self.feeds) - len(self.skipped),
                "ok": len(self.feeds) - len(self.failed) - len(self.skipped),
                "failed": len(self.failed),
                "failures": [
                    {"feed": r.feed_key, "url": r.url, "status": r.status, "reason": r.error}
                    for r in self.failed
                ],
                "skipped": [
                    {"feed": r.feed_key, "reason": r.error, "next_due": r.next_due}
                    for r in self.skipped
                ],
                "not_due": len(self.waiting),
                "waiting": [{"feed": key, "due": when.isoformat()} for key, when in self.waiting],
                "next_due": self.wake.isoformat() if self.wake else None,
            },
            "entries": {
                "new": sum(r.new for r in self.feeds),
                "updated": sum(r.updated for r in self.feeds),
                "removed_by_retention": self.retention_removed,
            },
            "stories": {
                "grouped": self.stories.assigned if self.stories else 0,
                "joined": self.stories.joined if self.stories else 0,
            },
            "articles": {
                "fetched": self.articles.fetched if self.articles else 0,
                "used": self.articles.used if self.articles else 0,
            },
            "images": {
                "fetched": self.images.fetched if self.images else 0,
                "made": self.images.made if self.images else 0,
                "failed": self.images.failed if self.images else 0,
                "refused": self.images.refused if self.images else 0,
                "published": self.images.published if self.images else 0,
                "published_bytes": self.images.published_bytes if self.images else 0,
                "evicted": self.images.evicted if self.images else 0,
            },
            "posts": {
                "written": published.written,
                "unchanged": published.unchanged,
                "removed": published.removed,
                "problems": published.problems,
                "errors": published.errors,
            },
            "site": (
                {"error": self.site_error}
                if self.site_error
                else self.site.to_json()
                if self.site
                else None
            ),
            "warnings": [
                {"feed": r.feed_key, "warning": w} for r in self.feeds for w in r.warnings
            ],
            "elapsed_seconds": round(self.elapsed, 3),
            "phase_seconds": {name: round(t, 3) for name, t in self.phases.items()},
        }

    def log(self) -> None:
        """The run's summary line, and what the posts left undone, in the run log."""
        data = self.to_json()
        log.info(
            "run done in %.1f s: feeds %s, entries %s, posts %s",
            self.elapsed,
            {k: v for k, v in data["feeds"].items() if k not in ("failures", "waiting")},
            data["entries"],
            {k: v for k, v in data["posts"].items() if isinstance(v, int)},
        )
        for problem in self.published.problems if self.published else ():
            log.warning("%s", problem)
        for error in self.published.errors if self.published else ():
            log.warning("%s", error)  # the CLI shows it: not twice on stderr


def log_feed(report: FeedReport, fetched: Fetched) -> None:
    """One feed's fetch in the run log: its failure and warnings, and the details."""
    if not report.ok:
        log.warning(
            "feed %s failed after %d attempt(s) in %.1f s: %s",
            report.feed_key,
            fetched.attempts,
            fetched.elapsed,
            report.error,
        )
    for warning in report.warnings:
        log.warning("feed %s: %s", report.feed_key, warning)
    log.debug(
        "feed %s: HTTP %s from %s, %d bytes, %d new, %d updated",
        report.feed_key,
        report.status,
        report.url,
        len(fetched.body),
        report.new,
        report.updated,
    )


def feed_line(report: FeedReport) -> str:
    """One feed's fetch as the progress shows it."""
    if not report.ok:
        return f"FAIL {report.feed_key}: {report.error}"
    if report.status == 304:
        return f"ok   {report.feed_key}: not modified"
    return f"ok   {report.feed_key}: {report.new} new, {report.updated} updated"
