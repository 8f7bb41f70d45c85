"""`sitegen new DIR`: a small anthology that builds, and publishes on GitHub Pages, as it is.

The files come from `scaffold/` beside this module. The Pages workflow is not copied there:
it is sitegen's own `.github/workflows/pages.yml` (shipped in the wheel as
`_bundled/pages.yml`), with one line changed, `SITEGEN_PACKAGE`, because a new project has no
sitegen source to install from "." and must name where pip gets sitegen instead.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from . import __version__
from .config import shown_name
from .errors import Diagnostic, SitegenError, error, warning

PACKAGE_DIR = Path(__file__).resolve().parent
SCAFFOLD_DIR = PACKAGE_DIR / "scaffold"
WORKFLOW = ".github/workflows/pages.yml"
# (file in the new project, file in scaffold/); the workflow is filled in separately.
FILES = (
    ("anthology.toml", "anthology.toml"),
    ("README.md", "README.md"),
    (".gitignore", "gitignore"),
    ("seeds/01_the_lamplighter.txt", "seeds/01_the_lamplighter.txt"),
)
PACKAGE_LINE = re.compile(r'^(  SITEGEN_PACKAGE: )"[^"\n]*"$', re.MULTILINE)
PLACEHOLDER_PACKAGE = f"sitegen @ git+https://github.com/OWNER/sitegen@v{__version__}"


def workflow_source() -> str:
    """The Pages workflow: inside an installed wheel, or in the source checkout."""
    bundled = PACKAGE_DIR / "_bundled" / "pages.yml"
    path = bundled if bundled.is_file() else PACKAGE_DIR.parent / WORKFLOW
    return path.read_text("utf-8")


def workflow(package: str) -> str:
    """The Pages workflow with `SITEGEN_PACKAGE` set to the pip requirement `package`."""
    text, count = PACKAGE_LINE.subn(
        lambda match: match.group(1) + json.dumps(package), workflow_source()
    )
    if count != 1:
        raise RuntimeError(f"{WORKFLOW} must set SITEGEN_PACKAGE exactly once, found {count}")
    return text


def install_requirement(direct_url: Mapping[str, object] | None) -> str | None:
    """What pip needs to install this same sitegen elsewhere, read from its PEP 610 record.

    A git install gives "sitegen @ git+URL@COMMIT" and a download gives "sitegen @ URL"; a
    local folder or file (an editable checkout, a wheel on disk) cannot be reached from
    GitHub's runners, so it gives None.
    """
    if not direct_url:
        return None
    url = str(direct_url.get("url", ""))
    vcs = direct_url.get("vcs_info")
    if isinstance(vcs, Mapping) and vcs.get("vcs") == "git" and not url.startswith("file:"):
        commit = vcs.get("commit_id")
        return f"sitegen @ git+{url}" + (f"@{commit}" if commit else "")
    if "archive_info" in direct_url and url.startswith(("https://", "http://")):
        return f"sitegen @ {url}"
    return None


def installed_direct_url() -> dict[str, object] | None:
    try:
        text = metadata.distribution("sitegen").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    return json.loads(text) if text else None


def title_for(target: Path) -> str:
    """ "my-stories" -> "My Stories", the way the config names an untitled anthology: each
    word's first letter made a capital, the rest as written ("NYC_tales" -> "NYC Tales",
    "grandma's-stories" -> "Grandma's Stories")."""
    words = shown_name(target.resolve().name).replace("-", " ").replace("_", " ").split()
    return " ".join(_FIRST_LETTER.sub(_capital, word, count=1) for word in words) or "Stories"


_FIRST_LETTER = re.compile(r"[^\W\d_]")  # past any opening mark: "'til" -> "'Til"


def _capital(letter: re.Match[str]) -> str:
    return letter[0].title()  # title case: "ǆ" -> "ǅ", not "Ǆ"


HOUSEKEEPING = re.compile(r"^(?:\.|(?:README|LICEN[CS]E|COPYING)(?:\.|$))", re.IGNORECASE)
"""Names a folder made by `git init` or by GitHub's "new repository" may hold (`.git`, a
README, a licence, a `.gitignore`): `sitegen new .` may write beside them."""
KEPT_IF_PRESENT = frozenset({"README.md"})
"""Files of the new project that the writer's own copy stands in for."""
MERGED_IF_PRESENT = frozenset({".gitignore"})
"""Files of the new project whose lines are added to the writer's own copy where missing."""
KEPT_OR_MERGED = KEPT_IF_PRESENT | MERGED_IF_PRESENT


