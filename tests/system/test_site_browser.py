"""A real browser over `newsstand serve`: category path, search, dark mode.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright without its own browser
download. Screenshots go to the test's output folder (pytest's tmp_path, printed).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.articles import LINK, PLACE, TEXT, publish_article
from support.preview import serving

CHROMIUM = os.environ.get("NEWSSTAND_CHROMIUM", "/usr/bin/chromium")  # as conftest.py
TITLE = "集装箱吞吐量"  # words of the article's title and text, searched for


@pytest.fixture
def preview(server, make_config) -> Iterator[str]:
    post = publish_article(server, make_config)
    config_path = post.parents[5] / "newsstand.toml"
    with serving(config_path) as url:
        yield url


@pytest.mark.slow
def test_category_path_search_and_dark_mode(chromium, preview: str, tmp_path: Path) -> None:
    sync_playwright = chromium
    shots = tmp_path / "screenshots"
    shots.mkdir()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900}, color_scheme="light")
            # Errors of the site itself; the article's images live on hosts this machine
            # cannot reach, and fail as they would for any offline reader.
            page.on(
                "console",
                lambda m: (
                    errors.append(m.text)
                    if m.type == "error" and "Failed to load resource" not in m.text
                    else None
                ),
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "response",
                lambda r: (
                    errors.append(f"{r.status} {r.url}")
                    if r.status >= 400 and r.url.startswith(preview)
                    else None
                ),
            )
            page.goto(preview)
            page.screenshot(path=shots / "1-home.png")

            # 新闻 › 示例日报 › 要闻 › the article
            page.locator("nav.nav").get_by_role("link", name=PLACE["category"]).click()
            page.locator("ul.children").get_by_role("link", name=PLACE["source"]).click()
            page.locator("ul.children").get_by_role("link", name=PLACE["channel"]).click()
            page.screenshot(path=shots / "2-channel.png")
            page.locator(".card h2 a").first.click()
            page.wait_for_selector("article.entry")
            assert TEXT in page.locator("article.entry").inner_text()
            assert page.locator(".crumbs").inner_text().split(" › ") == list(PLACE.values())
            assert page.get_by_role("link", name="阅读原文").get_attribute("href") == LINK
            article_url = page.url
            page.screenshot(path=shots / "3-article.png", full_page=True)

            # search from the box in the header
            page.fill("header input[name=q]", TITLE)
            page.press("header input[name=q]", "Enter")
            result = page.locator("#search-results .result a").first
            result.wait_for(timeout=15000)
            assert TITLE in page.locator("#search-results").inner_text()
            # each result says where and when it is from
            where = " › ".join(list(PLACE.values())[1:])
            meta = page.locator("#search-results .result .meta").first.inner_text()
            assert meta == f"{where} · 2021-04-01 00:12", meta
            page.screenshot(path=shots / "4-search.png", full_page=True)
            result.click()
            page.wait_for_selector("article.entry")
            assert page.url == article_url

            # dark mode: follows the system, and the toggle flips it
            def background() -> str:
                return page.evaluate("getComputedStyle(document.body).backgroundColor")

            light = background()
            page.click("#theme-toggle")
            dark = background()
            assert page.evaluate("document.documentElement.dataset.theme") == "dark"
            assert dark != light
            page.screenshot(path=shots / "5-dark.png")
            page.reload()  # the choice is remembered
            assert background() == dark
            system_dark = browser.new_page(color_scheme="dark")
            system_dark.goto(preview)
            assert system_dark.evaluate("getComputedStyle(document.body).backgroundColor") == dark

            # a short page: the footer sits at the bottom of the window, not mid-screen
            page.goto(preview + "search/")
            box = page.locator("footer.foot").bounding_box()
            assert box is not None and abs(box["y"] + box["height"] - 900) <= 1, box
            # the icon a browser asks for, and the manifest a phone reads
            icon = page.request.get(preview + "favicon.ico")
            assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
            manifest = page.request.get(preview + "manifest.webmanifest").json()
            assert manifest["start_url"] == "/" and manifest["icons"]
        finally:
            browser.close()
    assert not errors, errors  # no CSP violation, no script error
    print(f"screenshots: {shots}")
    assert len(list(shots.glob("*.png"))) == 5
