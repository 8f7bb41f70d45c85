"""What one build can hand to the next, so that `serve` rebuilds only what an edit touched.

`serve` runs the normal build every time (`build(config, cache=...)`); the cache makes each
stage skip the work whose inputs did not change: a manuscript the file system says is as it
was is not read again, and one whose bytes are the same is not parsed again; a chapter's scan
for names, its mentions of people, its links and each character's part in it are kept while
their inputs are equal; a page whose inputs are equal is not rendered again; and the writer compares
the new bytes with the last build's in memory, and stages the new site in the one the last
build replaced. A `build()` without a cache does all the work, and both give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import characters
from .config import ChapterEntry, Config
from .crossrefs import InChapter
from .errors import Diagnostic
from .manuscript import Manuscript, parse
from .memo import Memo
from .model import Anthology, Chapter, ChapterLinks
from .render.prose import ChapterText
from .sources import Read, Source, read_file, read_source
from .stamps import settled
from .writer import Spare, WriteReport

if TYPE_CHECKING:
    from .gather import Prepared


@dataclass(frozen=True)
class Reuse:
    """How much of the last successful build was done again, for `serve` to report."""

    parsed: int  # manuscripts parsed again
    manuscripts: int
    rendered: int  # pages rendered again
    pages: int


@dataclass(frozen=True)
class Written:
    """What the last successful build wrote, and where: the writer's in-memory comparison."""

    out_dir: Path
    outputs: Mapping[str, bytes]


