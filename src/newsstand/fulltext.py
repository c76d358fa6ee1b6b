"""Full text: for feeds that give only a teaser, the article from each entry's page.

A pass of its own after the fetch pass, so that pass stays as it is: the entries that
want their page (``fulltext = true`` on the feed, or ``[fetch] fulltext = "auto"`` and a
short text) are fetched through ``fetch`` (per-host limits, size cap, conditional GET,
retries), the article is extracted in the run's worker processes (``extract``,
trafilatura) and sanitised by ``clean`` like any content, and the store keeps it for the
entry as it is (a changed entry is fetched again). A page that fails, or gives almost no
text, leaves the feed's text in place and says so in the run's warnings.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace

from .clean import clean_html
from .config import Config
from .fetch import RETRY_STATUS, Fetcher, page_request
from .model import ArticleJob, ArticleText, Fetched
from .store import Store
from .workers import Workers

AUTO_SHORT = 500  # characters of text: a shorter entry may be a teaser ("auto")
AUTO_GAIN = 2.0  # "auto" keeps the article when it has at least this many times the text


@dataclass
class Articles:
    """What the pass did."""

    fetched: int = 0  # pages asked for
    used: int = 0  # entries that now show their article
    warnings: dict[str, list[str]] = field(default_factory=dict)  # feed key -> lines


def wanted(config: Config) -> tuple[set[str], set[str]]:
    """(feeds that ask for full text, feeds that take it for short entries)."""
    explicit = {f.key for f in config.enabled_feeds if f.fulltext}
    auto = (
        {f.key for f in config.enabled_feeds if f.fulltext is None}
        if config.fetch.fulltext == "auto"
        else set()
    )
    return explicit, auto


def enabled(config: Config) -> bool:
    return any(wanted(config))


def decide(job: ArticleJob, fetched: Fetched, article_html: str, length: int) -> ArticleText:
    """What to keep of one page: the article, or (``content`` None) the feed's text."""
    from .extract import MIN_TEXT, plain_length

    teaser = plain_length(job.teaser)
    kept = ArticleText(
        job.row,
        job.digest,
        job.link,
        fetched.status,
        None,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
    )
    if length < MIN_TEXT or length <= teaser:
        error = (
            f"article page {job.link} gave almost no text ({length} characters);"
            " kept the feed's text"
        )
        return replace(kept, error=error)
    if not job.explicit and length < AUTO_GAIN * teaser:
        return kept  # the feed's own text will do
    return replace(kept, content=clean_html(article_html, job.link))


def _failed(job: ArticleJob, fetched: Fetched) -> ArticleText:
    retry = fetched.status is None or fetched.status in RETRY_STATUS
    return ArticleText(
        job.row,
        job.digest,
        job.link,
        fetched.status,
        None,
        f"article page not fetched ({fetched.error}); kept the feed's text",
        attempts=job.attempts + 1,
        retry=retry,
    )


def run(config: Config, store: Store, workers: Workers) -> Articles:
    """Fetch and extract the pages that are due; keep what they gave."""
    from .extract import plain_length

    explicit, auto = wanted(config)
    result = Articles()
    if not (explicit or auto):
        return result
    jobs = [
        job
        for job in store.article_jobs(explicit, auto)
        if job.explicit or plain_length(job.teaser) < AUTO_SHORT
    ]
    if not jobs:
        return result
    found = asyncio.run(_gather(config, jobs, workers))
    store.save_articles(found)
    result.fetched = len(jobs)
    result.used = sum(1 for text in found if text.content)
    for job, text in zip(jobs, found, strict=True):
        if text.error:
            result.warnings.setdefault(job.feed_key, []).append(text.error)
    return result


async def _gather(
    config: Config, jobs: Sequence[ArticleJob], workers: Workers
) -> list[ArticleText]:
    pool = workers.for_jobs(len(jobs))
    async with Fetcher(config.fetch) as fetcher:
        return list(await asyncio.gather(*(_one(job, fetcher, pool, workers) for job in jobs)))


async def _one(
    job: ArticleJob, fetcher: Fetcher, pool: Executor | None, workers: Workers
) -> ArticleText:
    from .extract import extract_article

    request = page_request(job.uid, job.link, job.etag, job.last_modified)
    fetched = await fetcher.fetch(request)
    if not fetched.ok:
        return _failed(job, fetched)
    if fetched.not_modified:  # the page as before: its article as before
        if job.previous is not None:
            return ArticleText(
                job.row, job.digest, job.link, 304, job.previous, None, job.etag, job.last_modified
            )
        request = page_request(job.uid, job.link)  # nothing kept of it: ask again in full
        fetched = await fetcher.fetch(request)
        if not fetched.ok:
            return _failed(job, fetched)
    extract = functools.partial(extract_article, fetched.body, fetched.url, fetched.content_type)
    article = None
    if pool is not None and not workers.broken:
        try:
            article = await asyncio.get_running_loop().run_in_executor(pool, extract)
        except BrokenProcessPool:
            workers.broken = True
    if article is None:
        article = extract()
    return decide(job, fetched, article.html, article.text_length)
