"""Reading manuscripts: encodings, line endings, markup, and the flaws a build must report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_sitegen

from sitegen.manuscript import parse, parse_inline
from sitegen.model import CodeBlock, Emphasis, Heading, Paragraph, SceneBreak, Text
from sitegen.sources import read_source
from sitegen.typography import smarten


def manuscript(text: str | bytes, name: str = "story.txt", **options: bool):
    data = text.encode("utf-8") if isinstance(text, str) else text
    source, found = read_source(Path(name), data)
    assert source is not None, found
    return parse(source, **options)


def kinds(m) -> list[str]:
    return [type(b).__name__ for b in m.blocks]


@pytest.mark.parametrize(
    "data",
    [
        b"One.\nTwo.\n\nThree.",
        b"One.\r\nTwo.\r\n\r\nThree.\r\n",
        b"One.\rTwo.\r\rThree.",
        b"\xef\xbb\xbfOne.\nTwo.\n\nThree.",
    ],
    ids=["lf", "crlf", "cr", "bom"],
)
def test_any_line_ending_and_bom_give_the_same_paragraphs(data: bytes) -> None:
    m = manuscript(data)
    assert [b.plain for b in m.blocks] == ["One.", "Two.", "Three."]
    assert [b.line for b in m.blocks] == [1, 2, 4]


def test_invalid_utf8_is_an_error_naming_the_line() -> None:
    source, found = read_source(Path("old.txt"), b"Fine.\nCaf\xe9 au lait.\n")
    assert source is None
    assert [d.format() for d in found] == [
        "old.txt:2: E010 not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    ]


@pytest.mark.parametrize("rule", ["---", "***", "* * *", "#", "- - -", "___", "⁂"])
def test_scene_breaks(rule: str) -> None:
    m = manuscript(f"Before.\n{rule}\nAfter.")
    assert kinds(m) == ["Paragraph", "SceneBreak", "Paragraph"]


def test_scene_breaks_at_the_edges_or_doubled_separate_nothing() -> None:
    m = manuscript("---\nBefore.\n---\n***\nAfter.\n---")
    assert kinds(m) == ["Paragraph", "SceneBreak", "Paragraph"]


def test_emphasis_both_spellings_and_strong() -> None:
    m = manuscript("She said *alone* and _meant_ it, **twice**.")
    inlines = m.blocks[0].inlines
    assert inlines[1] == Emphasis((Text("alone"),))
    assert inlines[3] == Emphasis((Text("meant"),))
    assert inlines[5] == Emphasis((Text("twice"),), strong=True)


def test_quotes_around_emphasis_still_open_and_close() -> None:
    m = manuscript('He thought "*Alone.*" and nodded.')
    assert m.blocks[0].plain == "He thought \u201cAlone.\u201d and nodded."


def test_raw_html_stays_text() -> None:
    m = manuscript("<script>alert(1)</script> and <b>bold</b> &amp; {{ 7*7 }}")
    assert m.blocks[0].plain == "<script>alert(1)</script> and <b>bold</b> &amp; {{ 7*7 }}"


def test_front_matter_and_title_heading() -> None:
    m = manuscript("---\ntitle: The Long Night\nauthor: A. Writer\n---\nIt was night.")
    assert (m.title, m.author, m.blocks[0].line) == ("The Long Night", "A.\u00a0Writer", 5)
    m = manuscript("# The Long Night\n\nIt was night.\n## Part two\nMorning.")
    assert m.title == "The Long Night"
    assert kinds(m) == ["Paragraph", "Heading", "Paragraph"]
    assert isinstance(m.blocks[1], Heading) and m.blocks[1].plain == "Part two"


def test_dialogue_at_the_top_is_never_taken_for_front_matter() -> None:
    m = manuscript("---\nKai: We go now.\nMara: No.\n---\nThe scene after.")
    assert [b.plain for b in m.blocks if isinstance(b, Paragraph)] == [
        "Kai: We go now.",
        "Mara: No.",
        "The scene after.",
    ]
    assert m.title is None


def test_dialogue_naming_an_author_at_the_top_stays_in_the_story() -> None:
    m = manuscript("---\nKai: Who wrote this?\nAuthor: I did.\nKai: Then sign it.\n---\nAfter.")
    assert [b.plain for b in m.blocks if isinstance(b, Paragraph)] == [
        "Kai: Who wrote this?",
        "Author: I did.",
        "Kai: Then sign it.",
        "After.",
    ]
    assert m.author is None


def test_front_matter_never_closed_is_published_as_text_with_a_warning() -> None:
    """Without its closing `---`, where the metadata ends is a guess: nothing is taken out of
    the story, and the writer is told how to mend it."""
    source, found = read_source(
        Path("s.txt"), b"---\ntitle: The Ferry\n\nThe ferry waited at the pier.\n"
    )
    assert source is not None and source.front_matter == ()
    assert [line.text for line in source.lines[:2]] == ["---", "title: The Ferry"]
    assert [d.format() for d in found] == [
        "s.txt:4: W018 front matter has no closing `---` before this line, so it is published"
        " as text; add a line `---` above it, or write it as key: value"
    ]
    _, found = read_source(Path("s.txt"), b"---\ntitle: The Ferry\n")
    assert [d.format() for d in found] == [
        "s.txt:1: W018 front matter is never closed, so it is published as text;"
        " add a line `---` after its last key"
    ]


def test_front_matter_cut_short_by_a_line_that_is_no_key_is_named_at_that_line() -> None:
    source, found = read_source(Path("s.txt"), b"---\ntitle: X\n# draft 2\nauthor: A\n---\nText.\n")
    assert source is not None and source.front_matter == ()
    assert [d.format() for d in found] == [
        "s.txt:3: W018 front matter has no closing `---` before this line, so it is published"
        " as text; add a line `---` above it, or write it as key: value"
    ]


def test_front_matter_other_tools_write_is_read_and_its_unused_keys_named() -> None:
    text = "---\ntitle: Foo\ndate: 2020-01-01\ntags:\n  - a\n  - b\nauthor: Me\n---\nHello there."
    source, found = read_source(Path("s.txt"), text.encode())
    assert source is not None
    m = parse(source)
    assert (m.title, m.author) == ("Foo", "Me")
    assert [b.plain for b in m.blocks] == ["Hello there."]
    assert [(d.code, d.line) for d in found] == [("W015", 3)]  # at `date`, the first
    assert "`date`, `tags`" in found[0].message


@pytest.mark.parametrize(
    "front_matter,title,author",
    [
        (
            "title: >\n  The Folded\n  Long Title\nauthor: |\n  Jane\n  Doe",
            "The Folded Long Title",
            "Jane Doe",
        ),
        (
            "title: A Title That\n  Goes On\nauthor:\n  - Jane Doe\n  - John Roe",
            "A Title That Goes On",
            "Jane Doe, John Roe",
        ),
        (
            'title: "The \\"Long\\"\n  Night"\nauthor: >-\n  Ann',
            "The \u201cLong\u201d Night",
            "Ann",
        ),
        # A comment is no part of a value; a dash goes on a value that has begun.
        ("title: The Long Night\n  # working title\nauthor: Ann", "The Long Night", "Ann"),
        ("title: The Long\n  - Night\nauthor: >2\n  Ann", "The Long\u2014Night", "Ann"),
        ("title: > # folded\n  The Long\n  Night\nauthor: Ann", "The Long Night", "Ann"),
        # Pandoc's authors: a list of tables, of which the name is read.
        (
            "title: Night\nauthor:\n  - name: Norah Jones\n    affiliations: Example U\n"
            "  - name: Ann Lee",
            "Night",
            "Norah Jones, Ann Lee",
        ),
    ],
)
def test_a_front_matter_value_over_several_lines_is_read_whole(
    front_matter: str, title: str, author: str
) -> None:
    """As YAML reads them: a folded or literal block, a value going on over indented lines,
    a list of names. None of its words may be lost."""
    m = manuscript(f"---\n{front_matter}\n---\nThe story.")
    assert (m.title, m.author) == (title, author)
    assert [b.plain for b in m.blocks] == ["The story."]
    assert not m.diagnostics


def test_front_matter_with_only_another_tools_keys_is_left_out_and_named() -> None:
    text = "---\nlayout: post\ndate: 2024-01-01\ntags: [a, b]\n---\nBen said hi."
    source, found = read_source(Path("s.txt"), text.encode())
    assert source is not None
    m = parse(source)
    assert [b.plain for b in m.blocks] == ["Ben said hi."]
    assert [(d.code, d.line) for d in found] == [("W015", 2)]
    assert "`layout`, `date`, `tags` left out" in found[0].message
    assert not m.diagnostics


def test_a_title_line_repeating_the_front_matters_title_is_not_shown_twice() -> None:
    m = manuscript("---\ntitle: The Night\n---\n# The Night\nIt was dark.")
    assert m.title == "The Night"
    assert [b.plain for b in m.blocks] == ["It was dark."]
    other = manuscript("---\ntitle: The Night\n---\n# Part One\nIt was dark.")
    assert [b.plain for b in other.blocks] == ["Part One", "It was dark."]


def test_front_matter_values_lose_only_matching_quotes() -> None:
    m = manuscript('---\ntitle: \'Tis the Season\nauthor: "A. Writer"\n---\nText.')
    assert (m.title, m.author) == ("\u2019Tis the Season", "A.\u00a0Writer")


def test_front_matter_reads_yaml_quoting_as_other_tools_write_it() -> None:
    m = manuscript("---\ntitle: 'Sam O''Hara'\nauthor: \"Ana \\\"Nan\\\" Lee \\u00c9\"\n---\nText.")
    assert (m.title, m.author) == ("Sam O\u2019Hara", "Ana \u201cNan\u201d Lee \u00c9")
    kept = manuscript('---\ntitle: "Bell \\u0007 and \\q"\n---\nText.')
    assert kept.title == "Bell \\u0007 and \\q"


def test_a_bad_slug_in_front_matter_is_an_error_with_its_line() -> None:
    _, found = read_source(Path("s.txt"), b"---\ntitle: T\nslug: ../../evil\n---\nText.")
    assert [(d.code, d.line) for d in found] == [("E017", 3)]


def test_front_matter_after_blank_lines_is_read_and_its_title_found_at_its_line() -> None:
    m = manuscript("\n\n---\nauthor: A. Writer\ntitle: The Long Night\n---\nIt was night.")
    assert (m.title, m.author, m.title_line) == ("The Long Night", "A.\u00a0Writer", 5)
    assert [b.plain for b in m.blocks] == ["It was night."]
    _, found = read_source(Path("s.txt"), b"\n---\ntitle: T\nslug: Bad Slug\n---\nText.")
    assert [(d.code, d.line) for d in found] == [("E017", 4)]


def test_a_later_front_matter_key_wins_as_it_did() -> None:
    m = manuscript("---\ntitle: First\ntitle: Second\n---\nText.")
    assert (m.title, m.title_line) == ("Second", 3)


@pytest.mark.parametrize(
    "address",
    [
        "https://example.com/_drafts_/story--final.html",
        "http://example.org/a*b*c?x=1&y=--2",
        "www.example.net/~kai/'quoted'/",
        "tom--smith@example.com",
        "first_last@mail.example.co.uk",
    ],
)
def test_web_and_email_addresses_are_published_exactly_as_written(address: str) -> None:
    m = manuscript(f'"Write to {address}," said Tom -- twice.\n')
    assert m.blocks[0].plain == f"\u201cWrite to {address},\u201d said Tom\u2014twice."


def test_an_address_inside_emphasis_keeps_the_emphasis_and_its_own_characters() -> None:
    m = manuscript("See *https://example.com/a_b_c*. Or _mail@example.org_.\n")
    assert m.blocks[0].inlines == (
        Text("See "),
        Emphasis((Text("https://example.com/a_b_c"),)),
        Text(". Or "),
        Emphasis((Text("mail@example.org"),)),
        Text("."),
    )


def test_a_title_heading_keeps_a_trailing_hash_and_drops_markup() -> None:
    assert manuscript("# Learning C#\nText.").title == "Learning C#"
    assert manuscript("# The *Long* Night\nText.").title == "The Long Night"


def test_control_characters_are_left_out_with_a_warning() -> None:
    source, found = read_source(Path("s.txt"), b"Fine.\nA bell\x07 rang.")
    assert source is not None and source.lines[1].text == "A bell rang."
    assert [(d.code, d.line) for d in found] == [("W013", 2)]
    data = "Caf\u00e9 \u00abopen\u00bb\u00a0now.\nDel\x7f and C1.\x9f\n".encode()
    source, found = read_source(Path("s.txt"), data)
    assert source is not None and [line.text for line in source.lines[:2]] == [
        "Caf\u00e9 \u00abopen\u00bb\u00a0now.",
        "Del and C1.",
    ]
    assert [(d.code, d.line) for d in found] == [("W013", 2)]


@pytest.mark.parametrize(
    "data,paragraphs,told",
    [
        # A page break (form feed) or a paragraph separator ends a paragraph, as a line end.
        (b"End of a page.\x0cStart of the next.", ["End of a page.", "Start of the next."], ""),
        ("One.\u2029Two.\u2029Three.".encode(), ["One.", "Two.", "Three."], ""),
        # ... even in mid-sentence: not joined again as a paragraph broken across lines.
        (b"The night was cold\x0cand it rained.", ["The night was cold", "and it rained."], ""),
        # A line break inside a paragraph, or U+0085 (a mangled ellipsis, most often), is a
        # space: words are never joined.
        (b"Gamma\xc2\x85Delta words.", ["Gamma Delta words."], "character U+0085 read as a space"),
        (
            b"A line\x0bbreak and\xe2\x80\xa8another.",
            ["A line break and another."],
            "characters U+000B, U+2028 read as a space",
        ),
        # However many times a control is in a line, the line has one warning.
        (b"Hello\x00" * 5000, ["Hello" * 5000], "character U+0000 left out"),
    ],
    ids=["page break", "separator", "mid-sentence", "U+0085", "line breaks", "NUL x 5000"],
)
def test_separators_and_line_breaks_inside_a_line_never_join_words(
    data: bytes, paragraphs: list[str], told: str
) -> None:
    m = manuscript(data)
    assert [b.plain for b in m.blocks] == paragraphs
    assert not m.diagnostics
    _, found = read_source(Path("s.txt"), data)
    assert [d.message for d in found] == ([f"invisible {told}"] if told else [])


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_read(codec: str) -> None:
    """Windows' Notepad long saved "Unicode" text as UTF-16 with a byte-order mark."""
    data = "Zoë crossed.\r\nThe ferry waited.\r\n".encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    source, found = read_source(Path("s.txt"), data)
    assert found == [] and source is not None
    assert [line.text for line in source.lines[:2]] == ["Zoë crossed.", "The ferry waited."]


