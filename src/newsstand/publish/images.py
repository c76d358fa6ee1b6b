"""The image pass: the pictures the site shows, fetched once, kept small, within a budget.

After the fetch pass and before the site build (``pipeline.run``, the fleet's builder):

1. **list**: each entry's pictures (its thumbnail, and with ``[images] content`` those in
   its text), once per revision of the entry (``store.save_image_scans``);
2. **fetch**: the pictures the cache lacks, newest entries first, through ``fetch`` with
   the Referer each host wants (``referer_for``), the pictures' own size cap, per-host
   limits, timeouts and retries; each is decoded and re-encoded as a small WebP in the
   run's workers (``picture.make``) and written to the cache (``State.images``) under the
   hash of its bytes. A picture that fails for a passing reason is asked again on the
   next runs (``MAX_ATTEMPTS``); one refused (not a picture, a bomb, an SVG) never;
3. **budget**: the newest entries keep their pictures until ``[images] max_bytes`` is
   reached; the older ones lose theirs (their files leave the cache, their pages fall
   back to the original URLs) and are not fetched again.

The site build publishes the files ``store.set_published`` names; a cached picture is
never asked for again, so an origin that deletes it does not break an old entry.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Config, ImagesConfig
from ..control import stopping
from ..fetch import RETRY_STATUS, Fetcher, image_request
from ..files import write_atomic
from ..model import ImageRecord, Item
from ..store import Store
from ..workers import Workers
from . import picture

log = logging.getLogger(__name__)

# The Referer each image host wants: a host, or ".suffix" for a domain and every host
# under it, and the Referer to send ("": none). [images] referers extends and overrides
# it; any other host gets the entry's own link, then none.
REFERERS: dict[str, str] = {
    # 403 without a Referer since about January 2023: RSSHub issue #11716; the same entry
    # is in Miniflux's internal/reader/rewrite/referer_override.go
    ".sinaimg.cn": "https://weibo.com",
    # the rest of Miniflux's referer_override.go table
    "f.video.weibocdn.com": "https://weibo.com",
    "cdnfile.sspai.com": "https://sspai.com",
    "i.pximg.net": "https://www.pixiv.net",
    "img.hellogithub.com": "https://hellogithub.com",
    "appinn.com": "https://appinn.com",
    "bjp.org.cn": "https://bjp.org.cn",
    "moyu.im": "https://i.jandan.net",
    ".moyu.im": "https://i.jandan.net",
    "www.parkablogs.com": "https://www.parkablogs.com",
    ".cdninstagram.com": "https://www.instagram.com",
    # WeChat and Zhihu pictures show with no Referer (issue 14's survey of RSSHub's and
    # Miniflux's trackers); WeChat answers another site's Referer with a placeholder
    "mmbiz.qpic.cn": "",
    ".zhimg.com": "",
}
MAX_ATTEMPTS = 3  # a picture that failed for a passing reason is asked on this many runs
SAVE_EVERY = 500  # pictures fetched between two saves of their records
MAX_PER_ENTRY = 20  # pictures of an entry's text kept at most
THUMB = 0  # the position of an entry's thumbnail among its pictures
ESTIMATE = picture.AIM  # bytes a picture not fetched yet is counted as, for the budget
OVER_BUDGET = "not kept: the site's pictures fill [images] max_bytes (newer entries first)"
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = re.compile(r"\s(src|width|height)=\"([^\"]*)\"", re.I)
PIXEL = 2  # pixels: an <img> this wide or high is a tracking pixel, not a picture


@dataclass
class ImagesResult:
    """What the pass did."""

    listed: int = 0  # entries whose pictures were listed
    fetched: int = 0  # pictures asked for
    made: int = 0  # files made of them
    failed: int = 0  # not fetched (kept their original URL)
    refused: int = 0  # fetched, not a picture the site keeps
    published: int = 0  # files the site carries
    published_bytes: int = 0
    evicted: int = 0  # files that left the cache for the budget
    warnings: dict[str, list[str]] = field(default_factory=dict)  # feed key -> lines


@dataclass(frozen=True, slots=True)
class _Job:
    url: str
    width: int
    thumbnail: bool
    referer: str | None
    feed_key: str
    old: ImageRecord | None


def referer_for(url: str, link: str | None, table: Sequence[tuple[str, str]] = ()) -> str | None:
    """The Referer to ask for the picture at ``url`` with: the configured table's (``table``:
    host or ".suffix" -> Referer, "" for none), the built-in one's, else the entry's
    ``link``, else none."""
    host = (urlsplit(url).hostname or "").lower()
    for entries in (dict(table), REFERERS):
        if host in entries:
            return entries[host] or None
        suffixes = sorted((k for k in entries if k.startswith(".")), key=len, reverse=True)
        for suffix in suffixes:
            if host.endswith(suffix) or host == suffix[1:]:
                return entries[suffix] or None
    return link or None


def pictures_of(item: Item, content: bool) -> list[str]:
    """An entry's pictures: its thumbnail at ``THUMB`` ("" when it has none), then with
    ``content`` those of its text, each once."""
    urls = [item.entry.thumbnail or ""]
    if content:
        for tag in _IMG.findall(item.entry.content):
            attrs = {k.lower(): v for k, v in _ATTR.findall(tag)}
            if any(
                attrs.get(k, "x").isdigit() and int(attrs[k]) <= PIXEL for k in ("width", "height")
            ):
                continue
            url = html.unescape(attrs.get("src", ""))
            if url.startswith(("http://", "https://")) and url not in urls:
                urls.append(url)
                if len(urls) > MAX_PER_ENTRY:
                    break
    return urls


def cache_path(cache: Path, name: str) -> Path:
    return cache / name[:2] / name  # as State.picture names it


def wanted(config: Config) -> bool:
    """Whether a run makes the pictures: for the site, or for Hexo posts that ask."""
    return config.images.enabled and (
        config.site_output.enabled or (config.hexo.enabled and config.hexo.images == "local")
    )


def run(
    config: Config, store: Store, workers: Workers, stop: threading.Event | None = None
) -> ImagesResult:
    """List, fetch and budget the site's pictures (see the module's text). Once ``stop``
    is set, no further picture is asked for (those asked are kept) and the budget is
    kept as it was."""
    result = ImagesResult()
    settings = config.images
    if not settings.enabled:
        return result
    cache = config.state.images
    _list(store, settings, result)
    uses = store.image_uses()
    records = store.image_records()
    jobs, skipped = _wanted(store, settings, uses, records, cache)
    for start in range(0, len(jobs), SAVE_EVERY):  # kept as they come: a crash loses few
        found = asyncio.run(
            _gather(config, jobs[start : start + SAVE_EVERY], workers, cache, result, stop)
        )
        store.save_image_records(found)
        records.update((r.url, r) for r in found)
        if stopping(stop):
            return result
    if skipped:
        store.save_image_records(skipped)
        records.update((r.url, r) for r in skipped)
    _budget(store, settings, uses, records, cache, result)
    for name in store.forget_unused_images():
        cache_path(cache, name).unlink(missing_ok=True)
    return result


def _list(store: Store, settings: ImagesConfig, result: ImagesResult) -> None:
    """Keep each changed entry's list of pictures (in batches: their text is read)."""
    scanned = "content" if settings.content else "thumbnail"
    if store.get_meta("images_listed") != scanned:  # what is listed changed: all again
        store.forget_image_scans()
        store.set_meta("images_listed", scanned)
    due = store.image_scans_due()
    for start in range(0, len(due), 1000):
        batch = due[start : start + 1000]
        items = {item.uid: item for item in store.items(uid for _, uid, _ in batch)}
        scans = []
        for row, uid, revision in batch:
            item = items.get(uid)
            if item is not None:
                scans.append((row, revision, pictures_of(item, settings.content)))
        store.save_image_scans(scans)
        result.listed += len(scans)


