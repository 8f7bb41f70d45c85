"""`sitegen deploy`: publish the built site as the whole tree of a branch, and push it.

Only git plumbing is used: a throwaway index (`GIT_INDEX_FILE`) whose work tree is the output
folder, `write-tree`, `commit-tree`, `update-ref` and `push`. The user's working tree, index,
HEAD and current branch are never read or changed, so a deploy can run in the middle of any
edit. The branch's previous tip (on the remote if it has one) is the new commit's parent, so
every deploy is one fast-forward commit and the history shows what was published when.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .config import CONFIG_NAME, Config, is_writers
from .errors import Diagnostic, SitegenError, error, warning
from .sources import (
    build_inputs,
    from_project,
    is_manuscript,
    list_manuscripts,
    manuscript_order,
)
from .stamps import differs
from .writer import MANIFEST, read_manifest

NOJEKYLL = ".nojekyll"
CNAME = "CNAME"
DEFAULT_BRANCH = "gh-pages"  # where GitHub Pages looks first


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
            said = _what_git_said(done.stderr.decode("utf-8", "replace"))
            raise _GitFailed(args[0], said or f"exit status {done.returncode}")
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
    branch: str = DEFAULT_BRANCH,
    message: str | None = None,
    own: tuple[Path, ...] = (),
) -> tuple[DeployResult, list[Diagnostic]]:
    """Commit `site` as the whole tree of `branch` in the repository around `project`, and push
    it to `remote`. `own` are the project's own files and folders (its config, manuscripts): a
    branch that holds one of them is the writer's work, never replaced by the site. Raises
    SitegenError, with nothing changed, when that cannot be done."""
    git = _Git(project)
    git_dir = _repository(git, project)
    files = _built_files(site)
    _check_remote(git, project, remote, branch)
    ref = f"refs/heads/{branch}"
    _check_branch(git, project, branch, ref)
    found: list[Diagnostic] = []
    try:
        remote_tip = _remote_tip(git, remote, ref)
        local_tip = git.maybe("rev-parse", "--verify", "--quiet", ref + "^{commit}")
        _check_tips(git, project, remote, branch, (remote_tip, local_tip), own)
        parent = remote_tip or local_tip
        cname = _cname_to_keep(git, parent, files)
        tree, count = _site_tree(git_dir, site, files, cname)
        found += _left_out(site, files)
        kept = git("cat-file", "blob", cname).strip() if cname else None
        if kept:
            found.append(_kept_cname(project, kept, branch))
        if remote_tip and git("rev-parse", remote_tip + "^{tree}") == tree:
            return DeployResult(remote, branch, remote_tip, count, pushed=False), found
        if parent and git("rev-parse", parent + "^{tree}") == tree:
            commit = parent
        else:
            text = message or _default_message(git, count)
            parents = ["-p", parent] if parent else []
            commit = git("commit-tree", tree, *parents, stdin=text.encode("utf-8"))
        # Pushed first, so a refused push leaves the local branch as it was.
        git("push", "--quiet", remote, f"{commit}:{ref}")
    except _GitFailed as failed:
        raise SitegenError([_git_error(project, failed, remote)]) from None
    if commit != local_tip:
        try:
            git("update-ref", "-m", "sitegen deploy", ref, commit, local_tip or "")
        except _GitFailed as failed:  # published all the same: a warning, not an error
            found.append(_left_behind(project, failed, remote, branch))
    found += _warnings(git, site, files, remote, kept)
    return DeployResult(remote, branch, commit, count, pushed=True), found


def _what_git_said(stderr: str) -> str:
    """The lines of git's complaint that say what went wrong (`fatal:`, `error:`, the
    remote's own words, a refused ref), without the advice around them."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    telling = [
        line.removeprefix("fatal: ").removeprefix("error: ").rstrip(".")
        for line in lines
        if line.startswith(("fatal:", "error:", "remote:", "! "))
    ]
    return ". ".join(telling[:4] or lines[-1:])


