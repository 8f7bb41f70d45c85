"""A manuscript's text as typed blocks, with its flaws found and reported, never hidden.

One paragraph per line. Blank lines are ignored. A line of `---`, `***`, `* * *` or `#` is a
scene break. `*emphasis*`, `_emphasis_` and `**strong**` are inline markup, parsed by
markdown-it-py with raw HTML off, so a `<script>` in a manuscript is only ever text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from .errors import Diagnostic, warning
from .model import (
    Block,
    Code,
    CodeBlock,
    Emphasis,
    Heading,
    Inline,
    Paragraph,
    SceneBreak,
    Text,
    plain_text,
)
from .sources import Line, Source
from .typography import smarten

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline


@dataclass(frozen=True, slots=True)
class Manuscript:
    """One manuscript parsed: its title and author, if it gives them, and its blocks."""

    source: Source
    title: str | None
    title_line: int | None  # where the title is written: front matter, or a `# Title` line
    author: str | None
    blocks: tuple[Block, ...]
    diagnostics: tuple[Diagnostic, ...]


# A line of only `*` is a break whatever the count: a lone `*` is a common one, and emphasis
# of nothing means nothing.
SCENE_BREAK = re.compile(r"^\s*(?:(?:-\s*){3,}|(?:\*\s*)+|(?:_\s*){3,}|(?:~\s*){3,}|#|⁂)\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)(?:\s+#+)?\s*$")
# A fence: three backticks (or tildes) or more, then what CommonMark calls its info string,
# whose first word names the language (`c#`, `vb.net`). A backtick fence's holds no backtick:
# a line that goes on ("```ACCESS DENIED``` flashed") is prose, its backticks a code span.
FENCE = re.compile(r"^(`{3,}(?!.*`)|~{3,})(.*)$")
# A line "closes" when it ends in sentence punctuation, a quote, a dash or markup.
CLOSING = frozenset(".!?\u2026\"'\u201d\u2019)]:;\u2014\u2013*_`-")
MARKERS = frozenset("`~-*_#\u2042")

# What a chatbot says to its user, as opposed to what a narrator says to a reader. A chatbot
# speaks of its writing ("the next part", "the story"); a narrator's "Of course, here's the
# thing about grief" or "Let me know if you ever come back" does not.
_WRITING = r"(?:story|chapter|continu|next part|part two|scene|version|draft|rewrit|sequel|ending)"
CHATBOT_PHRASES = re.compile(
    r"^[*_]*(?:"
    r"would you like me to|do you want me to|want me to (?:continue|write|keep)|"
    r"shall i (?:continue|write|go on|keep)|should i (?:continue|write|go on|keep)|"
    r"let me know (?:if|whether|what|how)\b.*\b(?:you(?:['\u2019]d| would) like|you want|"
    r"chang|adjust|tweak|edit|expand|more|feedback|" + _WRITING + r")|"
    # Not "Let me know what you think of the new bridge": of nothing, or of the writing.
    r"let me know what you think(?: of (?:it|this|that))?[\s!.?*_]*$|"
    r"feel free to (?:ask|let me)|"
    r"(?:sure|certainly|absolutely|of course)[!,.]?\s+(?:here['\u2019]s|here is)\s+"
    r"(?:the|a|an|your)\b.*\b(?:next|revised|" + _WRITING + r")|"
    # "Sure, I can tell you about the war" is a narrator's; a chatbot offers its writing.
    r"(?:sure|certainly|absolutely|of course)[!,.]?\s+(?:i['\u2019]ll|i will|i can)\b.*"
    r"\b" + _WRITING + r"|"
    r"here(?:['\u2019]s| is) (?:the|a|your) (?:next|continuation|revised|rewritten)|"
    # Not "Here is your key": "your" writing.
    r"here(?:['\u2019]s| is) your (?:\w+ )?" + _WRITING + r"|"
    # A preamble to the story below it, not "Here is the story of how I lost my hand." (The
    # colon at its end is looked for first: else each "story" of a long paragraph is tried.)
    r"here(?:['\u2019]s| is) (?:the|a|an) (?=[^.!?]*:[\s*_]*$)"
    r"[^.!?]*\b(?:story|chapter|part|tale)\b[^.!?]*:[\s*_]*$|"
    r"i hope you (?:enjoy|enjoyed|like|liked) (?:it\b|(?:this|the|reading)\b.*\b" + _WRITING + r")|"
    # Of its writing, or of the reader's wish: not "I can write with my left hand now".
    r"as an ai\b|i can (?:also )?(?:continue|write|expand)\b(?=.*\b(?:if you|" + _WRITING + r"))|"
    r"if you(?:['\u2019]d| would) like,? i can"
    r")",
    re.IGNORECASE,
)
# What a chatbot writes about the story it is writing, at its end: a teaser for the next part,
# in the voice of a blurb, not of the story ("The tension builds as Kei carries Nyra back").
CHATBOT_TEASERS = re.compile(
    r"^[*_]*(?:"
    r"the (?:tension|suspense|stakes|danger) (?:builds|rises|mounts|grows|deepens|escalates)|"
    r"little do (?:they|he|she|we) know|"
    # Alone, or of the next part: not "To be continued, the last page said".
    r"(?:to be continued|stay tuned)(?=[\s.!?\u2026*_]*$|\s+(?:in|for|with)\b)|"
    # Of the next part: not "In the next chapter of her life".
    r"in the next (?:chapter|part|installment|episode)"
    r"(?=\s*[,:\u2014]|\s+(?:we|you)\b|[\s.!?\u2026*_]*$)"
    r")\b",
    re.IGNORECASE,
)
# Words someone in the story says or writes, whatever they say: "Stay tuned for more, the
# radio said", "Let me know if you ever come back, she had written".
ATTRIBUTED = re.compile(
    r"[,\u2014]\s*(?:he|she|they|I|we|you|it|[A-Z][\w'\u2019-]*|the \w+|(?:his|her|their|my|"
    r"our) \w+)\s+(?:had |has |would )?(?:said|says|wrote|writes|written|told|tells|asked|asks|"
    r"added|adds|replied|replies|whispered|called|shouted|murmured|read|reads|thought|thinks|"
    r"answered|answers|muttered|mutters|sighed|cried|yelled|begged|promised|repeated)\b"
)


def _is_chatbots(text: str, *, teaser: bool) -> bool:
    """Whether a paragraph is a chatbot's to its user (or, where a `teaser` may be, its blurb
    for the next part), not the story's."""
    said = CHATBOT_PHRASES.match(text) or (teaser and CHATBOT_TEASERS.match(text))
    return bool(said) and not ATTRIBUTED.search(text)


