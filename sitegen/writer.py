"""The only code that touches the output folder.

A build is staged in a sibling folder and swapped in with two renames, so a reader (or
`serve`) never sees a half-written site and a failed or killed build leaves the last good one.
Unchanged files are hard-linked from the old site instead of rewritten. A manifest records
what sitegen wrote: files and folders someone else put in the output folder are carried
over, never deleted, every folder keeps its permissions (but its owner's right to change it),
and a folder sitegen did not make is never replaced. A caller that writes again and
again (`serve`) can keep the replaced site and stage the next write into it (see `Spare`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from . import parallel
from .errors import Diagnostic, SitegenError, error

MANIFEST = ".sitegen-manifest"
READ_MARK = "# read:"
"""In the manifest, after the site's files: a line of this, then the files the build read
(see `sources.inputs_record`), when it recorded them."""
STAGING_PREFIX = ".output.staging-"
RETIRED_PREFIX = ".output.retired-"
ASIDE_PREFIX = ".output.aside-"  # folders being removed (see `set_aside`)


@dataclass(frozen=True)
class WriteReport:
    """What a write did to the output folder."""

    written: tuple[str, ...]  # every path in the new site
    changed: tuple[str, ...]  # paths whose bytes differ from the previous site (or are new)
    removed: tuple[str, ...]  # paths the previous build wrote that this one did not
    # Files sitegen did not write, and folders holding none of its own ("name/"), carried over.
    kept: tuple[str, ...]
    # The replaced site, left beside the new one (`keep_retired`) and holding what the
    # write's `last_written` said it held; None when there was none, or it was removed.
    retired: Path | None = None


@dataclass(frozen=True)
class Spare:
    """A site this writer replaced, kept beside the output folder by a caller that writes
    again and again (`serve`), with what it holds. The next write renames it into place as
    its staging folder and changes only the files that differ, instead of making a folder
    and a link for every page again: at a thousand chapters that is most of a rebuild."""

    folder: Path
    files: Mapping[str, bytes]  # what sitegen wrote there
    foreign: tuple[str, ...]  # files of someone else's, linked in, and their folders ("name/")


def merge_outputs(*parts: dict[str, bytes]) -> dict[str, bytes]:
    """Join renderers' outputs; two pages claiming one path is an error, not a silent overwrite."""
    merged: dict[str, bytes] = {}
    clashes = []
    for part in parts:
        for path, data in part.items():
            if path in merged:
                clashes.append(path)
            merged[path] = data
    if clashes:
        raise SitegenError(
            error(
                "E040",
                path,
                None,
                "two outputs claim this path",
                "give one of the chapters or characters a distinct slug",
            )
            for path in sorted(clashes)
        )
    return merged


def check_output_dir(
    out_dir: Path, protected: tuple[Path, ...], sealed: tuple[Path, ...] = ()
) -> None:
    """Refuse an output folder whose replacement would lose the writer's work: one that is, or
    contains, a `protected` folder (the project, its sources, templates or theme), one inside
    a `sealed` folder (the sources, templates or theme: the site would copy itself into the
    next build), a home folder, the file system's root, or a file."""
    out = out_dir.resolve()
    for folder in (*protected, Path.home()):
        if folder.resolve().is_relative_to(out):
            _refuse(out_dir, f"it is or contains {folder.resolve()}")
    for folder in sealed:
        if out.is_relative_to(sealed_folder := folder.resolve()):
            beside = sealed_folder.parent / f"{sealed_folder.name}-site"
            _refuse(
                out_dir,
                f"it is inside {sealed_folder}",
                f"an output folder outside it, e.g. --out {beside}",
            )
    if out.exists() and not out.is_dir():
        _refuse(out_dir, "it is a file")
    if out.parent == Path("/home") or out == Path(out.anchor):
        _refuse(out_dir, "it is a home folder or the root of the file system")


def _refuse(out_dir: Path, why: str, where: str | None = None) -> None:
    if where is None:  # a folder of its own, and not the one refused
        other = "site" if out_dir.resolve().name == "output" else "output"
        where = f"an output folder of its own, e.g. --out {other}"
    raise SitegenError(
        [error("E041", out_dir, None, f"refusing to write the site here: {why}", f"choose {where}")]
    )


def _check_inside(path: str) -> None:
    """An output path names a file inside the site: a renderer's bug must not write elsewhere.
    Tested as a string: it runs for each file of every build, serve's included."""
    if path.startswith("/") or ".." in path.split("/") or not path.strip("./"):
        raise ValueError(f"output path escapes the site: {path!r}")


