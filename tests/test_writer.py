"""The output folder: deterministic, atomic, and never a place where sitegen loses your files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import SEEDS, copy_project, run_sitegen

from sitegen.errors import SitegenError
from sitegen.writer import (
    MANIFEST,
    Spare,
    check_replaceable,
    retired_sites,
    set_aside,
    write,
)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes; of the manifest, the site's files, not the record of what the
    build read, which holds the files' times (another copy's, or a later build's)."""
    files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
    found = {path: file.read_bytes() for path, file in files.items()}
    if MANIFEST in found:
        found[MANIFEST] = found[MANIFEST].partition(b"# read:\n")[0]
    return found


def test_two_builds_give_identical_bytes_and_the_second_changes_nothing(tmp_path: Path) -> None:
    first = copy_project(tmp_path / "a")
    second = copy_project(tmp_path / "b")
    run_sitegen("build", cwd=first, check=True)
    run_sitegen("build", cwd=second, check=True)
    assert snapshot(first / "output") == snapshot(second / "output")
    again = run_sitegen("build", cwd=first, check=True)
    assert ", 0 changed," in again.stdout
    assert snapshot(first / "output") == snapshot(second / "output")


def big_project(root: Path, copies: int) -> Path:
    (root / "seeds").mkdir(parents=True)
    for n in range(copies):
        for seed in sorted(SEEDS.iterdir()):
            (root / "seeds" / f"{n:04d}_{seed.name}").write_bytes(seed.read_bytes())
    set_title(root, "Version one")
    return root


def set_title(project: Path, title: str) -> None:
    (project / "anthology.toml").write_text(f'title = "{title}"\n', "utf-8")


# The EPUB records when its inputs last changed; rewriting the config changes that, so pin it.
PINNED_DATE = {"SOURCE_DATE_EPOCH": "1700000000"}


def test_killing_a_build_half_way_leaves_a_whole_site(tmp_path: Path) -> None:
    project = big_project(tmp_path / "big", copies=30)

    def build() -> None:
        run_sitegen("build", "--quiet", cwd=project, check=True, env=PINNED_DATE)

    build()
    old = snapshot(project / "output")
    set_title(project, "Version two")
    started = time.perf_counter()
    build()
    duration = time.perf_counter() - started
    new = snapshot(project / "output")
    assert old != new
    set_title(project, "Version one")
    build()

    outcomes = set()
    for step in range(1, 9):
        set_title(project, "Version two")
        process = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "build", "--quiet"],
            cwd=project,
            env={**os.environ, **PINNED_DATE},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(duration * step / 7)
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = snapshot(project / "output")
        assert after in (old, new), f"a mixed site after a kill at step {step}"
        outcomes.add("old" if after == old else "new")
        set_title(project, "Version one")
        build()
        assert snapshot(project / "output") == old
        assert not [p for p in project.iterdir() if p.name.startswith(".output.")]
    assert "old" in outcomes, "no kill landed before the swap; the test proved nothing"


@pytest.mark.parametrize("where", ["project", "seeds", "parent", "home", "root"])
def test_refuses_output_folders_that_hold_the_writers_work(tmp_path: Path, where: str) -> None:
    project = copy_project(tmp_path / "anthology")
    target = {
        "project": project,
        "seeds": project / "seeds",
        "parent": tmp_path,
        "home": Path.home(),
        "root": Path("/"),
    }[where]
    result = run_sitegen("build", "--out", str(target), cwd=project)
    assert result.returncode == 1
    assert "E041 refusing to write the site here" in result.stderr
    assert sorted(p.name for p in (project / "seeds").iterdir()) == sorted(
        p.name for p in SEEDS.iterdir()
    )


