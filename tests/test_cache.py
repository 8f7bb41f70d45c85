"""What `serve` keeps from one build to the next, and when it must not trust it."""

from __future__ import annotations

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
    manuscript.write_text("Ana left.\n", "utf-8")  # the same size
    changed = cache.read_manuscript(manuscript)
    assert changed.source is not None and changed.source.lines[0].text == "Ana left."
