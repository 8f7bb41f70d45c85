"""A large build shares its work with other processes; nothing it makes may depend on that."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, run_sitegen
from test_writer import PINNED_DATE, big_project, snapshot

from sitegen import parallel
from sitegen.build import build
from sitegen.config import load_config
from sitegen.render.html import SIZE_SLOT, size_label
from sitegen.sharing import WORTH_SPLITTING

needs_two_cores = pytest.mark.skipif(
    not (hasattr(os, "fork") and len(os.sched_getaffinity(0)) > 1), reason="needs two cores"
)


def in_fresh_process(body: str) -> str:
    """Run `body` in a new interpreter and return what it prints: a test process has threads
    of its own (the browser's, the servers'), and a process with threads never forks."""
    code = "import os, signal, threading\nfrom sitegen import parallel\n" + textwrap.dedent(body)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@needs_two_cores
def test_a_call_runs_in_the_helper_and_its_result_comes_back() -> None:
    printed = in_fresh_process(
        """
        def made_there(state, size):
            return os.getpid(), b"x" * size

        with parallel.Helper(None) as helper:
            pid, data = helper.run(made_there, 3_000_000).result()
        print(pid != os.getpid(), data == b"x" * 3_000_000)
        """
    )
    assert printed == "True True"


@needs_two_cores
def test_a_helper_keeps_its_state_from_call_to_call() -> None:
    """What one call leaves in the helper's state is there for the next, in the helper's
    process: this process's copy of the state never changes."""
    printed = in_fresh_process(
        """
        def keep(state, value):
            state.append(value)
            return len(state)

        def total(state):
            return sum(state)

        state = [1]
        with parallel.Helper(state) as helper:
            print(helper.run(keep, 41).result(), helper.run(total).result(), state)
        """
    )
    assert printed == "2 42 [1]"


def test_without_a_helper_process_calls_run_here() -> None:
    state: list[int] = []
    helper = parallel.Helper(state, fork=False)
    assert helper.run(lambda kept, n: kept.append(n) or os.getpid(), 7).result() == os.getpid()
    assert state == [7] and not helper.forked


def test_no_helper_process_is_started_beside_another_thread() -> None:
    printed = in_fresh_process(
        """
        idle = threading.Event()
        other = threading.Thread(target=idle.wait)
        other.start()
        helper = parallel.Helper(None)
        here = helper.run(lambda _: os.getpid()).result() == os.getpid()
        print(parallel.can_fork(), helper.forked, here)
        idle.set()
        """
    )
    assert printed == "False False True"


@needs_two_cores
def test_a_failure_in_the_helper_is_raised_here_whole() -> None:
    printed = in_fresh_process(
        """
        from pathlib import Path

        from sitegen.errors import SitegenError, error

        def fails(state):
            raise SitegenError([error("E999", Path("x.txt"), 3, "broken", "fix it")])

        try:
            parallel.Helper(None).run(fails).result()
        except SitegenError as exc:
            [problem] = exc.diagnostics
            print(problem.code, problem.line, problem.message, "|", exc, "|", *exc.__notes__)
        """
    )
    assert printed.startswith(
        "E999 3 broken | x.txt:3: E999 broken; fix it | In the build's helper process:"
    )


@needs_two_cores
def test_a_bug_in_the_helper_arrives_with_where_it_happened() -> None:
    """An exception's traceback is lost on the way through the pipe; the helper's is told in
    a note, so a bug report made with SITEGEN_TRACEBACK=1 names the function that failed."""
    printed = in_fresh_process(
        """
        def deep_in_the_helper(state):
            return 1 // 0

        try:
            parallel.Helper(None).run(deep_in_the_helper).result()
        except ZeroDivisionError as exc:
            [note] = exc.__notes__
            print(note.splitlines()[0], "deep_in_the_helper" in note)
        """
    )
    assert printed == "In the build's helper process: True"


@needs_two_cores
def test_an_exception_that_cannot_be_remade_arrives_as_itself_told() -> None:
    """An exception class whose arguments are not its `args` pickles, but cannot be made again
    from them: it arrives as a RuntimeError naming it, not as an unrelated TypeError."""
    printed = in_fresh_process(
        """
        class Odd(Exception):
            def __init__(self, what, where):
                super().__init__(f"{what} at {where}")

        def fails(state):
            raise Odd("trouble", "line 3")

        try:
            parallel.Helper(None).run(fails).result()
        except RuntimeError as exc:
            print(exc, "|", exc.__notes__[0].splitlines()[0])
        """
    )
    assert printed == "Odd: trouble at line 3 | In the build's helper process:"


