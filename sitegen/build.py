"""`sitegen build`, start to finish: gather, analyse, render, write.

Nothing touches the output folder until the whole anthology has been read, analysed and
rendered in memory, so a problem anywhere leaves the last good site exactly as it was. With
two cores or more, a large build shares its work with processes forked at the start
(see `parallel`): nothing they do changes a byte of what is written.
"""

from __future__ import annotations

import gc
import os
import pickle
import re
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import TemplateError

from . import characters, parallel
from .config import CONFIG_NAME, ChapterEntry, Config
from .crossrefs import link_chapters, link_characters
from .errors import (
    Diagnostic,
    Severity,
    SitegenError,
    error,
    raised_by_template,
    template_diagnostic,
    warning,
)
from .manuscript import Manuscript, parse, shown_text
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
from .render.prose import ChapterText, ChapterTexts, MentionMark, mention_marks, render_blocks
from .slugs import slugify
from .sources import Read, Source, list_manuscripts, manuscript_order, read_manuscript
from .writer import WriteReport, merge_outputs, write

if TYPE_CHECKING:
    from .cache import BuildCache


@dataclass(frozen=True)
class StageTiming:
    """How long one stage of a build took, and the process's peak memory after it."""

    stage: str
    seconds: float
    peak_rss_mb: float


@dataclass(frozen=True)
class BuildResult:
    """What a build made and found: the anthology, every diagnostic, what was written."""

    anthology: Anthology
    diagnostics: tuple[Diagnostic, ...]
    report: WriteReport | None
    timings: tuple[StageTiming, ...]

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)


@dataclass
class _Stopwatch:
    """Times the stages of one build, for `--verbose` and the benchmark."""

    timings: list[StageTiming] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.timings.append(StageTiming(name, time.perf_counter() - start, peak))


ORDER_PREFIX = re.compile(r"\d+[\s._-]+(?=\S)")  # "003_", "01-", "1. "
MINOR_WORDS = frozenset(  # not capitalised inside a title
    ("a", "an", "and", "as", "at", "but", "by", "for", "in", "nor", "of", "on", "or", "the", "to")
)


def title_from_file(path: Path) -> str:
    """ "003_the_weight_of_leaving.txt" -> "The Weight of Leaving": drop an order prefix,
    un-snake, and capitalise the words written in lower case but the minor ones inside the
    title; a word with a capital already ("USA", "McKay") and an apostrophe's "s" are kept."""
    words = ORDER_PREFIX.sub("", path.stem, count=1).replace("_", " ").replace("-", " ").split()
    last = len(words) - 1
    return (
        " ".join(
            word[:1].upper() + word[1:]
            if word.islower() and not (0 < at < last and word in MINOR_WORDS)
            else word
            for at, word in enumerate(words)
        )
        or path.stem
    )


def make_chapter(
    number: int, manuscript: Manuscript, entry: ChapterEntry | None, config: Config
) -> Chapter:
    source = manuscript.source
    configured = entry.title if entry and entry.title else None
    given_title = configured or manuscript.title
    # Typeset as a `# Title` line is: curly quotes, its markup dropped.
    title = (shown_text(configured) if configured else manuscript.title) or title_from_file(
        source.path
    )
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
        source_name=_source_name(source.path, config),
        source_path=source.path,
        blocks=manuscript.blocks,
        block_words=block_words,
        words=words,
        reading_minutes=reading_minutes(words, config.words_per_minute),
        teaser=teaser(manuscript.blocks),
        aliases=entry.aliases if entry else (),
    )


def _source_name(path: Path, config: Config) -> str:
    """How the config names a manuscript: its path in the source folder (`part-one/a.txt`)."""
    if path.parent == config.source_dir:
        return path.name
    try:
        return path.relative_to(config.source_dir).as_posix()
    except ValueError:  # named in the config by a path that leaves the folder
        return path.name


def _parse(source: Source, keep_artifacts: bool) -> Manuscript:
    return parse(source, keep_artifacts=keep_artifacts)


