"""`sitegen serve`: the normal build in a loop, a preview server, and a browser that reloads.

Three kinds of thread, each owning one thing:
- The main thread runs the event loop: it serves the built site from the preview's folder under
  the configured base path, speaks the LiveReload protocol with the browser (livereload's
  websocket handler, its livereload.js and its script injection, on its tornado server), and is
  the only thread that touches the preview's state.
- Two watcher threads (`watchfiles`: inotify, so an idle server does no work) report changed
  files: the manuscripts, templates and theme recursively, and the config's folder.
- One builder thread runs `build()` with a `BuildCache`, one build at a time, from the first
  change reported. It writes once the burst of saves has settled; a save that comes before
  that makes it start again, writing nothing, so that a burst is one rebuild. A build writes
  the site atomically, so the server never serves a half-written site; only then is the
  browser told to reload (or, when only CSS changed, to swap the stylesheet). A failed build
  leaves the last good site served, with the errors laid over every page, until a good build
  clears them.

livereload's own change detection is not used: its watcher polls every file's time stamp every
0.8 s, and its handler drops changes within 3 s of the last reload, so edits would be lost.

Diagnostics: E070 the build could not read or write a file; E071 the build failed in a way
sitegen did not foresee (a bug). Either is shown like any build error, and the server goes on.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import html
import os
import re
import signal
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from livereload.server import LiveScriptInjector
from livereload.watcher import Watcher as LiveReloadWatcher
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from watchfiles import watch

from .build import BuildResult, Superseded, build
from .cache import BuildCache, Reuse
from .config import CONFIG_NAME, Config, is_writers, load_config, named_like_the_config
from .errors import (
    Diagnostic,
    Severity,
    SitegenError,
    error,
    os_error_diagnostic,
    symlink_loops_told,
)
from .sources import is_manuscript
from .writer import MANIFEST, remove_tree, set_aside

FOLDERS_STEP_MS = 10
"""How often the watch on the manuscripts, templates and theme looks at what the system has
reported. watchfiles passes on a batch once a step goes by without a new kind of change, one
or two steps after a save; while the same file keeps changing, a batch every two steps. Each
look costs the idle server a few microseconds."""
AROUND_STEP_MS = 40
"""The same for the watch on the config's folder, which sees what changes less often (the
config, folders coming and going), and every file the build writes beside it."""
SETTLE_MARGIN_SECONDS = 0.05
"""A build writes once no batch has come for two steps of the slower watch, the longest either
can hold a save before passing it on, and this margin: a burst of saves (an editor's temp file
and rename, a tool saving several files, a manuscript and the config's entry for it) is one
rebuild. The build starts at the first batch, so that this wait overlaps its work (see
`Builder`)."""
SETTLED_SECONDS = 2 * AROUND_STEP_MS / 1000 + SETTLE_MARGIN_SECONDS
REPORTED_WITHIN_LOOKS = 3
"""The watch on the manuscripts, templates and theme sleeps while a build runs (see `Lull`).
Woken before the build writes, it has passed on what it saw meanwhile by the time it begins
its third look: the first may be the one it slept in, a batch goes out at the look after the
one that first finds it, and the next look comes once it is handed on. That is 20 ms or so;
counting looks rather than waiting a set time holds when the machine is too busy to look on
time. The config's watch, which looks four times less often, does not sleep: what it would
hold back could not come out soon enough."""
LOOKS_SECONDS = 0.5
"""How long to wait for those looks at most: a watch whose folders went away looks no more."""
RESTART_WITHIN_SECONDS = 3.0
"""How long after the first build for a change began a save may still make the build start
again. A build that has run longer writes what it made, and what was saved meanwhile is built
next: restarting it each time would keep a site that takes seconds to make (every page of a
long anthology, after a template's edit) from a writer who saves every few seconds."""
WATCH_READY_SECONDS = 10
"""How long to wait for a watch to be in place before serving anyway (a huge tree, a slow disk)."""


@dataclass(frozen=True)
class ServeOptions:
    """What `sitegen serve` was asked for on the command line."""

    config: Path | None = None
    source: Path | None = None
    out: Path | None = None  # None: a private folder (see `previewed`)
    base_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    open_browser: bool = False
    epub: bool = False

    def load(self) -> Config:
        return load_config(self.config, source=self.source, out=self.out, base_url=self.base_url)


@dataclass(frozen=True)
class Places:
    """What the preview watches and serves, as the last config that loaded says."""

    root: Path
    config: Path  # watched even while it does not exist: creating it changes the build
    source_dir: Path
    templates_dir: Path
    theme_dir: Path
    out_dir: Path
    base_path: str
    # Manuscripts kept outside the source folder, where they really are (see `kept_elsewhere`).
    elsewhere: frozenset[Path] = frozenset()

    @classmethod
    def of(cls, config: Config) -> Places:
        return cls(
            root=config.root,
            config=config.path or config.root / CONFIG_NAME,
            source_dir=config.source_dir,
            templates_dir=config.templates_dir,
            theme_dir=config.theme_dir,
            out_dir=config.out_dir,
            base_path=config.base_path,
            elsewhere=kept_elsewhere(config),
        )

    @classmethod
    def guess(cls, options: ServeOptions) -> Places:
        """The default places, for a server whose config does not load yet."""
        config = (options.config or Path(CONFIG_NAME)).resolve()
        root = config.parent
        return cls(
            root=root,
            config=config,
            source_dir=(options.source or root / "seeds").resolve(),
            templates_dir=root / "templates",
            theme_dir=root / "theme",
            out_dir=(options.out or root / "output").resolve(),
            base_path="/",
        )

    @property
    def has_site(self) -> bool:
        """Whether the output folder holds a site sitegen wrote. Nothing else is served: a
        build refuses an output folder that is the project, a home folder or `/`, and the
        server must not then serve that folder's files in its place."""
        return (self.out_dir / MANIFEST).is_file()

    @property
    def named(self) -> tuple[Path, ...]:
        """The folders the site is made from, whether they exist or not."""
        return tuple(dict.fromkeys((self.source_dir, self.templates_dir, self.theme_dir)))

    @property
    def folders(self) -> tuple[Path, ...]:
        """The folders watched recursively, those that exist."""
        return tuple(f for f in self.named if f.is_dir())

    @property
    def around(self) -> tuple[Path, ...]:
        """The folders watched for what appears or goes in them (the `folders` watch does not
        see a folder come back): the config's, which holds the project's templates and theme
        when it has them, and each between the project's and the source folder. A source
        folder outside the project is not followed so: above it may be a home folder or `/`,
        whose every change some systems' watchers would pass on."""
        around = [self.config.parent]
        folder = self.source_dir.parent
        while folder != self.root and folder.is_relative_to(self.root):
            around.append(folder)
            folder = folder.parent
        # Not a home folder or `/` for a manuscript linked from there, for the same reason.
        around += sorted({p.parent for p in self.elsewhere} - {Path.home(), Path("/")})
        return tuple(f for f in dict.fromkeys(around) if f.is_dir())

    def holds_a_folder(self, path: Path) -> bool:
        """Whether `path` is one of the `named` folders or holds one: its appearing, going or
        being replaced changes what the site is made from."""
        return any(folder.is_relative_to(path) for folder in self.named)

    def matters(self, path: Path) -> bool:
        """Whether a change to `path` can change the site."""
        if path == self.config or path in self.elsewhere or self.holds_a_folder(path):
            return True
        if path.parent == self.root and named_like_the_config(path.name):
            return True  # a misnamed config, which the build refuses (or warns of), renamed
        if path.is_relative_to(self.out_dir):
            return False
        if path.is_relative_to(self.source_dir) and is_manuscript(path):
            return True  # in a subfolder too: the config may list it, or the build warns of it
        for folder in (self.templates_dir, self.theme_dir):
            if path.is_relative_to(folder):
                return is_writers(path.relative_to(folder))
        # The project's own templates or theme appearing or going: the next config differs.
        return path.parent == self.root and path.name in {"templates", "theme"}

    def stylesheets(self, paths: Iterable[Path]) -> tuple[str, ...]:
        """The site paths of `paths` if every one is a stylesheet of the theme, else (). A
        theme file that is gone again is left out: an editor's save writes a temporary file
        beside the stylesheet and renames it over it (`style.css.tmp`, `___jb_tmp___`)."""
        paths = tuple(p for p in paths if p.exists() or not p.is_relative_to(self.theme_dir))
        if not paths or not all(
            p.suffix == ".css" and p.is_relative_to(self.theme_dir) and p.is_file() for p in paths
        ):
            return ()
        return tuple(
            self.base_path + "theme/" + p.relative_to(self.theme_dir).as_posix() for p in paths
        )

    def url(self, host: str, port: int) -> str:
        """The preview's address; an IPv6 host in brackets, as a URL must have it."""
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{self.base_path}"


def kept_elsewhere(config: Config) -> frozenset[Path]:
    """The manuscripts a link in the source folder leads to, and those the config names by a
    path that leaves the folder, where they really are, when that is outside it: a save to
    one changes a file the watch on the folder does not see."""
    source = Path(os.path.realpath(config.source_dir))
    named = [  # only those that may leave it: resolving a thousand paths takes a while
        config.source_dir / entry.file
        for entry in config.chapters
        if os.path.isabs(entry.file) or ".." in entry.file.split("/")
    ]
    try:
        with os.scandir(config.source_dir) as entries:
            linked = [Path(entry.path) for entry in entries if entry.is_symlink()]
    except OSError:  # no source folder yet: the build says so
        linked = []
    return frozenset(
        real
        for path in (*named, *linked)
        if is_manuscript(path) and not (real := Path(os.path.realpath(path))).is_relative_to(source)
    )


@dataclass(frozen=True)
class Outcome:
    """One build, as the builder thread hands it to the event loop."""

    changed: tuple[Path, ...]  # the files that caused it; () for the first build
    seconds: float
    config: Config | None  # None when the config did not load
    result: BuildResult | None  # None when the build failed
    problems: tuple[Diagnostic, ...] = ()  # why it failed
    reuse: Reuse | None = None  # how much was done again


class Builder:
    """Runs the build on its own thread, one at a time. A build starts as soon as a change is
    reported, and writes once the changes have settled (see `_undisturbed`): a save reported
    while it runs makes it start again instead, so that a burst of saves is one rebuild, and
    the wait for a burst to end overlaps the work."""

    def __init__(self, options: ServeOptions, done: Callable[[Outcome], None], lull: Lull) -> None:
        self.options = options
        self.done = done
        self.lull = lull
        self.cache = BuildCache()
        self._wake = threading.Condition()
        self._changed: set[Path] = set()
        self._reported: dict[Path, float] = {}  # when each file's change was last reported
        self._wanted = True  # the first build
        self._settled_at = float("-inf")  # when the changes of the build under way settle
        self._stopping = False
        self._built: dict[Path, bytes | None] = {}  # each file's digest when last built
        self._began = 0.0  # when the first build for the changes under way began
        self._first = True  # no build has been given yet: the first is told as such
        self._waited = 0.0  # how long the builds for them waited to write
        self._gated = False  # whether the build under way has asked `_undisturbed`
        self._thread = threading.Thread(target=self._run, name="sitegen-build", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request(self, paths: Iterable[Path]) -> None:
        """Build these changes; the build writes once they settle (see `SETTLE_MARGIN_SECONDS`)."""
        now = time.monotonic()
        with self._wake:
            for path in paths:
                self._changed.add(path)
                self._reported[path] = now
            self._wanted = True
            self._wake.notify()

    def stop(self) -> None:
        """Let a build in progress finish what it is doing (a write is atomic either way; a
        site still being made is not written), start no other, and remove the replaced site
        kept to stage the next one in."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join()
        if self.cache.spare:  # kept for the next build, and there is none
            remove_tree(self.cache.spare.folder)

    def _next(self) -> tuple[Path, ...] | None:
        """Wait for a change; the changed files, or None when stopping."""
        with self._wake:
            while not self._stopping:
                if self._wanted:
                    changed, self._changed, self._wanted = self._changed, set(), False
                    last = max(map(self._reported.__getitem__, changed), default=float("-inf"))
                    self._settled_at = last + SETTLED_SECONDS
                    return tuple(sorted(changed))
                self._wake.wait()
        return None

    def _run(self) -> None:
        restarting = False  # the last build was superseded: these changes' first began earlier
        while (changed := self._next()) is not None:
            digests = {path: _digest(path) for path in changed}
            if changed and not _news(digests, self._built):
                restarting = False
                continue  # a late report of a change already built, or a save of the same bytes
            if not restarting:
                self._began, self._waited = time.monotonic(), 0.0
            self._gated = False
            with self.lull.building():
                outcome = self.build(changed)
            if outcome is None or (
                outcome.result is None and not self._gated and not self._undisturbed()
            ):
                with self._wake:  # to be built again, with what superseded them
                    self._changed.update(changed)
                    self._wanted = True
                restarting = True
                continue
            restarting = False
            self._built_from(digests, succeeded=outcome.result is not None)
            if self._first:  # begun again after a save: still the first build, told as such
                outcome, self._first = replace(outcome, changed=()), False
            self.done(outcome)
            if outcome.config is not None:
                spare = self.cache.spare.folder if self.cache.spare else None
                remove_in_background(set_aside(outcome.config.out_dir, keep=spare))

    def _built_from(self, digests: dict[Path, bytes | None], *, succeeded: bool) -> None:
        """Record what the build just given was made from: the bytes it read of each
        manuscript, which may be newer than those of the changes it began with (`digests`),
        and of any other of those, the bytes it began with while the file still holds them.
        One changed since may have been read either way: it is taken as not built yet."""
        read = self.cache.read
        for path, digest in digests.items():
            if path in read:
                self._built[path] = read[path]
            elif _digest(path) == digest:
                self._built[path] = digest
            else:
                self._built.pop(path, None)
        if succeeded:
            self._built.update(read)

    def _undisturbed(self) -> bool:
        """Whether the build under way may give what it made (a site to write, or errors to
        show): wake the watch that slept while it ran (see `Lull`) and let it report what it
        saw meanwhile, then wait until the changes the build began with have settled. A change
        reported meanwhile says no, unless it is of a manuscript that holds the very bytes the
        build read (an editor's second event for the same save, a touch): reports of those
        neither stop the build nor hold it back. After `RESTART_WITHIN_SECONDS`, the build
        writes without waiting further."""
        self._gated = True
        started = time.monotonic()
        too_late = self._began + RESTART_WITHIN_SECONDS
        try:
            with self.lull.awake():
                self.lull.looked(REPORTED_WITHIN_LOOKS, LOOKS_SECONDS)
                with self._wake:
                    while not self._stopping:
                        if self._changed:
                            reported = {path: _digest(path) for path in self._changed}
                            if _news(reported, self.cache.read):
                                return time.monotonic() > too_late
                            self._changed, self._wanted = set(), False
                        now = time.monotonic()
                        if now >= self._settled_at or now > too_late:
                            return True
                        self._wake.wait(min(self._settled_at, too_late) - now)
            return False
        finally:
            self._waited += time.monotonic() - started

    def build(self, changed: tuple[Path, ...]) -> Outcome | None:
        """The build, and what came of it; None when a change came while it ran. Its time
        counts from the first build for these changes (see `_began`), less the waits to write."""
        config = None
        try:
            with symlink_loops_told():
                config = self.options.load()
                result = build(
                    config, epub=self.options.epub, cache=self.cache, ready=self._undisturbed
                )
        except Superseded:
            return None
        except SitegenError as exc:
            return Outcome(changed, self._seconds(), config, None, exc.diagnostics)
        except OSError as exc:
            problem = os_error_diagnostic(exc, config.out_dir if config else Path.cwd())
            return Outcome(changed, self._seconds(), config, None, (problem,))
        except Exception as exc:  # a bug in sitegen: report it in one line, keep serving
            where = config.path or config.root if config else Path.cwd()
            problem = error(
                "E071",
                where,
                None,
                f"the build failed unexpectedly: {type(exc).__name__}: {exc}",
                "this is a bug in sitegen; please report it with this line",
            )
            return Outcome(changed, self._seconds(), config, None, (problem,))
        return Outcome(changed, self._seconds(), config, result, reuse=self.cache.reuse)

    def _seconds(self) -> float:
        """How long the build for the changes under way has taken, but for waiting to write."""
        return time.monotonic() - self._began - self._waited


def _news(digests: dict[Path, bytes | None], known: dict[Path, bytes | None]) -> bool:
    """Whether any of these files, by their `digests`, holds other bytes than `known` says."""
    return any(
        digest == FOLDER or known.get(path, b"") != digest  # see `FOLDER`
        for path, digest in digests.items()
    )


def remove_in_background(folders: list[Path]) -> None:
    """Remove old sites the writer left beside the new one (set aside, see `writer.set_aside`),
    without delaying the next build: removing a thousand folders can take seconds. What a
    removal cut short by Ctrl-C leaves, the next `sitegen build` removes."""
    if folders:
        threading.Thread(
            target=lambda: [remove_tree(f) for f in folders],
            name="sitegen-tidy",
            daemon=True,
        ).start()


FOLDER = b"folder"
"""What `_digest` gives for a folder. A change reported for a folder itself is always built:
it appeared, went, or took another's place (the source folder, put back after a checkout),
which no digest of it would tell."""


def _digest(path: Path) -> bytes | None:
    """A digest of the file at `path`; `FOLDER` for a folder; None when nothing is there."""
    if path.is_dir():
        return FOLDER
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:  # gone
        return None


class Lull:
    """Whether a build is under way, when the watch on the manuscripts, templates and theme
    sleeps. It wakes every step to ask whether to stop, and each time takes Python's lock from
    the build; on a busy machine, handing it back can cost the build a tenth of its time.
    Changes the system reports meanwhile wait in the watch's own queue, and come once the
    build has made the site and waits to write it (see `Builder._undisturbed`), or has ended."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._building = False
        self._looks = 0  # how often the watch has asked, counted while someone waits for it
        self._counting = False

    @contextmanager
    def building(self) -> Iterator[None]:
        with self._changed:
            self._building = True
        try:
            yield
        finally:
            self._set(building=False)

    @contextmanager
    def awake(self) -> Iterator[None]:
        """Let the watches look for a while, within a build."""
        was = self._building
        self._set(building=False)
        try:
            yield
        finally:
            self._set(building=was)

    def _set(self, *, building: bool) -> None:
        with self._changed:
            self._building = building
            self._changed.notify_all()

    def wait(self, stop: threading.Event) -> None:
        """Return once no build is under way, or `stop` is set (see `wake`)."""
        if self._building:
            with self._changed:
                self._changed.wait_for(lambda: not self._building or stop.is_set())
        if self._counting:  # else, most of the time, a look costs the idle server next to nothing
            with self._changed:
                self._looks += 1
                self._changed.notify_all()

    def looked(self, times: int, timeout: float) -> None:
        """Return once the watch has asked `times` more times, or after `timeout`."""
        with self._changed:
            self._counting, target = True, self._looks + times
            try:
                self._changed.wait_for(lambda: self._looks >= target, timeout)
            finally:
                self._counting = False

    def wake(self) -> None:
        """Have every `wait` look again: a stop was set."""
        with self._changed:
            self._changed.notify_all()


class AskedStop:
    """The stop event handed to watchfiles, which asks it on every step of its wait. That wait
    begins once the watch is in place, so the first question is the sign that it is: watchfiles
    gives no other. With a `lull`, while a build is under way, the question waits (see `Lull`)."""

    def __init__(self, stop: threading.Event, lull: Lull | None) -> None:
        self.stop = stop
        self.lull = lull
        self.first_asked = threading.Event()

    def is_set(self) -> bool:
        if not self.first_asked.is_set():
            self.first_asked.set()
        if self.lull is not None:
            self.lull.wait(self.stop)
        return self.stop.is_set()


class Watchers:
    """watchfiles threads over the places the last config names; restarted when they move."""

    def __init__(self, changed: Callable[[set[Path]], None], lull: Lull) -> None:
        self.changed = changed
        self.lull = lull
        self.places: Places | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # A watched folder itself was removed, moved or made since the watches began: a
        # folder put back in its place (a checkout, a sync) is another folder, unwatched.
        self._replaced = False

    def follow(self, places: Places) -> None:
        if (
            self.places is not None
            and not self._replaced
            and (places.folders, places.around, places.elsewhere, places.config, places.out_dir)
            == (
                self.places.folders,
                self.places.around,
                self.places.elsewhere,
                self.places.config,
                self.places.out_dir,
            )
        ):
            self.places = places
            return
        restarted = self.places is not None
        self.stop()
        self.places, self._stop, self._replaced = places, threading.Event(), False
        started = (
            self._start(
                places, places.folders, recursive=True, step_ms=FOLDERS_STEP_MS, lull=self.lull
            ),
            # Awake while a build runs: it looks seldom, and would hold a save too long.
            self._start(places, places.around, recursive=False, step_ms=AROUND_STEP_MS, lull=None),
        )
        # Return once the watches are in place, so that a save made as soon as the server
        # says it is serving, or has rebuilt, is seen.
        for asked in started:
            asked.first_asked.wait(WATCH_READY_SECONDS)
        if restarted:
            # What the old watches held and had not reported yet (saved while a build ran, see
            # `Lull`) went with them: look at everything again, as a folder's change does.
            self.changed(set(places.named))

    def _start(
        self,
        places: Places,
        paths: tuple[Path, ...],
        *,
        recursive: bool,
        step_ms: int,
        lull: Lull | None,
    ) -> AskedStop:
        """Watch `paths` on a thread of their own, looking every `step_ms`, asleep during
        builds with a `lull`."""
        asked = AskedStop(self._stop, lull)
        if not paths:
            asked.first_asked.set()
            return asked

        def run() -> None:
            batches = watch(
                *paths,
                watch_filter=None,
                step=step_ms,
                stop_event=asked,
                recursive=recursive,
                raise_interrupt=False,
                ignore_permission_denied=True,  # a folder inside that may not be listed
            )
            try:
                for changes in batches:
                    found = {Path(p) for _, p in changes if places.matters(Path(p))}
                    if any(map(places.holds_a_folder, found)):
                        self._replaced = True  # before the build it asks for follows places
                    if found:
                        self.changed(found)
            except OSError:
                pass  # gone before it was watched, or unreadable: the next build watches anew
            finally:
                asked.first_asked.set()

        thread = threading.Thread(target=run, name="sitegen-watch", daemon=True)
        self._threads = [*(t for t in self._threads if t.is_alive()), thread]
        thread.start()
        return asked

    def stop(self) -> None:
        self._stop.set()
        self.lull.wake()

    def close(self) -> None:
        """Stop every watch and wait, ten seconds at most, for its thread to end: a watch left
        running while Python shuts down can hold up the process's exit, its native watcher
        waiting for the interpreter that is tearing it down."""
        self.stop()
        deadline = time.monotonic() + WATCH_READY_SECONDS
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))


OVERLAY_STYLE = (
    "position:fixed;top:0;left:0;right:0;z-index:2147483647;margin:0;padding:1rem 1.25rem;"
    "max-height:60vh;overflow:auto;background:#fff1f0;color:#5c0011;"
    "border-bottom:3px solid #cf1322;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;"
    "white-space:pre-wrap;text-align:left;direction:ltr"
)
OVERLAY_CLOSE = (
    # Sticky, so that it stays in reach however long the list of errors scrolls.
    '<button type="button" aria-label="Hide the build\'s errors" style="position:sticky;'
    "top:0;float:right;margin-left:1rem;min-width:2.25rem;min-height:2.25rem;font:inherit;"
    "font-size:1.25rem;"
    'line-height:1;color:inherit;background:none;border:1px solid currentColor;cursor:pointer">'
    "\u00d7</button>"
)
OVERLAY_SCRIPT = (
    # The close button and Escape hide the errors, to reach the page beneath; a save brings them
    # back while the build still fails.
    "<script>(function(){var box=document.getElementById('sitegen-build-error');"
    "function hide(){box.remove();document.removeEventListener('keydown',key)}"
    "function key(e){if(e.key==='Escape')hide()}"
    "box.querySelector('button').addEventListener('click',hide);"
    "document.addEventListener('keydown',key)})()</script>"
)
RECONNECT_SCRIPT = (
    # A page whose connection to the server was lost (the server stopped, and started again)
    # may have missed a rebuild meanwhile: it reloads once it is connected again.
    "<script>(function(){var lost=false;"
    "document.addEventListener('LiveReloadDisconnect',function(){lost=true});"
    "document.addEventListener('LiveReloadConnect',function(){if(lost)location.reload()})"
    "})()</script>"
)
BODY_OPEN = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)


@dataclass
class Preview:
    """The server's state. Changed only on the event loop's thread."""

    places: Places
    port: int
    problems: tuple[str, ...] = ()  # the last build's errors, as `path:line: CODE message`
    warnings: tuple[str, ...] = ()  # and what else it found, shown after them
    served: bool = False  # the first build is done and the address printed
    warned: frozenset[Diagnostic] = field(default_factory=frozenset)

    @property
    def overlay(self) -> bytes:
        """The errors of a failed build, to lay over every served page; b"" after a good one."""
        if not self.problems:
            return b""
        errors = "".join(f"{html.escape(line)}\n" for line in self.problems)
        warnings = "".join(f"{html.escape(line)}\n" for line in self.warnings)
        shown = "this is the last good site" if self.places.has_site else "no site to show yet"
        return (
            f'<div id="sitegen-build-error" role="alert" dir="ltr" style="{OVERLAY_STYLE}">'
            f"{OVERLAY_CLOSE}<strong>sitegen: the build failed; {shown}.</strong>\n"
            f"{errors}<em>Fix it and save: this page reloads by itself.</em>"
            + (f'\n\n<span style="opacity:.7">Also:\n{warnings}</span>' if warnings else "")
            + f"</div>{OVERLAY_SCRIPT}"
        ).encode()

    @property
    def live_script(self) -> bytes:
        # livereload.js finds the server from its own address; the port is said explicitly
        # because a page on port 80 has none in its address, and livereload.js would guess.
        script = f'<script src="/livereload.js?port={self.port}" async></script>'
        return (RECONNECT_SCRIPT + script).encode()


def injector(preview: Preview) -> type[LiveScriptInjector]:
    """livereload's transform, which adds its script to every HTML response, also laying the
    last failed build's errors over the page."""

    class Inject(LiveScriptInjector):
        script = preview.live_script

        def transform_first_chunk(
            self, status_code: int, headers: Any, chunk: bytes, finishing: bool
        ) -> tuple[int, Any, bytes]:
            status_code, headers, chunk = super().transform_first_chunk(
                status_code, headers, chunk, finishing
            )
            overlay = preview.overlay
            body = BODY_OPEN.search(chunk)
            if overlay and body and "html" in headers.get("Content-Type", ""):
                chunk = chunk[: body.end()] + overlay + chunk[body.end() :]
                if "Content-Length" in headers:
                    headers["Content-Length"] = str(int(headers["Content-Length"]) + len(overlay))
            return status_code, headers, chunk

    return Inject


class ReloadSocket(LiveReloadHandler):
    """livereload's websocket, told of changes by the builder rather than its own watcher.

    `reload_waiters` is called directly: `poll_tasks`, livereload's usual route, ignores a
    change within 3 s of the last reload. livereload's Watcher is never started here; the
    handler only reads its `filepath` when logging.
    """

    live_css = True  # a stylesheet-only change swaps the stylesheet, without a page reload
    watcher = LiveReloadWatcher()


FALLBACK_PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title></head>"
    "<body><h1>{title}</h1><p>{message}</p></body></html>"
)


