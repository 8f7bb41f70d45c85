"""Work done in other processes, so that a large build uses two cores.

A forked child starts with a copy of the parent's memory, shared until either side writes to
a page. In CPython that happens at once for any object either side so much as reads (its
reference count changes), so a child forked after the anthology is built copies much of it,
and on a virtual machine such copying can cost more than the work saved. The build therefore
forks its two `Helper`s at the start, while it is small (see `build`), and keeps their work
apart from its own. One prepares the later manuscripts, sends copies back pickled and keeps
them; once the anthology is analysed, it is sent what it needs to render those chapters' text
and book documents. The other is sent the book's files, to compress while this process
renders the site. (Threads would not do: only one of them can run Python at a time.)

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
from typing import Any, BinaryIO, Generic, TypeVar

S = TypeVar("S")
T = TypeVar("T")
V = TypeVar("V")

_BUFFER = 1 << 16  # bytes read from or written to a pipe at a time
_PIPES_TO_HELPERS: set[int] = set()
"""This process's ends of its helpers' pipes. A helper forked later must close its copies:
a helper reads its calls until the pipe is closed, and its copy would keep it open."""


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
    """A result still being made by a `Helper`'s child (`helper`), or already here (`value`)."""

    helper: Helper[Any] | None = None
    value: T | None = None

    def result(self) -> T:
        """Wait for the helper and return what it made; an exception it raised is raised here."""
        if self.helper is not None:
            helper, self.helper = self.helper, None
            self.value = helper.receive()
        return self.value  # type: ignore[return-value]


class Helper(Generic[S]):
    """Another process, forked now while this one is still small, that runs calls in turn.

    A call is `function(state, *args)`. The `state` stays in the helper's process from one call
    to the next, so a later call can use what an earlier one made there (the chapters it
    prepared) without that being sent back and forth. Calls and results are pickled straight
    into pipes and unpickled as they arrive, so neither side ever holds a whole pickle. Without
    a child (`fork` false, or no fork to be had), each call runs here, at once, on this
    process's `state`.

    A result must be received before the next call is sent: a large result waiting in a full
    pipe would otherwise block the child while this process blocks sending it the call.
    """

    def __init__(self, state: S, *, fork: bool = True) -> None:
        self.state = state
        self.pid = 0
        self.calls: BinaryIO | None = None  # where calls go to the child
        self.answers: BinaryIO | None = None  # where its results come back
        self.waiting = False  # a call was sent and its result not yet received
        if not (fork and can_fork()):
            return
        calls_in, calls_out = os.pipe()
        answers_in, answers_out = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to be had: calls will run here
            _close(calls_in, calls_out, answers_in, answers_out)
            return
        if pid == 0:
            try:
                _become_child()
                _close(calls_out, answers_in, *_PIPES_TO_HELPERS)
                _serve(state, _reader(calls_in), _writer(answers_out))
            finally:
                os._exit(1)  # only if a result could not be sent
        _close(calls_in, answers_out)
        _PIPES_TO_HELPERS.update((calls_out, answers_in))
        self.pid, self.calls, self.answers = pid, _writer(calls_out), _reader(answers_in)

    @property
    def forked(self) -> bool:
        """Whether calls run in another process."""
        return self.pid != 0

    def run(self, function: Callable[..., T], *args: object) -> Pending[T]:
        """`function(state, *args)`, in the helper's process when there is one."""
        if not self.pid:
            return Pending(value=function(self.state, *args))
        if self.waiting or self.calls is None:
            raise RuntimeError("a helper is sent a call after `finish`, or before its last result")
        try:
            pickle.dump((function, args), self.calls, pickle.HIGHEST_PROTOCOL)
            self.calls.flush()
        except BaseException:  # a helper gone, or Ctrl-C: the build stops
            self.cancel()
            raise
        self.waiting = True
        return Pending(helper=self)

    def finish(self) -> None:
        """Send no more calls: the helper's process ends once it has sent its last result,
        giving back its memory, rather than wait for this build to end."""
        self.calls = _closed(self.calls)

    def receive(self) -> Any:
        """The result of the call sent last (see `Pending.result`)."""
        try:
            succeeded, value = pickle.load(self.answers)  # type: ignore[arg-type]
        except (EOFError, pickle.UnpicklingError):  # the pipe closed before a whole result
            code = self.cancel()
            message = f"a build process ended without a result (exit code {code})"
            raise RuntimeError(message) from None
        except BaseException:  # interrupted while waiting: the helper's work is not wanted
            self.cancel()
            raise
        self.waiting = False
        if not succeeded:
            self.cancel()
            raise value
        return value

    def __enter__(self) -> Helper[S]:
        return self

    def __exit__(self, *_: object) -> None:
        self.cancel()

    def cancel(self) -> int | None:
        """Stop the helper's process, if there is one, and return its exit code."""
        if not self.pid:
            return None
        pid, self.pid = self.pid, 0
        self.calls, self.answers = _closed(self.calls), _closed(self.answers)
        os.kill(pid, signal.SIGKILL)  # never reaped yet, so the process is there to signal
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)


def _serve(state: object, calls: BinaryIO, answers: BinaryIO) -> None:
    """The helper's life: run each call as it arrives and send its result back, until the
    parent closes the pipe. A call that fails ends it: the parent stops the build."""
    while True:
        try:
            function, args = pickle.load(calls)
        except EOFError:  # no more calls
            os._exit(0)
        try:
            result = function(state, *args)
        except BaseException as exc:  # every failure goes back to the parent
            answers.write(_failure(exc))
            answers.flush()
            os._exit(1)
        del function, args  # the call's inputs: the room is the next call's
        pickle.dump((True, result), answers, pickle.HIGHEST_PROTOCOL)
        answers.flush()
        del result


def _failure(exc: BaseException) -> bytes:
    """`exc` pickled as a failed call's outcome; if it cannot be, a RuntimeError saying it."""
    try:
        return pickle.dumps((False, exc))
    except Exception:  # an exception that cannot be pickled
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


def _become_child() -> None:
    """No Ctrl-C of its own (the parent stops it) and no garbage collection: the collector
    would visit every object the child inherited, copying the memory it shares with the parent
    page by page, and a child's work is short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()


def _reader(pipe: int) -> BinaryIO:
    return open(pipe, "rb", buffering=_BUFFER)  # closed by `_closed`


def _writer(pipe: int) -> BinaryIO:
    return open(pipe, "wb", buffering=_BUFFER)  # closed by `_closed`


def _closed(end: BinaryIO | None) -> None:
    """Close this process's `end` of a helper's pipe, if it is open (None stands for closed)."""
    if end is not None:
        _PIPES_TO_HELPERS.discard(end.fileno())
        end.close()


def _close(*pipes: int) -> None:
    for pipe in pipes:
        os.close(pipe)
