"""Typography is a pure function; these golden cases pin every rule (see typography.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.slugs import MAX_SLUG, slugify
from sitegen.typography import NBSP, smarten

GOLDEN = Path(__file__).parent / "golden" / "typography.tsv"


def _cases() -> list[tuple[str, str]]:
    lines = GOLDEN.read_text("utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize(("raw", "expected"), _cases())
def test_golden(raw: str, expected: str, request: pytest.FixtureRequest) -> None:
    actual = smarten(raw).replace(NBSP, " ")
    if request.config.getoption("--update-golden") and actual != expected:
        lines = GOLDEN.read_text("utf-8").splitlines()
        GOLDEN.write_text(
            "\n".join(
                f"{raw}\t{actual}" if line == f"{raw}\t{expected}" else line for line in lines
            )
            + "\n",
            "utf-8",
        )
        return
    assert actual == expected


def test_honorifics_and_initials_never_end_a_line() -> None:
    assert smarten("Dr. Sato met J. R. Tolkien") == f"Dr.{NBSP}Sato met J.{NBSP}R.{NBSP}Tolkien"
    assert smarten("Mrs. Harlan and Capt. Reyes") == f"Mrs.{NBSP}Harlan and Capt.{NBSP}Reyes"


def test_sentence_ends_still_break() -> None:
    assert NBSP not in smarten("So did I. Then we left. Plan B. it was not. The end.")


def test_each_line_is_typeset_on_its_own() -> None:
    assert smarten('He said "go"\n"Stop," she said') == (
        "He said \u201cgo\u201d\n\u201cStop,\u201d she said"
    )
    assert smarten("one\n- two\n'three'") == "one\n\u2014 two\n\u2018three\u2019"


def test_only_punctuation_and_spacing_change() -> None:
    raw = "\"Well--I don't know...\" 'tis what Kai's friend said - twice."
    letters = [c for c in raw if c.isalnum()]
    assert [c for c in smarten(raw) if c.isalnum()] == letters


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Ashes \u2013 Part Two", "ashes-part-two"),
        ("Letters, 1914\u20131918", "letters-1914-1918"),
        ("Mother\u2011in\u2011Law", "mother-in-law"),
        ("Before\u2014After", "before-after"),
        ("Jin-hee\u2019s Cafe\u0301", "jin-hees-cafe"),
        ("\u0141ukasz \u00c6gir", "lukasz-aegir"),
    ],
)
def test_a_slug_parts_words_at_dashes_and_keeps_accented_letters(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_a_long_title_gives_a_slug_a_file_system_can_hold() -> None:
    slug = slugify("The Ballad of " + "a Very Long Road " * 20)
    assert len(slug) <= MAX_SLUG and slug.startswith("the-ballad-of-a-very-long-road")
    words, mark = slug.rsplit("-", 1)
    assert words.split("-")[-1] in {"a", "very", "long", "road"}  # cut between words
    assert len(mark) == 6 and all(c in "0123456789abcdef" for c in mark)
    no_hyphen = slugify("A" + "a" * 200)
    assert len(no_hyphen) == MAX_SLUG and no_hyphen.startswith("a" * 70)
    start = "The Long Road Home Through the Hills and Valleys of the Old Country and Beyond, "
    one, two = slugify(start + "Part One"), slugify(start + "Part Two")
    assert one != two and len(one) <= MAX_SLUG and len(two) <= MAX_SLUG
