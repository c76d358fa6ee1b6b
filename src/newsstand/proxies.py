"""Which proxy a request goes through: the one the environment names for its scheme
(``http_proxy``, ``https_proxy``, or their upper-case forms), unless ``no_proxy`` lists
the host, and never one for a loopback address (127.0.0.0/8, ::1, ``localhost``), as Go
and curl treat them: the demo's own server and an RSSHub on this machine are reached
directly even where a company proxy is set for everything else.

``fetch`` asks ``Proxies.for_url`` before each request, and names the proxy in what a
failure says (``Proxy.shown``: its host and the variable it came from, never a password).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class Proxy:
    """A proxy to send requests through."""

    url: str  # scheme://host:port, without credentials
    variable: str  # the environment variable it came from, e.g. "http_proxy"
    user: str | None = None
    password: str | None = None  # a secret: never in ``url`` or ``shown``

    @property
    def shown(self) -> str:
        """How messages name it: ``the proxy 10.0.0.1:3128 (http_proxy)``."""
        return f"the proxy {urlsplit(self.url).netloc} ({self.variable})"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 (also as ::ffff:127.0.0.1), ``localhost`` and ``*.localhost``."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _parse(value: str, variable: str) -> Proxy:
    if "://" not in value:  # "proxy.corp:3128", as curl accepts it
        value = "http://" + value
    parts = urlsplit(value)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return Proxy(
        url=f"{parts.scheme}://{host}{port}",
        variable=variable,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether ``no_proxy`` lists the host: ``*``, a name (and its subdomains; a leading
    ``.`` or ``*.`` allowed), an address, a network in CIDR form, each with an optional
    ``:port``."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in no_proxy.replace(" ", ",").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, only_port = entry, None
        if entry.startswith("[") and "]" in entry:  # [::1]:8080
            name, _, rest = entry[1:].partition("]")
            only_port = rest[1:] if rest.startswith(":") else None
        elif entry.count(":") == 1:
            name, only_port = entry.split(":")
        if only_port and only_port.isdigit() and port != int(only_port):
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = name.removeprefix("*").lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


class Proxies:
    """The proxies of an environment (``os.environ`` by default), read once."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.by_scheme: dict[str, Proxy] = {}
        for scheme in SCHEMES:
            names = [f"{scheme}_proxy", f"{scheme.upper()}_PROXY"]
            if scheme == "http" and "REQUEST_METHOD" in env:  # a CGI script: HTTP_PROXY
                names.pop()  # is a request header there ("httpoxy"), not a setting
            for name in names:
                if env.get(name, "").strip():
                    self.by_scheme[scheme] = _parse(env[name].strip(), name)
                    break
        self.no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""

    def for_url(self, url: str) -> Proxy | None:
        """The proxy for ``url``, or None to connect directly."""
        parts = urlsplit(url)
        proxy = self.by_scheme.get(parts.scheme.lower())
        host = parts.hostname or ""
        if proxy is None or not host or is_loopback(host):
            return None
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        if self.no_proxy and _bypassed(host, port, self.no_proxy):
            return None
        return proxy
