"""A small HTTP server on 127.0.0.1 that serves feeds: for the demo and the tests.

It answers conditional GETs (ETag / Last-Modified -> 304) like a real feed server, and a
route may be a callable for behaviour a test needs (errors, slowness, redirects).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Resource:
    """A response: body and headers. The ETag defaults to a hash of the body."""

    body: bytes
    content_type: str = "application/xml; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False

    def __post_init__(self) -> None:
        if self.etag is None and self.status == 200:
            self.etag = '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


# A route handler gets the request and returns a Resource, or None when it has written
# the response itself (to misbehave on purpose).
Handler = Callable[[BaseHTTPRequestHandler], "Resource | None"]


class FeedServer:
    """``with FeedServer({"/feed": Resource(b"...")}) as server: server.url("/feed")``"""

    def __init__(self, routes: dict[str, Resource | Handler] | None = None, *,
                 port: int = 0) -> None:
        self.routes: dict[str, Resource | Handler] = dict(routes or {})
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str = "") -> str:
        return self.base + path

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                with server._lock:
                    server.hits[path] += 1
                    server.requests.append((self.path, dict(self.headers.items())))
                route = server.routes.get(path)
                if route is None:
                    self._send(Resource(b"not found", "text/plain", status=404))
                    return
                resource = route if isinstance(route, Resource) else route(self)
                if resource is not None:
                    self._send(resource)

            def _send(self, resource: Resource) -> None:
                if resource.status == 200 and self._not_modified(resource):
                    self.send_response(304)
                    if resource.etag:
                        self.send_header("ETag", resource.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = resource.body
                self.send_response(resource.status)
                self.send_header("Content-Type", resource.content_type)
                if resource.gzip:
                    body = gzip.compress(body)
                    self.send_header("Content-Encoding", "gzip")
                if resource.etag:
                    self.send_header("ETag", resource.etag)
                if resource.last_modified:
                    self.send_header("Last-Modified", resource.last_modified)
                for name, value in resource.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def _not_modified(self, resource: Resource) -> bool:
                etag = self.headers.get("If-None-Match")
                if etag and resource.etag:
                    return etag == resource.etag
                since = self.headers.get("If-Modified-Since")
                return bool(since and resource.last_modified == since)

        return _Handler
