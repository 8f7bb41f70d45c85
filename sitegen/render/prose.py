"""A chapter's text as markup, rendered once and shared by the website and the EPUB.

Every character of manuscript text passes through `escape`, so nothing a manuscript says can
become markup. The output is well-formed XML as well as HTML. The site and the book differ in
only two places, left as slots that `ChapterText.markup` fills: where a character's first
mention in the chapter links to (the character's page, or their entry in the book's index),
and how a scene break closes (`<hr>` in HTML, `<hr/>` in XHTML).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from operator import itemgetter
from typing import TYPE_CHECKING

from markupsafe import Markup

from ..model import (
    Anthology,
    Block,
    CodeBlock,
    Emphasis,
    Heading,
    Inline,
    Paragraph,
    SceneBreak,
    Text,
)

if TYPE_CHECKING:
    from ..memo import Memo

XHTML_BREAK = '<hr class="scene-break"/>'
HTML_BREAK = '<hr class="scene-break">'


MentionMark = tuple[int, int, str, int, str | None]
"""One mention as the text shows it, (start, end, anchor, character, link title): where it is
in its block's plain text, its anchor, the index of the character it names, and on the
character's first mention in the chapter the title of the link out (else None). A plain
tuple, the cheapest record to make and to pickle (see `render.stage`): a long anthology has
tens of thousands."""


@dataclass(frozen=True)
class ChapterText:
    """A chapter's text as markup, with slots for the links only a page can fill."""

    # Escaped markup, as UTF-8: held for every chapter until its page is made, and sent
    # between processes, where a str of a text with one curly quote in it takes two or four
    # bytes a letter. The slots below are empty.
    pieces: tuple[bytes, ...]
    links: tuple[tuple[int, int], ...]  # (piece, character) where a first mention's href goes
    breaks: tuple[int, ...]  # pieces that are scene breaks

    def markup(self, href_for: Callable[[int], str], *, xhtml: bool) -> Markup:
        """The chapter's text, each first mention linking to `href_for(character)`."""
        pieces = list(self.pieces)
        for at, character in self.links:
            pieces[at] = _utf8(escape(href_for(character)))
        if not xhtml:
            for at in self.breaks:
                pieces[at] = _utf8(HTML_BREAK)
        # As it was written, whatever it holds: `epub.xml_bytes` deals with what XML cannot.
        return Markup(b"".join(pieces).decode("utf-8", "surrogatepass"))


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class _Writer:
    """Collects a chapter's pieces and remembers where its slots are."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.links: list[tuple[int, int]] = []
        self.breaks: list[int] = []

    def text(self, text: str, start: int, marks: Sequence[MentionMark], opened: set[int]) -> None:
        """Escaped `text` (which begins at `start` in its block's plain text), with the mentions
        inside it wrapped; a mention split by markup keeps its anchor on the first piece."""
        pieces = self.pieces
        if not marks:  # most text names no one
            pieces.append(escape(text, quote=False))
            return
        cursor, end = start, start + len(text)
        # Marks are in text order and never overlap, so their ends are in order too: the first
        # that ends after `start` is found by bisection, and a long paragraph with many runs of
        # text and many mentions costs no more per run than a short one.
        first = bisect_right(marks, start, key=itemgetter(1))
        for index in range(first, len(marks)):
            mark_start, mark_end, anchor, character, title = marks[index]
            if mark_start >= end:
                break
            piece_start, piece_end = max(mark_start, start), min(mark_end, end)
            pieces.append(escape(text[cursor - start : piece_start - start], quote=False))
            self.open(anchor if index not in opened else None, character, title)
            opened.add(index)
            pieces.append(escape(text[piece_start - start : piece_end - start], quote=False))
            pieces.append("</span>" if title is None else "</a>")
            cursor = piece_end
        pieces.append(escape(text[cursor - start :], quote=False))

    def open(self, anchor: str | None, character: int, title: str | None) -> None:
        """The start of a mention; its `anchor` only on its first piece (else None)."""
        given = f' id="{anchor}"' if anchor is not None else ""
        if title is None:
            self.pieces.append(f'<span class="mention"{given}>')
            return
        self.pieces.append(f'<a class="mention"{given} href="')
        self.links.append((len(self.pieces), character))
        self.pieces.append("")
        self.pieces.append(f'" title="{escape(title)}">')

    def inlines(
        self,
        nodes: tuple[Inline, ...],
        marks: Sequence[MentionMark],
        opened: set[int],
        position: int = 0,
    ) -> int:
        """Writes `nodes`, which begin at `position` in their block's plain text, and returns
        where they end; `marks` are the block's mentions, `opened` those already begun."""
        for node in nodes:
            if isinstance(node, Text):
                self.text(node.text, position, marks, opened)
                position += len(node.text)
            elif isinstance(node, Emphasis):
                tag = "strong" if node.strong else "em"
                self.pieces.append(f"<{tag}>")
                position = self.inlines(node.children, marks, opened, position)
                self.pieces.append(f"</{tag}>")
            else:  # a name in code is still a mention to link to
                self.pieces.append("<code>")
                self.text(node.text, position, marks, opened)
                self.pieces.append("</code>")
                position += len(node.text)
        return position

    def scene_break(self) -> None:
        self.breaks.append(len(self.pieces))
        self.pieces.append(XHTML_BREAK)

    def done(self) -> ChapterText:
        """The pieces between slots joined into one each: a chapter keeps a few dozen, not one
        per word run, while the site and the book both need it."""
        slots = sorted([at for at, _ in self.links] + self.breaks)
        pieces: list[bytes] = []
        moved: dict[int, int] = {}
        start = 0
        for at in slots:
            pieces.append(_utf8("".join(self.pieces[start:at])))
            moved[at] = len(pieces)
            pieces.append(_utf8(self.pieces[at]))
            start = at + 1
        pieces.append(_utf8("".join(self.pieces[start:])))
        return ChapterText(
            tuple(pieces),
            tuple((moved[at], character) for at, character in self.links),
            tuple(moved[at] for at in self.breaks),
        )


def _highlight(block: CodeBlock) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(block.language) if block.language else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    return highlight(block.code, lexer, HtmlFormatter(cssclass="highlight", wrapcode=True))


def mention_marks(anthology: Anthology, position: int) -> dict[int, list[MentionMark]]:
    """The character mentions in chapter `position`, grouped by block; the first mention of
    each character in the chapter links out."""
    characters = anthology.characters.characters
    by_block: dict[int, list[MentionMark]] = {}
    linked: set[int] = set()
    for number, mention in anthology.links[position].mentions:
        title = None
        if number not in linked:
            title = f"{characters[number].name}: every appearance"
            linked.add(number)
        mark = (mention.start, mention.end, mention.anchor, number, title)
        by_block.setdefault(mention.block, []).append(mark)
    return by_block


def render_blocks(
    blocks: tuple[Block, ...], marks: Mapping[int, Sequence[MentionMark]]
) -> ChapterText:
    """All blocks of a chapter; `marks[block_index]` are the mentions inside that block."""
    out = _Writer()
    for index, block in enumerate(blocks):
        if index:
            out.pieces.append("\n")
        if isinstance(block, Paragraph):
            out.pieces.append("<p>")
            out.inlines(block.inlines, marks.get(index, ()), set())
            out.pieces.append("</p>")
        elif isinstance(block, Heading):
            out.pieces.append("<h2>")
            out.inlines(block.inlines, marks.get(index, ()), set())
            out.pieces.append("</h2>")
        elif isinstance(block, SceneBreak):
            out.scene_break()
        elif isinstance(block, CodeBlock):
            out.pieces.append(_highlight(block))
    return out.done()


class ChapterTexts:
    """Each chapter's text, rendered the first time a renderer asks for it, then shared.

    With `cache` (`serve`), a chapter whose blocks, mentions and mentioned names are the same
    as in the last build is not rendered again. Texts being rendered elsewhere (by the build's
    helper process) are waited for when first asked for, see `expect`.
    """

    def __init__(self, anthology: Anthology, cache: Memo[ChapterText] | None = None) -> None:
        self.anthology = anthology
        self.cache = cache
        self.made: dict[int, ChapterText] = {}
        self.expected: frozenset[int] = frozenset()
        self.arriving: Callable[[], Mapping[int, ChapterText]] = dict

    def expect(
        self, positions: Collection[int], arriving: Callable[[], Mapping[int, ChapterText]]
    ) -> None:
        """The texts of the chapters at `positions` are being made elsewhere: `arriving()`
        waits for them, and is called only if one of them is asked for."""
        self.expected, self.arriving = frozenset(positions), arriving

    def provide(self, made: Mapping[int, ChapterText]) -> None:
        """Texts made elsewhere."""
        self.made.update(made)

    def take(self, position: int) -> ChapterText:
        """The text, for the last renderer to need it: it is let go here (a long anthology's
        texts add up to a tenth of the build's memory)."""
        text = self[position]
        del self.made[position]
        return text

    def __getitem__(self, position: int) -> ChapterText:
        if position not in self.made and position in self.expected:
            self.provide(self.arriving())
            self.expected, self.arriving = frozenset(), dict
        if position not in self.made:
            chapter = self.anthology.chapters[position]
            links = self.anthology.links[position]

            def make() -> ChapterText:
                return render_blocks(chapter.blocks, mention_marks(self.anthology, position))

            if self.cache is None:
                self.made[position] = make()
            else:
                people = self.anthology.characters.characters
                names = tuple(people[i].name for i in links.characters)
                inputs = (chapter.blocks, links.mentions, names)
                self.made[position] = self.cache.get(chapter.slug, inputs, make)
        return self.made[position]
