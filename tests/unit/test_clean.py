"""clean: sanitised HTML, checked by parsing the output, not by searching strings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from support.hostile import scan

from newsstand.clean import clean_html

BASE = "https://news.example.com/a/b/post.html"


def assert_safe(html: str) -> None:
    parsed = scan(html)
    for tag, attrs in parsed.tags:
        assert tag not in {
            "script",
            "style",
            "iframe",
            "object",
            "embed",
            "form",
            "meta",
            "base",
            "svg",
            "link",
        }, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style" and name != "srcdoc"
            if name in {"href", "src", "poster", "cite", "action", "formaction"} and value:
                scheme = value.split(":", 1)[0].strip().lower() if ":" in value else ""
                assert scheme not in {"javascript", "vbscript", "data"}, value
    assert not parsed.comments


HOSTILE = """
<p onclick="steal()">text <a href="javascript:alert(1)">js</a> <a href=" JaVaScRiPt:x">js2</a>
<a href="vbscript:msgbox(1)">vb</a></p>
<script>alert(1)</script><style>body{display:none}</style><!-- comment -->
<img src="x.png" onerror="alert(1)"><svg onload="alert(1)"><circle/></svg>
<iframe srcdoc="<script>alert(1)</script>"></iframe>
<meta http-equiv="refresh" content="0;url=https://evil.example/"><base href="https://evil.example/">
<p style="background:url(javascript:alert(1)); width: expression(alert(1))">css</p>
<form action="https://evil.example/"><input name="q"><button>go</button></form>
<object data="x.swf"></object><embed src="x.swf"><math><mi>x</mi></math>
<img src="data:image/svg+xml;base64,PHN2Zz4=">
"""


def test_hostile_html_is_defused() -> None:
    out = clean_html(HOSTILE, BASE)
    assert_safe(out)
    assert "text" in out and "css" in out


def test_article_markup_is_kept_and_marked() -> None:
    html = (
        '<figure><img src="/img/a.jpg" alt="A"><figcaption>cap</figcaption></figure>'
        '<p>para <a href="../other.html">link</a></p><blockquote>q</blockquote>'
        "<ul><li>one</li></ul><pre><code>x = 1</code></pre>"
        "<table><tr><th>h</th></tr><tr><td>d</td></tr></table>"
        '<video src="v.mp4"><source src="v.webm" type="video/webm"></video>'
    )
    parsed = scan(clean_html(html, BASE))
    tags = {tag: attrs for tag, attrs in parsed.tags}
    assert {
        "figure",
        "figcaption",
        "img",
        "p",
        "a",
        "blockquote",
        "ul",
        "li",
        "pre",
        "code",
        "table",
        "tr",
        "th",
        "td",
        "video",
        "source",
    } <= set(tags)
    assert tags["img"]["src"] == "https://news.example.com/img/a.jpg"
    assert tags["img"]["referrerpolicy"] == "no-referrer" and tags["img"]["loading"] == "lazy"
    assert tags["a"]["href"] == "https://news.example.com/a/other.html"
    assert tags["a"]["rel"] == "noopener noreferrer"
    assert tags["source"]["src"] == "https://news.example.com/a/b/v.webm"


def test_lazy_loaded_images_show_their_real_picture() -> None:
    html = '<img src="data:image/gif;base64,R0lGOD" data-src="https://img.example/real.jpg">'
    (img,) = scan(clean_html(html, BASE)).tags
    assert img[1]["src"] == "https://img.example/real.jpg"


def test_the_seed_keeps_its_text_and_image(shared) -> None:
    import re

    xml = (shared / "acceptance" / "sina-finance.xml").read_text("utf-8")
    html = re.search(
        r"<description><!\[CDATA\[(.*?)\]\]></description>", xml.split("<item>")[1], re.S
    ).group(1)
    out = clean_html(html, "https://finance.sina.com.cn/china/")
    assert_safe(out)
    assert "appendQr_wrap{" not in out and "<!--" not in out
    for paragraph in re.findall(r"<p[^>]*>(.*?)</p>", html, re.S):
        assert paragraph in out
    assert 'src="https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"' in out


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("<>/=\"' abcdefghijklmnopqrstuvwxyz:!-&#;")), max_size=200
    )
    | st.lists(
        st.sampled_from(
            [
                "<script>",
                "</script>",
                "<a href=",
                "javascript:",
                "<img src=x onerror=",
                "<svg onload=",
                "<iframe srcdoc=",
                "<style>",
                "<!--",
                "-->",
                '"',
                "'",
                ">",
                "<p>",
                "text",
                "<math>",
                "<a href='  jav&#x09;ascript:x'>",
                "<base href=",
                "<object data=",
                "<form>",
                "data:text/html,",
                "vbscript:",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_any_html_comes_out_safe(html: str) -> None:
    assert_safe(clean_html(html, BASE))


def test_an_image_whose_only_source_was_removed_is_dropped() -> None:
    html = (
        '<p>a<img src="data:image/png;base64,AAAA" alt="x > y">b'
        '<img src="javascript:alert(1)"><img alt="no source"></p>'
        '<p><img src="/kept.png" alt="kept"><img srcset="/2x.png 2x" alt="set"></p>'
    )
    images = [attrs for tag, attrs in scan(clean_html(html, BASE)).tags if tag == "img"]
    assert [i["alt"] for i in images] == ["kept", "set"]
    assert "ab" in clean_html(html, BASE)  # the text around a dropped image stays