def check_current(config: Config) -> None:
    """Refuse a site built from other files than the project holds now (a manuscript edited,
    removed or added since, even one added with an old date, as a copy or an unpacked archive
    keeps it), or without the book the config makes (built with --no-epub, or by `serve
    --out`): deploying it would put the old anthology online and say that all went well."""
    site = config.out_dir
    manifest = read_manifest(site)
    if manifest is None:
        _check_project(config)
        return  # nothing built: `deploy` says so (E061)
    try:
        source_dir, then = _read_record(config.root, manifest.read or ())
    except ValueError:
        problem = "keeps no record sitegen can read of what the site was built from"
        raise SitegenError([_stale(site / MANIFEST, problem)]) from None
    config = replace(config, source_dir=source_dir)  # `--source` may have named another
    listed = (path for path, _ in manuscript_order(config)[0])
    now = {from_project(config, path): path for path in build_inputs(config, listed)}
    gone_or_new = then.keys() ^ now.keys()
    changed = (p for p in then.keys() & now.keys() if differs(now[p], then[p]))
    first = min([*gone_or_new, *changed], default=None)
    if first is not None:
        if first not in then:
            how = "is new since"
        elif first not in now:
            how = "was removed since"
        else:
            how = "changed after"
        what = f"{how} the site in {site.name}/ was built"
        raise SitegenError([_stale(config.root / first, what)])
    if config.epub and not any(site.glob("*.epub")):
        raise SitegenError(
            [
                error(
                    "E066",
                    site,
                    None,
                    "the site was built without its EPUB (with --no-epub, or by serve), so "
                    "readers would get no book to download",
                    "run `sitegen build`, then deploy again",
                )
            ]
        )


def _check_project(config: Config) -> None:
    """Refuse, with where to go instead, a folder that is no anthology's: no config, no
    manuscripts, nothing built (deploy run in seeds/, say)."""
    if config.path is None and not (
        config.source_dir.is_dir() and list_manuscripts(config.source_dir)
    ):
        problem = f"nothing built to deploy, and no {CONFIG_NAME} or manuscripts in this folder"
        hint = f"run sitegen in your project's folder, where {CONFIG_NAME} is"
        raise SitegenError([error("E061", config.root, None, problem, hint)])


def _read_record(root: Path, lines: tuple[str, ...]) -> tuple[Path, dict[str, list[Any]]]:
    """A build's record of what it read (see `sources.inputs_record`): the source folder, and
    what was recorded of each file, by its path. Raises ValueError where there is none to
    read: an older sitegen wrote the manifest, or someone edited it."""
    try:
        source, *files = map(json.loads, lines)
    except RecursionError:  # brackets nested deeper than Python's limit
        raise ValueError("not a record") from None
    if not isinstance(source, str) or not all(map(_is_entry, files)):
        raise ValueError("not a record")
    return (root / source).resolve(), {path: status for path, *status in files}


def _is_entry(entry: object) -> bool:
    """Whether `entry` is a file's in a record: [path, size, time] or [path, size, time,
    digest], where nothing could be had of a missing file but its path."""
    return (
        isinstance(entry, list)
        and len(entry) in (3, 4)
        and isinstance(entry[0], str)
        and all(isinstance(value, int | None) for value in entry[1:3])
        and all(isinstance(value, str | None) for value in entry[3:])
    )


def _stale(path: Path, what: str) -> Diagnostic:
    return error(
        "E066",
        path,
        None,
        f"{what}; deploying would publish the site as it was",
        "run `sitegen build`, then deploy again",
    )


def _repository(git: _Git, project: Path) -> str:
    try:
        return git("rev-parse", "--absolute-git-dir")
    except _GitFailed as failed:
        problem, hint = (
            ("git is not installed", "install git (https://git-scm.com), then deploy again")
            if "not installed" in failed.detail
            else (
                "this folder is not in a git repository",
                "run `git init` and commit the project, then add a remote for GitHub",
            )
        )
        raise SitegenError([error("E060", project, None, problem, hint)]) from None


