"""A large build shares its work with a second process; what it makes must not depend on that."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SEEDS, run_sitegen
from test_writer import PINNED_DATE, big_project, snapshot

from sitegen import parallel
from sitegen.build import build
from sitegen.config import load_config
from sitegen.errors import SitegenError, error

needs_two_cores = pytest.mark.skipif(not parallel.can_fork(), reason="needs fork and two cores")


@dataclass(frozen=True)
class Box:
    value: object


def pids(batch: list[int]) -> list[tuple[int, int]]:
    return [(item, os.getpid()) for item in batch]


@needs_two_cores
def test_the_later_half_is_worked_in_another_process_and_results_keep_their_order() -> None:
    items = list(range(10))
    results = parallel.split_map(pids, items, [1] * 10, worth=10)
    assert [item for item, _ in results] == items
    assert {pid for _, pid in results[:5]} == {os.getpid()}
    assert {pid for _, pid in results[5:]} - {os.getpid()}


def test_small_work_stays_in_this_process() -> None:
    results = parallel.split_map(pids, list(range(10)), [1] * 10, worth=11)
    assert {pid for _, pid in results} == {os.getpid()}


def test_no_second_process_is_started_beside_another_thread() -> None:
    seen: list[bool] = []
    idle = threading.Event()
    other = threading.Thread(target=idle.wait)
    other.start()
    try:
        seen.append(parallel.can_fork())
    finally:
        idle.set()
        other.join()
    assert seen == [False]


@needs_two_cores
def test_shared_objects_come_back_as_the_parents_own() -> None:
    items = [Box(n) for n in range(6)]
    results = parallel.split_map(
        lambda batch: [Box(item) for item in batch], items, [1] * 6, worth=1, shared=items
    )
    assert [result.value.value for result in results] == list(range(6))
    assert all(result.value is item for result, item in zip(results, items, strict=True))


@needs_two_cores
def test_a_failure_in_the_other_process_is_raised_here_whole() -> None:
    def fails_late(batch: list[int]) -> list[int]:
        if 9 in batch:
            raise SitegenError([error("E999", Path("x.txt"), 3, "broken", "fix it")])
        return batch

    with pytest.raises(SitegenError) as raised:
        parallel.split_map(fails_late, list(range(10)), [1] * 10, worth=1)
    [problem] = raised.value.diagnostics
    assert (problem.code, problem.line, problem.message) == ("E999", 3, "broken")


def test_a_build_shared_between_processes_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line (one thread: the work is shared with a second process) and a build
    run beside another thread (all in one process) write identical sites."""
    project = big_project(tmp_path / "big", copies=20)
    assert sum(len(p.read_text().splitlines()) for p in SEEDS.iterdir()) * 20 > (
        parallel.WORTH_SPLITTING
    )
    run_sitegen("build", "--quiet", cwd=project, check=True, env=PINNED_DATE)
    forked = snapshot(project / "output")

    config = load_config(project / "anthology.toml", out=tmp_path / "single")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", PINNED_DATE["SOURCE_DATE_EPOCH"])
    worker = threading.Thread(target=build, args=(config,))
    worker.start()
    worker.join()
    assert snapshot(tmp_path / "single") == forked
