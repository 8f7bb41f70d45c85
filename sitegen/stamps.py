"""What a build records of each file it reads, for `deploy` to tell whether the file has
changed since (see `sources.inputs_record`), and for `serve`'s cache to tell whether to read
it again (see `cache.BuildCache.read_manuscript`).

A file's size and time of modification say it is unchanged only once its last change is
older than the file system's clock tick: a second save within the same tick (a whole second
on some file systems) can leave both as they were. So a file that changed moments before it
was read is also known by a digest of the bytes read.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

SETTLED_NS = 2_000_000_000
"""How long ago a file must have last changed for its status alone to say it has not since:
longer than any file system's clock tick."""

Stamp = list[int | str | None]
"""A file as a build read it: its size and time of modification in nanoseconds, and for a
file that had not settled, the SHA-256 of its bytes in hexadecimal. None for each where the
file could not be had (a broken link: the build says so, and reads nothing there)."""


def settled(status: os.stat_result) -> bool:
    """Whether the file of `status` last changed (its bytes, or its times set back) longer
    than SETTLED_NS ago."""
    return time.time_ns() - max(status.st_mtime_ns, status.st_ctime_ns) > SETTLED_NS


def stamp(status: os.stat_result, read: Callable[[], bytes]) -> Stamp:
    """The stamp of a file of `status`, whose bytes `read` gives if they are needed."""
    found: Stamp = [status.st_size, status.st_mtime_ns]
    if not settled(status):
        found.append(digest(read()))
    return found


def file_stamp(path: str | os.PathLike[str]) -> Stamp:
    """The stamp of the file at `path` as it is now (see `Stamp`)."""
    try:
        status = os.stat(path)
        return stamp(status, lambda: Path(path).read_bytes())  # a Path made only if needed
    except OSError:
        return [None, None]


def differs(path: str | os.PathLike[str], recorded: Stamp) -> bool:
    """Whether the file at `path` is not the one `recorded`: another size or time, or, where
    it was recorded before it settled, other bytes."""
    size, modified, *known = recorded
    try:
        status = os.stat(path)
        if [status.st_size, status.st_mtime_ns] != [size, modified]:
            return True
        return bool(known) and known[0] != digest(Path(path).read_bytes())
    except OSError:
        return size is not None


def digest(data: bytes) -> str:
    import hashlib  # here: most builds need none, and loading it takes a few milliseconds

    return hashlib.sha256(data).hexdigest()
