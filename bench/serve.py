"""Benchmark `sitegen serve`: from saving a manuscript to the browser's reload message, and the
server's CPU use while nothing changes.

Run by hand from the project root (not part of the test suite):

    python3 bench/serve.py              # 100 and 1,000 chapters, 5 edits each
    python3 bench/serve.py 1000 --edits 10 --idle 10

For each size, a copy of the generated corpus (see bench/run.py) is served by `sitegen serve`
in its own process. A LiveReload client (tornado's websocket, speaking the protocol's hello and
info) stands in for the browser. Each edit rewrites one sentence of a chapter in the middle of
the anthology; the time reported runs from the moment the file is written to the moment the
reload message arrives, so it includes noticing the change, letting the burst settle, the
incremental build, the atomic swap of the site and the message itself. Before the next edit
it waits for the server to remove the replaced site, as a writer's pause between saves lets it
(on this machine's disk that takes seconds at 1,000 chapters). The same edits are
also built in this process with the cache, to show where the time goes, stage by stage. The
reference is a cold `sitegen build --no-epub` in a fresh process, as bench/run.py measures it.
Idle CPU is the server's user+system time (from /proc/PID/stat) over a quiet period. Before
each edit, bench/run.py's yardstick runs, to say what the times would be on the machine the
targets were set on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from run import YARDSTICK_THERE, cold_build, make_corpus, yardstick_seconds
from tornado.websocket import websocket_connect

from sitegen.build import build
from sitegen.cache import BuildCache
from sitegen.config import load_config
from sitegen.writer import ASIDE_PREFIX, retired_sites, set_aside

HELLO = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}


@dataclass(frozen=True)
class Result:
    chapters: int
    reloads: list[float]  # seconds from save to reload message
    rebuilds: list[float]  # the in-process build time the server printed
    stages: dict[str, float]  # median ms per stage of the same edits, built in this process
    cold: float  # seconds, a cold full build in a fresh process
    idle_cpu: float  # share of one core while idle
    yardsticks: list[float]  # seconds, bench/run.py's yardstick, run before each edit


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(folder: Path, port: int):
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen", "serve", "--port", str(port), "--out", "output"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []

    def collect() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))

    threading.Thread(target=collect, daemon=True).start()
    try:
        while not any(line.startswith("Serving ") for line in lines):
            if process.poll() is not None:
                raise SystemExit(f"sitegen serve exited: {lines}")
            time.sleep(0.05)
        yield process, lines
    finally:
        process.send_signal(2)  # SIGINT, as Ctrl-C
        process.wait(timeout=120)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def edit(manuscript: Path, number: int) -> None:
    """Rewrite one sentence: the tenth long line becomes a new one, as a writer's save would,
    a word longer each time, so that the chapter's length changes too."""
    lines = manuscript.read_text("utf-8").splitlines()
    long_lines = [n for n, line in enumerate(lines) if len(line.split()) > 8]
    lines[long_lines[10]] = "The lamps came on" + " again" * number + ", one street at a time."
    manuscript.write_text("\n".join(lines) + "\n", "utf-8")


async def reloads(
    port: int, manuscript: Path, lines: list[str], edits: int, yardsticks: list[float]
) -> list[float]:
    socket_ = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
    await socket_.write_message(json.dumps(HELLO))
    await socket_.read_message()
    page = f"http://127.0.0.1:{port}/"
    await socket_.write_message(json.dumps({"command": "info", "url": page, "plugins": {}}))
    await asyncio.sleep(0.5)  # the server adds the client to its waiters on `info`
    timings = []
    for number in range(1, edits + 1):
        away = Path(tempfile.gettempdir())  # not in the served folder, which is watched
        yardsticks.append(await asyncio.to_thread(yardstick_seconds, away))
        seen = len(lines)
        started = time.perf_counter()
        edit(manuscript, number)
        while True:
            message = json.loads(await socket_.read_message())
            if message.get("command") == "reload":
                break
        timings.append(time.perf_counter() - started)
        while not any(line.startswith("Rebuilt ") for line in lines[seen:]):
            await asyncio.sleep(0.05)
        while old_sites(manuscript.parent.parent / "output"):
            await asyncio.sleep(0.1)  # the server removes the replaced site after the reload
    socket_.close()
    return timings


