"""Polite concurrent HTTP: the only stage that touches the network.

Building a request (which URLs to try, which validators to send) is kept apart from
handling the response (status, size cap, retries). The HTTP client is aiohttp: it has
global and per-host connection limits built in (``TCPConnector(limit, limit_per_host)``),
connect/read/total timeouts, and decompresses gzip/deflate/br while streaming, so the
size cap below is measured on the decoded body.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import aiohttp

from . import rsshub as conventions
from .config import FetchConfig, RSSHubConfig
from .headers import if_none_match, max_age, moved_to, retry_after
from .model import Feed, Fetched
from .proxies import Proxies, Proxy
from .rsshub import ACCESS_PARAMS, error_of, public_url, route_path, secret_forms, secrets_in

Limits = Mapping[str, int]  # host:port -> requests at a time
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
# a picture: the raster formats the site keeps (never SVG: see publish/picture.py)
ACCEPT_IMAGE = "image/avif, image/webp, image/png, image/jpeg, image/gif;q=0.9, */*;q=0.1"
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 30.0  # seconds: a longer Retry-After is reported, not waited for
CHUNK = 64 * 1024
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
ERROR_BODY_BYTES = 256 * 1024  # read this much of an error answer for the server's message


@dataclass(frozen=True, slots=True)
class Request:
    """What to ask for one feed: candidate URLs in order, and the stored validators.

    ``private`` names query parameters of ``urls`` that are secrets (RSSHub's access key
    or code): they are sent, but every URL and message the fetch returns is without them.
    ``access_key`` (with ``access``, "key" or "code") puts the access parameter back on a
    redirect within the same instance.
    """

    feed_key: str
    urls: tuple[str, ...]
    etag: str | None = None
    last_modified: str | None = None
    private: tuple[str, ...] = ()
    access_key: str | None = field(default=None, repr=False)
    access: str = "key"
    accept: str = ACCEPT  # a feed's; ACCEPT_PAGE for an article page
    referer: str | None = None  # sent as Referer (a picture's host may want one)
    max_bytes: int | None = None  # a size cap of its own, instead of [fetch] max_bytes

    def follow(self, asked: str, location: str) -> str:
        """Where a redirect answering ``asked`` leads. RSSHub's redirects drop the query,
        and so the access parameter: it is put back (the code made for the new path) when
        the redirect stays on the instance, and never sent elsewhere."""
        target = urljoin(asked, location)
        if not (self.access_key and self.private):
            return target
        a, b = urlsplit(asked), urlsplit(target)
        if (a.scheme, a.netloc) != (b.scheme, b.netloc):
            return target
        query = [
            (k, v) for k, v in parse_qsl(b.query, keep_blank_values=True) if k not in self.private
        ]
        path = b.path + ("?" + urlencode(query) if query else "")
        return f"{b.scheme}://{b.netloc}" + route_path(path, (), self.access_key, self.access)


def page_request(
    key: str, url: str, etag: str | None = None, last_modified: str | None = None
) -> Request:
    """The request for an article page (an entry's link), with the validators of its last
    fetch: the same limits, size cap and retries as a feed's."""
    return Request(key, (url,), etag, last_modified, accept=ACCEPT_PAGE)


def image_request(key: str, url: str, referer: str | None, max_bytes: int) -> Request:
    """The request for a picture, with the Referer its host wants (None: none) and the
    pictures' own size cap."""
    return Request(key, (url,), accept=ACCEPT_IMAGE, referer=referer, max_bytes=max_bytes)


def feed_request(
    feed: Feed,
    rsshub: RSSHubConfig,
    instances: Sequence[str] | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Request:
    """The request for one feed: its URLs (``feed_urls``), validators, and for a route the
    access parameters marked private."""
    keyed = bool(feed.route and rsshub.access_key)
    return Request(
        feed.key,
        feed_urls(feed, rsshub, instances),
        etag,
        last_modified,
        ACCESS_PARAMS if keyed else (),
        rsshub.access_key if keyed else None,
        rsshub.access,
    )


class _Redact:
    """Takes a request's secrets out of what a fetch returns: its URLs and its messages."""

    def __init__(self, request: Request) -> None:
        self.private = request.private
        self.urls = [(url, public_url(url, self.private)) for url in request.urls]
        self.secrets = secrets_in(request.urls, self.private)

    def url(self, url: str | None) -> str | None:
        return public_url(url, self.private) if url and self.private else url

    def text(self, text: str) -> str:
        if not self.private:
            return text
        for sent, shown in self.urls:
            text = text.replace(sent, shown)
        for secret in self.secrets:  # in any other form (a URL aiohttp printed its own way)
            for form in secret_forms(secret):
                text = text.replace(form, "***")
        # and a value it was never given (the code made for where a redirect led)
        names = "|".join(re.escape(name) for name in self.private)
        return re.sub(rf"([?&](?:{names})=)[^&#\s'\"]+", r"\1***", text)


def feed_urls(
    feed: Feed, rsshub: RSSHubConfig, instances: Sequence[str] | None = None
) -> tuple[str, ...]:
    """The URLs that serve ``feed``: its URL, or its route on every RSSHub instance in order
    (``instances``: the configured ones in the order to try them)."""
    if feed.url:
        return (feed.url,)
    assert feed.route is not None
    route = route_path(feed.route, feed.rsshub_params, rsshub.access_key, rsshub.access)
    return tuple(instance + route for instance in (instances or rsshub.instances))


# how much a failure tells, most first: an answer that says why, any other answer, a
# response that broke a limit, a connection that broke or timed out, no connection at all
_SAID_WHY, _ANSWERED, _REFUSED, _BROKEN, _UNREACHED = range(5)


class _Failure(Exception):
    """One attempt failed; ``retry`` says whether trying again may help, ``rank`` how much
    it tells (0: the server answered and said why; higher: less was learnt)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry: bool = False,
        wait: float | None = None,
        rank: int = _REFUSED,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry = retry
        self.wait = wait
        self.rank = rank

    def through(self, proxy: Proxy) -> _Failure:
        """The same failure, saying which proxy the request went through."""
        if proxy.shown in str(self):
            return self
        return _Failure(
            f"{self} (through {proxy.shown})",
            status=self.status,
            retry=self.retry,
            wait=self.wait,
            rank=self.rank,
        )


def _combined(failures: dict[str, _Failure]) -> _Failure:
    """One failure for all the URLs tried: the most telling one's status, and every URL's
    error in one line, the most telling first (each message names its URL or host)."""
    ranked = sorted(failures.values(), key=lambda f: f.rank)  # stable: the order tried
    if len(ranked) == 1:
        return ranked[0]
    first = ranked[0]
    waits = [f.wait for f in ranked if f.wait]
    return _Failure(
        "; ".join(str(f) for f in ranked),
        status=first.status,
        retry=any(f.retry for f in ranked),
        wait=max(waits) if waits else None,
        rank=first.rank,
    )


async def _error_body(response: aiohttp.ClientResponse) -> bytes:
    """The start of an error answer's body (where a server says why), or b"" if it cannot
    be read."""
    try:
        return await response.content.read(ERROR_BODY_BYTES)
    except (aiohttp.ClientError, ValueError):
        return b""


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n // 1024} KB"


class Fetcher:
    """Fetches feeds with shared limits. Use as ``async with Fetcher(cfg) as f:``. At most
    ``[fetch] per_host`` requests at a time go to a host, or its own ``host_limits``."""

    def __init__(
        self, config: FetchConfig, *, backoff: float = 1.0, host_limits: Limits | None = None
    ) -> None:
        self.config = config
        self.backoff = backoff
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(config.concurrency)
        self._proxies = Proxies()
        self._host_limits = dict(host_limits or {})
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        key = conventions.host_key(url)
        if key not in self._hosts:
            self._hosts[key] = asyncio.Semaphore(self._host_limits.get(key, self.config.per_host))
        return self._hosts[key]

    async def __aenter__(self) -> Fetcher:
        connector = aiohttp.TCPConnector(
            limit=self.config.concurrency,
            limit_per_host=max([self.config.per_host, *self._host_limits.values()]),
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=self.config.timeout,
                connect=self.config.connect_timeout,
                sock_read=self.config.read_timeout,
            ),
            headers={"User-Agent": self.config.user_agent, "Accept": ACCEPT},
            auto_decompress=True,
            # The environment's proxies, but chosen here (``proxies``): aiohttp's own
            # choice would send loopback requests to the proxy unless no_proxy lists them.
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(self, request: Request) -> Fetched:
        """Fetch one feed: every URL in order, in rounds, with backoff between rounds."""
        started = time.monotonic()
        attempts = 0
        tried: list[tuple[str, bool]] = []
        failures: dict[str, _Failure] = {}  # each URL's last failure, in the order tried
        last: _Failure = _Failure("no URL to fetch")
        redact = _Redact(request)
        async with self._slots:
            for round_ in range(self.config.retries + 1):
                retry_next_round = False
                wait = 0.0
                for url in request.urls:
                    if url in failures and not failures[url].retry:
                        continue  # its answer was final: asking again gets the same
                    attempts += 1
                    try:
                        fetched = await self._attempt(url, request)
                    except _Failure as failure:
                        tried.append((url, False))
                        failures[url] = failure  # keeps its place: the order of urls
                        last = _combined(failures)
                        retry_next_round |= failure.retry
                        if failure.wait:
                            wait = max(wait, failure.wait)
                        continue
                    tried.append((url, True))
                    return replace(
                        fetched,
                        url=redact.url(fetched.url) or "",
                        moved_to=redact.url(fetched.moved_to),
                        attempts=attempts,
                        elapsed=time.monotonic() - started,
                        tried=tuple((redact.url(u) or "", ok) for u, ok in tried),
                    )
                if not retry_next_round or round_ == self.config.retries:
                    break
                if wait > MAX_RETRY_AFTER:
                    last = _Failure(
                        f"{last}; server asks to retry after {wait:.0f} s",
                        status=last.status,
                        wait=last.wait,
                    )
                    break
                delay = wait or self.backoff * (2**round_)
                await asyncio.sleep(delay * random.uniform(1.0, 1.5))
        return Fetched(
            feed_key=request.feed_key,
            url=redact.url(request.urls[-1]) or "" if request.urls else "",
            status=last.status,
            error=redact.text(str(last)),
            retry_after=last.wait,
            attempts=attempts,
            elapsed=time.monotonic() - started,
            tried=tuple((redact.url(u) or "", ok) for u, ok in tried),
        )

    async def _attempt(self, url: str, request: Request) -> Fetched:
        via: list[Proxy | None] = []  # each hop's proxy (None: reached directly)
        try:
            return await self._get(url, request, via)
        except _Failure as failure:
            proxy = via[-1] if via else None
            raise (failure.through(proxy) if proxy else failure) from None

    async def _get(self, url: str, request: Request, via: list[Proxy | None]) -> Fetched:
        assert self._session is not None, "use Fetcher as an async context manager"
        headers = {"Accept": request.accept}
        if request.etag:
            headers["If-None-Match"] = if_none_match(request.etag)
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        if request.referer:
            headers["Referer"] = request.referer
        host = urlsplit(url).netloc or url
        try:
            async with asyncio.timeout(self.config.timeout):
                hops: list[tuple[int, str]] = []  # each redirect: its status, where it led
                asked = url
                while True:
                    proxy = self._proxies.for_url(asked)  # each hop its own: loopback never
                    via.append(proxy)
                    async with (
                        self._host_slot(asked),
                        self._session.get(
                            asked,
                            headers=headers,
                            allow_redirects=False,
                            proxy=proxy.url if proxy else None,
                            proxy_auth=aiohttp.BasicAuth(proxy.user, proxy.password or "")
                            if proxy and proxy.user
                            else None,
                        ) as response,
                    ):
                        location = response.headers.get("Location")
                        if response.status not in REDIRECTS or not location:
                            return await self._handle(url, request, response, hops)
                    if len(hops) == MAX_REDIRECTS:
                        raise _Failure(
                            f"too many redirects (more than {MAX_REDIRECTS}) from {url}",
                            rank=_REFUSED,
                        )
                    asked = request.follow(str(response.url), location)
                    hops.append((response.status, asked))
        except _Failure:
            raise
        except TimeoutError:
            raise _Failure(
                f"timed out after {self.config.timeout:g} s fetching {url}",
                retry=True,
                rank=_BROKEN,
            ) from None
        except aiohttp.ClientProxyConnectionError as exc:
            proxy = via[-1]
            assert proxy is not None
            errno = exc.os_error.errno if exc.os_error else None
            why = os.strerror(errno) if errno else str(exc.os_error or exc)
            raise _Failure(
                f"cannot connect to {proxy.shown}: {why}", retry=True, rank=_UNREACHED
            ) from None
        except aiohttp.ClientHttpProxyError as exc:
            proxy = via[-1]
            assert proxy is not None
            raise _Failure(
                f"{proxy.shown} refused to reach {host}: HTTP {exc.status} {exc.message}".strip(),
                status=exc.status,
            ) from None
        except aiohttp.ClientConnectorError as exc:
            reason = exc.os_error.strerror if exc.os_error else str(exc)
            raise _Failure(
                f"cannot connect to {host}: {reason}", retry=True, rank=_UNREACHED
            ) from None
        except aiohttp.ClientPayloadError:
            raise _Failure(
                f"connection broken while reading {url}", retry=True, rank=_BROKEN
            ) from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            raise _Failure(f"connection to {host} lost: {exc}", retry=True, rank=_BROKEN) from None
        except aiohttp.InvalidURL:
            raise _Failure(f"invalid URL: {url}", rank=_UNREACHED) from None
        except aiohttp.ClientError as exc:
            raise _Failure(f"HTTP error from {host}: {exc}", retry=True, rank=_BROKEN) from None

    async def _handle(
        self,
        url: str,
        request: Request,
        response: aiohttp.ClientResponse,
        hops: Sequence[tuple[int, str]],
    ) -> Fetched:
        status = response.status
        if status == 304:
            return Fetched(
                feed_key=request.feed_key,
                url=str(response.url),
                moved_to=moved_to(hops),
                max_age=max_age(response.headers.get("Cache-Control", "")),
                status=304,
                etag=request.etag,
                last_modified=request.last_modified,
            )
        if status != 200:
            reason = f"HTTP {status} {response.reason or ''}".strip()
            if status == 410:
                reason += " (the feed is gone: it will not be fetched again)"
            said = error_of(await _error_body(response))
            raise _Failure(
                f"{reason} from {url}" + (f": {said}" if said else ""),
                status=status,
                # an error RSSHub reports as the route's own answer is not asked again
                retry=status in RETRY_STATUS and not (said and said.final),
                wait=retry_after(response.headers.get("Retry-After")),
                rank=_SAID_WHY if said else _ANSWERED,
            )
        cap = request.max_bytes or self.config.max_bytes
        declared = response.content_length
        if declared is not None and declared > cap and not response.headers.get("Content-Encoding"):
            raise _Failure(
                f"response is {_size(declared)}, over the {_size(cap)} limit: {url}",
                status=status,
                rank=_REFUSED,
            )
        body = bytearray()
        async for chunk in response.content.iter_chunked(CHUNK):
            body += chunk
            if len(body) > cap:
                raise _Failure(
                    f"response is over the {_size(cap)} limit; cut off: {url}",
                    status=status,
                    rank=_REFUSED,
                )
        return Fetched(
            feed_key=request.feed_key,
            url=str(response.url),
            moved_to=moved_to(hops),
            max_age=max_age(response.headers.get("Cache-Control", "")),
            status=200,
            body=bytes(body),
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