@dataclass
class BuildCache:
    """Everything `build()` may reuse from the previous build of the same anthology."""

    files: Memo[Read] = field(default_factory=Memo)  # by path, while the file is unchanged
    sources: Memo[tuple[Source | None, tuple[Diagnostic, ...]]] = field(default_factory=Memo)
    manuscripts: Memo[Manuscript] = field(default_factory=Memo)
    prepared: Memo[Prepared] = field(default_factory=Memo)  # a manuscript made into a chapter
    chapters: Memo[Chapter] = field(default_factory=Memo)
    pages: Memo[bytes] = field(default_factory=Memo)
    json_lines: Memo[bytes] = field(default_factory=Memo)  # each character's, in characters.json
    editions: Memo[object] = field(default_factory=Memo)  # one slot: see `edition`
    book_chapters: Memo[bytes] = field(default_factory=Memo)  # the EPUB's chapter XHTML
    texts: Memo[ChapterText] = field(default_factory=Memo)  # chapter text, for site and book
    scans: Memo[characters.Scan] = field(default_factory=Memo)  # each chapter's candidate names
    detection: characters.Memos = field(
        default_factory=lambda: characters.Memos(*(Memo() for _ in characters.Memos._fields))
    )  # who is a person; each chapter's mentions of people, and what is made of them
    in_chapters: Memo[InChapter] = field(default_factory=Memo)  # by character and chapter
    parts: Memo[tuple[InChapter, ...]] = field(default_factory=Memo)  # by character
    chapter_links: Memo[ChapterLinks] = field(default_factory=Memo)  # by chapter
    written: Written | None = None
    spare: Spare | None = None  # the site the last write replaced, to stage the next one in
    reuse: Reuse | None = None
    # The digest of the bytes of each manuscript this build read (see `read_manuscript`).
    read: dict[Path, bytes] = field(default_factory=dict)
    # Manuscripts parsed and pages rendered by the builds since the last that finished.
    _unfinished: tuple[int, int] = (0, 0)
    _digests: dict[Path, bytes] = field(default_factory=dict)  # of each file as `_read` read it
    _real: dict[Path, Path] = field(default_factory=dict)  # where a linked manuscript really is
    _config: Config | None = None
    _seen: Config | None = None

    def read_manuscript(self, path: Path) -> Read:
        """`sources.read_manuscript`, without reading the file again while the file system
        says it is as it was (the same size, times and inode), and without decoding it again
        while its bytes are the same.

        A file modified in the last `stamps.SETTLED_NS` is read every time: a second save in
        the same tick of the file system's clock could leave all of its status as it was.
        `read` tells which bytes the build read, by the path it read and, for a manuscript
        linked from elsewhere, the path it really has: `serve` compares them with a file
        reported changed while the build ran, which the system names by the latter.
        """
        status = os.stat(path)
        stamp = (status.st_mtime_ns, status.st_ctime_ns, status.st_size, status.st_ino)
        # An unsettled file's inputs are a new object, equal to nothing: it is always read.
        inputs = stamp if settled(status) else object()
        made = self.files.get(path, inputs, partial(self._read, path))
        self.read[path] = digest = self._digests[path]
        if (real := self._real.get(path)) is not None:
            self.read[real] = digest
        return made

    def _read(self, path: Path) -> Read:
        data, status = read_file(path)
        digest = self._digests[path] = hashlib.sha256(data).digest()
        real = Path(os.path.realpath(path))  # once per version of the file: it takes a while
        if real != path:
            self._real[path] = real
        else:
            self._real.pop(path, None)
        source, found = self.sources.get(path, digest, lambda: _read(path, data))
        return Read(source, found, int(status.st_mtime))

    def prepare(
        self, path: Path, number: int, config: Config, make: Callable[[Read], Prepared]
    ) -> Prepared:
        """`make(read)`, `read` being the manuscript at `path` read through the cache; or the
        one made in an earlier build, while the file reads the same and its number and the
        config (which holds its entry) are as they were. A manuscript taken whole keeps its
        parts in their memos too, for the build where one of those changes."""
        read = self.read_manuscript(path)
        made = self.prepared.made
        settled = self.settled(config)
        # Configs compare without their line numbers, which a problem found here names.
        inputs = (read, number, settled, settled.lines)
        prepared = self.prepared.get(path, inputs, partial(make, read))
        if self.prepared.made == made:
            for memo in (self.sources, self.manuscripts, self.chapters):
                memo.keep(path)
            if prepared.chapter is not None:
                self.scans.keep(prepared.chapter.slug)
        return prepared

    def edition(self, anthology: Anthology) -> object:
        """A token for `anthology` as it is: the same object while each build's anthology is
        equal to the last one's (compared once a build), a new one when anything in it
        changed. A page made by a project's own template is keyed on it (see
        `render.html.edition_or_none`)."""
        return self.editions.get(None, anthology, object)

    def parse(self, source: Source, keep_artifacts: bool) -> Manuscript:
        """`manuscript.parse`, again only when the source's content changed: a file whose
        bytes are as they were is the very Source the last build parsed (see `_read`)."""
        return self.manuscripts.get(
            source.path,
            (source, keep_artifacts),
            lambda: parse(source, keep_artifacts=keep_artifacts),
        )

    def chapter(
        self,
        make: Callable[[int, Manuscript, ChapterEntry | None, Config], Chapter],
        number: int,
        manuscript: Manuscript,
        entry: ChapterEntry | None,
        config: Config,
    ) -> Chapter:
        """`make(number, manuscript, entry, config)`, again only when one of them changed."""
        inputs = (number, manuscript, entry, self.settled(config))
        return self.chapters.get(
            manuscript.source.path, inputs, lambda: make(number, manuscript, entry, config)
        )

    def scan(self, c: int, chapter: Chapter) -> characters.Scan:
        """`characters.scan_chapter`, again only when the chapter's place or text changed."""
        return self.scans.get(
            chapter.slug, (c, chapter.blocks), lambda: characters.scan_chapter(c, chapter)
        )

    def last_written(self, out_dir: Path) -> Mapping[str, bytes] | None:
        """What the last build wrote into `out_dir`, if that is where it wrote."""
        return self.written.outputs if self.written and self.written.out_dir == out_dir else None

    def take_spare(self, out_dir: Path) -> Spare | None:
        """The site the last write into `out_dir` replaced, for the next write to stage in
        (see `writer.Spare`). Taken once: a write that fails leaves nothing known behind."""
        spare, self.spare = self.spare, None
        return spare if self.last_written(out_dir) is not None else None

    def finish(self, out_dir: Path, outputs: Mapping[str, bytes], report: WriteReport) -> None:
        """After a successful build: remember its output, and the site it replaced (which held
        the previous build's), and forget what it no longer uses."""
        previous = self.written
        self.spare = (
            # The replaced site holds the previous build's files and what was someone else's
            # when this build looked, which it carried over.
            Spare(report.retired, previous.outputs, report.kept)
            if report.retired and previous and previous.out_dir == out_dir
            else None
        )
        self.written = Written(out_dir, outputs)
        prepared, pages = self.prepared, self.pages
        parsed, rendered = self._unfinished
        manuscripts, all_pages = prepared.made + prepared.reused, pages.made + pages.reused
        self.reuse = Reuse(
            min(manuscripts, parsed + self.manuscripts.made),
            manuscripts,
            min(all_pages, rendered + pages.made),
            all_pages,
        )
        self._unfinished = (0, 0)
        # Only the files this build read, as the memos keep only them.
        self._digests = {path: d for path, d in self._digests.items() if path in self.read}
        self._real = {path: real for path, real in self._real.items() if path in self.read}
        for memo in self._memos:
            memo.collect()

    def begin(self) -> None:
        """Count what the coming build makes and reuses afresh. What a build that did not
        finish made (one that failed, or that `serve` began again), the next that does counts
        as its own: it is not made again."""
        parsed, rendered = self._unfinished
        self._unfinished = (parsed + self.manuscripts.made, rendered + self.pages.made)
        self.read = {}
        for memo in self._memos:
            memo.made = memo.reused = 0

    @property
    def _memos(self) -> tuple[Memo[Any], ...]:
        return (
            *(self.files, self.sources, self.manuscripts, self.prepared, self.chapters, self.scans),
            *(*self.detection, self.in_chapters, self.parts, self.chapter_links),
            *(self.texts, self.pages, self.json_lines, self.editions, self.book_chapters),
        )

    def settled(self, config: Config) -> Config:
        """The config object the cache already holds when `config` equals it and is written
        on the same lines (a problem found with a chapter names its entry's line): comparing
        two configs costs as much as their chapter lists, so it is done once per build, and
        each chapter's inputs then compare by identity."""
        if config is not self._seen:
            self._seen = config
            held = self._config
            if held is None or config != held or config.lines != held.lines:
                self._config = config
        assert self._config is not None
        return self._config


def _read(path: Path, data: bytes) -> tuple[Source | None, tuple[Diagnostic, ...]]:
    source, found = read_source(path, data)
    return source, tuple(found)
