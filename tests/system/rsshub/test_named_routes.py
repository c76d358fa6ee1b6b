"""Every RSSHub route a user is shown — the starter config, the README, the commands' help
and the demo's config — is served by the real RSSHub: a 404 fails; a route that RSSHub
takes but cannot complete offline (its upstream fetch fails) is fine. A route the
README names as gone is gone."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from importlib import resources

import click
import pytest
from support.paths import ROOT
from support.rsshub import RSSHub

from newsstand.cli import main
from newsstand.demo.sample import demo_config
from newsstand.rsshub import error_of
from newsstand.sources.catalog import fill_template, template_params

# what the README names on purpose as a route that moved away (and must stay gone)
GONE = {"/sina/finance": "the route catalog section: the old docs' path, now moved"}

# a path: /namespace/segments, where a ":" may only begin one (a parameter)
_PATH = re.compile(r"(?<![\w.:/])/[a-z0-9][\w.-]*(?:/:?[\w.{}+*-]+\??)*")
_VALUE = re.compile(r"\b(\w+)=(\S+)")


def help_texts() -> str:
    """Every command's help, as `--help` shows it."""
    texts = []

    def walk(command: click.Command) -> None:
        texts.append(command.help or "")
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(main)
    return "\n".join(texts)


def sources() -> dict[str, str]:
    starter = resources.files("newsstand").joinpath("starter.toml").read_text("utf-8")
    readme = (ROOT / "README.md").read_text("utf-8")
    return {
        "starter.toml": "\n".join(re.findall(r'route = "([^"]+)"', starter)),
        "README.md": "\n".join(re.findall(r"(?<!`)`([^`\n]+)`(?!`)", readme)),  # code spans
        "--help": help_texts(),
        "demo": "\n".join(re.findall(r'route = "([^"]+)"', demo_config("http://127.0.0.1:1"))),
    }


@pytest.fixture(scope="module")
def namespaces(rsshub: RSSHub) -> dict:
    with urllib.request.urlopen(rsshub.url("/api/namespace"), timeout=60) as response:
        return json.loads(response.read())


def named_routes(namespaces: dict) -> dict[str, set[str]]:
    """path -> where it is named, for every path whose first segment is an RSSHub
    namespace; a template is made concrete with the NAME=VALUE pairs beside it."""
    found: dict[str, set[str]] = {}
    for where, text in sources().items():
        for line in text.splitlines():
            values = dict(_VALUE.findall(line))
            for path in _PATH.findall(line):
                if path.split("/")[1] not in namespaces:
                    continue  # /usr/bin/chromium, /api/namespace, the demo's own /demo/...
                if template_params(path):
                    try:
                        path = fill_template(path, values)
                    except KeyError:
                        continue  # a template shown as such: checked by the catalog's tests
                found.setdefault(path, set()).add(where)
    return found


def answer(url: str) -> tuple[int, str | None, str]:
    """Status, the route template RSSHub matched (its X-RSSHub-Route header: None when no
    route serves the path), and what RSSHub said."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers.get("X-RSSHub-Route"), ""
    except urllib.error.HTTPError as exc:
        said = error_of(exc.read())
        return exc.code, exc.headers.get("X-RSSHub-Route"), str(said or "")


def test_every_route_a_user_is_shown_is_served(rsshub: RSSHub, namespaces: dict) -> None:
    named = named_routes(namespaces)
    assert {"starter.toml", "README.md", "--help"} <= set().union(*named.values())
    assert "/sina/finance/china" in named and "/xueqiu/user/8152922548" in named
    dead = {}
    for path, where in sorted(named.items()):
        status, route, said = answer(rsshub.url(path))
        if path in GONE:
            assert status == 404 and route is None, f"{path} is named as gone ({GONE[path]})"
            continue
        # served: it answered, or a route of RSSHub took it and failed for want of what
        # these tests lack (the network: FetchError; a browser: "Could not find Chrome")
        if status == 404 or route is None or (status != 200 and not said):
            dead[path] = (status, route, said, sorted(where))
    assert not dead, dead


def test_the_demo_s_own_routes_are_no_rsshub_namespace(namespaces: dict) -> None:
    """The demo's feeds come from its stand-in (so it runs offline), under a namespace the
    real RSSHub does not have: they cannot be taken for routes of RSSHub, and leaving
    them out above hides no real route."""
    paths = re.findall(r'route = "([^"]+)"', demo_config("http://127.0.0.1:1"))
    assert paths and {p.split("/")[1] for p in paths} == {"demo"}
    assert "demo" not in namespaces
