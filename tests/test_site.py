"""Building the five seeds: the pages a reader gets, and every word of every story on them."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from bs4 import BeautifulSoup
from conftest import ROOT, SEEDS, Built, run_sitegen, write_project
from support import left_out_lines, manuscript_words, prose_words

CONFIG = tomllib.loads((ROOT / "anthology.toml").read_text("utf-8"))


def chapter_pages(site: Built) -> list[Path]:
    return sorted((site.out / "chapters").glob("*/index.html"))


def title_of(page: Path) -> str:
    return BeautifulSoup(page.read_bytes(), "html.parser").h1.get_text()


def soup(site: Built, path: str) -> BeautifulSoup:
    return BeautifulSoup(site.page(path), "html.parser")


def test_home_five_chapters_and_404_are_written(seeds_site: Built) -> None:
    assert (seeds_site.out / "index.html").is_file()
    assert (seeds_site.out / "404.html").is_file()
    assert len(chapter_pages(seeds_site)) == 5


def test_summary_line(seeds_site: Built) -> None:
    assert re.fullmatch(
        r"Built 5 chapters \([\d,]+ words\): \d+ files in output/, \d+ changed, in [\d.]+ s; "
        r"3 warnings\n",
        seeds_site.stdout,
    )


def test_the_manuscripts_flaws_are_reported_with_their_lines(seeds_site: Built) -> None:
    lines = seeds_site.stderr.splitlines()
    assert any(
        line.startswith(
            "seeds/000_8e09d97cdccea25b.txt:83: W021 chatbot artifact left out:"
            ' "The tension builds as Kei'
        )
        for line in lines
    ), lines
    assert any(
        line.startswith("seeds/001_7e66cc63c124c5cf.txt:43: W020 paragraph broken across lines 43")
        for line in lines
    ), lines
    assert any(
        line.startswith(
            'seeds/004_888cfbc87bdd0a5f.txt:100: W021 chatbot artifact left out: "Would you like'
        )
        for line in lines
    ), lines
    assert len(lines) == 3


def test_every_word_of_every_manuscript_is_on_its_page_in_order(seeds_site: Built) -> None:
    diagnostics = seeds_site.stderr.splitlines()
    for entry in CONFIG["chapters"]:
        manuscript = SEEDS / entry["file"]
        page = next(p for p in chapter_pages(seeds_site) if title_of(p) == entry["title"])
        _, expected = manuscript_words(manuscript, left_out_lines(diagnostics, manuscript))
        assert prose_words(page.read_bytes()) == expected, manuscript.name


def test_the_chatbot_line_is_not_published(seeds_site: Built) -> None:
    for page in chapter_pages(seeds_site):
        text = page.read_text("utf-8")
        assert "Would you like me to" not in text and "The tension builds" not in text


def test_home_page_lists_the_contents_in_order(seeds_site: Built) -> None:
    home = soup(seeds_site, "index.html")
    assert home.h1.get_text() == CONFIG["title"]
    entries = home.select("ol.contents li")
    assert [e.h3.get_text() for e in entries] == [c["title"] for c in CONFIG["chapters"]]
    first = entries[0]
    assert first.select_one(".number").get_text() == "1"
    assert first.select_one(".teaser").get_text().startswith("The city lay sprawled")
    assert re.search(r"[\d,]+ words · \d+ min read", first.select_one(".stats").get_text())


def test_chapter_page_has_title_number_stats_and_neighbours(seeds_site: Built) -> None:
    page = soup(seeds_site, "chapters/the-last-spark/index.html")
    assert page.h1.get_text() == "The Last Spark"
    assert page.select_one(".eyebrow").get_text() == "Story 3 of 5"
    assert re.fullmatch(
        r"[\d,]+ words · \d+ min read", page.select_one("article .stats").get_text()
    )
    nav = page.select_one("nav.chapter-nav")
    assert nav.select_one("a.previous")["href"] == "../../chapters/the-weight-of-leaving/"
    assert nav.select_one("a.next")["href"] == "../../chapters/the-silence/"
    assert page.html["lang"] == "en"


def test_typography_reaches_the_page(seeds_site: Built) -> None:
    text = soup(seeds_site, "chapters/not-my-problem/index.html").select_one(".prose").get_text()
    assert "\u201cYou\u2019re back,\u201d the doctor muttered" in text
    assert "Running like this\u2026 it\u2019s a death sentence." in text
    assert '"' not in text and "'" not in text


def test_scene_breaks_are_rules_with_an_ornament(seeds_site: Built) -> None:
    page = soup(seeds_site, "chapters/the-weight-of-leaving/index.html")
    assert len(page.select(".prose hr.scene-break")) == 2
    css = (seeds_site.out / "theme" / "style.css").read_text("utf-8")
    assert re.search(r"hr\.scene-break::after\s*{\s*content:", css)


def test_broken_paragraph_is_one_paragraph_on_the_page(seeds_site: Built) -> None:
    page = soup(seeds_site, "chapters/the-weight-of-leaving/index.html")
    joined = [
        p for p in page.select(".prose p") if "she wondered if they had truly" in p.get_text()
    ]
    assert len(joined) == 1


def test_every_page_has_landmarks_skip_link_and_language(seeds_site: Built) -> None:
    for path in [
        "index.html",
        "404.html",
        *[str(p.relative_to(seeds_site.out)) for p in chapter_pages(seeds_site)],
    ]:
        page = soup(seeds_site, path)
        assert page.html["lang"] == "en"
        assert page.select_one("a.skip-link")["href"] == "#content"
        assert page.select_one("main#content") and page.header and page.footer and page.nav


def test_no_request_leaves_the_site(seeds_site: Built) -> None:
    for path in seeds_site.out.rglob("*.html"):
        page = BeautifulSoup(path.read_text("utf-8"), "html.parser")
        for tag in page.select("[src], link[href]"):
            url = tag.get("src") or tag.get("href")
            if tag.name == "link" and tag.get("rel") in (["canonical"], ["alternate"]):
                continue
            assert not re.match(r"^(https?:)?//", url), (path, url)
    css = (seeds_site.out / "theme" / "style.css").read_text("utf-8")
    assert all(not re.match(r"['\"]?(https?:)?//", u) for u in re.findall(r"url\(([^)]+)\)", css))


def test_404_links_work_from_any_depth(seeds_site: Built) -> None:
    page = soup(seeds_site, "404.html")
    hrefs = [a["href"] for a in page.select("a[href]") if not a["href"].startswith("#")]
    assert hrefs and all(h.startswith("/") for h in hrefs)
    assert all(tag["href"].startswith("/") for tag in page.select("link[href]"))


def test_fenced_code_is_highlighted_and_escaped(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "code",
        {
            "01_log.txt": 'The terminal said:\n```python\nprint("<b>hi</b>")\n```\n'
            "And then it went dark."
        },
    )
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    built = project / "output" / "chapters" / "01-log" / "index.html"
    page = BeautifulSoup(built.read_bytes(), "html.parser")
    block = page.select_one(".prose .highlight pre")
    assert block.get_text() == 'print("<b>hi</b>")\n'
    assert block.select("span.nb") and not block.select("b")


def test_names_and_descriptions_are_typeset_as_the_titles_beside_them(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text(
        "---\nauthor: Siobh\u00e1n O'Neill\n---\nMary kept the books. Mary smiled.\n", "utf-8"
    )
    (tmp_path / "anthology.toml").write_text(
        'title = "Harbour"\nauthor = "N\u00ed Bhriain & O\'Hara"\neditor = "The \'Quay\' Group"\n'
        '[characters.describe]\nMary = "Keeps the harbour\'s *books* & its secrets."\n',
        "utf-8",
    )
    run_sitegen("build", "--no-epub", cwd=tmp_path, check=True)
    out = tmp_path / "output"
    home = BeautifulSoup((out / "index.html").read_bytes(), "html.parser")
    assert home.select_one(".byline").get_text() == (
        "N\u00ed Bhriain & O\u2019Hara, edited by The \u2018Quay\u2019 Group"
    )
    chapter = BeautifulSoup((out / "chapters/a/index.html").read_bytes(), "html.parser")
    assert chapter.select_one(".byline").get_text() == "by Siobh\u00e1n O\u2019Neill"
    mary = (out / "characters/mary/index.html").read_text("utf-8")
    assert "Keeps the harbour\u2019s books &amp; its secrets." in mary
    assert "*books*" not in mary


def test_titles_from_the_config_are_typeset_like_a_title_line(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("Ana walked home.\n", "utf-8")
    (seeds / "b.txt").write_text('# Ben\'s "Short" *Day*\n\nBen walked home.\n', "utf-8")
    (tmp_path / "anthology.toml").write_text(
        'title = "Two \\"Walks\\" Home"\n'
        'description = "It\'s *late* -- and they walk."\n'
        '[[chapters]]\nfile = "a.txt"\ntitle = "Ana\'s \\"Long\\" *Night*"\n'
        '[[chapters]]\nfile = "b.txt"\n',
        "utf-8",
    )
    run_sitegen("build", "--no-epub", cwd=tmp_path, check=True)
    out = tmp_path / "output"
    titles = [title_of(page) for page in sorted((out / "chapters").glob("*/index.html"))]
    assert titles == ["Ana\u2019s \u201cLong\u201d Night", "Ben\u2019s \u201cShort\u201d Day"]
    home = BeautifulSoup((out / "index.html").read_bytes(), "html.parser")
    assert home.h1.get_text() == "Two \u201cWalks\u201d Home"
    description = home.find("meta", attrs={"name": "description"})
    assert description["content"] == "It\u2019s late\u2014and they walk."


def test_a_title_with_no_latin_letter_takes_its_url_from_the_file_name(tmp_path: Path) -> None:
    """A URL from the story's place in the book would lead to another story once one is added
    before it: bookmarks and shared links would open the wrong one, and nothing would say so.
    ("夜", "昼", "朝": night, day, morning.)"""
    project = write_project(
        tmp_path,
        {"01_night.txt": "# 夜\n本文。\n", "02_day.txt": "# 昼\n本文。\n"},
        'title = "物語"\nauthor = "作者"\nlanguage = "ja"\n',
    )
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    (project / "seeds" / "00_morning.txt").write_text("# 朝\n本文。\n", "utf-8")
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    chapters = project / "output" / "chapters"
    assert sorted(p.name for p in chapters.iterdir()) == ["00-morning", "01-night", "02-day"]
    night = BeautifulSoup((chapters / "01-night" / "index.html").read_text("utf-8"), "html.parser")
    assert night.h1.get_text() == "夜"


def test_files_an_editor_leaves_in_the_theme_are_not_published(tmp_path: Path) -> None:
    """Emacs keeps `style.css~`, vim a swap file and a `4913` it writes to test the folder,
    a clone of a theme its `.git`: none is the writer's, and none goes on the site."""
    project = write_project(tmp_path, {"a.txt": "# A\nText.\n"}, 'title = "T"\nauthor = "W"\n')
    theme = project / "theme"
    (theme / ".git").mkdir(parents=True)
    (theme / "extra.css").write_text("p { color: red }\n", "utf-8")
    (theme / "intro.swf").write_bytes(b"FWS")  # a writer's, whatever its age
    for junk in ("extra.css~", ".extra.css.swp", "extra.css.swp", "4913", "#extra.css#"):
        (theme / junk).write_text("junk", "utf-8")
    (theme / ".git" / "config").write_text("[core]\n", "utf-8")
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    published = {p.name for p in (project / "output" / "theme").rglob("*") if p.is_file()}
    assert {"extra.css", "intro.swf", "style.css"} <= published
    assert not published & {"extra.css~", ".extra.css.swp", "extra.css.swp", "4913", "config"}