def create(
    target: Path, package: str | None = None, author: str = ""
) -> tuple[list[Path], list[Diagnostic]]:
    """Write a new anthology into `target`: a new folder, an empty one, or one holding only a
    repository's housekeeping (`.git`, a README, a licence, `.gitignore`: see `HOUSEKEEPING`).

    A README already there is kept, and a `.gitignore` gets only the lines it lacks; any other
    file of the new project already there stops it, before anything is written. `package` is
    what the workflow installs; by default, wherever this sitegen came from. `author` goes in
    the config; left blank, the first build asks for it (W002). Returns the files written and
    a warning when the package's place is not known.
    """
    _refuse_unless_fresh(target)
    found: list[Diagnostic] = []
    if package is None:
        package = install_requirement(installed_direct_url())
    if package is None:
        package = PLACEHOLDER_PACKAGE
        found.append(
            warning(
                "W061",
                target / WORKFLOW,
                None,
                "this sitegen was installed from a local folder or file, which GitHub's "
                "runners cannot reach",
                "set SITEGEN_PACKAGE in the workflow to where pip can get sitegen "
                "(or pass --package to `sitegen new`)",
            )
        )
    title = title_for(target)
    contents = {
        name: (SCAFFOLD_DIR / template)
        .read_text("utf-8")
        .replace("__TITLE__", json.dumps(title, ensure_ascii=False))
        .replace("__AUTHOR__", json.dumps(author.strip(), ensure_ascii=False))
        .replace("__IDENTIFIER__", f'"urn:uuid:{uuid.uuid4()}"')
        .replace("__TITLE_TEXT__", title)
        for name, template in FILES
    }
    contents[WORKFLOW] = workflow(package)
    planned: dict[Path, str] = {}
    for name, text in contents.items():
        path = target / name
        if path.exists() and name in KEPT_IF_PRESENT:
            continue
        if path.exists() and name in MERGED_IF_PRESENT:  # its bytes kept, whatever encoding
            text = with_lines_of(path.read_text("utf-8", "surrogateescape"), text)
        planned[path] = text
    _write_all(planned)
    return list(planned), found


def _write_all(planned: dict[Path, str]) -> None:
    """Write each file of `planned`, or none: what a failure leaves half made (a `.github`
    that is a file, a disk full) is taken away again, so that `new` can simply be run again
    once the cause is mended. New files go first and the writer's own (a `.gitignore` with
    lines added) last, and only what this call made is removed."""
    made: list[Path] = []
    try:
        for path, text in sorted(planned.items(), key=lambda item: item[0].exists()):
            new = not path.exists()
            missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
            for folder in reversed(missing):
                folder.mkdir()
                made.append(folder)
            path.write_text(text, "utf-8", "surrogateescape")  # the writer's bytes kept
            if new:
                made.append(path)
    except OSError:
        for done in reversed(made):
            with contextlib.suppress(OSError):
                if done.is_dir():
                    done.rmdir()
                else:
                    done.unlink()
        raise


def _refuse_unless_fresh(target: Path) -> None:
    """E065 unless `target` is missing, empty, or holds only housekeeping that no file of the
    new project would overwrite (a README and `.gitignore` are kept: see `create`)."""
    if not target.exists():
        return
    if target.is_dir():
        theirs = [p.name for p in sorted(target.iterdir()) if not HOUSEKEEPING.match(p.name)]
        overwritten = [name for name, _ in FILES if name not in KEPT_OR_MERGED] + [WORKFLOW]
        theirs += [name for name in overwritten if (target / name).exists()]
        if not theirs:
            return
        problem = f"already holds {theirs[0]}"
    else:
        problem = "exists and is not a folder"
    raise SitegenError(
        [
            error(
                "E065",
                target,
                None,
                f"{problem}; refusing to write over it",
                "name a new or empty folder (a repository holding only .git, a README, "
                "a licence or .gitignore will do): sitegen new my-anthology",
            )
        ]
    )


def with_lines_of(mine: str, ours: str) -> str:
    """The writer's `mine` with the lines of `ours` it lacks added at the end."""
    have = {line.strip() for line in mine.splitlines()}
    missing = [line for line in ours.splitlines() if line.strip() and line.strip() not in have]
    if not missing:
        return mine
    return mine + ("" if mine.endswith("\n") or not mine else "\n") + "\n".join(missing) + "\n"
