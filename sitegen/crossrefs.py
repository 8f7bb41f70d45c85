"""Cross-chapter analysis, computed once after the character index: who appears where.

For chapters: previous/next, who appears in each, and which other chapters share a character.
For characters: the sentence around every mention, who they share scenes with, and where in
the anthology each mention falls. Renderers only read these values.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator
from functools import partial
from itertools import accumulate, chain, islice, product, repeat
from operator import add, itemgetter, truediv
from typing import TYPE_CHECKING, NamedTuple

from .memo import recall, recall_whole
from .model import (
    Chapter,
    ChapterLinks,
    Character,
    CharacterIndex,
    CharacterLinks,
    Companion,
    Mention,
    Quote,
    SceneBreak,
    SharedChapter,
)

if TYPE_CHECKING:
    from .memo import Memo

SHARED_LIMIT = 12  # "also appearing elsewhere": the chapters sharing the most characters
QUOTE_LIMIT = 220  # characters of context around a mention, at most
QUOTED_PER_CHAPTER = 3  # a character's first mentions in each chapter are quoted in context
# (those whose paragraph says more than the name: see `_says_more`)
SENTENCE_END = re.compile(r"[.!?\u2026][\u201d\u2019)\]]*\s+")
OPENING_QUOTE, CLOSING_QUOTE = "\u201c", "\u201d"
_CHARACTER, _MENTION = itemgetter(0), itemgetter(1)  # of a (character, mention) pair


def link_chapters(
    chapters: tuple[Chapter, ...],
    index: CharacterIndex,
    cache: Memo[ChapterLinks] | None = None,
) -> tuple[ChapterLinks, ...]:
    """Previous/next, who appears where, and shared characters, computed once for every chapter.

    "Also appearing elsewhere" ranks the other chapters by how many characters they share,
    then by how near they are. Each character contributes only the SHARED_LIMIT chapters on
    either side where they appear, so a character in every chapter costs the same per chapter
    as one in two, and a chapter page stays the same size however long the anthology grows.
    With a `cache` (kept by `serve`), a chapter whose mentions and nearby appearances are as
    before is not linked again.
    """
    # Each chapter's cast: who is named in it, and where, in the order they are first named.
    casts: list[list[tuple[int, tuple[Mention, ...]]]] = [[] for _ in chapters]
    for number, character in enumerate(index.characters):
        for here in character.mentions_by_chapter:
            casts[here[0].chapter].append((number, here))
    appearances = [c.chapter_indexes for c in index.characters]  # ascending chapter indexes
    links: list[ChapterLinks] = []
    for position, cast in enumerate(casts):
        cast.sort(key=_first_named)
        nearby = tuple(_nearby(appearances[character], position) for character, _ in cast)
        here = tuple(cast)
        make = partial(_chapter_links, position, len(chapters), here, nearby)
        inputs = (position, len(chapters), here, nearby)
        links.append(recall(cache, chapters[position].slug, inputs, make))
    return tuple(links)


def _first_named(named: tuple[int, tuple[Mention, ...]]) -> Mention:
    return named[1][0]


def _nearby(appearances: tuple[int, ...], position: int) -> tuple[int, ...]:
    """The SHARED_LIMIT chapters on either side of `position` among the ascending
    `appearances` of a character who appears there."""
    at = bisect_left(appearances, position)
    return appearances[max(0, at - SHARED_LIMIT) : at] + appearances[at + 1 : at + 1 + SHARED_LIMIT]


def _chapter_links(
    position: int,
    count: int,
    cast: tuple[tuple[int, tuple[Mention, ...]], ...],
    nearby: tuple[tuple[int, ...], ...],
) -> ChapterLinks:
    """The links of the chapter at `position` of `count`, whose `cast` are the characters
    named in it with their mentions, in the order first named (see `link_chapters`)."""
    present = tuple(map(_CHARACTER, cast))
    found = sorted(((number, m) for number, named in cast for m in named), key=_MENTION)
    together: dict[int, list[int]] = {}
    for character, others in zip(present, nearby, strict=True):
        for other in others:
            together.setdefault(other, []).append(character)
    ranked = sorted(
        together.items(), key=lambda item: (-len(item[1]), abs(item[0] - position), item[0])
    )[:SHARED_LIMIT]
    return ChapterLinks(
        previous=position - 1 if position > 0 else None,
        next=position + 1 if position + 1 < count else None,
        characters=present,
        shared=tuple(SharedChapter(other, tuple(chars)) for other, chars in sorted(ranked)),
        mentions=tuple(found),  # a chapter's mentions never overlap: by block and start
    )


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


class InChapter(NamedTuple):
    """What one character's mentions in one chapter add to their links: it depends on that
    chapter's text and those mentions alone, so `serve` keeps it while they are as before."""

    # How many words into the chapter each mention falls: the words of the blocks before
    # its block, and how far into its own block (kept apart, added to the chapter's start
    # in this order, so that positions come out the same to the last digit however made).
    blocks_before: tuple[int, ...]
    within: tuple[float, ...]
    scenes: tuple[int, ...]  # the chapter's scenes (0 before its first break) they are in
    quotes: tuple[Quote, ...]  # the first mentions that say more than the name, quoted


