"""`sitegen new DIR`: a new anthology that builds, passes the Pages crawl, lints, and deploys."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import run_sitegen
from test_pages import WORKFLOW, assert_clean, crawl, serve_site

from sitegen.scaffold import PLACEHOLDER_PACKAGE, install_requirement, installed_direct_url

PROJECT_FILES = {
    "anthology.toml",
    "README.md",
    ".gitignore",
    "seeds/01_the_lamplighter.txt",
    ".github/workflows/pages.yml",
}
BASE_URL = "https://example.github.io/night-stories/"


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def new_project(tmp_path: Path) -> Path:
    result = run_sitegen(
        "new",
        "night-stories",
        "--package",
        "sitegen==0.1.0",
        "--author",
        "Ann Writer",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "cd night-stories && sitegen build" in result.stdout
    return tmp_path / "night-stories"


def test_new_writes_a_config_a_story_a_readme_and_the_workflow(new_project: Path) -> None:
    assert files_in(new_project) == PROJECT_FILES
    config = tomllib.loads((new_project / "anthology.toml").read_text("utf-8"))
    assert (config["title"], config["author"]) == ("Night Stories", "Ann Writer")
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", config["identifier"])
    assert config["chapters"] == [{"file": "01_the_lamplighter.txt"}]
    assert (new_project / "README.md").read_text("utf-8").startswith("# Night Stories\n")
    assert "/output/" in (new_project / ".gitignore").read_text("utf-8").splitlines()


def test_the_workflow_is_sitegens_own_with_only_the_install_source_changed(
    new_project: Path,
) -> None:
    ours = WORKFLOW.read_text("utf-8").splitlines()
    theirs = (new_project / ".github/workflows/pages.yml").read_text("utf-8").splitlines()
    changed = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
    assert changed == [('  SITEGEN_PACKAGE: "."', '  SITEGEN_PACKAGE: "sitegen==0.1.0"')]
    workflow = yaml.safe_load("\n".join(theirs))
    assert workflow["env"]["SITEGEN_PACKAGE"] == "sitegen==0.1.0"


def test_new_project_builds_and_passes_the_pages_crawl(new_project: Path) -> None:
    built = run_sitegen("build", "--base-url", BASE_URL, cwd=new_project)
    assert built.returncode == 0, built.stderr
    assert built.stderr == "", "a new project should build without a single warning"
    site = new_project / "output"
    with serve_site(site, "/night-stories/") as served:
        result = crawl(served, BASE_URL)
    assert_clean(result, site)
    assert "chapters/the-lamplighter/" in result.paths()
    home = result.fetched[served][2].decode("utf-8")
    assert "The Lamplighter" in home and "Night Stories" in home


def test_a_new_project_without_an_author_is_asked_for_one_by_its_first_build(
    tmp_path: Path,
) -> None:
    assert run_sitegen("new", "untitled", "--package", "sitegen", cwd=tmp_path).returncode == 0
    built = run_sitegen("build", cwd=tmp_path / "untitled")
    assert built.returncode == 0, built.stderr
    assert built.stderr.startswith("anthology.toml:4: W002 the anthology has no author or editor")
    assert len(built.stderr.splitlines()) == 1


def test_new_projects_workflow_passes_actionlint(new_project: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=new_project, check=True)
    linted = subprocess.run(
        ["actionlint"], cwd=new_project, capture_output=True, text=True, check=False
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_new_project_deploys_unchanged(new_project: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    for command in (
        ["init", "-q", "-b", "main"],
        ["config", "user.name", "Ann Editor"],
        ["config", "user.email", "ann@example.org"],
        ["add", "."],
        ["commit", "-q", "-m", "A new anthology"],
        ["remote", "add", "origin", str(remote)],
    ):
        subprocess.run(["git", *command], cwd=new_project, check=True)
    assert (
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=new_project, capture_output=True, text=True
        ).stdout
        == ""
    )
    run_sitegen("build", "--base-url", BASE_URL, cwd=new_project, check=True)
    assert run_sitegen("deploy", cwd=new_project).returncode == 0
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=new_project, capture_output=True, text=True
    )
    assert status.stdout == "", "output/ must be ignored by the new project's .gitignore"
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "gh-pages"],
        cwd=remote,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert {"index.html", "404.html", "feed.xml", ".nojekyll"} <= set(listing)


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "draft.txt").write_text("my only copy\n", "utf-8")
    result = run_sitegen("new", "mine", cwd=tmp_path)
    assert result.returncode == 1
    assert ": E065 " in result.stderr.splitlines()[0]
    assert files_in(tmp_path / "mine") == {"draft.txt"}
    assert (tmp_path / "mine" / "draft.txt").read_text("utf-8") == "my only copy\n"


def test_new_accepts_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert run_sitegen("new", "empty", "--package", "x", cwd=tmp_path).returncode == 0
    assert files_in(tmp_path / "empty") == PROJECT_FILES


def test_the_next_step_it_prints_can_be_pasted_into_a_shell(tmp_path: Path) -> None:
    result = run_sitegen("new", "night stories", "--package", "x", cwd=tmp_path)
    assert result.stdout.rstrip().endswith("Next: cd 'night stories' && sitegen build")


def test_new_writes_into_a_fresh_repository_keeping_its_readme_and_ignores(
    tmp_path: Path,
) -> None:
    """A repository made on GitHub and cloned holds .git, a README, a licence and a
    .gitignore: `sitegen new .` writes beside them, keeps the README and the licence as they
    are, and adds to .gitignore only the lines it lacks."""
    repo = tmp_path / "stories"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "README.md").write_text("# My stories\n", "utf-8")
    (repo / "LICENSE").write_text("All rights reserved.\n", "utf-8")
    # Written on another system: Latin-1, which the writer's tools read as such.
    (repo / ".gitignore").write_bytes("# brouillons\xa0: *.swp\n*.swp\n/output/".encode("latin-1"))
    result = run_sitegen("new", ".", "--package", "x", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("Next: sitegen build")  # already there: no `cd .`
    assert (repo / "README.md").read_text("utf-8") == "# My stories\n"
    assert (repo / "LICENSE").read_text("utf-8") == "All rights reserved.\n"
    ignored = (repo / ".gitignore").read_text("latin-1").splitlines()
    assert ignored[:3] == ["# brouillons\xa0: *.swp", "*.swp", "/output/"]  # its bytes as they were
    assert ignored.count("/output/") == 1 and "/.output.*" in ignored
    assert files_in(repo) >= PROJECT_FILES
    assert run_sitegen("build", "-q", cwd=repo).returncode == 0
    assert (repo / "output" / "index.html").is_file()


@pytest.mark.parametrize(
    ("folder", "title"),
    [
        ("night-stories", "Night Stories"),
        ("NYC_tales", "NYC Tales"),
        ("grandma's-stories", "Grandma's Stories"),
        ("McGregor-stories", "McGregor Stories"),
        ("'til-dawn", "'Til Dawn"),
    ],
)
def test_a_new_anthology_is_titled_from_its_folder_as_written(
    tmp_path: Path, folder: str, title: str
) -> None:
    assert run_sitegen("new", folder, "--package", "x", cwd=tmp_path).returncode == 0
    config = tomllib.loads((tmp_path / folder / "anthology.toml").read_text("utf-8"))
    assert config["title"] == title


def test_new_that_fails_half_way_leaves_nothing_and_can_run_again(tmp_path: Path) -> None:
    """A `.github` that is a file stops the workflow being written: what was written before
    it goes again (never the writer's own files), so that once it is moved, `new` runs."""
    repo = tmp_path / "stories"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("*.swp\n", "utf-8")
    (repo / ".github").write_text("not a folder\n", "utf-8")
    result = run_sitegen("new", ".", "--package", "x", cwd=repo)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    outside_git = {path for path in files_in(repo) if not path.startswith(".git/")}
    assert outside_git == {".gitignore", ".github"}
    assert (repo / ".gitignore").read_text("utf-8") == "*.swp\n"
    (repo / ".github").unlink()
    again = run_sitegen("new", ".", "--package", "x", cwd=repo)
    assert again.returncode == 0, again.stderr
    assert files_in(repo) >= PROJECT_FILES


def test_new_refuses_a_repository_with_its_own_pages_workflow(tmp_path: Path) -> None:
    workflow = tmp_path / "stories" / ".github" / "workflows" / "pages.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: mine\n", "utf-8")
    result = run_sitegen("new", "stories", cwd=tmp_path)
    assert result.returncode == 1
    assert "E065 already holds .github/workflows/pages.yml" in result.stderr
    assert files_in(tmp_path / "stories") == {".github/workflows/pages.yml"}
    assert workflow.read_text("utf-8") == "name: mine\n"


