"""`sitegen build`, start to finish: gather, analyse, render, write.

Each stage has its module: `gather` reads, parses and scans the manuscripts; `analysis` makes
them one `Anthology`, with its characters and links; `render.stage` makes the site's and the
book's files from it; `writer` swaps them into the output folder. Nothing touches the output
folder until the whole anthology has been read, analysed and rendered in memory, so a problem
anywhere leaves the last good site exactly as it was.

With two cores or more, the build shares its work with processes forked at the start (see
`parallel` and `sharing`): nothing they do changes a byte of what is written. A small
anthology is read and analysed whole by a helper process, which sends the `Anthology` back,
while this process loads the renderers: loading the program is half of such a build's time.
A large one's reading and rendering are split between the processes, which load the stages'
modules before forking, to share them. The writer writes a large site with a process of its
own too.
"""

from __future__ import annotations

import gc
import importlib
import re
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import parallel
from .config import CONFIG_NAME, Config
from .errors import Diagnostic, Severity, SitegenError, warning
from .model import Anthology  # loaded before the helper is forked: both processes use it
from .sharing import Kept, Listing, send_share, unshared, worth_sharing
from .sources import build_inputs, inputs_record, manuscript_order

if TYPE_CHECKING:
    from .cache import BuildCache
    from .writer import WriteReport

LOADED_LATE = ("sitegen.gather", "sitegen.analysis", "sitegen.render.stage", "markdown_it")
"""The stages' modules, and markdown-it-py, otherwise loaded on a paragraph's first markup
(see `manuscript`). A small build's helper loads the reading side and this process the
renderers, each when it needs them; a large build, whose main process and first helper both
read and render, loads them all before forking, so that the two share them."""


class Superseded(Exception):
    """Raised by `build()` when its `ready` says not to write: a newer build will."""


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


def load(config: Config) -> tuple[Anthology, list[Diagnostic]]:
    """Gather and analyse: the whole anthology as one value, or a SitegenError listing why not."""
    with collector_paused():
        anthology, found, _ = read_and_analyse(config)
    return anthology, found


def read_and_analyse(
    config: Config,
    clock: _Stopwatch | None = None,
    cache: BuildCache | None = None,
    helper: parallel.Helper[Kept] | None = None,
    listed: Listing | None = None,
) -> tuple[Anthology, list[Diagnostic], frozenset[int]]:
    """The first two stages: every manuscript read, parsed and scanned, then the anthology
    analysed; the manuscripts are those `listed` (see `sources.manuscript_order`), or listed
    here. With a large build's `helper`, that process reads the later manuscripts (see
    `sharing.send_share`) and keeps their chapters, to render them: their positions come
    third (none without it). The diagnostics are the config's, the manuscripts', the
    analysis's."""
    from .analysis import analyse
    from .gather import checked_gather

    clock = clock or _Stopwatch()
    with clock.stage("read+parse+scan"):
        share = send_share(config, helper, listed) if helper else unshared(config, listed)
        gathered = checked_gather(config, cache, share)
    with clock.stage("characters+links"):
        anthology, analysis = analyse(config, gathered, cache)
    return anthology, [*gathered.found, *analysis], gathered.kept


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
    config: Config,
    *,
    dry_run: bool = False,
    epub: bool = True,
    cache: BuildCache | None = None,
    ready: Callable[[], bool] | None = None,
) -> BuildResult:
    """Build the site (and, unless `epub` or the config says not to, the EPUB) into
    `config.out_dir`. With two cores, a helper process reads and analyses a small anthology;
    a large one's work is shared with two (see `sharing` and `render.stage`). The bytes
    written are the same.

    With a `cache` (kept by `serve` from build to build), what did not change since the last
    build is not read, parsed, rendered or compared with the site on disk again; the files
    written are the same. The replaced site is left beside the new one: the cache keeps it to
    stage the next build in (`writer.Spare`), and the caller removes any other
    (`writer.set_aside`), since that can take longer than the rebuild.

    `ready`, when given, is asked once everything is made, before anything is written: when
    it says no (`serve` heard of another save meanwhile), nothing is written and the build
    raises `Superseded`."""
    wants_book = config.epub and epub
    if cache is not None:
        cache.begin()
    # Forked first, while this process is smallest (see `parallel`). `serve` fills its cache
    # here, in one process.
    forking = parallel.can_fork() and cache is None
    large = forking and worth_sharing(config)
    if large:
        for module in LOADED_LATE:
            importlib.import_module(module)
    with (
        parallel.Helper(Kept(), fork=forking) as helper,
        parallel.Helper(None, fork=large and wants_book) as compressor,
        collector_paused() as model_built,
    ):
        return _build(
            config,
            (helper, compressor),
            model_built,
            cache=cache,
            dry_run=dry_run,
            wants_book=wants_book,
            large=large,
            ready=ready,
        )


