"""The anthology as one immutable value, built once and handed whole to every renderer.

Everything a page shows that depends on more than one chapter (previous/next, which chapters
share characters, the character index) is computed here or in `characters.py`, never in a
renderer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .manuscript import Block, Paragraph

WORD = re.compile(r"[^\W_]+(?:['\u2019.-][^\W_]+)*")


@dataclass(frozen=True)
class Meta:
    title: str
    author: str
    language: str
    description: str
    base_url: str
    base_path: str
    site_url: str
    subjects: tuple[str, ...]
    cname: str


@dataclass(frozen=True)
class Chapter:
    number: int  # 1-based reading order
    slug: str
    title: str
    author: str | None
    source_name: str  # the manuscript's file name in the source folder
    source_path: Path
    blocks: tuple[Block, ...]
    words: int
    reading_minutes: int
    teaser: str

    @property
    def url(self) -> str:
        return f"chapters/{self.slug}/"


@dataclass(frozen=True)
class Mention:
    """One place a character is named: `block.plain[start:end]` in chapter `chapter`."""

    chapter: int  # index into Anthology.chapters
    block: int
    start: int
    end: int
    anchor: str  # the element id on the chapter page, unique within it


@dataclass(frozen=True)
class Character:
    name: str
    slug: str
    aliases: tuple[str, ...]
    description: str
    mentions: tuple[Mention, ...]  # in reading order

    @property
    def url(self) -> str:
        return f"characters/{self.slug}/"

    @cached_property
    def chapter_indexes(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(m.chapter for m in self.mentions))


@dataclass(frozen=True)
class CharacterIndex:
    characters: tuple[Character, ...] = ()  # sorted by name


@dataclass(frozen=True)
class SharedChapter:
    chapter: int  # index into Anthology.chapters
    characters: tuple[int, ...]  # indexes into CharacterIndex.characters


@dataclass(frozen=True)
class ChapterLinks:
    previous: int | None
    next: int | None
    characters: tuple[int, ...]  # who appears in the chapter, by first appearance
    shared: tuple[SharedChapter, ...]  # other chapters with a character in common
    mentions: tuple[tuple[int, Mention], ...]  # (character index, mention), in text order


@dataclass(frozen=True)
class Anthology:
    meta: Meta
    chapters: tuple[Chapter, ...]
    characters: CharacterIndex
    links: tuple[ChapterLinks, ...]  # one per chapter, same order

    @property
    def words(self) -> int:
        return sum(c.words for c in self.chapters)


def count_words(blocks: tuple[Block, ...]) -> int:
    return sum(len(WORD.findall(block.plain)) for block in blocks)


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


def link_chapters(chapters: tuple[Chapter, ...], index: CharacterIndex) -> tuple[ChapterLinks, ...]:
    """Previous/next, who appears where, and shared characters, computed once for every chapter.

    Linear in the number of mentions, plus, per chapter, the other chapters its characters
    appear in; the shared list keeps the chapters sharing the most characters, so a chapter
    page stays the same size however long the anthology grows.
    """
    mentions: list[list[tuple[int, Mention]]] = [[] for _ in chapters]
    for number, character in enumerate(index.characters):
        for mention in character.mentions:
            mentions[mention.chapter].append((number, mention))
    links: list[ChapterLinks] = []
    for position, found in enumerate(mentions):
        found.sort(key=lambda item: (item[1].block, item[1].start))
        present = tuple(dict.fromkeys(number for number, _ in found))
        together: dict[int, list[int]] = {}
        for character in present:
            for other in index.characters[character].chapter_indexes:
                if other != position:
                    together.setdefault(other, []).append(character)
        ranked = sorted(together.items(), key=lambda item: (-len(item[1]), item[0]))[:SHARED_LIMIT]
        links.append(
            ChapterLinks(
                previous=position - 1 if position > 0 else None,
                next=position + 1 if position + 1 < len(chapters) else None,
                characters=present,
                shared=tuple(SharedChapter(other, tuple(chars)) for other, chars in sorted(ranked)),
                mentions=tuple(found),
            )
        )
    return tuple(links)


SHARED_LIMIT = 12
