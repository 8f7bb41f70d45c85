"""The character index as a reader uses it: every link lands on a real anchor, every quote is
the real sentence around its mention, and chapters point at each other through shared cast."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from bs4 import BeautifulSoup
from conftest import Built, copy_project, run_sitegen, write_project


def parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_bytes(), "html.parser")


def page_for(out: Path, base: str, href: str) -> tuple[Path, str]:
    url, fragment = urldefrag(urljoin(base, href))
    path = Path(urlparse(url).path)
    target = path / "index.html" if url.endswith("/") else path
    return target, fragment


def test_every_link_on_chapter_and_character_pages_resolves(seeds_site: Built) -> None:
    out = seeds_site.out
    pages = [*out.glob("chapters/*/index.html"), *out.glob("characters/**/index.html")]
    assert len(pages) == 5 + 1 + 17
    checked = 0
    for page in pages:
        base = page.as_uri()
        for link in parse(page).select("a[href]"):
            href = link["href"]
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            target, fragment = page_for(out, base, href)
            assert target.is_file(), f"{page}: {href} -> {target} is missing"
            if fragment:
                assert parse(target).find(id=fragment), f"{page}: {href} has no #{fragment}"
            checked += 1
    assert checked > 200


def prose_text(page: Path) -> str:
    return " ".join(parse(page).select_one(".prose").get_text().split())


def test_quotes_are_the_sentences_around_each_mention(seeds_site: Built) -> None:
    out = seeds_site.out
    quotes = 0
    for page in out.glob("characters/*/index.html"):
        for link in parse(page).select(".quotes a"):
            target, fragment = page_for(out, page.as_uri(), link["href"])
            chapter = parse(target)
            anchor = chapter.find(id=fragment)
            assert anchor.get_text() == link.mark.get_text()
            paragraph = " ".join(anchor.find_parent("p").get_text().split())
            quote = " ".join(link.get_text().split()).strip("\u2026")
            assert quote in paragraph, (page, quote)
            quotes += 1
    assert quotes >= 40


def test_no_quote_is_the_name_alone(seeds_site: Built) -> None:
    """A paragraph that is only the name ("Celine.") quotes nothing: the character page quotes
    the mentions that say more, and lists that one by number."""
    for page in seeds_site.out.glob("characters/*/index.html"):
        for link in parse(page).select(".quotes a"):
            around = link.get_text().replace(link.mark.get_text(), "")
            assert any(c.isalpha() for c in around), (page, link.get_text())
    celine = parse(seeds_site.out / "characters" / "celine" / "index.html")
    assert celine.select_one(".appearance .more a").get_text() == "1"


def test_every_mention_has_an_anchor_and_the_first_links_to_the_character(
    seeds_site: Built,
) -> None:
    index = json.loads((seeds_site.out / "characters.json").read_text("utf-8"))
    for entry in index:
        for appearance in entry["appearances"]:
            page = parse(seeds_site.out / "chapters" / appearance["chapter"] / "index.html")
            anchors = page.select(f'.prose .mention[id^="m-{entry["slug"]}-"]')
            assert len(anchors) == appearance["mentions"], (entry["name"], appearance)
            assert anchors[0].name == "a"
            assert anchors[0]["href"] == f"../../characters/{entry['slug']}/"
            assert all(a.name == "span" for a in anchors[1:])


def test_characters_json_has_the_documented_shape(seeds_site: Built) -> None:
    index = json.loads((seeds_site.out / "characters.json").read_text("utf-8"))
    assert [e["name"] for e in index] == sorted((e["name"] for e in index), key=str.casefold)
    for entry in index:
        assert set(entry) == {"name", "slug", "aliases", "appearances", "url"}
        assert entry["url"] == f"characters/{entry['slug']}/"
        for appearance in entry["appearances"]:
            assert set(appearance) == {"chapter", "source", "mentions", "first_block"}
            assert (seeds_site.root / "seeds" / appearance["source"]).is_file()
    kai = next(e for e in index if e["name"] == "Kai")
    assert [a["source"] for a in kai["appearances"]] == [
        "001_7e66cc63c124c5cf.txt",
        "004_888cfbc87bdd0a5f.txt",
    ]
    kei = next(e for e in index if e["name"] == "Kei")
    assert [a["source"] for a in kei["appearances"]] == ["000_8e09d97cdccea25b.txt"]


def test_chapters_link_to_chapters_that_share_characters(seeds_site: Built) -> None:
    leaving = parse(seeds_site.out / "chapters/the-weight-of-leaving/index.html")
    aside = leaving.select_one("aside.aside")
    cast = [a.get_text() for a in aside.select("ul")[0].select("a")]
    assert cast[0] == "Kai" and {"Asuka", "Alec", "Grant", "Maren", "Sato"} <= set(cast)
    elsewhere = aside.select("ul")[1]
    assert elsewhere.a["href"] == "../../chapters/extraction-point/"
    assert "Kai" in elsewhere.get_text()
    silence = parse(seeds_site.out / "chapters/the-silence/index.html").select_one("aside")
    assert "Also appearing elsewhere" not in silence.get_text()


def test_character_index_page(seeds_site: Built) -> None:
    page = parse(seeds_site.out / "characters/index.html")
    jump = page.select_one("nav.letters")
    assert [a.get_text() for a in jump.select("a")] == list("ACEGJKMNRSY")
    assert len(jump.select("li")) == 26
    empty = [li for li in jump.select("li") if li.a is None]  # no list item a reader hears blank
    assert len(empty) == 15 and all(li.get("aria-hidden") == "true" for li in empty)
    svg = page.select_one("svg.cast-graph")
    assert svg.title.get_text() == "Who appears with whom" and svg.desc.get_text()
    assert svg["role"] == "img"
    rows = page.select("details table tbody tr")
    assert len(rows) == 17
    kai = next(li for li in page.select("ul.cast li") if li.h3.get_text() == "Kai")
    assert re.search(r"2 stories · \d+ mentions", kai.get_text())
    assert [a.get_text() for a in kai.select(".in a")] == [
        "The Weight of Leaving",
        "Extraction Point",
    ]


def test_each_numbered_mention_link_is_named_with_its_story(seeds_site: Built) -> None:
    """Kai's page numbers the mentions of each story from 1: a screen reader's list of links
    must still tell "mention 4" of one story from "mention 4" of the other."""
    page = parse(seeds_site.out / "characters/kai/index.html")
    names = [a["aria-label"] for a in page.select(".more a")]
    assert len(names) == len(set(names)) > 10
    assert "The Weight of Leaving, mention 4" in names and "Extraction Point, mention 4" in names


def test_character_page(seeds_site: Built) -> None:
    page = parse(seeds_site.out / "characters/sergei-ivanov/index.html")
    assert page.h1.get_text() == "Sergei Ivanov"
    description = page.select_one('meta[name="description"]')["content"]
    assert description == "Every appearance of Sergei Ivanov in After the Lights Went Out."
    assert "Also called Sergei" in page.select_one(".aliases").get_text()
    strip = page.select_one("svg.strip")
    assert strip.title.get_text() == "Where Sergei Ivanov appears"
    assert strip.select(".ticks rect")
    # The heading is the story's title alone (a screen reader's list of headings reads it):
    # the counts follow it.
    headings = page.select(".appearance h3")
    assert [h.get_text() for h in headings] == ["The Silence"]
    assert headings[0].find_next_sibling().get_text() == "Story 4 \u00b7 11 mentions"


def test_every_page_links_to_the_characters(seeds_site: Built) -> None:
    for page in seeds_site.out.rglob("*.html"):
        nav = parse(page).select_one("nav.site-nav")
        assert any(a.get_text() == "Characters" for a in nav.select("a")), page


def test_characters_command_prints_the_index(seeds_site: Built) -> None:
    table = run_sitegen("characters", cwd=seeds_site.root, check=True).stdout.splitlines()
    assert table[0].split() == ["Name", "Also", "called", "Chapters", "Mentions"]
    kai = next(line for line in table if line.startswith("Kai "))
    assert re.fullmatch(r"Kai +- +the-weight-of-leaving, extraction-point +\d+", kai)
    as_json = run_sitegen("characters", "--json", cwd=seeds_site.root, check=True).stdout
    assert json.loads(as_json) == json.loads((seeds_site.out / "characters.json").read_text())


def test_a_manuscript_in_a_subfolder_is_named_by_its_path_as_the_config_names_it(
    tmp_path: Path,
) -> None:
    """`characters.json` and a character's `chapters` use the path the config's `file` gives,
    so a story in `part-two/` is told apart from a namesake elsewhere, and can be named."""
    project = tmp_path / "parts"
    (project / "seeds" / "part-two").mkdir(parents=True)
    (project / "seeds" / "part-two" / "later.txt").write_text(
        "Zora came back. Zora stayed.\n", "utf-8"
    )
    (project / "anthology.toml").write_text(
        'title = "Parts"\nlanguage = "en"\n\n[[chapters]]\nfile = "part-two/later.txt"\n'
        '\n[[characters.add]]\nname = "Wren"\nchapters = ["part-two/later.txt"]\n',
        "utf-8",
    )
    result = run_sitegen("characters", "--json", cwd=project, check=True)
    assert " W032 " not in result.stderr
    sources = {a["source"] for c in json.loads(result.stdout) for a in c["appearances"]}
    assert sources == {"part-two/later.txt"}


def test_names_in_letters_of_their_own_file_under_their_latin_letter(tmp_path: Path) -> None:
    """Ł, Æ and Ø have no accent to strip: Łukasz still files under L and sorts among the
    L's, Ægir among the A's, and their pages have readable addresses."""
    project = tmp_path / "names"
    (project / "seeds").mkdir(parents=True)
    lines = [f'"Hello," said {n}. {n} waved.' for n in ("Zoë", "Łukasz", "Ægir", "Øyvind", "Tom")]
    (project / "seeds" / "one.txt").write_text("\n".join(lines) + "\n", "utf-8")
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    page = parse(project / "output" / "characters" / "index.html")
    filed = {
        section.h2.get_text(): [h3.get_text() for h3 in section.select("h3")]
        for section in page.select("section.letter")
    }
    assert filed == {"A": ["Ægir"], "L": ["Łukasz"], "O": ["Øyvind"], "T": ["Tom"], "Z": ["Zoë"]}
    table = run_sitegen("characters", cwd=project, check=True).stdout.splitlines()[1:]
    assert [line.split()[0] for line in table] == ["Ægir", "Łukasz", "Øyvind", "Tom", "Zoë"]
    assert (project / "output" / "characters" / "lukasz" / "index.html").is_file()


def test_the_figures_say_one_mention_and_one_line_in_the_singular(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "one", {"a.txt": '"Go," said Mara to Tomas.\n"Now," said Tomas.\n'}
    )
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    out = project / "output"
    mara = parse(out / "characters/mara/index.html").select_one("svg.strip desc").get_text()
    assert mara.startswith("1 mention of Mara along the anthology")
    graph = parse(out / "characters/index.html").select_one("svg.cast-graph desc").get_text()
    assert graph.startswith("2 characters drawn on a circle; 1 line joins characters")


def test_a_name_inside_code_still_has_its_anchor(tmp_path: Path) -> None:
    project = tmp_path / "code"
    (project / "seeds").mkdir(parents=True)
    (project / "seeds" / "01_terminal.txt").write_text(
        '"Run it," said Zora.\nZora typed `ping Zora` and waited.\n"Nothing," Zora said.',
        "utf-8",
    )
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    out = project / "output"
    anchors = parse(out / "chapters/01-terminal/index.html").select('[id^="m-zora-"]')
    assert len(anchors) == 4
    assert any(a.find_parent("code") for a in anchors)
    page = out / "characters" / "zora" / "index.html"
    for link in parse(page).select("a[href*='#m-zora-']"):
        target, fragment = page_for(out, page.as_uri(), link["href"])
        assert parse(target).find(id=fragment), link["href"]


def test_words_around_a_name_in_code_make_no_longer_name_with_it(tmp_path: Path) -> None:
    """A prompt in code (`User Kai`) names Kai, not someone called "User Kai"."""
    story = (
        '"Go," Kai said. Kai ran. Mira watched Kai. "Stop," Mira said.\n'
        "The login prompt said `User Kai` and nothing more.\n"
        "*The prompt said `User Kai` again.*\n"
        "`User Kai`\n"
        "Mira typed `Kai` into the terminal.\n"
    )
    project = write_project(tmp_path / "code", {"01_prompt.txt": story})
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    out = project / "output"
    names = [a.get_text() for a in parse(out / "characters/index.html").select(".cast h3 a")]
    assert names == ["Kai", "Mira"]
    anchors = parse(out / "chapters/01-prompt/index.html").select('[id^="m-kai-"]')
    assert len(anchors) == 7 and sum(bool(a.find_parent("code")) for a in anchors) == 4


def test_a_character_the_config_adds_but_the_text_never_names_still_builds(
    tmp_path: Path,
) -> None:
    """The writer is warned, and the character is listed with a page of their own; the cast
    figure, which places people by where they first appear, leaves them out."""
    project = copy_project(tmp_path / "anthology", config=None)
    (project / "anthology.toml").write_text(
        'title = "Stories"\n\n[[characters.add]]\nname = "Zebediah Nobody"\n'
        'description = "Waits in the wings."\n',
        "utf-8",
    )
    for command in ("build", "check"):
        result = run_sitegen(command, cwd=project)
        assert result.returncode == 0, result.stderr
        assert "W031 added character `Zebediah Nobody` is never mentioned" in result.stderr
    index = parse(project / "output" / "characters" / "index.html")
    assert index.find("a", string="Zebediah Nobody")
    page = (project / "output" / "characters" / "zebediah-nobody" / "index.html").read_text()
    assert "Waits in the wings." in page
    assert "Zebediah Nobody" not in str(index.select_one("figure svg"))


def test_long_unbreakable_text_wraps_on_a_phone(tmp_path: Path, browser) -> None:
    """An address, or a long word in a title, wraps at the screen's edge: no page of the
    site scrolls sideways at 390 px."""
    project = tmp_path / "long"
    (project / "seeds").mkdir(parents=True)
    address = "https://example.com/" + "very-long-path-segment/" * 6 + "story.html"
    word = "Supercalifragilisticexpialidocious" * 2
    (project / "seeds" / "one.txt").write_text(
        f"# {word}\n\n{address} was where Tomasz kept it, said Tomasz.\n"
        f'"Read {address}," said Tomasz.\n',
        "utf-8",
    )
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    out = project / "output"
    pages = [out / "index.html", *out.glob("chapters/*/index.html"), out / "characters/index.html"]
    pages += out.glob("characters/*/index.html")
    wide = []
    for path in pages:
        page = browser.new_page(viewport={"width": 390, "height": 800})
        page.goto(path.as_uri())
        width = page.evaluate("document.documentElement.scrollWidth")
        page.close()
        if width > 390:
            wide.append((path.relative_to(out).as_posix(), width))
    assert len(pages) == 4 and wide == []


def test_every_name_in_the_cast_graph_is_drawn_whole(seeds_site: Built, browser) -> None:
    """A long name at the side of the circle ("Sergei Ivanov") fits inside the drawing, as
    Chromium lays out the theme's own font, on a phone and on a desktop."""
    url = (seeds_site.out / "characters" / "index.html").as_uri()
    for width in (390, 1280):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(url)
        outside = page.evaluate(
            """() => {
                const svg = document.querySelector('svg.cast-graph');
                const view = svg.viewBox.baseVal;
                return [...svg.querySelectorAll('text')].filter(text => {
                    const box = text.getBBox();
                    return box.x < view.x || box.x + box.width > view.x + view.width
                        || box.y < view.y || box.y + box.height > view.y + view.height;
                }).map(text => text.textContent);
            }"""
        )
        names = page.locator("svg.cast-graph text").count()
        page.close()
        assert names >= 10 and outside == [], (width, outside)


