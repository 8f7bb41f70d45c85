"""`sitegen deploy`: publish the built site as the whole tree of a branch, and push it.

Only git plumbing is used: a throwaway index (`GIT_INDEX_FILE`) whose work tree is the output
folder, `write-tree`, `commit-tree`, `update-ref` and `push`. The user's working tree, index,
HEAD and current branch are never read or changed, so a deploy can run in the middle of any
edit. The branch's previous tip (on the remote if it has one) is the new commit's parent, so
every deploy is one fast-forward commit and the history shows what was published when.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostic, SitegenError, error, warning
from .writer import MANIFEST

NOJEKYLL = ".nojekyll"


@dataclass(frozen=True)
class DeployResult:
    """What a deploy published, and where."""

    remote: str
    branch: str
    commit: str  # the branch's tip after the deploy
    files: int  # files in the published tree
    pushed: bool  # False when the remote branch already held exactly this site


class _GitFailed(Exception):
    def __init__(self, command: str, detail: str) -> None:
        super().__init__(f"git {command}: {detail}")
        self.command = command
        self.detail = detail


@dataclass(frozen=True)
class _Git:
    """Runs git against one repository; `index` points it at a private index file."""

    cwd: Path
    index: Path | None = None

    def __call__(self, *args: str, stdin: bytes = b"") -> str:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        if self.index is not None:
            env["GIT_INDEX_FILE"] = str(self.index)
        try:
            done = subprocess.run(
                ["git", *args], cwd=self.cwd, env=env, input=stdin, capture_output=True, check=False
            )
        except FileNotFoundError:
            raise _GitFailed(args[0], "git is not installed") from None
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise _GitFailed(args[0], lines[-1] if lines else f"exit status {done.returncode}")
        return done.stdout.decode("utf-8", "replace").strip()

    def maybe(self, *args: str) -> str | None:
        try:
            return self(*args) or None
        except _GitFailed:
            return None


def deploy(
    project: Path,
    site: Path,
    *,
    remote: str = "origin",
    branch: str = "gh-pages",
    message: str | None = None,
) -> tuple[DeployResult, list[Diagnostic]]:
    """Commit `site` as the whole tree of `branch` in the repository around `project`, and push
    it to `remote`. Raises SitegenError, with nothing changed, when that cannot be done."""
    git = _Git(project)
    git_dir = _repository(git, project)
    _check_built(site)
    _check_remote(git, project, remote)
    ref = f"refs/heads/{branch}"
    _check_branch(git, project, branch, ref)
    try:
        remote_tip = _remote_tip(git, remote, ref)
        local_tip = git.maybe("rev-parse", "--verify", "--quiet", ref + "^{commit}")
        tree, files = _site_tree(git_dir, site)
        parent = remote_tip or local_tip
        if remote_tip and git("rev-parse", remote_tip + "^{tree}") == tree:
            return DeployResult(remote, branch, remote_tip, files, pushed=False), []
        if parent and git("rev-parse", parent + "^{tree}") == tree:
            commit = parent
        else:
            text = message or _default_message(git, files)
            parents = ["-p", parent] if parent else []
            commit = git("commit-tree", tree, *parents, stdin=text.encode("utf-8"))
        if commit != local_tip:
            git("update-ref", "-m", "sitegen deploy", ref, commit, local_tip or "")
        git("push", "--quiet", remote, f"{ref}:{ref}")
    except _GitFailed as failed:
        raise SitegenError([_git_error(project, failed, remote, branch)]) from None
    return DeployResult(remote, branch, commit, files, pushed=True), _warnings(git, site, remote)


def _repository(git: _Git, project: Path) -> str:
    try:
        return git("rev-parse", "--absolute-git-dir")
    except _GitFailed as failed:
        hint = (
            "install git"
            if "not installed" in failed.detail
            else "run `git init` and commit the project, then add a remote for GitHub"
        )
        raise SitegenError(
            [error("E060", project, None, "this folder is not in a git repository", hint)]
        ) from None


def _check_built(site: Path) -> None:
    if not (site / "index.html").is_file():
        raise SitegenError(
            [
                error(
                    "E061",
                    site,
                    None,
                    "nothing built to deploy",
                    "run `sitegen build` first (with --base-url for where the site will live)",
                )
            ]
        )


def _check_remote(git: _Git, project: Path, remote: str) -> None:
    if git.maybe("remote", "get-url", remote):
        return
    known = (git.maybe("remote") or "").split()
    hint = (
        f"the remotes here are {', '.join(known)}: choose one with --remote"
        if known
        else f"add one with `git remote add {remote} URL`, e.g. your GitHub repository's URL"
    )
    raise SitegenError([error("E062", project, None, f"no git remote named `{remote}`", hint)])


def _check_branch(git: _Git, project: Path, branch: str, ref: str) -> None:
    if not _valid_ref(git, ref):
        raise SitegenError(
            [
                error(
                    "E064",
                    project,
                    None,
                    f"`{branch}` is not a valid branch name",
                    "use letters, digits, `-` and `/`, e.g. --branch gh-pages",
                )
            ]
        )
    if git.maybe("symbolic-ref", "--quiet", "HEAD") == ref:
        raise SitegenError(
            [
                error(
                    "E064",
                    project,
                    None,
                    f"`{branch}` is the branch checked out here; deploying would replace your work",
                    "deploy to a branch of its own, e.g. --branch gh-pages",
                )
            ]
        )


def _valid_ref(git: _Git, ref: str) -> bool:
    try:
        git("check-ref-format", ref)
    except _GitFailed:
        return False
    return True


def _remote_tip(git: _Git, remote: str, ref: str) -> str | None:
    """The branch's commit on the remote, fetched so it can be the new commit's parent."""
    listed = (line.split() for line in git("ls-remote", remote, ref).splitlines())
    tip = next((fields[0] for fields in listed if fields[1:] == [ref]), None)
    if tip:
        git("fetch", "--quiet", "--no-tags", remote, ref)
    return tip


def _site_tree(git_dir: str, site: Path) -> tuple[str, int]:
    """Write the output folder into the object database as one tree; return (tree, file count).

    The writer's manifest is its bookkeeping, not part of the site; `.nojekyll` is always
    there so that GitHub Pages serves the files as they are instead of running Jekyll.
    """
    with tempfile.TemporaryDirectory(prefix="sitegen-deploy-") as scratch:
        git = _Git(site, Path(scratch) / "index")
        where = ["--git-dir", git_dir, "--work-tree", str(site)]
        git(*where, "add", "--all", "--force", "--", ".")
        git(*where, "rm", "--cached", "--quiet", "--ignore-unmatch", "--", MANIFEST)
        empty = git(*where, "hash-object", "-w", "--stdin")
        git(*where, "update-index", "--add", "--cacheinfo", f"100644,{empty},{NOJEKYLL}")
        files = len(git(*where, "ls-files", "--cached").splitlines())
        return git(*where, "write-tree"), files


def _default_message(git: _Git, files: int) -> str:
    source = git.maybe("rev-parse", "--short", "HEAD")
    origin = f" from {source}" if source else ""
    return f"Publish the site{origin} ({files} files)\n\nDeployed by `sitegen deploy`.\n"


def _git_error(project: Path, failed: _GitFailed, remote: str, branch: str) -> Diagnostic:
    hints = {
        "push": f"fix access to `{remote}`, then run `sitegen deploy` again "
        f"(or `git push {remote} {branch}`)",
        "ls-remote": f"check that `{remote}` is reachable and that you may read it",
        "fetch": f"check that `{remote}` is reachable and that you may read it",
        "commit-tree": "tell git who you are: git config user.name NAME; "
        "git config user.email EMAIL",
    }
    return error(
        "E063",
        project,
        None,
        f"git {failed.command} failed: {failed.detail}",
        hints.get(failed.command, "nothing was published"),
    )


def pages_url(remote_url: str) -> str | None:
    """Where GitHub Pages serves a repository: git@github.com:ann/stories.git ->
    https://ann.github.io/stories/; a `<user>.github.io` repository is served at the root."""
    match = re.match(
        r"^(?:https?://(?:[^@/]+@)?|ssh://git@|git@)github\.com[:/]([^/]+)/([^/]+?)(?:\.git)?/?$",
        remote_url.strip(),
    )
    if not match:
        return None
    owner, repository = match.group(1), match.group(2)
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if repository.lower() == host else f"https://{host}/{repository}/"


def _warnings(git: _Git, site: Path, remote: str) -> list[Diagnostic]:
    """A site built without its full address is missing its feed and sitemap, and its 404 page
    links from the domain's root, which is wrong under a project's sub-path."""
    if (site / "sitemap.xml").is_file():
        return []
    cname = site / "CNAME"
    guess = (
        f"https://{cname.read_text('utf-8').strip()}/"
        if cname.is_file()
        else pages_url(git.maybe("remote", "get-url", remote) or "")
    )
    return [
        warning(
            "W060",
            site,
            None,
            "this site was built without its full address: it has no feed or sitemap, "
            "and its 404 page links from the domain's root",
            f"rebuild with `sitegen build --base-url {guess or 'https://USER.github.io/REPO/'}` "
            "(or set base_url in anthology.toml) and deploy again",
        )
    ]