def test_utf16_without_a_byte_order_mark_is_one_error_not_a_warning_per_letter() -> None:
    data = "Zoë crossed.\nThe ferry waited.\n".encode("utf-16-le")
    source, found = read_source(Path("s.txt"), data)
    assert source is None
    assert [d.format() for d in found] == [
        "s.txt: E010 UTF-16 without a byte-order mark; save the file as UTF-8"
    ]


def test_utf32_with_a_byte_order_mark_is_read() -> None:
    source, found = read_source(Path("s.txt"), "Zoë crossed.\n".encode("utf-32"))
    assert found == [] and source is not None and source.lines[0].text == "Zoë crossed."


def test_noncharacters_xml_cannot_hold_are_named_and_left_out() -> None:
    """U+FFFE and U+FFFF are valid UTF-8 but not XML: each is left out with a warning."""
    data = "Kai\ufffe stood.\nThe end\uffff.".encode()
    source, found = read_source(Path("s.txt"), data)
    assert [(d.code, d.line) for d in found] == [("W013", 1), ("W013", 2)]
    assert source is not None and [line.text for line in source.lines] == ["Kai stood.", "The end."]


def test_a_file_padded_with_zero_bytes_is_not_taken_for_utf16() -> None:
    """A crash can leave a file's end as zero bytes: they are controls, named and left out."""
    source, found = read_source(Path("s.txt"), b"Fine.\n" + b"\x00" * 40)
    assert source is not None and source.lines[0].text == "Fine."
    assert {d.code for d in found} == {"W013"}


