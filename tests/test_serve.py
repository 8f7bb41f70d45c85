"""`sitegen serve`, as a writer uses it: the real command in a subprocess on a free port, real
files in a temporary project, and a real Chromium that is never touched after it opens a page.

Rebuilds are counted from the `Rebuilt ...` line the server prints for each one.
"""

from __future__ import annotations

import filecmp
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, copy_project, run_sitegen

from sitegen.serve import RESTART_WITHIN_SECONDS

SUB_PATH_URL = "https://example.github.io/anthology/"
CONFIG_ERROR = re.compile(r"anthology\.toml:\d+: E001 ")
WAIT_MS = 30_000  # generous: other work may share this machine's two cores


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Serving:
    """`sitegen serve` running in `root`, its output collected line by line."""

    def __init__(
        self, root: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.root = root
        self.port = free_port() if port is None else port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "serve", "--port", str(self.port), *args],
            cwd=root,
            # A server that will not stop is sent SIGABRT (see `stop`): Python then prints
            # where each of its threads was.
            env={**(os.environ if env is None else env), "PYTHONFAULTHANDLER": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._news = threading.Condition()
        for stream, lines in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True).start()
        self.url = self.wait_for(r"^Serving (\S+) ").group(1)
        self.port = int(re.match(r"http://[^/]+:(\d+)/", self.url).group(1))  # type: ignore[union-attr]

    def _collect(self, stream, lines: list[str]) -> None:
        for line in stream:
            with self._news:
                lines.append(line.rstrip("\n"))
                self._news.notify_all()

    def wait_for(self, pattern: str, *, stream: str = "stdout", seen: int = 0) -> re.Match[str]:
        """The first line past the first `seen` of `stream` that matches `pattern`."""
        lines = self.stdout if stream == "stdout" else self.stderr
        deadline = time.monotonic() + WAIT_MS / 1000
        with self._news:
            while True:
                for line in lines[seen:]:
                    if match := re.search(pattern, line):
                        return match
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError(
                        f"no line matching {pattern!r}; stdout: {self.stdout}, "
                        f"stderr: {self.stderr}"
                    )
                self._news.wait(0.1)

    @property
    def rebuilds(self) -> int:
        with self._news:
            return sum(line.startswith("Rebuilt ") for line in self.stdout)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=10)
            time.sleep(0.5)  # the collecting threads read the last lines
            stacks = "\n".join(self.stderr[-80:])
            raise AssertionError(f"serve did not stop on Ctrl-C; its threads:\n{stacks}") from None
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """A raw request for `path`, sent exactly as written (no normalising of `..`)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The seeds with the repository's config, templates and theme, all free to edit."""
    root = copy_project(tmp_path / "anthology")
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "theme", root / "theme")
    return root


@pytest.fixture
def serve() -> Iterator[type[Serving]]:
    started: list[Serving] = []

    class Started(Serving):
        def __init__(self, *args, **kwargs) -> None:
            started.append(self)
            super().__init__(*args, **kwargs)

    yield Started
    for server in started:
        server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


def save(path: Path, text: str) -> None:
    """Write a file the way many editors do: a temporary file, renamed over the old one."""
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)


def opened(page, url: str) -> None:
    """Open `url`, and wait until its LiveReload client has connected: a rebuild that ends
    before then has no page to tell (on a busy machine, a test saving at once could miss it)."""
    page.goto(url)
    page.wait_for_function(
        "() => window.LiveReload && LiveReload.connector"
        " && LiveReload.connector._isSocketConnected()"
    )


def first_chapter(server: Serving) -> str:
    status, _, body = server.get(server.url.removeprefix(f"http://127.0.0.1:{server.port}"))
    assert status == 200
    href = re.search(rb'<ol class="contents">.*?<a href="([^"]+)"', body, re.DOTALL)
    assert href, "the home page lists no chapter"
    return server.url + href.group(1).decode()


@pytest.mark.browser
def test_a_saved_sentence_appears_in_the_open_chapter_and_a_burst_of_saves_is_one_rebuild(
    project: Path, serve, page
) -> None:
    server = serve(project)
    manuscript = project / "seeds" / "000_8e09d97cdccea25b.txt"
    lines = manuscript.read_text("utf-8").splitlines()
    target = next(n for n, line in enumerate(lines) if n > 10 and len(line.split()) > 8)
    opened(page, first_chapter(server))
    page.evaluate("window.scrollTo(0, 1200)")
    page.wait_for_function("window.scrollY > 1000")

    lines[target] = "The harbour lights came back on, one street at a time."
    save(manuscript, "\n".join(lines) + "\n")
    page.locator(".prose").get_by_text("The harbour lights came back on").wait_for()
    server.wait_for(r"^Rebuilt .*: 1 of 5 manuscripts parsed, (\d+) of (\d+) pages rendered")
    assert page.evaluate("window.scrollY") > 1000, "the reload lost the reader's place"
    assert server.rebuilds == 1

    for number in range(1, 6):
        lines[target] = f"Save number {number} of the same sentence."
        manuscript.write_text("\n".join(lines) + "\n", "utf-8")
        time.sleep(0.02)
    page.locator(".prose").get_by_text("Save number 5 of the same sentence.").wait_for()
    time.sleep(1)  # time for a second rebuild to show up, if the burst caused one
    assert server.rebuilds == 2, server.stdout