def _differ(title: str, other: str | None) -> bool:
    """Whether a title as written in the config differs from the manuscript's own, once both
    are typeset alike, in more than case."""
    return other is not None and shown_text(title).casefold() != other.casefold()


def _title_replaced(manuscript: Manuscript, title: str) -> Diagnostic:
    return warning(
        "W017",
        manuscript.source.path,
        manuscript.title_line,
        f"the manuscript's title \u201c{manuscript.title}\u201d is not shown: the config names"
        f" this chapter \u201c{shown_text(title)}\u201d",
        "keep one of the two titles",
    )


@dataclass(frozen=True)
class Prepared:
    """One manuscript made into the chapter numbered `chapter.number`, its names scanned; or
    only the problems found on the way (no `chapter` when the file could not be read, or has
    no text yet: `empty`)."""

    path: Path
    diagnostics: tuple[Diagnostic, ...]
    modified: int  # when the file last changed (see `sources.Read`)
    chapter: Chapter | None = None
    scan: characters.Scan | None = None
    empty: bool = False
    url_from: tuple[Path, int | None] | None = None  # where the chapter's URL is decided

    def renumbered(self, number: int) -> Prepared | None:
        """The same chapter as number `number`; None if its URL came from its number
        (`chapter-3`, for a manuscript with no title at all), and it must be made again."""
        chapter, scan = self.chapter, self.scan
        if chapter is None or scan is None or chapter.slug == f"chapter-{chapter.number}":
            return None
        moved = characters.moved(scan, number - 1)
        return replace(self, chapter=replace(chapter, number=number), scan=moved)


@dataclass(frozen=True)
class Steps:
    """How a manuscript file becomes a chapter: the plain functions, or with a `cache` (kept by
    `serve` from build to build) the same ones memoised, so that only manuscripts whose bytes
    changed are split into lines, parsed, made into chapters and scanned again."""

    config: Config
    read: Callable[[Path], Read] = read_manuscript
    parse: Callable[[Source, bool], Manuscript] = _parse
    chapter: Callable[[int, Manuscript, ChapterEntry | None, Config], Chapter] = make_chapter
    scan: Callable[[int, Chapter], characters.Scan] = characters.scan_chapter

    @classmethod
    def of(cls, config: Config, cache: BuildCache | None) -> Steps:
        if cache is None:
            return cls(config)
        chapter = partial(cache.chapter, make_chapter)
        return cls(config, cache.read_manuscript, cache.parse, chapter, cache.scan)

    def prepare(self, number: int, path: Path, entry: ChapterEntry | None) -> Prepared:
        source, read_found, modified = self.read(path)
        if source is None:
            return Prepared(path, read_found, modified)
        manuscript = self.parse(source, self.config.keep_artifacts)
        found = [*read_found, *manuscript.diagnostics]
        if not manuscript.blocks:
            return Prepared(path, tuple(found), modified, empty=True)
        chapter = self.chapter(number, manuscript, entry, self.config)
        if entry and entry.title and _differ(entry.title, manuscript.title):
            found.append(_title_replaced(manuscript, entry.title))
        scan = self.scan(number - 1, chapter)
        url_from = _url_from(source, manuscript, entry, self.config)
        return Prepared(path, tuple(found), modified, chapter, scan, url_from=url_from)


def _url_from(
    source: Source, manuscript: Manuscript, entry: ChapterEntry | None, config: Config
) -> tuple[Path, int | None]:
    """The file and line a chapter's URL comes from, in the order `make_chapter` looks: the
    config's `slug`, the front matter's, the config's title, the manuscript's; else its name."""

    def in_config(key: str) -> tuple[Path, int | None] | None:
        if entry is None or config.path is None or not getattr(entry, key):
            return None
        return config.path, entry.lines.line("chapters", entry.index, key)

    in_front_matter = (source.path, source.meta_line("slug")) if source.meta("slug") else None
    return (
        in_config("slug")
        or in_front_matter
        or in_config("title")
        or (source.path, manuscript.title_line)
    )


