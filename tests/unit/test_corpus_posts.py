"""Every document of ../shared/corpus through parse -> clean -> a Hexo post: each post has
valid YAML front matter and sits inside its folder."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from newsstand.clean import clean_entry
from newsstand.model import Item
from newsstand.parse import ParseError, parse
from newsstand.publish.hexo import HexoPublisher
from newsstand.store import entry_uid

FIRST_SEEN = datetime(2026, 1, 1, tzinfo=UTC)


def test_every_corpus_item_becomes_a_valid_post(shared: Path, tmp_path: Path) -> None:
    corpus = shared / "corpus"
    manifest = json.loads((corpus / "MANIFEST.json").read_text("utf-8"))
    publisher = HexoPublisher(tmp_path, tz=ZoneInfo("Asia/Shanghai"))
    items: list[Item] = []
    for record in manifest:
        name = record["file"]
        try:
            parsed = parse((corpus / name).read_bytes(), url=f"https://example.com/{name}")
        except ParseError:
            continue
        # the document's own title as the channel: odd names make odd folders
        channel = parsed.title or name
        for entry in parsed.entries:
            entry = clean_entry(entry)
            if entry.published is None:  # the store fills in the first-seen time
                entry = dataclasses.replace(entry, published=FIRST_SEEN)
            items.append(
                Item(
                    uid=entry_uid(name, entry.id),
                    feed_key=name,
                    category="语料",
                    source=record.get("format", "feed"),
                    channel=channel,
                    entry=entry,
                    revision=1,
                )
            )
    assert len(items) > 1500
    result = publisher.publish(items, {}, ())
    assert not result.errors and not result.problems
    assert result.written == len(items)
    root = os.path.realpath(tmp_path)
    for out in result.outputs:
        file = tmp_path / out.path
        assert os.path.realpath(file).startswith(root + os.sep)
        text = file.read_text("utf-8")
        matter = text.split("\n---\n", 1)[0].removeprefix("---\n")
        data = yaml.safe_load(matter)
        assert isinstance(data["title"], str) and data["title"]
        assert data["categories"][0] == "语料" and len(data["categories"]) == 3
        body = text.split("\n---\n", 1)[1]
        assert body.strip().startswith("<div>") and "{" not in body and "}" not in body
