"""Work done in a second process, so that a large build uses two cores.

A forked child starts with the parent's memory, so nothing has to be sent to it; only its
result comes back, pickled through a pipe. What is worth sending there is work on a few large
objects, such as compressing the EPUB's files while this process renders the site: a child
that walks the whole anthology instead would write to (and so copy) most of the memory it
shares with the parent, because every Python object it reads has a reference count to update,
and on a virtual machine such copying can cost more than the work saves. (A thread would not
do: the GIL would hand the compressor back only at each switch interval, once per file.)

Forking is used only where it is safe: on a system with more than one core, where `fork` is the
usual way to start a process (not Windows or macOS), from a process with a single thread
(forking a threaded process, such as `serve` with its server thread, risks deadlock in the
child). Otherwise the work simply runs here.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Generic, TypeVar

T = TypeVar("T")
V = TypeVar("V")

_CHUNK = 1 << 20


def sent_by_fields(cls: type[V]) -> type[V]:
    """Let a frozen, slotted dataclass be pickled as its class and field values, and remade by
    calling the class. Dataclasses' own way for slots runs Python code per object to list the
    fields, three times slower both ways; a child sends back a hundred thousand paragraphs."""
    getter = attrgetter(*(field.name for field in fields(cls)))  # type: ignore[arg-type]
    if len(fields(cls)) == 1:  # type: ignore[arg-type]

        def reduce(self: object) -> tuple[type[V], tuple[object, ...]]:
            return cls, (getter(self),)

    else:

        def reduce(self: object) -> tuple[type[V], tuple[object, ...]]:
            return cls, getter(self)

    cls.__reduce__ = reduce  # type: ignore[assignment,method-assign]
    return cls


def can_fork() -> bool:
    """Whether a child process can share this build's work safely and usefully."""
    return (
        hasattr(os, "fork")
        and sys.platform != "darwin"
        and _cores() > 1
        and threading.active_count() == 1
    )


def _cores() -> int:
    """The cores this process may run on (a container may allow fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass
class Pending(Generic[T]):
    """A result still being made, in a child process (`pid`) or already here (`value`)."""

    pid: int = 0
    pipe: int = -1
    value: T | None = None

    def result(self) -> T:
        """Wait for the child and return what it made; an exception it raised is raised here."""
        if not self.pid:
            return self.value  # type: ignore[return-value]  # made here, or already received
        try:
            data = _read_all(self.pipe)
        except BaseException:  # interrupted while waiting: the child's work is not wanted
            self.cancel()
            raise
        os.close(self.pipe)
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if not data:
            code = os.waitstatus_to_exitcode(status)
            raise RuntimeError(f"a build process ended without a result (exit code {code})")
        succeeded, value = pickle.loads(data)
        if not succeeded:
            raise value
        self.value = value
        return value

    def cancel(self) -> None:
        """Stop the child, if it is still working (the build failed or was interrupted)."""
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.close(self.pipe)
            os.waitpid(self.pid, 0)
            self.pid = 0


def start(work: Callable[[], T], *, fork: bool = True) -> Pending[T]:
    """Begin `work()` in a forked child when `fork` is true and `can_fork()`; else do it now."""
    if not (fork and can_fork()):
        return Pending(value=work())
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: do the work, send the outcome back, and leave without cleanup
        try:
            os.close(reader)
            _child(work, writer)
        finally:
            os._exit(1)  # only if something failed before `_child` could report it
    os.close(writer)
    return Pending(pid=pid, pipe=reader)


class Standby:
    """A child process forked now, while this one is still small, to run one call later.

    A child forked late shares all the memory this process has grown by then, and every page
    either of them writes afterwards is copied: compressing the EPUB in a child forked beside
    a thousand rendered chapters doubled some fifty megabytes. This child shares almost
    nothing; what its call needs is sent to it, pickled, through a pipe.
    """

    def __init__(self, *, fork: bool = True) -> None:
        self.pid = 0
        self.requests = self.results = -1
        if not (fork and can_fork()):
            return
        requests, self.requests = os.pipe()
        self.results, results = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: wait for the call, make it, send the outcome back
            try:
                os.close(self.requests)
                os.close(self.results)
                _answer(requests, results)
            finally:
                os._exit(1)  # only if something failed before `_answer` could finish
        os.close(requests)
        os.close(results)

    def run(self, function: Callable[..., T], *args: object) -> Pending[T]:
        """`function(*args)` in the child (here, when there is no child)."""
        if not self.pid:
            return Pending(value=function(*args))
        pending = Pending[T](pid=self.pid, pipe=self.results)
        self.pid = 0
        try:
            _write_all(self.requests, pickle.dumps((function, args), pickle.HIGHEST_PROTOCOL))
        except BaseException:
            pending.cancel()
            raise
        finally:
            os.close(self.requests)
        return pending

    def cancel(self) -> None:
        """Stop the child, if it was never given its call (the build failed)."""
        if self.pid:
            os.close(self.requests)
            Pending[object](pid=self.pid, pipe=self.results).cancel()
            self.pid = 0


def _answer(requests: int, results: int) -> None:
    try:
        _become_child()
        call = _read_all(requests)
        os.close(requests)
        if call:  # else the parent closed the pipe without a call: it needs none
            function, args = pickle.loads(call)
            del call  # the arguments are unpacked: holding their pickle too would double them
            _child(lambda: function(*args), results)
    finally:
        os._exit(0)


def _become_child() -> None:
    """A child never unwinds into the parent's code, so it takes no Ctrl-C of its own: the
    parent, interrupted, stops it. Nor does it collect garbage: the collector would visit
    every object it inherited, copying the memory it shares with the parent page by page, and
    a child's work is short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()


def _child(work: Callable[[], object], pipe: int) -> None:
    _become_child()
    status = 0
    try:
        try:
            outcome = pickle.dumps((True, work()), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # every failure goes back to the parent
            status = 1
            try:
                outcome = pickle.dumps((False, exc))
            except Exception:  # an exception that cannot be pickled
                outcome = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        _write_all(pipe, outcome)
    finally:
        # The parent's buffers, atexit handlers and temporary folders are the parent's.
        os._exit(status)


def _read_all(pipe: int) -> bytes:
    parts = []
    while chunk := os.read(pipe, _CHUNK):
        parts.append(chunk)
    return b"".join(parts)


def _write_all(pipe: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(pipe, view[:_CHUNK]) :]