VERBATIM = re.compile(
    r"(`+[^`]*`+"  # a code span
    # A web address, without the punctuation or closing markup that follows it in a sentence.
    r"|(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]'\u2019\u201d*_]"
    # An email address: no markup around it is part of it (a host name has no `_` in it).
    # Its name before the @ is at most 64 characters, as mail's own rules have it: unbounded,
    # a long run of letters with an @ after it took time growing with its length squared.
    r"|[^\W_][\w.+-]{0,63}@[^\W_](?:[^\W_]|-)*(?:\.[^\W_](?:[^\W_]|-)*)+)"
)
"""What typography and markup leave as written: `--` in a URL is no dash, `_drafts_` no
emphasis, and an address must still work when copied from the page."""
PLACEHOLDER = "\ue000"  # a private-use character: stands for a verbatim span while typesetting
MARKUP_CHARACTER = re.compile(r"[*_`\\]")


@cache
def _inline_parser() -> MarkdownIt:
    """markdown-it-py for emphasis and code spans, and nothing else. Loaded on first use: most
    paragraphs have no markup at all, and loading it is a tenth of a small build's time."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("zero").enable(["emphasis", "backticks", "escape"])
    parser.inline.ruler.at("escape", _escape)
    return parser


ESCAPABLE = frozenset("*_`\\")


def _escape(state: StateInline, silent: bool) -> bool:
    """A backslash before a markup character (`*`, `_`, a backtick, a backslash) shows that
    character as written, and is not shown. Anywhere else it is a backslash like any other
    character: a manuscript is text, and `\\$5`, `50\\%` or `C:\\Users` stay as written, where
    Markdown would drop the backslash before any punctuation."""
    src, at = state.src, state.pos
    if src[at] != "\\" or at + 1 >= state.posMax or src[at + 1] not in ESCAPABLE:
        return False
    if not silent:
        token = state.push("text_special", "", 0)
        token.content = src[at + 1]
        token.markup = src[at : at + 2]
        token.info = "escape"
    state.pos = at + 2
    return True


def _has_markup(text: str) -> bool:
    """Whether `text` holds a character of inline markup (`*`, `_`, a backtick or a backslash).

    Four `in` tests, each a C scan, take a fifth of the time of one regex search for the set;
    this runs on every paragraph, and most have no markup at all.
    """
    return "*" in text or "_" in text or "`" in text or "\\" in text


MAX_EMPHASIS_DEPTH = 8
"""Emphasis inside emphasis deeper than this is shown at this depth: no one nests it so, and
hundreds of levels would overflow the stack of every function that walks the tree."""


def parse_inline(raw: str) -> tuple[Inline, ...]:
    """Inline markup to a tree; text without markup characters skips the parser entirely."""
    if not _has_markup(raw):
        return (Text(raw),)
    root: list[Inline] = []
    stack: list[tuple[list[Inline], bool] | None] = []  # None: emphasis nested too deep
    current = root
    for token in _inline_parser().parseInline(raw)[0].children or ():
        if token.type in ("em_open", "strong_open"):
            if len(stack) >= MAX_EMPHASIS_DEPTH:
                stack.append(None)  # its words join the emphasis around them
                continue
            stack.append((current, token.type == "strong_open"))
            current = []
        elif token.type in ("em_close", "strong_close"):
            if (opened := stack.pop()) is None:
                continue
            parent, strong = opened
            parent.append(Emphasis(tuple(current), strong))
            current = parent
        elif token.type == "code_inline":
            current.append(Code(token.content))
        else:
            current.append(Text(token.content))
    return tuple(_merge_text(root))


def _merge_text(inlines: list[Inline]) -> list[Inline]:
    merged: list[Inline] = []
    for inline in inlines:
        if isinstance(inline, Text) and merged and isinstance(merged[-1], Text):
            merged[-1] = Text(merged[-1].text + inline.text)
        else:
            merged.append(inline)
    return merged


def _fence_end(lines: list[Line], start: int, fence: re.Match[str]) -> int | None:
    """The index of the line that closes a code fence opened just before `start`: a line of
    only the fence's character, as many times or more. An unclosed fence is not code, so a
    stray ``` can never swallow the rest of a story."""
    mark, length = fence.group(1)[0], len(fence.group(1))
    for index in range(start, len(lines)):
        text = lines[index].text.strip()
        if len(text) >= length and text == mark * len(text):
            return index
    return None


def _is_continuation(previous: str, line: str) -> bool:
    """The second half of a paragraph broken across two lines, as in a hard-wrapped paste."""
    return previous[-1:] not in CLOSING and line[:1].islower()


def shown_text(raw: str) -> str:
    """A line of the writer's outside a story's text (a title, a name, a description), as it
    is shown: typeset as the story is, its markup dropped."""
    return plain_text(parse_inline(smarten(raw)))


def parse(source: Source, *, keep_artifacts: bool = False) -> Manuscript:
    """Turn a manuscript's lines into blocks, reporting every repair it makes to the text."""
    found: list[Diagnostic] = []
    raw_blocks: list[tuple[str, int, str]] = []  # (kind, line, text)
    title = source.meta("title") or None
    title_line = source.meta_line("title") if title else None
    lines = list(source.lines)
    index = 0
    previous_line_was_paragraph = False
    while index < len(lines):
        line = lines[index]
        text = line.text.strip()
        index += 1
        if not text:
            previous_line_was_paragraph = False
            continue
        marked = text[0] in MARKERS  # only such a line can be anything but a paragraph
        if marked and SCENE_BREAK.match(text):
            raw_blocks.append(("break", line.number, ""))
            previous_line_was_paragraph = False
        elif marked and (fence := FENCE.match(text)) and (end := _fence_end(lines, index, fence)):
            body = [lines[i].text for i in range(index, end)]
            index = end + 1
            language, *more = fence.group(2).split(maxsplit=1) or [""]
            raw_blocks.append(("code", line.number, language + "\n" + "\n".join(body)))
            if more:  # `title="x.py"`: Markdown shows nothing of it, nor does sitegen
                found.append(
                    warning(
                        "W022",
                        source.path,
                        line.number,
                        f"not shown: `{more[0]}` after the code block's language",
                        "put what it says in a paragraph before or after the block",
                    )
                )
            previous_line_was_paragraph = False
        elif marked and (heading := HEADING.match(text)):
            kind = "title" if heading.group(1) == "#" else "heading"
            raw_blocks.append((kind, line.number, heading.group(2)))
            previous_line_was_paragraph = False
        elif (
            previous_line_was_paragraph
            and lines[index - 2].number != line.number  # not split at a page break: see sources
            and _is_continuation(raw_blocks[-1][2], text)
        ):
            kind, number, before = raw_blocks[-1]
            raw_blocks[-1] = (kind, number, f"{before} {text}")
            found.append(
                warning(
                    "W020",
                    source.path,
                    number,
                    f"paragraph broken across lines {number}\u2013{line.number}: line "
                    f"{line.number} starts in lower case after a line with no closing "
                    "punctuation; joined them",
                    "put the paragraph on one line to silence this",
                )
            )
        else:
            raw_blocks.append(("paragraph", line.number, text))
            previous_line_was_paragraph = True
    kept = _trim_breaks(_drop_chatbot_artifacts(source, raw_blocks, found, keep=keep_artifacts))
    # A `# Title` before any text (once a chatbot's preamble is gone) is the story's title.
    if kept and kept[0][0] == "title":
        if title is None:
            _, title_line, title = kept.pop(0)
        elif shown_text(kept[0][2]).casefold() == shown_text(title).casefold():
            kept.pop(0)  # the front matter's title again: shown once, as the title
    kept = [("heading" if kind == "title" else kind, number, text) for kind, number, text in kept]
    blocks = tuple(_block(kind, number, text) for kind, number, text in _typeset(kept))
    return Manuscript(
        source=source,
        title=shown_text(title) if title else None,
        title_line=title_line,
        author=shown_text(author) if (author := source.meta("author")) else None,
        blocks=blocks,
        diagnostics=tuple(found),
    )