def test_a_manifest_that_is_not_sitegens_stops_the_build_and_keeps_the_site(
    tmp_path: Path,
) -> None:
    """sitegen's list of the files it wrote, made unreadable (by another program, or a copy
    gone wrong), is told at its path, and the folder is left as it is: sitegen cannot tell
    its files from the writer's."""
    project = copy_project(tmp_path / "anthology")
    run_sitegen("build", cwd=project, check=True)
    manifest = project / "output" / MANIFEST
    manifest.write_bytes(manifest.read_bytes() + b"notes-\xe9t\xe9.txt\n")
    before = snapshot(project / "output")
    for command in ("build", "deploy"):
        result = run_sitegen(command, cwd=project)
        assert result.returncode == 1
        *warnings, line, _ = result.stderr.splitlines()  # the problem, and the summary
        assert all(": W02" in warning for warning in warnings)
        assert line.startswith("output/.sitegen-manifest: E045 is not the list of files"), line
        assert "delete the folder, and build again" in line
    assert snapshot(project / "output") == before


def test_files_sitegen_did_not_write_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write({"index.html": b"one", "old.html": b"gone soon"}, out)
    (out / "CNAME").write_text("stories.example.org\n")
    report = write({"index.html": b"two"}, out)
    assert (out / "CNAME").read_text() == "stories.example.org\n"
    assert not (out / "old.html").exists()
    assert report.kept == ("CNAME",) and report.removed == ("old.html",)
    assert (out / MANIFEST).read_text() == "index.html\n"


def test_folders_of_yours_and_the_permissions_you_gave_survive_a_build(tmp_path: Path) -> None:
    """An empty folder you made in the site (for uploads, say) is yours: the next build keeps
    it, and keeps the permissions you gave any folder, the site's own ones included."""
    out = tmp_path / "out"
    write({"index.html": b"one", "chapters/a/index.html": b"a"}, out)
    (out / "uploads" / "later").mkdir(parents=True)
    (out / "chapters").chmod(0o700)
    out.chmod(0o750)
    report = write({"index.html": b"two", "chapters/a/index.html": b"a"}, out)
    assert (out / "uploads" / "later").is_dir()
    assert report.kept == ("uploads/", "uploads/later/")
    assert oct((out / "chapters").stat().st_mode & 0o777) == oct(0o700)
    assert oct(out.stat().st_mode & 0o777) == oct(0o750)
    assert oct((out / "chapters" / "a").stat().st_mode & 0o777) != oct(0o700)


def as_another_user(work: Callable[[], None], *folders: Path) -> None:
    """Run `work` as a user who is not root (for whom permissions are no obstacle), in a
    forked process given `folders`; an exception there fails the test here."""
    if os.getuid() != 0:
        work()
        return
    nobody = 65534
    for folder in folders:
        for inside, _, files in os.walk(folder):
            os.chown(inside, nobody, nobody)
            for name in files:
                os.chown(os.path.join(inside, name), nobody, nobody, follow_symlinks=False)
    child = os.fork()
    if child == 0:
        status = 1
        try:
            os.setgroups([])
            os.setgid(nobody)
            os.setuid(nobody)
            work()
            status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the write failed as an ordinary user"