WORTH_SPLITTING = 1_000_000
"""Bytes of manuscripts (about a hundred short stories) from which the build shares its work
with helper processes: below that, starting them costs about what they save."""
HELPER_SHARE = 0.43
"""The share of the manuscripts' bytes the helper prepares. Less than half: it also pickles
what it made, while this process is still at its own part, and this process unpickles it."""


@dataclass
class Kept:
    """What the build's helper process keeps from one of its calls to the next: the chapters
    it prepared, by position, until it renders them (see `gather` and `_render`)."""

    chapters: dict[int, Chapter] = field(default_factory=dict)


@dataclass(frozen=True)
class Gathered:
    """Every manuscript made into a chapter and scanned, ready for the analysis."""

    chapters: tuple[Chapter, ...]  # in reading order
    scans: tuple[characters.Scan, ...]  # one per chapter
    found: list[Diagnostic]
    modified: int  # when the newest manuscript last changed (see `sources.Read`); 0 if none
    kept: frozenset[int] = frozenset()  # positions of the chapters the helper process holds


def gather(
    config: Config, cache: BuildCache | None = None, helper: parallel.Helper[Kept] | None = None
) -> Gathered:
    """Read, parse and scan every manuscript into chapters, in reading order; each chapter's
    scan (see `characters.scan_chapter`) goes with it to the analysis.

    A large anthology is shared with the build's `helper` process: it prepares the later
    manuscripts, numbered as if every earlier one made a chapter, sends them here and keeps
    them, to render them later. One whose number turns out otherwise (an earlier manuscript
    was empty, or clashed) is renumbered here, and rendered here too.
    """
    helper = helper or parallel.Helper(Kept(), fork=False)
    if helper.forked and cache is not None:
        raise ValueError("a cache's memos must be filled here, not in a helper process")
    order, found = manuscript_order(config)
    steps = Steps.of(config, cache)
    chapters: list[Chapter] = []
    scans: list[characters.Scan] = []
    claimed: dict[str, Chapter] = {}
    modified = 0

    def take(prepared: Prepared, entry: ChapterEntry | None) -> bool:
        """Add the chapter, if it made one; whether it did."""
        nonlocal modified
        modified = max(modified, prepared.modified)
        found.extend(prepared.diagnostics)
        if prepared.empty:
            found.append(  # a warning: a story just started (an empty new file) stops nothing
                warning(
                    "W014",
                    prepared.path,
                    None,
                    "manuscript has no text yet; left out of the site",
                    "write something, or move the file out of the source folder",
                )
            )
        if prepared.chapter is None or prepared.scan is None:
            return False
        chapter = prepared.chapter
        if taken := [slug for slug in (chapter.slug, *chapter.aliases) if slug in claimed]:
            found.append(
                error(
                    "E015",
                    *(prepared.url_from or (prepared.path, None)),
                    f"chapter URL chapters/{taken[0]}/ of {chapter.source_name} is already "
                    f"taken by {claimed[taken[0]].source_name}",
                    "give one of them a distinct title, `slug` or alias in the config",
                )
            )
            return False
        claimed.update(dict.fromkeys((chapter.slug, *chapter.aliases), chapter))
        chapters.append(chapter)
        scans.append(prepared.scan)
        if entry is None and config.chapters:
            found.append(
                warning(
                    "W012",
                    prepared.path,
                    None,
                    "not listed in the config's chapters",
                    "published after the listed chapters; add a [[chapters]] entry",
                )
            )
        return True

    split = _split_point(order) if helper.forked else len(order)
    later = helper.run(_prepare_part, steps, order[split:], split + 1) if order[split:] else None
    kept: list[int] = []
    for path, entry in order[:split]:
        take(steps.prepare(len(chapters) + 1, path, entry), entry)
    theirs: list[Prepared] = pickle.loads(later.result()) if later else []
    for (path, entry), prepared in zip(order[split:], theirs, strict=True):
        number = len(chapters) + 1
        misnumbered = prepared.chapter is not None and prepared.chapter.number != number
        if misnumbered:
            prepared = prepared.renumbered(number) or steps.prepare(number, path, entry)
        if take(prepared, entry) and not misnumbered:
            kept.append(number - 1)  # the helper holds this very chapter
    return Gathered(tuple(chapters), tuple(scans), found, modified, frozenset(kept))