def old_sites(output: Path) -> list[Path]:
    """Replaced sites not yet removed: set aside for removal, or retired but for the newest,
    which the server keeps to stage its next build in."""
    aside = output.parent.glob(ASIDE_PREFIX + output.name + "-*")
    return [*retired_sites(output)[:-1], *aside]


def stages_in_process(folder: Path, manuscript: Path, edits: int) -> dict[str, float]:
    """The same edits built here with a BuildCache, the way the server builds: median ms."""
    here = Path.cwd()
    os.chdir(folder)
    try:
        cache = BuildCache()
        build(load_config(None), epub=False, cache=cache)
        found: dict[str, list[float]] = defaultdict(list)
        for number in range(edits):
            edit(manuscript, 100 + number)
            started = time.perf_counter()
            result = build(load_config(None), epub=False, cache=cache)
            found["whole build"].append((time.perf_counter() - started) * 1000)
            for timing in result.timings:
                found[timing.stage].append(timing.seconds * 1000)
            spare = cache.spare.folder if cache.spare else None
            for old_site in set_aside(folder / "output", keep=spare):
                shutil.rmtree(old_site)
        return {stage: statistics.median(ms) for stage, ms in found.items()}
    finally:
        os.chdir(here)


def measure(chapters: int, edits: int, idle: float) -> Result:
    corpus = make_corpus(chapters)
    with tempfile.TemporaryDirectory(prefix="sitegen-serve-bench-") as temporary:
        folder = Path(temporary) / "anthology"
        shutil.copytree(corpus / "seeds", folder / "seeds")
        shutil.copy2(corpus / "anthology.toml", folder / "anthology.toml")
        manuscript = sorted((folder / "seeds").iterdir())[chapters // 2]
        cold = cold_build(folder, ["--no-epub"]).seconds
        port = free_port()
        with serving(folder, port) as (process, lines):
            time.sleep(2)  # let the first build's leftovers settle before measuring idle
            before, started = cpu_seconds(process.pid), time.perf_counter()
            time.sleep(idle)
            idle_cpu = (cpu_seconds(process.pid) - before) / (time.perf_counter() - started)
            yardsticks: list[float] = []
            timings = asyncio.run(reloads(port, manuscript, lines, edits, yardsticks))
            rebuilds = [
                float(m.group(1))
                for line in lines
                if (m := re.match(r"^Rebuilt in ([\d.]+) s", line))
            ]
        stages = stages_in_process(folder, manuscript, edits)
    return Result(chapters, timings, rebuilds, stages, cold, idle_cpu, yardsticks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000])
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle measurement")
    args = parser.parse_args()
    results = [measure(size, args.edits, args.idle) for size in args.sizes]
    print(f"sitegen serve, one-chapter edits, median of {args.edits} (min-max)")
    print(
        f"{'chapters':>8} {'save->reload s':>18} {'rebuild s':>10} {'cold build s':>13} "
        f"{'idle CPU':>9} {'yardstick s':>12} {'there s':>8}"
    )
    for r in results:
        reload = statistics.median(r.reloads)
        spread = f"{reload:.2f} ({min(r.reloads):.2f}-{max(r.reloads):.2f})"
        yardstick = statistics.median(r.yardsticks)
        print(
            f"{r.chapters:>8} {spread:>18} {statistics.median(r.rebuilds):>10.2f} "
            f"{r.cold:>13.2f} {r.idle_cpu:>8.2%} {yardstick:>12.2f}"
            f" {reload * YARDSTICK_THERE / yardstick:>8.2f}"
        )
    print(
        "yardstick: bench/run.py's, run before each edit; 'there' is save->reload as it would"
        f" be where the yardstick takes {YARDSTICK_THERE} s"
    )
    for r in results:
        split = ", ".join(f"{stage} {ms:.0f}" for stage, ms in r.stages.items())
        print(f"{r.chapters} chapters, incremental build in process (median ms): {split}")


if __name__ == "__main__":
    main()