def test_an_edit_renders_again_only_the_pages_that_show_it(project: Path, serve) -> None:
    server = serve(project)
    manuscript = project / "seeds" / "002_ef6fb1f138db9e8e.txt"
    lines = manuscript.read_text("utf-8").splitlines()
    target = next(n for n, line in enumerate(lines) if n > 10 and len(line.split()) > 8)
    words = lines[target].split()
    lines[target] = " ".join([*words[:-1], "quietly."])  # as many words as before
    save(manuscript, "\n".join(lines) + "\n")
    rebuilt = server.wait_for(r"^Rebuilt .*: (\d+) of (\d+) manuscripts parsed, (\d+) of (\d+)")
    parsed, manuscripts, rendered, pages = map(int, rebuilt.groups())
    assert (parsed, manuscripts) == (1, 5)
    assert 1 <= rendered <= pages // 2, rebuilt.group(0)


def test_rebuilds_write_the_same_site_as_a_fresh_build(
    project: Path, serve, tmp_path: Path
) -> None:
    server = serve(project, "--out", "output")
    seeds = project / "seeds"
    edited = seeds / "002_ef6fb1f138db9e8e.txt"
    save(edited, edited.read_text("utf-8") + "\nOne more line, quietly.\n")
    server.wait_for(r"^Rebuilt ")
    (seeds / "003_16f21ff587169ca7.txt").unlink()
    config = project / "anthology.toml"
    text = config.read_text("utf-8")
    text = text.replace('file = "003_16f21ff587169ca7.txt"\ntitle = "The Silence"\n', "")
    save(config, text.replace("[[chapters]]\n\n[[chapters]]", "[[chapters]]"))
    save(seeds / "005_new.txt", "# Brand New\n\nKai walked in. Nobody looked up.\n")
    home = project / "output" / "index.html"
    deadline = time.monotonic() + WAIT_MS / 1000
    while "Brand New" not in home.read_text("utf-8") or "The Silence" in home.read_text("utf-8"):
        assert time.monotonic() < deadline, server.stdout + server.stderr
        time.sleep(0.1)
    fresh = tmp_path / "fresh"
    run_sitegen("build", "--no-epub", "--out", str(fresh), cwd=project, check=True)
    assert differences(project / "output", fresh) == []
    # The server keeps the site each rebuild replaced, to stage the next one in; stopped, it
    # leaves nothing beside the output folder.
    assert server.stop() == 0
    assert not [p.name for p in project.iterdir() if p.name.startswith(".output")]


def test_the_preview_leaves_the_built_site_and_its_book_alone(
    project: Path, serve, tmp_path: Path
) -> None:
    """A preview without the book, written over `sitegen build`'s site, would remove the book
    that site is published with."""
    run_sitegen("build", cwd=project, check=True)
    out = project / "output"
    built = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert any(p.suffix == ".epub" for p in built)
    previews = tmp_path / "previews"
    previews.mkdir()
    server = serve(project, env={**os.environ, "TMPDIR": str(previews)})
    manuscript = project / "seeds" / "000_8e09d97cdccea25b.txt"
    save(manuscript, manuscript.read_text("utf-8") + "\nA sentence for the preview only.\n")
    server.wait_for(r"^Rebuilt ")
    status, _, body = server.get(
        first_chapter(server).removeprefix(f"http://127.0.0.1:{server.port}")
    )
    assert status == 200 and b"A sentence for the preview only." in body
    assert len(list(previews.iterdir())) == 1  # the preview's own folder
    assert server.stop() == 0
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == built
    assert list(previews.iterdir()) == []


@pytest.mark.parametrize("ending", [signal.SIGTERM, signal.SIGHUP])
def test_the_preview_is_removed_when_serve_is_killed_or_its_terminal_closed(
    project: Path, serve, tmp_path: Path, ending: signal.Signals
) -> None:
    previews = tmp_path / "previews"
    previews.mkdir()
    server = serve(project, env={**os.environ, "TMPDIR": str(previews)})
    assert len(list(previews.iterdir())) == 1
    server.process.send_signal(ending)
    assert server.process.wait(timeout=60) == 0
    assert list(previews.iterdir()) == []
    assert "Traceback" not in "".join(server.stderr)


def test_a_manuscript_the_config_lists_in_a_subfolder_is_rebuilt_on_save(
    project: Path, serve
) -> None:
    part = project / "seeds" / "part-two"
    part.mkdir()
    later = part / "later.txt"
    later.write_text("Mara kept this story in a folder of its own.\n", "utf-8")
    config = project / "anthology.toml"
    with config.open("a", encoding="utf-8") as entries:
        entries.write('\n[[chapters]]\nfile = "part-two/later.txt"\ntitle = "Later"\n')
    server = serve(project)
    save(later, "Mara moved the story back out, one day.\n")
    server.wait_for(r"^Rebuilt .*part-two/later\.txt")
    status, _, body = server.get("/chapters/later/")
    assert status == 200 and b"Mara moved the story back out" in body