def in_chapter(
    chapter: Chapter, layout: tuple[list[int], list[int]], here: tuple[Mention, ...]
) -> InChapter:
    """One character's part in one `chapter`, from their mentions in it (`here`); `layout` is
    the chapter's `words_before` blocks and `scene_breaks`, made once for all its characters."""
    blocks, block_words = chapter.blocks, chapter.block_words
    before, breaks = layout
    telling = (m for m in here if _says_more(blocks[m.block].plain, m))
    return InChapter(
        blocks_before=tuple(before[m.block] for m in here),
        within=tuple(
            block_words[b] * start / max(1, len(blocks[b].plain)) for _, b, start, _, _ in here
        ),
        scenes=tuple(sorted({bisect_right(breaks, m.block) for m in here})),
        quotes=tuple(
            Quote(m, *quote(blocks[m.block].plain, m.start, m.end))
            for m in islice(telling, QUOTED_PER_CHAPTER)
        ),
    )


def layout(chapter: Chapter) -> tuple[list[int], list[int]]:
    """The words before each block of `chapter`, and its scene breaks (see `in_chapter`)."""
    return list(accumulate(chapter.block_words, initial=0)), scene_breaks(chapter)


def link_characters(
    chapters: tuple[Chapter, ...],
    index: CharacterIndex,
    cache: Memo[InChapter] | None = None,
    by_character: Memo[tuple[InChapter, ...]] | None = None,
) -> tuple[CharacterLinks, ...]:
    """Quotes, scene companions and anthology positions for every character, in one pass over
    each character's chapters (see `in_chapter`). With a `cache`, kept by `serve`, a chapter
    whose text and mentions are as before is not looked at again; with `by_character` too, a
    character whose every chapter is as before keeps all their parts in one comparison."""
    total_words = sum(c.words for c in chapters) or 1
    starts = list(accumulate((c.words for c in chapters), initial=0))  # words before each

    layouts: dict[int, tuple[list[int], list[int]]] = {}  # made once per chapter, when needed

    def part_of(c: int, here: tuple[Mention, ...]) -> InChapter:
        if c not in layouts:
            layouts[c] = layout(chapters[c])
        return in_chapter(chapters[c], layouts[c], here)

    def parts_of(character: Character) -> tuple[InChapter, ...]:
        parts = []
        for here in character.mentions_by_chapter:
            c = here[0].chapter
            make = partial(part_of, c, here)
            parts.append(recall(cache, (character.slug, c), (here, chapters[c].blocks), make))
        return tuple(parts)

    present: dict[tuple[int, int], list[int]] = {}  # (chapter, scene) -> who is in it
    positions: list[tuple[float, ...]] = []
    quoted: list[tuple[Quote, ...]] = []
    for number, character in enumerate(index.characters):
        found: list[float] = []
        quotes: list[Quote] = []
        blocks = tuple(chapters[c].blocks for c in character.chapter_indexes)
        inputs = (character.mentions_by_chapter, blocks)
        make, slots = partial(parts_of, character), partial(_part_slots, character)
        parts = recall_whole(by_character, cache, character.slug, inputs, make, slots)
        for c, part in zip(character.chapter_indexes, parts, strict=True):  # in reading order
            for scene in part.scenes:
                present.setdefault((c, scene), []).append(number)
            # How far into the anthology each mention falls, 0 to 1, measured in words:
            # (start + blocks_before + within) / total_words for each, computed in C.
            words = map(add, map(add, repeat(starts[c]), part.blocks_before), part.within)
            found += map(truediv, words, repeat(total_words))
            quotes += part.quotes
        positions.append(_at_most_one(found))
        quoted.append(tuple(quotes))
    # How many scenes each two characters share, counted in C over every scene's pairs.
    pairs: Counter[tuple[int, int]] = Counter(
        chain.from_iterable(map(product, present.values(), present.values()))
    )
    shared: list[dict[int, int]] = [{} for _ in index.characters]
    for (one, other), scenes in pairs.items():
        if one != other:
            shared[one][other] = scenes
    links = []
    for number, together in enumerate(shared):
        companions = sorted(together.items(), key=lambda item: (-item[1], item[0]))
        links.append(
            CharacterLinks(
                quotes=quoted[number],
                companions=tuple(Companion(other, count) for other, count in companions),
                positions=positions[number],
            )
        )
    return tuple(links)


def _part_slots(character: Character, _: object) -> Iterator[tuple[str, int]]:
    """The memo slots of a character's part in each chapter (see `link_characters`)."""
    return zip(repeat(character.slug), character.chapter_indexes)


def _at_most_one(positions: list[float]) -> tuple[float, ...]:
    """`positions`, none past 1. A mention's words before it are fewer than the anthology's,
    so none should be; they ascend, so only the last need be looked at (a `min` for each
    would double the time a thousand chapters' positions take)."""
    if positions and positions[-1] > 1.0:
        return tuple(min(1.0, position) for position in positions)
    return tuple(positions)


_LETTER = re.compile(r"[^\W\d_]")  # a letter, or a non-decimal number sign ("\u00bd")


def _has_letter(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` has a letter in it (`str.isalpha`), found in C."""
    while (found := _LETTER.search(text, start, end)) is not None:
        if found[0].isalpha():
            return True
        start = found.end()
    return False


def _says_more(text: str, mention: Mention) -> bool:
    """Whether the paragraph of `mention` says more than the name: one that is only "Celine."
    quotes nothing, and its mention is listed by number instead."""
    return _has_letter(text, 0, mention.start) or _has_letter(text, mention.end, len(text))
