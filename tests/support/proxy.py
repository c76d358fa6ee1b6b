"""A tiny HTTP proxy on 127.0.0.1 that logs every request it gets: an absolute-URI GET for
a host it knows is forwarded to that host's loopback server (``upstream``), any other
gets 502; a CONNECT (an https:// URL) is refused with 403, as a company proxy might."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from newsstand.demo.server import LoopbackHTTPServer


class LoggingProxy:
    """``with LoggingProxy({"feeds.example.test": "http://127.0.0.1:PORT"}) as proxy:``;
    ``proxy.log`` holds ``"GET http://…"`` and ``"CONNECT host:443"`` lines."""

    def __init__(self, upstream: dict[str, str] | None = None) -> None:
        self.upstream = dict(upstream or {})
        self.log: list[str] = []
        self.credentials: list[str] = []  # the Proxy-Authorization headers it was sent
        self._lock = threading.Lock()
        self._httpd = LoopbackHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LoggingProxy:
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _reply(self, status: int, body: bytes = b"", content_type: str = "text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _note(self) -> None:
                with proxy._lock:
                    proxy.log.append(f"{self.command} {self.path}")
                    if self.headers.get("Proxy-Authorization"):
                        proxy.credentials.append(self.headers["Proxy-Authorization"])

            def do_CONNECT(self) -> None:
                self._note()
                self.send_response(403, "Forbidden by policy")
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.close_connection = True

            def do_GET(self) -> None:
                self._note()
                target = urlsplit(self.path)
                base = proxy.upstream.get(target.hostname or "")
                if not target.scheme or base is None:
                    self._reply(502, b"proxy: no route to " + self.path.encode())
                    return
                upstream = urlsplit(base)
                conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
                try:
                    path = target.path + (f"?{target.query}" if target.query else "")
                    conn.request("GET", path, headers={"Accept": self.headers.get("Accept", "")})
                    answer = conn.getresponse()
                    body = answer.read()
                    self._reply(answer.status, body, answer.getheader("Content-Type") or "")
                finally:
                    conn.close()

        return Handler
