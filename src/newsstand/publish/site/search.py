"""Full-text search of the site's own: an inverted index written as static files, one
bundle per chunk of entries, which ``static/search.js`` reads.

What is indexed of an entry is what its page shows: the title and the article's text (a
compact page's first words only). Words of letters and digits are tokens, lower-cased;
Chinese, Japanese and Korean text, which has no spaces, is indexed as its single
characters and every pair of neighbouring characters: an entry matches a query when it
holds every pair of it (a lone character, that character), so a word is found wherever
it stands, with no dictionary's segmenter deciding where words end.

A bundle (``search/<n>/``) is ``SHARDS`` postings files, each holding the tokens whose
hash falls in it (a query loads one file per token, not the index), and the entries'
results in files of ``DOCS_PER_FILE``. A posting is ``entry << 1 | in_title``,
delta-encoded. Entries are split into bundles by storage order (``plan.SEARCH_CHUNK``),
so a run with a few new entries rewrites the newest bundle; bundles are written in the
render workers, in parallel. ``search.js`` tokenises a query the same way (``tokens``
and ``shard`` have a twin there: change both).
"""

from __future__ import annotations

import json
import operator
import re
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from ...model import Item

SHARDS = 32  # postings files per bundle
DOCS_PER_FILE = 100  # results per file: the first page of results loads a few
EXCERPT = 120  # characters of an entry's text shown with a result
BUNDLES = "search"  # the site's folder of bundles, beside the search page

# Scripts written without spaces between words: Han (with its extensions and
# compatibility forms), kana, Hangul.
_CJK = re.compile(
    "([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f]+)"
)
_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script


def tokens(text: str) -> set[str]:
    """The index's tokens of ``text``: words, and CJK characters and character pairs."""
    found: set[str] = set()
    for odd, part in enumerate(_CJK.split(unicodedata.normalize("NFKC", text).lower())):
        if odd % 2:
            found.update(part)
            found.update(map(operator.add, part, part[1:]))
        else:
            found.update(_WORD.findall(part))
    return found


def shard(token: str) -> int:
    """FNV-1a over the token's code points, modulo ``SHARDS``."""
    h = 0x811C9DC5
    for char in token:
        h = ((h ^ ord(char)) * 0x01000193) & 0xFFFFFFFF
    return h % SHARDS


def bundle_dir(number: int) -> str:
    return f"{BUNDLES}/{number}"


Doc = tuple[Item, str, str, str]  # an entry, its page's href, its date as shown, its text


def bundle(docs: Sequence[Doc]) -> dict[str, bytes]:
    """The files of one bundle (name -> bytes) for ``docs``, in the order results list
    them when their titles match alike (newest first)."""
    postings: dict[str, list[int]] = {}
    results = []
    for number, (item, href, when, text) in enumerate(docs):
        title = item.entry.title
        in_title = tokens(title)
        for token in tokens(title + " " + text) if text else in_title:
            postings.setdefault(token, []).append(number << 1 | (token in in_title))
        where = item.source if item.channel == item.source else f"{item.source} › {item.channel}"
        short = text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + "…"
        results.append([href, title, where, when, short])
    shards: list[dict[str, list[int]]] = [{} for _ in range(SHARDS)]
    for token, values in postings.items():
        shards[shard(token)][token] = [b - a for a, b in zip([0, *values], values, strict=False)]
    files = {f"{k}.json": _json(s) for k, s in enumerate(shards)}
    for start in range(0, len(results), DOCS_PER_FILE):
        files[f"d{start // DOCS_PER_FILE}.json"] = _json(results[start : start + DOCS_PER_FILE])
    return files


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def clear(site: Path, numbers: Iterable[int]) -> None:
    """Remove bundles ``numbers`` (and the Pagefind bundles of a site built by an earlier
    version)."""
    shutil.rmtree(site / "pagefind", ignore_errors=True)
    for number in numbers:
        shutil.rmtree(site / bundle_dir(number), ignore_errors=True)