def test_a_manuscript_named_with_a_hash_or_a_tilde_is_published(tmp_path: Path) -> None:
    """A story the writer named "#1 Beginnings.txt" is theirs; Emacs's lock and autosave of
    a story (`.#a.txt`, `#a.txt#`) and Office's lock (`~$a.txt`) are not."""
    stories = {
        "#1 Beginnings.txt": "# Beginnings\nThe first story.\n",
        "~2 Interlude.txt": "# Interlude\nThe second story.\n",
        ".#a.txt": "# Lock\nNot a story.\n",
        "~$a.txt": "# Office\nNot a story.\n",
    }
    project = write_project(tmp_path, stories, 'title = "T"\nauthor = "W"\n')
    result = run_sitegen("build", "--no-epub", cwd=project, check=True)
    chapters = project / "output" / "chapters"
    assert sorted(p.name for p in chapters.iterdir()) == ["beginnings", "interlude"]
    assert result.stderr == ""


def test_a_file_name_that_is_not_utf8_titles_its_story_with_a_replacement_sign(
    tmp_path: Path,
) -> None:
    """A story named on a system of another encoding ("caf\xe9.txt" in Latin-1) has a name
    no page can hold as it is: its title shows U+FFFD where the letter could not be read,
    and the build goes on."""
    project = write_project(tmp_path, {"a.txt": "Ana walked.\n"}, 'title = "T"\nauthor = "W"\n')
    os.rename(project / "seeds" / "a.txt", os.fsencode(project / "seeds") + b"/caf\xe9.txt")
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    [page] = (project / "output" / "chapters").glob("*/index.html")
    soup = BeautifulSoup(page.read_text("utf-8"), "html.parser")
    assert soup.h1.get_text() == "Caf\ufffd"


