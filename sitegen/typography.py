"""Book typography for plain text: quotes, apostrophes, dashes, ellipses, no-break spaces.

Pure: text in, text out, one commented rule per line, in the order they must run. Every rule
keeps the writer's words; only punctuation and spacing change. Golden-tested in
`tests/golden/typography.tsv`.

Each rule runs only where its trigger character occurs, and every quote mark is decided in a
single pass by looking at its neighbours: a 1,000-story anthology has millions of characters,
and a regular expression that opens with a look-behind cannot skip ahead to its trigger.
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
OPENERS = "([{\u201c\u2018"  # after these (or a space, or nothing) a quote opens
DASHES = "\u2014\u2013"

_DASH_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # A hyphen (or two or three) with spaces on both sides between words is a dash: "a - b".
    (re.compile(r"(?<=\S)[ \t]+-{1,3}[ \t]+(?=\S)"), "\u2014"),
    # A hyphen and a space opening a line is a dialogue dash: "- Hello."
    (re.compile(r"^-[ \t]+"), "\u2014 "),
    # Two or three hyphens are an em dash: "word--word", "I don't--".
    (re.compile(r"-{2,3}"), "\u2014"),
)
# Three dots, spaced or not, are an ellipsis.
_ELLIPSIS = re.compile(r"\.[ \t]?\.[ \t]?\.")
# Known elisions that open with an apostrophe: 'tis, 'twas, 'em, 'cause, rock 'n' roll.
_ELISION = re.compile(
    r"(?:tis|twas|twere|twill|em|n|cause|cos|til|round|bout|fraid|kay|nuff|sup)\b",
    re.IGNORECASE,
)
# A decade or a year after an apostrophe: '90s, '69.
_YEAR = re.compile(r"\d\d(?:s\b|\b)")
# A period after a short capitalised word (maybe an honorific or an initial), then a word.
_AFTER_PERIOD = re.compile(r"([A-Z][a-z]{0,3})\.[ \t]+(?=\w)")
HONORIFICS = frozenset(
    [
        "Mr",
        "Mrs",
        "Ms",
        "Mx",
        "Dr",
        "St",
        "Prof",
        "Capt",
        "Sgt",
        "Lt",
        "Col",
        "Gen",
        "Rev",
        "Fr",
        "No",
    ]
)
_QUOTE = re.compile(r"['\"]")


def _single(before: str, text: str, at: int) -> str:
    after = text[at + 1 : at + 2]
    # An apostrophe inside a word: don't, Kai's, o'clock.
    if before.isalnum() and after.isalnum():
        return "\u2019"
    # A leading apostrophe before a known elision or a year: 'tis, 'em, rock 'n' roll, '90s.
    if not (before.isalnum() or before == "\u2019") and (
        _ELISION.match(text, at + 1) or _YEAR.match(text, at + 1)
    ):
        return "\u2019"
    # A single quote opens after a space, an opening bracket or quote, or at the start.
    if not before or before.isspace() or before in OPENERS:
        return "\u2018"
    # A single quote after a dash opens when a word follows: —'Why?'
    if before in DASHES and after.isalnum():
        return "\u2018"
    # Every other single quote closes (or is a trailing apostrophe: the Joneses').
    return "\u2019"


def _double(before: str, text: str, at: int) -> str:
    after = text[at + 1 : at + 2]
    # A double quote opens after a space, an opening bracket or quote, or at the start.
    if not before or before.isspace() or before in OPENERS:
        return "\u201c"
    # A double quote after a dash opens when a word follows: word—"Go!"
    if before in DASHES and after.isalnum():
        return "\u201c"
    # Every other double quote closes: "I don't—" stays closed after the dash.
    return "\u201d"


def _curl_quotes(text: str) -> str:
    """Decide every straight quote from left to right, each seeing the mark already curled
    just before it, so the single quote in "'Simple' knows it follows an opening quote."""
    parts: list[str] = []
    done = 0
    for match in _QUOTE.finditer(text):
        at = match.start()
        before = parts[-1] if parts and done == at else (text[at - 1] if at else "")
        decide = _single if match.group() == "'" else _double
        parts += [text[done:at], decide(before, text, at)]
        done = at + 1
    parts.append(text[done:])
    return "".join(parts)


def _no_break_after(match: re.Match[str]) -> str:
    """An honorific or an initial never ends a line: Dr.\u00a0Sato, J.\u00a0R.\u00a0Tolkien.

    "I" is a pronoun far more often than an initial ("so did I. Then..."), so it is left alone.
    """
    text, start = match.string, match.start()
    word = match.group(1)
    stands_alone = start == 0 or not (text[start - 1].isalnum() or text[start - 1] == ".")
    initial = len(word) == 1 and word != "I"
    if stands_alone and (word in HONORIFICS or initial):
        return word + "." + NBSP
    return match.group()


def _apply(text: str) -> str:
    if "-" in text:
        for pattern, replacement in _DASH_RULES:
            text = pattern.sub(replacement, text)
    if ".." in text or ". ." in text:
        text = _ELLIPSIS.sub("\u2026", text)
    if "'" in text or '"' in text:
        text = _curl_quotes(text)
    if ". " in text or ".\t" in text:
        text = _AFTER_PERIOD.sub(_no_break_after, text)
    return text


def _context(char: str, *, leading: bool) -> str:
    """Reduce a neighbouring character to what the quote rules need to know about it."""
    if not char or char.isspace():
        return " "
    if leading and char in OPENERS + DASHES:
        return char
    return "a" if char.isalnum() or leading else ","


def smarten(text: str, before: str = "", after: str = "") -> str:
    """Return `text` with book typography applied.

    `before` and `after` are the characters around `text` when it is one piece of a paragraph
    split by markup (e.g. the text before `*emphasis*`), so that a quote at the edge still
    knows whether it opens or closes. They never appear in the result.
    """
    lead = _context(before[-1:], leading=True) if before else ""
    tail = _context(after[:1], leading=False) if after else ""
    result = _apply(lead + text + tail)
    return result[len(lead) : len(result) - len(tail)]
