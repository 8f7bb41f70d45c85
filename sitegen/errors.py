"""Diagnostics: every problem the writer sees is one line, `path:line: CODE message; hint`.

Codes are stable so that a writer (or a script) can search for them and so that each has its
own test fixture. E-codes stop the build; W-codes are printed on every build and make
`sitegen check --strict` fail.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import TemplateError


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    path: str
    line: int | None
    message: str
    hint: str = ""

    def format(self, relative_to: Path | None = None) -> str:
        path = self.path
        if relative_to is not None:
            with suppress(ValueError):
                path = str(Path(self.path).resolve().relative_to(relative_to.resolve()))
        where = f"{path}:{self.line}" if self.line else path
        hint = f"; {self.hint}" if self.hint else ""
        return f"{where}: {self.code} {self.message}{hint}"


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


def raise_if_errors(diagnostics: Iterable[Diagnostic]) -> None:
    found = tuple(diagnostics)
    if any(d.severity is Severity.ERROR for d in found):
        raise SitegenError(found)


TEMPLATE_SUFFIXES = {".html", ".xhtml", ".xml", ".opf", ".ncx", ".svg", ".txt", ".css"}


def template_diagnostic(exc: TemplateError) -> Diagnostic:
    """Point at the template line that failed; Jinja puts template lines in the traceback."""
    path, line = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if not path:
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if Path(f.filename).suffix in TEMPLATE_SUFFIXES
        ]
        path, line = (frames[-1].filename, frames[-1].lineno) if frames else ("templates", None)
    return error(
        "E090",
        path,
        line,
        f"template error: {exc.message or exc}",
        "fix the template, or delete your copy to use the built-in one",
    )
