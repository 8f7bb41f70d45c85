"""The anthology as one immutable value, built once and handed whole to every renderer.

A chapter's text is a tuple of blocks (paragraphs, headings, scene breaks, code), each holding
its inline markup; `manuscript` parses a file into them. Everything a page shows that depends
on more than one chapter (previous/next, which chapters share characters, the character
index) is computed here or in `characters.py`, never in a renderer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from .parallel import sent_by_fields

# --- A chapter's text: its blocks, and the words inside them, as `manuscript` parses them.


@sent_by_fields
@dataclass(frozen=True, slots=True)
class Text:
    """Words as written, typeset."""

    text: str


@sent_by_fields
@dataclass(frozen=True, slots=True)
class Emphasis:
    """Emphasised words (`*so*`), or strong ones (`**so**`)."""

    children: tuple[Inline, ...]
    strong: bool = False


@sent_by_fields
@dataclass(frozen=True, slots=True)
class Code:
    """A code span (`` `ls -l` ``): shown as written, never typeset."""

    text: str


Inline = Text | Emphasis | Code


def plain_text(inlines: tuple[Inline, ...]) -> str:
    return "".join(
        i.text if isinstance(i, Text | Code) else plain_text(i.children) for i in inlines
    )


@sent_by_fields
@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph: a line of the manuscript, or two joined (see W020)."""

    line: int
    inlines: tuple[Inline, ...]
    plain: str  # the text without markup, as a reader sees it; mentions index into it


@sent_by_fields
@dataclass(frozen=True, slots=True)
class Heading:
    """A heading inside a story (`## Part Two`)."""

    line: int
    inlines: tuple[Inline, ...]
    plain: str


@sent_by_fields
@dataclass(frozen=True, slots=True)
class SceneBreak:
    """A break between scenes (`---`, `* * *`, `#`)."""

    line: int
    plain: str = ""


@sent_by_fields
@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced block of code, highlighted by Pygments."""

    line: int
    language: str
    code: str
    plain: str = ""


Block = Paragraph | Heading | SceneBreak | CodeBlock


# --- The anthology.


@dataclass(frozen=True, slots=True)
class Meta:
    """The anthology's own details, from the config."""

    title: str
    author: str  # who wrote the anthology, if one person did
    editor: str  # who edited it: the name alone, "the Ashfall Collective"
    language: str
    description: str
    base_url: str
    base_path: str
    site_url: str
    subjects: tuple[str, ...]
    cname: str
    identifier: str  # the book's, as the config gives it; "" when it gives none
    updated: str  # ISO 8601 UTC, e.g. "2024-05-01T12:00:00Z": see analysis.source_date

    @property
    def direction(self) -> str:
        """The way the language is written: "rtl" (Arabic, Hebrew, Persian, Urdu…), which
        pages and the book's page order then follow, or "ltr"."""
        return "rtl" if is_right_to_left(self.language) else "ltr"

    @property
    def credit(self) -> str:
        """The line that credits the anthology under its title: "A. Writer", "Edited by
        the Ashfall Collective", "A. Writer, edited by B. Reader", or nothing."""
        if self.author and self.editor:
            return f"{self.author}, edited by {self.editor}"
        return self.author or (f"Edited by {self.editor}" if self.editor else "")


_RIGHT_TO_LEFT_LANGUAGES = frozenset(
    (
        *("ar", "arc", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "ps", "sd", "syr", "ug"),
        *("ur", "yi", "ydd", "yih", "hbo", "syc", "nqo", "rhg", "pnb", "skr", "bal", "azb"),
        *("sdh", "lrc", "mzn", "glk", "bqi", "luz", "pes", "prs", "khw", "ota"),
        # Arabic as spoken from Morocco to the Gulf, each with its own tag
        *("arb", "arq", "ary", "aeb", "arz", "apc", "ajp", "acm", "afb", "ayl", "ars", "acq"),
    )
)  # written right to left unless a script subtag says otherwise ("ks-Deva")
_RIGHT_TO_LEFT_SCRIPTS = frozenset(
    ("adlm", "arab", "hebr", "mand", "nkoo", "rohg", "samr", "syrc", "thaa", "yezi")
)


def is_right_to_left(language: str) -> bool:
    """Whether a language tag (BCP 47: "ar", "he-IL", "az-Arab", "ar-u-nu-latn") is written
    right to left: its script subtag says, if it has one, else its language."""
    primary, *rest = language.lower().replace("_", "-").split("-")
    for subtag in rest:
        if len(subtag) == 3 and subtag.isalpha():
            continue  # an extended language: "zh-yue"
        if len(subtag) == 4 and subtag.isalpha():
            return subtag in _RIGHT_TO_LEFT_SCRIPTS
        break  # a region, a variant, or an extension ("-u-", "-x-"): no script follows
    return primary in _RIGHT_TO_LEFT_LANGUAGES


