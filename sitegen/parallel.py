"""Work done in other processes, so that a build uses two cores.

A forked child starts with a copy of the parent's memory, shared until either side writes to
a page. In CPython that happens at once for any object either side so much as reads (its
reference count changes), so a child forked after the anthology is built copies much of it,
and on a virtual machine such copying can cost more than the work saved. The build therefore
forks its two `Helper`s at the start, while it is small (see `build`), and keeps their work
apart from its own. One prepares the later manuscripts, sends copies back pickled and keeps
them; once the anthology is analysed, it is sent what it needs to render those chapters' text
and book documents, and the rest of the book but its other chapters. The other is sent the
book's files, to compress while this process renders the site. A small build forks only the
first, which reads and analyses the whole anthology while this process loads the renderers
(see `build`). The writer forks one more as it stages a large site, late but harmlessly: that
one reads nothing but the pages it writes (see `writer._stage`).
(Threads would not do: only one of them can run Python at a time.)

Forking is used only where it is safe: on a system with more than one core, where `fork` is the
usual way to start a process (not Windows or macOS), from a process with a single thread
(forking a threaded process, such as `serve` with its server thread, risks deadlock in the
child). Otherwise the work simply runs here. A child ignores Ctrl-C (the interrupted parent
stops it), and every way out of a child ends in `os._exit`: it never unwinds into the code of
the parent it was copied from.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import threading
import traceback
import weakref
from collections.abc import Callable
from dataclasses import MISSING, fields
from operator import attrgetter
from typing import Any, BinaryIO, Generic, TypeVar

S = TypeVar("S")
T = TypeVar("T")
V = TypeVar("V")

_BUFFER = 1 << 16  # bytes read from or written to a pipe at a time
_PIPE_SIZE = 1 << 20  # bytes a pipe holds (Linux's default limit for a user)
_HELPER_ENDS: weakref.WeakSet[BinaryIO] = weakref.WeakSet()
"""This process's ends of its helpers' pipes. A helper forked later closes its copies: a
helper reads calls until its pipe is closed, and a copy elsewhere would keep it open."""


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


class Pending(Generic[T]):
    """A result still being made by a `Helper`'s process, or made here already (`value`, or
    the exception `failure`). `result()` hands it over once, keeping no reference to it."""

    def __init__(
        self,
        helper: Helper[Any] | None = None,
        value: T | None = None,
        failure: Exception | None = None,
    ) -> None:
        self.helper, self.value, self.failure = helper, value, failure
        self.taken = False

    def result(self) -> T:
        """Wait for the helper and return what it made; an exception it raised is raised here."""
        if self.taken:
            raise RuntimeError("a result is handed over once")
        helper, value, failure = self.helper, self.value, self.failure
        self.helper, self.value, self.failure, self.taken = None, None, None, True
        if helper is not None:
            return helper.receive()  # type: ignore[no-any-return]
        if failure is not None:
            raise failure
        return value  # type: ignore[return-value]


class Helper(Generic[S]):
    """Another process, forked now while this one is still small, that runs calls in turn.

    A call is `function(state, *args)`. The `state` stays in the helper's process from one call
    to the next, so a later call can use what an earlier one made there (the chapters it
    prepared) without that being sent back and forth. Calls and results are pickled straight
    into the pipes and unpickled as they arrive. Without a child (`fork` false, or no fork to
    be had), each call runs here, at once, on this process's `state`; either way, what it
    raises is raised by `Pending.result`.

    A result must be received before the next call is sent: a large result waiting in a full
    pipe would otherwise block the child while this process blocks sending it the call. A
    helper that is gone (it failed, was stopped, or died) is an error to call, not a reason to
    run the call here: its state went with it.
    """

    def __init__(self, state: S, *, fork: bool = True) -> None:
        self.state = state
        self.pid = 0  # of the helper's process, once forked; never reset
        self.calls: BinaryIO | None = None  # where calls go to the child; None once closed
        self.answers: BinaryIO | None = None  # where its results come back
        self.waiting = False  # a call was sent and its result not yet received
        self.exit_code: int | None = None  # once its process has ended
        if not (fork and can_fork()):
            return
        calls_in, calls_out = os.pipe()
        answers_in, answers_out = os.pipe()
        _widen(calls_out, answers_out)
        # Ctrl-C is held until each side is ready for it: the child could otherwise be
        # interrupted in code that runs as it starts (`random` reseeds itself there), before
        # it ignores Ctrl-C, and print a traceback.
        unheld = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self.pid = os.fork()
        except OSError:  # no process to be had: calls will run here
            signal.pthread_sigmask(signal.SIG_SETMASK, unheld)
            _close(calls_in, calls_out, answers_in, answers_out)
            return
        if self.pid == 0:
            try:
                _become_child()  # a Ctrl-C held meanwhile is dropped: the parent stops it
                signal.pthread_sigmask(signal.SIG_SETMASK, unheld)
                _close(calls_out, answers_in)
                for end in _HELPER_ENDS:  # other helpers' pipes: a copy here would keep them open
                    if not end.closed:
                        os.close(end.fileno())
                _serve(state, _reader(calls_in), _writer(answers_out))
            finally:
                os._exit(1)  # only if it failed outside a call: setting up, or sending a result
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, unheld)  # a Ctrl-C held lands here
            _close(calls_in, answers_out)
            self.calls, self.answers = _writer(calls_out), _reader(answers_in)
            _HELPER_ENDS.update((self.calls, self.answers))
        except BaseException:  # Ctrl-C, even here: no process is left behind
            self.cancel()
            raise

    @property
    def forked(self) -> bool:
        """Whether calls run in another process."""
        return self.pid != 0

    def run(self, function: Callable[..., T], *args: object) -> Pending[T]:
        """`function(state, *args)`, in the helper's process when there is one."""
        if not self.forked:
            try:
                return Pending(value=function(self.state, *args))
            except Exception as exc:  # raised by `result`, as it would be from a helper process
                return Pending(failure=exc)
        if self.exit_code is not None:
            raise self._gone()
        if self.waiting or self.calls is None:
            raise RuntimeError("a helper is sent a call after `finish`, or before its last result")
        try:
            pickle.dump((function, args), self.calls, pickle.HIGHEST_PROTOCOL)
            self.calls.flush()
        except OSError:  # the pipe is closed: the helper's process has ended
            raise self._gone() from None
        except BaseException:  # Ctrl-C: the build stops
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
            raise self._gone() from None
        except BaseException:  # interrupted while waiting: the helper's work is not wanted
            self.cancel()
            raise
        self.waiting = False
        if not succeeded:
            self.cancel()
            raise value
        return value

    def _gone(self) -> ChildProcessError:
        self.cancel()
        return ChildProcessError(
            f"a build process ended without a result (exit code {self.exit_code})"
        )

    def __enter__(self) -> Helper[S]:
        return self

    def __exit__(self, *_: object) -> None:
        self.cancel()

    def cancel(self) -> None:
        """Stop the helper's process, if it is still there, and note how it ended."""
        if not self.forked or self.exit_code is not None:
            return
        os.kill(self.pid, signal.SIGKILL)  # never reaped yet, so the process is there to signal
        _, status = os.waitpid(self.pid, 0)
        self.exit_code = os.waitstatus_to_exitcode(status)
        self.calls, self.answers = _closed(self.calls), _closed(self.answers)


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
            # Its traceback does not cross the pipe: told in a note, a bug's report (with
            # SITEGEN_TRACEBACK=1) still shows where in the helper it happened.
            exc.add_note("In the build's helper process:\n" + traceback.format_exc())
            answers.write(_failure(exc))
            answers.flush()
            os._exit(1)
        del function, args  # the call's inputs: the room is the next call's
        pickle.dump((True, result), answers, pickle.HIGHEST_PROTOCOL)
        answers.flush()
        del result


