"""The contract of ../shared/acceptance/README.md, points 1-3 (point 4, real Hexo, is in
system/test_hexo.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import yaml
from support.acceptance import publish_acceptance

KEYS = ["title", "categories", "headimg", "author", "comments", "date", "thumbnail"]


def split_post(text: str) -> tuple[dict, str]:
    match = re.match(r"\s*---\n(.*?)\n---\n(.*)", text, re.S)
    assert match, "no front matter"
    return yaml.safe_load(match.group(1)), match.group(2)


def collapse(text: str) -> str:
    return " ".join(text.split())


def as_instant(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    from email.utils import parsedate_to_datetime

    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return parsedate_to_datetime(value)


@pytest.mark.parametrize("route", [False, True], ids=["url", "route"])
def test_point_1_front_matter(shared, server, make_config, route: bool) -> None:
    seed, _ = split_post((shared / "acceptance" / "seed-post.md").read_text("utf-8"))
    post = publish_acceptance(shared, server, make_config, clean=False, route=route)
    data, _ = split_post(post.read_text("utf-8"))
    assert list(data) == list(seed) == KEYS  # exactly the seed's keys: a drop-in
    for key in ("title", "categories", "headimg", "author", "comments", "thumbnail"):
        assert data[key] == seed[key], key
    assert (
        as_instant(data["date"])
        == as_instant(seed["date"])
        == datetime(2021, 4, 1, 0, 12, 7, tzinfo=UTC)
    )


def test_point_1_the_original_link_is_an_opt_in(shared, server, make_config) -> None:
    post = publish_acceptance(
        shared, server, make_config, clean=False, extra_front_matter=["link", "updated"]
    )
    data, _ = split_post(post.read_text("utf-8"))
    assert list(data)[:7] == KEYS and data["link"].startswith("https://finance.sina.com.cn/")


def test_point_1_rfc822_reproduces_the_seed_date(shared, server, make_config) -> None:
    post = publish_acceptance(shared, server, make_config, clean=False, date_format="rfc822")
    assert "\ndate: Thu, 01 Apr 2021 00:12:07 GMT\n" in post.read_text("utf-8")
    # in GMT whatever the site's zone, as the README promises and the reference wrote
    local = publish_acceptance(
        shared,
        server,
        make_config,
        clean=False,
        date_format="rfc822",
        site={"timezone": "Asia/Shanghai"},
    )
    assert "\ndate: Thu, 01 Apr 2021 00:12:07 GMT\n" in local.read_text("utf-8")


def test_point_2_body_is_the_seed_body(shared, server, make_config) -> None:
    _, seed_body = split_post((shared / "acceptance" / "seed-post.md").read_text("utf-8"))
    post = publish_acceptance(shared, server, make_config, clean=False)
    _, body = split_post(post.read_text("utf-8"))
    assert body.strip().startswith("<div>") and body.strip().endswith("</div>")
    assert "{" not in body and "}" not in body
    assert collapse(body) == collapse(seed_body)


def test_point_3_clean_keeps_text_and_image_drops_the_rest(shared, server, make_config) -> None:
    xml = (shared / "acceptance" / "sina-finance.xml").read_text("utf-8")
    paragraphs = re.findall(r"<p[^>]*>(.*?)</p>", xml.split("<item>")[1], re.S)
    post = publish_acceptance(shared, server, make_config, clean=True)
    _, body = split_post(post.read_text("utf-8"))
    for paragraph in paragraphs:
        assert paragraph in body
    images = re.findall(r"<img [^>]*>", body)
    assert any(
        'src="https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"' in img
        and 'referrerpolicy="no-referrer"' in img
        for img in images
    ), images
    assert "<style" not in body and "<!--" not in body and "appendQr_wrap&#123;" not in body
    assert not re.search(r"<script|\son\w+=|javascript:", body, re.I)
