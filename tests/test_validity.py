"""Every page passes the Nu Html Checker (vnu.jar from npm, run with Debian's Java)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import ROOT, Built, run_sitegen, write_project

from sitegen.model import is_right_to_left

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_errors(folder: Path) -> list[str]:
    assert VNU.is_file(), "vnu.jar is missing: scripts/test.sh installs it with npm ci"
    pages = sorted(str(p) for p in folder.rglob("*.html"))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--errors-only", *pages],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    return [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}" for m in messages]


def test_every_page_of_the_seeds_site_is_valid_html(seeds_site: Built) -> None:
    assert len(list(seeds_site.out.rglob("*.html"))) >= 7
    assert vnu_errors(seeds_site.out) == []


def test_a_right_to_left_anthology_reads_right_to_left_in_pages_and_book(
    tmp_path: Path,
) -> None:
    """Arabic, Hebrew, Persian…: every page and book document runs right to left, the book's
    pages turn that way, and all of it is still valid (the Nu checker, epubcheck)."""
    from test_epub import Book, epubcheck_messages

    night = "\u0643\u0627\u0646 \u0627\u0644\u0644\u064a\u0644 \u0637\u0648\u064a\u0644."
    config = 'title = "\u0644\u064a\u0644"\nauthor = "\u0633\u0644\u0645\u0649"\n'
    write_project(tmp_path, {"a.txt": night + "\n"}, config + 'language = "ar"\n')
    run_sitegen("build", cwd=tmp_path, check=True)
    out = tmp_path / "output"
    for page in out.rglob("*.html"):
        assert '<html lang="ar" dir="rtl">' in page.read_text("utf-8"), page
    assert vnu_errors(out) == []
    [path] = out.glob("*.epub")
    book = Book.open(path)
    spine = book.package.find("{http://www.idpf.org/2007/opf}spine")
    assert spine is not None and spine.get("page-progression-direction") == "rtl"
    for document in book.spine:
        assert book.document(document).get("dir") == "rtl", document
    assert epubcheck_messages(path) == []


def test_a_script_subtag_decides_the_direction() -> None:
    right_to_left = ("he-IL", "az-Arab", "fa", "ar-u-nu-latn", "he-x-test", "arz", "ckb-IQ")
    left_to_right = ("ks-Deva", "en", "pt-BR", "en-u-ca-hebr", "zh-yue-HK", "az")
    assert all(is_right_to_left(tag) for tag in right_to_left)
    assert not any(is_right_to_left(tag) for tag in left_to_right)


def test_english_counts_keep_their_order_on_a_right_to_left_page(tmp_path: Path, browser) -> None:
    """The labels are English: on an Arabic page "217 words" must not show as "words 217"."""
    night = "\u0643\u0627\u0646 \u0627\u0644\u0644\u064a\u0644 \u0637\u0648\u064a\u0644."
    write_project(tmp_path, {"a.txt": night + "\n"}, 'title = "T"\nlanguage = "ar"\n')
    run_sitegen("build", "--no-epub", cwd=tmp_path, check=True)
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto((tmp_path / "output" / "index.html").as_uri())
    number_left, word_left = page.evaluate(
        """() => {
            const text = document.querySelector(".stats").firstChild;
            const at = (start, end) => {
                const range = document.createRange();
                range.setStart(text, start);
                range.setEnd(text, end);
                return range.getBoundingClientRect().left;
            };
            const words = text.textContent.indexOf("words");
            return [at(0, text.textContent.indexOf(" ")), at(words, words + 5)];
        }"""
    )
    page.close()
    assert number_left < word_left