class Manifest(NamedTuple):
    """What the last build recorded in an output folder (see `write`)."""

    written: set[str]  # the site's files
    read: tuple[str, ...] | None  # what it was built from (see `sources.inputs_record`)


def read_manifest(out: Path) -> Manifest | None:
    """The manifest of the last build that wrote `out`; None where sitegen has not written
    there. `read` is None where that build did not record it."""
    try:
        lines = (out / MANIFEST).read_bytes().decode("utf-8").splitlines()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:  # sitegen writes UTF-8: someone else wrote or changed this
        problem = "is not the list of files sitegen wrote here (it is not UTF-8 text)"
        hint = f"move anything of yours out of {out.name}/, delete the folder, and build again"
        raise SitegenError([error("E045", out / MANIFEST, None, problem, hint)]) from None
    if READ_MARK not in lines:
        return Manifest(set(lines), None)
    mark = lines.index(READ_MARK)
    return Manifest(set(lines[:mark]), tuple(lines[mark + 1 :]))


Access = tuple[int, int]  # a folder's permission bits and group


def _survey(folder: Path) -> tuple[set[str], dict[str, Access]]:
    """Every file (or symlink) below `folder`, as a relative POSIX path, and the permissions
    and group of every folder ("" for `folder` itself). Each listing says what kind each entry
    is, so this costs one listing and one status per folder, and no call per file."""
    files: set[str] = set()
    root = folder.stat()
    access = {"": (stat.S_IMODE(root.st_mode), root.st_gid)}
    pending = [("", str(folder))]
    while pending:
        prefix, path = pending.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    status = entry.stat(follow_symlinks=False)
                    access[prefix + entry.name] = (stat.S_IMODE(status.st_mode), status.st_gid)
                    pending.append((prefix + entry.name + "/", entry.path))
                else:
                    files.add(prefix + entry.name)
    return files, access