def _built_files(site: Path) -> list[str]:
    """The files of the site sitegen built in `site`, as its manifest lists them. Refuses a
    folder sitegen did not build (published, whatever it holds would replace the live site),
    and one missing a file of the site."""
    manifest = read_manifest(site)
    hint = "run `sitegen build` first (with --base-url for where the site will live)"
    if manifest is None or not (site / "index.html").is_file():
        problem = (
            "nothing built to deploy"
            if not (site / "index.html").is_file()
            else "this folder was not built by sitegen, and would replace the site with what "
            "it holds"
        )
        raise SitegenError([error("E061", site, None, problem, hint)])
    files = sorted(manifest.written)
    missing = next((path for path in files if not (site / path).is_file()), None)
    if missing is not None:
        problem = "this file of the site is missing, so the site would go online without it"
        raise SitegenError([error("E061", site / missing, None, problem, hint)])
    return files


def _left_out(site: Path, files: list[str]) -> list[Diagnostic]:
    """Files in the output folder that sitegen did not make (kept there, as the writer put
    them): not published, and named, so that nothing private goes online unasked."""
    published = {*files, MANIFEST}
    others = sorted(
        relative
        for inside, _, names in os.walk(site)
        for name in names
        if (relative := os.path.relpath(os.path.join(inside, name), site)) not in published
        and is_writers(Path(relative))
    )
    if not others:
        return []
    more = f" and {len(others) - 1} more" if len(others) > 1 else ""
    return [
        warning(
            "W063",
            site / others[0],
            None,
            f"not published{more}: sitegen did not make it, and publishes only the site it built",
            "keep files of your own outside the output folder; a CNAME for a custom domain is "
            "set with cname in anthology.toml",
        )
    ]


def _check_remote(git: _Git, project: Path, remote: str, branch: str) -> None:
    known = (git.maybe("remote") or "").split()
    named, slash, own = branch.partition("/")
    if slash and named in known:  # "origin/gh-pages": git would make an ambiguous branch
        raise SitegenError(
            [
                error(
                    "E062",
                    project,
                    None,
                    f"`{branch}` names a branch of the remote `{named}`",
                    f"give the branch's own name, e.g. --branch {own}",
                )
            ]
        )
    if git.maybe("remote", "get-url", remote):
        return
    hint = (
        f"the remotes here are {', '.join(known)}: choose one with --remote"
        if known
        else f"add one with `git remote add {remote} URL`, e.g. your GitHub repository's URL"
    )
    raise SitegenError([error("E062", project, None, f"no git remote named `{remote}`", hint)])


