"""Reading, the first stage of a build: every manuscript read, parsed, made into a chapter
and scanned for names, in reading order.

Each manuscript is prepared on its own (see `Steps.prepare`); `gather` puts them in order,
numbers them, and checks that no two claim one address. A large anthology's later
manuscripts are prepared by the build's helper process (see `sharing`), which sends them back
here. (A small anthology is gathered whole in that process: see `build`.)
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from . import characters
from .config import ChapterEntry, Config, shown_name
from .errors import Diagnostic, Severity, SitegenError, error, warning
from .manuscript import Manuscript, parse, shown_text
from .model import Chapter, count_words, reading_minutes, teaser
from .sharing import Kept, Part, Share, unshared
from .slugs import slugify
from .sources import Read, Source, read_manuscript

if TYPE_CHECKING:
    from .cache import BuildCache


ORDER_PREFIX = re.compile(r"^\d+[\s._-]+(?=\S)")  # "003_", "01-", "1. ", at the start only
MINOR_WORDS = frozenset(  # not capitalised inside a title
    ("a", "an", "and", "as", "at", "but", "by", "for", "in", "nor", "of", "on", "or", "the", "to")
)


def title_from_file(path: Path) -> str:
    """ "003_the_weight_of_leaving.txt" -> "The Weight of Leaving": drop an order prefix,
    un-snake, and capitalise the words written in lower case but the minor ones inside the
    title; a word with a capital already ("USA", "McKay") and an apostrophe's "s" are kept."""
    stem = shown_name(path.stem)
    words = ORDER_PREFIX.sub("", stem, count=1).replace("_", " ").replace("-", " ").split()
    last = len(words) - 1
    return (
        " ".join(
            word[:1].upper() + word[1:]
            if word.islower() and not (0 < at < last and word in MINOR_WORDS)
            else word
            for at, word in enumerate(words)
        )
        or stem
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
    # A title derived from the file name is not unique ("01_x", "02_x"); the file name is,
    # and it stands in for a title with no Latin letter to make a URL of ("Ночь"): a URL from
    # the chapter's number would lead to another story once one is added before it.
    slug = (
        (entry and entry.slug)
        or source.meta("slug")
        or slugify(given_title or source.path.stem)
        or slugify(source.path.stem)
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
    # With a cache, `BuildCache.prepare`: a whole manuscript, kept while nothing it needs changed.
    whole: Callable[[Path, int, Config, Callable[[Read], Prepared]], Prepared] | None = None

    @classmethod
    def of(cls, config: Config, cache: BuildCache | None) -> Steps:
        if cache is None:
            return cls(config)
        chapter = partial(cache.chapter, make_chapter)
        return cls(config, cache.read_manuscript, cache.parse, chapter, cache.scan, cache.prepare)

    def prepare(self, number: int, path: Path, entry: ChapterEntry | None) -> Prepared:
        """The manuscript at `path` made into chapter `number`."""
        if self.whole is None:
            return self._prepare(number, path, entry, self.read(path))
        return self.whole(path, number, self.config, partial(self._prepare, number, path, entry))

    def _prepare(self, number: int, path: Path, entry: ChapterEntry | None, read: Read) -> Prepared:
        source, read_found, modified = read
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
    title = (entry.title if entry else None) or manuscript.title
    # A title with no Latin letter makes no URL: the file's name does (see `make_chapter`).
    from_title = in_config("title") or (source.path, manuscript.title_line)
    return (
        in_config("slug")
        or in_front_matter
        or (from_title if title and slugify(title) else (source.path, None))
    )


@dataclass(frozen=True)
class Gathered:
    """Every manuscript made into a chapter and scanned, ready for the analysis."""

    chapters: tuple[Chapter, ...]  # in reading order
    scans: tuple[characters.Scan, ...]  # one per chapter
    found: list[Diagnostic]
    modified: int  # when the newest manuscript last changed (see `sources.Read`); 0 if none
    kept: frozenset[int] = frozenset()  # positions of the chapters the helper process holds


def gather(config: Config, cache: BuildCache | None = None, share: Share | None = None) -> Gathered:
    """Read, parse and scan every manuscript into chapters, in reading order; each chapter's
    scan (see `characters.scan_chapter`) goes with it to the analysis.

    With a `share` (see `sharing.send_share`), the build's helper process is preparing the
    later manuscripts, numbered as if every earlier one made a chapter, and sends them here;
    it keeps them, to render them later. One whose number turns out otherwise (an earlier
    manuscript was empty, or clashed) is renumbered here, and rendered here too.
    """
    share = share or unshared(config)
    if share.theirs is not None and cache is not None:
        raise ValueError("a cache's memos must be filled here, not in a helper process")
    order, found, split = share.order, share.found, share.split
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
            where = prepared.url_from or (prepared.path, None)
            if taken[0] != chapter.slug and entry is not None and config.path is not None:
                where = config.path, entry.lines.line("chapters", entry.index, "aliases")
            found.append(
                error(
                    "E015",
                    *where,
                    f"chapter URL chapters/{taken[0]}/ of {chapter.source_name} is already "
                    f"taken by {_claim(claimed[taken[0]], taken[0])}",
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

    kept: list[int] = []
    for path, entry in order[:split]:
        take(steps.prepare(len(chapters) + 1, path, entry), entry)
    theirs: list[Prepared] = pickle.loads(share.theirs.result()) if share.theirs else []
    for (path, entry), prepared in zip(order[split:], theirs, strict=True):
        number = len(chapters) + 1
        misnumbered = prepared.chapter is not None and prepared.chapter.number != number
        if misnumbered:
            prepared = prepared.renumbered(number) or steps.prepare(number, path, entry)
        if take(prepared, entry) and not misnumbered:
            kept.append(number - 1)  # the helper holds this very chapter
    return Gathered(tuple(chapters), tuple(scans), found, modified, frozenset(kept))


def _claim(chapter: Chapter, slug: str) -> str:
    """Which chapter holds a URL, and how: "a.txt", or "a.txt (as an alias)"."""
    return chapter.source_name + ("" if slug == chapter.slug else " (as an alias)")


def prepare_part(kept: Kept, config: Config, part: Part) -> bytes:
    """In the helper: prepare the manuscripts of `part`, numbering them from `part.first`,
    and keep their chapters for `render.stage.render_kept`. They are pickled
    here, so that the helper does it while this process is still preparing its own part: sent
    as objects, they would be pickled into the pipe only as fast as this process reads them."""
    steps = Steps.of(config, None)
    prepared = [
        steps.prepare(part.first + offset, path, entry)
        for offset, (path, entry) in enumerate(part.manuscripts)
    ]
    kept.chapters = {p.chapter.number - 1: p.chapter for p in prepared if p.chapter}
    return pickle.dumps(prepared, pickle.HIGHEST_PROTOCOL)


def checked_gather(
    config: Config, cache: BuildCache | None = None, share: Share | None = None
) -> Gathered:
    """`gather`, plus the config's own warnings; raises SitegenError if anything is an error."""
    gathered = gather(config, cache, share)
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
