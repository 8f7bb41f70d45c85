"""Benchmark: cold builds of 5, 100 and 1,000 chapters, as whole processes, stage by stage.

Run by hand from the project root (not part of the test suite):

    python3 bench/run.py            # all sizes, 3 runs each, median reported
    python3 bench/run.py 1000 --runs 5

Corpora are made from the seeds (copied round-robin under new names, each with its own title
in a generated anthology.toml) in bench/corpora/, which git ignores. The builds run in a copy
under the system's temporary folder (`--where` chooses another): creating files inside a
project that something watches (an editor's indexer, a sync client, a sandbox recording
changes) can cost several times what the disk itself does. Each build runs as
`python -m sitegen build --verbose` in a fresh process with no previous output (cold); wall
time and peak memory are measured from outside the process, the per-stage split is what the
build itself prints. Compiled templates and the generated cover come from sitegen's disk
cache (~/.cache/sitegen) after the first run, as they do for a writer; `--no-cache` measures
without it. Before each build, the yardstick the targets were set with runs too (see
YARDSTICK), so that figures taken in a slow minute can be told from slow code.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CORPORA = ROOT / "bench" / "corpora"
# As on a normal install, Python may keep compiled bytecode (some sandboxes forbid it through
# PYTHONDONTWRITEBYTECODE, which makes every run recompile sitegen's own modules).
BUILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
RUN_NUMBERS = itertools.count(1)
STAGE_LINE = re.compile(r"^\s+(?P<stage>.+?)\s+(?P<ms>[\d.]+) ms\s+peak\s+(?P<mb>[\d.]+) MB$")


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float  # the build's main process
    tree_mb: float  # all its processes together (proportional set size, sampled), or NaN
    stages: dict[str, float]  # stage -> milliseconds
    stage_peaks: dict[str, float]  # stage -> peak MB after it


def make_corpus(chapters: int) -> Path:
    folder = CORPORA / f"{chapters}"
    if (folder / "anthology.toml").is_file() and len(
        list((folder / "seeds").iterdir())
    ) == chapters:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "seeds").mkdir(parents=True)
    seeds = sorted(SEEDS.iterdir())
    entries = []
    for number in range(chapters):
        seed = seeds[number % len(seeds)]
        name = f"{number:05d}_{seed.stem}.txt"
        (folder / "seeds" / name).write_bytes(seed.read_bytes())
        entries.append(f'[[chapters]]\nfile = "{name}"\ntitle = "Story {number + 1}"\n')
    config = f'title = "Benchmark anthology ({chapters} chapters)"\nauthor = "Bench"\n\n'
    (folder / "anthology.toml").write_text(config + "\n".join(entries), "utf-8")
    return folder


class TreeMemory(threading.Thread):
    """The most memory a process and its children held at once: the sum of their proportional
    set sizes (a page shared by two processes counts half in each), read every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_mb = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.02):
            total = sum(_pss_kb(pid) for pid in _tree(self.pid))
            self.peak_mb = max(self.peak_mb, total / 1024)


def _tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid, *(grandchild for child in children for grandchild in _tree(int(child)))]