@pytest.mark.parametrize("write", ["through the link", "to the file it leads to"])
def test_a_manuscript_linked_in_from_elsewhere_is_rebuilt_on_save(
    project: Path, serve, write: str
) -> None:
    """A story kept in a drafts folder and linked into seeds/ is read by the build; a save
    to it, made through the link or not, changes the file where it is, which the watch on
    seeds/ alone would never see."""
    drafts = project / "drafts"
    drafts.mkdir()
    story = drafts / "003_16f21ff587169ca7.txt"
    (project / "seeds" / story.name).rename(story)
    (project / "seeds" / story.name).symlink_to(Path("..") / "drafts" / story.name)
    server = serve(project)
    saved = project / "seeds" / story.name if write == "through the link" else story
    with saved.open("a", encoding="utf-8") as text:
        text.write("\nA line added to the draft.\n")
    server.wait_for(r"^Rebuilt ")
    status, _, body = server.get("/chapters/the-silence/")
    assert status == 200 and b"A line added to the draft." in body


def test_a_draft_linked_in_while_serving_or_empty_at_first_is_rebuilt_on_save(
    project: Path, serve
) -> None:
    """A link made while the preview runs, and a linked draft with no text yet (left out of
    the site), are watched too: writing into either shows."""
    drafts = project / "drafts"
    drafts.mkdir()
    empty = drafts / "later.txt"
    empty.write_text("", "utf-8")
    (project / "seeds" / "later.txt").symlink_to(empty)
    server = serve(project)
    empty.write_text("# Later\nThe draft has words now.\n", "utf-8")
    server.wait_for(r"^Rebuilt ")
    assert b"The draft has words now." in server.get("/chapters/later/")[2]
    new = drafts / "newer.txt"
    new.write_text("# Newer\nA second draft.\n", "utf-8")
    seen = len(server.stdout)
    (project / "seeds" / "newer.txt").symlink_to(new)
    server.wait_for(r"^Rebuilt ", seen=seen)
    seen = len(server.stdout)
    new.write_text("# Newer\nA second draft, written on.\n", "utf-8")
    server.wait_for(r"^Rebuilt ", seen=seen)
    assert b"A second draft, written on." in server.get("/chapters/newer/")[2]


def test_a_save_right_after_the_source_folder_moves_is_seen(project: Path, serve) -> None:
    """Watching a folder of many subfolders takes a moment: the server must not say it has
    rebuilt before the new folder is watched, or a save made at once is lost."""
    stories = project / "stories"
    deep = stories / "drafts" / "late"
    deep.mkdir(parents=True)
    for number in range(1000):  # a writer's archive: each subfolder is one more watch
        (stories / "archive" / f"{number // 100}" / f"{number}").mkdir(parents=True)
    story = deep / "story.txt"
    story.write_text("Mara kept her drafts deep in the archive.\n", "utf-8")
    server = serve(project)
    config = project / "anthology.toml"
    moved = re.sub(r"(?ms)^\[\[chapters\]\].*", "", config.read_text("utf-8"))
    entry = '[[chapters]]\nfile = "drafts/late/story.txt"\ntitle = "Late"\n'
    save(config, f'source = "stories"\n{moved}{entry}')
    server.wait_for(r"^Rebuilt ")
    save(story, "Mara found the draft again and finished it.\n")
    # Built on its own, or by the look at everything the new watches begin with.
    deadline = time.monotonic() + WAIT_MS / 1000
    while b"finished it" not in server.get("/chapters/late/")[2]:
        assert time.monotonic() < deadline, server.stdout
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("how", "source"),
    [
        ("moved back", "seeds"),
        ("made anew", "seeds"),
        ("swapped at once, twice", "seeds"),
        ("moved back", "content/seeds"),
        ("swapped at once, twice", "content/seeds"),
        ("moved back with the folder holding it", "content/drafts/seeds"),
    ],
)
def test_a_source_folder_taken_away_and_put_back_is_built_and_watched_again(
    project: Path, serve, how: str, source: str
) -> None:
    """A checkout, a sync or a rename takes the manuscripts' folder away and puts one back:
    the error shows while it is gone, the site comes back with it, and a save in the folder
    put back is seen (it is another folder, which the watch on the old one never sees), also
    when it took the old one's place at once, time after time, and wherever it is."""
    seeds = project / source
    if source != "seeds":
        seeds.parent.mkdir(parents=True)
        (project / "seeds").rename(seeds)
        config = project / "anthology.toml"
        config.write_text(f'source = "{source}"\n' + config.read_text("utf-8"), "utf-8")
    server = serve(project)
    moving = seeds.parent if how.endswith("holding it") else seeds
    away = moving.with_name("away")
    for round in range(2 if how.endswith("twice") else 1):
        if how.startswith("swapped"):
            fresh = shutil.copytree(seeds, seeds.with_name(f"fresh-{round}"))
            built = len(server.stdout)
            seeds.rename(away.with_name(f"away-{round}"))
            fresh.rename(seeds)
        else:
            moving.rename(away)
            server.wait_for(r"E012 source folder not found", stream="stderr")
            built = len(server.stdout)
            if how.startswith("moved back"):
                away.rename(moving)
            else:
                seeds.mkdir()
                for manuscript in away.iterdir():
                    shutil.copy2(manuscript, seeds / manuscript.name)
        server.wait_for(r"^Rebuilt ", seen=built)
        story = min(seeds.glob("*.txt"))
        built = len(server.stdout)
        opening = f"Wren came back to the harbour, time {round + 1}."
        save(story, f"{opening}\n{story.read_text('utf-8')}")
        # Built on its own, or by the look at everything the new watches begin with.
        deadline = time.monotonic() + WAIT_MS / 1000
        while opening.encode() not in server.get("/")[2]:  # the story's teaser
            assert time.monotonic() < deadline, server.stdout[built:]
            time.sleep(0.05)


