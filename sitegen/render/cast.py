"""Typed views of the character index for the site's templates, and `characters.json`.

Everything here reads the Anthology's analysis (characters, character_links) and only shapes
it for a page: which letter a name files under, which quotes to show, what a link points at.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from functools import partial
from html import escape
from typing import TYPE_CHECKING

from markupsafe import Markup

from ..memo import recall
from ..model import Anthology, Chapter, Character, Mention, Quote
from ..slugs import ascii_folded, collation_key
from .figures import GRAPH_LIMIT, Edge, Node, cooccurrence_svg

if TYPE_CHECKING:
    from ..memo import Memo


@dataclass(frozen=True)
class ChapterRef:
    """A chapter as a character page links to it."""

    number: int
    title: str
    url: str


@dataclass(frozen=True)
class CastEntry:
    """One character as the Characters page lists them."""

    name: str
    url: str
    aliases: tuple[str, ...]
    chapters: tuple[ChapterRef, ...]
    mentions: int
    letter: str


@dataclass(frozen=True)
class LetterGroup:
    """The characters whose names start with one letter, on the Characters page."""

    letter: str
    anchor: str
    entries: tuple[CastEntry, ...]


@dataclass(frozen=True)
class Pairing:
    """Another character someone shares scenes with."""

    name: str
    url: str
    scenes: int


@dataclass(frozen=True)
class GraphView:
    """The figure of who shares scenes with whom, and the table that says it in words."""

    svg: Markup
    rows: tuple[tuple[CastEntry, tuple[Pairing, ...]], ...]
    drawn: int  # how many characters the figure shows (the table shows all)


@dataclass(frozen=True)
class QuoteView:
    """A sentence that names a character, with the name set apart and linked."""

    before: str
    name: str
    after: str
    href: str
    number: int  # 1-based, the mention's place in its chapter


@dataclass(frozen=True)
class Appearance:
    """One chapter a character appears in, as their page shows it."""

    chapter: ChapterRef
    mentions: int
    quotes: tuple[QuoteView, ...]  # the first mentions, quoted in context
    more_links: Markup  # the rest: "4 5 6", each number a link to one mention


@dataclass(frozen=True)
class CharacterView:
    """Everything a character's page shows."""

    name: str
    aliases: tuple[str, ...]
    description: str
    mentions: int
    appearances: tuple[Appearance, ...]
    companions: tuple[Pairing, ...]
    strip: Markup


def other_names(character: Character) -> tuple[str, ...]:
    return tuple(a for a in character.aliases if a != character.name)


def filing_letter(name: str) -> str:
    """The letter a name files under: "Élodie" under E, "Łukasz" under L, "Ægir" under A;
    digits, symbols and other scripts under #."""
    first = ascii_folded(name[:1])[:1].upper()
    return first if first and first in string.ascii_uppercase else "#"


def cast_view(anthology: Anthology, page) -> tuple[CastEntry, ...]:
    chapters = anthology.chapters
    refs: dict[int, ChapterRef] = {}  # each chapter's, made once for all its characters

    def ref(i: int) -> ChapterRef:
        if i not in refs:
            refs[i] = ChapterRef(chapters[i].number, chapters[i].title, page.url(chapters[i].url))
        return refs[i]

    return tuple(
        CastEntry(
            name=c.name,
            url=page.url(c.url),
            aliases=other_names(c),
            chapters=tuple(map(ref, c.chapter_indexes)),
            mentions=len(c.mentions),
            letter=filing_letter(c.name),
        )
        for c in anthology.characters.characters
    )


def letter_groups(cast: tuple[CastEntry, ...]) -> tuple[LetterGroup, ...]:
    """A to Z (and # when needed), each with its characters; a letter may have none."""
    letters = list(string.ascii_uppercase) + (["#"] if any(e.letter == "#" for e in cast) else [])
    return tuple(
        LetterGroup(
            letter,
            "letter-" + ("other" if letter == "#" else letter.lower()),
            tuple(e for e in cast if e.letter == letter),
        )
        for letter in letters
    )