def test_invalid_utf8_line_counts_old_mac_line_endings() -> None:
    _, found = read_source(Path("s.txt"), b"Line one.\r\rLine three \xff")
    assert [(d.code, d.line) for d in found] == [("E010", 3)]


@pytest.mark.parametrize("text", ["", "***\n---\n#\n", "---\ntitle: Only\n---\n"])
def test_a_manuscript_without_prose_parses_to_no_text(text: str) -> None:
    assert manuscript(text).blocks == ()


def test_an_unclosed_fence_is_text() -> None:
    m = manuscript("```\nnever closed")
    assert [b.plain for b in m.blocks] == ["```", "never closed"]


@pytest.mark.parametrize(
    "text",
    [
        "```ACCESS DENIED``` flashed.\n\nMara swore.\n\n```ACCESS GRANTED```\n\nShe was in.",
        "Intro.\n```python and some words\nprint(1)\n```\nOutro.",  # told of: W022
        "Intro.\n```\nls -l\n``` That was all it said.\nOutro.",  # no close: words after it
        "Intro.\n````\nls\n```\nStill code.\n````\nOutro.",  # closed by as many or more
        "Intro.\n```c#\nvar total = 1;\n```\nOutro.",  # a language Pygments names so
    ],
)
def test_no_word_beside_a_fence_is_lost_unsaid(text: str) -> None:
    """A fence opens at three backticks whose line holds no other backtick (CommonMark's
    rule), and closes at a line of only the fence's character: words beside the backticks
    are the story's, shown, or named in a warning where Markdown shows nothing of them."""
    m = manuscript(text)
    shown = " ".join(
        f"{b.language} {b.code}" if isinstance(b, CodeBlock) else b.plain for b in m.blocks
    )
    told = " ".join(d.message for d in m.diagnostics)
    for word in re.findall(r"[A-Za-z]+", text):
        assert word in shown or word in told, (word, shown, told)