def _prepare_part(
    kept: Kept, steps: Steps, part: list[tuple[Path, ChapterEntry | None]], first: int
) -> bytes:
    """In the helper: prepare the manuscripts of `part`, numbering them from `first`, and
    keep their chapters for `_render_kept`. They are pickled here, so that the helper does it
    while this process is still preparing its own part: sent as objects, they would be
    pickled into the pipe only as fast as this process reads them."""
    prepared = [
        steps.prepare(first + offset, path, entry) for offset, (path, entry) in enumerate(part)
    ]
    kept.chapters = {p.chapter.number - 1: p.chapter for p in prepared if p.chapter}
    return pickle.dumps(prepared, pickle.HIGHEST_PROTOCOL)


def _sizable(config: Config) -> bool:
    """Whether the manuscripts add up to enough work to share with helper processes."""
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


def meta_from(config: Config, chapters: tuple[Chapter, ...], modified: int) -> Meta:
    """The anthology's metadata; `modified` is when its newest manuscript last changed."""
    return Meta(
        title=shown_text(config.title),
        author=shown_text(config.author) or ("" if config.editor else _sole_author(chapters)),
        editor=shown_text(config.editor),
        language=config.language,
        description=shown_text(config.description),
        base_url=config.base_url,
        base_path=config.base_path,
        site_url=config.site_url,
        subjects=config.subjects,
        cname=config.cname,
        identifier=config.identifier,
        updated=source_date(config, modified),
    )


def _sole_author(chapters: tuple[Chapter, ...]) -> str:
    """The author of every chapter, when one person wrote them all and says so in each."""
    authors = {chapter.author or "" for chapter in chapters}
    return authors.pop() if len(authors) == 1 else ""


def _uncredited(config: Config, meta: Meta) -> list[Diagnostic]:
    """A book with no author and no editor is filed under no one in a reader's library."""
    if meta.author or meta.editor or config.path is None:
        return []
    return [
        warning(
            "W002",
            config.path,
            config.line("author"),
            "the anthology has no author or editor, so e-readers file the book under no one",
            'set author = "Your Name" (or editor = "...") in the config',
        )
    ]


def source_date(config: Config, modified: int) -> str:
    """When the anthology last changed, as ISO 8601 UTC: `SOURCE_DATE_EPOCH` when set (the
    reproducible-builds convention), else the newest modification time of the config and the
    manuscripts (`modified`, the newest of theirs). Identical inputs give the same date, so
    identical builds give identical bytes.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        epoch = str(max(int(config.path.stat().st_mtime) if config.path else 0, modified))
    moment = datetime.fromtimestamp(int(epoch), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def analyse(
    config: Config, gathered: Gathered, cache: BuildCache | None = None
) -> tuple[Anthology, list[Diagnostic]]:
    """The anthology as one value: the `gathered` chapters, their characters and links."""
    chapters = gathered.chapters
    mentions = cache.mentions if cache else None
    index, found = characters.detect(chapters, config.characters, gathered.scans, mentions)
    meta = meta_from(config, chapters, gathered.modified)
    found += _uncredited(config, meta)
    anthology = Anthology(
        meta=meta,
        chapters=chapters,
        characters=index,
        links=link_chapters(chapters, index),
        character_links=link_characters(chapters, index, cache.quotes if cache else None),
    )
    return anthology, found


def checked_gather(
    config: Config, cache: BuildCache | None = None, helper: parallel.Helper[Kept] | None = None
) -> Gathered:
    """`gather`, plus the config's own warnings; raises SitegenError if anything is an error."""
    gathered = gather(config, cache, helper)
    found = [*config.warnings, *gathered.found]
    if not gathered.chapters and not any(d.severity is Severity.ERROR for d in found):
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
    return replace(gathered, found=found)


