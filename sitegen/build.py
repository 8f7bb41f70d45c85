"""`sitegen build`, start to finish: gather, analyse, render, write.

Nothing touches the output folder until the whole anthology has been read, analysed and
rendered in memory, so a problem anywhere leaves the last good site exactly as it was.
"""

from __future__ import annotations

import resource
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import characters
from .config import ChapterEntry, Config
from .errors import Diagnostic, Severity, SitegenError, error
from .manuscript import Manuscript, parse
from .model import (
    Anthology,
    Chapter,
    Meta,
    count_words,
    link_chapters,
    reading_minutes,
    teaser,
)
from .render import html
from .sources import Source, read_sources
from .writer import WriteReport, merge_outputs, write


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


def slugify(text: str) -> str:
    """ASCII, lower case, hyphens: "Jin-hee's Café" -> "jin-hees-cafe"."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in folded.lower().replace("'", "")).split()
    return "-".join(words)


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
    title = (entry and entry.title) or manuscript.title or title_from_file(source.path)
    slug = (entry and entry.slug) or source.meta("slug") or slugify(title) or f"chapter-{number}"
    words = count_words(manuscript.blocks)
    return Chapter(
        number=number,
        slug=slug,
        title=title,
        author=manuscript.author,
        source_name=source.name,
        source_path=source.path,
        blocks=manuscript.blocks,
        words=words,
        reading_minutes=reading_minutes(words, config.words_per_minute),
        teaser=teaser(manuscript.blocks),
    )


ParseFn = Callable[[Source, bool], Manuscript]


def _parse(source: Source, keep_artifacts: bool) -> Manuscript:
    return parse(source, keep_artifacts=keep_artifacts)


def gather(
    config: Config, parse_source: ParseFn = _parse
) -> tuple[tuple[Chapter, ...], list[Diagnostic]]:
    """Read and parse every manuscript into chapters, in reading order.

    `parse_source` lets `serve` pass a memoised parse keyed on the file's content.
    """
    sources, found = read_sources(config)
    chapters: list[Chapter] = []
    claimed: dict[str, Chapter] = {}
    for source, entry in sources:
        manuscript = parse_source(source, config.keep_artifacts)
        found.extend(manuscript.diagnostics)
        if not manuscript.blocks:
            found.append(
                error(
                    "E014",
                    source.path,
                    None,
                    "manuscript has no text",
                    "write something, or move the file out of the source folder",
                )
            )
            continue
        chapter = make_chapter(len(chapters) + 1, manuscript, entry, config)
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
    )


def analyse(config: Config, chapters: tuple[Chapter, ...]) -> tuple[Anthology, list[Diagnostic]]:
    index, found = characters.detect(chapters, config.characters)
    anthology = Anthology(
        meta=meta_from(config),
        chapters=chapters,
        characters=index,
        links=link_chapters(chapters, index),
    )
    return anthology, found


def checked_gather(
    config: Config, parse_source: ParseFn = _parse
) -> tuple[tuple[Chapter, ...], list[Diagnostic]]:
    """`gather`, plus the config's own warnings; raises SitegenError if anything is an error."""
    chapters, found = gather(config, parse_source)
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


def load(config: Config, parse_source: ParseFn = _parse) -> tuple[Anthology, list[Diagnostic]]:
    """Gather and analyse: the whole anthology as one value, or a SitegenError listing why not."""
    chapters, found = checked_gather(config, parse_source)
    anthology, analysis = analyse(config, chapters)
    return anthology, [*found, *analysis]


def build(config: Config, *, dry_run: bool = False) -> BuildResult:
    """Build the site (and the EPUB) into `config.out_dir`."""
    clock = _Stopwatch()
    with clock.stage("read+parse"):
        chapters, found = checked_gather(config)
    with clock.stage("characters+links"):
        anthology, analysis = analyse(config, chapters)
        found.extend(analysis)
    with clock.stage("render html"):
        site = html.render_site(anthology, config)
    outputs = merge_outputs(site)
    report = None
    if not dry_run:
        with clock.stage("write"):
            report = write(outputs, config.out_dir, protected=_protected(config))
    return BuildResult(anthology, tuple(found), report, tuple(clock.timings))


def _protected(config: Config) -> tuple[Path, ...]:
    """Folders the output may never be, nor contain: losing them would lose the writer's work."""
    return (config.root, config.source_dir, config.templates_dir, config.theme_dir)
