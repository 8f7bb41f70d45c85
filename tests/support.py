"""Checks shared by the site and EPUB tests, written independently of the parser they check.

`manuscript_words` reads a manuscript the way a proofreader would: every word, in order,
minus lines a build warning said were left out. Comparing it with the words a reader sees
catches any text the build loses, reorders or invents.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from bs4 import BeautifulSoup

WORD = re.compile(r"[^\W_]+")
SCENE_BREAK = re.compile(r"^\s*(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|(?:~\s*){3,}|#|⁂)\s*$")
LEFT_OUT = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): W021 ")


def words(text: str) -> list[str]:
    """Words as a reader compares them: case-folded, quotes and dashes ignored."""
    return WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def letters(words_in_order: list[str]) -> str:
    """The words run together: what stays the same however markup splits or joins them.

    `0*0*` is two words in the manuscript and one on the page (`0<em>0</em>`, emphasis inside a
    word), yet nothing was lost, added or moved; comparing letters sees exactly that."""
    return "".join(words_in_order)


def left_out_lines(diagnostic_lines: list[str], manuscript: Path) -> set[int]:
    """Line numbers that a build warning reported as left out of `manuscript`."""
    found = set()
    for line in diagnostic_lines:
        match = LEFT_OUT.match(line)
        if match and Path(match["path"]).name == manuscript.name:
            found.add(int(match["line"]))
    return found


def manuscript_words(
    manuscript: Path, skip_lines: set[int] = frozenset()
) -> tuple[list[str], list[str]]:
    """(title words, body words) of a manuscript: a leading `# Title` line is the title."""
    text = manuscript.read_bytes().decode("utf-8-sig")
    lines = re.split(r"\r\n|\r|\n", text)
    title: list[str] = []
    body: list[str] = []
    seen_text = False
    for number, line in enumerate(lines, start=1):
        if number in skip_lines or SCENE_BREAK.match(line) or not line.strip():
            continue
        if not seen_text and re.match(r"^#\s+\S", line):
            title = words(line)
        else:
            body.extend(words(line))
        seen_text = True
    return title, body


def prose_words(html: str | bytes) -> list[str]:
    """The words a reader sees in a chapter's text (site page or EPUB XHTML)."""
    soup = BeautifulSoup(html, "html.parser")
    prose = soup.select_one(".prose")
    assert prose is not None, "no .prose element in the chapter"
    # No separator: inline markup (a mention, an emphasis) never splits a word on the page.
    return words(prose.get_text())