def test_a_fence_names_its_language_with_the_first_word_of_its_line() -> None:
    m = manuscript('Intro.\n```vb.net title="Main.vb"\nDim x\n```\nOutro.')
    block = m.blocks[1]
    assert isinstance(block, CodeBlock) and block.language == "vb.net" and block.code == "Dim x"
    [told] = m.diagnostics
    assert told.code == "W022" and told.line == 2 and 'title="Main.vb"' in told.message


def test_a_stray_fence_never_swallows_the_story() -> None:
    m = manuscript("Kai ran.\n~~~\nThe second scene.\n```\nAnd it ends.")
    assert kinds(m) == ["Paragraph", "SceneBreak", "Paragraph", "Paragraph", "Paragraph"]
    assert m.blocks[-1].plain == "And it ends."


def test_quotes_inside_emphasis_and_around_code() -> None:
    assert manuscript('*"Run!"* she said.').blocks[0].plain == "\u201cRun!\u201d she said."
    assert manuscript('"Run `ls`" he said').blocks[0].plain == "\u201cRun ls\u201d he said"


def test_a_leading_rule_without_metadata_is_not_front_matter() -> None:
    m = manuscript("---\nIt began.\n---\nIt ended.")
    assert [b.plain for b in m.blocks if isinstance(b, Paragraph)] == ["It began.", "It ended."]