def _failure(exc: BaseException) -> bytes:
    """`exc` pickled as a failed call's outcome; if it cannot be, or cannot be unpickled
    (its class wants other arguments than its `args`), a RuntimeError saying it, with the
    same notes (where in the helper it happened)."""
    try:
        pickled = pickle.dumps((False, exc))
        pickle.loads(pickled)
        return pickled
    except Exception:  # an exception that cannot be pickled, or remade
        stand_in = RuntimeError(f"{type(exc).__name__}: {exc}")
        for note in getattr(exc, "__notes__", ()):
            stand_in.add_note(note)
        return pickle.dumps((False, stand_in))


def _become_child() -> None:
    """No Ctrl-C of its own (the parent stops it) and no garbage collection: the collector
    would visit every object the child inherited, copying the memory it shares with the parent
    page by page. A helper lives for one build; the few reference cycles its work leaves
    (Jinja's, one or two a page) go when it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()


def _reader(pipe: int) -> BinaryIO:
    return open(pipe, "rb", buffering=_BUFFER)  # closed by `_closed`


def _writer(pipe: int) -> BinaryIO:
    return open(pipe, "wb", buffering=_BUFFER)  # closed by `_closed`


def _closed(end: BinaryIO | None) -> None:
    """Close this process's `end` of a helper's pipe, if it is open (None stands for closed).
    Writes are flushed as they are made, so there is nothing left to lose in closing."""
    if end is not None:
        _HELPER_ENDS.discard(end)
        with contextlib.suppress(OSError):  # a writer to a helper that has gone
            end.close()


def _widen(*pipes: int) -> None:
    """Let each pipe hold `_PIPE_SIZE` bytes, where the system allows: a build's results are
    megabytes, and a pipe of the usual 64 KB passes them with a switch between the processes
    for every 64 KB. Only called where processes fork, so never on Windows, which has no
    `fcntl`."""
    import fcntl

    if hasattr(fcntl, "F_SETPIPE_SZ"):
        for pipe in pipes:
            with contextlib.suppress(OSError):  # more than an unprivileged user may have
                fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


def _close(*pipes: int) -> None:
    for pipe in pipes:
        os.close(pipe)
