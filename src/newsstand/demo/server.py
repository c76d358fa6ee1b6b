"""A small HTTP server on 127.0.0.1 that serves feeds: for the demo and the tests.

It answers conditional GETs (ETag / Last-Modified -> 304) like a real feed server, and a
route may be a callable for behaviour a test needs (errors, slowness, redirects).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import selectors
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
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


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that stops at once.

    ``shutdown()`` wakes the serving loop through a socket pair instead of waiting out
    ``serve_forever``'s poll interval (up to 0.5 s per server: tests start hundreds), and
    ``server_close()`` ends the connections still open, so that the threads serving
    idle keep-alive connections end too instead of waiting for their client.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._wake, self._waker = socket.socketpair()
        self._stop_asked = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._stopped.clear()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self, selectors.EVENT_READ)
                selector.register(self._wake, selectors.EVENT_READ)
                while not self._stop_asked.is_set():
                    ready = {key.fileobj for key, _ in selector.select(poll_interval)}
                    if self._stop_asked.is_set():
                        break
                    if self._wake in ready:
                        self._wake.recv(64)
                    if self in ready:
                        self._accept()
                    self.service_actions()
        finally:
            self._stop_asked.clear()
            self._stopped.set()

    def _accept(self) -> None:
        """One waiting connection to a handler thread (socketserver's own steps)."""
        try:
            request, client_address = self.get_request()
        except OSError:
            return
        if not self.verify_request(request, client_address):
            self.shutdown_request(request)
            return
        try:
            self.process_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
            self.shutdown_request(request)

    def shutdown(self) -> None:
        """Stop ``serve_forever`` and wait until it has returned (at once, not polled)."""
        self._stop_asked.set()
        with contextlib.suppress(OSError):
            self._waker.send(b"\0")
        self._stopped.wait()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._open_lock:
            still_open = list(self._open)
        for connection in still_open:  # a thread waiting for the next request sees its end
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RD)
        self._wake.close()
        self._waker.close()


# A route handler gets the request and returns a Resource, or None when it has written
# the response itself (to misbehave on purpose).
Handler = Callable[[BaseHTTPRequestHandler], "Resource | None"]


class FeedServer:
    """``with FeedServer({"/feed": Resource(b"...")}) as server: server.url("/feed")``"""

    def __init__(
        self,
        routes: dict[str, Resource | Handler] | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.routes: dict[str, Resource | Handler] = dict(routes or {})
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._httpd = LoopbackHTTPServer((host, port), self._handler_class())
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
        """Stop serving at once; the serving thread has ended when this returns."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
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
