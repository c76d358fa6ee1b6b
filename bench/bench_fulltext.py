"""Benchmark: article extraction (``newsstand.extract``, trafilatura) on the labelled pages
in ../shared/data/fulltext, scored each set's own way (see that folder's README).

- Zyte's article-extraction benchmark: token F1 over 4-token shingles of ``\\w+`` tokens,
  per-document precision and recall averaged (the benchmark's ``evaluate.py``, restated),
  plus a character-level F1 for CJK text (each CJK character one token).
- trafilatura's set: must/must-not snippets, micro precision/recall/F1, the Chinese pages
  on their own.
- Time per page (median and p95 milliseconds) of the HTML extraction the pass runs, this
  process, one core.

    python bench/bench_fulltext.py [--shared ../shared] [--limit N]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from newsstand.extract import extract_article, extract_text

ROOT = Path(__file__).resolve().parents[1]
TOKEN = re.compile(r"\w+")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")


def shingles(tokens: list[str], n: int = 4) -> Counter[tuple[str, ...]]:
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def char_tokens(text: str) -> list[str]:
    """``\\w+`` tokens, with every CJK character a token of its own."""
    out: list[str] = []
    for token in TOKEN.findall(text):
        if CJK.search(token):
            out.extend(re.findall(rf"{CJK.pattern}|[^{CJK.pattern[1:-1]}]+", token))
        else:
            out.append(token)
    return out


def prf(gold: str, predicted: str, tokenise=TOKEN.findall) -> tuple[float, float, float]:
    """(tp, fp, fn) of one document, divided by their sum (every document weighs the same)."""
    g, p = shingles(tokenise(gold)), shingles(tokenise(predicted))
    tp = sum((g & p).values())
    fp = sum((p - g).values())
    fn = sum((g - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def f1_of(scores: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    precisions = [tp / (tp + fp) if tp + fp else 1.0 for tp, fp, fn in scores if tp + fp > 0]
    recalls = [tp / (tp + fn) if tp + fn else 1.0 for tp, fp, fn in scores if tp + fn > 0]
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def times(label: str, ms: list[float]) -> str:
    if not ms:
        return f"{label}: no pages"
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{label}: {len(ms)} pages, median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms,"
        f" max {ordered[-1]:.1f} ms per page"
    )


def zyte(folder: Path, limit: int | None) -> None:
    rows = [json.loads(line) for line in (folder / "zyte_ground_truth.jsonl").open()]
    rows = rows[:limit] if limit else rows
    scores, char_scores, ms, cjk_ms = [], [], [], []
    for row in rows:
        body = gzip.decompress((folder / row["html_path"]).read_bytes())
        text = extract_text(body, row["url"])
        scores.append(prf(row["text"], text))
        started = time.perf_counter()
        extract_article(body, row["url"])
        elapsed = (time.perf_counter() - started) * 1000
        ms.append(elapsed)
        if CJK.search(row["text"][:2000]):
            char_scores.append(prf(row["text"], text, char_tokens))
            cjk_ms.append(elapsed)
    p, r, f1 = f1_of(scores)
    print(f"zyte: {len(rows)} pages: token F1 {f1:.3f} (precision {p:.3f}, recall {r:.3f})")
    if char_scores:
        p, r, f1 = f1_of(char_scores)
        print(
            f"zyte CJK pages (Japanese, Korean; none Chinese): {len(char_scores)} pages:"
            f" character F1 {f1:.3f} (precision {p:.3f}, recall {r:.3f})"
        )
    print(times("zyte extraction time", ms))
    print(times("zyte CJK pages extraction time", cjk_ms))


def snippets(folder: Path, limit: int | None) -> None:
    rows = [json.loads(line) for line in (folder / "trafilatura_snippets.jsonl").open()]
    rows = rows[:limit] if limit else rows
    counts = {"all": Counter(), "zh": Counter()}
    ms: dict[str, list[float]] = {"all": [], "zh": []}
    cache: dict[str, str] = {}
    for row in rows:
        path = row["html_path"]
        if path not in cache:
            body = gzip.decompress((folder / path).read_bytes())
            cache[path] = " ".join(extract_text(body, row["url"]).split())
            started = time.perf_counter()
            extract_article(body, row["url"])
            elapsed = (time.perf_counter() - started) * 1000
            ms["all"].append(elapsed)
            if row.get("lang") == "zh":
                ms["zh"].append(elapsed)
        text = cache[path]
        for group in ("all", "zh") if row.get("lang") == "zh" else ("all",):
            c = counts[group]
            for snippet in row["with"]:
                c["tp" if " ".join(snippet.split()) in text and text else "fn"] += 1
            for snippet in row["without"]:
                c["fp" if text and " ".join(snippet.split()) in text else "tn"] += 1
    for group, c in counts.items():
        if not sum(c.values()):
            continue
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        acc = (c["tp"] + c["tn"]) / sum(c.values())
        name = "trafilatura set" + (" (Chinese pages)" if group == "zh" else "")
        print(
            f"{name}: {sum(1 for r_ in rows if group == 'all' or r_.get('lang') == 'zh')} URLs:"
            f" snippet F1 {2 * p * r / (p + r) if p + r else 0.0:.3f} (precision {p:.3f},"
            f" recall {r:.3f}, accuracy {acc:.3f})"
        )
    print(times("trafilatura set extraction time", ms["all"]))
    print(times("trafilatura set Chinese pages extraction time", ms["zh"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--limit", type=int, help="only the first N pages of each set")
    args = parser.parse_args()
    folder = args.shared / "data" / "fulltext"
    if not folder.is_dir():
        sys.exit(f"no labelled pages at {folder}")
    print(f"cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.2f} (1 min)")
    zyte(folder, args.limit)
    snippets(folder, args.limit)


if __name__ == "__main__":
    main()