def _pss_kb(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # it ended in the meantime
        return 0
    sizes = (int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return next(sizes, 0)


def placed(corpus: Path, where: Path) -> Path:
    """A fresh copy of `corpus` (manuscripts and config) inside `where`."""
    folder = Path(tempfile.mkdtemp(prefix=f"sitegen-bench-{corpus.name}-", dir=where))
    shutil.copytree(corpus / "seeds", folder / "seeds")
    shutil.copy2(corpus / "anthology.toml", folder / "anthology.toml")
    return folder


def cold_build(folder: Path, extra: list[str], *, sample_memory: bool = False) -> Run:
    """One build into a new output folder. Earlier runs' sites stay until the caller removes
    the corpus: deleting a thousand folders just before a build (on a disk mounted with
    `discard`, like this one) slows the build's own writes several times over. Pending writes
    are flushed first, so that no earlier run's disk work lands inside this one.

    With `sample_memory`, the memory of all the build's processes is sampled as it runs
    (`tree_mb`; otherwise NaN, printed as "nan"). Reading every process's memory map fifty
    times a second takes CPU from the build, a tenth of a second of a 1,000-chapter build's
    wall time on two cores, so timed runs go without it."""
    if "SITEGEN_CACHE" in BUILD_ENV:
        shutil.rmtree(BUILD_ENV["SITEGEN_CACHE"], ignore_errors=True)
    out = folder / f"output-{next(RUN_NUMBERS)}"
    extra = [*extra, "--out", str(out)]
    os.sync()
    time.sleep(1)  # and let the disk finish what the flush started (discards, the journal)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen", "build", "--verbose", *extra],
        cwd=folder,
        env=BUILD_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    sampler = TreeMemory(process.pid) if sample_memory else None
    if sampler:
        sampler.start()
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if sampler:
        sampler.stop.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"build of {folder} failed with exit code {process.returncode}")
    stages, peaks = {}, {}
    for line in output.splitlines():
        if match := STAGE_LINE.match(line):
            stages[match["stage"]] = float(match["ms"])
            peaks[match["stage"]] = float(match["mb"])
    tree_mb = sampler.peak_mb if sampler else float("nan")
    return Run(seconds, usage.ru_maxrss / 1024, tree_mb, stages, peaks)


YARDSTICK = """\
import sys
from pathlib import Path

from jinja2 import Environment
from markdown_it import MarkdownIt

source, out = Path(sys.argv[1]), Path(sys.argv[2])
markdown = MarkdownIt()
page = Environment(autoescape=True).from_string(
    "<!doctype html><html lang=en><meta charset=utf-8><title>{{ title }}</title>"
    "<main>{{ body | safe }}</main></html>"
)
for manuscript in sorted(source.glob("*.txt")):
    body = markdown.render(manuscript.read_text("utf-8-sig"))
    (out / manuscript.stem).mkdir()
    (out / manuscript.stem / "index.html").write_text(page.render(title=manuscript.stem, body=body))
"""
"""The yardstick the speed targets come with: a bare markdown-it-py + Jinja loop, in one
process, over the 1,000-chapter corpus. Where the targets were set it took YARDSTICK_THERE
seconds. This machine is a shared virtual one whose speed varies by half from one minute to
the next, so the yardstick is run as a whole process just before every build, and each build
is also given as what it would take there (its time, times YARDSTICK_THERE over the median
yardstick)."""
YARDSTICK_THERE = 1.8
YARDSTICK_CHAPTERS = 1000


def yardstick_seconds(where: Path) -> float:
    """One run of YARDSTICK over the 1,000-chapter corpus, as a whole process: wall time."""
    corpus = make_corpus(YARDSTICK_CHAPTERS) / "seeds"
    out = Path(tempfile.mkdtemp(prefix="sitegen-bench-yardstick-", dir=where))
    os.sync()
    time.sleep(1)  # as before a build (see `cold_build`)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", YARDSTICK, str(corpus), str(out)], env=BUILD_ENV, check=True
    )
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.seconds)
    middle = ordered[len(ordered) // 2]
    stages = {s: statistics.median(r.stages.get(s, 0.0) for r in runs) for s in middle.stages}
    peak, tree = max(r.peak_mb for r in runs), max(r.tree_mb for r in runs)
    return Run(middle.seconds, peak, tree, stages, middle.stage_peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[5, 100, 1000])
    parser.add_argument("--runs", type=int, default=3, help="timed builds of each size")
    parser.add_argument(
        "--memory-runs",
        type=int,
        default=2,
        help="further builds of each size whose processes' memory is sampled (not timed)",
    )
    parser.add_argument("--no-epub", action="store_true", help="pass --no-epub to the build")
    parser.add_argument(
        "--no-cache", action="store_true", help="start every build with an empty disk cache"
    )
    parser.add_argument(
        "--where",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="folder to build in (default: the system's temporary folder)",
    )
    args = parser.parse_args()
    extra = ["--no-epub"] if args.no_epub else []
    if args.no_cache:
        BUILD_ENV["SITEGEN_CACHE"] = tempfile.mkdtemp(prefix="sitegen-bench-cache-")
    results: dict[int, Run] = {}
    spreads: dict[int, tuple[float, float]] = {}
    yardsticks: list[float] = []
    for size in args.sizes:
        folder = placed(make_corpus(size), args.where)
        runs = []
        for _ in range(args.runs):
            yardsticks.append(yardstick_seconds(args.where))
            runs.append(cold_build(folder, extra))
        sampled = [cold_build(folder, extra, sample_memory=True) for _ in range(args.memory_runs)]
        results[size] = replace(
            median_run(runs),
            peak_mb=max(r.peak_mb for r in [*runs, *sampled]),
            tree_mb=max((r.tree_mb for r in sampled), default=float("nan")),
        )
        spreads[size] = (min(r.seconds for r in runs), max(r.seconds for r in runs))
        shutil.rmtree(folder, ignore_errors=True)
    yardstick = statistics.median(yardsticks)
    there = YARDSTICK_THERE / yardstick
    print(
        f"cold builds, whole process, median of {args.runs} (memory: max over runs; peak MB is"
        f" the main process's, all MB its processes' together, sampled in {args.memory_runs}"
        " further runs, untimed)"
    )
    print(
        f"yardstick (a bare markdown-it-py + Jinja loop over {YARDSTICK_CHAPTERS:,} chapters):"
        f" median {yardstick:.2f} s here ({min(yardsticks):.2f}-{max(yardsticks):.2f}), against"
        f" {YARDSTICK_THERE} s where the targets were set; 'there' is wall s x{there:.2f}"
    )
    print(
        f"{'chapters':>8} {'wall s':>8} {'(min-max)':>11} {'there s':>8} {'peak MB':>8}"
        f" {'all MB':>8}   stages (ms, share of in-process time)"
    )
    for size, run in results.items():
        total = sum(run.stages.values()) or 1.0
        split = ", ".join(f"{s} {ms:.0f} ({ms / total:.0%})" for s, ms in run.stages.items())
        low, high = spreads[size]
        print(
            f"{size:>8} {run.seconds:>8.2f} {f'({low:.2f}-{high:.2f})':>11}"
            f" {run.seconds * there:>8.2f} {run.peak_mb:>8.1f} {run.tree_mb:>8.1f}   {split}"
        )
    sizes = sorted(results)
    for small, large in itertools.pairwise(sizes):
        ratio = results[large].seconds / results[small].seconds
        print(
            f"{small} -> {large} chapters: wall time x{ratio:.1f} for x{large / small:.0f} chapters"
        )
        for stage, ms in results[large].stages.items():
            before = results[small].stages.get(stage)
            if before:
                print(f"    {stage:<18} x{ms / before:.1f}")
            else:  # a small build's helper reads and analyses in one stage
                print(f"    {stage:<18} (not timed on its own at {small} chapters)")


if __name__ == "__main__":
    main()