class SiteHandler(web.StaticFileHandler):
    """The built site, as GitHub Pages serves it: under the base path, directory URLs without
    their slash redirected, unknown paths answered with the site's own 404 page. Nothing
    outside the output folder is ever served: `..`, encoded or not, and symlinks that lead out
    are refused."""

    def initialize(self, preview: Preview) -> None:  # type: ignore[override]
        self.preview = preview
        super().initialize(path=str(preview.places.out_dir), default_filename="index.html")

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")  # a preview is never stale

    async def get(self, path: str, include_body: bool = True) -> None:
        base = self.preview.places.base_path
        if self.request.path in {"/", base.rstrip("/")} and base != "/":
            self.redirect(base)
            return
        within = unquote(base)  # `path` comes decoded: "/a%20b/" is "/a b/" there
        inside = ("/" + path)[len(within) :]
        if (
            not ("/" + path).startswith(within)
            or not self.preview.places.has_site
            or "\0" in path  # no file has it in its name; the file system would refuse it
            or PurePosixPath(path).name == MANIFEST  # sitegen's own record: never published
            # A file's path with a slash after it ("index.html/") names a folder, which is not
            # there: GitHub Pages answers 404, and the page's relative links would break.
            or (inside.endswith("/") and (self.preview.places.out_dir / inside).is_file())
        ):
            raise web.HTTPError(404)
        await super().get(inside, include_body)

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        valid = super().validate_absolute_path(root, absolute_path)
        if valid is not None and not Path(os.path.realpath(valid)).is_relative_to(
            os.path.realpath(root)
        ):
            raise web.HTTPError(403)
        return valid

    def compute_etag(self) -> str | None:
        return None  # every response is sent whole: see `should_return_304`

    def should_return_304(self) -> bool:
        return False

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if not isinstance(value, web.HTTPError):  # refused and missing paths: answered, not logged
            super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        places = self.preview.places
        page = places.out_dir / "404.html"
        if status_code == 404 and places.has_site and page.is_file():
            self.finish(page.read_bytes())
            return
        title = f"{status_code} {self._reason}"
        message = (
            "Nothing here yet: the site has not been built."
            if status_code == 404
            else "This path is not part of the site."
        )
        self.finish(FALLBACK_PAGE.format(title=html.escape(title), message=message))