def _folders_of(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of `paths`, at any depth."""
    folders: set[str] = set()
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders


def recover(out: Path, *, tidy: bool = True) -> bool:
    """Finish a swap that was interrupted between its two renames (or undo the removal of the
    output folder, when a replaced site is still beside it); whether a site was put back.
    With `tidy`, also remove the sites writes replaced, any staging a killed build left
    behind, and what an interrupted removal left set aside. That can take seconds, which
    `serve` spends on a thread of its own instead (see `write` and `set_aside`)."""
    if not out.parent.is_dir():
        return False
    retired = retired_sites(out)
    restored = not out.exists() and bool(retired)
    if restored:
        retired[-1].rename(out)
        retired = retired[:-1]
    if tidy:
        aside = out.parent.glob(ASIDE_PREFIX + out.name + "-*")
        for stale in [*retired, *_staging(out), *aside]:
            remove_tree(stale)
    return restored


def retired_sites(out: Path) -> list[Path]:
    """The replaced sites beside `out`, oldest first (by when they were staged): left by
    `write(..., keep_retired=True)` or by a swap that was interrupted."""
    dated = []
    for site in out.parent.glob(RETIRED_PREFIX + out.name + "-*"):
        with contextlib.suppress(FileNotFoundError):  # moved or removed meanwhile
            dated.append((site.stat().st_mtime_ns, site.name, site))
    return [site for _, _, site in sorted(dated)]


def set_aside(out: Path, keep: Path | None = None) -> list[Path]:
    """Move the sites that writes into `out` replaced (but `keep`), and any staging a killed
    build left, out of the writer's way under names of their own, and return them for the
    caller to remove. Removing them can take seconds, which `serve` spends on a thread of its
    own; renamed first, a folder half removed is never taken for a site to restore."""
    moved = []
    for folder in [*retired_sites(out), *_staging(out)]:
        if folder == keep:
            continue
        aside = _unused_name(out, ASIDE_PREFIX)
        with contextlib.suppress(FileNotFoundError):
            folder.rename(aside)
            moved.append(aside)
    return moved


def _staging(out: Path) -> list[Path]:
    return list(out.parent.glob(STAGING_PREFIX + out.name + "-*"))


def _unused_name(out: Path, prefix: str) -> Path:
    """A new name beside `out` with `prefix`, nothing there yet."""
    made = Path(tempfile.mkdtemp(prefix=prefix + out.name + "-", dir=out.parent))
    made.rmdir()
    return made


def write(
    outputs: dict[str, bytes],
    out_dir: Path,
    *,
    protected: tuple[Path, ...] = (),
    sealed: tuple[Path, ...] = (),
    last_written: Mapping[str, bytes] | None = None,
    keep_retired: bool = False,
    spare: Spare | None = None,
    read: tuple[str, ...] = (),
) -> WriteReport:
    """Replace the site in `out_dir` with `outputs`, atomically.

    `last_written` is what the previous write into this folder wrote, when the caller kept it
    in memory (`serve` does): a file is then known unchanged by comparing bytes in memory and
    checking its size on disk, instead of reading the whole site back. `keep_retired` leaves
    the replaced site beside the new one (see `retired_sites`), and any an earlier write left,
    for the caller to remove when nobody is waiting (`serve` does, once the browser has been
    told to reload): removing a thousand folders can take seconds on a disk that discards freed
    blocks, and a save made meanwhile must not wait for it. A `spare` (a site replaced
    earlier, see `Spare`) is staged into instead of a new folder, when `last_written` holds.
    The manifest records the files the build `read` (see `sources.inputs_record`).
    """
    out = out_dir.resolve()
    check_output_dir(out, protected, sealed)
    if os.path.ismount(out):  # another file system's: the site is staged beside it, in this one
        raise SitegenError([_mount_point(out)])
    out.parent.mkdir(parents=True, exist_ok=True)
    if recover(out, tidy=not keep_retired):
        last_written = None  # the site put back is not the one the caller remembers
    if last_written is None:
        spare = None
    plan = _replacing(outputs, out, out_dir)
    previous, foreign, foreign_folders = plan.previous, plan.foreign, plan.foreign_folders

    stage, held = _staging_folder(out, spare)
    try:
        changed = _stage(outputs, out, stage, last_written, held)
        for folder in foreign_folders:
            os.makedirs(stage / folder, exist_ok=True)
        for name in foreign:
            os.link(out / name, stage / name, follow_symlinks=False)
        record = [*sorted(outputs), *((READ_MARK, *read) if read else ())]
        (stage / MANIFEST).write_text("\n".join(record) + "\n", "utf-8")
        _give_access(stage, plan.kept_access)
        retired = _swap(stage, out, keep_retired)
    except BaseException:
        remove_tree(stage)
        raise
    return WriteReport(
        written=tuple(sorted(outputs)),
        changed=tuple(changed),
        removed=tuple(sorted(previous - set(outputs))),
        kept=tuple(sorted([*foreign, *(folder + "/" for folder in foreign_folders)])),
        retired=retired if last_written is not None else None,
    )


@dataclass(frozen=True)
class _Replacing:
    """What replacing a site keeps of the folder's present contents (see `_replacing`)."""

    previous: set[str]  # the files the last build wrote
    foreign: list[str]  # files of someone else's, carried over
    foreign_folders: list[str]  # folders of someone else's, made again in the new site
    kept_access: dict[str, Access]  # the permissions and group each folder keeps


def check_replaceable(outputs: Mapping[str, bytes], out_dir: Path) -> None:
    """Raise the SitegenError `write` would raise for the output folder (E042 to E045) once
    it is a folder that may hold a site (see `check_output_dir`), writing nothing: for
    `sitegen check`."""
    out = out_dir.resolve()
    if os.path.ismount(out):
        raise SitegenError([_mount_point(out)])
    if out.is_dir():
        _replacing(outputs, out, out_dir)


def _replacing(outputs: Mapping[str, bytes], out: Path, out_dir: Path) -> _Replacing:
    """What of the folder `out` (shown as `out_dir`) replacing its site with `outputs`
    keeps; a SitegenError where sitegen cannot tell its files from others' (E042, E045) or
    one of theirs is where the new site needs a path (E043)."""
    manifest = read_manifest(out) if out.exists() else Manifest(set(), None)
    previous = None if manifest is None else manifest.written
    if previous is None:
        if any(out.iterdir()):
            raise SitegenError(
                [
                    error(
                        "E042",
                        out_dir,
                        None,
                        "the output folder has files sitegen did not write; refusing to replace it",
                        "empty it, or choose another folder with --out",
                    )
                ]
            )
        previous = set()
    existing, access = _survey(out) if out.exists() else (set(), {"": (0o755, -1)})
    theirs = existing - previous - {MANIFEST}
    site_folders = _folders_of(outputs)
    # Someone else's folders: those no page of sitegen's needs, that hold something of theirs
    # or that sitegen never made. A parent sorts before what it holds, so is made first.
    made = access.keys() - _folders_of(previous) - {""}
    foreign_folders = sorted((made | _folders_of(made) | _folders_of(theirs)) - site_folders)
    # Something of someone else's where the site has a file or a folder (a file with the same
    # bytes as the site's own is simply taken over).
    in_the_way = sorted(
        {p for p in theirs & outputs.keys() if not _same_bytes(str(out / p), outputs[p])}
        | (theirs & site_folders)
        | (outputs.keys() & set(foreign_folders))
    )
    if in_the_way:
        raise SitegenError(
            error(
                "E043",
                out_dir / path,
                None,
                "this was not written by sitegen, and the new site needs this path",
                "move it out of the output folder, or give the page that wants it another slug",
            )
            for path in in_the_way
        )
    foreign = sorted(theirs - outputs.keys())
    kept_access = {
        folder: value
        for folder, value in access.items()
        if folder in site_folders or folder in foreign_folders or not folder
    }
    return _Replacing(previous, foreign, foreign_folders, kept_access)


def _staging_folder(out: Path, spare: Spare | None) -> tuple[Path, Mapping[str, bytes]]:
    """A folder to stage the new site in, and the files of sitegen's it already holds: the
    `spare`, renamed, with others' files and folders and the manifest taken out (they are
    carried over and written again), or else a new, empty folder."""
    if spare is not None:
        stage = _unused_name(out, STAGING_PREFIX)
        try:
            spare.folder.rename(stage)
        except OSError:
            pass  # removed meanwhile: stage afresh
        else:
            try:
                _take_out_theirs(stage, spare.foreign)
            except OSError:  # a folder of theirs that may not be changed: stage afresh
                remove_tree(stage)
            else:
                return stage, spare.files
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX + out.name + "-", dir=out.parent)), {}