def test_the_error_that_broke_the_build_comes_first_and_counts_start_afresh(
    project: Path, serve
) -> None:
    """The seeds always carry three warnings; a manuscript that will not decode breaks the
    build. The page shows that error first, the warnings after, and the terminal that error
    alone (it showed the warnings already); once it is fixed, the rebuild counts its own work,
    not the failed build's too."""
    story = project / "seeds" / "002_ef6fb1f138db9e8e.txt"
    good = story.read_bytes()
    server = serve(project)
    server.wait_for(r"004_888cfbc87bdd0a5f\.txt:100: W021 ", stream="stderr")  # the last
    warned = len(server.stderr)
    assert sum(" W02" in line for line in server.stderr) == 3, server.stderr
    story.write_bytes(good + b"\xff\n")
    server.wait_for(r"^sitegen: the build failed \(1 error\)", stream="stderr")
    told = server.stderr[warned:]
    assert len(told) == 2 and "E010 " in told[0], told
    _, _, body = server.get("/")
    overlay = re.search(rb'<div id="sitegen-build-error".*?</div>', body, re.DOTALL)
    assert overlay, body
    lines = overlay.group().decode().splitlines()
    assert "E010 " in lines[1] and "002_ef6fb1f138db9e8e.txt" in lines[1], lines
    also = next(at for at, line in enumerate(lines) if line.endswith("Also:"))
    assert also > 2 and "W021 " in lines[also + 1]
    story.write_bytes(good)
    rebuilt = server.wait_for(r"^Rebuilt .*: (\d+) of (\d+) manuscripts parsed").groups()
    assert rebuilt == ("0", "5")  # its bytes are those of the last good build: kept


def differences(left: Path, right: Path) -> list[str]:
    compared = filecmp.dircmp(left, right, ignore=[])
    found = [*compared.left_only, *compared.right_only]
    found += [
        name
        for name in compared.common_files
        if (left / name).read_bytes() != (right / name).read_bytes()
    ]
    for folder in compared.common_dirs:
        found += [f"{folder}/{name}" for name in differences(left / folder, right / folder)]
    return found


@pytest.mark.browser
def test_a_broken_config_shows_its_error_in_the_page_until_it_is_fixed(
    project: Path, serve, page
) -> None:
    server = serve(project)
    opened(page, server.url)
    config = project / "anthology.toml"
    good = config.read_text("utf-8")
    save(config, good.replace('title = "After the Lights Went Out"', 'title = "After the'))
    overlay = page.locator("#sitegen-build-error")
    overlay.wait_for()
    assert CONFIG_ERROR.search(overlay.inner_text()), overlay.inner_text()
    assert page.locator("h1").first.inner_text() == "After the Lights Went Out"  # the last good
    server.wait_for(r"E001 ", stream="stderr")

    save(config, good.replace("After the Lights Went Out", "After the Lights Came Back"))
    page.locator("h1", has_text="After the Lights Came Back").wait_for()
    assert overlay.count() == 0
    assert server.process.poll() is None


@pytest.mark.browser
def test_the_error_box_reads_left_to_right_and_can_be_put_aside(project: Path, serve, page) -> None:
    """On a right-to-left site the box keeps its English lines in order; the close button, or
    Escape, hides it to reach the page beneath it, and the next save brings it back."""
    config = project / "anthology.toml"
    config.write_text(config.read_text("utf-8").replace('language = "en"', 'language = "ar"'))
    server = serve(project)
    opened(page, server.url)
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    good = config.read_text("utf-8")
    save(config, good.replace('title = "After the Lights Went Out"', 'title = "After the'))
    box = page.locator("#sitegen-build-error")
    box.wait_for()
    assert box.evaluate("box => getComputedStyle(box).direction") == "ltr"
    page.keyboard.press("Escape")
    assert box.count() == 0
    page.locator(".theme-toggle").click()  # beneath the box, within reach again
    page.reload()
    box.wait_for()
    page.get_by_role("button", name="Hide the build's errors").click()
    assert box.count() == 0
    save(config, good.replace('title = "After the Lights Went Out"', 'title = "After th'))
    box.wait_for()


@pytest.mark.browser
def test_a_page_open_while_the_server_restarts_shows_what_changed_meanwhile(
    project: Path, serve, page
) -> None:
    """Stopped, then started again (after a change of config, say): an edit made while it was
    down is on the page once it is back, with no action in the page."""
    server = serve(project)
    opened(page, first_chapter(server))
    assert server.stop() == 0
    manuscript = project / "seeds" / "000_8e09d97cdccea25b.txt"
    lines = manuscript.read_text("utf-8").splitlines()
    target = next(n for n, line in enumerate(lines) if n > 10 and len(line.split()) > 8)
    lines[target] = "Written while the preview was stopped."
    save(manuscript, "\n".join(lines) + "\n")
    serve(project, port=server.port)
    page.locator(".prose").get_by_text("Written while the preview was stopped.").wait_for()