@needs_two_cores
def test_a_helper_that_dies_is_an_error_whether_busy_or_waiting_for_a_call() -> None:
    """Its state went with it, so the call is not run here instead: the build stops, with one
    line saying why, and no process or pipe is left behind."""
    printed = in_fresh_process(
        """
        def dies(state):
            os.kill(os.getpid(), signal.SIGKILL)

        def anything(state):
            return 1

        busy = parallel.Helper(None)
        try:
            busy.run(dies).result()
        except ChildProcessError as exc:
            print(exc)
        idle = parallel.Helper(None)
        os.kill(idle.pid, signal.SIGKILL)
        os.waitid(os.P_PID, idle.pid, os.WEXITED | os.WNOWAIT)  # it has died, not yet reaped
        try:
            idle.run(anything)
        except ChildProcessError as exc:
            print(exc)
        try:
            idle.run(anything)
        except ChildProcessError as exc:
            print("again:", exc)
        print(len(os.listdir("/proc/self/fd")))
        """
    )
    gone = "a build process ended without a result (exit code -9)"
    *messages, open_files = printed.splitlines()
    assert messages == [gone, gone, f"again: {gone}"]
    assert int(open_files) <= 4  # stdin, stdout, stderr and the listing itself


def test_a_call_run_here_raises_when_its_result_is_asked_for() -> None:
    """As from a helper process, so that of several failing calls the same one is reported
    either way."""
    pending = parallel.Helper(None, fork=False).run(lambda _: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        pending.result()


@needs_two_cores
def test_an_exception_that_cannot_be_pickled_still_arrives() -> None:
    printed = in_fresh_process(
        """
        def fails(state):
            class Unpicklable(Exception):  # a local class: pickle cannot name it
                pass
            raise Unpicklable("no way back")

        try:
            parallel.Helper(None).run(fails).result()
        except RuntimeError as exc:
            print(exc, ", in fails" in exc.__notes__[0])
        """
    )
    assert printed == "Unpicklable: no way back True"  # and it still says where it happened


@needs_two_cores
def test_a_cancelled_helper_is_gone_even_in_the_middle_of_a_call() -> None:
    printed = in_fresh_process(
        """
        def waits(state):
            threading.Event().wait(60)

        for busy in (False, True):
            helper = parallel.Helper(None)
            child = helper.pid
            if busy:
                helper.run(waits)
            helper.cancel()
            try:
                os.waitpid(child, os.WNOHANG)
            except ChildProcessError:
                print(child > 0, "gone")
        """
    )
    assert printed == "True gone\nTrue gone"


@needs_two_cores
def test_a_finished_helper_ends_once_its_last_result_is_sent() -> None:
    """`finish` lets the helper go as soon as it has answered, even with a second helper,
    forked later, alive: that one must not hold the first one's pipe open."""
    printed = in_fresh_process(
        """
        import time

        def double(state, n):
            return 2 * n

        first, second = parallel.Helper(None), parallel.Helper(None)
        pending = first.run(double, 21)
        first.finish()
        print(pending.result())
        deadline = time.monotonic() + 10
        while os.waitpid(first.pid, os.WNOHANG) == (0, 0) and time.monotonic() < deadline:
            time.sleep(0.01)
        print(time.monotonic() < deadline, second.run(double, 2).result())
        second.cancel()
        """
    )
    assert printed == "42\nTrue 4"


def built_both_ways(project: Path, elsewhere: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The site the command line builds (one thread: it shares the work with other processes)
    and the one a build run beside another thread makes (all in one process)."""
    run_sitegen("build", "--quiet", cwd=project, check=True, env=PINNED_DATE)
    config = load_config(project / "anthology.toml", out=elsewhere)
    failures: list[BaseException] = []

    def build_here() -> None:
        try:
            build(config)
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=build_here)
    worker.start()
    worker.join()
    assert not failures
    return snapshot(project / "output"), snapshot(elsewhere)


@needs_two_cores
def test_work_shared_between_processes_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chapters prepared and rendered by a helper process and a book compressed by another
    make the same site and book as one process does, and the pages show the book's real size."""
    project = big_project(tmp_path / "big", copies=40)
    assert sum(p.stat().st_size for p in (project / "seeds").iterdir()) >= WORTH_SPLITTING
    monkeypatch.setenv("SOURCE_DATE_EPOCH", PINNED_DATE["SOURCE_DATE_EPOCH"])
    shared, single = built_both_ways(project, tmp_path / "single")
    assert shared == single
    [book] = [path for path in shared if path.endswith(".epub")]
    with zipfile.ZipFile(project / "output" / book) as archive:
        assert archive.testzip() is None
    home = shared["index.html"].decode()
    assert f"Download the EPUB ({size_label(len(shared[book]))})" in home
    assert not any(SIZE_SLOT.encode() in data for data in shared.values())


@needs_two_cores
def test_a_shared_build_without_a_book_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the EPUB, the site waits for the helper's chapter texts only when it reaches
    them; the pages are still those one process makes, and no page offers a book."""
    project = big_project(tmp_path / "big", copies=40)
    with (project / "anthology.toml").open("a", encoding="utf-8") as config:
        config.write("epub = false\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", PINNED_DATE["SOURCE_DATE_EPOCH"])
    shared, single = built_both_ways(project, tmp_path / "single")
    assert shared == single
    assert not any(path.endswith(".epub") for path in shared)
    assert len([path for path in shared if path.startswith("chapters/")]) == 200


@needs_two_cores
def test_a_small_build_read_by_its_helper_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small anthology is read and analysed whole in the helper process, while this one
    loads the renderers; the site and book are those one process makes, warnings and all."""
    project = big_project(tmp_path / "small", copies=2)
    (project / "seeds" / "0003_a_story_not_begun.txt").write_text("\n", "utf-8")
    assert sum(p.stat().st_size for p in (project / "seeds").iterdir()) < WORTH_SPLITTING
    monkeypatch.setenv("SOURCE_DATE_EPOCH", PINNED_DATE["SOURCE_DATE_EPOCH"])
    shared, single = built_both_ways(project, tmp_path / "single")
    assert shared == single
    assert len([path for path in shared if path.startswith("chapters/")]) == 10
    warned = run_sitegen("build", cwd=project, env=PINNED_DATE)
    assert "0003_a_story_not_begun.txt: W014 manuscript has no text yet" in warned.stderr


@needs_two_cores
def test_a_large_build_forks_two_helpers_and_a_small_one_one(tmp_path: Path) -> None:
    large, small = big_project(tmp_path / "large", copies=40), big_project(tmp_path / "small", 2)
    counts = in_fresh_process(
        f"""
        from sitegen.cli import main

        forks = []
        real_fork = os.fork

        def counted():
            forks.append(1)
            return real_fork()

        os.fork = counted
        for project in ({str(large)!r}, {str(small)!r}):
            os.chdir(project)
            before = len(forks)
            assert main(["build", "--quiet"]) == 0
            print(len(forks) - before)
        """
    )
    # Large: the one preparing and rendering chapters, the compressor, and the one writing
    # half the site. Small: the one reading and analysing the whole anthology.
    assert counts.split() == ["3", "1"]


@needs_two_cores
@pytest.mark.parametrize("empty", ["0000_a_story_not_begun.txt", "0034_a_story_not_begun.txt"])
def test_an_empty_manuscript_renumbers_the_helper_s_later_chapters(
    empty: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helper numbers its chapters as if every earlier manuscript made one. An empty one
    proves it wrong for every chapter after it: near the start, for all the helper made; in the
    helper's own part, for some, while it renders the others. Either way the chapters come out
    numbered as in one process, with the warning."""
    project = big_project(tmp_path / "big", copies=40)
    (project / "seeds" / empty).write_text("\n", "utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", PINNED_DATE["SOURCE_DATE_EPOCH"])
    shared, single = built_both_ways(project, tmp_path / "single")
    assert shared == single
    numbers = sorted(
        int(found.group(1))
        for path, data in shared.items()
        if path.startswith("chapters/")
        and (found := re.search(r"Story (\d+) of 200<", data.decode()))
    )
    assert numbers == list(range(1, 201))
    warned = run_sitegen("build", cwd=project, env=PINNED_DATE)
    assert f"{empty}: W014 manuscript has no text yet" in warned.stderr


@needs_two_cores
def test_a_template_error_in_the_helper_names_its_template_and_line(tmp_path: Path) -> None:
    """The helper renders the book's matter; a broken template there is reported as one
    rendered here would be, at its file and line, though the exception crossed a pipe."""
    project = big_project(tmp_path / "big", copies=40)
    shutil.copytree(ROOT / "templates", project / "templates")
    colophon = project / "templates" / "epub" / "colophon.xhtml"
    lines = colophon.read_text("utf-8").splitlines()
    broken = next(n for n, line in enumerate(lines) if "{{" in line)
    lines[broken] += "{{ meta.nope.deeper }}"
    colophon.write_text("\n".join(lines) + "\n", "utf-8")
    result = run_sitegen("build", "--quiet", cwd=project)
    assert result.returncode == 1
    assert f"templates/epub/colophon.xhtml:{broken + 1}: E090 template error" in result.stderr


def wait_for_helpers(pid: int) -> None:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + 60
    while not children.read_text().split():
        assert time.monotonic() < deadline, "the build never started its helper processes"
        time.sleep(0.005)


@needs_two_cores
def test_ctrl_c_stops_every_process_of_a_large_build(tmp_path: Path) -> None:
    """Interrupted at any moment, a build that shares its work says so in one line, with no
    traceback, exits 130 and leaves no process of its own behind."""
    project = big_project(tmp_path / "big", copies=40)
    interrupted = 0
    for delay in (0.0, 0.15, 0.3, 0.5, 0.75):  # the later ones as it renders, or writes
        build_process = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "build", "--quiet"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a terminal gives a command
        )
        wait_for_helpers(build_process.pid)  # the build has begun: Python itself is loaded
        time.sleep(delay)
        os.killpg(build_process.pid, signal.SIGINT)
        _, errors = build_process.communicate(timeout=60)
        # A shell sees 130 either way. CPython itself ends a program by SIGINT once a Ctrl-C
        # has landed inside code run by exec() from a string (dataclasses make their methods
        # so), however the program handled it.
        if build_process.returncode in (130, -signal.SIGINT):
            interrupted += 1
            assert errors.splitlines() == ["sitegen: interrupted"]
        else:
            assert build_process.returncode == 0, errors
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(build_process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"a process of the build outlived it (Ctrl-C after {delay} s)")
    assert interrupted, "every build finished before Ctrl-C; the test proved nothing"


def writes_of_a_large_site(place: Path, body: str) -> str:
    """Run `body` in a new interpreter (see `in_fresh_process`), with `pages` (a site just
    large enough to be written by two processes) to write into `out`, in `place`."""
    return in_fresh_process(
        textwrap.dedent(WRITES_OF_A_LARGE_SITE.format(place=str(place))) + textwrap.dedent(body)
    )


WRITES_OF_A_LARGE_SITE = """
    import contextlib
    from pathlib import Path
    from sitegen.writer import SHARED_FROM, write

    place = Path({place!r})
    out = place / "out"
    pages = {{f"chapters/{{n:04d}}/index.html": b"page %d" % n for n in range(SHARED_FROM)}}

    def on_disk():
        return {{
            p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != ".sitegen-manifest"
        }}

    def children_left():
        with contextlib.suppress(ChildProcessError):
            return os.waitpid(-1, os.WNOHANG) != (0, 0) or "a child still running"
        return False
"""


@needs_two_cores
def test_a_large_site_written_by_two_processes_is_the_site_asked_for(tmp_path: Path) -> None:
    """A large site staged afresh is placed half by this process, half by a helper: every
    page must be there with its bytes, and an unchanged page kept as the same file, whichever
    half it is in."""
    printed = writes_of_a_large_site(
        tmp_path,
        """
        write(pages, out)
        print(on_disk() == pages)
        second = {path: data + b" again" if n % 7 == 3 else data
                  for n, (path, data) in enumerate(sorted(pages.items()))}
        unchanged = [path for path in sorted(pages) if second[path] == pages[path]]
        ends = (unchanged[0], unchanged[-1])  # one in each half
        inodes = [os.stat(out / path).st_ino for path in ends]
        gone = sorted(pages)[len(pages) // 2]
        del second[gone]
        second["chapters/9999/index.html"] = b"a new page"
        report = write(second, out)
        print(on_disk() == second)
        print(list(report.changed) == sorted(
            path for path, data in second.items() if pages.get(path) != data))
        print(report.removed == (gone,))
        print([os.stat(out / path).st_ino for path in ends] == inodes)
        print(sorted(p.name for p in place.iterdir()) == ["out"], children_left())
        """,
    )
    assert printed.split() == ["True"] * 6 + ["False"]


@needs_two_cores
@pytest.mark.parametrize("half", ["this process's", "the helper's"])
def test_a_failed_write_in_either_half_keeps_the_old_site(tmp_path: Path, half: str) -> None:
    """A page that cannot be written (here, one inside what is another page's file) fails the
    write whichever process had it: the error comes back, the last site stays as it was, the
    staging folder goes, and no process is left behind."""
    folder = "aaaa" if half == "this process's" else "zzzz"
    printed = writes_of_a_large_site(
        tmp_path,
        f"""
        write(pages, out)
        broken = {{**pages, "{folder}/page": b"a file", "{folder}/page/inside": b"impossible"}}
        try:
            write(broken, out)
        except OSError as exc:
            print("helper process" in "".join(getattr(exc, "__notes__", [])))
        print(on_disk() == pages)
        print(sorted(p.name for p in place.iterdir()) == ["out"], children_left())
        """,
    )
    assert printed.split() == [str(half == "the helper's"), "True", "True", "False"]
