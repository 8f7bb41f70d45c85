"""The command line: parse arguments, call one function, print what happened, return a code.

Exit codes: 0 success, 1 the anthology has errors (each printed as `path:line: message`),
2 the command itself was used wrongly. No traceback reaches the writer.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .config import Config, load_config
from .errors import Diagnostic, Severity, SitegenError

Handler = Callable[[argparse.Namespace], int]


def _base_url(value: str) -> str:
    if value.startswith("/") or re.match(r"^https?://[^/\s]+", value):
        return value
    raise argparse.ArgumentTypeError(
        f"{value!r} is neither a path like /anthology/ nor a URL like https://example.org/"
    )


def _existing_file(value: str) -> Path:
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {value}")
    return path


def _existing_dir(value: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {value}")
    return path


class Printer:
    """Diagnostics go to stderr, results to stdout; `--quiet` keeps only the problems."""

    def __init__(self, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.cwd = Path.cwd()

    def diagnostics(self, found: Sequence[Diagnostic]) -> None:
        for diagnostic in found:
            print(diagnostic.format(self.cwd), file=sys.stderr)

    def info(self, message: str) -> None:
        if not self.quiet:
            print(message)

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            print(message)

    def show_path(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.cwd)) or "."
        except ValueError:
            return str(path)


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=_existing_file,
        metavar="FILE",
        help="the anthology's config (default: ./anthology.toml if present)",
    )
    parser.add_argument(
        "--source",
        type=_existing_dir,
        metavar="DIR",
        help="folder of manuscripts (default: seeds/)",
    )


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="where to write the site (default: output/)"
    )
    parser.add_argument(
        "--base-url",
        type=_base_url,
        metavar="URL",
        help="where the site will live, e.g. https://user.github.io/anthology/",
    )


def _add_verbosity(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    group.add_argument("-v", "--verbose", action="store_true", help="also print each stage's time")


def config_from(args: argparse.Namespace) -> Config:
    return load_config(
        args.config,
        source=getattr(args, "source", None),
        out=getattr(args, "out", None),
        base_url=getattr(args, "base_url", None),
    )


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build

    printer = Printer(args.quiet, args.verbose)
    started = time.perf_counter()
    config = config_from(args)
    result = build(config)
    printer.diagnostics(result.warnings)
    for timing in result.timings:
        printer.detail(
            f"  {timing.stage:<18} {timing.seconds * 1000:8.1f} ms   "
            f"peak {timing.peak_rss_mb:6.1f} MB"
        )
    report = result.report
    assert report is not None
    anthology = result.anthology
    chapters = len(anthology.chapters)
    printer.info(
        f"Built {chapters} chapter{'s' * (chapters != 1)} ({anthology.words:,} words): "
        f"{len(report.written)} files in {printer.show_path(config.out_dir)}/, "
        f"{len(report.changed)} changed, in {time.perf_counter() - started:.2f} s"
        + (
            f"; {len(result.warnings)} warning{'s' * (len(result.warnings) != 1)}"
            if result.warnings
            else ""
        )
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .build import load

    printer = Printer(args.quiet, False)
    _, found = load(config_from(args))
    printer.diagnostics(found)
    warnings = [d for d in found if d.severity is Severity.WARNING]
    printer.info(f"{len(warnings)} warning{'s' * (len(warnings) != 1)}, 0 errors")
    return 1 if args.strict and warnings else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sitegen",
        description="Publish an anthology of short stories as a website and an EPUB.",
    )
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    build = commands.add_parser(
        "build",
        help="build the site and the EPUB into output/",
        description="Build the site and the EPUB into output/.",
    )
    _add_config_options(build)
    _add_output_options(build)
    _add_verbosity(build)
    build.set_defaults(handler=cmd_build)

    check = commands.add_parser(
        "check",
        help="report problems in the manuscripts and config",
        description="Read and analyse everything, write nothing, "
        "and print every warning and error.",
    )
    _add_config_options(check)
    check.add_argument("--strict", action="store_true", help="exit 1 if there is any warning")
    check.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    check.set_defaults(handler=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except SitegenError as exc:
        Printer().diagnostics(exc.diagnostics)
        errors = sum(d.severity is Severity.ERROR for d in exc.diagnostics)
        print(f"sitegen: {errors} error{'s' * (errors != 1)}; nothing was written", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sitegen: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        where = exc.filename or "sitegen"
        print(f"{where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
