"""Feed health as ``newsstand status`` shows it: which feeds are sick, and why.

Reads what the fetches recorded in the store (last attempt and success, failures in a
row, last error and HTTP status, entries stored, when a resting feed is due again) and
orders it sick feeds first. Nothing here fetches or writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from . import schedule
from .config import Config
from .model import FeedRecord, FeedState, WorkerRecord
from .store import Store, StoreError, is_postgres, open_postgres, open_store

# the order of the table: the sickest first
STATES = ("gone", "failing", "never fetched", "disabled", "ok")


@dataclass(frozen=True, slots=True)
class FeedHealth:
    feed: str
    category: str
    source: str
    channel: str
    state: str  # one of STATES
    failures: int = 0  # consecutive
    last_attempt: str | None = None  # ISO 8601, UTC
    last_success: str | None = None
    http_status: int | None = None
    last_error: str | None = None
    entries: int = 0
    next_due: str | None = None  # a resting feed is not fetched before this
    moved_to: str | None = None
    interval_minutes: float | None = None  # how often it is fetched (hints and floor applied)
    next_fetch: str | None = None  # when a run fetches it next (None: the next run)


@dataclass(frozen=True, slots=True)
class Fleet:
    """The workers of a PostgreSQL store, and how late they pick up due feeds."""

    workers: tuple[WorkerRecord, ...]
    lag_p50: float | None  # seconds from due to claimed, over the last hour's claims
    lag_p95: float | None
    claims: int  # claims in the last hour
    due_now: int  # feeds due that no worker holds


@dataclass(frozen=True, slots=True)
class ImageCache:
    """The image cache: its files, what the site publishes of them, and the hosts whose
    pictures fail (host, pictures failing, the latest error)."""

    files: int
    bytes: int
    published: int
    published_bytes: int
    max_bytes: int  # [images] max_bytes
    failing: tuple[tuple[str, int, str], ...]


@dataclass(frozen=True, slots=True)
class HealthReport:
    feeds: tuple[FeedHealth, ...]
    alert_share: float
    fleet: Fleet | None = None  # PostgreSQL stores only
    images: ImageCache | None = None  # None: no store yet, or [images] enabled = false

    @property
    def failing(self) -> int:
        return sum(f.state in ("gone", "failing") for f in self.feeds)

    @property
    def checked(self) -> int:
        """Feeds that count towards the share: enabled ones."""
        return sum(f.state != "disabled" for f in self.feeds)

    @property
    def share(self) -> float:
        return self.failing / self.checked if self.checked else 0.0

    @property
    def alert(self) -> bool:
        """Whether enough feeds fail that a scheduler should tell someone."""
        return self.checked > 0 and self.share >= self.alert_share

    def to_json(self) -> dict[str, object]:
        return {
            "feeds": [asdict(f) for f in self.feeds],
            "total": len(self.feeds),
            "failing": self.failing,
            "failing_share": round(self.share, 3),
            "alert_share": self.alert_share,
            "alert": self.alert,
            **({"fleet": asdict(self.fleet)} if self.fleet is not None else {}),
            **({"images": asdict(self.images)} if self.images is not None else {}),
        }


def _state(record: FeedRecord | None, enabled: bool) -> str:
    if not enabled:
        return "disabled"
    if record is None or record.last_attempt is None:
        return "never fetched"
    if record.gone_since:
        return "gone"
    return "failing" if record.failures else "ok"


def feed_health(config: Config, *, missing_ok: bool = False) -> HealthReport:
    """The health of every configured feed, sick feeds first.

    Raises StoreError when the store is unusable, or when there is none yet (nothing has
    run) unless ``missing_ok`` (every feed then "never fetched").
    """
    records: dict[str, FeedRecord] = {}
    states: dict[str, FeedState] = {}
    fleet = None
    images = None
    if is_postgres(config.store.url):
        with open_postgres(config.store.url, lock=False) as pg:
            records = {record.key: record for record in pg.feed_records()}
            states = pg.states()
            fleet = Fleet(tuple(pg.workers()), *pg.claim_lag(), due_now=pg.unclaimed())
            images = _images(config, pg)
    elif config.state.db.exists():
        with open_store(config.store.url, lock=False) as store:
            records = {record.key: record for record in store.feed_records()}
            states = store.states()
            images = _images(config, store)
    elif not missing_ok:
        raise StoreError(f"no store at {config.state.db} yet: run `newsstand run` first")
    plan = schedule.plan(config.enabled_feeds, states, config.fetch, datetime.now(UTC))
    next_fetch = {feed.key: when.isoformat() for feed, when in plan.waiting}
    next_fetch.update((r.feed_key, r.next_due) for r in plan.skipped if r.next_due)
    feeds = []
    for feed in config.feeds:
        record = records.get(feed.key)
        state = _state(record, feed.enabled)
        sick = state in ("gone", "failing")
        when = next_fetch.get(feed.key)
        every = schedule.interval(feed, config.fetch, states.get(feed.key))
        feeds.append(
            FeedHealth(
                feed=feed.key,
                category=feed.category,
                source=feed.source,
                channel=feed.channel,
                state=state,
                failures=record.failures if record else 0,
                last_attempt=record.last_attempt if record else None,
                last_success=record.last_success if record else None,
                http_status=record.last_status if record else None,
                last_error=record.last_error if record and sick else None,
                entries=record.entries if record else 0,
                next_due=record.next_due if record and state == "failing" else None,
                moved_to=record.moved_to if record else None,
                interval_minutes=round(every.total_seconds() / 60, 1) if feed.enabled else None,
                next_fetch=when if feed.enabled and state != "gone" else None,
            )
        )
    feeds.sort(key=lambda f: (STATES.index(f.state), -f.failures, f.feed))
    return HealthReport(tuple(feeds), config.health.alert_share, fleet, images)


def _images(config: Config, store: Store) -> ImageCache | None:
    if not config.images.enabled:
        return None
    files, size, published, published_size, failing = store.image_stats()
    return ImageCache(
        files, size, published, published_size, config.images.max_bytes, tuple(failing)
    )
