"""Diagnostics: every problem the writer sees is one line, `path:line: CODE message; hint`.

Codes are stable so that a writer (or a script) can search for them and so that each has its
own test fixture. E-codes stop the build; W-codes are printed on every build and make
`sitegen check --strict` fail.
"""

from __future__ import annotations

import ast
import errno
import os
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One problem, shown as one line: `path:line: CODE message; hint`."""

    code: str
    severity: Severity
    path: str
    line: int | None
    message: str
    hint: str = ""

    def format(self, relative_to: Path | None = None) -> str:
        path = self.path
        if relative_to is not None:
            path = _relative(Path(self.path), relative_to) or path
        where = f"{path}:{self.line}" if self.line else path
        hint = f"; {self.hint}" if self.hint else ""
        return f"{where}: {self.code} {self.message}{hint}"


def _relative(path: Path, folder: Path) -> str | None:
    """`path` below `folder`, as written (a link is named, not followed), else once both are
    resolved; None if it is not below."""
    with suppress(ValueError):
        return str(Path(os.path.abspath(path)).relative_to(os.path.abspath(folder)))
    with suppress(ValueError, OSError, RuntimeError):  # RuntimeError: a link loop
        return str(path.resolve().relative_to(folder.resolve()))
    return None


def error(
    code: str, path: str | Path, line: int | None, message: str, hint: str = ""
) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, str(path), line, message, hint)


def warning(
    code: str, path: str | Path, line: int | None, message: str, hint: str = ""
) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, str(path), line, message, hint)


class SitegenError(Exception):
    """Raised once a stage has collected every error it can find, so all are shown together."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    def __reduce__(
        self,
    ) -> tuple[type[SitegenError], tuple[tuple[Diagnostic, ...]], dict[str, object]]:
        """Pickled as its diagnostics, and its notes (it crosses from the build's helper
        process): an exception's own way would remake it from its message."""
        return type(self), (self.diagnostics,), self.__dict__


def raise_if_errors(diagnostics: Iterable[Diagnostic]) -> None:
    found = tuple(diagnostics)
    if any(d.severity is Severity.ERROR for d in found):
        raise SitegenError(found)


TEMPLATE_SUFFIXES = {".html", ".xhtml", ".xml", ".opf", ".ncx", ".svg", ".txt", ".css"}
_TEMPLATE_LIBRARIES = {"jinja2", "markupsafe"}  # code a template's line runs through


def _template_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    """The frames of `exc`'s traceback that are lines of templates: Jinja compiles each
    template to code whose file name is the template's."""
    frames = traceback.extract_tb(exc.__traceback__)
    return [f for f in frames if Path(f.filename).suffix in TEMPLATE_SUFFIXES]


def raised_by_template(exc: BaseException) -> bool:
    """Whether a template's own code raised `exc` ({{ 1 // 0 }}, a loop over a number): a
    mistake in the template, to point at. That is so when the innermost line outside Jinja's
    own code is a template's; an exception raised in sitegen's code that a template called is
    a bug in sitegen, not the writer's mistake."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).suffix in TEMPLATE_SUFFIXES:
            return True
        if not _TEMPLATE_LIBRARIES.intersection(Path(frame.filename).parts):
            return False
    return False


def template_diagnostic(exc: Exception) -> Diagnostic:
    """Point at the template line that failed: a TemplateError may know it; otherwise it is
    the innermost template line in the traceback."""
    path, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if not path:
        frames = _template_frames(exc)
        path, line = (frames[-1].filename, frames[-1].lineno) if frames else ("templates", None)
    if type(exc).__name__ == "TemplateNotFound":  # an include or extends naming no template
        return error(
            "E090",
            path,
            line,
            f"template `{getattr(exc, 'name', exc)}` not found",
            "fix the name, or add that template to templates/",
        )
    message = getattr(exc, "message", None) or (
        str(exc) if type(exc).__module__.startswith("jinja2") else f"{type(exc).__name__}: {exc}"
    )
    return error(
        "E090",
        path,
        line,
        f"template error: {message}",
        "fix the template, or delete your copy to use the built-in one",
    )


def os_error_diagnostic(exc: OSError, fallback: Path | str) -> Diagnostic:
    """A file or folder that could not be read or written, where the build could not foresee
    it (a link loop, a full disk, a permission): at the file, else at `fallback`."""
    return error(
        "E070",
        exc.filename or fallback,
        None,
        f"could not read or write this: {exc.strerror or exc}",
        "check that it exists, that it can be read, and that the output folder can be written",
    )


_SYMLINK_LOOP = "Symlink loop from "


@contextmanager
def symlink_loops_told() -> Iterator[None]:
    """A link that leads back to itself (`ln -s output output`) as the OSError Python 3.13
    raises for it: 3.11's and 3.12's pathlib raise RuntimeError("Symlink loop from '...'"),
    the path as Python writes it, as they resolve a path."""
    try:
        yield
    except RuntimeError as exc:
        message = str(exc)
        if not message.startswith(_SYMLINK_LOOP):
            raise
        written = message.removeprefix(_SYMLINK_LOOP)
        try:
            path = ast.literal_eval(written)
        except (ValueError, SyntaxError):
            path = written
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path) from None