def _wanted(
    store: Store,
    settings: ImagesConfig,
    uses: Sequence[tuple[str, int, str]],
    records: dict[str, ImageRecord],
    cache: Path,
) -> tuple[list[_Job], list[ImageRecord]]:
    """The pictures to fetch, newest entries first, and those not to fetch because the
    budget is full already (counting a picture not fetched yet as large as the cached
    ones are on average, or ``ESTIMATE`` bytes)."""
    sizes = [r.size for r in records.values() if r.name]
    estimate = sum(sizes) // len(sizes) if sizes else ESTIMATE
    cached = _cached(cache)
    counted: set[str] = set()  # URLs and file names already counted
    used = 0
    full = False  # the budget is full: older entries' pictures are not fetched
    wanted: dict[str, tuple[str, bool]] = {}  # url -> (uid, thumbnail)
    late: list[ImageRecord] = []
    for uid, group in _by_entry(uses):  # whole entries, as the budget keeps them
        cost = 0
        fetch: list[tuple[str, bool]] = []
        new: list[str] = []
        for position, url in group:
            if url in wanted and position != THUMB:
                wanted[url] = (wanted[url][0], False)  # shown in a text too: the larger size
            if url in counted:
                continue
            counted.add(url)
            old = records.get(url)
            if old is None:
                cost += estimate
                new.append(url)
                fetch.append((url, position == THUMB))
            elif old.name is not None:
                if old.name not in counted:
                    counted.add(old.name)
                    cost += old.size
                if old.name not in cached:
                    fetch.append((url, position == THUMB))  # the file is gone: again
            elif old.error == OVER_BUDGET:
                cost += old.size or estimate
                fetch.append((url, position == THUMB))
            elif old.retry and old.failures < MAX_ATTEMPTS:
                cost += estimate
                fetch.append((url, position == THUMB))
        if full or used + cost > settings.max_bytes:
            full = True  # this entry's pictures and those of every older one
            late += [ImageRecord(u, _host(u), error=OVER_BUDGET, fetched=_now()) for u in new]
            continue
        used += cost
        for url, thumbnail in fetch:
            wanted[url] = (uid, thumbnail)
    if not wanted:
        return [], late
    items = {item.uid: item for item in store.items({uid for uid, _ in wanted.values()})}
    jobs = []
    for url, (uid, thumbnail) in wanted.items():
        item = items.get(uid)
        link = item.entry.link if item else None
        jobs.append(
            _Job(
                url,
                settings.width if thumbnail else settings.content_width,
                thumbnail,
                referer_for(url, link, settings.referers),
                item.feed_key if item else "",
                records.get(url),
            )
        )
    return jobs, late


