"""Cross-chapter analysis, computed once after the character index: who appears where.

For chapters: previous/next, who appears in each, and which other chapters share a character.
For characters: the sentence around every mention, who they share scenes with, and where in
the anthology each mention falls. Renderers only read these values.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from functools import partial
from itertools import accumulate, groupby, islice
from operator import itemgetter
from typing import TYPE_CHECKING

from .model import (
    Block,
    Chapter,
    ChapterLinks,
    CharacterIndex,
    CharacterLinks,
    Companion,
    Mention,
    Quote,
    SceneBreak,
    SharedChapter,
)

if TYPE_CHECKING:
    from .cache import Memo

SHARED_LIMIT = 12  # "also appearing elsewhere": the chapters sharing the most characters
QUOTE_LIMIT = 220  # characters of context around a mention, at most
QUOTED_PER_CHAPTER = 3  # a character's first mentions in each chapter are quoted in context
# (those whose paragraph says more than the name: see `_says_more`)
SENTENCE_END = re.compile(r"[.!?\u2026][\u201d\u2019)\]]*\s+")
OPENING_QUOTE, CLOSING_QUOTE = "\u201c", "\u201d"
_CHAPTER = itemgetter(0)  # a mention's chapter


def link_chapters(chapters: tuple[Chapter, ...], index: CharacterIndex) -> tuple[ChapterLinks, ...]:
    """Previous/next, who appears where, and shared characters, computed once for every chapter.

    "Also appearing elsewhere" ranks the other chapters by how many characters they share,
    then by how near they are. Each character contributes only the SHARED_LIMIT chapters on
    either side where they appear, so a character in every chapter costs the same per chapter
    as one in two, and a chapter page stays the same size however long the anthology grows.
    """
    mentions: list[list[tuple[int, Mention]]] = [[] for _ in chapters]
    for number, character in enumerate(index.characters):
        for mention in character.mentions:
            mentions[mention.chapter].append((number, mention))
    appearances = [c.chapter_indexes for c in index.characters]  # ascending chapter indexes
    links: list[ChapterLinks] = []
    for position, found in enumerate(mentions):
        found.sort(key=itemgetter(1))  # a chapter's mentions never overlap: by block and start
        present = tuple(dict.fromkeys(number for number, _ in found))
        together: dict[int, list[int]] = {}
        for character in present:
            where = appearances[character]
            at = bisect_left(where, position)
            for other in (
                *where[max(0, at - SHARED_LIMIT) : at],
                *where[at + 1 : at + 1 + SHARED_LIMIT],
            ):
                together.setdefault(other, []).append(character)
        ranked = sorted(
            together.items(), key=lambda item: (-len(item[1]), abs(item[0] - position), item[0])
        )[:SHARED_LIMIT]
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


def quote(text: str, start: int, end: int, limit: int = QUOTE_LIMIT) -> tuple[str, str, str]:
    """The sentence around `text[start:end]`, as (before, name, after), trimmed to `limit`;
    widened to whole quotations (see `_whole_speech`)."""
    begin = 0
    for match in SENTENCE_END.finditer(text, 0, start):
        begin = match.end()
    close = SENTENCE_END.search(text, end)
    begin, finish = _whole_speech(text, begin, close.end() if close else len(text))
    before, after = text[begin:start], text[end:finish].rstrip()
    room = max(0, limit - (end - start))
    if len(before) + len(after) > room:
        keep_before = min(len(before), room // 2)
        keep_after = room - keep_before
        if len(before) > keep_before:
            cut = before[len(before) - keep_before :]
            before = "\u2026" + cut[cut.find(" ") + 1 :] if " " in cut else "\u2026" + cut
        if len(after) > keep_after:
            cut = after[:keep_after]
            after = (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "\u2026"
    return before, text[start:end], after


def _whole_speech(text: str, begin: int, finish: int) -> tuple[int, int]:
    """The sentence `text[begin:finish]`, widened so that its quotation marks pair up: back to
    the opening mark of a speech it is part of or follows (a dialogue tag, "Jace barked.", says
    little without the "Left!" before it), and on to the closing mark of a speech it begins.
    Only double marks count: a single closing mark is also an apostrophe."""
    earlier = text[:begin]
    inside = earlier.count(OPENING_QUOTE) > earlier.count(CLOSING_QUOTE)
    if inside or earlier.rstrip().endswith(CLOSING_QUOTE):
        opening = text.rfind(OPENING_QUOTE, 0, begin)
        begin = begin if opening < 0 else opening
    excerpt = text[begin:finish]
    if excerpt.count(OPENING_QUOTE) > excerpt.count(CLOSING_QUOTE):
        closing = text.find(CLOSING_QUOTE, finish)
        finish = finish if closing < 0 else closing + 1
    return begin, finish


def scene_breaks(chapter: Chapter) -> list[int]:
    """The indexes of the chapter's scene breaks: the scene of block `b` is the number of
    breaks up to it, `bisect_right(breaks, b)`."""
    return [b for b, block in enumerate(chapter.blocks) if isinstance(block, SceneBreak)]


def link_characters(
    chapters: tuple[Chapter, ...],
    index: CharacterIndex,
    cache: Memo[tuple[Quote, ...]] | None = None,
) -> tuple[CharacterLinks, ...]:
    """Quotes, scene companions and anthology positions for every character, in one pass.

    A character's quotes from one chapter depend on that chapter's text and their first
    mentions in it alone; with a `cache` (kept by `serve`), they are not made again while
    those are as before."""
    total_words = sum(c.words for c in chapters) or 1
    # The words before each block in the book, for `positions`, as running sums made in C; a
    # block's own words and length are looked up only where a mention needs them.
    before: list[list[int]] = []
    running = 0
    for chapter in chapters:
        before.append(list(accumulate(chapter.block_words, initial=running)))
        running = before[-1][-1]
    breaks = [scene_breaks(chapter) for chapter in chapters]

    # One pass over each character's mentions, a chapter at a time: where each falls, the
    # scenes (chapter, scene) they are present in, and their first mentions quoted.
    present: dict[tuple[int, int], set[int]] = {}
    positions: list[tuple[float, ...]] = []
    quoted: list[tuple[Quote, ...]] = []
    for number, character in enumerate(index.characters):
        found: list[float] = []
        quotes: list[Quote] = []
        for c, in_chapter in groupby(character.mentions, _CHAPTER):  # in reading order
            here = tuple(in_chapter)
            blocks, block_words, words_before = (
                chapters[c].blocks,
                chapters[c].block_words,
                before[c],
            )
            for scene in {bisect_right(breaks[c], mention.block) for mention in here}:
                present.setdefault((c, scene), set()).add(number)
            # How far into the anthology each mention falls, 0 to 1, measured in words.
            found += [
                min(
                    1.0,
                    (words_before[b] + block_words[b] * start / max(1, len(blocks[b].plain)))
                    / total_words,
                )
                for _, b, start, _, _ in here
            ]
            telling = (m for m in here if _says_more(blocks[m.block].plain, m))
            first = tuple(islice(telling, QUOTED_PER_CHAPTER))
            make = partial(_quotes, blocks, first)
            slot = (character.slug, c)
            quotes += make() if cache is None else cache.get(slot, (first, blocks), make)
        positions.append(tuple(found))
        quoted.append(tuple(quotes))
    shared: list[Counter[int]] = [Counter() for _ in index.characters]
    for cast in present.values():
        for one in cast:
            shared[one].update(other for other in cast if other != one)

    links = []
    for number in range(len(index.characters)):
        companions = sorted(shared[number].items(), key=lambda item: (-item[1], item[0]))
        links.append(
            CharacterLinks(
                quotes=quoted[number],
                companions=tuple(Companion(other, count) for other, count in companions),
                positions=positions[number],
            )
        )
    return tuple(links)


def _says_more(text: str, mention: Mention) -> bool:
    """Whether the paragraph of `mention` says more than the name: one that is only "Celine."
    quotes nothing, and its mention is listed by number instead."""
    return any(c.isalpha() for c in text[: mention.start]) or any(
        c.isalpha() for c in text[mention.end :]
    )


def _quotes(blocks: tuple[Block, ...], mentions: tuple[Mention, ...]) -> tuple[Quote, ...]:
    """The sentence around each of `mentions`, in a chapter of `blocks`."""
    return tuple(Quote(m, *quote(blocks[m.block].plain, m.start, m.end)) for m in mentions)