def test_new_without_package_uses_where_this_sitegen_came_from(tmp_path: Path) -> None:
    """An editable or local install cannot be reached from GitHub's runners: the workflow
    then gets a placeholder, and the writer is told to set it."""
    result = run_sitegen("new", "mine", cwd=tmp_path)
    assert result.returncode == 0
    workflow = yaml.safe_load((tmp_path / "mine/.github/workflows/pages.yml").read_text("utf-8"))
    known = install_requirement(installed_direct_url())
    assert workflow["env"]["SITEGEN_PACKAGE"] == (known or PLACEHOLDER_PACKAGE)
    warned = [line for line in result.stderr.splitlines() if " W061 " in line]
    assert len(warned) == (0 if known else 1)


@pytest.mark.parametrize(
    ("direct_url", "requirement"),
    [
        (
            {
                "url": "https://github.com/ann/sitegen.git",
                "vcs_info": {"vcs": "git", "commit_id": "0123abcd", "requested_revision": "v1"},
            },
            "sitegen @ git+https://github.com/ann/sitegen.git@0123abcd",
        ),
        (
            {"url": "https://example.org/sitegen-0.1.0-py3-none-any.whl", "archive_info": {}},
            "sitegen @ https://example.org/sitegen-0.1.0-py3-none-any.whl",
        ),
        ({"url": "file:///work/sitegen", "dir_info": {"editable": True}}, None),
        ({"url": "file:///tmp/sitegen-0.1.0-py3-none-any.whl", "archive_info": {}}, None),
        (None, None),
    ],
)
def test_install_requirement_from_pep_610(
    direct_url: dict[str, object] | None, requirement: str | None
) -> None:
    assert install_requirement(direct_url) == requirement