def application(preview: Preview) -> web.Application:
    return web.Application(
        [
            (r"/livereload", ReloadSocket),
            (r"/livereload\.js", LiveReloadJSHandler),
            (r"/(.*)", SiteHandler, {"preview": preview}),
        ],
        transforms=[injector(preview)],
        log_function=lambda handler: None,  # the terminal is for builds, not requests
    )


class Session:
    """The event loop's side: prints what each build did, and tells the browser."""

    def __init__(self, options: ServeOptions, preview: Preview, watchers: Watchers) -> None:
        self.options = options
        self.preview = preview
        self.watchers = watchers
        self.cwd = Path.cwd()

    def finished(self, outcome: Outcome) -> None:
        preview = self.preview
        if outcome.config is not None:
            preview.places = Places.of(outcome.config)
            self.watchers.follow(preview.places)
        failed_before = bool(preview.problems)
        if outcome.result is None:
            self.failed(outcome)
            ReloadSocket.reload_waiters("*")
        else:
            changed = self.succeeded(outcome, outcome.result)
            css = preview.places.stylesheets(outcome.changed)
            if failed_before or (changed and not css):
                ReloadSocket.reload_waiters("*")
            elif changed:
                for path in css:
                    ReloadSocket.reload_waiters(path)
        if not preview.served:
            preview.served = True
            url = preview.places.url(self.options.host, self.options.port)
            say(f"Serving {url} (Ctrl-C to stop)")
            if self.options.open_browser:
                threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    def succeeded(self, outcome: Outcome, result: BuildResult) -> bool:
        """Print what the build did; whether any file of the site changed."""
        preview = self.preview
        preview.problems, preview.warnings = (), ()
        new = [d for d in result.warnings if d not in preview.warned]
        preview.warned = frozenset(result.warnings)
        for warning in new:
            print(warning.format(self.cwd), file=sys.stderr, flush=True)
        report = result.report
        assert report is not None
        chapters = len(result.anthology.chapters)
        if not outcome.changed:
            say(
                f"Built {chapters} chapter{'s' * (chapters != 1)} "
                f"({result.anthology.words:,} words) in {outcome.seconds:.2f} s"
            )
            return True
        reuse = outcome.reuse
        done_again = (
            f"{reuse.parsed} of {reuse.manuscripts} manuscripts parsed, "
            f"{reuse.rendered} of {reuse.pages} pages rendered, "
            if reuse
            else ""
        )
        say(
            f"Rebuilt in {outcome.seconds:.2f} s ({self.named(outcome.changed)}): {done_again}"
            f"{len(report.changed)} file{'s' * (len(report.changed) != 1)} changed"
            + (f", {len(report.removed)} removed" if report.removed else "")
        )
        return bool(report.changed or report.removed)

    def failed(self, outcome: Outcome) -> None:
        # Its errors, and the warnings this terminal has not shown yet: a failed build may
        # not have read every file, so those it did not are still remembered as shown.
        warned = self.preview.warned
        for problem in outcome.problems:
            if problem.severity is Severity.ERROR or problem not in warned:
                print(problem.format(self.cwd), file=sys.stderr, flush=True)
        self.preview.warned = warned | {
            d for d in outcome.problems if d.severity is not Severity.ERROR
        }
        # In the browser the errors come first: the one that broke the build is what the
        # writer came to see, not the warnings of other files around it.
        errors = [d for d in outcome.problems if d.severity is Severity.ERROR]
        self.preview.problems = tuple(d.format(self.cwd) for d in errors)
        self.preview.warnings = tuple(
            d.format(self.cwd) for d in outcome.problems if d.severity is not Severity.ERROR
        )
        serving = (
            "still serving the last good site"
            if self.preview.places.has_site
            else "nothing to serve until a build succeeds"
        )
        print(
            f"sitegen: the build failed ({len(errors)} error{'s' * (len(errors) != 1)}); {serving},"
            " with the errors shown in the browser",
            file=sys.stderr,
            flush=True,
        )

    def named(self, paths: tuple[Path, ...]) -> str:
        """The first of `paths` that is a file, the one a writer saved, or else the first."""
        first = next((path for path in paths if not path.is_dir()), paths[0])
        with_more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
        try:
            return f"{first.relative_to(self.cwd)}{with_more}"
        except ValueError:
            return f"{first}{with_more}"