@pytest.mark.browser
def test_a_stylesheet_change_applies_without_reloading_the_page_under_a_sub_path(
    project: Path, serve, page
) -> None:
    server = serve(project, "--base-url", SUB_PATH_URL)
    assert server.url.endswith("/anthology/")
    opened(page, server.url)
    page.evaluate("window.notReloaded = true")
    stylesheet = project / "theme" / "style.css"
    save(stylesheet, stylesheet.read_text("utf-8") + "\nh1 { color: rgb(1, 2, 3) !important; }\n")
    page.wait_for_function(
        "getComputedStyle(document.querySelector('h1')).color === 'rgb(1, 2, 3)'"
    )
    assert page.evaluate("window.notReloaded === true"), "the whole page was reloaded"


@pytest.mark.browser
def test_a_stylesheet_saved_as_editors_do_applies_without_reloading_the_page(
    project: Path, serve, page
) -> None:
    """Saved the safe way, through a temporary file renamed over it (and, as JetBrains
    editors do, the old file moved aside and deleted), the stylesheet is still swapped in."""
    server = serve(project)
    opened(page, server.url)
    page.evaluate("window.notReloaded = true")
    stylesheet = project / "theme" / "style.css"
    temporary = stylesheet.with_name("style.css___jb_tmp___")
    aside = stylesheet.with_name("style.css___jb_old___")
    temporary.write_text(
        stylesheet.read_text("utf-8") + "\nh1 { color: rgb(4, 5, 6) !important; }\n", "utf-8"
    )
    stylesheet.rename(aside)
    temporary.rename(stylesheet)
    aside.unlink()
    page.wait_for_function(
        "getComputedStyle(document.querySelector('h1')).color === 'rgb(4, 5, 6)'"
    )
    assert page.evaluate("window.notReloaded === true"), "the whole page was reloaded"


@pytest.mark.browser
def test_a_new_manuscript_appears_and_a_deleted_one_is_gone_with_a_404(
    project: Path, serve, page
) -> None:
    server = serve(project)
    opened(page, server.url)
    new = project / "seeds" / "005_the_lantern_keeper.txt"
    save(new, "# The Lantern Keeper\n\nShe lit the last lamp on the pier and waited.\n")
    link = page.locator(".contents a", has_text="The Lantern Keeper")
    link.wait_for()
    chapter = link.get_attribute("href")
    assert chapter
    chapter_url = server.url + chapter
    response = page.request.get(chapter_url)
    assert response.status == 200
    assert "She lit the last lamp" in response.text()

    new.unlink()
    link.wait_for(state="detached")
    gone = page.goto(chapter_url)
    assert gone is not None and gone.status == 404
    assert "Page not found" in page.locator("h1").inner_text()


def test_a_renamed_manuscript_moves_on_the_site(project: Path, serve) -> None:
    server = serve(project)
    seeds = project / "seeds"
    save(seeds / "005_harbour.txt", "The ferry left without its captain.\n")  # no title line
    server.wait_for(r"^Rebuilt ")
    old = "/chapters/005-harbour/"
    status, _, body = server.get(old)
    assert status == 200 and b"The ferry left without its captain." in body
    os.replace(seeds / "005_harbour.txt", seeds / "006_lighthouse.txt")
    server.wait_for(r"^Rebuilt ", seen=len(server.stdout))
    status, _, body = server.get("/chapters/006-lighthouse/")
    assert status == 200 and b"The ferry left without its captain." in body
    status, _, body = server.get(old)
    assert status == 404 and b"Page not found" in body


def test_with_epub_the_preview_offers_the_book(project: Path, serve) -> None:
    server = serve(project, "--epub")
    status, _, home = server.get("/")
    link = re.search(rb'href="([^"]+\.epub)"', home)
    assert status == 200 and link, "the home page offers no EPUB"
    status, _, book = server.get("/" + link.group(1).decode())
    assert status == 200 and book.startswith(b"PK") and b"application/epub+zip" in book[:100]


