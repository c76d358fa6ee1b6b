"""Article extraction on the labelled pages of ../shared/data/fulltext, scored as each
benchmark scores itself, with floors a little under what bench/bench_fulltext.py measures
(Zyte token F1 0.959; the trafilatura set's Chinese pages all right)."""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter

import pytest
from support.paths import DATA

from newsstand.extract import extract_article, extract_text

TOKEN = re.compile(r"\w+")


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text)
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


def test_a_chinese_page_gives_its_paragraphs_and_no_boilerplate() -> None:
    page = (DATA / "articles" / "zh-article.html").read_bytes()
    article = extract_article(page, "https://news.example/1.html", "text/html; charset=utf-8")
    assert "此次降准共计释放长期资金约1万亿元" in article.html and article.text_length > 200
    assert article.html.count("<p>") >= 4 and "pboc.jpg" in article.html
    for junk in ("导航菜单", "888元红包", "评论不应出现", "京ICP备", "相关新闻标题"):
        assert junk not in article.html


def test_a_page_in_gbk_named_by_its_server_is_read() -> None:
    page = (DATA / "articles" / "zh-article.html").read_bytes().decode().replace("utf-8", "gbk")
    article = extract_article(page.encode("gb18030"), None, "text/html; charset=GBK")
    assert "此次降准" in article.html


@pytest.mark.slow
@pytest.mark.needs_shared
def test_token_f1_on_the_zyte_pages(shared) -> None:
    folder = shared / "data" / "fulltext"
    precisions, recalls = [], []
    for line in (folder / "zyte_ground_truth.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        body = gzip.decompress((folder / row["html_path"]).read_bytes())
        gold, got = shingles(row["text"]), shingles(extract_text(body, row["url"]))
        tp = sum((gold & got).values())
        if got:
            precisions.append(tp / sum(got.values()))
        if gold:
            recalls.append(tp / sum(gold.values()))
    p, r = statistics.fmean(precisions), statistics.fmean(recalls)
    assert 2 * p * r / (p + r) >= 0.93


@pytest.mark.needs_shared
def test_the_chinese_pages_of_the_trafilatura_set(shared) -> None:
    folder = shared / "data" / "fulltext"
    rows = [json.loads(line) for line in (folder / "trafilatura_snippets.jsonl").open()]
    chinese = [r for r in rows if r.get("lang") == "zh"]
    assert len(chinese) == 3
    for row in chinese:
        body = gzip.decompress((folder / row["html_path"]).read_bytes())
        text = " ".join(extract_text(body, row["url"]).split())
        assert all(" ".join(s.split()) in text for s in row["with"]), row["url"]
        assert not any(" ".join(s.split()) in text for s in row["without"]), row["url"]
