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


def test_a_name_decided_by_another_chapter_changes_the_mentions_of_an_unchanged_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alone, "Wren" opening sentences of one chapter is no one; once another chapter has
    Wren speak, those are mentions of her. The unchanged chapter's kept mentions must follow,
    and the rebuilt index be the one a cold build makes."""
    from sitegen.build import build, load
    from sitegen.config import load_config

    monkeypatch.setattr(cache_module, "SETTLED_NS", 0)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "b.txt").write_text(
        "Wren. The hedge was quiet that year.\nWren watched the road.\n", "utf-8"
    )
    farm = tmp_path / "seeds" / "a.txt"
    stories = (
        "Nothing happened at the farm.\n",
        'Nothing happened at the farm until Mara met Wren.\n"Stay," said Wren.\n',
        "Nothing happened at the farm.\n",
    )
    cache = BuildCache()
    for number, story in enumerate(stories):
        farm.write_text(story, "utf-8")
        os.utime(farm, ns=(number * 10**9, number * 10**9))  # a later save each time
        config = load_config(root=tmp_path)
        rebuilt = build(config, epub=False, cache=cache).anthology.characters
        cold, _ = load(config)
        assert rebuilt == cold.characters
        wren = [c for c in rebuilt.characters if c.name == "Wren"]
        assert len(wren) == (number == 1)
        if wren:
            assert {m[0] for m in wren[0].mentions} == {0, 1}  # both chapters