def graph_view(anthology: Anthology, cast: tuple[CastEntry, ...]) -> GraphView:
    links = anthology.character_links
    ranked = sorted(range(len(cast)), key=lambda i: (-cast[i].mentions, cast[i].name))
    # Around the circle in order of first appearance, so each story's cast sits together
    # and most lines stay short. A character the config adds but the text never names has
    # no place in it (the table lists them).
    people = anthology.characters.characters
    named = [i for i in ranked[:GRAPH_LIMIT] if people[i].mentions]
    drawn = sorted(named, key=lambda i: (people[i].mentions[0].chapter, i))
    place = {number: position for position, number in enumerate(drawn)}
    nodes = [Node(cast[i].name, cast[i].url, cast[i].mentions) for i in drawn]
    edges = [
        Edge(place[i], place[c.character], c.scenes)
        for i in drawn
        for c in links[i].companions
        if c.character in place and i < c.character
    ]
    rows = tuple(
        (
            entry,
            tuple(
                Pairing(cast[c.character].name, cast[c.character].url, c.scenes)
                for c in links[i].companions
            ),
        )
        for i, entry in enumerate(cast)
    )
    return GraphView(cooccurrence_svg(nodes, edges, figure_id="cast"), rows, len(drawn))


def chapter_starts(chapters: tuple[Chapter, ...]) -> tuple[float, ...]:
    """Where each chapter begins in the anthology, 0 to 1, measured in words."""
    total = sum(c.words for c in chapters) or 1
    starts, running = [], 0
    for chapter in chapters:
        starts.append(running / total)
        running += chapter.words
    return tuple(starts)


def character_view(anthology: Anthology, number: int, page, strip: Markup) -> CharacterView:
    """A character's page, with their `strip` (see `figures.strip_svg`)."""
    character = anthology.characters.characters[number]
    links = anthology.character_links[number]
    chapters = anthology.chapters
    # Keyed by chapter and anchor, unique together: cheaper to hash than the Mention.
    quotes = {(q.mention.chapter, q.mention.anchor): q for q in links.quotes}
    appearances = tuple(
        appearance(
            ChapterRef(chapters[i].number, chapters[i].title, page.url(chapters[i].url)),
            mentions,
            quotes,
        )
        for i, mentions in zip(
            character.chapter_indexes, character.mentions_by_chapter, strict=True
        )
    )
    everyone = anthology.characters.characters
    companions = tuple(
        Pairing(everyone[c.character].name, page.url(everyone[c.character].url), c.scenes)
        for c in links.companions
    )
    return CharacterView(
        name=character.name,
        aliases=other_names(character),
        description=character.description,
        mentions=len(character.mentions),
        appearances=appearances,
        companions=companions,
        strip=strip,
    )


def appearance(
    chapter: ChapterRef, mentions: tuple[Mention, ...], quotes: dict[tuple[int, str], Quote]
) -> Appearance:
    """One chapter's `mentions` of a character: those in `quotes` quoted in context, the rest
    as numbered links, built here rather than in a template loop: a character in every
    chapter of a long anthology has tens of thousands."""
    quoted: list[QuoteView] = []
    more: list[str] = []
    story = escape(chapter.title)
    for place, m in enumerate(mentions, start=1):
        href = f"{chapter.url}#{m.anchor}"
        if (q := quotes.get((m.chapter, m.anchor))) is not None:
            quoted.append(QuoteView(q.before, q.name, q.after, href, place))
        else:
            # Named with the story: a screen reader's list of links shows each apart.
            label = f"{story}, mention {place}"
            more.append(f'<a href="{escape(href)}" aria-label="{label}">{place}</a>')
    return Appearance(chapter, len(mentions), tuple(quoted), Markup(" ".join(more)))


def characters_json(anthology: Anthology, cache: Memo[bytes] | None = None) -> bytes:
    """The index for other tools, in the shape DESIGN.md documents; sorted by name. With a
    `cache` (`serve`'s), a character's line is made again only when they, or the chapters'
    slugs and files, changed."""
    chapters = anthology.chapters
    files = tuple((chapter.slug, chapter.source_name) for chapter in chapters)
    lines = []
    for character in sorted(anthology.characters.characters, key=lambda c: collation_key(c.name)):
        make = partial(_character_line, character, files)
        slot = ("characters.json", character.slug)
        lines.append(recall(cache, slot, (character, files), make))
    return b"[\n" + b",\n".join(lines) + b"\n]\n" if lines else b"[]\n"


def _character_line(character: Character, files: tuple[tuple[str, str], ...]) -> bytes:
    """One character's entry in characters.json, on a line of its own: readable, and made
    by json's C encoder (an indented dump is made in Python, a tenth of the render stage for
    a long anthology). `files` are each chapter's slug and manuscript."""
    entry = {
        "name": character.name,
        "slug": character.slug,
        "aliases": list(character.aliases),
        "appearances": [
            {
                "chapter": files[here[0].chapter][0],
                "source": files[here[0].chapter][1],
                "mentions": len(here),
                "first_block": here[0].block,
            }
            for here in character.mentions_by_chapter
        ],
        "url": character.url,
    }
    return json.dumps(entry, ensure_ascii=False).encode()