def test_broken_paragraph_is_joined_with_a_warning() -> None:
    m = manuscript("First line.\nshe wondered\nif they had seen it.\nNext paragraph.")
    assert [b.plain for b in m.blocks] == [
        "First line.",
        "she wondered if they had seen it.",
        "Next paragraph.",
    ]
    assert [(d.code, d.line) for d in m.diagnostics] == [("W020", 2)]


@pytest.mark.parametrize(
    "pair",
    [
        "He stopped.\nthen he ran.",  # first line closes
        "\u201cWait\u2014\u201d\nthe door opened.",  # dash and quote close it
        "He stopped\n\nthen he ran.",  # a blank line is a deliberate break
        "He stopped\nThen he ran.",  # capital letter starts a new paragraph
    ],
)
def test_lines_that_are_not_broken_paragraphs(pair: str) -> None:
    m = manuscript(pair)
    assert len(m.blocks) == 2 and not m.diagnostics


@pytest.mark.parametrize(
    "artifact",
    [
        "Would you like me to continue directly with",
        "Let me know if you'd like another chapter!",
        "Sure! Here's the next part of the story.",
        "I hope you enjoyed this story.",
        "If you'd like, I can write the sequel.",
        "The tension builds as Kei carries Nyra back toward safety, but the city isn't done.",
        "To be continued\u2026",
        "*To be continued in Part Two.*",
        "Certainly! I'll continue the story from where we left off.",
    ],
)
def test_chatbot_artifact_at_the_end_is_left_out_and_reported(artifact: str) -> None:
    m = manuscript(f"The story.\nThe end.\n{artifact}")
    assert [b.plain for b in m.blocks] == ["The story.", "The end."]
    assert [(d.code, d.line) for d in m.diagnostics] == [("W021", 3)]
    assert artifact[:40] in m.diagnostics[0].message


@pytest.mark.parametrize(
    "opening",
    [
        "Here is the story of how I lost my hand.",
        "Here\u2019s a tale I never told.",
        "Here is your key.",
    ],
)
def test_a_story_that_opens_like_a_chatbot_preamble_is_kept(opening: str) -> None:
    m = manuscript(f"{opening}\nIt was winter.")
    assert [b.plain for b in m.blocks] == [smarten(opening), "It was winter."]
    assert not m.diagnostics