def _take_out_theirs(stage: Path, theirs: Iterable[str]) -> None:
    """Take out of `stage` the manifest and `theirs`, files and ("name/") folders of someone
    else's, which the write carries over as they are now."""
    files = [name for name in theirs if not name.endswith("/")]
    for name in (*files, MANIFEST):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stage / name)
    _remove_empty(str(stage), [name.rstrip("/") for name in theirs if name.endswith("/")])


SHARED_FROM = 100
"""Files from which a write forks a process to place half of them (see `_stage`). Making a
file or a folder is the file system's work, done in the kernel, and two processes do it in
about half the time. On this project's machine a file takes 0.1 to 1.7 ms to make, as the
disk allows, and a fork 2.5 to 12 ms: for a five-story site (38 files) the split cost more
than it saved in a quiet minute, and at a hundred stories it saved 10 to 100 ms."""


@dataclass(frozen=True)
class _Placing:
    """What placing a file in the staging folder goes by (see `_stage` and `_place`)."""

    outputs: dict[str, bytes]
    old_root: str  # the site being replaced
    new_root: str  # the staging folder
    had_site: bool
    last_written: Mapping[str, bytes] | None
    held: Mapping[str, bytes]


def _stage(
    outputs: dict[str, bytes],
    out: Path,
    stage: Path,
    last_written: Mapping[str, bytes] | None,
    held: Mapping[str, bytes],
) -> list[str]:
    """Write `outputs` into `stage`, which already holds the files `held` (a spare site) or
    nothing. Files `held` that the site no longer has are removed first, with the folders
    they leave empty (a page's folder may have become a file's name); then each file is
    placed (see `_place`). Returns the paths whose bytes differ from `out`'s, in order.

    A large site (`SHARED_FROM`) staged afresh is placed by two processes, half each: at a
    thousand pages, the file system's work is most of a build's last second. A spare holds
    most of its files already, and is only `serve`'s, which does not fork (see `parallel`)."""
    _remove_stale(str(stage), held.keys() - outputs.keys())
    paths = sorted(outputs)
    for path in paths:
        _check_inside(path)
    placing = _Placing(outputs, str(out), str(stage), out.is_dir(), last_written, held)
    half = len(paths) // 2
    shared = not held and len(paths) >= SHARED_FROM
    with parallel.Helper(placing, fork=shared) as other:
        theirs = other.run(_place, paths[half:])
        return _place(placing, paths[:half]) + theirs.result()


