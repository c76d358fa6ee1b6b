"""What story grouping compares: a headline (or the start of a text) normalised and cut
into character shingles, Chinese and English alike, and the numbers it states.

- NFKC and lower case: full-width ``０.５％`` is ``0.5%``; a bracketed label at the start
  (``【快讯】``, ``[视频]``) and wire tags (``UPDATE 3-``, ``RPT-``) are dropped.
- Numbers are written one way: ``10,000`` is ``10000``, ``0.50`` is ``0.5``, ``一万`` is
  ``10000``.
- A run of CJK characters gives its character bigrams (Chinese has no spaces between
  words, so words cannot be split on them); the rest gives its character trigrams,
  spaces included, so that word order matters a little and a plural or a possessive
  only a little.

The numbers a text states (not its dates: every outlet's story of the day shares those)
tell apart two events told in the same words: 降准0.5个百分点 and 降息0.25个百分点.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence

LEAD = 120  # characters of the text, after the headline, that are compared too

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_CJK_CHAR = re.compile(f"[{CJK}]")
_LABEL = re.compile(
    r"^[^\S\n]*(?:[【\[［〖（(][^】\]］〗）)\n]{1,8}[】\]］〗）)][^\S\n]*"
    r"|(?:快讯|突发|独家|重磅|最新|视频|图|组图|直播|关注|热点|早报|午报|晚报)[^\S\n]*[:：!！|丨][^\S\n]*"
    r"|(?:update \d+|rpt|breaking|exclusive|corrected|refile)[^\S\n]*[-:][^\S\n]*)+",
    re.IGNORECASE | re.MULTILINE,
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_TRAILING_ZEROS = re.compile(r"(\d+)\.(\d*?)0+(?!\d)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DATE = re.compile(
    r"\d+\s*(?:年|月|日|号|时|分|秒)|\d{1,2}:\d{2}|(?<!\d)(?:19|20)\d{2}(?!\d)"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
)
_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")  # all that may split lines
_TAG = re.compile(r"<[^>]*>")
_HIDDEN = re.compile(r"<(script|style|template|figcaption)\b.*?</\1\s*>", re.S | re.I)
_NOT_WORD = re.compile(r"[^\w.%\n]+|(?<!\d)[.%]|[.](?!\d)|_")
_SPACES = re.compile(r" {2,}| (?=\n)|(?<=\n) ")
_TRILLION = re.compile(r"(\d+(?:\.\d+)?)万亿")
_TEN_THOUSAND = re.compile(r"(\d+)万(?!亿)")

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = re.compile(
    "[一二两三四五六七八九][零〇一二两三四五六七八九十百千]*[十百千][一二三四五六七八九]?"
    "|十[一二三四五六七八九]|[一二两三四五六七八九](?=[万亿])"
)


def _cn_number(match: re.Match[str]) -> str:
    """一千五百 -> 1500, 十五 -> 15, 一(万) -> 1 (万 and 亿 stay: 5000亿 is written so)."""
    total = digit = 0
    for char in match.group(0):
        if char in _UNITS:
            total += (digit or 1) * _UNITS[char]
            digit = 0
        else:
            digit = _DIGITS[char]
    return str(total + digit)


def normalise_all(texts: Sequence[str]) -> list[str]:
    """``normalise`` of many texts at once: each pattern runs once over all of them (a run
    of 10,000 headlines costs one pass, not 10,000 times the set-up)."""
    if not texts:
        return []
    joined = "\n".join(_BREAKS.sub(" ", t) for t in texts)
    joined = unicodedata.normalize("NFKC", joined).lower()
    joined = _LABEL.sub("", joined)
    joined = _CN_NUMBER.sub(_cn_number, joined)
    joined = _THOUSANDS.sub("", joined)
    joined = _TRAILING_ZEROS.sub(lambda m: m[1] + ("." + m[2] if m[2] else ""), joined)
    joined = _TRILLION.sub(lambda m: m[1] + "0000亿", joined)
    joined = _TEN_THOUSAND.sub(lambda m: m[1] + "0000", joined)
    joined = _SPACES.sub(" ", _NOT_WORD.sub(" ", joined))
    out = [t.strip(" ") for t in joined.split("\n")]
    if len(out) != len(texts):  # a pattern crossed a text's end: one at a time instead
        return [normalise_all([t])[0] for t in texts] if len(texts) > 1 else [joined]
    return out


def normalise(text: str) -> str:
    """Lower case, NFKC, no leading label, numbers written one way, punctuation as spaces."""
    return normalise_all([text])[0]


def is_cjk(char: str) -> bool:
    return _CJK_CHAR.match(char) is not None


def shingles(text: str) -> set[str]:
    """The shingles of a normalised text (``sketch.shingle_codes`` makes the same ones):
    CJK character bigrams (a lone CJK character by itself), and the trigrams of the
    text around them, spaces included, at its ends too."""
    padded = f" {text} "
    cjk = [is_cjk(c) for c in padded]
    out: set[str] = set()
    for i in range(len(padded)):
        if cjk[i]:
            if i + 1 < len(padded) and cjk[i + 1]:
                out.add(padded[i : i + 2])
            elif not cjk[i - 1]:
                out.add(padded[i])
        elif i + 2 < len(padded) and not (cjk[i + 1] or cjk[i + 2]):
            out.add(padded[i : i + 3])
    return out


def numbers(text: str) -> frozenset[str]:
    """The numbers a normalised text states, leaving out dates, times and years."""
    return frozenset(_NUMBER.findall(_DATE.sub(" ", text)))


def lead(content: str, limit: int = LEAD) -> str:
    """The first ``limit`` characters of an entry's text (its HTML without tags)."""
    text = " ".join(html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", content[: limit * 20]))).split())
    return text[:limit]