def test_a_read_only_folder_of_yours_neither_stops_a_build_nor_leaves_debris() -> None:
    """sitegen must be able to replace what it made: a folder made read-only keeps its other
    permissions, but its owner may write in it again, and the replaced site is removed whole
    (also when `serve` stages the next site in it)."""
    place = Path(tempfile.mkdtemp(prefix="sitegen-writer-"))  # not below root's own folder
    out = place / "out"
    pages = {"index.html": b"home"}

    def builds() -> None:
        write(pages, out, keep_retired=True)
        (out / "locked").mkdir()
        (out / "locked" / "photo.jpg").write_bytes(b"\xff\xd8")
        (out / "locked").chmod(0o555)
        second = write(pages, out, keep_retired=True, last_written=pages)
        assert oct((out / "locked").stat().st_mode & 0o777) == oct(0o755)
        assert second.retired is not None
        spare = Spare(second.retired, pages, second.kept)
        write({"index.html": b"2"}, out, keep_retired=True, last_written=pages, spare=spare)
        write({"index.html": b"3"}, out)
        assert (out / "locked" / "photo.jpg").read_bytes() == b"\xff\xd8"
        assert sorted(p.name for p in place.iterdir()) == ["out"]

    try:
        as_another_user(builds, place)
    finally:
        subprocess.run(["chmod", "-R", "u+rwx", str(place)], check=False)
        shutil.rmtree(place, ignore_errors=True)


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder another group takes root")
def test_a_folder_shared_with_a_group_stays_shared(tmp_path: Path) -> None:
    """A site folder given to a web server's group (www-data is 33 on Debian), set-gid so
    that what is made inside joins it, stays so."""
    out = tmp_path / "out"
    write({"index.html": b"one", "a/index.html": b"a"}, out)
    for folder in (out, out / "a"):
        os.chown(folder, -1, 33)
        folder.chmod(0o2750)
    write({"index.html": b"two", "a/index.html": b"a"}, out)
    for folder in (out, out / "a"):
        assert (folder.stat().st_gid, oct(folder.stat().st_mode & 0o7777)) == (33, oct(0o2750))