@pytest.mark.parametrize(
    "preamble",
    [
        "Sure! Here's a story about a lighthouse:",
        "Here is a short story about a lighthouse keeper:",
        "Here\u2019s your story.",
        "Here is the next part:",
    ],
)
def test_a_preamble_that_introduces_the_story_is_left_out(preamble: str) -> None:
    m = manuscript(f"{preamble}\nThe lamp was out.")
    assert [b.plain for b in m.blocks] == ["The lamp was out."]
    assert [d.code for d in m.diagnostics] == ["W021"]


def test_a_teaser_is_left_out_only_at_the_end() -> None:
    teaser = "The tension builds as the night closes in."
    m = manuscript(f"{teaser}\nThe story.\nThe end.\n{teaser}\nWould you like me to go on?")
    assert [b.plain for b in m.blocks] == [teaser, "The story.", "The end."]
    assert [(d.code, d.line) for d in m.diagnostics] == [("W021", 4), ("W021", 5)]


def test_dialogue_that_sounds_like_a_chatbot_is_kept() -> None:
    ending = '"Would you like me to stay?" she asked.'
    m = manuscript(f"The story.\n{ending}")
    assert len(m.blocks) == 2 and not m.diagnostics


@pytest.mark.parametrize(
    ("opening", "ending"),
    [
        ("Sure, I can tell you about the war.", "Of course I will remember her. Always."),
        (
            "Of course, I can still hear it.",
            "To be continued, the last page said, but nothing was.",
        ),
        ("Certainly I will go, I said.", "Stay tuned, the radio said, and then it said nothing."),
    ],
)
def test_a_narrator_who_sounds_like_a_chatbot_is_kept(opening: str, ending: str) -> None:
    m = manuscript(f"{opening}\nThe story.\n{ending}")
    assert [b.plain for b in m.blocks] == [opening, "The story.", ending]
    assert not m.diagnostics


@pytest.mark.parametrize(
    "ending",
    [
        "In the next chapter of her life, she would be braver.",
        "Let me know if you ever come back, she had written, and I never did.",
        "I hope you enjoy the quiet, Mara wrote at the bottom of the letter.",
        "Stay tuned for more, the radio said, and then it said nothing at all.",
        "Feel free to ask me anything, he told her. She never did.",
        "Of course, here\u2019s the thing about grief: it waits.",
        "Let me know if you ever come back.",
        "Let me know if you ever come back to the city, and what you think of the new bridge.",
        "I can write with my left hand now.",
        "I can continue without you, she thought.",
    ],
)
def test_a_last_line_of_the_story_that_sounds_like_a_chatbot_is_kept(ending: str) -> None:
    m = manuscript(f"The story.\n{ending}")
    assert [b.plain for b in m.blocks][1] == smarten(ending)
    assert not m.diagnostics


@pytest.mark.parametrize(
    "artifact",
    [
        "Let me know what you think!",
        "In the next chapter, Kei must choose between the city and Nyra.",
        "Of course! Here's the revised ending.",
        "I hope you enjoyed it!",
        "Feel free to ask if you'd like any changes.",
        "I can continue the story from here if you want.",
        "I can also write a sequel.",
        "Let me know what you think of this version.",
        "Let me know what you think of it!",
        "Here is your revised chapter.",
    ],
)
def test_what_a_chatbot_says_of_its_writing_is_still_left_out(artifact: str) -> None:
    m = manuscript(f"The story.\n{artifact}")
    assert [b.plain for b in m.blocks] == ["The story."]
    assert [d.code for d in m.diagnostics] == ["W021"]


def test_keep_artifacts_publishes_the_line() -> None:
    m = manuscript("The story.\nWould you like me to continue?", keep_artifacts=True)
    assert [b.plain for b in m.blocks] == ["The story.", "Would you like me to continue?"]


def test_fenced_code_is_a_code_block() -> None:
    m = manuscript("Intro.\n```python\nprint('<hi>')\n```\nOutro.")
    assert kinds(m) == ["Paragraph", "CodeBlock", "Paragraph"]
    block = m.blocks[1]
    assert isinstance(block, CodeBlock) and block.language == "python"
    assert block.code == "print('<hi>')"


