"""`sitegen build`, start to finish: gather, analyse, render, write.

Nothing touches the output folder until the whole anthology has been read, analysed and
rendered in memory, so a problem anywhere leaves the last good site exactly as it was.
"""

from __future__ import annotations

import gc
import os
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from . import characters, parallel
from .config import ChapterEntry, Config
from .crossrefs import link_chapters, link_characters
from .errors import Diagnostic, Severity, SitegenError, error, warning
from .manuscript import Manuscript, parse
from .model import (
    Anthology,
    Chapter,
    Meta,
    count_words,
    reading_minutes,
    teaser,
)
from .render import epub as epub_book
from .render import html, publish
from .render.cover import CoverImage, cover_image
from .render.prose import ChapterTexts
from .slugs import slugify
from .sources import Source, list_manuscripts, read_source, read_sources
from .writer import WriteReport, merge_outputs, write

if TYPE_CHECKING:
    from .cache import BuildCache

WORTH_FORKING = 2_000_000
"""Bytes of book files (about a hundred and twenty short stories) from which compressing them
in a second process, while this one renders the site, saves more than starting one costs."""


@dataclass(frozen=True)
class StageTiming:
    stage: str
    seconds: float
    peak_rss_mb: float


@dataclass(frozen=True)
class BuildResult:
    anthology: Anthology
    diagnostics: tuple[Diagnostic, ...]
    report: WriteReport | None
    timings: tuple[StageTiming, ...]

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)


@dataclass
class _Stopwatch:
    timings: list[StageTiming] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.timings.append(StageTiming(name, time.perf_counter() - start, peak))


def title_from_file(path: Path) -> str:
    """ "003_the_silence.txt" -> "The Silence": drop an order prefix, un-snake, title-case."""
    stem = path.stem
    head, _, rest = stem.partition("_")
    if head.isdigit() and rest:
        stem = rest
    return stem.replace("_", " ").replace("-", " ").strip().title() or path.stem


def make_chapter(
    number: int, manuscript: Manuscript, entry: ChapterEntry | None, config: Config
) -> Chapter:
    source = manuscript.source
    given_title = (entry and entry.title) or manuscript.title
    title = given_title or title_from_file(source.path)
    # A title derived from the file name is not unique ("01_x", "02_x"); the file name is.
    slug = (
        (entry and entry.slug)
        or source.meta("slug")
        or slugify(given_title or source.path.stem)
        or f"chapter-{number}"
    )
    block_words = count_words(manuscript.blocks)
    words = sum(block_words)
    return Chapter(
        number=number,
        slug=slug,
        title=title,
        author=manuscript.author,
        source_name=source.name,
        source_path=source.path,
        blocks=manuscript.blocks,
        block_words=block_words,
        words=words,
        reading_minutes=reading_minutes(words, config.words_per_minute),
        teaser=teaser(manuscript.blocks),
    )


def _parse(source: Source, keep_artifacts: bool) -> Manuscript:
    return parse(source, keep_artifacts=keep_artifacts)


def gather(
    config: Config, cache: BuildCache | None = None
) -> tuple[tuple[Chapter, ...], list[Diagnostic]]:
    """Read and parse every manuscript into chapters, in reading order.

    With a `cache` (kept by `serve` from build to build), only the manuscripts whose bytes
    changed are split into lines, parsed and made into chapters again.
    """
    read, parse_source, chapter_of = read_source, _parse, make_chapter
    if cache is not None:
        read, parse_source = cache.read_source, cache.parse
        chapter_of = partial(cache.chapter, make_chapter)
    sources, found = read_sources(config, read)
    chapters: list[Chapter] = []
    claimed: dict[str, Chapter] = {}
    for source, entry in sources:
        manuscript = parse_source(source, config.keep_artifacts)
        found.extend(manuscript.diagnostics)
        if not manuscript.blocks:
            found.append(  # a warning: a story just started (an empty new file) stops nothing
                warning(
                    "W014",
                    source.path,
                    None,
                    "manuscript has no text yet; left out of the site",
                    "write something, or move the file out of the source folder",
                )
            )
            continue
        chapter = chapter_of(len(chapters) + 1, manuscript, entry, config)
        if chapter.slug in claimed:
            found.append(
                error(
                    "E015",
                    source.path,
                    None,
                    f"chapter URL chapters/{chapter.slug}/ is already taken by "
                    f"{claimed[chapter.slug].source_name}",
                    "give one of them a distinct title or `slug` in the config",
                )
            )
            continue
        claimed[chapter.slug] = chapter
        chapters.append(chapter)
    return tuple(chapters), found


def meta_from(config: Config) -> Meta:
    return Meta(
        title=config.title,
        author=config.author,
        language=config.language,
        description=config.description,
        base_url=config.base_url,
        base_path=config.base_path,
        site_url=config.site_url,
        subjects=config.subjects,
        cname=config.cname,
        updated=source_date(config),
    )


