"""Diagnostics: every problem the writer sees is one line, `path:line: CODE message; hint`.

Codes are stable so that a writer (or a script) can search for them and so that each has its
own test fixture. E-codes stop the build; W-codes are printed on every build and make
`sitegen check --strict` fail.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


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