_NEVER_IN_REFS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{")


def is_branch_name(name: str) -> bool:
    """Whether `name` can name a branch: git's rules for a ref (`git check-ref-format`), and
    not "HEAD", "@" or a leading "-", which git refuses for a branch. Checked without git, so
    that a mistyped `--branch` is a usage error, told before anything else is looked at."""
    return (
        name not in ("@", "HEAD")
        and not name.startswith("-")
        and not name.endswith(".")
        and not _NEVER_IN_REFS.search(name)
        and all(
            part and not part.startswith(".") and not part.endswith(".lock")
            for part in name.split("/")
        )
    )


def _check_branch(git: _Git, project: Path, branch: str, ref: str) -> None:
    worktrees = (git.maybe("worktree", "list", "--porcelain") or "").splitlines()
    if f"branch {ref}" in worktrees:
        raise SitegenError(
            [
                error(
                    "E064",
                    project,
                    None,
                    f"`{branch}` is checked out in a working tree of this repository; "
                    "deploying would replace the work there",
                    f"deploy to a branch of its own, e.g. --branch {_another_than(branch)}",
                )
            ]
        )


def _check_tips(
    git: _Git,
    project: Path,
    remote: str,
    branch: str,
    tips: tuple[str | None, str | None],
    own: tuple[Path, ...],
) -> None:
    """Refuse a branch that holds the writer's project (its config or manuscripts: `main`,
    say, when GitHub Pages is set to publish from it), and a local branch with commits the
    remote's lacks, which a deploy on top of the remote's tip would drop. `tips` are the
    branch's commits on the remote and here, where it has them."""
    remote_tip, local_tip = tips
    top = Path(git("rev-parse", "--show-toplevel")).resolve()
    places = [path.resolve() for path in own]
    # Not the repository's top: manuscripts kept there (`source = "."`) name no file of theirs.
    names = [p.relative_to(top).as_posix() for p in places if p.is_relative_to(top) and p != top]
    for tip in filter(None, tips):
        # The config itself, or a manuscript in the source folder: a site has folders of any
        # name (a source folder named `chapters` is no sign), but never a manuscript.
        listed = git("ls-tree", "-r", "--name-only", tip, "--", *names) if names else ""
        held = [n for n in listed.splitlines() if n in names or is_manuscript(Path(n))]
        if held:
            raise SitegenError(
                [
                    error(
                        "E064",
                        project,
                        None,
                        f"`{branch}` holds your project ({held[0]}); deploying "
                        "would replace it with the site",
                        f"deploy to a branch of its own, e.g. --branch {_another_than(branch)}"
                        ", and set GitHub Pages to publish from it",
                    )
                ]
            )
    if local_tip and not remote_tip:
        # Published elsewhere (another remote), or the remote's branch was deleted: its history,
        # and the custom domain it may carry, are not this remote's to take.
        raise SitegenError(
            [
                error(
                    "E064",
                    project,
                    None,
                    f"`{remote}` has no `{branch}`, but your local `{branch}` has commits; "
                    f"deploying would give `{remote}` their history",
                    f"delete the local branch to start `{remote}`'s afresh (git branch -D "
                    f"{branch}), or push it first if {remote} should have it (git push "
                    f"{remote} {branch})",
                )
            ]
        )
    if remote_tip and local_tip and not _is_ancestor(git, local_tip, remote_tip):
        raise SitegenError(
            [
                error(
                    "E064",
                    project,
                    None,
                    f"your local `{branch}` has commits the remote's lacks; deploying would "
                    "drop them",
                    f"push them first (git push {remote} {branch}), or delete the local branch "
                    f"if they are not wanted (git branch -D {branch})",
                )
            ]
        )


def _another_than(branch: str) -> str:
    """A branch to suggest deploying to, when `branch` will not do."""
    return "site" if branch == DEFAULT_BRANCH else DEFAULT_BRANCH


def _is_ancestor(git: _Git, commit: str, of: str) -> bool:
    try:
        git("merge-base", "--is-ancestor", commit, of)
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


def _cname_to_keep(git: _Git, parent: str | None, files: list[str]) -> str | None:
    """The `CNAME` on the branch (GitHub's Pages settings commit one there when a custom domain
    is set), as a blob, when the site's `files` have none of their own: without it, GitHub
    would drop the domain and the site would go offline at that address."""
    if parent is None or CNAME in files:
        return None
    return git.maybe("rev-parse", "--verify", "--quiet", f"{parent}:{CNAME}")


def _kept_cname(project: Path, domain: str, branch: str) -> Diagnostic:
    return warning(
        "W062",
        project,
        None,
        f"kept the CNAME on `{branch}` ({domain}), which the site does not have: GitHub "
        "needs it for your custom domain",
        f'set cname = "{domain}" in anthology.toml, so the site carries it',
    )


def _site_tree(
    git_dir: str, site: Path, files: list[str], cname: str | None = None
) -> tuple[str, int]:
    """Write the site's `files` (see `_built_files`) into the object database as one tree;
    return (tree, file count). `.nojekyll` is always there, so that GitHub Pages serves the
    files as they are instead of running Jekyll; a `cname` blob (see `_cname_to_keep`) is
    added as `CNAME`.
    """
    with tempfile.TemporaryDirectory(prefix="sitegen-deploy-") as scratch:
        git = _Git(site, Path(scratch) / "index")
        where = ["--git-dir", git_dir, "--work-tree", str(site)]
        listed = "".join(f"{path}\0" for path in files).encode("utf-8")
        git(*where, "update-index", "--add", "-z", "--stdin", stdin=listed)
        empty = git(*where, "hash-object", "-w", "--stdin")
        git(*where, "update-index", "--add", "--cacheinfo", f"100644,{empty},{NOJEKYLL}")
        if cname:
            git(*where, "update-index", "--add", "--cacheinfo", f"100644,{cname},{CNAME}")
        count = len(git(*where, "ls-files", "--cached").splitlines())
        return git(*where, "write-tree"), count


def _default_message(git: _Git, files: int) -> str:
    source = git.maybe("rev-parse", "--short", "HEAD")
    edited = " with uncommitted changes" if git.maybe("status", "--porcelain") else ""
    origin = f" from {source}{edited}" if source else ""
    return f"Publish the site{origin} ({files} files)\n\nDeployed by `sitegen deploy`.\n"


def _git_error(project: Path, failed: _GitFailed, remote: str) -> Diagnostic:
    hints = {
        "push": f"nothing was changed; fix access to `{remote}`, then run `sitegen deploy` again",
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


def _left_behind(project: Path, failed: _GitFailed, remote: str, branch: str) -> Diagnostic:
    return warning(
        "W064",
        project,
        None,
        f"the site was published, but your local `{branch}` could not be moved to it "
        f"(git {failed.command}: {failed.detail})",
        f"bring it up to date with `git fetch {remote} {branch}:{branch}`",
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


def _warnings(
    git: _Git, site: Path, files: list[str], remote: str, kept: str | None
) -> list[Diagnostic]:
    """A site built without its full address is missing its feed and sitemap; one built for
    another address than GitHub Pages serves it at (by its CNAME, the one `kept` on the
    branch, or the remote's name) has a canonical address, feed and sitemap that lead
    elsewhere, and, under another path, a 404 page without its styles."""
    domain = (site / CNAME).read_text("utf-8").strip() if CNAME in files else kept
    served = (
        f"https://{domain}/" if domain else pages_url(git.maybe("remote", "get-url", remote) or "")
    )
    built = _built_for(site)
    rebuild = (
        f"rebuild with `sitegen build --base-url {served or 'https://USER.github.io/REPO/'}` "
        "(or set base_url in anthology.toml) and deploy again"
    )
    if built is None:
        problem = "this site was built without its full address, so it has no feed or sitemap"
        return [warning("W060", site, None, problem, rebuild)]
    if served and not _same_site(built, served):
        problem = f"this site was built for {built}, but GitHub Pages serves it at {served}"
        return [warning("W065", site, None, problem, rebuild)]
    return []


def _same_site(built: str, served: str) -> bool:
    """Whether a site built for `built` works where GitHub Pages serves it, `served`: the
    same path, and the same host unless `built` names a domain of the writer's own (a user's
    custom domain serves their project sites too, and github.io leads there)."""
    built_host, built_path = _host_and_path(built)
    served_host, served_path = _host_and_path(served)
    if built_path != served_path:
        return False
    return built_host == served_host or not built_host.endswith(".github.io")


def _built_for(site: Path) -> str | None:
    """The address the site was built for, as its robots.txt names its sitemap there (see
    `render.publish.robots`); None when it was built without one."""
    try:
        robots = (site / "robots.txt").read_text("utf-8")
    except OSError:
        return None
    found = re.search(r"^Sitemap: (\S+)sitemap\.xml$", robots, re.MULTILINE)
    return found.group(1) if found else None


def _host_and_path(url: str) -> tuple[str, str]:
    """An address's host, in lower case, and its path: GitHub Pages answers http and https."""
    host, _, path = url.partition("://")[2].partition("/")
    return host.lower(), "/" + path