def test_inline_parser_is_skipped_only_where_it_would_change_nothing() -> None:
    plain = "No markup here, just <b> & \u201cquotes\u201d."
    assert parse_inline(plain) == (Text(plain),)


def test_emphasis_nested_hundreds_deep_keeps_every_word(tmp_path: Path) -> None:
    line = "*a " * 500 + "core" + " b*" * 500
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "deep.txt").write_text(f"{line}\nThe end.\n", "utf-8")
    result = run_sitegen("build", "--no-epub", cwd=tmp_path, check=True)
    assert "internal error" not in result.stderr
    page = (tmp_path / "output" / "chapters" / "deep" / "index.html").read_text("utf-8")
    assert re.sub(r"<[^>]+>", "", page).count("a ") >= 500 and "core" in page


@pytest.mark.parametrize("mark", ["*", "**", " * ", "* * * *"])
def test_a_line_of_asterisks_alone_is_a_scene_break(mark: str) -> None:
    m = manuscript(f"A.\n{mark}\nB.")
    assert kinds(m) == ["Paragraph", "SceneBreak", "Paragraph"]
    assert not m.diagnostics


def test_scene_break_block_has_no_text() -> None:
    m = manuscript("A.\n* * *\nB.")
    assert isinstance(m.blocks[1], SceneBreak) and m.blocks[1].plain == ""


def test_a_title_after_a_chatbot_preamble_is_still_the_title() -> None:
    m = manuscript("Sure! Here is the next chapter:\n# Real Title\nThe text.")
    assert m.title == "Real Title"
    assert [b.plain for b in m.blocks] == ["The text."]


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        (r"A price of \$5 and 50\% off.", r"A price of \$5 and 50\% off."),
        (
            r"The file was C:\Users\me\notes.txt, not \\server.",
            r"The file was C:\Users\me\notes.txt, not \server.",
        ),
        (
            r"\*Not emphasis\*, \_nor this\_, and \`no code\`.",
            "*Not emphasis*, _nor this_, and `no code`.",
        ),
        (r"In code it stays: `C:\dir\*`.", r"In code it stays: C:\dir\*."),
    ],
)
def test_a_backslash_is_shown_unless_it_keeps_a_markup_character_as_written(
    written: str, shown: str
) -> None:
    m = manuscript(f"{written}\nThe end.")
    assert m.blocks[0].plain == shown
    assert not m.diagnostics


@pytest.mark.parametrize("odd", ["\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff", "\ufffe"])
def test_noncharacters_are_left_out_with_a_warning(odd: str) -> None:
    """Unicode's noncharacters are for programs, not text: the Nu checker rejects a page
    holding one."""
    source, found = read_source(Path("s.txt"), f"Fine.\nA bell{odd} rang.".encode())
    assert source is not None and source.lines[1].text == "A bell rang."
    assert [(d.code, d.line) for d in found] == [("W013", 2)]
    assert f"U+{ord(odd):04X}" in found[0].message


def test_a_letter_and_its_accent_typed_apart_are_read_as_the_one_letter() -> None:
    """Some keyboards and converters write "ë" as an "e" and a combining diaeresis: the same
    name either way, and no accent left at the start of a run of text."""
    m = manuscript("Zoe\u0308 waved at Zo\u00eb.\nKai\u0301 left.")
    assert [b.plain for b in m.blocks] == ["Zo\u00eb waved at Zo\u00eb.", "Ka\u00ed left."]


@pytest.mark.parametrize(
    ("codec", "mark"), [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")]
)
def test_a_noncharacter_is_left_out_of_a_utf16_file(codec: str, mark: bytes) -> None:
    """Hangul in UTF-16 has no zero byte and no control byte: what the UTF-8 check of the
    bytes would pass must still be found in the text."""
    data = mark + "\ud55c\uad6d\ufdd0\uc5b4".encode(codec)
    source, found = read_source(Path("s.txt"), data)
    assert source is not None and source.lines[0].text == "\ud55c\uad6d\uc5b4"
    assert [(d.code, d.line) for d in found] == [("W013", 1)]


def test_composing_accents_leaves_every_other_letter_as_written() -> None:
    """Unicode's whole NFC would also swap CJK compatibility ideographs (Korean hanja keep
    them apart on purpose) and Hebrew presentation forms for other characters."""
    kept = "\uf914\uf9d1 \ufb2a\ufb4b"
    m = manuscript(f"{kept}\nThe end.")
    assert m.blocks[0].plain == kept