def _drop_chatbot_artifacts(
    source: Source, blocks: list[tuple[str, int, str]], found: list[Diagnostic], *, keep: bool
) -> list[tuple[str, int, str]]:
    """Leave out a chatbot's words to its user at the start or end of a story, and its teaser
    for what comes next at the end, and say so."""
    if keep:
        return blocks
    paragraphs = [i for i, (kind, _, _) in enumerate(blocks) if kind == "paragraph"]
    suspects: list[int] = []
    for i in reversed(paragraphs):
        if not _is_chatbots(blocks[i][2], teaser=True):
            break
        suspects.insert(0, i)
    if (
        paragraphs
        and paragraphs[0] not in suspects
        and _is_chatbots(blocks[paragraphs[0]][2], teaser=False)
    ):
        suspects.insert(0, paragraphs[0])
    for i in suspects:
        _, number, text = blocks[i]
        shown = text if len(text) <= 60 else text[:57] + "\u2026"
        found.append(
            warning(
                "W021",
                source.path,
                number,
                f'chatbot artifact left out: "{shown}"',
                "delete the line, or set keep_artifacts = true to publish it",
            )
        )
    return [block for i, block in enumerate(blocks) if i not in suspects]


def _trim_breaks(blocks: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """A scene break before any text, after all text, or doubled, separates nothing."""
    kept: list[tuple[str, int, str]] = []
    for block in blocks:
        if block[0] == "break" and (not kept or kept[-1][0] == "break"):
            continue
        kept.append(block)
    while kept and kept[-1][0] == "break":
        kept.pop()
    return kept


def _typeset(blocks: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """Typography for every paragraph and heading at once, markup and all.

    One call on the whole text costs a few regex passes per manuscript instead of per
    paragraph; the markup characters (`*`, `_`) are punctuation to the quote rules, so a
    quote beside `*emphasis*` still opens or closes the right way. No rule crosses a line.
    """
    prose = [i for i, (kind, _, _) in enumerate(blocks) if kind in ("paragraph", "heading")]
    if not prose:
        return list(blocks)
    typeset = smarten("\n".join(blocks[i][2] for i in prose)).split("\n")
    done = list(blocks)
    for i, text in zip(prose, typeset, strict=True):
        kind, number, raw = blocks[i]
        done[i] = (kind, number, _keep_verbatim(raw, text) if _may_hold_verbatim(raw) else text)
    return done


def _may_hold_verbatim(text: str) -> bool:
    """Whether `text` may hold a code span or an address (see `VERBATIM`): four C scans."""
    return "`" in text or "://" in text or "www." in text or "@" in text


def _keep_verbatim(raw: str, typeset: str) -> str:
    """Typography outside code spans and addresses only (see `VERBATIM`); `typeset` is the
    whole of `raw` typeset, right when it holds neither. Each span is set aside behind a
    placeholder, so the quotes around it still see their neighbours; an address comes back
    with its markup characters escaped, to be read as written."""
    spans = [_as_written(span) for span in VERBATIM.findall(raw)]
    if not spans:
        return typeset
    if PLACEHOLDER in raw:
        parts = VERBATIM.split(raw)
        return "".join(_as_written(p) if i % 2 else smarten(p) for i, p in enumerate(parts))
    around = smarten(VERBATIM.sub(PLACEHOLDER, raw)).split(PLACEHOLDER)
    return "".join(part + (spans[i] if i < len(spans) else "") for i, part in enumerate(around))


def _as_written(span: str) -> str:
    """A code span as it is; an address with `*`, `_`, backticks and backslashes escaped, so
    that the inline parser shows them rather than reading them as markup."""
    return span if span.startswith("`") else MARKUP_CHARACTER.sub(r"\\\g<0>", span)


def _block(kind: str, number: int, text: str) -> Block:
    if kind in ("paragraph", "heading"):
        kind_of = Paragraph if kind == "paragraph" else Heading
        if not _has_markup(text):  # nearly every block: the text is all there is
            return kind_of(number, (Text(text),), text)
        inlines = parse_inline(text)
        return kind_of(number, inlines, plain_text(inlines))
    if kind == "code":
        language, _, code = text.partition("\n")
        return CodeBlock(number, language, code)
    return SceneBreak(number)
