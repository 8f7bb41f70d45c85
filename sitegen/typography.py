"""Book typography for plain text: quotes, apostrophes, dashes, ellipses, no-break spaces.

Pure: text in, text out, one commented rule per line, in the order they must run. Every rule
keeps the writer's words; only punctuation and spacing change. Golden-tested in
`tests/golden/typography.tsv`.

Each pattern opens with the character it changes and looks behind only after it: Python's
regex engine then jumps from one such character to the next, where a pattern that opens with
a look-behind, a `^` or a repeat (`-{2,3}`) is tried at every position of a million-word
anthology. So "at the start of a line" is written as a look-behind after the character,
`'(?<=^')`, and two or three hyphens as `---?`.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
OPENERS = "([{\u201c\u2018"  # after these (or a space, or nothing) a quote opens
DASHES = "\u2014\u2013"
_ELISIONS = r"(?:tis|twas|twere|twill|em|n|cause|cos|til|round|bout|fraid|kay|nuff|sup)\b"


# (a character the rule needs to find, the pattern, its replacement)
_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    # A hyphen (or two or three) with spaces on both sides between words is a dash: "a - b".
    (" -", re.compile(r"(?<=\S)[ \t]+-{1,3}[ \t]+(?=\S)"), "\u2014"),
    # A hyphen and a space opening a line is a dialogue dash: "- Hello."
    ("-", re.compile(r"-(?<=^-)[ \t]+", re.MULTILINE), "\u2014 "),
    # Two or three hyphens are an em dash: "word--word", "I don't--".
    ("-", re.compile(r"---?"), "\u2014"),
    # Three dots, spaced or not, are an ellipsis.
    (".", re.compile(r"\.[ \t]?\.[ \t]?\."), "\u2026"),
    # A leading apostrophe before a known elision: 'tis, 'em, 'cause, rock 'n' roll.
    ("'", re.compile(r"'(?<![\w\u2019]')(?=" + _ELISIONS + ")", re.IGNORECASE), "\u2019"),
    # A leading apostrophe before a decade or a year: '90s, '69.
    ("'", re.compile(r"'(?<![\w\u2019]')(?=\d\d(?:s\b|\b))"), "\u2019"),
    # An apostrophe inside a word: don't, Kai's, o'clock.
    ("'", re.compile(r"'(?<=\w')(?=\w)"), "\u2019"),
    # A single quote opens at the start, or after a space, an opening bracket or quote.
    ("'", re.compile(r"'(?<=^')", re.MULTILINE), "\u2018"),
    ("'", re.compile(r"'(?<=[\s\"" + OPENERS + r"]')"), "\u2018"),
    # A single quote after a dash opens when a word follows: —'Why?'
    ("'", re.compile(r"'(?<=[" + DASHES + r"]')(?=\w)"), "\u2018"),
    # A single quote just inside emphasis that opens a word opens too: *'No,'* she said.
    ("'", re.compile(r"'(?:(?<=^[*_]')|(?<=^[*_][*_]'))", re.MULTILINE), "\u2018"),
    ("'", re.compile(r"'(?<=[\s" + OPENERS + r"][*_]')(?=\S)"), "\u2018"),
    ("'", re.compile(r"'(?<=[\s" + OPENERS + r"][*_][*_]')(?=\S)"), "\u2018"),
    # Every other single quote closes (or is a trailing apostrophe: the Joneses').
    ("'", re.compile(r"'"), "\u2019"),
    # A double quote opens at the start, or after a space, an opening bracket or quote.
    ('"', re.compile(r'"(?<=^")', re.MULTILINE), "\u201c"),
    ('"', re.compile(r'"(?<=[\s' + OPENERS + r']")'), "\u201c"),
    # A double quote after a dash opens when a word follows: word—"Go!"
    ('"', re.compile(r'"(?<=[' + DASHES + r']")(?=\w)'), "\u201c"),
    # A double quote just inside emphasis that opens a word opens too: *"Run!"* she said.
    ('"', re.compile(r'"(?:(?<=^[*_]")|(?<=^[*_][*_]"))', re.MULTILINE), "\u201c"),
    ('"', re.compile(r'"(?<=[\s' + OPENERS + r'][*_]")(?=\S)'), "\u201c"),
    ('"', re.compile(r'"(?<=[\s' + OPENERS + r'][*_][*_]")(?=\S)'), "\u201c"),
    # Every other double quote closes: "I don't—" stays closed after the dash.
    ('"', re.compile(r'"'), "\u201d"),
    # An honorific or an initial never ends a line: Dr.\u00a0Sato, Capt.\u00a0Reyes,
    # J.\u00a0R.\u00a0Tolkien ("I." is a pronoun; an initial needs a capital after it).
    (
        ". ",
        re.compile(
            r"\.(?:(?<=\b(?:Mr|Ms|Mx|Dr|St|Lt|Fr)\.)|(?<=\b(?:Mrs|Sgt|Col|Gen|Rev)\.)"
            r"|(?<=\b(?:Prof|Capt)\.)|(?<=\b[A-HJ-Z]\.)(?=[ \t]+[A-Z]))[ \t]+(?=\w)"
        ),
        "." + NBSP,
    ),
)


def smarten(text: str) -> str:
    """Return `text` with book typography applied; each line is typeset on its own."""
    for trigger, pattern, replacement in _RULES:
        if trigger in text:
            text = pattern.sub(replacement, text)
    return text