def _cached(cache: Path) -> set[str]:
    """The names of the files in the image cache (one listing of each folder)."""
    names: set[str] = set()
    try:
        folders = list(os.scandir(cache))
    except FileNotFoundError:
        return names
    for folder in folders:
        if folder.is_dir():
            names.update(e.name for e in os.scandir(folder.path) if not e.name.startswith("."))
    return names


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def _gather(
    config: Config,
    jobs: Sequence[_Job],
    workers: Workers,
    cache: Path,
    result: ImagesResult,
    stop: threading.Event | None,
) -> list[ImageRecord]:
    pool = workers.for_jobs(len(jobs))
    # a picture at a time per fetch slot, fetched and made: the bodies waiting for a
    # worker stay few, and a stop is seen before each one
    slots = asyncio.Semaphore(config.fetch.concurrency)

    async def one(job: _Job) -> ImageRecord | None:
        async with slots:
            if stopping(stop):
                return None  # asked for on the next run
            return await _one(config, job, fetcher, pool, workers, cache, result)

    async with Fetcher(config.fetch) as fetcher:
        found = await asyncio.gather(*(one(job) for job in jobs))
    return [record for record in found if record is not None]


async def _one(
    config: Config,
    job: _Job,
    fetcher: Fetcher,
    pool: Executor | None,
    workers: Workers,
    cache: Path,
    result: ImagesResult,
) -> ImageRecord:
    record = ImageRecord(job.url, _host(job.url), referer=job.referer, fetched=_now())
    request = image_request(job.url, job.url, job.referer, config.images.max_download)
    fetched = await fetcher.fetch(request)
    result.fetched += 1
    failures = (job.old.failures if job.old and job.old.name is None else 0) + 1
    if not fetched.ok or fetched.not_modified:
        result.failed += 1
        error = fetched.error or f"HTTP {fetched.status}"
        _warn(
            result, job, f"picture {job.url} not fetched ({error}); the page keeps its original URL"
        )
        retry = fetched.status is None or fetched.status in RETRY_STATUS
        return replace(record, error=error, failures=failures, retry=retry)
    made = await _make(fetched.body, job, pool, workers)
    if isinstance(made, picture.Refused):
        result.refused += 1
        _warn(result, job, f"picture {job.url} refused: {made.reason}")
        return replace(record, error=made.reason, failures=failures)
    path = cache_path(cache, made.name)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, made.data)
    result.made += 1
    return replace(
        record, name=made.name, width=made.width, height=made.height, size=len(made.data)
    )


