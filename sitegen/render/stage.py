"""Rendering, the third stage of a build: the site's files and the book's, from the
analysed anthology, as `{path: bytes}` for the writer.

With helper processes (see `build` and `sharing`), the first renders the text and book
documents of the chapters it kept, and the book's matter; the second compresses the book;
this process renders the rest. Without them, all of it is done here: the bytes are the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from jinja2 import TemplateError

from ..config import Config
from ..errors import Diagnostic, SitegenError, raised_by_template, template_diagnostic
from ..model import Anthology
from ..parallel import Helper
from ..sharing import Kept
from ..writer import merge_outputs
from . import epub as epub_book
from . import html, publish
from .cover import CoverImage, cover_image
from .prose import ChapterText, ChapterTexts, MentionMark, mention_marks, render_blocks

if TYPE_CHECKING:
    from ..cache import BuildCache


def render(
    anthology: Anthology,
    config: Config,
    helpers: tuple[Helper[Kept], Helper[None]],
    kept: frozenset[int],
    *,
    book: bool,
    cache: BuildCache | None,
) -> tuple[dict[str, bytes], list[Diagnostic]]:
    """Every file of the site and, with `book`, the EPUB, and the book's warnings. `kept` are
    the positions of the chapters the first helper holds (see `gather.gather`). A template's
    mistake is the writer's error at its line (see `template_mistakes_told`)."""
    with template_mistakes_told():
        # The book's cover, when there is a book, is also the picture a shared link shows.
        cover = cover_image(anthology.meta, config) if book else None
        texts = ChapterTexts(anthology, cache.texts if cache else None)
        site, epub = _render(anthology, config, texts, cover, helpers, kept, cache=cache)
        del texts  # every chapter's markup, once more: the writer can have the room
        found = epub_book.epub_warnings(anthology, config) if epub else []
        outputs = merge_outputs(site, epub)
        return merge_outputs(outputs, publish.render_publish(anthology, outputs, cover)), found


def _render(
    anthology: Anthology,
    config: Config,
    texts: ChapterTexts,
    cover: CoverImage | None,
    helpers: tuple[Helper[Kept], Helper[None]],
    kept: frozenset[int],
    *,
    cache: BuildCache | None,
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The site's files and, when there is a `cover` to make a book with, the book's, each
    `{path: bytes}`. The first helper renders the text and book documents of the chapters it
    `kept` (see `gather.gather`) and the book's matter; the second compresses the book; this process
    renders the rest. Without helper processes, all of it is done here."""
    helper, compressor = helpers
    edition = cache.edition(anthology) if cache else None
    render_site = partial(
        html.render_site,
        anthology,
        config,
        cache=cache.pages if cache else None,
        json_lines=cache.json_lines if cache else None,
        texts=texts,
        edition=edition,
    )
    plan = epub_book.plan_book(anthology, config, cover) if cover else None
    marks = {position: mention_marks(anthology, position) for position in sorted(kept)}
    theirs = helper.run(render_kept, marks, plan)
    helper.finish()
    del marks  # sent, or used already: the renderers can have the room
    if plan is None:
        texts.expect(kept, lambda: theirs.result().texts)
        return render_site(), {}
    mine = [position for position in range(len(anthology.chapters)) if position not in kept]
    files = epub_book.chapter_files(
        anthology,
        plan,
        mine,
        texts,
        cache=cache.book_chapters if cache else None,
        edition=edition,
    )
    rendered = theirs.result()
    texts.provide(rendered.texts)
    files.update(rendered.documents)
    del rendered
    zipped = compressor.run(_compress, files)  # which empties `files` if it runs here
    compressor.finish()
    image = plan.book.cover.name
    del files, plan  # sent, or compressed already: the site can have the room
    download = html.Download(epub_book.file_name(anthology))
    site = render_site(epub=download, image=image)
    book = zipped.result()
    html.show_size(site, len(book))
    return site, {download.path: book}


@dataclass(frozen=True)
class Rendered:
    """What the helper renders of the chapters it kept: their texts, by position, and their
    documents in the book, by path."""

    texts: dict[int, ChapterText]
    documents: dict[str, bytes]


def render_kept(
    kept: Kept, marks: dict[int, dict[int, list[MentionMark]]], plan: epub_book.BookPlan | None
) -> Rendered:
    """In the helper: the text of each chapter it kept, at the positions `marks` (their
    mentions, by block) lists; with a `plan`, their documents in the book, and the book's
    matter (see `epub.book_matter`). A template's mistake is told here (see
    `template_mistakes_told`)."""
    chapters, kept.chapters = kept.chapters, {}
    with template_mistakes_told():
        texts = {at: render_blocks(chapters[at].blocks, marks[at]) for at in marks}
        if plan is None:
            return Rendered(texts, {})
        made = {at: (chapters[at], texts[at]) for at in marks}
        documents = epub_book.chapter_documents(plan, made)
        return Rendered(texts, {**epub_book.book_matter(plan), **documents})


@contextmanager
def template_mistakes_told() -> Iterator[None]:
    """A template's mistake, in its syntax or its own code (`{% for x in 5 %}`), as the
    writer's error at the template's line (see `errors.template_diagnostic`), not as a bug in
    sitegen. Told where it happens: in a helper process too, since a pickled exception loses
    the traceback that says which line of which template failed."""
    try:
        yield
    except SitegenError:
        raise
    except Exception as exc:
        if isinstance(exc, TemplateError) or raised_by_template(exc):
            raise SitegenError([template_diagnostic(exc)]) from None
        raise


def _compress(_: None, files: dict[str, bytes]) -> bytes:
    """In the compressor: the book's container (see `epub.zip_book`)."""
    return epub_book.zip_book(files)