def say(line: str) -> None:
    print(line, flush=True)


@contextmanager
def previewed(options: ServeOptions) -> Iterator[ServeOptions]:
    """`options`, writing the preview to a temporary folder of its own unless `--out` names
    one. The preview is built without the book (unless `--epub`), and into the output folder
    it would remove the book a `sitegen build` left there for publishing; so, like MkDocs'
    and Hugo's servers, it leaves that folder alone. The folder is removed on the way out."""
    if options.out is not None:
        yield options
        return
    home = Path(tempfile.mkdtemp(prefix="sitegen-preview-"))
    try:
        yield replace(options, out=home / "site")
    finally:
        remove_tree(home)


async def run(options: ServeOptions) -> int:
    try:
        places = Places.of(options.load())
    except SitegenError:
        places = Places.guess(options)  # the builder reports why, in the terminal and browser
    try:
        sockets = bind_sockets(options.port, address=options.host)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(
                f"sitegen: port {options.port} on {options.host} is in use; "
                f"try --port {options.port + 1}",
                file=sys.stderr,
            )
        else:
            print(
                f"sitegen: cannot listen on {options.host}:{options.port}: {exc.strerror or exc}",
                file=sys.stderr,
            )
        return 1
    # --port 0 asks the system for a free port: the one it gave is the one to show and serve.
    options = replace(options, port=sockets[0].getsockname()[1])
    preview = Preview(places, options.port)
    server = HTTPServer(application(preview))
    server.add_sockets(sockets)
    loop = asyncio.get_running_loop()
    session: Session
    lull = Lull()
    builder = Builder(
        options, lambda outcome: loop.call_soon_threadsafe(session.finished, outcome), lull
    )
    watchers = Watchers(builder.request, lull)
    session = Session(options, preview, watchers)
    watchers.follow(places)
    builder.start()
    try:
        await asyncio.Event().wait()  # until Ctrl-C cancels this task
    finally:
        # A build under way is let finish what it is doing, so that a site it writes is whole
        # (one still being made is not written): a second Ctrl-C, pressed meanwhile, must not
        # cut a write short and leave half of it.
        _ignore_requests_to_end()
        watchers.close()
        builder.stop()
        server.stop()
    return 0


def _ignore_requests_to_end() -> None:
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # Windows has no SIGHUP
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


def _stopped_by_a_request_to_end() -> None:
    """Stop as Ctrl-C does when asked to end otherwise (`kill` sends SIGTERM, closing the
    terminal SIGHUP), so that the preview's folder is removed then too."""

    def stop(_signal: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):  # Windows has no SIGHUP
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


def serve(options: ServeOptions) -> int:
    _stopped_by_a_request_to_end()
    try:
        with previewed(options) as previewing:
            return asyncio.run(run(previewing))
    except KeyboardInterrupt:
        print("\nStopped serving.", flush=True)
        return 0


__all__ = ["ServeOptions", "serve"]
