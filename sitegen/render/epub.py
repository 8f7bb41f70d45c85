"""The anthology as one EPUB 3.3 book, made from the same Anthology value as the website.

A cover, a title page, the contents, the chapters (their text rendered by `prose.py`, exactly
as on the site), a character index whose entries link to every mention, and a colophon; a
package document with full and accessibility metadata, a navigation document with landmarks,
and an NCX for older readers. Templates live in `templates/epub/` (the project's, or sitegen's
own when the project has none).

Same input, same bytes: the modification date is the anthology's `Meta.updated` (see
`analysis.source_date`), the identifier is the config's or derived from the title and author,
and the zip has fixed timestamps, permissions and entry order.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from html import escape
from io import BytesIO
from typing import TYPE_CHECKING

from markupsafe import Markup

from ..config import Config
from ..errors import Diagnostic
from ..model import Anthology, Chapter, Meta
from ..slugs import slugify
from ..sources import NOT_IN_PAGES, fit_for_pages
from .cover import LITERATA, CoverImage, cover_image, cover_warnings, literata
from .html import Link, TemplateFiles, edition_or_none, read_templates, templates_from
from .prose import ChapterText, ChapterTexts

if TYPE_CHECKING:
    from ..memo import Memo

MIMETYPE = b"application/epub+zip"
ROOT = "EPUB/"  # the folder inside the zip that holds the package
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time leaks in
FONTS = tuple(sorted(LITERATA))  # embedded in name order: Latin Extended, then Latin
IDENTIFIER_NAMESPACE = "sitegen:anthology"  # as a URL, names the namespace of book identifiers
INDEX_PART_LINKS = 2000  # links per document of the character index: about 100 KB of XHTML


@dataclass(frozen=True)
class Item:
    """One manifest entry; `href` is relative to the package document."""

    id: str
    href: str
    media_type: str
    properties: str = ""


@dataclass(frozen=True)
class Landmark:
    """A place the book's landmarks list names for a reading system."""

    kind: str  # the epub:type: cover, toc, bodymatter, index, backmatter
    title: str
    href: str


@dataclass(frozen=True)
class Appearance:
    """A chapter in a character's index entry, and a link to each mention in it."""

    title: str
    href: str
    mentions: tuple[str, ...]  # hrefs of the mention anchors, in reading order

    @property
    def mention_links(self) -> Markup:
        """ "1, 2, 3", each number a link to one mention, named for a screen reader as the
        site names it ("The Silence, mention 2"), and kept on one line with its comma. Built
        here rather than in a template loop: a long anthology's index has tens of thousands."""
        story = escape(self.title)
        last = len(self.mentions)
        return Markup(
            " ".join(
                f'<span class="number"><a href="{escape(href)}" aria-label="{story}, mention '
                f'{number}">{number}</a>{"," if number < last else ""}</span>'
                for number, href in enumerate(self.mentions, start=1)
            )
        )


@dataclass(frozen=True)
class IndexEntry:
    """One character in the book's index."""

    id: str
    name: str
    aliases: tuple[str, ...]
    description: str
    appearances: tuple[Appearance, ...]

    @property
    def links(self) -> int:
        return sum(1 + len(a.mentions) for a in self.appearances)


@dataclass(frozen=True)
class IndexPart:
    """One document of the character index; a long index is split into several."""

    number: int  # from 1
    item: Item
    title: str
    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True)
class Book:
    """What every EPUB template knows about the book, besides the anthology's `meta`."""

    identifier: str
    modified: str  # ISO 8601 UTC, as dcterms:modified wants it
    cover: CoverImage
    cover_alt: str
    cover_credit: str
    story_count: str
    words: int
    contributors: tuple[str, ...]
    manifest: tuple[Item, ...]
    spine: tuple[Item, ...]
    contents: tuple[Link, ...]
    landmarks: tuple[Landmark, ...]
    access_modes: tuple[str, ...]
    accessibility_features: tuple[str, ...]
    accessibility_summary: str


def file_name(anthology: Anthology) -> str:
    """The book's name in the output folder: the title's slug, e.g. `after-the-lights.epub`."""

    return (slugify(anthology.meta.title) or "anthology") + ".epub"


def identifier(meta: Meta) -> str:
    """The config's `identifier`, or else a UUID derived from title and author: stable across
    builds, new for a new anthology, and (unlike the config's) new when the title changes."""
    if meta.identifier:
        return meta.identifier
    namespace = _uuid5(_NAMESPACE_URL, IDENTIFIER_NAMESPACE)
    value = _uuid5(namespace, meta.title + chr(31) + (meta.author or meta.editor)).hex()
    return f"urn:uuid:{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


