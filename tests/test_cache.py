"""What `serve` keeps from one build to the next, and when it must not trust it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sitegen import cache as cache_module
from sitegen.cache import BuildCache


def test_a_manuscript_is_read_again_only_when_the_file_system_says_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manuscript = tmp_path / "one.txt"
    manuscript.write_text("Ana waited.\n", "utf-8")
    cache = BuildCache()
    # Just written: a second save in the same tick of the clock could leave its status as it
    # is, so it is read every time until it has settled.
    first = cache.read_manuscript(manuscript)
    again = cache.read_manuscript(manuscript)
    assert again == first and again is not first
    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)  # as if it had been saved long ago
    settled = cache.read_manuscript(manuscript)
    assert cache.read_manuscript(manuscript) is settled
    before = manuscript.stat().st_mtime_ns
    manuscript.write_text("Ana rested.\n", "utf-8")  # the same size, saved a moment later
    os.utime(manuscript, ns=(before + 10_000_000, before + 10_000_000))
    changed = cache.read_manuscript(manuscript)
    assert changed.source is not None and changed.source.lines[0].text == "Ana rested."


def test_files_of_yours_added_or_removed_while_serving_stay_as_you_left_them(
    tmp_path: Path,
) -> None:
    """`serve` stages each build in the site the one before replaced: what of yours that site
    held must be what you had when it was replaced, not a build earlier."""
    from conftest import copy_project

    from sitegen.build import build
    from sitegen.config import load_config

    project = copy_project(tmp_path / "anthology")
    config = load_config(root=project)
    cache = BuildCache()
    out = config.out_dir
    build(config, epub=False, cache=cache)
    (out / "notes.txt").write_text("mine\n", "utf-8")
    (out / "drafts").mkdir()
    for _ in range(3):
        build(config, epub=False, cache=cache)
        assert (out / "notes.txt").read_text("utf-8") == "mine\n" and (out / "drafts").is_dir()
    (out / "notes.txt").unlink()
    (out / "drafts").rmdir()
    for _ in range(3):
        build(config, epub=False, cache=cache)
        assert not (out / "notes.txt").exists() and not (out / "drafts").exists()


def test_a_file_of_yours_that_the_site_takes_over_does_not_stop_the_next_rebuild(
    tmp_path: Path,
) -> None:
    """A CNAME written by hand, which the config then asks for with the same bytes, becomes
    the site's. The site it replaced, which `serve` stages the next build in, still holds the
    hand-made copy: that rebuild must write over it, not fail."""
    from conftest import copy_project

    from sitegen.build import build
    from sitegen.config import load_config

    project = copy_project(tmp_path / "anthology")
    cache = BuildCache()
    build(load_config(root=project), epub=False, cache=cache)
    out = project / "output"
    (out / "CNAME").write_text("stories.example.org\n", "utf-8")
    config = project / "anthology.toml"
    config.write_text('cname = "stories.example.org"\n' + config.read_text("utf-8"), "utf-8")
    for _ in range(3):
        build(load_config(root=project), epub=False, cache=cache)
        assert (out / "CNAME").read_text("utf-8") == "stories.example.org\n"