def _build(
    config: Config,
    helpers: tuple[parallel.Helper[Kept], parallel.Helper[None]],
    model_built: Callable[[], None],
    *,
    cache: BuildCache | None,
    dry_run: bool,
    wants_book: bool,
    large: bool,
    ready: Callable[[], bool] | None,
) -> BuildResult:
    clock = _Stopwatch()
    helper, compressor = helpers
    # The manuscripts, listed once: for the reading, and for the record of what the site
    # was built from that `deploy` checks it against (taken before reading, so that a
    # manuscript added while the build reads is not in the record, as it is not in the site).
    listed = manuscript_order(config)
    manuscripts = [path for path, _ in listed[0]]
    read = () if dry_run else inputs_record(config, build_inputs(config, manuscripts))
    if helper.forked and not large:
        # The helper reads and analyses the whole anthology, while this process loads the
        # renderers and their templates: loading the program is half of a small build's time.
        with clock.stage("read+analyse"):
            reading = helper.run(_read_all_in_helper, config, listed)
            importlib.import_module("sitegen.render.stage")
            from .render.html import load_all_templates

            load_all_templates(config.templates_dir)
            anthology, found = reading.result()
        kept: frozenset[int] = frozenset()
    else:
        anthology, found, kept = read_and_analyse(
            config, clock, cache, helper if large else None, listed
        )
    if not kept:  # the helper renders nothing: its memory can go
        helper.finish()
        helper = parallel.Helper(Kept(), fork=False)
    model_built()
    from .render.stage import render  # loaded already by a small build, while its helper read

    with clock.stage("render"):
        outputs, book_found = render(
            anthology, config, (helper, compressor), kept, book=wants_book, cache=cache
        )
        found.extend(book_found)
    report = None
    try:
        if dry_run:  # `sitegen check`: what the writer would refuse, writing nothing
            from .writer import check_replaceable

            check_output(config)
            check_replaceable(outputs, config.out_dir)
        else:
            from .writer import write  # loaded with the renderers

            if ready is not None and not ready():
                raise Superseded
            with clock.stage("write"):
                report = write(
                    outputs,
                    config.out_dir,
                    protected=_protected(config),
                    sealed=_sealed(config),
                    last_written=cache.last_written(config.out_dir) if cache else None,
                    keep_retired=cache is not None,
                    spare=cache.take_spare(config.out_dir) if cache else None,
                    read=read,
                )
    except SitegenError as exc:  # the output folder refused: told after the warnings so far
        raise SitegenError([*found, *exc.diagnostics]) from None
    if report is not None:
        if cache is not None:
            cache.finish(config.out_dir, outputs, report)
        found.extend(_unpublished(report, config))
    return BuildResult(anthology, tuple(found), report, tuple(clock.timings))


def _read_all_in_helper(
    _: Kept, config: Config, listed: Listing
) -> tuple[Anthology, list[Diagnostic]]:
    """In a small build's helper process: the whole anthology, read and analysed."""
    anthology, found, _ = read_and_analyse(config, listed=listed)
    return anthology, found


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


def check_output(config: Config) -> None:
    """Raise, before any work, the SitegenError the writer would raise for the output folder
    (see `writer.check_output_dir`): for `serve --out`, whose every build would fail so."""
    from .writer import check_output_dir

    check_output_dir(config.out_dir, _protected(config), _sealed(config))


def _sealed(config: Config) -> tuple[Path, ...]:
    """Folders the output may not be inside: the build reads them, so it would read itself."""
    return (config.source_dir, config.templates_dir, config.theme_dir)


def _protected(config: Config) -> tuple[Path, ...]:
    """Folders the output may never be, nor contain: losing them would lose the writer's work."""
    return (config.root, *_sealed(config))