def _place(placing: _Placing, paths: list[str]) -> list[str]:
    """Place each of `paths` in the staging folder, and return those whose bytes differ from
    the old site's: a file already there with the right bytes stays, one whose bytes are the
    old site's is hard-linked from there, and any other is written. Paths are plain strings
    here: a thousand pages through `pathlib` cost more than the system calls."""
    outputs, held, last_written = placing.outputs, placing.held, placing.last_written
    changed: list[str] = []
    folders = {path.rpartition("/")[0] for path in paths if path in held}
    for path in paths:
        data = outputs[path]
        target = os.path.join(placing.new_root, path)
        old = os.path.join(placing.old_root, path)
        unchanged = placing.had_site and (
            _same_bytes(old, data)
            if last_written is None
            else last_written.get(path) == data and _same_size(old, len(data))
        )
        if not unchanged:
            changed.append(path)
        if path in held:
            if held[path] == data and _same_size(target, len(data)):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
        else:
            folder = path.rpartition("/")[0]
            if folder not in folders:
                os.makedirs(os.path.join(placing.new_root, folder), exist_ok=True)
                folders.add(folder)
            if held:  # a spare may hold a file sitegen took over from someone, listed nowhere
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target)
        if unchanged:
            os.link(old, target)
        else:
            _create(target, data)
    return changed


def _remove_stale(root: str, paths: set[str]) -> None:
    """Remove `paths` below `root`, and then each folder they leave empty."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(root, path))
    _remove_empty(root, _folders_of(paths))


def _remove_empty(root: str, folders: Iterable[str]) -> None:
    """Remove each of `folders` below `root` that is empty, deepest first."""
    for folder in sorted(folders, key=lambda f: f.count("/"), reverse=True):
        with contextlib.suppress(OSError):  # not empty: it holds a page of the new site
            os.rmdir(os.path.join(root, folder))


def _give_access(stage: Path, access: Mapping[str, Access]) -> None:
    """Give each folder of `stage` the permissions and group of the folder of that name in the
    site it replaces (see `_survey`): a folder the writer shared with a web server's group, or
    closed to others, stays so. Its owner keeps the right to change it, which the next build
    needs; a group its owner may not give is left as it is."""
    root = str(stage)
    for folder, (mode, group) in access.items():
        path = os.path.join(root, folder) if folder else root
        status = os.lstat(path)
        regroup = group >= 0 and status.st_gid != group
        if regroup:
            with contextlib.suppress(PermissionError):
                os.chown(path, -1, group)
        wanted = mode | stat.S_IRWXU
        if regroup or stat.S_IMODE(status.st_mode) != wanted:
            os.chmod(path, wanted)  # after a change of group too, which may clear set-gid


def remove_tree(folder: Path) -> None:
    """Remove `folder` and all it holds, as far as can be: a folder inside that its owner may
    not change (one made read-only before it came into the site) is opened first."""
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:  # gone, or going under another remover: what is left goes too
        shutil.rmtree(folder, ignore_errors=True)
    except OSError:
        for inside, _, _ in os.walk(folder):
            with contextlib.suppress(OSError):
                os.chmod(inside, stat.S_IRWXU)
        shutil.rmtree(folder, ignore_errors=True)


def _create(path: str, data: bytes) -> None:
    """Write a new file with the bytes of `data` (with no Python file object in between: a
    thousand pages add up)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # less the umask
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _same_bytes(path: str, data: bytes) -> bool:
    if not _same_size(path, len(data)):
        return False
    try:
        with open(path, "rb") as file:
            return file.read() == data
    except OSError:
        return False


def _same_size(path: str, size: int) -> bool:
    """`path` is a regular file (not a symlink) of `size` bytes."""
    try:
        status = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(status.st_mode) and status.st_size == size


def _mount_point(out: Path) -> Diagnostic:
    """What to do when `out` cannot be renamed: it is a mount point (a container's volume)."""
    return error(
        "E044",
        out,
        None,
        "the output folder is a mount point, and the new site takes its place by renaming it,"
        " which a mount point refuses; the last site is untouched",
        "build into a folder inside it, e.g. --out output/site, or set `output` in the config",
    )


def _swap(stage: Path, out: Path, keep_retired: bool) -> Path | None:
    """Put `stage` in the place of `out`; the replaced site, when it is kept."""
    if not out.exists():
        stage.rename(out)
        return None
    retired = _unused_name(out, RETIRED_PREFIX)
    try:
        out.rename(retired)
    except OSError as exc:
        if exc.errno != errno.EBUSY:  # a mount point of this same file system (a bind mount)
            raise
        raise SitegenError([_mount_point(out)]) from None
    try:
        stage.rename(out)
    except BaseException:
        retired.rename(out)  # the last good site back in its place at once
        raise
    if keep_retired:
        return retired
    remove_tree(retired)
    return None