_NAMESPACE_URL = bytes.fromhex("6ba7b8119dad11d180b400c04fd430c8")  # RFC 4122's, for URLs


def _uuid5(namespace: bytes, name: str) -> bytes:
    """RFC 4122's name-based UUID (version 5) of `name` in `namespace`, as `uuid.uuid5` makes
    it: that module loads `platform` as it is imported, a fiftieth of a small build's time."""
    digest = bytearray(hashlib.sha1(namespace + name.encode()).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122's variant
    return bytes(digest)


def chapter_href(position: int, count: int) -> str:
    """`chapter-001.xhtml`: numbered, not slugged, so no title can clash with `nav.xhtml`."""
    return f"chapter-{position + 1:0{max(3, len(str(count)))}d}.xhtml"


def index_entries(anthology: Anthology) -> tuple[IndexEntry, ...]:
    """Every character, each with the chapters they appear in and a link to every mention."""
    count = len(anthology.chapters)
    hrefs = [chapter_href(position, count) for position in range(count)]
    entries = []
    for character in anthology.characters.characters:
        by_chapter: dict[int, list[str]] = {}
        for mention in character.mentions:
            href = f"{hrefs[mention.chapter]}#{mention.anchor}"
            by_chapter.setdefault(mention.chapter, []).append(href)
        entries.append(
            IndexEntry(
                id=f"character-{character.slug}",
                name=character.name,
                aliases=tuple(a for a in character.aliases if a != character.name),
                description=character.description,
                appearances=tuple(
                    Appearance(anthology.chapters[position].title, hrefs[position], tuple(links))
                    for position, links in by_chapter.items()
                ),
            )
        )
    return tuple(entries)


def index_parts(entries: tuple[IndexEntry, ...]) -> tuple[IndexPart, ...]:
    """The index in documents of about `INDEX_PART_LINKS` links each, whole entries only.

    Older reading systems (Adobe's RMSDK among them) page slowly through, or refuse, a content
    document much over 300 KB; a 1,000-chapter anthology's index in one piece is several MB.
    """
    groups: list[list[IndexEntry]] = []
    size = 0
    for entry in entries:
        if not groups or size + entry.links > INDEX_PART_LINKS:
            groups.append([])
            size = 0
        groups[-1].append(entry)
        size += entry.links
    parts = []
    for number, group in enumerate(groups, start=1):
        href = "characters.xhtml" if number == 1 else f"characters-{number}.xhtml"
        span = group[0].name if len(group) == 1 else f"{group[0].name} to {group[-1].name}"
        title = "Characters" if len(groups) == 1 else f"Characters: {span}"
        item = Item(href.removesuffix(".xhtml"), href, "application/xhtml+xml")
        parts.append(IndexPart(number, item, title, tuple(group)))
    return tuple(parts)


def _stories(count: int) -> str:
    return f"An anthology of {count} {'story' if count == 1 else 'stories'}"


def _contributors(chapters: tuple[Chapter, ...], meta: Meta) -> tuple[str, ...]:
    """The chapters' own authors, once each, in reading order, besides the book's author and
    editor, who are credited as such."""
    credited = (meta.author, meta.editor)
    return tuple(dict.fromkeys(c.author for c in chapters if c.author and c.author not in credited))


def _fonts(config: Config) -> dict[str, bytes]:
    """Literata, embedded so the book reads in the site's typeface on any reading system."""
    fonts = literata(config)
    return {f"fonts/{name}": fonts[name].read_bytes() for name in FONTS}


def describe_book(
    anthology: Anthology, cover: CoverImage, fonts: dict[str, bytes], index: tuple[IndexPart, ...]
) -> Book:
    """Everything the package, navigation and front and back matter say about the book."""
    meta = anthology.meta
    count = len(anthology.chapters)
    chapters = [
        Item(f"chapter-{position + 1}", chapter_href(position, count), "application/xhtml+xml")
        for position in range(count)
    ]
    has_index = bool(index)
    colophon = Item("colophon", "colophon.xhtml", "application/xhtml+xml")
    back = [*(part.item for part in index), colophon]
    spine = (
        Item("cover", "cover.xhtml", "application/xhtml+xml"),
        Item("titlepage", "titlepage.xhtml", "application/xhtml+xml"),
        Item("nav", "nav.xhtml", "application/xhtml+xml", "nav"),
        *chapters,
        *back,
    )
    resources = (
        Item("cover-image", f"images/{cover.name}", cover.media_type, "cover-image"),
        Item("css", "css/book.css", "text/css"),
        *(Item(f"font-{number}", path, "font/woff2") for number, path in enumerate(fonts, start=1)),
        Item("ncx", "toc.ncx", "application/x-dtbncx+xml"),
    )
    contents = (
        *(
            Link(c.title, item.href, by=c.author if c.author not in (None, meta.author) else "")
            for c, item in zip(anthology.chapters, chapters, strict=True)
        ),
        *([Link("Characters", back[0].href)] if has_index else []),
        Link("Colophon", colophon.href),
    )
    landmarks = (
        Landmark("cover", "Cover", "cover.xhtml"),
        Landmark("toc", "Contents", "nav.xhtml#toc"),
        Landmark("bodymatter", "Begin reading", chapters[0].href),
        *([Landmark("index", "Characters", back[0].href)] if has_index else []),
        Landmark("backmatter", "Back matter", back[0].href),
    )
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "alternativeText"]
    features += ["displayTransformability", *(["index"] if has_index else [])]
    by = f", by {meta.author}" if meta.author else ""
    by += f", edited by {meta.editor}" if meta.editor else ""
    return Book(
        identifier=identifier(meta),
        modified=meta.updated,
        cover=cover,
        cover_alt=f"Cover of {meta.title}{by}",
        cover_credit="The cover was set from the title and author at build time."
        if cover.generated
        else "The cover image was supplied with the anthology.",
        story_count=_stories(count),
        words=anthology.words,
        contributors=_contributors(anthology.chapters, meta),
        manifest=(*spine, *resources),
        spine=spine,
        contents=contents,
        landmarks=landmarks,
        access_modes=("textual", "visual"),
        accessibility_features=tuple(features),
        accessibility_summary=(
            "Stories in text that reading systems can reflow and restyle, with structured "
            "headings, a table of contents, landmarks"
            + (", a character index" if has_index else "")
            + " and a logical reading order. The only image is the cover; it has a text "
            "alternative. There are no flashing, motion or sound hazards."
        ),
    )


