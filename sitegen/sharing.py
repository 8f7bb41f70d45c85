"""Which of a large anthology's manuscripts the build's helper process reads, and sending
them to it. (A small anthology's helper reads it all: see `build`.)

Light to import: `build` uses it before it loads the modules that read or render, and `gather`
imports it, so this one imports `gather` only in the helper (see `_prepare`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import ChapterEntry, Config
from .errors import Diagnostic
from .parallel import Helper, Pending
from .sources import list_manuscripts, manuscript_order

if TYPE_CHECKING:
    from .model import Chapter

WORTH_SPLITTING = 1_000_000
"""Bytes of manuscripts (about a hundred short stories) from which the build shares the
reading and the rendering with its helper process. Below that, the helper reads and analyses
the whole anthology while this process loads the renderers, and renders nothing: sending
chapters back and forth would cost about what it saves."""
HELPER_SHARE = 0.43
"""The share of a large anthology's bytes the helper prepares. Less than half: it also pickles
what it made, while this process is still at its own part, and this process unpickles it."""


@dataclass
class Kept:
    """What the build's helper process keeps from one of its calls to the next: the chapters
    it prepared, by position, until it renders them (see `gather.gather` and
    `render.stage.render`)."""

    chapters: dict[int, Chapter] = field(default_factory=dict)


@dataclass(frozen=True)
class Share:
    """Every manuscript in reading order with its config entry, the problems found listing
    them, and the part of them the helper process is preparing, and keeps, to render them
    later: from index `split` on (none when `split` is the end), its result still to come
    (`theirs`)."""

    order: list[tuple[Path, ChapterEntry | None]]
    found: list[Diagnostic]
    split: int
    theirs: Pending[bytes] | None = None


Listing = tuple[list[tuple[Path, ChapterEntry | None]], list[Diagnostic]]
"""The manuscripts in reading order with their config entries, and the problems found
listing them: `sources.manuscript_order`'s answer."""


def send_share(config: Config, helper: Helper[Kept], listed: Listing | None = None) -> Share:
    """Send the `helper` (if it has a process of its own) its share of the manuscripts the
    build `listed` (else listed here): the last `HELPER_SHARE` of the bytes."""
    if not helper.forked:
        return unshared(config, listed)
    order, found = listed or manuscript_order(config)
    split = _split_point(order)
    if split == len(order):  # nothing to share: no manuscripts, or too few bytes
        return Share(order, found, split)
    theirs = helper.run(_prepare, config, Part(order[split:], split + 1))
    return Share(order, found, split, theirs)


@dataclass(frozen=True)
class Part:
    """The manuscripts sent to the helper, and the number the first of them would have as a
    chapter."""

    manuscripts: list[tuple[Path, ChapterEntry | None]]
    first: int


def unshared(config: Config, listed: Listing | None = None) -> Share:
    """Every manuscript the build `listed` (else listed here), to be prepared in this
    process."""
    order, found = listed or manuscript_order(config)
    return Share(order, found, len(order))


def _prepare(kept: Kept, config: Config, part: Part) -> bytes:
    """In the helper: `gather.prepare_part`, loaded here, as the share arrives."""
    from .gather import prepare_part

    return prepare_part(kept, config, part)


def worth_sharing(config: Config) -> bool:
    """Whether the manuscripts add up to enough work to share their reading and rendering
    with the helper process (see `WORTH_SPLITTING`)."""
    if not config.source_dir.is_dir():
        return False
    return sum(_size(path) for path in list_manuscripts(config.source_dir)) >= WORTH_SPLITTING


def _split_point(order: list[tuple[Path, ChapterEntry | None]]) -> int:
    """Where the manuscripts the helper process prepares begin: at the last `HELPER_SHARE` of
    the bytes; at the end (none) when they are too few to share."""
    sizes = [_size(path) for path, _ in order]
    total = sum(sizes)
    if total < WORTH_SPLITTING:
        return len(order)
    running = 0
    for index, size in enumerate(sizes):
        if running >= total * (1 - HELPER_SHARE):
            return index
        running += size
    return len(order)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone since it was listed: reading it will say so
        return 0
