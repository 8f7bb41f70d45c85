"""A chapter's blocks as (X)HTML, shared by the website and the EPUB.

Every character of manuscript text passes through `escape`, so nothing a manuscript says can
become markup. The output is well-formed XML as well as HTML, so the EPUB's XHTML uses it too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..manuscript import (
    Block,
    Code,
    CodeBlock,
    Heading,
    Inline,
    Paragraph,
    SceneBreak,
    Text,
)
from ..model import Anthology, Character, Mention


@dataclass(frozen=True)
class MentionMark:
    """How one mention is shown: an anchor id, and a link for the first in its chapter."""

    mention: Mention
    href: str | None
    title: str


def _mark_open(mark: MentionMark, first_piece: bool) -> str:
    anchor = f' id="{mark.mention.anchor}"' if first_piece else ""
    if mark.href:
        return (
            f'<a class="mention"{anchor} href="{escape(mark.href)}" title="{escape(mark.title)}">'
        )
    return f'<span class="mention"{anchor}>'


def _mark_close(mark: MentionMark) -> str:
    return "</a>" if mark.href else "</span>"


def _text_with_marks(text: str, start: int, marks: list[MentionMark], opened: set[int]) -> str:
    """Escape `text` (which begins at `start` in the block's plain text), wrapping mentions."""
    end = start + len(text)
    out: list[str] = []
    cursor = start
    for index, mark in enumerate(marks):
        m = mark.mention
        if m.end <= start or m.start >= end:
            continue
        piece_start, piece_end = max(m.start, start), min(m.end, end)
        out.append(escape(text[cursor - start : piece_start - start]))
        out.append(_mark_open(mark, index not in opened))
        opened.add(index)
        out.append(escape(text[piece_start - start : piece_end - start]))
        out.append(_mark_close(mark))
        cursor = piece_end
    out.append(escape(text[cursor - start :]))
    return "".join(out)


def render_inlines(inlines: Iterable[Inline], marks: list[MentionMark] | None = None) -> Markup:
    marks = marks or []
    opened: set[int] = set()
    position = 0

    def walk(nodes: Iterable[Inline]) -> str:
        nonlocal position
        out: list[str] = []
        for node in nodes:
            if isinstance(node, Text):
                out.append(_text_with_marks(node.text, position, marks, opened))
                position += len(node.text)
            elif isinstance(node, Code):
                out.append(f"<code>{escape(node.text)}</code>")
                position += len(node.text)
            else:
                tag = "strong" if node.strong else "em"
                out.append(f"<{tag}>{walk(node.children)}</{tag}>")
        return "".join(out)

    return Markup(walk(inlines))


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


MarksFor = Callable[[int], list[MentionMark]]


def mention_marks(
    anthology: Anthology, position: int, href_for: Callable[[Character], str] | None = None
) -> MarksFor:
    """The character mentions in chapter `position`, grouped by block, each with its anchor.

    With `href_for`, the first mention of each character links to `href_for(character)` (the
    site links it to the character's page); without it, every mention is an anchor only, for
    an index elsewhere to link to.
    """
    characters = anthology.characters.characters
    by_block: dict[int, list[MentionMark]] = {}
    linked: set[int] = set()
    for number, mention in anthology.links[position].mentions:
        character = characters[number]
        href = None if href_for is None or number in linked else href_for(character)
        linked.add(number)
        by_block.setdefault(mention.block, []).append(
            MentionMark(mention, href, f"{character.name}: every appearance")
        )
    return lambda block: by_block.get(block, [])


def render_blocks(
    blocks: tuple[Block, ...], marks_for: MarksFor, *, xhtml: bool = False, heading_level: int = 2
) -> Markup:
    """All blocks of a chapter; `marks_for(block_index)` gives the mentions inside that block.

    `xhtml` closes void elements (`<hr/>`), as the EPUB's XML needs and HTML does not want.
    """
    out: list[str] = []
    for index, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            out.append(f"<p>{render_inlines(block.inlines, marks_for(index))}</p>")
        elif isinstance(block, Heading):
            level = heading_level
            out.append(f"<h{level}>{render_inlines(block.inlines, marks_for(index))}</h{level}>")
        elif isinstance(block, SceneBreak):
            out.append('<hr class="scene-break"/>' if xhtml else '<hr class="scene-break">')
        elif isinstance(block, CodeBlock):
            out.append(_highlight(block))
    return Markup("\n".join(out))