@dataclass(frozen=True)
class BookPlan:
    """The book as decided before its chapters are rendered: all that their documents share.
    The build sends it to the helper process that renders some of them (see `render.stage`)."""

    meta: Meta
    book: Book
    index: tuple[IndexPart, ...]
    fonts: dict[str, bytes]
    templates: TemplateFiles  # read once, so every document comes from the same templates
    entry_hrefs: tuple[str, ...]  # each character's entry in the book's index
    chapter_count: int


def plan_book(anthology: Anthology, config: Config, cover: CoverImage) -> BookPlan:
    fonts = _fonts(config)
    index = index_parts(index_entries(anthology))
    book = describe_book(anthology, cover, fonts, index)
    return BookPlan(
        meta=anthology.meta,
        book=book,
        index=index,
        fonts=fonts,
        templates=read_templates(config.templates_dir),
        entry_hrefs=tuple(f"{part.item.href}#{e.id}" for part in index for e in part.entries),
        chapter_count=len(anthology.chapters),
    )


class _Renderer:
    def __init__(self, plan: BookPlan) -> None:
        self.plan = plan
        self.templates = templates_from(plan.templates)
        self.env = self.templates.env

    def render(self, template: str, title: str, **context: object) -> bytes:
        loaded = self.env.get_template(f"epub/{template}")
        text = loaded.render(book=self.plan.book, meta=self.plan.meta, title=title, **context)
        return xml_bytes(text)

    def chapter(self, chapter: Chapter, text: ChapterText) -> bytes:
        markup = text.markup(self.plan.entry_hrefs.__getitem__, xhtml=True)
        return self.render("chapter.xhtml", chapter.title, chapter=chapter, text=markup)

    def chapter_at(self, anthology: Anthology, texts: ChapterTexts, position: int) -> bytes:
        return self.chapter(anthology.chapters[position], texts[position])

    def chapter_inputs(self, anthology: Anthology, position: int) -> tuple[object, ...]:
        """What a chapter's XHTML reads: the chapter, its mentions, the names and index entries
        of the characters it mentions, and the book's language."""
        people = anthology.characters.characters
        links = anthology.links[position]
        return (
            anthology.chapters[position],
            links.mentions,
            tuple((people[i].name, self.plan.entry_hrefs[i]) for i in links.characters),
            anthology.meta.language,
        )