def load(config: Config) -> tuple[Anthology, list[Diagnostic]]:
    """Gather and analyse: the whole anthology as one value, or a SitegenError listing why not."""
    with collector_paused():
        gathered = checked_gather(config)
        anthology, analysis = analyse(config, gathered)
    return anthology, [*gathered.found, *analysis]


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
    `config.out_dir`. A large anthology shares its work with two helper processes (see
    `gather` and `_render`); the bytes written are the same.

    With a `cache` (kept by `serve` from build to build), what did not change since the last
    build is not read, parsed, rendered or compared with the site on disk again; the files
    written are the same. The replaced site is left beside the new one: the cache keeps it to
    stage the next build in (`writer.Spare`), and the caller removes any other
    (`writer.set_aside`), since that can take longer than the rebuild."""
    wants_book = config.epub and epub
    if cache is not None:
        cache.begin()
    # Forked first, while this process is smallest (see `parallel`).
    worth_helpers = parallel.can_fork() and cache is None and _sizable(config)
    with (
        template_mistakes_told(),
        parallel.Helper(Kept(), fork=worth_helpers) as helper,
        parallel.Helper(None, fork=worth_helpers and wants_book) as compressor,
        collector_paused() as model_built,
    ):
        helpers = (helper, compressor)
        return _build(config, dry_run, wants_book, cache, helpers, model_built)


def _build(
    config: Config,
    dry_run: bool,
    wants_book: bool,
    cache: BuildCache | None,
    helpers: tuple[parallel.Helper[Kept], parallel.Helper[None]],
    model_built: Callable[[], None],
) -> BuildResult:
    clock = _Stopwatch()
    with clock.stage("read+parse+scan"):
        gathered = checked_gather(config, cache, helpers[0])
        found, kept = gathered.found, gathered.kept
    with clock.stage("characters+links"):
        anthology, analysis = analyse(config, gathered, cache)
        found.extend(analysis)
        del gathered  # its scans hold a tuple per capitalised word: the renderers want the room
    model_built()
    # The book's cover, when there is a book, is also the picture a shared link shows.
    cover = cover_image(anthology.meta, config) if wants_book else None
    with clock.stage("render"):
        texts = ChapterTexts(anthology, cache.texts if cache else None)
        site, book = _render(anthology, config, texts, cover, helpers, kept, cache=cache)
        del texts  # every chapter's markup, once more: the writer can have the room
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
                spare=cache.take_spare(config.out_dir) if cache else None,
            )
        if cache is not None:
            cache.finish(config.out_dir, outputs, report)
        found.extend(_unpublished(report, config))
    return BuildResult(anthology, tuple(found), report, tuple(clock.timings))


def _unpublished(report: WriteReport, config: Config) -> list[Diagnostic]:
    """The chapter pages the last build published and this one took away: links to them,
    bookmarked or shared, now lead nowhere, which a renamed story need not do."""
    gone = [
        path.removeprefix("chapters/").removesuffix("/index.html")
        for path in report.removed
        if re.fullmatch(r"chapters/[^/]+/index\.html", path)
    ]
    return [
        warning(
            "W019",
            config.path or config.root / CONFIG_NAME,
            None,
            f"chapters/{slug}/ was published by the last build and is gone from this one, so "
            "links to it now lead nowhere",
            f'if its story was renamed, add aliases = ["{slug}"] to the story\'s [[chapters]] '
            "entry, and that address will lead to it",
        )
        for slug in gone
    ]


def _render(
    anthology: Anthology,
    config: Config,
    texts: ChapterTexts,
    cover: CoverImage | None,
    helpers: tuple[parallel.Helper[Kept], parallel.Helper[None]],
    kept: frozenset[int],
    *,
    cache: BuildCache | None,
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The site's files and, when there is a `cover` to make a book with, the book's, each
    `{path: bytes}`. The first helper renders the text and book documents of the chapters it
    `kept` (see `gather`) and the book's matter; the second compresses the book; this process
    renders the rest. Without helper processes, all of it is done here."""
    helper, compressor = helpers
    pages = cache.pages if cache else None
    plan = epub_book.plan_book(anthology, config, cover) if cover else None
    marks = {position: mention_marks(anthology, position) for position in sorted(kept)}
    theirs = helper.run(_render_kept, marks, plan)
    helper.finish()
    del marks  # sent, or used already: the renderers can have the room
    if plan is None:
        texts.expect(kept, lambda: theirs.result().texts)
        return html.render_site(anthology, config, cache=pages, texts=texts), {}
    mine = [position for position in range(len(anthology.chapters)) if position not in kept]
    files = epub_book.chapter_files(
        anthology, plan, mine, texts, cache=cache.book_chapters if cache else None
    )
    rendered = theirs.result()
    texts.provide(rendered.texts)
    files.update(rendered.documents)
    del rendered
    zipped = compressor.run(_compress, files)  # which empties `files` if it runs here
    compressor.finish()
    image = plan.book.cover.name
    del files, plan  # sent, or compressed already: the site can have the room
    download = html.Download(epub_book.file_name(anthology))
    site = html.render_site(anthology, config, epub=download, image=image, cache=pages, texts=texts)
    book = zipped.result()
    html.show_size(site, len(book))
    return site, {download.path: book}


