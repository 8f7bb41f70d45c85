"""A large build compresses its EPUB in a second process; what it makes must not depend on that."""

from __future__ import annotations

import os
import threading
import zipfile
from pathlib import Path

import pytest
from conftest import run_sitegen
from test_writer import PINNED_DATE, big_project, snapshot

from sitegen import parallel
from sitegen.build import WORTH_FORKING, build
from sitegen.config import load_config
from sitegen.errors import SitegenError, error

needs_two_cores = pytest.mark.skipif(not parallel.can_fork(), reason="needs fork and two cores")


@needs_two_cores
def test_work_runs_in_another_process_and_its_result_comes_back() -> None:
    pending = parallel.start(lambda: (os.getpid(), b"x" * 3_000_000))
    pid, data = pending.result()
    assert pid != os.getpid()
    assert data == b"x" * 3_000_000


def test_work_not_worth_a_process_runs_here() -> None:
    assert parallel.start(os.getpid, fork=False).result() == os.getpid()


def test_no_second_process_is_started_beside_another_thread() -> None:
    seen: list[bool] = []
    idle = threading.Event()
    other = threading.Thread(target=idle.wait)
    other.start()
    try:
        seen.append(parallel.can_fork())
        seen.append(parallel.start(os.getpid).result() == os.getpid())
    finally:
        idle.set()
        other.join()
    assert seen == [False, True]


@needs_two_cores
def test_a_failure_in_the_other_process_is_raised_here_whole() -> None:
    def fails() -> None:
        raise SitegenError([error("E999", Path("x.txt"), 3, "broken", "fix it")])

    with pytest.raises(SitegenError) as raised:
        parallel.start(fails).result()
    [problem] = raised.value.diagnostics
    assert (problem.code, problem.line, problem.message) == ("E999", 3, "broken")


@needs_two_cores
def test_a_cancelled_child_is_gone() -> None:
    pending = parallel.start(lambda: threading.Event().wait(60))
    child = pending.pid
    pending.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)


def test_a_book_compressed_in_another_process_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line (one thread: the book is compressed in a second process) and a build
    run beside another thread (all in this process) write identical sites and books."""
    project = big_project(tmp_path / "big", copies=40)
    run_sitegen("build", "--quiet", cwd=project, check=True, env=PINNED_DATE)
    forked = snapshot(project / "output")
    [book] = [path for path in forked if path.endswith(".epub")]
    with zipfile.ZipFile(project / "output" / book) as archive:
        assert sum(info.file_size for info in archive.infolist()) >= WORTH_FORKING

    config = load_config(project / "anthology.toml", out=tmp_path / "single")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", PINNED_DATE["SOURCE_DATE_EPOCH"])
    worker = threading.Thread(target=build, args=(config,))
    worker.start()
    worker.join()
    assert snapshot(tmp_path / "single") == forked
