"""Work done in other processes, so that a large build uses two cores.

A forked child starts with a copy of the parent's memory, shared until either side writes to
a page. In CPython that happens at once for any object either side so much as reads (its
reference count changes), so a child forked after the anthology is built copies much of it,
and on a virtual machine such copying can cost more than the work saved. The build therefore
forks its children at the start, while it is small (see `build`): one `start`s preparing part
of the manuscripts and sends them back pickled; a `Standby` waits for the EPUB's files, sent
to it through a pipe, and compresses them while this process renders the site. (A thread
would not do for that: the GIL would hand the compressor back only at each switch interval,
once per file.)

Forking is used only where it is safe: on a system with more than one core, where `fork` is the
usual way to start a process (not Windows or macOS), from a process with a single thread
(forking a threaded process, such as `serve` with its server thread, risks deadlock in the
child). Otherwise the work simply runs here. A child ignores Ctrl-C (the interrupted parent
stops it), and every way out of a child ends in `os._exit`: it never unwinds into the code of
the parent it was copied from.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from operator import attrgetter
from typing import Generic, TypeVar

T = TypeVar("T")
V = TypeVar("V")

_CHUNK = 1 << 20


def sent_by_fields(cls: type[V]) -> type[V]:
    """Let a frozen, slotted dataclass be pickled as its class and field values, and remade by
    calling the class. Dataclasses' own way for slots runs Python code per object to list the
    fields, three times slower both ways; a child sends back a hundred thousand paragraphs."""
    own = fields(cls)  # type: ignore[arg-type]
    if not own or any(not f.init or f.kw_only is True for f in own):
        raise TypeError(f"{cls.__name__}: every field must be a positional __init__ argument")
    if hasattr(cls, "__post_init__") or any(f.default_factory is not MISSING for f in own):
        raise TypeError(f"{cls.__name__}: __init__ must do nothing but store the fields")
    values = attrgetter(*(f.name for f in own))

    def reduce(self: object) -> tuple[type, tuple[object, ...]]:
        found = values(self)
        return type(self), (found if len(own) > 1 else (found,))

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
        pid, self.pid = self.pid, 0
        _close(self.pipe)
        self.pipe = -1
        _, status = os.waitpid(pid, 0)
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
            pid, self.pid = self.pid, 0
            os.kill(pid, signal.SIGKILL)
            _close(self.pipe)
            self.pipe = -1
            os.waitpid(pid, 0)


def start(work: Callable[[], T], *, fork: bool = True) -> Pending[T]:
    """Begin `work()` in a forked child when `fork` is true and `can_fork()`; else do it now."""
    if not (fork and can_fork()):
        return Pending(value=work())
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to be had: do the work here
        _close(reader, writer)
        return Pending(value=work())
    if pid == 0:
        try:
            _become_child()
            _close(reader)
            _send_outcome(work, writer)
        finally:
            os._exit(1)  # only if something failed before the outcome was sent
    _close(writer)
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
        try:
            self.pid = os.fork()
        except OSError:  # no process to be had: calls will run here
            _close(requests, self.requests, self.results, results)
            self.pid, self.requests, self.results = 0, -1, -1
            return
        if self.pid == 0:
            try:
                _become_child()
                _close(self.requests, self.results)
                _answer(requests, results)
            finally:
                os._exit(1)  # only if something failed before the outcome was sent
        _close(requests, results)

    def run(self, function: Callable[..., T], *args: object) -> Pending[T]:
        """`function(*args)` in the child; here, when there is no child or it is gone."""
        if not self.pid:
            return Pending(value=function(*args))
        pending = Pending[T](pid=self.pid, pipe=self.results)
        self.pid = 0
        try:
            _write_all(self.requests, pickle.dumps((function, args), pickle.HIGHEST_PROTOCOL))
        except OSError:  # the child died waiting (the system needed its memory, say)
            pending.cancel()
            return Pending(value=function(*args))
        except BaseException:
            pending.cancel()
            raise
        finally:
            _close(self.requests)
            self.requests = -1
        return pending

    def __enter__(self) -> Standby:
        return self

    def __exit__(self, *_: object) -> None:
        self.cancel()

    def cancel(self) -> None:
        """Stop the child, if it was never given its call (the build failed)."""
        if self.pid:
            _close(self.requests)
            self.requests = -1
            Pending[object](pid=self.pid, pipe=self.results).cancel()
            self.pid = 0


def _answer(requests: int, results: int) -> None:
    """The standby child's life: read the call until the parent closes the pipe, make it,
    send the outcome back. A parent that closes the pipe without a call needs none."""
    pickled = [_read_all(requests)]
    _close(requests)
    if pickled[0]:

        def work() -> object:
            # Popped, so that the pickle is let go once unpacked, not held beside the arguments.
            function, args = pickle.loads(pickled.pop())
            return function(*args)

        _send_outcome(work, results)


def _become_child() -> None:
    """No Ctrl-C of its own (the parent stops it) and no garbage collection: the collector
    would visit every object the child inherited, copying the memory it shares with the parent
    page by page, and a child's work is short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()


def _send_outcome(work: Callable[[], object], pipe: int) -> None:
    """Run `work` and send its result, or the exception it raised, to the parent; then leave
    without running any of the parent's cleanup (its buffers and temporary folders)."""
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


def _close(*pipes: int) -> None:
    for pipe in pipes:
        if pipe >= 0:
            os.close(pipe)
