"""The website: every page and asset as {output path: bytes}, read from the Anthology only.

Links are relative (`root` is "../../" on a chapter page), so the same files work at a
domain's root, under a GitHub Pages project path, and opened straight from disk. The 404
page is the exception: it is served at whatever URL was missing, so its links start from the
configured base path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache, partial
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import (
    Environment,
    FunctionLoader,
    StrictUndefined,
    TemplateError,
    TemplateRuntimeError,
)
from markupsafe import Markup

from ..config import Config, overlaid_files
from ..diskcache import template_cache
from ..errors import SitegenError, error
from ..model import Anthology, Character, SharedChapter
from .cast import (
    cast_view,
    chapter_starts,
    character_view,
    characters_json,
    graph_view,
    letter_groups,
)
from .figures import strip_svg
from .prose import ChapterTexts
from .stock import STOCK_TEMPLATES

if TYPE_CHECKING:
    from ..memo import Memo


@dataclass(frozen=True)
class Page:
    """What every template knows about the page it is rendering."""

    path: str  # output path, e.g. "chapters/the-silence/index.html"
    root: str  # prefix that reaches the site root from this page: "", "../../", or "/base/"
    title: str
    description: str
    canonical: str  # absolute URL, or "" when no site URL is configured
    kind: str  # "home", "chapter", "characters", "character", "404"

    def url(self, target: str) -> str:
        """A link from this page to a site path such as "chapters/x/" or "" (the home page)."""
        return self.root + target if (self.root or target) else "./"


SIZE_SLOT = Markup("<!--sitegen:download-size-->")
"""Where a page shows a download's size until `show_size` fills it in. Nothing a manuscript or
the config says can produce it: their text is escaped, so a `<` in it is written `&lt;`."""
_SHARED_CHAPTER = attrgetter("chapter")


@dataclass(frozen=True)
class Link:
    """A link as a page or the book shows it: its text, and where it goes from there."""

    title: str
    href: str
    by: str = ""  # in the book's contents, a story's own author, when not the book's


@dataclass(frozen=True)
class SharedStory:
    """Another story that shares characters with a chapter, as the chapter's page lists it."""

    href: str
    title: str
    names: str  # the characters in common, "Kei, Nyra, Celine"


@dataclass(frozen=True)
class Download:
    """A file the site offers beside its pages, such as the EPUB, with its size in the link.

    The pages are rendered while the book is still being made (in a helper process for a large
    anthology), so they hold `SIZE_SLOT`, and `show_size` writes the size in once it is known.
    That also keeps a page the same when only the book's size changed, which `serve` relies on
    to render again only the pages an edit touched.
    """

    path: str  # output path, e.g. "after-the-lights-went-out.epub"
    size_label: Markup = SIZE_SLOT


