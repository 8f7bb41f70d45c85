"""Property: for any manuscript, the page shows every letter it had, in order, and no others.

The only exceptions are lines a warning reported as left out; the check reads the warnings
the build printed, exactly as a writer would.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import letters, manuscript_words, prose_words, words

from sitegen.build import build
from sitegen.config import load_config
from sitegen.render.epub import xml_bytes
from sitegen.sources import NOT_IN_PAGES

WORD = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x24F),
    min_size=1,
    max_size=9,
)
PUNCTUATION = st.sampled_from(
    [
        " ",
        " ",
        " ",
        ", ",
        ". ",
        "! ",
        "? ",
        "'",
        '"',
        " - ",
        "--",
        "...",
        "\u2014",
        "-",
        "*",
        "_",
        "`",
        "\\",
        "<",
        ">",
        "&",
        "&amp;",
        "{{",
        "}}",
        "{%",
        "#",
        "[",
        "](",
        ")",
        ";",
        ":",
    ]
)
LINE = st.lists(st.one_of(WORD, PUNCTUATION), min_size=1, max_size=30).map("".join)
SPECIAL_LINE = st.sampled_from(["", "", "---", "* * *", "#", "   ", "***"])
MANUSCRIPT = st.lists(st.one_of(LINE, LINE, LINE, SPECIAL_LINE), min_size=1, max_size=25).filter(
    lambda lines: any(words(line) for line in lines)
)
NEWLINE = st.sampled_from(["\n", "\r\n", "\r"])


@example(lines=["0Aa! "], newline="\n", bom=False)  # a capital inside a word is no name
@example(lines=["0*0*"], newline="\n", bom=False)  # emphasis inside a word joins it
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=MANUSCRIPT, newline=NEWLINE, bom=st.booleans())
def test_every_word_survives_in_order(lines: list[str], newline: str, bom: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="sitegen-property-"))
    try:
        manuscript = folder / "seeds" / "01_story.txt"
        manuscript.parent.mkdir()
        manuscript.write_bytes((b"\xef\xbb\xbf" if bom else b"") + newline.join(lines).encode())
        config = load_config(root=folder)
        result = build(config)
        left_out = {d.line for d in result.warnings if d.code == "W021" and d.line}
        title, body = manuscript_words(manuscript, left_out)
        chapter = result.anthology.chapters[0]
        page = (config.out_dir / "chapters" / chapter.slug / "index.html").read_bytes()
        assert letters(prose_words(page)) == letters(body)
        if title:
            assert words(chapter.title) == title
    finally:
        shutil.rmtree(folder)


@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=40))
@example("Kai\x00 said \ufffe\uffff\ud800 \u201cgo\u201d\x0b\t\r\n")
def test_book_documents_keep_exactly_the_characters_xml_can_hold(text: str) -> None:
    """The EPUB's fast check drops what the XML rules forbid, and nothing else."""
    assert xml_bytes(text) == NOT_IN_PAGES.sub("", text).encode("utf-8")


@given(
    st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), max_size=400),
    st.integers(min_value=1, max_value=200),
)
@example([0.0, 1 / 120, 0.1, 0.5, 119 / 120, 1.0], 120)
def test_a_characters_strip_counts_every_mention_in_its_place(
    found: list[float], bins: int
) -> None:
    """The strip on a character's page draws how many mentions fall in each stretch of the
    anthology; none may be lost or drawn in the wrong stretch, at a stretch's edge either."""
    from sitegen.render.figures import strip_svg

    positions = sorted(found)  # where mentions fall, in reading order
    expected = [0] * bins
    for position in positions:
        expected[min(bins - 1, int(position * bins))] += 1
    svg = strip_svg("Mara", [0.0], positions, bins=bins)
    step, most = 600 / bins, max(expected, default=0) or 1
    drawn = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="[\d.]+" height="([\d.]+)"/>', svg)
    heights = dict(drawn)  # the track, a rect with a class, is not matched
    assert heights == {
        f"{i * step:.1f}": f"{22 * c / most:.1f}" for i, c in enumerate(expected) if c
    }
