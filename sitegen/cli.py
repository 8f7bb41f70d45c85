"""The command line: parse arguments, call one function, print what happened, return a code.

Exit codes: 0 success, 1 the anthology has errors (each printed as `path:line: message`),
2 the command itself was used wrongly, 130 interrupted. No traceback reaches the writer: even
a bug in sitegen is one line (set SITEGEN_TRACEBACK=1 to see it whole).
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .config import BASE_URL_RE, CONFIG_NAME, Config, address_fault, load_config
from .errors import (
    Diagnostic,
    Severity,
    SitegenError,
    os_error_diagnostic,
    symlink_loops_told,
)

Handler = Callable[[argparse.Namespace], int]


def _base_url(value: str) -> str:
    """A base URL from the command line, checked as the config's is (see
    `config.address_fault`): a mistake in it is the command's, not the config's."""
    if not BASE_URL_RE.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is neither a path like /anthology/ nor a URL like https://example.org/"
            " (with no ? or #)"
        )
    if fault := address_fault(value):
        raise argparse.ArgumentTypeError(f"{value!r} {fault}")
    return value


def _port(value: str) -> int:
    if value.isdigit() and int(value) <= 65535:
        return int(value)
    raise argparse.ArgumentTypeError(f"{value!r} is not a port number from 0 to 65535")


def _user_path(value: str) -> Path:
    """A path as given, with a leading `~` taken as the home folder: a shell leaves it as it
    is after `=` (`--out=~/site`), and a folder named `~` is never what was meant."""
    try:
        return Path(value).expanduser()
    except RuntimeError:  # "~nobody/site", or no home folder to be found
        raise argparse.ArgumentTypeError(f"no home folder for {value.split('/')[0]}") from None


def _existing_file(value: str) -> Path:
    path = _user_path(value)
    if path.is_symlink() and not path.exists():
        raise argparse.ArgumentTypeError(
            f"{value} is a link to {path.readlink()}, which does not exist"
        )
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a folder; give the config file's path")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {value}")
    return path


def _branch(value: str) -> str:
    from .deploy import is_branch_name

    if value.startswith("refs/"):  # git would make a branch called refs/heads/...
        own = value.removeprefix("refs/heads/") if value.startswith("refs/heads/") else ""
        raise argparse.ArgumentTypeError(
            f"{value!r} is a ref: give the branch's own name, e.g. {own or 'gh-pages'}"
        )
    if is_branch_name(value):
        return value
    raise argparse.ArgumentTypeError(
        f"{value!r} is not a valid branch name: use letters, digits, - and /, e.g. gh-pages"
    )


def _existing_dir(value: str) -> Path:
    path = _user_path(value)
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


def _add_config_file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=_existing_file,
        metavar="FILE",
        help="the anthology's config (default: ./anthology.toml if present)",
    )


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    _add_config_file_option(parser)
    parser.add_argument(
        "--source",
        type=_existing_dir,
        metavar="DIR",
        help="folder of manuscripts (default: seeds/)",
    )


def _add_output_options(
    parser: argparse.ArgumentParser, out_help: str = "where to write the site (default: output/)"
) -> None:
    parser.add_argument("--out", type=_user_path, metavar="DIR", help=out_help)
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
    result = build(config, epub=not args.no_epub)
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
        f"Built {chapters} chapter{'s' * (chapters != 1)} ({anthology.words:,} "
        f"word{'s' * (anthology.words != 1)}): "
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
    from .build import build

    printer = Printer(args.quiet, False)
    config = config_from(args)
    # The whole build but the writing: a template or the EPUB can warn or fail too, and
    # so can the output folder, which the build would refuse.
    result = build(config, dry_run=True)
    printer.diagnostics(result.diagnostics)
    warnings = result.warnings
    printer.info(f"{len(warnings)} warning{'s' * (len(warnings) != 1)}, 0 errors")
    return 1 if args.strict and warnings else 0


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=_port, default=8000, help="the port to listen on (default: 8000)"
    )
    parser.add_argument("--open", action="store_true", help="open the site in a web browser")
    parser.add_argument(
        "--epub", action="store_true", help="also rebuild the EPUB on every change (slower)"
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from .build import check_output
    from .serve import ServeOptions, serve

    if args.out is not None:  # a folder no build may write to: no save could mend that
        try:
            config = config_from(args)
        except SitegenError:
            pass  # the config's own mistakes are shown in the browser, and mended by a save
        else:
            check_output(config)
    return serve(
        ServeOptions(
            config=args.config,
            source=args.source,
            out=args.out,
            base_url=args.base_url,
            host=args.host,
            port=args.port,
            open_browser=args.open,
            epub=args.epub,
        )
    )


def cmd_characters(args: argparse.Namespace) -> int:
    from .build import load
    from .render.cast import characters_json

    printer = Printer(quiet=True)
    anthology, found = load(config_from(args))
    # The characters' own problems, and the config's unknown keys ("ignroe = [...]").
    printer.diagnostics([d for d in found if d.code.startswith(("E03", "W03", "W001"))])
    if args.json:  # JSON is UTF-8, whatever the terminal's encoding
        data = characters_json(anthology)
        sys.stdout.flush()
        if (raw := getattr(sys.stdout, "buffer", None)) is not None:
            raw.write(data)
        else:  # a text stream of a caller's (redirect_stdout)
            sys.stdout.write(data.decode("utf-8"))
        return 0
    if not anthology.characters.characters:
        print(
            "No characters found: sitegen looks for capitalised names the text shows to be "
            f"people's; add any it missed under [characters] in {CONFIG_NAME}"
        )
        return 0
    rows = [("Name", "Also called", "Chapters", "Mentions")]
    for character in anthology.characters.characters:
        slugs = [anthology.chapters[i].slug for i in character.chapter_indexes]
        aliases = ", ".join(a for a in character.aliases if a != character.name)
        rows.append(
            (character.name, aliases or "-", ", ".join(slugs), str(len(character.mentions)))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for name, aliases, chapters, mentions in rows:
        cells = [name.ljust(widths[0]), aliases.ljust(widths[1]), chapters.ljust(widths[2])]
        print("  ".join([*cells, mentions.rjust(widths[3])]))
    return 0


def _add_deploy_options(parser: argparse.ArgumentParser) -> None:
    _add_config_file_option(parser)
    parser.add_argument(
        "--out", type=_user_path, metavar="DIR", help="the built site to publish (default: output/)"
    )
    parser.add_argument(
        "--remote", default="origin", help="the git remote to push to (default: origin)"
    )
    parser.add_argument(
        "--branch",
        type=_branch,
        default="gh-pages",
        help="the branch whose whole tree becomes the site (default: gh-pages)",
    )
    parser.add_argument(
        "--message", metavar="TEXT", help="the commit message (default: names the source commit)"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems")


def cmd_deploy(args: argparse.Namespace) -> int:
    from .deploy import check_current, deploy

    printer = Printer(args.quiet, False)
    config = config_from(args)
    check_current(config)
    result, found = deploy(
        config.root,
        config.out_dir,
        remote=args.remote,
        branch=args.branch,
        message=args.message,
        own=(config.path or config.root / CONFIG_NAME, config.source_dir),
    )
    printer.diagnostics(found)
    where = f"{result.remote}/{result.branch}"
    if result.pushed:
        printer.info(
            f"Published {result.files} files from {printer.show_path(config.out_dir)}/ "
            f"to {where} ({result.commit[:7]})"
        )
    else:
        printer.info(f"{where} already holds this site ({result.commit[:7]}); nothing to push")
    return 0


def _add_new_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=_user_path, metavar="DIR", help="a new or empty folder")
    parser.add_argument(
        "--package",
        metavar="REQUIREMENT",
        help="what the Pages workflow pip-installs to get sitegen "
        "(default: wherever this sitegen was installed from)",
    )
    parser.add_argument(
        "--author", default="", metavar="NAME", help="who wrote the stories, for the config"
    )


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import create

    printer = Printer()
    written, found = create(args.directory, args.package, args.author)
    printer.diagnostics(found)
    folder = printer.show_path(args.directory.resolve())
    for path in written:
        printer.info(f"  {printer.show_path(path.resolve())}")
    go = f"cd {shlex.quote(folder)} && " if folder != "." else ""
    printer.info(f"Created a new anthology in {folder}/. Next: {go}sitegen build")
    return 0


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
    build.add_argument(
        "--no-epub", action="store_true", help="skip the EPUB (faster while writing)"
    )
    _add_verbosity(build)
    build.set_defaults(handler=cmd_build)

    serve = commands.add_parser(
        "serve",
        help="preview the site, rebuilding it and reloading the browser on every save",
        description="Build the site, serve it at http://127.0.0.1:8000/ (under the base path), "
        "and rebuild it whenever a manuscript, the config, a template or the theme changes; "
        "the browser reloads by itself, and shows the errors of a failed build.",
    )
    _add_config_options(serve)
    _add_output_options(
        serve,
        "where to write the preview (default: a temporary folder, removed on stop, so that"
        " output/ stays as the last build made it)",
    )
    _add_serve_options(serve)
    serve.set_defaults(handler=cmd_serve)

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

    characters = commands.add_parser(
        "characters",
        help="print the character index the build would publish",
        description="Print the detected characters (name, aliases, chapters, mentions); "
        "curate them in the config's [characters] table.",
    )
    _add_config_options(characters)
    characters.add_argument("--json", action="store_true", help="print characters.json instead")
    characters.set_defaults(handler=cmd_characters)

    deploy = commands.add_parser(
        "deploy",
        help="publish the built site to the gh-pages branch",
        description="Commit output/ as the whole tree of the gh-pages branch and push it, "
        "leaving your working tree, index and current branch as they are.",
    )
    _add_deploy_options(deploy)
    deploy.set_defaults(handler=cmd_deploy)

    new = commands.add_parser(
        "new",
        help="start a new anthology in DIR",
        description="Start a new anthology: a config, a sample story, a README and "
        "the GitHub Pages workflow.",
    )
    _add_new_options(new)
    new.set_defaults(handler=cmd_new)
    for command in commands.choices.values():  # to tell a mistyped option with its usage
        command.set_defaults(command_parser=command)
    return parser


def _unrecognized(extra: list[str], command: argparse.ArgumentParser) -> str:
    """What argparse says of arguments no option takes, with the nearest option to each
    mistyped one (`--outt` -> `--out`)."""
    known = [name for action in command._actions for name in action.option_strings]
    near = {
        word: match[0]
        for word in extra
        if word.startswith("--")
        and (match := difflib.get_close_matches(word.partition("=")[0], known, n=1, cutoff=0.75))
    }
    hints = "".join(f"; {word}: did you mean {option}?" for word, option in near.items())
    return f"unrecognized arguments: {' '.join(extra)}{hints}"


def _working_folder_exists() -> bool:
    """Whether the shell's folder is still there (a writer may delete it, or replace it with a
    new clone, from another window); if not, says so in one line."""
    try:
        Path.cwd()
    except FileNotFoundError:
        print(
            "sitegen: the folder this shell is in no longer exists (deleted, or replaced by a "
            'new clone); cd to your project again (cd "$PWD" if it was replaced)',
            file=sys.stderr,
        )
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a terminal that is not UTF-8 shows "S\xf8ren"
        if isinstance(stream, io.TextIOWrapper) and not stream.closed:
            stream.reconfigure(errors="backslashreplace")
    if not _working_folder_exists():
        return 1
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # the command's own usage, not the top level's
        args.command_parser.error(_unrecognized(extra, args.command_parser))
    handler: Handler = args.handler
    try:
        with symlink_loops_told():
            return handler(args)
    except SitegenError as exc:
        Printer().diagnostics(exc.diagnostics)
        errors = sum(d.severity is Severity.ERROR for d in exc.diagnostics)
        print(f"sitegen: {errors} error{'s' * (errors != 1)}; nothing was written", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sitegen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `sitegen characters | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if not _working_folder_exists():  # taken away while the command ran
            return 1
        Printer().diagnostics([os_error_diagnostic(exc, Path.cwd())])
        return 1
    except Exception as exc:
        if os.environ.get("SITEGEN_TRACEBACK"):
            raise
        print(
            f"sitegen: internal error, a bug in sitegen: {type(exc).__name__}: {exc}; "
            "run again with SITEGEN_TRACEBACK=1 to see where, and report it",
            file=sys.stderr,
        )
        return 1
