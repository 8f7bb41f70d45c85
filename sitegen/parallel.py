"""Work done in a second process, so that a large build uses two cores.

A forked child starts with the parent's memory, the anthology included, so nothing has to be
sent to it; only its result comes back, pickled through a pipe. That is cheap for what is sent
here (a list of parsed manuscripts, a finished EPUB as bytes) and far cheaper than the work.

Forking is used only where it is safe and pays: on a system with more than one core, where
`fork` is the usual way to start a process (not Windows or macOS), from a process with a single
thread (forking a threaded process, such as `serve` with its server thread, risks deadlock in
the child), and only for enough work to be worth a process. Otherwise the work simply runs here.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
Item = TypeVar("Item")
Result = TypeVar("Result")

_CHUNK = 1 << 20

WORTH_SPLITTING = 5_000
"""Paragraphs (about fifty short stories) from which work on them is shared with a second
process: below that, starting one costs about what it saves."""


def can_fork() -> bool:
    """Whether a child process can share this build's work safely and usefully."""
    return (
        hasattr(os, "fork")
        and sys.platform != "darwin"
        and len(os.sched_getaffinity(0)) > 1
        and threading.active_count() == 1
    )


@dataclass
class Pending(Generic[T]):
    """A result still being made, in a child process (`pid`) or already here (`value`)."""

    pid: int = 0
    pipe: int = -1
    value: T | None = None
    shared: Sequence[object] = ()

    def result(self) -> T:
        """Wait for the child and return what it made; an exception it raised is raised here."""
        if not self.pid:
            return self.value  # type: ignore[return-value]  # made here, in this process
        try:
            data = _read_all(self.pipe)
        finally:
            os.close(self.pipe)
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
        if not data:
            raise RuntimeError(f"a build process ended without a result (status {status})")
        succeeded, value = _Unpickler(io.BytesIO(data), self.shared).load()
        if not succeeded:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child, if it is still working (the build failed or was interrupted)."""
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.close(self.pipe)
            os.waitpid(self.pid, 0)
            self.pid = 0


def start(work: Callable[[], T], *, fork: bool = True, shared: Sequence[object] = ()) -> Pending[T]:
    """Begin `work()` in a forked child when `fork` is true and `can_fork()`; else do it now.

    Work that fills a cache must not fork: what the child adds to it is lost with the child.

    Objects of `shared` that the result contains come back as references to the parent's own
    (a parsed manuscript holds its source, which the parent already has), not as copies. They
    must be instances of classes (pickle copies built-in containers such as lists directly).
    """
    if not (fork and can_fork()):
        return Pending(value=work())
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: do the work, send the outcome back, and leave without cleanup
        os.close(reader)
        _child(work, writer, shared)
    os.close(writer)
    return Pending(pid=pid, pipe=reader, shared=shared)


def _shared(index: int) -> object:
    """Stands in the child's pickle for the parent's `shared[index]` (see `_Unpickler`)."""
    raise AssertionError("replaced by the parent's object when unpickled")


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, shared: Sequence[object]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        index = {id(item): number for number, item in enumerate(shared)}

        def by_reference(obj: object) -> object:
            number = index.get(id(obj))
            return (_shared, (number,)) if number is not None else obj.__reduce_ex__(5)

        # Only objects of the shared items' types pay for the lookup.
        self.dispatch_table = {
            **copyreg.dispatch_table,
            **{type(item): by_reference for item in shared},
        }


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: Sequence[object]) -> None:
        super().__init__(file)
        self.shared = shared

    def find_class(self, module: str, name: str) -> object:
        if (module, name) == (__name__, _shared.__name__):
            return self.shared.__getitem__
        return super().find_class(module, name)


def _child(work: Callable[[], object], pipe: int, shared: Sequence[object]) -> None:
    status = 0
    try:
        buffer = io.BytesIO()
        try:
            _Pickler(buffer, shared).dump((True, work()))
        except BaseException as exc:  # every failure goes back to the parent
            status = 1
            buffer = io.BytesIO()
            try:
                pickle.dump((False, exc), buffer)
            except Exception:  # an exception that cannot be pickled
                pickle.dump((False, RuntimeError(f"{type(exc).__name__}: {exc}")), buffer)
        view = buffer.getbuffer()
        while view:
            view = view[os.write(pipe, view[:_CHUNK]) :]
    finally:
        # The parent's buffers, atexit handlers and temporary folders are the parent's.
        os._exit(status)


def _read_all(pipe: int) -> bytes:
    parts = []
    while chunk := os.read(pipe, _CHUNK):
        parts.append(chunk)
    return b"".join(parts)


def split_map(
    work: Callable[[Sequence[Item]], list[Result]],
    items: Sequence[Item],
    weights: Sequence[int],
    *,
    worth: int,
    fork: bool = True,
    shared: Sequence[object] = (),
) -> list[Result]:
    """`work(items)`, with the later half of the items (by weight) done in a child process
    when their total weight reaches `worth` (see `start` for `fork` and `shared`)."""
    total = sum(weights)
    if not (fork and can_fork()) or total < worth or len(items) < 2:
        return work(items)
    middle, running = 0, 0
    while middle < len(items) - 1 and running + weights[middle] <= total // 2:
        running += weights[middle]
        middle += 1
    later = start(lambda: work(items[middle:]), shared=shared)
    try:
        earlier = work(items[:middle])
    except BaseException:
        later.cancel()
        raise
    return earlier + later.result()