@sent_by_fields
@dataclass(frozen=True, slots=True)
class Chapter:
    """One story, as published: its place, address, title and text."""

    number: int  # 1-based reading order
    slug: str
    title: str
    author: str | None
    source_name: str  # the manuscript's path in the source folder, as the config names it
    source_path: Path
    blocks: tuple[Block, ...]
    block_words: tuple[int, ...]  # words in each block
    words: int
    reading_minutes: int
    teaser: str
    aliases: tuple[str, ...]  # slugs it was published under before: each redirects here

    @property
    def url(self) -> str:
        return f"chapters/{self.slug}/"


class Mention(NamedTuple):
    """One place a character is named: `block.plain[start:end]` in chapter `chapter`.

    A NamedTuple, not a dataclass: a long anthology has tens of thousands, and one is made
    two and a half times faster. Mentions compare, and sort, in reading order."""

    chapter: int  # index into Anthology.chapters
    block: int
    start: int
    end: int
    anchor: str  # the element id on the chapter page, unique within it


@dataclass(frozen=True)
class Character:
    """A person the stories name, with every place they are named."""

    name: str
    slug: str
    aliases: tuple[str, ...]
    description: str
    # Where they are named, chapter by chapter in reading order, each chapter's mentions
    # together: what is made of them is made a chapter at a time, and from one build to the
    # next (`serve`'s) a chapter's that are as they were are the very same tuple.
    mentions_by_chapter: tuple[tuple[Mention, ...], ...]

    @property
    def url(self) -> str:
        return f"characters/{self.slug}/"

    @cached_property
    def mentions(self) -> tuple[Mention, ...]:
        """Every mention, in reading order."""
        return tuple(chain.from_iterable(self.mentions_by_chapter))

    @cached_property
    def chapter_indexes(self) -> tuple[int, ...]:
        return tuple(here[0].chapter for here in self.mentions_by_chapter)

    @cached_property
    def named_in_each(self) -> tuple[tuple[int, int], ...]:
        """Each chapter they are named in, and how many times: what the pages that list
        their appearances show of them."""
        return tuple(zip(self.chapter_indexes, map(len, self.mentions_by_chapter), strict=True))


@dataclass(frozen=True)
class CharacterIndex:
    """Every character the anthology names."""

    characters: tuple[Character, ...] = ()  # sorted by name


@dataclass(frozen=True, slots=True)
class SharedChapter:
    """Another chapter that has some of a chapter's characters in it."""

    chapter: int  # index into Anthology.chapters
    characters: tuple[int, ...]  # indexes into CharacterIndex.characters


@dataclass(frozen=True, slots=True)
class ChapterLinks:
    """Where a chapter leads: its neighbours, its characters, chapters that share them."""

    previous: int | None
    next: int | None
    characters: tuple[int, ...]  # who appears in the chapter, by first appearance
    shared: tuple[SharedChapter, ...]  # other chapters with a character in common
    mentions: tuple[tuple[int, Mention], ...]  # (character index, mention), in text order


@dataclass(frozen=True, slots=True)
class Quote:
    """The sentence around one mention, split so a page can set the name apart."""

    mention: Mention
    before: str
    name: str
    after: str


@dataclass(frozen=True, slots=True)
class Companion:
    """Another character someone shares scenes with."""

    character: int  # index into CharacterIndex.characters
    scenes: int  # how many scenes the two share


@dataclass(frozen=True, slots=True)
class CharacterLinks:
    """Where a character leads: their quotes, their companions, where they appear."""

    quotes: tuple[Quote, ...]  # the first mentions in each chapter, in reading order
    companions: tuple[Companion, ...]  # most shared scenes first
    positions: tuple[float, ...]  # where each mention falls in the anthology, 0 to 1


@dataclass(frozen=True)
class Anthology:
    """The whole anthology, analysed: what every renderer reads, and nothing else."""

    meta: Meta
    chapters: tuple[Chapter, ...]
    characters: CharacterIndex
    links: tuple[ChapterLinks, ...]  # one per chapter, same order
    character_links: tuple[CharacterLinks, ...]  # one per character, same order

    @property
    def words(self) -> int:
        return sum(c.words for c in self.chapters)


def count_words(blocks: tuple[Block, ...]) -> tuple[int, ...]:
    """Words in each block, as a word processor counts them (a dash separates words)."""
    return tuple(
        len(block.plain.replace("\u2014", " ").replace("\u2013", " ").split()) for block in blocks
    )


def reading_minutes(words: int, words_per_minute: int) -> int:
    return max(1, math.ceil(words / words_per_minute))


def teaser(blocks: tuple[Block, ...], limit: int = 160) -> str:
    """The opening sentence, cut at a word boundary when it runs long."""
    first = next((b.plain for b in blocks if isinstance(b, Paragraph)), "")
    sentence = re.match(r".+?[.!?\u2026](?=[\s\u201d\u2019]|$)[\u201d\u2019]?", first)
    text = sentence.group(0) if sentence else first
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:\u2014") + "\u2026"
