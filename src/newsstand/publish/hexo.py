"""Hexo posts: every stored item as ``<dir>/<category>/<source>/<channel>/<title>-<id>.md``.

The format is the contract of ``acceptance/seed-post.md``: front matter of exactly its
keys, ``title, categories, headimg, author, comments, date, thumbnail`` (written by a YAML
emitter, never by string formatting), then the item's HTML inside one ``<div>``, with
every character that Hexo's Nunjucks or Markdown would act on written as an entity.
``link`` and ``updated`` are added only when ``[output.hexo] extra_front_matter`` asks:
Hexo and its themes act on them (``link`` makes a "link post" whose title leads to the
original site).
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import yaml

from ..files import digest, read_if_exists, remove_own, safe_segment, write_atomic
from ..model import Item, Output, Post

TARGET = "hexo"
# errors that every further post would hit too: stop at the first
_FOLDER_ERRORS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.ENOTDIR}
)
FORMAT_VERSION = "2"  # bump when the rendered bytes change for the same input
ID_LENGTH = 8
RENDER_BATCH = 1024  # items in flight at once: memory stays flat however many there are

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TAGS = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n[ \t\f\v]*(?=\n)")
_PRE = re.compile(r"<pre\b.*?</pre\s*>", re.IGNORECASE | re.DOTALL)
# Nunjucks reads {{ }}, {% %} and {# #}; Hexo's code-block filter reads ``` fences.
# (Chained str.replace: str.translate is ~20x slower on non-ASCII text.)
_ESCAPES = (("{", "&#123;"), ("}", "&#125;"), ("`", "&#96;"))

# the C emitter, when PyYAML was built with libyaml
_Dumper: type[yaml.SafeDumper | yaml.CSafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_STR, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:bool"
_QUOTED_KEYS = frozenset({"title", "headimg", "thumbnail"})  # single-quoted, as in the seed


def _yaml_node(key: str, value: str | bool | list[str]) -> yaml.Node:
    if isinstance(value, bool):
        return yaml.ScalarNode(_BOOL, "true" if value else "false")
    if isinstance(value, list):
        return yaml.SequenceNode(
            "tag:yaml.org,2002:seq", [yaml.ScalarNode(_STR, v) for v in value], flow_style=False
        )
    return yaml.ScalarNode(_STR, value, style="'" if key in _QUOTED_KEYS else None)


def front_matter(fields: dict[str, str | bool | list[str]]) -> str:
    """YAML for ``fields`` in their order, from PyYAML's emitter.

    Nodes are built directly (PyYAML's generic representer costs 4x the emitting); the
    emitter still quotes whatever would read back as another type (``'true'``, dates)
    or needs escapes (``"a\\0b"``).
    """
    node = yaml.MappingNode(
        "tag:yaml.org,2002:map",
        [(yaml.ScalarNode(_STR, k), _yaml_node(k, v)) for k, v in fields.items()],
        flow_style=False,
    )
    return yaml.serialize(node, Dumper=_Dumper, allow_unicode=True, width=1 << 30)


def display_title(item: Item) -> str:
    """The item's title; for an untitled item, the first words of its text, then its date."""
    title = _CONTROL.sub("", item.entry.title).strip()
    if title:
        return title
    words = " ".join(_TAGS.sub(" ", item.entry.content).split())
    if words:
        return words[:60] + ("…" if len(words) > 60 else "")
    published = item.entry.published
    return published.strftime("%Y-%m-%d %H:%M") if published else "untitled"


def post_folder(item: Item) -> str:
    return "/".join(safe_segment(part) for part in (item.category, item.source, item.channel))


def post_filename(title: str, uid: str, id_length: int = ID_LENGTH) -> str:
    suffix = f"-{uid[:id_length]}.md"
    return safe_segment(title, max_bytes=200 - len(suffix.encode())) + suffix


def format_date(value: datetime, tz: ZoneInfo, style: str) -> str:
    """``iso``: with offset (right in Hexo whose _config.yml has no ``timezone``);
    ``rfc822``: the reference script's style, in GMT; ``local``: wall-clock time in ``tz`` with no
    offset, for Hexo sites whose ``timezone`` is set (Hexo then ignores offsets)."""
    local = value.astimezone(tz)
    if style == "local":
        return local.strftime("%Y-%m-%d %H:%M:%S")
    if style == "rfc822":  # the seed's style, always in GMT: "Thu, 01 Apr 2021 00:12:07 GMT"
        return format_datetime(value.astimezone(UTC), usegmt=True)
    return local.isoformat(timespec="seconds")


def post_body(html: str) -> str:
    """The item HTML as one raw-HTML Markdown block that Hexo passes through untouched.

    A blank line would end the HTML block (and indented lines after it would become code
    blocks), so blank lines go; newlines inside ``<pre>`` become ``&#10;`` so that code
    keeps its lines. Only white space changes, besides the entity escapes.
    """
    html = _CONTROL.sub("", html.replace("\r\n", "\n").replace("\r", "\n"))
    html = _PRE.sub(lambda m: m.group(0).replace("\n", "&#10;"), html)
    html = _BLANK_LINES.sub("", html).strip()
    for char, entity in _ESCAPES:
        html = html.replace(char, entity)
    return f"<div>\n{html}\n</div>\n"


def render_post(
    item: Item,
    *,
    tz: ZoneInfo,
    date_style: str,
    filename: str | None = None,
    extras: Collection[str] = (),
) -> Post:
    """The post of ``item``: the seed's front matter keys, and those of ``extras``
    (``link``, ``updated``) the item has."""
    entry = item.entry
    title = display_title(item)
    front: dict[str, str | bool | list[str]] = {
        "title": title,
        "categories": [item.category, item.source, item.channel],
    }
    if entry.thumbnail:
        front["headimg"] = entry.thumbnail
    front["author"] = _CONTROL.sub("", entry.author or "").strip() or item.source
    front["comments"] = False
    assert entry.published is not None, "stored items always have a date"
    front["date"] = format_date(entry.published, tz, date_style)
    if entry.thumbnail:
        front["thumbnail"] = entry.thumbnail
    if "updated" in extras and entry.updated and entry.updated != entry.published:
        front["updated"] = format_date(entry.updated, tz, date_style)
    if "link" in extras and entry.link:
        front["link"] = entry.link
    matter = front_matter(front)
    path = f"{post_folder(item)}/{filename or post_filename(title, item.uid)}"
    return Post(
        path=path,
        text=f"---\n{matter}---\n\n{post_body(entry.content)}",
        uid=item.uid,
        revision=item.revision,
    )


def _render_job(job: tuple[Item, str | None, ZoneInfo, str, tuple[str, ...]]) -> Post:
    item, filename, tz, date_style, extras = job
    return render_post(item, tz=tz, date_style=date_style, filename=filename, extras=extras)


class _Listings:
    """Which files each folder holds, listed once per folder: one system call per
    folder instead of a failed open per new post."""

    def __init__(self) -> None:
        self._names: dict[Path, set[str]] = {}

    def _of(self, folder: Path) -> set[str]:
        names = self._names.get(folder)
        if names is None:
            try:
                names = set(os.listdir(folder))
            except (FileNotFoundError, NotADirectoryError):
                names = set()
            self._names[folder] = names
        return names

    def has(self, path: Path) -> bool:
        return path.name in self._of(path.parent)

    def add(self, path: Path) -> None:
        self._of(path.parent).add(path.name)


@dataclass
class PublishResult:
    """What a publish changed, and the manifest to remember."""

    written: int = 0
    unchanged: int = 0
    removed: int = 0
    outputs: list[Output] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)  # uids no longer published
    problems: list[str] = field(default_factory=list)  # left alone, one line each
    errors: list[str] = field(default_factory=list)  # could not write, one line each

    def add(self, other: PublishResult) -> None:
        """Count ``other``'s work in with this one's."""
        self.written += other.written
        self.unchanged += other.unchanged
        self.removed += other.removed
        self.outputs += other.outputs
        self.forgotten += other.forgotten
        self.problems += other.problems
        self.errors += other.errors