@dataclass(frozen=True)
class Rendered:
    """What the helper renders of the chapters it kept: their texts, by position, and their
    documents in the book, by path."""

    texts: dict[int, ChapterText]
    documents: dict[str, bytes]


def _render_kept(
    kept: Kept, marks: dict[int, dict[int, list[MentionMark]]], plan: epub_book.BookPlan | None
) -> Rendered:
    """In the helper: the text of each chapter it kept, at the positions `marks` (their
    mentions, by block) lists; with a `plan`, their documents in the book, and the book's
    matter (see `epub.book_matter`). A template's mistake is told here (see
    `template_mistakes_told`)."""
    chapters, kept.chapters = kept.chapters, {}
    with template_mistakes_told():
        texts = {at: render_blocks(chapters[at].blocks, marks[at]) for at in marks}
        if plan is None:
            return Rendered(texts, {})
        made = {at: (chapters[at], texts[at]) for at in marks}
        documents = epub_book.chapter_documents(plan, made)
        return Rendered(texts, {**epub_book.book_matter(plan), **documents})


@contextmanager
def template_mistakes_told() -> Iterator[None]:
    """A template's mistake, in its syntax or its own code (`{% for x in 5 %}`), as the
    writer's error at the template's line (see `errors.template_diagnostic`), not as a bug in
    sitegen. Told where it happens: in a helper process too, since a pickled exception loses
    the traceback that says which line of which template failed."""
    try:
        yield
    except SitegenError:
        raise
    except Exception as exc:
        if isinstance(exc, TemplateError) or raised_by_template(exc):
            raise SitegenError([template_diagnostic(exc)]) from None
        raise


def _compress(_: None, files: dict[str, bytes]) -> bytes:
    """In the compressor: the book's container (see `epub.zip_book`)."""
    return epub_book.zip_book(files)


def _sealed(config: Config) -> tuple[Path, ...]:
    """Folders the output may not be inside: the build reads them, so it would read itself."""
    return (config.source_dir, config.templates_dir, config.theme_dir)


def _protected(config: Config) -> tuple[Path, ...]:
    """Folders the output may never be, nor contain: losing them would lose the writer's work."""
    return (config.root, *_sealed(config))