def size_label(size: int) -> str:
    """ "212 KB", "1.4 MB": decimal units, as file managers and browsers show them."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"


def show_size(site: dict[str, bytes], size: int) -> None:
    """Write the download's `size` where `site`'s pages show it, page by page in place (a new
    dictionary would hold every page twice for a moment: a third of a large build's memory)."""
    slot, label = SIZE_SLOT.encode(), size_label(size).encode()
    for path, data in site.items():
        if path.endswith(".html"):
            site[path] = data.replace(slot, label)


@dataclass(frozen=True)
class Templates:
    """Jinja's environment for a templates folder as one reading found it, and that reading's
    digest. The environment serves exactly the bytes the digest describes (never asking the
    file system again), so a page cached under the digest was rendered from those templates
    even when a template is saved in the middle of a build."""

    env: Environment
    digest: str
    stock: bool  # every template is one of sitegen's own, as `STOCK_TEMPLATES` records them


def edition_or_none(templates: Templates, edition: object) -> object:
    """What a page's key holds of the whole anthology: nothing, with sitegen's own templates,
    whose pages each say what they show; with a project's own, which may show anything in
    the anthology, its `edition` (`BuildCache.edition`), so that any change makes every page
    again."""
    return None if templates.stock else edition


# (name, file, bytes) of every template: the file names where errors point
TemplateFiles = tuple[tuple[str, str, bytes], ...]


def load_templates(templates_dir: Path) -> Templates:
    return templates_from(read_templates(templates_dir))


def load_all_templates(templates_dir: Path) -> None:
    """Compile (or load from the disk cache) every template of `templates_dir` now, so that
    rendering finds them ready: a small build does it while its helper reads the manuscripts.
    A template's mistake, or a file that cannot be read, is left for rendering to tell, after
    the manuscripts' problems, as it would be without this."""
    try:
        files = read_templates(templates_dir)
    except OSError:
        return
    env = templates_from(files).env
    for name, _, _ in files:
        with suppress(TemplateError, SitegenError):  # told when the page is rendered
            env.get_template(name)


def read_templates(templates_dir: Path) -> TemplateFiles:
    return tuple(
        (name, str(path), path.read_bytes())
        for name, path in overlaid_files(templates_dir, "templates").items()
    )


def _template_text(file: str, data: bytes) -> str:
    """A template's text; a template saved in another encoding than UTF-8 (Latin-1, as some
    editors still save) is the writer's error at its first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problem = f"template is not UTF-8 text (byte {data[exc.start]:#04x})"
        raise SitegenError([error("E090", file, line, problem, "save it as UTF-8")]) from None


@lru_cache(maxsize=8)
def templates_from(files: TemplateFiles) -> Templates:
    """One environment per set of template bytes: Jinja compiles each template once for it."""
    digest = hashlib.sha256()
    for name, file, data in files:
        digest.update(f"{name}\0{file}\0{len(data)}\0".encode())
        digest.update(data)
    sources = {name: (file, data) for name, file, data in files}

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        if name not in sources:
            return None
        file, data = sources[name]
        return _template_text(file, data), file, lambda: True

    env = Environment(
        loader=FunctionLoader(load),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=template_cache(),
    )
    env.filters["thousands"] = lambda n: f"{n:,}"
    # A book's metadata is sorted and searched by e-reader libraries, where "A.\u00a0Writer"
    # with the no-break space shown on its pages would not be "A. Writer".
    env.filters["spaced"] = lambda text: text.replace("\u00a0", " ")
    stock = all(
        STOCK_TEMPLATES.get(name) == hashlib.sha256(data).hexdigest() for name, _, data in files
    )
    return Templates(env, digest.hexdigest(), stock)


def theme_files(theme_dir: Path) -> dict[str, bytes]:
    """Every file of the theme, keyed by its output path under `theme/`."""
    return {
        "theme/" + name: path.read_bytes()
        for name, path in overlaid_files(theme_dir, "theme").items()
    }


def depth_root(path: str) -> str:
    return "../" * path.count("/")


class SiteRenderer:
    def __init__(
        self,
        anthology: Anthology,
        config: Config,
        assets: dict[str, bytes],
        epub: Download | None = None,
        image: str | None = None,
        cache: Memo[bytes] | None = None,
        texts: ChapterTexts | None = None,
        edition: object = None,
    ) -> None:
        self.anthology = anthology
        self.config = config
        self.epub = epub
        self.image = image  # site path of the picture that represents the site when shared
        templates = load_templates(config.templates_dir)
        self.env = templates.env
        self.versions = {
            path: hashlib.sha256(data).hexdigest()[:10] for path, data in assets.items()
        }
        self.cache = cache
        self.texts = texts or ChapterTexts(anthology)
        # What every page may show besides its own inputs. `Meta.updated` moves with every
        # save and none of sitegen's pages shows it (the feed and the EPUB do), so it is left
        # out; the edition is there when the templates may show anything.
        self.shared = (
            (
                edition_or_none(templates, edition),
                templates.digest,
                self.versions,
                replace(anthology.meta, updated=""),
                epub,
                image,
                len(anthology.chapters),
                bool(anthology.characters.characters),
            )
            if cache is not None
            else None
        )

    def cached(
        self, page: Page, inputs: Callable[[], object], render: Callable[[], bytes]
    ) -> bytes:
        """`render()`, or with a cache (`serve`), the bytes it gave in an earlier build if the
        page's `inputs()` (the values its templates read, besides `shared`) are equal. Without
        a cache, the inputs are not gathered."""
        if self.cache is None:
            return render()
        return self.cache.get(page.path, (self.shared, page, inputs()), render)

    def page(
        self, path: str, title: str, description: str, kind: str, *, absolute: bool = False
    ) -> Page:
        directory = path.removesuffix("index.html")
        site_url = self.anthology.meta.site_url
        return Page(
            path=path,
            root=self.anthology.meta.base_path if absolute else depth_root(path),
            title=title,
            description=description,
            canonical=site_url + directory if site_url and kind != "404" else "",
            kind=kind,
        )

    def render(self, template: str, page: Page, **context: object) -> bytes:
        def asset(name: str) -> str:
            path = "theme/" + name
            if path not in self.versions:
                raise TemplateRuntimeError(f"asset('{name}'): there is no theme/{name}")
            return f"{page.url(path)}?v={self.versions[path]}"

        html = self.env.get_template(template).render(
            page=page,
            meta=self.anthology.meta,
            anthology=self.anthology,
            asset=asset,
            epub=self.epub,
            social_image=self.image,
            **context,
        )
        return html.encode("utf-8")

    def home(self) -> bytes:
        meta = self.anthology.meta
        page = self.page("index.html", meta.title, meta.description, "home")
        return self.cached(
            page, lambda: self.anthology.chapters, lambda: self.render("index.html", page)
        )

    def chapter(self, position: int) -> tuple[str, bytes]:
        chapter = self.anthology.chapters[position]
        links = self.anthology.links[position]
        path = f"chapters/{chapter.slug}/index.html"
        page = self.page(
            path, f"{chapter.title} \u00b7 {self.anthology.meta.title}", chapter.teaser, "chapter"
        )
        people = self.people
        return path, self.cached(
            page,
            partial(self.chapter_inputs, position),
            lambda: self.render(
                "chapter.html",
                page,
                chapter=chapter,
                text=self.texts.take(position).markup(
                    lambda character: page.url(people[character].url), xhtml=False
                ),
                previous=self.story_link(links.previous, page),
                next=self.story_link(links.next, page),
                characters=[
                    Link(people[i].name, page.url(people[i].url)) for i in links.characters
                ],
                shared=[self.shared_story(shared, page) for shared in links.shared],
            ),
        )

    def story_link(self, position: int | None, page: Page) -> Link | None:
        if position is None:
            return None
        chapter = self.anthology.chapters[position]
        return Link(chapter.title, page.url(chapter.url))

    def shared_story(self, shared: SharedChapter, page: Page) -> SharedStory:
        chapter, people = self.anthology.chapters[shared.chapter], self.people
        names = ", ".join(people[i].name for i in shared.characters)
        return SharedStory(page.url(chapter.url), chapter.title, names)

    def chapter_inputs(self, position: int) -> tuple[object, ...]:
        """What a chapter page reads: the chapter and its links, and only the titles, names
        and addresses of the chapters and characters it links to, so that an edit elsewhere
        (which moves a character's other mentions, or lengthens the next chapter) does not
        make it render again."""
        links, chapters = self.anthology.links[position], self.linked_chapters
        return (
            self.anthology.chapters[position],
            links,
            self.neighbour(links.previous),
            self.neighbour(links.next),
            tuple(map(self.linked_people.__getitem__, links.characters)),
            tuple(map(chapters.__getitem__, map(_SHARED_CHAPTER, links.shared))),
        )

    def neighbour(self, position: int | None) -> tuple[str, str] | None:
        """What a chapter page shows of the chapter before or after it (see `story_link`)."""
        return None if position is None else self.linked_chapters[position]

    @cached_property
    def linked_chapters(self) -> tuple[tuple[str, str], ...]:
        """Each chapter's title and address, as a link to it shows them."""
        return tuple((chapter.title, chapter.url) for chapter in self.anthology.chapters)

    @cached_property
    def linked_people(self) -> tuple[tuple[str, str], ...]:
        """Each character's name and address, as a link to them shows them."""
        return tuple((person.name, person.url) for person in self.people)

    @property
    def people(self) -> tuple[Character, ...]:
        return self.anthology.characters.characters

    def character_index(self) -> bytes:
        meta = self.anthology.meta
        page = self.page(
            "characters/index.html",
            f"Characters \u00b7 {meta.title}",
            f"Every named character in {meta.title}, and the stories they appear in.",
            "characters",
        )

        def render() -> bytes:
            cast = cast_view(self.anthology, page)
            letters, graph = letter_groups(cast), graph_view(self.anthology, cast)
            return self.render("characters.html", page, cast=cast, letters=letters, graph=graph)

        return self.cached(page, self.character_index_inputs, render)

    def character_index_inputs(self) -> tuple[object, ...]:
        """What the character index shows: each character's name, address and other names,
        the chapters they are named in (each one's number, title and address) and how often,
        and whom they share scenes with. Comparing these is cheaper than making the cast and
        its figure, and a chapter's new length or text elsewhere leaves the page as it was."""
        return (
            self.linked_people,
            tuple((person.aliases, person.named_in_each) for person in self.people),
            tuple(links.companions for links in self.anthology.character_links),
            self.chapter_headings,
        )

    def character(self, number: int) -> tuple[str, bytes]:
        character = self.anthology.characters.characters[number]
        path = character.url + "index.html"
        page = self.page(
            path,
            f"{character.name} \u00b7 {self.anthology.meta.title}",
            character.description
            or f"Every appearance of {character.name} in {self.anthology.meta.title}.",
            "character",
        )
        character_links = self.anthology.character_links[number]
        strip = strip_svg(character.name, self.chapter_starts, character_links.positions)
        return path, self.cached(
            page,
            partial(self.character_inputs, number, strip),
            lambda: self.render(
                "character.html",
                page,
                person=character_view(self.anthology, number, page, strip),
            ),
        )

    def character_inputs(self, number: int, strip: Markup) -> tuple[object, ...]:
        """What a character page shows: the character's names and description, how often
        they are named in each chapter (their anchors are numbered there), their quotes and
        companions, their `strip`, each chapter's number, title and address, and every
        character's name and address. Comparing these is cheaper than building the view, and
        an edit that only moves names within a paragraph, or changes a chapter's length, does
        not make every character's page again."""
        character, links = self.people[number], self.anthology.character_links[number]
        return (
            (character.name, character.slug, character.aliases, character.description),
            character.named_in_each,
            links.quotes,
            links.companions,
            strip,
            self.chapter_headings,
            self.linked_people,
        )

    @cached_property
    def chapter_starts(self) -> tuple[float, ...]:
        return chapter_starts(self.anthology.chapters)

    @cached_property
    def chapter_headings(self) -> tuple[tuple[int, str, str], ...]:
        return tuple((c.number, c.title, c.url) for c in self.anthology.chapters)

    def moved(self, position: int, alias: str) -> tuple[str, bytes]:
        """The page left at a chapter's earlier address (an alias): it sends the reader on to
        the chapter, and tells search engines where the story now lives."""
        chapter = self.anthology.chapters[position]
        path = f"chapters/{alias}/index.html"
        site_url = self.anthology.meta.site_url
        page = replace(
            self.page(path, f"{chapter.title} \u00b7 {self.anthology.meta.title}", "", "moved"),
            canonical=site_url + chapter.url if site_url else "",
        )
        return path, self.cached(
            page,
            lambda: (chapter.title, chapter.url),
            lambda: self.render("moved.html", page, chapter=chapter),
        )

    def not_found(self) -> bytes:
        page = self.page(
            "404.html",
            f"Page not found \u00b7 {self.anthology.meta.title}",
            "This page does not exist.",
            "404",
            absolute=True,
        )
        return self.cached(page, tuple, lambda: self.render("404.html", page))


def render_site(
    anthology: Anthology,
    config: Config,
    *,
    epub: Download | None = None,
    image: str | None = None,
    cache: Memo[bytes] | None = None,
    json_lines: Memo[bytes] | None = None,
    texts: ChapterTexts | None = None,
    edition: object = None,
) -> dict[str, bytes]:
    """Every page and asset; with `epub`, the home and chapter pages offer it for download;
    with `image` (a site path), pages name it as their Open Graph image; with `cache`, a page
    whose inputs did not change since the last build is not rendered again, nor, with
    `json_lines`, a character's line in characters.json (`edition`: see
    `edition_or_none`); `texts` shares
    the chapters' rendered text with the EPUB, which must be made first: the site lets each
    one go once its page is made."""
    assets = theme_files(config.theme_dir)
    site = SiteRenderer(anthology, config, assets, epub, image, cache, texts, edition)
    pages: dict[str, bytes] = {"index.html": site.home(), "404.html": site.not_found()}
    for position, chapter in enumerate(anthology.chapters):
        path, data = site.chapter(position)
        pages[path] = data
        pages.update(site.moved(position, alias) for alias in chapter.aliases)
    if anthology.characters.characters:
        pages["characters/index.html"] = site.character_index()
        for number in range(len(anthology.characters.characters)):
            path, data = site.character(number)
            pages[path] = data
    pages["characters.json"] = characters_json(anthology, json_lines)
    return {**assets, **pages}


__all__ = ["Markup", "Page", "render_site"]