class HexoPublisher:
    """Keeps ``dir`` in step with the store: one post per stored item, nothing else touched."""

    target = TARGET

    def __init__(
        self,
        directory: Path,
        *,
        tz: ZoneInfo,
        date_style: str = "iso",
        extras: Collection[str] = (),
    ) -> None:
        self.dir = directory
        self.tz = tz
        self.date_style = date_style
        self.extras = tuple(sorted(extras))
        self.fingerprint = hashlib.sha1(
            f"{FORMAT_VERSION}\0{tz}\0{date_style}\0{','.join(self.extras)}".encode()
        ).hexdigest()

    def stale(
        self, revisions: Mapping[str, int], previous: Mapping[str, Output], fresh: bool
    ) -> list[str]:
        """uids whose post must be rendered: new, changed, missing, or written otherwise."""
        root = str(self.dir)
        return [
            uid
            for uid, revision in revisions.items()
            if not fresh
            or (out := previous.get(uid)) is None
            or out.revision != revision
            or not os.path.isfile(os.path.join(root, out.path))
        ]

    def _rendered(
        self, items: Iterable[Item], previous: Mapping[str, Output], executor: Executor | None
    ) -> Iterator[tuple[Item, Post]]:
        """(item, post) pairs, rendered in ``executor``'s workers when one is given."""
        iterator = iter(items)
        while batch := list(itertools.islice(iterator, RENDER_BATCH)):
            jobs = [
                (
                    item,
                    PurePosixPath(old.path).name if (old := previous.get(item.uid)) else None,
                    self.tz,
                    self.date_style,
                    self.extras,
                )
                for item in batch
            ]
            posts = (
                executor.map(_render_job, jobs, chunksize=64)
                if executor
                else map(_render_job, jobs)
            )
            yield from zip(batch, posts, strict=True)

    def publish(
        self,
        items: Iterable[Item],
        previous: Mapping[str, Output],
        gone: Iterable[str],
        on_post: Callable[[], None] | None = None,
        executor: Executor | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> PublishResult:
        """Write ``items`` (the stale ones) and remove the posts of ``gone`` uids.

        Rendering is CPU work and may run in ``executor``'s worker processes; files are
        written here, in order. Stops early, with what it wrote so far, once
        ``should_stop()`` is true or the folder cannot take another file (disk full, not
        writable): one error then says so, rather than one per post.
        """
        result = PublishResult()
        owners = {out.path: uid for uid, out in previous.items()}
        folders = _Listings()
        for item, post in self._rendered(items, previous, executor):
            if should_stop is not None and should_stop():
                return result
            old = previous.get(item.uid)
            if owners.setdefault(post.path, item.uid) != item.uid:  # short ids collided
                name = post_filename(display_title(item), item.uid, id_length=len(item.uid))
                post = render_post(
                    item, tz=self.tz, date_style=self.date_style, filename=name, extras=self.extras
                )
                owners[post.path] = item.uid
            data = post.text.encode("utf-8")
            target = self.dir / post.path
            # Every post's name carries its item's id, so a file at this path is this
            # item's post: on record, or written by a run that died before recording it.
            try:
                current = read_if_exists(target) if folders.has(target) else None
                if current == data:
                    result.unchanged += 1
                else:
                    write_atomic(target, data)
                    folders.add(target)
                    result.written += 1
            except OSError as exc:
                if exc.errno in _FOLDER_ERRORS:
                    result.errors.append(
                        f"cannot write posts to {self.dir}: {exc.strerror or exc} (at {target});"
                        " make room or fix its permissions, then run again"
                    )
                    return result
                result.errors.append(f"cannot write {target}: {exc.strerror or exc}")
                continue
            if old and old.path != post.path:
                remove_own(self.dir, old.path, old.digest)  # the item moved folder
            result.outputs.append(Output(item.uid, post.path, item.revision, digest(data)))
            if on_post:
                on_post()
        for uid in gone:
            old = previous[uid]
            if remove_own(self.dir, old.path, old.digest):
                result.removed += 1
            else:
                result.problems.append(
                    f"{self.dir / old.path}: changed since newsstand wrote it; not removed"
                )
            result.forgotten.append(uid)
        return result
