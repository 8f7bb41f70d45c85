"""`sitegen deploy` against real git repositories: a project clone and a bare "GitHub" remote.

The gh-pages branch must hold exactly the built site, the user's branch, index and files must
be exactly as they were (even mid-edit), and each deploy must be one commit on top of the last.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import copy_project, run_sitegen
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sitegen.build import build
from sitegen.config import load_config
from sitegen.deploy import is_branch_name, pages_url

BASE_URL = "https://example.github.io/anthology/"
IDENTITY = ["-c", "user.name=Ann Editor", "-c", "user.email=ann@example.org"]


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


@dataclass(frozen=True)
class Project:
    root: Path
    remote: Path

    @property
    def out(self) -> Path:
        return self.root / "output"

    def remote_files(self, branch: str = "gh-pages") -> dict[str, str]:
        """{path: blob id} of the branch's whole tree on the remote."""
        listing = git(self.remote, "ls-tree", "-r", branch)
        return {line.split("\t")[1]: line.split()[2] for line in listing.splitlines()}

    def remote_branches(self) -> list[str]:
        return git(self.remote, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()

    def remote_commits(self, branch: str = "gh-pages") -> list[str]:
        return git(self.remote, "rev-list", branch).splitlines()


def blob_ids(site: Path) -> dict[str, str]:
    """What the built site's files would be in git, so the tree can be compared byte for byte."""
    files = sorted(p for p in site.rglob("*") if p.is_file() and p.name != ".sitegen-manifest")
    names = [p.relative_to(site).as_posix() for p in files]
    ids = git(site, "hash-object", "--no-filters", *map(str, files)).splitlines()
    return dict(zip(names, ids, strict=True))


def snapshot(root: Path) -> dict[str, str]:
    """Everything the user could notice: HEAD, branch, index, status and every file's bytes."""
    state = {
        "HEAD": git(root, "rev-parse", "HEAD"),
        "branch": git(root, "symbolic-ref", "HEAD"),
        "index": hashlib.sha256((root / ".git" / "index").read_bytes()).hexdigest(),
        "status": git(root, "status", "--porcelain", "--untracked-files=all"),
    }
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.startswith((".git/", "output/")):
            state[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A writer's project on `main`, pushed to a bare remote, with the site built, and a
    half-finished edit: one change staged, one not, one new file."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    root = copy_project(tmp_path / "project")
    (root / ".gitignore").write_text("/output/\n", "utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, *IDENTITY, "commit", "-q", "-m", "Stories")
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")
    git(root, "config", "user.name", "Ann Editor")
    git(root, "config", "user.email", "ann@example.org")
    with (root / "anthology.toml").open("a", encoding="utf-8") as config:
        config.write("\n# staged edit\n")
    git(root, "add", "anthology.toml")
    with (root / "anthology.toml").open("a", encoding="utf-8") as config:
        config.write("# unstaged edit\n")
    (root / "notes.txt").write_text("ideas for story six\n", "utf-8")
    run_sitegen("build", "--base-url", BASE_URL, cwd=root, check=True)
    return Project(root, remote)


def test_deploy_publishes_exactly_the_built_site_and_leaves_the_user_alone(
    project: Project,
) -> None:
    before = snapshot(project.root)
    result = run_sitegen("deploy", cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("Published ")
    assert "to origin/gh-pages" in result.stdout
    assert snapshot(project.root) == before

    published = project.remote_files()
    built = blob_ids(project.out)
    assert published == built
    assert ".nojekyll" in published and ".sitegen-manifest" not in published
    assert {"index.html", "404.html", "feed.xml", "sitemap.xml"} <= published.keys()
    assert len(project.remote_commits()) == 1
    assert project.remote_commits("main") == [before["HEAD"]]
    assert git(project.root, "rev-parse", "gh-pages") == project.remote_commits()[0]
    message = git(project.remote, "log", "-1", "--format=%B", "gh-pages")
    assert before["HEAD"][:7] in message


def test_a_second_deploy_adds_one_commit_and_drops_what_the_site_no_longer_has(
    project: Project,
) -> None:
    assert run_sitegen("deploy", cwd=project.root).returncode == 0
    first = project.remote_commits()[0]
    config = project.root / "anthology.toml"
    text = config.read_text("utf-8")
    entry = '[[chapters]]\nfile = "004_888cfbc87bdd0a5f.txt"\ntitle = "Extraction Point"\n'
    assert entry in text
    config.write_text(text.replace(entry, ""), "utf-8")
    run_sitegen("build", "--base-url", BASE_URL, cwd=project.root, check=True)
    before = snapshot(project.root)

    result = run_sitegen("deploy", "--message", "Drop the fifth story", cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert snapshot(project.root) == before
    commits = project.remote_commits()
    assert len(commits) == 2
    assert git(project.remote, "rev-parse", "gh-pages^") == first
    assert git(project.remote, "log", "-1", "--format=%s", "gh-pages") == "Drop the fifth story"
    published = project.remote_files()
    assert published == blob_ids(project.out)
    assert not any(path.startswith("chapters/extraction-point/") for path in published)


def test_deploying_the_same_site_again_adds_no_commit(project: Project) -> None:
    assert run_sitegen("deploy", cwd=project.root).returncode == 0
    again = run_sitegen("deploy", cwd=project.root)
    assert again.returncode == 0, again.stderr
    assert re.fullmatch(
        r"origin/gh-pages already holds this site \([0-9a-f]{7}\); nothing to push\n", again.stdout
    )
    assert len(project.remote_commits()) == 1


def test_deploy_builds_on_the_remote_branch_from_a_fresh_clone(
    project: Project, tmp_path: Path
) -> None:
    """Someone else deployed from another machine: this clone has no local gh-pages, yet the
    new commit must go on top of the remote's, or the push would be refused."""
    assert run_sitegen("deploy", cwd=project.root).returncode == 0
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project.remote), str(clone))
    git(clone, "config", "user.name", "Bo Editor")
    git(clone, "config", "user.email", "bo@example.org")
    config = clone / "anthology.toml"
    config.write_text(config.read_text("utf-8").replace("Lights Went Out", "Lamps Lit"), "utf-8")
    run_sitegen("build", "--base-url", BASE_URL, cwd=clone, check=True)
    result = run_sitegen("deploy", cwd=clone)
    assert result.returncode == 0, result.stderr
    assert len(project.remote_commits()) == 2
    assert project.remote_files() == blob_ids(clone / "output")


def test_deploy_to_another_remote_and_branch(project: Project, tmp_path: Path) -> None:
    mirror = tmp_path / "mirror.git"
    git(tmp_path, "init", "-q", "--bare", str(mirror))
    git(project.root, "remote", "add", "mirror", str(mirror))
    result = run_sitegen("deploy", "--remote", "mirror", "--branch", "site", cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert "to mirror/site" in result.stdout
    assert Project(project.root, mirror).remote_files("site") == blob_ids(project.out)
    assert project.remote_branches() == ["main"]


def one_error(result: subprocess.CompletedProcess[str], code: str) -> str:
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert f": {code} " in lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def test_outside_a_git_repository_is_one_clear_error(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "plain")
    run_sitegen("build", cwd=root, check=True)
    line = one_error(run_sitegen("deploy", cwd=root), "E060")
    assert "not in a git repository" in line and "git init" in line


def test_without_the_remote_is_one_clear_error(project: Project) -> None:
    line = one_error(run_sitegen("deploy", "--remote", "github", cwd=project.root), "E062")
    assert "no git remote named `github`" in line and "origin" in line
    assert project.remote_commits("main")  # nothing else happened
    assert project.remote_branches() == ["main"]


def test_with_nothing_built_is_one_clear_error(project: Project, tmp_path: Path) -> None:
    line = one_error(
        run_sitegen("deploy", "--out", str(tmp_path / "nowhere"), cwd=project.root), "E061"
    )
    assert "nothing built" in line and "sitegen build" in line


def test_deploy_in_another_folder_than_the_projects_says_where_to_run_it(
    project: Project,
) -> None:
    line = one_error(run_sitegen("deploy", cwd=project.root / "seeds"), "E061")
    assert "nothing built to deploy, and no anthology.toml or manuscripts in this folder" in line
    assert "run sitegen in your project's folder" in line
    # A project without a config, in its own folder, is only told to build first.
    bare = copy_project(project.root.parent / "bare", config=None)
    git(bare, "init", "-q")
    line = one_error(run_sitegen("deploy", cwd=bare), "E061")
    assert "nothing built to deploy; run `sitegen build` first" in line


def test_a_folder_sitegen_did_not_build_is_never_published(
    project: Project, tmp_path: Path
) -> None:
    """Published, whatever it holds would replace the live site."""
    other = tmp_path / "other"
    (other / "sub").mkdir(parents=True)
    (other / "index.html").write_text("<h1>my index</h1>", "utf-8")
    (other / "sub" / "notes.md").write_text("mine", "utf-8")
    line = one_error(run_sitegen("deploy", "--out", str(other), cwd=project.root), "E061")
    assert "not built by sitegen" in line and "sitegen build" in line
    assert project.remote_branches() == ["main"]  # nothing was published


def test_refuses_the_branch_that_is_checked_out(project: Project) -> None:
    before = snapshot(project.root)
    line = one_error(run_sitegen("deploy", "--branch", "main", cwd=project.root), "E064")
    assert "checked out" in line
    assert snapshot(project.root) == before


def test_a_branch_name_git_refuses_is_a_usage_error(project: Project) -> None:
    result = run_sitegen("deploy", "--branch", "no..dots", cwd=project.root)
    assert result.returncode == 2
    assert "'no..dots' is not a valid branch name" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert project.remote_branches() == ["main"]


# Names made of what git's rules are about, and a few ordinary letters.
BRANCH_PIECES = ("a", "b", "é", "/", ".", "..", ".lock", "-", "@", "@{", "HEAD", " ", "\t")
BRANCH_PIECES += ("~", "^", ":", "?", "*", "[", "\\", "\x7f")
BRANCHES = st.lists(st.sampled_from(BRANCH_PIECES), max_size=5).map("".join)


@settings(max_examples=300, deadline=None)
@given(BRANCHES)
@example("HEAD")
@example("@")
@example("gh-pages")
@example("a/b.lock")
def test_a_branch_name_is_checked_as_git_checks_it(name: str) -> None:
    """The same verdict as git's own `check-ref-format --branch`, without asking git (a
    usage error is told before anything else is looked at)."""
    asked = subprocess.run(
        ["git", "check-ref-format", "--branch", name], capture_output=True, check=False
    )
    assert is_branch_name(name) == (asked.returncode == 0 and name != "@")


def test_a_failed_push_says_what_git_said(project: Project, tmp_path: Path) -> None:
    git(project.root, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    line = one_error(run_sitegen("deploy", cwd=project.root), "E063")
    assert "git ls-remote failed: '" in line
    assert "gone.git' does not appear to be a git repository" in line


def test_refuses_a_branch_that_holds_the_project(project: Project) -> None:
    """GitHub Pages set to publish from `main`, and the writer on another branch: deploying to
    `main` would replace the stories with the site."""
    git(project.root, "switch", "-q", "-c", "edits")
    main = project.remote_commits("main")
    line = one_error(run_sitegen("deploy", "--branch", "main", cwd=project.root), "E064")
    assert "`main` holds your project (anthology.toml)" in line
    assert project.remote_commits("main") == main
    assert git(project.root, "rev-parse", "main") == main[0]


def test_a_gh_pages_branch_made_from_the_project_is_refused_with_another_way(
    project: Project,
) -> None:
    """A local gh-pages made from the writer's own branch holds the project: the fix offered
    is another branch, never the branch it refuses."""
    git(project.root, "branch", "-q", "gh-pages", "main")
    line = one_error(run_sitegen("deploy", cwd=project.root), "E064")
    assert "`gh-pages` holds your project" in line
    assert "--branch site" in line and "--branch gh-pages" not in line


def test_refuses_a_branch_checked_out_in_another_working_tree(
    project: Project, tmp_path: Path
) -> None:
    assert run_sitegen("deploy", cwd=project.root).returncode == 0
    git(project.root, "worktree", "add", "-q", str(tmp_path / "pages"), "gh-pages")
    run_sitegen("build", "--base-url", BASE_URL, cwd=project.root, check=True)
    line = one_error(run_sitegen("deploy", cwd=project.root), "E064")
    assert "checked out in a working tree" in line
    assert "e.g. --branch site" in line  # not the very branch refused
    assert len(project.remote_commits()) == 1


def test_refuses_to_drop_local_commits_the_remote_lacks(project: Project) -> None:
    assert run_sitegen("deploy", cwd=project.root).returncode == 0
    tip = git(project.root, "rev-parse", "gh-pages")
    mine = git(project.root, "commit-tree", f"{tip}^{{tree}}", "-p", tip, "-m", "Fix by hand")
    git(project.root, "update-ref", "refs/heads/gh-pages", mine)
    config = project.root / "anthology.toml"
    config.write_text(config.read_text("utf-8").replace("Lights Went Out", "Lamps Lit"), "utf-8")
    run_sitegen("build", "--base-url", BASE_URL, cwd=project.root, check=True)
    line = one_error(run_sitegen("deploy", cwd=project.root), "E064")
    assert "has commits the remote's lacks" in line and "git push origin gh-pages" in line
    assert git(project.root, "rev-parse", "gh-pages") == mine
    assert project.remote_commits() == [tip]


def test_refuses_a_site_older_than_its_manuscripts_or_without_its_book(
    project: Project,
) -> None:
    story = project.root / "seeds" / "000_8e09d97cdccea25b.txt"
    with story.open("a", encoding="utf-8") as text:
        text.write("\nNyra slept until noon the next day.\n")
    line = one_error(run_sitegen("deploy", cwd=project.root), "E066")
    assert line.startswith("seeds/000_8e09d97cdccea25b.txt: E066 changed after the site")
    assert "sitegen build" in line
    run_sitegen("build", "--no-epub", "--base-url", BASE_URL, cwd=project.root, check=True)
    line = one_error(run_sitegen("deploy", cwd=project.root), "E066")
    assert "without its EPUB" in line
    assert project.remote_branches() == ["main"]
    run_sitegen("build", "--base-url", BASE_URL, cwd=project.root, check=True)
    assert run_sitegen("deploy", cwd=project.root).returncode == 0
    assert "slept until noon the next day." in git(
        project.remote, "show", "gh-pages:chapters/not-my-problem/index.html"
    )


@pytest.mark.parametrize("change", ["removed", "added with an old date", "edited in the same tick"])
def test_refuses_a_site_built_from_other_manuscripts_than_there_are_now(
    project: Project, change: str
) -> None:
    """No date is newer than the site's when a story is deleted, or copied in with its old
    date kept (`cp -p`, an unpacked archive), or edited, without a change of size, within
    the same tick of the file system's clock as the save before the build (a whole second
    on some; a script that saves, builds, edits and deploys): the site would be the old one."""
    seeds = project.root / "seeds"
    if change == "edited in the same tick":
        story = seeds / "000_8e09d97cdccea25b.txt"
        story.write_bytes(story.read_bytes())  # a save just before the build
        run_sitegen("build", "--base-url", BASE_URL, cwd=project.root, check=True)
        saved = story.stat().st_mtime_ns
        story.write_bytes(story.read_bytes().replace(b" the ", b" THE ", 1))
        os.utime(story, ns=(saved, saved))  # as a clock that has not ticked since leaves it
        expected = "seeds/000_8e09d97cdccea25b.txt: E066 changed after the site"
    elif change == "removed":
        draft = seeds / "009_draft.txt"
        draft.write_text("Ines found the last lamp still lit.\n", "utf-8")
        run_sitegen("build", "--base-url", BASE_URL, cwd=project.root, check=True)
        draft.unlink()
        expected = "seeds/009_draft.txt: E066 was removed since the site"
    else:
        story = seeds / "009_new.txt"
        story.write_text("Ines found the last lamp still lit.\n", "utf-8")
        os.utime(story, ns=(0, 0))
        expected = "seeds/009_new.txt: E066 is new since the site"
    line = one_error(run_sitegen("deploy", cwd=project.root), "E066")
    assert line.startswith(expected), line
    assert project.remote_branches() == ["main"]
    run_sitegen("build", "--base-url", BASE_URL, cwd=project.root, check=True)
    assert run_sitegen("deploy", cwd=project.root).returncode == 0


@pytest.mark.parametrize(
    "record",
    [
        None,  # an older sitegen recorded nothing
        ['"seeds"', '"anthology.toml"', '"seeds/a.txt"'],  # nor sizes and times
        ['"seeds"', '["anthology.toml", 12'],  # cut short, or edited
        ['"seeds"', "[" * 100_000 + "]" * 100_000],  # nested past Python's limit
        ['"seeds\\u0000"'],  # a folder no system can name
        ['"seeds\\ud800"'],  # half a character
        ['"seeds"', '["anthology.toml", "12", 5]'],  # a size that is no number
    ],
)
def test_refuses_a_site_without_a_readable_record_of_what_it_was_built_from(
    project: Project, record: list[str] | None
) -> None:
    """A site that cannot be checked against the project is built again rather than taken
    on trust, and a record that is not one is no traceback."""
    manifest = project.out / ".sitegen-manifest"
    lines = manifest.read_text("utf-8").splitlines()
    site = lines[: lines.index("# read:")]
    manifest.write_text(
        "\n".join([*site, *(["# read:", *record] if record else [])]) + "\n", "utf-8"
    )
    line = one_error(run_sitegen("deploy", cwd=project.root), "E066")
    assert line.startswith("output/.sitegen-manifest: E066 keeps no record sitegen can read")
    assert "run `sitegen build`" in line
    assert project.remote_branches() == ["main"]


def test_a_config_saved_after_the_build_read_it_is_not_taken_as_built(project: Project) -> None:
    """The build reads the config first and records what it read later: a save in between
    (an editor's autosave) must not be recorded as the config the site was built from."""
    config_file = project.root / "anthology.toml"
    config = load_config(None, root=project.root, base_url=BASE_URL)
    config_file.write_text(config_file.read_text("utf-8").replace("Lights", "Lamps"), "utf-8")
    build(config)
    line = one_error(run_sitegen("deploy", cwd=project.root), "E066")
    assert line.startswith("anthology.toml: E066 changed after the site"), line
    assert project.remote_branches() == ["main"]


def test_a_project_moved_elsewhere_deploys_its_site(project: Project, tmp_path: Path) -> None:
    """The record of what a build read is kept relative to the project: moving the whole
    project (with the site it built) leaves the site current."""
    moved = tmp_path / "renamed" / "project"
    moved.parent.mkdir()
    project.root.rename(moved)
    result = run_sitegen("deploy", cwd=moved)
    assert result.returncode == 0, result.stderr
    assert project.remote_files() == blob_ids(moved / "output")


def test_only_the_built_site_is_published_and_the_writers_own_files_are_named(
    project: Project,
) -> None:
    """Files a writer keeps in output/ (which builds keep) are not the site: a note, a copy an
    editor left, a system's file. They stay where they are, and are never pushed."""
    built = blob_ids(project.out)
    (project.out / "private").mkdir()
    (project.out / "private" / "notes.txt").write_text("who dies in part two\n", "utf-8")
    (project.out / "index.html~").write_text("an editor's backup\n", "utf-8")
    (project.out / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    result = run_sitegen("deploy", cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert project.remote_files() == built
    [warning] = result.stderr.splitlines()
    assert warning.startswith("output/private/notes.txt: W063 not published")
    assert "more" not in warning  # the editor's and the system's files are never the writer's
    assert (project.out / "private" / "notes.txt").is_file()


def deployed_and_given_a_domain(project: Project, tmp_path: Path, domain: str) -> None:
    """Deploy, then do what GitHub's Pages settings do for a custom domain: commit a CNAME
    on the branch."""
    assert run_sitegen("deploy", cwd=project.root).returncode == 0
    pages = tmp_path / "pages"
    git(tmp_path, "clone", "-q", "-b", "gh-pages", str(project.remote), str(pages))
    (pages / "CNAME").write_text(f"{domain}\n", "utf-8")
    git(pages, "add", "CNAME")
    git(pages, *IDENTITY, "commit", "-q", "-m", "Create CNAME")
    git(pages, "push", "-q")


def test_a_cname_put_in_the_output_folder_by_hand_does_not_lose_the_custom_domain(
    project: Project, tmp_path: Path
) -> None:
    """The CNAME GitHub's settings committed is kept; one of the writer's own in output/ is
    not the site's (the config's `cname` is how a site carries one), and is left out."""
    deployed_and_given_a_domain(project, tmp_path, "stories.example.org")
    (project.out / "CNAME").write_text("elsewhere.example.org\n", "utf-8")
    result = run_sitegen("deploy", cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert git(project.remote, "show", "gh-pages:CNAME") == "stories.example.org"
    assert "output/CNAME: W063 not published" in result.stderr
    assert "W062 kept the CNAME on `gh-pages` (stories.example.org)" in result.stderr


def test_a_site_built_from_another_source_folder_deploys_and_is_checked_there(
    project: Project,
) -> None:
    """Built with --source: deploy checks the folder the build read, which it recorded, not
    the config's; a manuscript in a folder inside it, which the build does not read, is not
    one the site lacks."""
    drafts = project.root / "drafts"
    shutil.copytree(project.root / "seeds", drafts)
    run_sitegen("build", "--source", "drafts", "--base-url", BASE_URL, cwd=project.root, check=True)
    (project.root / "seeds" / "000_8e09d97cdccea25b.txt").unlink()  # not what was built from
    (drafts / "old").mkdir()
    aside = drafts / "old" / "abandoned.txt"
    aside.write_text("A story that went nowhere.\n", "utf-8")
    os.utime(aside, ns=(0, 0))
    result = run_sitegen("deploy", cwd=project.root)
    assert result.returncode == 0, result.stderr
    run_sitegen("build", "--source", "drafts", "--base-url", BASE_URL, cwd=project.root, check=True)
    (drafts / "001_7e66cc63c124c5cf.txt").unlink()
    line = one_error(run_sitegen("deploy", cwd=project.root), "E066")
    assert line.startswith("drafts/001_7e66cc63c124c5cf.txt: E066 was removed since the site")


def test_a_site_missing_one_of_its_files_is_not_published(project: Project) -> None:
    (project.out / "chapters" / "the-silence" / "index.html").unlink()
    line = one_error(run_sitegen("deploy", cwd=project.root), "E061")
    assert line.startswith("output/chapters/the-silence/index.html: E061 this file of the site")
    assert project.remote_branches() == ["main"]


def test_a_source_folder_named_like_a_folder_of_the_site_deploys_again_and_again(
    project: Project,
) -> None:
    """The site has a chapters/ folder of its own: that is no sign that the branch holds
    the project, whose manuscripts are in a chapters/ folder too."""
    git(project.root, "mv", "seeds", "chapters")
    config = project.root / "anthology.toml"
    config.write_text('source = "chapters"\n' + config.read_text("utf-8"), "utf-8")
    for title in ("Lights Went Out", "Lamps Lit"):
        text = config.read_text("utf-8").replace("Lights Went Out", title)
        config.write_text(text, "utf-8")
        run_sitegen("build", "--base-url", BASE_URL, cwd=project.root, check=True)
        result = run_sitegen("deploy", cwd=project.root)
        assert result.returncode == 0, result.stderr
    assert len(project.remote_commits()) == 2
    # The project's own branch is still refused: it holds the manuscripts.
    git(project.root, "switch", "-q", "-c", "edits")
    line = one_error(run_sitegen("deploy", "--branch", "main", cwd=project.root), "E064")
    assert "`main` holds your project (anthology.toml)" in line


def test_a_local_branch_published_elsewhere_is_not_given_to_another_remote(
    project: Project, tmp_path: Path
) -> None:
    """Moving to a new repository: the old one's publishing history, and the custom domain
    it may carry, must not go along unasked."""
    assert run_sitegen("deploy", cwd=project.root).returncode == 0
    moved = tmp_path / "moved.git"
    git(tmp_path, "init", "-q", "--bare", str(moved))
    git(project.root, "remote", "add", "moved", str(moved))
    line = one_error(run_sitegen("deploy", "--remote", "moved", cwd=project.root), "E064")
    assert "`moved` has no `gh-pages`, but your local `gh-pages` has commits" in line
    assert "git branch -D gh-pages" in line
    assert Project(project.root, moved).remote_branches() == []
    git(project.root, "branch", "-q", "-D", "gh-pages")
    result = run_sitegen("deploy", "--remote", "moved", cwd=project.root)
    assert result.returncode == 0, result.stderr
    assert len(Project(project.root, moved).remote_commits()) == 1


@pytest.mark.parametrize(
    ("branch", "code", "said"),
    [
        ("refs/heads/site", 2, "'refs/heads/site' is a ref: give the branch's own name"),
        ("origin/gh-pages", 1, "E062 `origin/gh-pages` names a branch of the remote `origin`"),
    ],
)
def test_a_branch_named_as_a_ref_or_a_remotes_is_refused(
    project: Project, branch: str, code: int, said: str
) -> None:
    result = run_sitegen("deploy", "--branch", branch, cwd=project.root)
    assert result.returncode == code
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    assert project.remote_branches() == ["main"]
    assert git(project.root, "for-each-ref", "--format=%(refname)", "refs/heads") == (
        "refs/heads/main"
    )


def test_a_local_branch_that_cannot_be_moved_is_a_warning_once_published(
    project: Project,
) -> None:
    lock = project.root / ".git" / "refs" / "heads" / "gh-pages.lock"
    lock.write_text("", "utf-8")
    result = run_sitegen("deploy", cwd=project.root)
    assert result.returncode == 0, result.stderr
    [warning] = result.stderr.splitlines()
    assert "W064 the site was published, but your local `gh-pages` could not be moved" in warning
    assert "git fetch origin gh-pages:gh-pages" in warning
    assert result.stdout.startswith("Published ")
    assert len(project.remote_commits()) == 1


def test_a_site_built_for_another_address_than_its_pages_is_deployed_with_a_warning(
    project: Project, tmp_path: Path
) -> None:
    """A project site (github.com/ann/novel) built for the user site's root: its 404 page,
    canonical address, feed and sitemap would all point at another site. The remote is a
    GitHub address, reached through a stand-in for ssh that serves a bare repository here."""
    github = tmp_path / "github"
    (github / "ann").mkdir(parents=True)
    git(tmp_path, "clone", "-q", "--bare", str(project.remote), str(github / "ann" / "novel.git"))
    ssh = tmp_path / "ssh"
    ssh.write_text(f'#!/bin/sh\nfor last; do :; done\ncd "{github}" && exec sh -c "$last"\n')
    ssh.chmod(0o755)
    git(project.root, "remote", "set-url", "origin", "git@github.com:ann/novel.git")
    through = {"GIT_SSH_COMMAND": str(ssh)}
    run_sitegen("build", "--base-url", "https://ann.github.io/", cwd=project.root, check=True)
    result = run_sitegen("deploy", cwd=project.root, env=through)
    assert result.returncode == 0, result.stderr
    [warning] = result.stderr.splitlines()
    assert (
        "W065 this site was built for https://ann.github.io/, but GitHub Pages serves it at "
        "https://ann.github.io/novel/" in warning
    )
    assert "--base-url https://ann.github.io/novel/" in warning
    for right in ("https://ann.github.io/novel/", "https://example.com/novel/"):
        # github.io's own address, or the user's custom domain, which github.io leads to
        run_sitegen("build", "--base-url", right, cwd=project.root, check=True)
        again = run_sitegen("deploy", cwd=project.root, env=through)
        assert again.returncode == 0 and again.stderr == "", again.stderr
    assert len(Project(project.root, github / "ann" / "novel.git").remote_commits()) == 3
    run_sitegen("build", "--base-url", "https://example.com/", cwd=project.root, check=True)
    wrong = run_sitegen("deploy", cwd=project.root, env=through)
    assert "W065 this site was built for https://example.com/, but" in wrong.stderr


def test_the_cname_github_committed_for_a_custom_domain_is_kept(
    project: Project, tmp_path: Path
) -> None:
    deployed_and_given_a_domain(project, tmp_path, "stories.example.org")
    config = project.root / "anthology.toml"
    config.write_text(config.read_text("utf-8").replace("Lights Went Out", "Lamps Lit"), "utf-8")
    run_sitegen("build", "--base-url", BASE_URL, cwd=project.root, check=True)
    result = run_sitegen("deploy", cwd=project.root)
    assert result.returncode == 0, result.stderr
    kept, elsewhere = result.stderr.splitlines()
    assert "W062 kept the CNAME on `gh-pages` (stories.example.org)" in kept
    assert 'cname = "stories.example.org"' in kept
    # Built for the github.io address, served at the domain: the advice is the domain's.
    assert f"W065 this site was built for {BASE_URL}, but GitHub Pages serves it at " in elsewhere
    assert "--base-url https://stories.example.org/" in elsewhere
    assert git(project.remote, "show", "gh-pages:CNAME") == "stories.example.org"
    assert len(project.remote_commits()) == 3


def test_a_refused_push_says_what_the_remote_said_and_moves_no_branch(project: Project) -> None:
    hook = project.remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'Permission to ann/stories denied to bo.' >&2\nexit 1\n")
    hook.chmod(0o755)
    line = one_error(run_sitegen("deploy", cwd=project.root), "E063")
    assert "remote: Permission to ann/stories denied to bo" in line
    assert git(project.root, "branch", "--list", "gh-pages") == ""


def test_a_site_built_without_its_address_is_deployed_with_a_warning(project: Project) -> None:
    run_sitegen("build", "--base-url", "/", cwd=project.root, check=True)
    result = run_sitegen("deploy", cwd=project.root)
    assert result.returncode == 0
    [warning] = result.stderr.splitlines()
    assert "W060" in warning and "--base-url" in warning
    assert project.remote_files() == blob_ids(project.out)


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:ann/stories.git", "https://ann.github.io/stories/"),
        ("https://github.com/Ann/stories", "https://ann.github.io/stories/"),
        ("https://token@github.com/ann/stories.git", "https://ann.github.io/stories/"),
        ("ssh://git@github.com/ann/ann.github.io.git", "https://ann.github.io/"),
        ("/srv/git/stories.git", None),
        ("https://gitlab.com/ann/stories.git", None),
    ],
)
def test_pages_address_guessed_from_the_remote(remote: str, url: str | None) -> None:
    assert pages_url(remote) == url
