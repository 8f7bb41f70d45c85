"""Analysis, the second stage of a build: the gathered chapters made into one `Anthology`,
with its characters (see `characters`), the links between chapters and characters (see
`crossrefs`), and the anthology's own details.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import characters
from .config import CONFIG_NAME, Config
from .crossrefs import link_chapters, link_characters
from .errors import Diagnostic, warning
from .gather import Gathered
from .manuscript import shown_text
from .model import Anthology, Chapter, Meta

if TYPE_CHECKING:
    from .cache import BuildCache


def meta_from(config: Config, chapters: tuple[Chapter, ...], modified: int) -> Meta:
    """The anthology's metadata; `modified` is when its newest manuscript last changed."""
    return Meta(
        title=shown_text(config.title),
        author=shown_text(config.author) or ("" if config.editor else _sole_author(chapters)),
        editor=shown_text(config.editor),
        language=config.language,
        description=shown_text(config.description),
        base_url=config.base_url,
        base_path=config.base_path,
        site_url=config.site_url,
        subjects=config.subjects,
        cname=config.cname,
        identifier=config.identifier,
        updated=source_date(config, modified),
    )


def _sole_author(chapters: tuple[Chapter, ...]) -> str:
    """The author of every chapter, when one person wrote them all and says so in each."""
    authors = {chapter.author or "" for chapter in chapters}
    return authors.pop() if len(authors) == 1 else ""


def _uncredited(config: Config, meta: Meta) -> list[Diagnostic]:
    """A book with no author and no editor is filed under no one in a reader's library."""
    if meta.author or meta.editor:
        return []
    where = "in the config" if config.path else "in a new file of that name, the config"
    return [
        warning(
            "W002",
            config.path or config.root / CONFIG_NAME,
            config.line("author"),
            "the anthology has no author or editor, so e-readers file the book under no one",
            f'set author = "Your Name" (or editor = "...") {where}',
        )
    ]


def source_date(config: Config, modified: int) -> str:
    """When the anthology last changed, as ISO 8601 UTC: `SOURCE_DATE_EPOCH` when set (the
    reproducible-builds convention), else the newest modification time of the config and the
    manuscripts (`modified`, the newest of theirs). Identical inputs give the same date, so
    identical builds give identical bytes.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        epoch = str(max(int(config.path.stat().st_mtime) if config.path else 0, modified))
    moment = datetime.fromtimestamp(int(epoch), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def analyse(
    config: Config, gathered: Gathered, cache: BuildCache | None = None
) -> tuple[Anthology, list[Diagnostic]]:
    """The anthology as one value: the `gathered` chapters, their characters and links."""
    chapters = gathered.chapters
    memos = cache.detection if cache else None
    index, found = characters.detect(chapters, config.characters, gathered.scans, memos)
    meta = meta_from(config, chapters, gathered.modified)
    found += _uncredited(config, meta)
    anthology = Anthology(
        meta=meta,
        chapters=chapters,
        characters=index,
        links=link_chapters(chapters, index, cache.chapter_links if cache else None),
        character_links=link_characters(
            chapters,
            index,
            cache.in_chapters if cache else None,
            cache.parts if cache else None,
        ),
    )
    return anthology, found