def test_a_theme_file_whose_name_is_not_utf8_is_told_at_the_file(tmp_path: Path) -> None:
    """No page could link to it, and the list of the site's files could not hold it: the
    build stops with one line at the file, and the site is left as it was."""
    project = write_project(tmp_path, {"a.txt": "Ana walked.\n"}, 'title = "T"\nauthor = "W"\n')
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    before = sorted(p.name for p in (project / "output").iterdir())
    (project / "theme").mkdir()
    Path(os.fsdecode(os.fsencode(project / "theme") + b"/caf\xe9.png")).write_bytes(b"\x89PNG")
    result = run_sitegen("build", "--no-epub", cwd=project)
    assert result.returncode == 1
    [line, _] = result.stderr.splitlines()
    assert line.startswith("theme/caf") and ": E091 this file's name is not UTF-8" in line
    assert sorted(p.name for p in (project / "output").iterdir()) == before


def test_a_name_in_the_config_matches_the_prose_however_its_accent_was_typed(
    tmp_path: Path,
) -> None:
    """The config says "Zoë" as an e and a combining diaeresis, the story as one letter (or
    the other way round): the same name, so the writer's word applies to it."""
    story = '"Go," Zo\u00eb said. Zo\u00eb ran. Mira watched Zo\u00eb. "Stop," Mira said.\n'
    config = 'title = "T"\nauthor = "W"\n\n[characters]\nignore = ["Zoe\u0308"]\n'
    project = write_project(tmp_path, {"a.txt": story}, config)
    result = run_sitegen("build", "--no-epub", cwd=project, check=True)
    assert "W03" not in result.stderr, result.stderr
    index = (project / "output" / "characters" / "index.html").read_text("utf-8")
    assert "Mira" in index and "Zo\u00eb" not in index
