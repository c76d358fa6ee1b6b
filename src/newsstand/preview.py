"""Local preview: serve the built site on 127.0.0.1 and rebuild it when its inputs change."""

from __future__ import annotations

import functools
import io
import logging
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from .config import Config
from .store import StoreError, is_postgres, open_store

log = logging.getLogger("newsstand.serve")


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 - the base class's own attribute, extended
        **SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".json": "application/json",
        ".xml": "application/xml; charset=utf-8",
        ".html": "text/html; charset=utf-8",
        ".webmanifest": "application/manifest+json",
        ".ico": "image/x-icon",
    }

    def __init__(self, *args: Any, base_path: str, **kwargs: Any) -> None:
        self.base_path = base_path
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        # The site may live under a sub-path ("/repo/"), as on GitHub project pages.
        route = urlsplit(path).path
        if not route.startswith(self.base_path):
            return str(Path(self.directory) / "\0missing")
        return super().translate_path("/" + route[len(self.base_path) :])

    def send_head(self) -> io.BytesIO | BinaryIO | None:
        target = Path(self.translate_path(self.path))
        found = (target / "index.html").is_file() if target.is_dir() else target.is_file()
        page = Path(self.directory) / "404.html"
        if found or not page.is_file():
            return super().send_head()
        body = page.read_bytes()  # the site's own 404 page, as GitHub Pages serves it
        self.send_response(HTTPStatus.NOT_FOUND)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def inputs_mark(config: Config) -> tuple[object, ...]:
    """Changes when the store or a template changes (modification times; a PostgreSQL
    store's own change mark)."""
    db = config.state.db
    paths = [] if is_postgres(config.store.url) else [db, db.with_name(db.name + "-wal")]
    theme = config.site_output.theme_dir
    if theme and theme.is_dir():
        paths += sorted(p for p in theme.rglob("*") if p.is_file())
    marks: tuple[object, ...] = tuple(p.stat().st_mtime if p.exists() else 0.0 for p in paths)
    if is_postgres(config.store.url):
        try:
            with open_store(config.store.url, lock=False) as store:
                marks += (store.state(),)
        except StoreError as exc:  # unreachable for now: serve on, look again later
            log.warning("preview: %s", exc)
            marks += ("unreachable",)
    return marks


class Preview:
    """An HTTP server over the site folder plus a thread that rebuilds on change."""

    def __init__(
        self, config: Config, port: int, rebuild: Callable[[], None] | None, interval: float = 1.0
    ) -> None:
        out = config.site_output
        handler = functools.partial(_Handler, directory=str(out.dir), base_path=out.base_path)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{out.base_path}"
        self.config = config
        self.rebuild = rebuild
        self.interval = interval
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="rebuild", daemon=True)

    def _watch(self) -> None:
        mark = inputs_mark(self.config)
        while not self._stop.wait(self.interval):
            now = inputs_mark(self.config)
            if now != mark and self.rebuild is not None:
                mark = now
                try:
                    self.rebuild()
                except Exception as exc:  # keep serving the last good site
                    log.error("rebuild failed: %s", exc)

    def serve_forever(self) -> None:
        self._watcher.start()
        try:
            self.server.serve_forever()
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        self.server.server_close()