def xml_bytes(text: str) -> bytes:
    """`text` as UTF-8, less the characters no page may hold (`NOT_IN_PAGES`). A book has a
    thousand documents and nearly all are clean, so the bytes are checked first."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return NOT_IN_PAGES.sub("", text).encode("utf-8")
    return data if fit_for_pages(data) else NOT_IN_PAGES.sub("", text).encode("utf-8")


def render_epub(anthology: Anthology, config: Config) -> dict[str, bytes]:
    """`{"<slug>.epub": the zipped book}`: its matter and every chapter's document, made in
    this process alone (the build shares the work: see `render.stage`)."""
    plan = plan_book(anthology, config, cover_image(anthology.meta, config))
    everyone = range(len(anthology.chapters))
    files = {
        **book_matter(plan),
        **chapter_files(anthology, plan, everyone, ChapterTexts(anthology)),
    }
    return {file_name(anthology): zip_book(files)}


def book_matter(plan: BookPlan) -> dict[str, bytes]:
    """Every file of the book's container but the chapters' documents, by its path there: the
    package, navigation, front and back matter, the character index, stylesheet, cover and
    fonts. They depend on the `plan` alone."""
    renderer = _Renderer(plan)
    title = plan.meta.title
    documents = {
        "cover.xhtml": renderer.render("cover.xhtml", title),
        "titlepage.xhtml": renderer.render("titlepage.xhtml", title),
        "nav.xhtml": renderer.render("nav.xhtml", "Contents"),
        "colophon.xhtml": renderer.render("colophon.xhtml", "Colophon"),
        "toc.ncx": renderer.render("toc.ncx", "Contents"),
        "package.opf": renderer.render("package.opf", title),
        **{
            part.item.href: renderer.render("characters.xhtml", part.title, part=part)
            for part in plan.index
        },
    }
    cover = plan.book.cover
    return {
        "META-INF/container.xml": renderer.render("container.xml", title),
        **{ROOT + path: data for path, data in documents.items()},
        ROOT + "css/book.css": _stylesheet(plan),
        ROOT + f"images/{cover.name}": cover.data,
        **{ROOT + path: data for path, data in plan.fonts.items()},
    }


def _stylesheet(plan: BookPlan) -> bytes:
    """The book's stylesheet, as the templates were read (a project's own, or sitegen's)."""
    return next(data for name, _, data in plan.templates if name == "epub/book.css")


def chapter_files(
    anthology: Anthology,
    plan: BookPlan,
    positions: Iterable[int],
    texts: ChapterTexts,
    cache: Memo[bytes] | None = None,
    edition: object = None,
) -> dict[str, bytes]:
    """The documents of the chapters at `positions`, by their path in the book's container.
    With `cache` (`serve`), a chapter whose inputs and templates did not change since the last
    build is not rendered again (`edition`: see `html.edition_or_none`); `texts` shares the
    chapters' rendered text with the site. A character's first mention in a chapter links to
    their entry in the book's index."""
    renderer = _Renderer(plan)
    documents: dict[str, bytes] = {}
    for position in positions:
        path = ROOT + chapter_href(position, plan.chapter_count)
        if cache is None:
            documents[path] = renderer.chapter(anthology.chapters[position], texts[position])
        else:
            inputs = (
                edition_or_none(renderer.templates, (edition, plan.book)),  # all they are given
                renderer.templates.digest,
                renderer.chapter_inputs(anthology, position),
            )
            make = partial(renderer.chapter_at, anthology, texts, position)
            documents[path] = cache.get(path, inputs, make)
    return documents


def chapter_documents(
    plan: BookPlan, chapters: Mapping[int, tuple[Chapter, ChapterText]]
) -> dict[str, bytes]:
    """What `chapter_files` makes, from the chapters at the given positions and their texts:
    for a process that holds only those chapters."""
    renderer = _Renderer(plan)
    return {
        ROOT + chapter_href(position, plan.chapter_count): renderer.chapter(chapter, text)
        for position, (chapter, text) in chapters.items()
    }


def zip_book(files: dict[str, bytes]) -> bytes:
    """The OCF container: `mimetype` first and stored, then every file in name order, with
    fixed dates and permissions, so identical files always give an identical zip. `files` is
    emptied as they are compressed, so that each one's memory is let go once it is in."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_entry("mimetype", zipfile.ZIP_STORED), MIMETYPE)
        for path in sorted(files):
            already_compressed = path.endswith((".woff2", ".png", ".jpg"))
            method = zipfile.ZIP_STORED if already_compressed else zipfile.ZIP_DEFLATED
            archive.writestr(_entry(path, method), files.pop(path))
    return buffer.getvalue()


def _entry(path: str, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
    info.compress_type = method
    info.create_system = 3  # Unix, whatever system builds it
    info.external_attr = 0o100644 << 16
    return info


def epub_warnings(anthology: Anthology, config: Config) -> list[Diagnostic]:
    """What the reader of the EPUB will miss: characters the generated cover cannot draw
    (W050). Characters XML cannot hold are left out of manuscripts as they are read (W013),
    and out of the config's words here, where a stray one would invalidate the book."""
    return cover_warnings(anthology.meta, config)