async def _make(
    body: bytes, job: _Job, pool: Executor | None, workers: Workers
) -> picture.Made | picture.Refused:
    loop = asyncio.get_running_loop()
    if pool is not None and not workers.broken:
        try:
            return await loop.run_in_executor(pool, _make_one, body, job.width, job.thumbnail)
        except BrokenProcessPool:
            workers.broken = True
    return await loop.run_in_executor(None, _make_one, body, job.width, job.thumbnail)


def _make_one(body: bytes, width: int, thumbnail: bool) -> picture.Made | picture.Refused:
    return picture.make(body, width, thumbnail=thumbnail)


def _warn(result: ImagesResult, job: _Job, line: str) -> None:
    if job.feed_key:
        result.warnings.setdefault(job.feed_key, []).append(line)
    else:
        log.warning("%s", line)


def _budget(
    store: Store,
    settings: ImagesConfig,
    uses: Sequence[tuple[str, int, str]],
    records: dict[str, ImageRecord],
    cache: Path,
    result: ImagesResult,
) -> None:
    """Publish the pictures of the newest entries within ``max_bytes``; evict the rest."""
    names: set[str] = set()
    urls: list[str] = []
    total = 0
    for _uid, pairs in _by_entry(uses):
        group = [url for _, url in pairs]
        new = {}
        for url in group:
            record = records.get(url)
            if record and record.name and record.name not in names:
                new[record.name] = record.size
        if total + sum(new.values()) > settings.max_bytes:
            break  # this entry and every older one lose their pictures
        total += sum(new.values())
        names.update(new)
        urls.extend(u for u in group if (r := records.get(u)) and r.name)
    evicted = [
        replace(r, name=None, width=0, height=0, error=OVER_BUDGET, published=False)
        for r in records.values()
        if r.name is not None and r.name not in names
    ]
    if evicted:
        store.save_image_records(evicted)
        for name in {r.name for r in records.values() if r.name and r.name not in names}:
            cache_path(cache, name).unlink(missing_ok=True)
        result.evicted = len(evicted)
    published = {r.url for r in records.values() if r.published}
    if published != set(urls) or evicted:
        store.set_published(urls)
    result.published = len(names)
    result.published_bytes = total


def _by_entry(
    uses: Sequence[tuple[str, int, str]],
) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """``uses`` (uid, position, url), an entry's in a row, as (uid, its (position, url)s)."""
    current: str | None = None
    group: list[tuple[int, str]] = []
    for uid, position, url in uses:
        if uid != current:
            if current is not None:
                yield current, group
            current, group = uid, []
        group.append((position, url))
    if current is not None:
        yield current, group