def test_paths_outside_the_site_are_refused(project: Path, serve, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret that must not be served", "utf-8")
    server = serve(project, "--out", "output")
    out = project / "output"
    (out / "linked.txt").symlink_to(secret)
    (out / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    depth = "/".join([".."] * len(out.relative_to(tmp_path).parts))
    attempts = [
        f"/{depth}/secret.txt",
        f"/{depth.replace('..', '%2e%2e')}/secret.txt",
        f"/{depth.replace('/', '%2f')}%2fsecret.txt",
        f"/chapters/..%2f{depth.replace('/', '%2F')}%2Fsecret.txt",
        f"/%2f{str(secret).lstrip('/').replace('/', '%2f')}",
        "/linked.txt",
        "/linked-folder/secret.txt",
        "/%2fetc%2fpasswd",
    ]
    for attempt in attempts:
        status, _, body = server.get(attempt)
        assert status in (403, 404), (attempt, status)
        assert b"secret that must not" not in body and b"root:" not in body, attempt
    status, _, body = server.get("/no/such/page/")
    assert status == 404
    assert b"Page not found" in body  # the site's own 404 page
    # Nor sitegen's own record of what it wrote (never published), nor a NUL in a path,
    # which once answered 500 and printed a traceback in the writer's terminal.
    for path in ("/.sitegen-manifest", "/chapters/%00", "/%00.html"):
        status, _, body = server.get(path)
        assert status == 404 and b"Page not found" in body, path
    assert not any("Traceback" in line for line in server.stderr), server.stderr


def test_the_site_is_served_under_its_sub_path(project: Path, serve) -> None:
    server = serve(project, "--base-url", SUB_PATH_URL)
    assert server.url == f"http://127.0.0.1:{server.port}/anthology/"
    status, headers, _ = server.get("/")
    assert (status, headers["Location"]) == (302, "/anthology/")
    status, headers, _ = server.get("/anthology")
    assert status in (301, 302) and headers["Location"] == "/anthology/"
    status, _, body = server.get("/anthology/")
    assert status == 200 and b"After the Lights Went Out" in body
    status, headers, _ = server.get("/anthology/chapters")
    assert (status, headers["Location"]) == (301, "/anthology/chapters/")
    status, _, body = server.get("/index.html")
    assert status == 404 and b"Page not found" in body


def test_a_sub_path_with_an_escaped_character_is_served_where_it_says(project: Path, serve) -> None:
    """`/a%20b/` is the address printed and redirected to; the site must be there."""
    server = serve(project, "--base-url", "/short%20stories/")
    assert server.url.endswith("/short%20stories/")
    status, _, body = server.get("/short%20stories/")
    assert status == 200 and b"After the Lights Went Out" in body
    status, _, _ = server.get("/short%20stories/chapters/the-silence/")
    assert status == 200


def test_a_page_with_a_slash_after_it_is_not_found_as_on_github_pages(project: Path, serve) -> None:
    """`/index.html/` served as the page would load its stylesheet from `/index.html/theme/`:
    an unstyled page that GitHub Pages would never show."""
    server = serve(project)
    assert server.get("/chapters/the-silence/index.html")[0] == 200
    for path in ("/index.html/", "/chapters/the-silence/index.html/"):
        assert server.get(path)[0] == 404, path


def test_a_server_started_on_a_broken_config_shows_the_error_then_the_site(
    project: Path, serve
) -> None:
    config = project / "anthology.toml"
    good = config.read_text("utf-8")
    config.write_text(good.replace("[[chapters]]", "[[chapters]", 1), "utf-8")
    server = serve(project)
    status, _, body = server.get("/")
    assert status == 404
    assert CONFIG_ERROR.search(body.decode()), body
    save(config, good)
    server.wait_for(r"^Rebuilt ")
    status, _, body = server.get("/")
    assert status == 200 and b"sitegen-build-error" not in body


def test_a_misnamed_config_taken_away_is_rebuilt_without_it(project: Path, serve) -> None:
    """Saved as Anthology.toml, the config stops the build (E000); deleted (the writer will
    do without one), the next build is made at once, with no other save needed."""
    config = project / "anthology.toml"
    misnamed = project / "Anthology.toml"
    config.rename(misnamed)
    server = serve(project)
    server.wait_for(r"Anthology\.toml: E000 ", stream="stderr")
    misnamed.unlink()
    server.wait_for(r"^Rebuilt ")
    status, _, body = server.get("/")
    assert status == 200 and b"sitegen-build-error" not in body


def test_ctrl_c_stops_the_server_cleanly(project: Path) -> None:
    server = Serving(project)
    assert server.stop() == 0
    assert server.stdout[-1] == "Stopped serving."
    assert not any("Traceback" in line for line in server.stderr)


def test_ctrl_c_twice_during_a_rebuild_waits_for_it_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    """A second Ctrl-C while the first waits for the build in progress must not cut the
    shutdown short: no traceback, no half-written staging folder left beside the site."""
    project = big_project(tmp_path)
    config = project / "anthology.toml"
    server = Serving(project, "--out", "site")
    config.write_text('title = "Bigger"\nauthor = "A. Writer"\n', "utf-8")  # every page
    deadline = time.monotonic() + 30
    while not any(p.name.startswith(".output.staging-") for p in project.iterdir()):
        assert time.monotonic() < deadline, server.stdout
        time.sleep(0.002)  # until the rebuild writes its site
    while server.process.poll() is None:  # Ctrl-C, again and again, until it has stopped
        server.process.send_signal(signal.SIGINT)
        time.sleep(0.02)
    assert server.process.wait(timeout=60) == 0
    time.sleep(0.2)  # the collecting threads read the last lines
    assert not any("Traceback" in line or "Exception" in line for line in server.stderr)
    # The rebuild was let finish: its site is the one in place, whole.
    assert "<title>Bigger</title>" in (project / "site" / "index.html").read_text("utf-8")
    # A site the rebuild replaced may be left, set aside, for the next build to remove.
    left = sorted(p.name for p in project.iterdir() if not p.name.startswith(".output.aside-"))
    assert left == ["anthology.toml", "seeds", "site"]


@pytest.mark.parametrize("restarting", [False, True], ids=["watches kept", "watches restarted"])
def test_a_save_made_while_a_rebuild_runs_is_built_when_it_ends(
    tmp_path: Path, serve, restarting: bool
) -> None:
    """The watches sleep while a build runs; what is saved meanwhile must still be built, also
    when the build's end restarts them (a templates folder made): the old watches go then,
    with what they had not reported."""
    project = big_project(tmp_path)
    server = serve(project, "--out", "site")
    config = project / "anthology.toml"
    config.write_text('title = "Bigger"\nauthor = "A. Writer"\n', "utf-8")  # every page
    if restarting:
        (project / "templates").mkdir()
    deadline = time.monotonic() + 30
    while not any(p.name.startswith(".output.staging-") for p in project.iterdir()):
        assert time.monotonic() < deadline, server.stdout
        time.sleep(0.002)  # until the rebuild writes its site
    story = project / "seeds" / "007.txt"
    save(story, story.read_text("utf-8") + "A sentence saved mid-build.\n")
    if not restarting:
        server.wait_for(r"^Rebuilt .*\(seeds/007\.txt\)")
    chapter = project / "site" / "chapters" / "story-7" / "index.html"
    deadline = time.monotonic() + WAIT_MS / 1000
    while "A sentence saved mid-build." not in chapter.read_text("utf-8"):
        assert time.monotonic() < deadline, server.stdout
        time.sleep(0.05)
    assert "<title>Bigger</title>" in (project / "site" / "index.html").read_text("utf-8")
    if not restarting:  # else the save is built with the look at everything after a restart
        assert server.rebuilds == 2


def test_a_template_broken_and_mended_in_one_burst_shows_no_error(project: Path, serve) -> None:
    """A failed build waits for its burst to settle too: a file written in two steps (a tool's
    first write broken, its second whole) must not flash an error at the writer."""
    server = serve(project)
    template = project / "templates" / "base.html"
    text = template.read_text("utf-8")
    template.write_text(text + "{% if %}", "utf-8")
    time.sleep(0.04)
    template.write_text(text.replace("</body>", "<p>Mended.</p>\n</body>"), "utf-8")
    server.wait_for(r"^Rebuilt ")
    assert b"<p>Mended.</p>" in server.get("/")[2]
    time.sleep(1)  # time for a failed build, or a second rebuild, to show up
    assert not any("failed" in line for line in server.stderr), server.stderr
    assert server.rebuilds == 1, server.stdout


def test_a_save_made_before_a_rebuild_writes_makes_it_start_again(tmp_path: Path, serve) -> None:
    """A rebuild begins at the first change reported and writes once the burst has settled: a
    second save while it makes the site is built with the first, in one rebuild, rather than
    showing the reader the first save's site and then reloading again."""
    project = big_project(tmp_path)
    server = serve(project, "--out", "site")
    config = project / "anthology.toml"
    config.write_text('title = "Bigger"\nauthor = "A. Writer"\n', "utf-8")  # every page
    time.sleep(0.15)  # the rebuild has begun (or, on a slow machine, is about to)
    staged = [p.name for p in project.iterdir() if p.name.startswith(".output.staging-")]
    assert not staged and server.rebuilds == 0, "the rebuild wrote before the second save"
    story = project / "seeds" / "007.txt"
    save(story, story.read_text("utf-8") + "A sentence saved mid-build.\n")
    # What the build begun first made counts too: it is not made again.
    server.wait_for(r"^Rebuilt .*: 1 of 300 manuscripts parsed, 320 of 320 pages rendered")
    chapter = project / "site" / "chapters" / "story-7" / "index.html"
    assert "A sentence saved mid-build." in chapter.read_text("utf-8")
    assert "<title>Bigger</title>" in (project / "site" / "index.html").read_text("utf-8")
    time.sleep(1)  # time for a second rebuild to show up, if the save caused one
    assert server.rebuilds == 1, server.stdout


def test_saves_that_never_pause_still_rebuild_every_few_seconds(project: Path, serve) -> None:
    """A burst waits to settle, but one that never does (a tool saving every few hundredths of
    a second) must not hold the site back for as long as it lasts."""
    server = serve(project)
    chapter = first_chapter(server).removeprefix(f"http://127.0.0.1:{server.port}")
    story = project / "seeds" / "000_8e09d97cdccea25b.txt"
    lines = story.read_text("utf-8").splitlines()
    target = next(n for n, line in enumerate(lines) if n > 10 and len(line.split()) > 8)
    until = time.monotonic() + 5
    number = 0
    while time.monotonic() < until:
        number += 1
        lines[target] = f"Save number {number} of the same sentence."
        # Written in place, not renamed: a build may read it half written, as it may any
        # file a tool rewrites while the server runs, and shows it right once it is whole.
        story.write_text("\n".join(lines) + "\n", "utf-8")
        time.sleep(0.03)
    assert server.rebuilds >= 1, server.stdout
    deadline = time.monotonic() + WAIT_MS / 1000
    while f"Save number {number} of".encode() not in server.get(chapter)[2]:
        assert time.monotonic() < deadline, server.stdout
        time.sleep(0.05)


def test_a_manuscript_and_the_config_saved_together_are_one_rebuild(tmp_path: Path, serve) -> None:
    """The config's watch looks less often than the manuscripts': a story and its config
    entry saved together (the config a moment later) are still one rebuild, made with both."""
    project = big_project(tmp_path)
    server = serve(project, "--out", "site")
    story = project / "seeds" / "007.txt"
    save(story, story.read_text("utf-8") + "A sentence saved with the config.\n")
    time.sleep(0.01)  # as a tool saves two files
    (project / "anthology.toml").write_text('title = "Bigger"\nauthor = "A. Writer"\n', "utf-8")
    server.wait_for(r"^Rebuilt ")
    chapter = project / "site" / "chapters" / "story-7" / "index.html"
    assert "A sentence saved with the config." in chapter.read_text("utf-8")
    assert "<title>Bigger</title>" in (project / "site" / "index.html").read_text("utf-8")
    time.sleep(1)  # time for a second rebuild to show up, if the config came too late
    assert server.rebuilds == 1, server.stdout


def test_a_save_during_the_first_build_still_says_what_was_built(tmp_path: Path) -> None:
    """A save while the server makes its first site begins that build again; what the
    terminal shows first is still the anthology built, not a rebuild."""
    project = big_project(tmp_path)
    story = project / "seeds" / "007.txt"
    # Once the server has started and is reading (on this machine the build takes 1.5 s).
    saving = threading.Timer(1.0, lambda: save(story, story.read_text("utf-8") + "More.\n"))
    saving.start()
    server = Serving(project, "--out", "site")
    try:
        saving.join()
        assert server.stdout[0].startswith("Built 300 chapters"), server.stdout
        chapter = project / "site" / "chapters" / "story-7" / "index.html"
        deadline = time.monotonic() + WAIT_MS / 1000
        while "More." not in chapter.read_text("utf-8"):
            assert time.monotonic() < deadline, server.stdout
            time.sleep(0.05)
    finally:
        server.stop()


def test_touching_a_file_without_pause_does_not_hold_a_save_back(project: Path, serve) -> None:
    """Reports of a file whose bytes did not change (a sync tool's, or `touch`) come without
    end here; they neither hold back the save before them nor make its build start again, so
    it is built well before the limit on starting again would write it anyway."""
    server = serve(project)
    story = project / "seeds" / "000_8e09d97cdccea25b.txt"
    lines = story.read_text("utf-8").splitlines()
    target = next(n for n, line in enumerate(lines) if n > 10 and len(line.split()) > 8)
    lines[target] = "A sentence saved before the touching began."
    time.sleep(0.5)  # a while after the first build, as a writer's first save comes
    save(story, "\n".join(lines) + "\n")
    saved = time.monotonic()
    while time.monotonic() - saved < 2 * RESTART_WITHIN_SECONDS and not server.rebuilds:
        os.utime(story)
        time.sleep(0.03)
    assert server.rebuilds == 1, server.stdout
    assert time.monotonic() - saved < RESTART_WITHIN_SECONDS, server.stdout


def big_project(tmp_path: Path) -> Path:
    """300 stories, so that rebuilding every page takes a while."""
    project = tmp_path / "big"
    (project / "seeds").mkdir(parents=True)
    stories = sorted((ROOT / "seeds").glob("*.txt"))
    for n in range(300):
        text = stories[n % len(stories)].read_text("utf-8")
        (project / "seeds" / f"{n:03d}.txt").write_text(f"# Story {n}\n{text}", "utf-8")
    (project / "anthology.toml").write_text('title = "Big"\nauthor = "A. Writer"\n', "utf-8")
    return project


def test_port_0_serves_on_a_free_port_and_says_which(project: Path, serve) -> None:
    server = serve(project, port=0)
    assert server.url.startswith("http://127.0.0.1:") and server.port != 0
    status, _, body = server.get("/")
    assert status == 200 and b"After the Lights Went Out" in body


def test_an_ipv6_host_is_printed_as_an_address_a_browser_opens(project: Path, serve) -> None:
    """`--host ::1` is served at http://[::1]:port/: without the brackets, the printed address
    (and the one `--open` gives the browser) is no URL at all."""
    server = serve(project, "--host", "::1")
    assert server.url == f"http://[::1]:{server.port}/"
    connection = http.client.HTTPConnection("::1", server.port, timeout=30)
    try:
        connection.request("GET", "/")
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def test_a_port_in_use_is_one_line_and_exit_1(project: Path, serve) -> None:
    server = serve(project)
    taken = run_sitegen("serve", "--port", str(server.port), cwd=project)
    assert taken.returncode == 1
    assert taken.stderr == (
        f"sitegen: port {server.port} on 127.0.0.1 is in use; try --port {server.port + 1}\n"
    )


def test_an_output_folder_the_build_refuses_is_never_served(project: Path) -> None:
    """`--out .` is the project itself, `--out seeds` its manuscripts: every build would be
    refused, and no save could mend that, so serve says why and stops before it listens. It
    never serves the project's files (its manuscripts, its config) in place of a site."""
    for out in (".", "seeds"):
        command = [sys.executable, "-m", "sitegen", "serve", "--port", "0", "--out", out]
        result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1, out
        assert " E041 refusing to write the site here" in result.stderr.splitlines()[0], out
        assert "Serving" not in result.stdout