def source_date(config: Config) -> str:
    """When the anthology last changed, as ISO 8601 UTC: `SOURCE_DATE_EPOCH` when set (the
    reproducible-builds convention), else the newest modification time of the config and the
    manuscripts. Identical inputs give the same date, so identical builds give identical bytes.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        inputs = [config.path] if config.path else []
        if config.source_dir.is_dir():
            inputs += list_manuscripts(config.source_dir)
        epoch = str(max((int(p.stat().st_mtime) for p in inputs), default=0))
    moment = datetime.fromtimestamp(int(epoch), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def analyse(
    config: Config, chapters: tuple[Chapter, ...], cache: BuildCache | None = None
) -> tuple[Anthology, list[Diagnostic]]:
    index, found = characters.detect(chapters, config.characters, cache.scans if cache else None)
    anthology = Anthology(
        meta=meta_from(config),
        chapters=chapters,
        characters=index,
        links=link_chapters(chapters, index),
        character_links=link_characters(chapters, index),
    )
    return anthology, found


def checked_gather(
    config: Config, cache: BuildCache | None = None
) -> tuple[tuple[Chapter, ...], list[Diagnostic]]:
    """`gather`, plus the config's own warnings; raises SitegenError if anything is an error."""
    chapters, found = gather(config, cache)
    found = [*config.warnings, *found]
    if not chapters and not any(d.severity is Severity.ERROR for d in found):
        found.append(
            error(
                "E016",
                config.source_dir,
                None,
                "no manuscripts found",
                "add .txt or .md files, one paragraph per line",
            )
        )
    if any(d.severity is Severity.ERROR for d in found):
        raise SitegenError(found)
    return chapters, found


def load(config: Config) -> tuple[Anthology, list[Diagnostic]]:
    """Gather and analyse: the whole anthology as one value, or a SitegenError listing why not."""
    with collector_paused():
        chapters, found = checked_gather(config)
        anthology, analysis = analyse(config, chapters)
    return anthology, [*found, *analysis]


@contextmanager
def collector_paused() -> Iterator[Callable[[], None]]:
    """Keep CPython's cyclic collector from walking the anthology over and over.

    Reading and analysing make millions of small objects and hardly a cycle among them; the
    collector would scan them again and again (a tenth of a 1,000-chapter build). So it is off
    until the model is built; then the model is frozen (never scanned again) and the collector
    runs for the renderers, whose templates do leave cycles behind. The yielded function marks
    that moment. Everything is as before once the build ends, which `serve` relies on.
    """
    enabled = gc.isenabled()
    gc.disable()

    def model_built() -> None:
        gc.freeze()
        if enabled:
            gc.enable()

    try:
        yield model_built
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def build(
    config: Config, *, dry_run: bool = False, epub: bool = True, cache: BuildCache | None = None
) -> BuildResult:
    """Build the site (and, unless `epub` or the config says not to, the EPUB) into
    `config.out_dir`. The EPUB is rendered first: the pages show its size.

    With a `cache` (kept by `serve` from build to build), what did not change since the last
    build is not read, parsed, rendered or compared with the site on disk again; the files
    written are the same, and the replaced site is left beside the new one for the caller to
    remove (`writer.retired_sites`), since that can take longer than the rebuild."""
    with collector_paused() as model_built:
        return _build(config, dry_run=dry_run, epub=epub, cache=cache, model_built=model_built)


def _build(
    config: Config,
    *,
    dry_run: bool,
    epub: bool,
    cache: BuildCache | None,
    model_built: Callable[[], None],
) -> BuildResult:
    clock = _Stopwatch()
    with clock.stage("read+parse"):
        chapters, found = checked_gather(config, cache=cache)
    with clock.stage("characters+links"):
        anthology, analysis = analyse(config, chapters, cache)
        found.extend(analysis)
    model_built()
    texts = ChapterTexts(anthology, cache.texts if cache else None)
    wants_book = config.epub and epub
    # The book's cover, when there is a book, is also the picture a shared link shows.
    cover = cover_image(anthology.meta, config) if wants_book else None
    with clock.stage("render"):
        site, book = _render(anthology, config, texts, cover, cache=cache)
    if book:
        found.extend(epub_book.epub_warnings(anthology, config))
    outputs = merge_outputs(site, book)
    outputs = merge_outputs(outputs, publish.render_publish(anthology, outputs, cover))
    report = None
    if not dry_run:
        with clock.stage("write"):
            report = write(
                outputs,
                config.out_dir,
                protected=_protected(config),
                sealed=_sealed(config),
                last_written=cache.last_written(config.out_dir) if cache else None,
                keep_retired=cache is not None,
            )
        if cache is not None:
            cache.finish(config.out_dir, outputs)
    return BuildResult(anthology, tuple(found), report, tuple(clock.timings))


def _render(
    anthology: Anthology,
    config: Config,
    texts: ChapterTexts,
    cover: CoverImage | None,
    *,
    cache: BuildCache | None,
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The site's files and, when there is a `cover` to make a book with, the book's, each
    `{path: bytes}`. A large book's files are compressed in a second process while this one
    renders the site (see `parallel`)."""
    pages = cache.pages if cache else None
    if cover is None:
        return html.render_site(anthology, config, cache=pages, texts=texts), {}
    files = epub_book.book_files(
        anthology, config, cache=cache.book_chapters if cache else None, texts=texts
    )
    zipped = parallel.start(
        partial(epub_book.zip_book, files),
        fork=sum(len(data) for data in files.values()) >= WORTH_FORKING,
    )
    try:
        download = html.Download(epub_book.file_name(anthology))
        site = html.render_site(
            anthology, config, epub=download, image=cover.name, cache=pages, texts=texts
        )
    except BaseException:
        zipped.cancel()
        raise
    book = zipped.result()
    return html.show_size(site, len(book)), {download.path: book}


def _sealed(config: Config) -> tuple[Path, ...]:
    """Folders the output may not be inside: the build reads them, so it would read itself."""
    return (config.source_dir, config.templates_dir, config.theme_dir)


def _protected(config: Config) -> tuple[Path, ...]:
    """Folders the output may never be, nor contain: losing them would lose the writer's work."""
    return (config.root, *_sealed(config))