@pytest.fixture(params=["bind", "tmpfs"])
def mounted_output(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """An output folder that is a mount point, as a container's volume is: a folder of this
    file system bound there, or another file system."""
    out, elsewhere = tmp_path / "out", tmp_path / "volume"
    out.mkdir()
    elsewhere.mkdir()
    how = ["--bind", elsewhere] if request.param == "bind" else ["-t", "tmpfs", "sitegen-test"]
    if subprocess.run(["mount", *how, out], capture_output=True).returncode:
        pytest.skip("mounting a folder takes root and a system that allows it")
    try:
        yield out
    finally:
        subprocess.run(["umount", out], check=True)


def test_an_output_folder_that_is_a_mount_point_says_so_and_keeps_its_site(
    mounted_output: Path,
) -> None:
    (mounted_output / "index.html").write_bytes(b"one")
    (mounted_output / MANIFEST).write_text("index.html\n", "utf-8")
    # `sitegen check` tells of another file system's; a folder of this one bound there is
    # known only once the build tries to rename it.
    on_another = os.path.ismount(mounted_output)
    for refused in (check_replaceable, write) if on_another else (write,):
        with pytest.raises(SitegenError) as raised:
            refused({"index.html": b"two"}, mounted_output)
    (problem,) = raised.value.diagnostics
    assert problem.code == "E044" and "mount point" in problem.message
    assert "--out output/site" in problem.hint
    assert (mounted_output / "index.html").read_bytes() == b"one"
    assert sorted(p.name for p in mounted_output.parent.iterdir()) == ["out", "volume"]


def test_what_of_yours_is_in_the_way_of_a_page_stops_the_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write({"index.html": b"one"}, out)
    (out / "feed.xml").mkdir()  # a folder where the site needs a file
    (out / "about").write_bytes(b"notes")  # a file where the site needs a folder
    with pytest.raises(SitegenError, match="E043") as raised:
        write({"index.html": b"two", "feed.xml": b"<feed/>", "about/index.html": b"a"}, out)
    assert sorted(d.path for d in raised.value.diagnostics) == [
        str(out / "about"),
        str(out / "feed.xml"),
    ]
    assert (out / "index.html").read_bytes() == b"one"


def test_a_page_folder_left_holding_only_yours_keeps_its_permissions(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write({"index.html": b"one", "chapters/old/index.html": b"old"}, out)
    (out / "chapters" / "old" / "extra").mkdir()
    (out / "chapters" / "old").chmod(0o711)
    report = write({"index.html": b"two"}, out)
    assert (out / "chapters" / "old" / "extra").is_dir()
    assert oct((out / "chapters" / "old").stat().st_mode & 0o777) == oct(0o711)
    assert report.kept == ("chapters/", "chapters/old/", "chapters/old/extra/")


def test_a_write_staged_in_the_replaced_site_keeps_your_folders_as_they_are_now(
    tmp_path: Path,
) -> None:
    """Staged in the site replaced earlier (as `serve` does), the new site still has exactly
    your folders as they are now: one you removed since stays removed, one you made is kept,
    and the permissions are the ones you gave last."""
    out = tmp_path / "out"
    pages = {"index.html": b"home", "a/index.html": b"a"}
    write(pages, out, keep_retired=True)
    (out / "drafts").mkdir()
    (out / "a").chmod(0o700)
    second = write(pages, out, keep_retired=True, last_written=pages)
    assert second.retired is not None and (second.retired / "drafts").is_dir()
    (out / "drafts").rmdir()
    (out / "notes").mkdir()
    (out / "a").chmod(0o751)
    spare = Spare(second.retired, pages, second.kept)
    third = write(pages, out, keep_retired=True, last_written=pages, spare=spare)
    assert not (out / "drafts").exists() and (out / "notes").is_dir()
    assert third.kept == ("notes/",)
    assert oct((out / "a").stat().st_mode & 0o777) == oct(0o751)


def test_a_file_of_yours_where_the_site_wants_one_stops_the_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write({"index.html": b"one"}, out)
    (out / "about").mkdir()
    (out / "about" / "index.html").write_bytes(b"my own page")
    (out / "CNAME").write_bytes(b"stories.example.org\n")
    with pytest.raises(SitegenError, match="E043") as raised:
        write({"index.html": b"two", "about/index.html": b"generated"}, out)
    assert [d.path for d in raised.value.diagnostics] == [str(out / "about" / "index.html")]
    assert (out / "about" / "index.html").read_bytes() == b"my own page"
    assert (out / "index.html").read_bytes() == b"one"
    # The same bytes as the site's own are taken over, and from then on are sitegen's.
    report = write({"index.html": b"two", "CNAME": b"stories.example.org\n"}, out)
    assert report.kept == ("about/", "about/index.html")
    assert "CNAME" in (out / MANIFEST).read_text().split()


def test_a_folder_sitegen_did_not_make_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(SitegenError, match="E042"):
        write({"index.html": b"site"}, out)
    assert (out / "holiday.jpg").read_bytes() == b"\xff\xd8"


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write({"a.html": b"same", "b.html": b"old"}, out)
    inode = os.stat(out / "a.html").st_ino
    report = write({"a.html": b"same", "b.html": b"new"}, out)
    assert report.changed == ("b.html",)
    assert os.stat(out / "a.html").st_ino == inode


def test_a_write_that_keeps_replaced_sites_never_waits_to_remove_them(tmp_path: Path) -> None:
    """`serve` removes replaced sites on a thread of its own (a thousand folders can take
    seconds): a save made meanwhile must not wait for that, so its write leaves them alone.
    They are set aside under names of their own first, so that a half-removed one is never
    taken for a site to restore. A plain build tidies away whatever is left."""
    out = tmp_path / "out"
    for version in (b"one", b"two", b"three"):
        write({"index.html": version}, out, keep_retired=True)
    assert (out / "index.html").read_bytes() == b"three"
    assert [(site / "index.html").read_bytes() for site in retired_sites(out)] == [b"one", b"two"]
    aside = set_aside(out)
    assert retired_sites(out) == [] and all(folder.is_dir() for folder in aside)
    assert sorted((folder / "index.html").read_bytes() for folder in aside) == [b"one", b"two"]
    write({"index.html": b"four"}, out, keep_retired=True)
    assert all(folder.is_dir() for folder in aside)  # still the caller's to remove
    write({"index.html": b"five"}, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "index.html").read_bytes() == b"five"


def test_a_write_staged_in_the_replaced_site_gives_the_same_site(tmp_path: Path) -> None:
    """`serve` keeps the site a write replaced and stages the next write in it, changing only
    what differs. The result must be exactly the site a fresh staging gives: new and changed
    pages written, unchanged ones kept, pages the site no longer has removed with the folders
    they leave empty, and a file of yours carried over as it is now."""
    out = tmp_path / "out"
    one = {"index.html": b"home 1", "a/index.html": b"a", "gone/deep/index.html": b"gone"}
    two = {"index.html": b"home 2", "a/index.html": b"a", "gone/deep/index.html": b"gone"}
    three = {
        "index.html": b"home 3",
        "a/index.html": b"a 3",
        "new/index.html": b"new",
        "gone": b"!",
    }
    write(one, out, keep_retired=True)
    (out / "CNAME").write_text("old.example.org\n")
    second = write(two, out, keep_retired=True, last_written=one)
    assert second.retired is not None and (second.retired / "index.html").read_bytes() == b"home 1"
    (out / "CNAME").write_text("stories.example.org\n")  # yours, changed since
    spare = Spare(second.retired, one, second.kept)
    third = write(three, out, keep_retired=True, last_written=two, spare=spare)
    assert not spare.folder.exists()  # it became the new site
    assert snapshot(out) == {
        **three,
        "CNAME": b"stories.example.org\n",
        MANIFEST: b"a/index.html\ngone\nindex.html\nnew/index.html\n",
    }
    assert (out / "gone").is_file()  # a folder of pages before, now a file
    assert third.changed == ("a/index.html", "gone", "index.html", "new/index.html")
    assert third.removed == ("gone/deep/index.html",) and third.kept == ("CNAME",)
    assert third.retired is not None and (third.retired / "index.html").read_bytes() == b"home 2"


def test_a_spare_removed_meanwhile_is_no_problem(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write({"index.html": b"one"}, out, keep_retired=True)
    second = write(
        {"index.html": b"two"}, out, keep_retired=True, last_written={"index.html": b"one"}
    )
    assert second.retired is not None
    for folder in set_aside(out):
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    spare = Spare(second.retired, {"index.html": b"one"}, ())
    write(
        {"index.html": b"three"},
        out,
        keep_retired=True,
        last_written={"index.html": b"two"},
        spare=spare,
    )
    assert (out / "index.html").read_bytes() == b"three"


def test_a_site_put_back_is_compared_on_disk_not_from_memory(tmp_path: Path) -> None:
    """If the output folder disappears while `serve` runs, the site it replaced last is put
    back; what the server remembers writing is then not what is on disk, so the next write
    reads the files instead of trusting memory (a same-length change would go unseen)."""
    out = tmp_path / "out"
    write({"index.html": b"one"}, out, keep_retired=True)
    write({"index.html": b"two"}, out, keep_retired=True, last_written={"index.html": b"one"})
    subprocess.run(["rm", "-rf", str(out)], check=True)
    report = write(
        {"index.html": b"two"}, out, keep_retired=True, last_written={"index.html": b"two"}
    )
    assert (out / "index.html").read_bytes() == b"two"
    assert report.changed == ("index.html",) and report.retired is None


@pytest.mark.parametrize("path", ["../escaped.html", "/tmp/escaped.html", "a/../../x", ".", ""])
def test_a_page_addressed_outside_the_site_is_never_written(tmp_path: Path, path: str) -> None:
    """Were a renderer ever to address a page outside the site, nothing may land there, and
    the last site stays."""
    out = tmp_path / "site" / "output"
    write({"index.html": b"first"}, out)
    with pytest.raises(ValueError, match="escapes the site"):
        write({"index.html": b"second", path: b"<p>out</p>"}, out)
    assert snapshot(out) == {"index.html": b"first", MANIFEST: b"index.html\n"}
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["output"]
    assert not (tmp_path / "escaped.html").exists()