@pytest.mark.browser
def test_no_page_scrolls_sideways_on_a_phone_at_twice_the_text_size(
    seeds_site: Built, browser
) -> None:
    """A reader who sets text twice as large (as low vision asks) still reads every page
    down, not across: the character cards fall into one column, headings fit."""
    out = seeds_site.out
    pages = [out / "index.html", out / "characters/index.html", out / "characters/kai/index.html"]
    pages += out.glob("chapters/*/index.html")
    page = browser.new_page(viewport={"width": 390, "height": 800})
    wide = []
    for path in pages:
        page.goto(path.as_uri())
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide.append((path.relative_to(out).as_posix(), width))
    page.close()
    assert len(pages) == 8 and wide == []


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_mention_a_link_leads_to_is_ringed(seeds_site: Built, browser, scheme: str) -> None:
    """Following a character page's link to a mention, the reader finds the name at once:
    a ring in the accent colour, plain against the page (3:1) in either theme, whether the
    mention is the chapter's first (a link itself) or a later one."""
    from test_pages import contrast

    context = browser.new_context(color_scheme=scheme, viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        chapter = (seeds_site.out / "chapters/the-last-spark/index.html").as_uri()
        for anchor in ("m-jin-hee-1", "m-jin-hee-3"):
            page.goto(f"{chapter}#{anchor}")
            ring, shown, width, paper = page.evaluate(
                f"""() => {{
                    const style = getComputedStyle(document.getElementById('{anchor}'));
                    return [style.outlineColor, style.outlineStyle, parseFloat(style.outlineWidth),
                            getComputedStyle(document.body).backgroundColor];
                }}"""
            )
            assert shown == "solid" and width >= 2, (anchor, shown, width)
            assert contrast(ring, paper) >= 3, (anchor, ring, paper)
    finally:
        context.close()


@pytest.mark.browser
def test_a_printed_page_leaves_out_what_only_a_screen_uses(seeds_site: Built, browser) -> None:
    """On paper there is nothing to download and nothing to jump to: the EPUB's download
    line and the index's letters are left out, and names are not underlined as links."""
    page = browser.new_page()
    page.emulate_media(media="print")
    for path, hidden in (
        ("chapters/the-last-spark/index.html", ".download"),
        ("index.html", ".download"),
        ("characters/index.html", ".letters"),
    ):
        page.goto((seeds_site.out / path).as_uri())
        assert not page.locator(hidden).first.is_visible(), path
    page.goto((seeds_site.out / "chapters/the-last-spark/index.html").as_uri())
    underline = page.evaluate(
        "getComputedStyle(document.querySelector('.prose .mention')).textDecorationLine"
    )
    page.close()
    assert underline == "none"
