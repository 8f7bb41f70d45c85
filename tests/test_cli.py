"""The command line as a writer meets it: exit codes, one line per problem, no tracebacks."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, copy_project, run_sitegen, write_project
from test_validity import vnu_errors


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "anthology")


@pytest.mark.parametrize(
    "command", [[], ["build"], ["check"], ["characters"], ["serve"], ["deploy"], ["new"]]
)
def test_help_on_every_command(command: list[str], tmp_path: Path) -> None:
    result = run_sitegen(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: sitegen")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    for args in (
        ["build", "--no-such-flag"],
        ["frobnicate"],
        ["build", "--config", "missing.toml"],
        ["build", "--base-url", "example.org"],
        ["build", "--base-url", "https://example.org/sub/?x=1"],
        ["build", "--base-url", "/sub/#top"],
        ["build", "--base-url", "//example.org/"],
        ["build", "--base-url", '/a"><script>/'],
        ["build", "--base-url", "https://example.org:99999/"],  # as the config's is checked
        ["build", "--base-url", "/a%zz/"],
        ["build", "--base-url", ""],  # an unset variable in a script: no silent root
        ["build", "--base-url", " /x/ "],
        ["serve", "--base-url", "/a|b/"],
        ["serve", "--port", "99999"],
        ["serve", "--port", "-1"],
    ):
        result = run_sitegen(*args, cwd=tmp_path)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
        assert "anthology.toml" not in result.stderr, args  # the command's, not the config's


def test_a_mistyped_option_shows_its_commands_usage_and_the_nearest_option(
    tmp_path: Path,
) -> None:
    result = run_sitegen("build", "--outt", "site", "--verbse", cwd=tmp_path)
    assert result.returncode == 2
    usage, *_, message = result.stderr.splitlines()
    assert usage.startswith("usage: sitegen build ")
    assert message == (
        "sitegen build: error: unrecognized arguments: --outt site --verbse; "
        "--outt: did you mean --out?; --verbse: did you mean --verbose?"
    )
    assert not (tmp_path / "site").exists()


def test_bad_toml_is_one_line_with_file_and_line(project: Path) -> None:
    config = project / "anthology.toml"
    config.write_text(
        config.read_text("utf-8").replace('language = "en"', "language = en"), "utf-8"
    )
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith("anthology.toml:5: E001 cannot read the config: invalid value")
    assert "Traceback" not in result.stderr
    assert not (project / "output").exists()


def test_config_problems_are_reported_together(project: Path) -> None:
    config = project / "anthology.toml"
    text = config.read_text("utf-8").replace('language = "en"', "language = 3")
    config.write_text(
        text.replace('title = "The Silence"', 'title = "The Silence"\nslug = "No Way"')
    )
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "anthology.toml:5: E002 `language` must be a string, not a whole number; put it in"
        ' quotes: language = "..."',
        "anthology.toml:25: E002 slug `No Way` must be lower-case letters, digits and single"
        ' hyphens; write it like slug = "the-long-night"',
        "sitegen: 2 errors; nothing was written",
    ]


def test_missing_manuscript_names_the_config_line(project: Path) -> None:
    config = project / "anthology.toml"
    text = config.read_text("utf-8").replace(
        'file = "003_16f21ff587169ca7.txt"', 'file = "gone.txt"'
    )
    config.write_text(text, "utf-8")
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "anthology.toml:23: E011 manuscript `gone.txt` not found in seeds/; "
        "fix the file name or remove the entry"
    )


def test_two_chapters_at_one_url_are_named_where_the_url_is_decided(tmp_path: Path) -> None:
    stories = {
        "a.txt": "---\ntitle: The Night\n---\nIt was dark.\n",
        "b.txt": "\n# The Night\nIt was darker.\n",
        "c.txt": "---\nslug: the-night\n---\nDarkest.\n",
    }
    write_project(tmp_path, stories)
    result = run_sitegen("build", cwd=tmp_path)
    assert result.returncode == 1
    taken = "chapter URL chapters/the-night/ of {} is already taken by a.txt"
    assert [line.split("; ")[0] for line in result.stderr.splitlines()[:2]] == [
        f"seeds/b.txt:2: E015 {taken.format('b.txt')}",
        f"seeds/c.txt:2: E015 {taken.format('c.txt')}",
    ]
    (tmp_path / "anthology.toml").write_text(
        'title = "T"\n\n[[chapters]]\nfile = "a.txt"\n\n[[chapters]]\nfile = "b.txt"\n'
        'title = "Other"\nslug = "the-night"\n\n[[chapters]]\nfile = "c.txt"\n'
        'title = "The Night"\nslug = "last"\n',
        "utf-8",
    )
    result = run_sitegen("build", cwd=tmp_path)
    assert result.returncode == 1
    clashes = [line for line in result.stderr.splitlines() if "E015" in line]
    assert clashes == [
        f"anthology.toml:9: E015 {taken.format('b.txt')}; "
        "give one of them a distinct title, `slug` or alias in the config"
    ]
    # An alias that clashes is named at its own line, not at the title's.
    (tmp_path / "anthology.toml").write_text(
        'title = "T"\n\n[[chapters]]\nfile = "a.txt"\n\n[[chapters]]\nfile = "b.txt"\n'
        'title = "Other"\naliases = ["the-night"]\n',
        "utf-8",
    )
    result = run_sitegen("build", cwd=tmp_path)
    assert f"anthology.toml:9: E015 {taken.format('b.txt')}; " in result.stderr
    # The other way round: a later chapter's own URL is an earlier one's alias.
    (tmp_path / "anthology.toml").write_text(
        'title = "T"\n\n[[chapters]]\nfile = "a.txt"\ntitle = "First"\naliases = ["second"]\n'
        '\n[[chapters]]\nfile = "b.txt"\ntitle = "Second"\n',
        "utf-8",
    )
    result = run_sitegen("build", cwd=tmp_path)
    assert (
        "anthology.toml:10: E015 chapter URL chapters/second/ of b.txt is already taken by a.txt"
        " (as an alias); " in result.stderr
    )


def test_a_renamed_story_warns_once_and_its_alias_leads_to_it(project: Path) -> None:
    """A published URL is someone's bookmark: renaming a story warns that it is gone, and
    an alias keeps it, as Hugo's `aliases` do."""
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    config = project / "anthology.toml"
    renamed = config.read_text("utf-8").replace(
        'title = "The Last Spark"', 'title = "The Last Spark of Neo-Tokyo"'
    )
    config.write_text(renamed, "utf-8")
    result = run_sitegen("build", "--no-epub", cwd=project, check=True)
    assert "anthology.toml: W019 chapters/the-last-spark/ was published by the last build" in (
        result.stderr
    )
    assert 'add aliases = ["the-last-spark"]' in result.stderr
    again = run_sitegen("build", "--no-epub", cwd=project, check=True)
    assert "W019" not in again.stderr  # said once, when it went
    config.write_text(
        renamed.replace(
            'title = "The Last Spark of Neo-Tokyo"',
            'title = "The Last Spark of Neo-Tokyo"\naliases = ["the-last-spark"]',
        ),
        "utf-8",
    )
    run_sitegen("build", "--no-epub", cwd=project, check=True)
    moved = (project / "output/chapters/the-last-spark/index.html").read_text("utf-8")
    new = "../../chapters/the-last-spark-of-neo-tokyo/"
    assert f'<meta http-equiv="refresh" content="0; url={new}">' in moved
    assert f'<a href="{new}">The Last Spark of Neo-Tokyo</a>' in moved
    assert '<meta name="robots" content="noindex">' in moved
    assert vnu_errors(project / "output/chapters/the-last-spark") == []
    clash = renamed.replace(
        'title = "The Silence"', 'title = "The Silence"\naliases = ["not-my-problem"]'
    )
    config.write_text(clash, "utf-8")
    result = run_sitegen("build", "--no-epub", cwd=project)
    assert result.returncode == 1
    assert (
        "E015 chapter URL chapters/not-my-problem/ of 003_16f21ff587169ca7.txt is already taken"
        in (result.stderr)
    )


def test_a_listed_manuscript_must_be_in_the_source_folder(project: Path) -> None:
    """The config may name any manuscript in the folder, a link to a file kept elsewhere too
    (as an unlisted one is published), but no path that leads out of the folder."""
    (project / "secret.txt").write_text("Not for publishing.\n", "utf-8")
    (project / "kept-elsewhere.txt").write_text("A story kept elsewhere.\n", "utf-8")
    seeds = project / "seeds"
    (seeds / "linked.txt").symlink_to(project / "kept-elsewhere.txt")
    config = project / "anthology.toml"
    text = config.read_text("utf-8")
    for old, new in (
        ("000_8e09d97cdccea25b.txt", "linked.txt"),
        ("001_7e66cc63c124c5cf.txt", "../secret.txt"),
    ):
        text = text.replace(f'file = "{old}"', f'file = "{new}"')
    config.write_text(text, "utf-8")
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 1
    refused = [line for line in result.stderr.splitlines() if " E0" in line]
    assert len(refused) == 1
    assert " E011 `../secret.txt` is not a manuscript in seeds/;" in refused[0]
    text = text.replace('file = "../secret.txt"', 'file = "001_7e66cc63c124c5cf.txt"')
    config.write_text(text, "utf-8")
    run_sitegen("build", cwd=project, check=True)
    assert "A story kept elsewhere." in (project / "output/index.html").read_text("utf-8")


def test_a_failed_build_leaves_the_last_good_site(project: Path) -> None:
    run_sitegen("build", cwd=project, check=True)
    before = {p: p.read_bytes() for p in (project / "output").rglob("*") if p.is_file()}
    (project / "anthology.toml").write_text("title = [", "utf-8")
    assert run_sitegen("build", cwd=project).returncode == 1
    after = {p: p.read_bytes() for p in (project / "output").rglob("*") if p.is_file()}
    assert after == before


def test_quiet_prints_only_problems_and_verbose_prints_stages(project: Path) -> None:
    quiet = run_sitegen("build", "--quiet", cwd=project, check=True)
    assert quiet.stdout == "" and len(quiet.stderr.splitlines()) == 3
    verbose = run_sitegen("build", "--verbose", cwd=project, check=True)
    stages = re.findall(r"^  (\S+) +[\d.]+ ms +peak +[\d.]+ MB$", verbose.stdout, re.MULTILINE)
    # With two cores, a helper process reads and analyses a small anthology in one go.
    assert stages in (
        ["read+parse+scan", "characters+links", "render", "write"],
        ["read+analyse", "render", "write"],
    )


def test_check_writes_nothing_and_strict_fails_on_warnings(project: Path) -> None:
    result = run_sitegen("check", cwd=project)
    assert result.returncode == 0 and "3 warnings, 0 errors" in result.stdout
    assert not (project / "output").exists()
    assert run_sitegen("check", "--strict", cwd=project).returncode == 1


def test_run_outside_the_project_says_so_rather_than_to_make_a_folder(
    project: Path, tmp_path: Path
) -> None:
    """Run from the manuscripts' folder, or any folder with no config, the build does not tell
    the writer to create a `seeds` folder there; with a config, a missing folder is named."""
    result = run_sitegen("build", cwd=project / "seeds")
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if "E012" in line]
    assert "no anthology.toml in" in line and "run sitegen in your anthology's folder" in line
    assert not (project / "seeds" / "seeds").exists()
    (project / "seeds").rename(project / "stories")
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 1
    assert "seeds: E012 source folder not found; create it" in result.stderr


def test_builds_without_a_config(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "bare", config=None)
    (project / "seeds" / "005_the_night_shift.txt").write_text("A short one.", "utf-8")
    result = run_sitegen("build", cwd=project, check=True)
    assert "Built 6 chapters" in result.stdout
    home = (project / "output" / "index.html").read_text("utf-8")
    titles = [t for t in ("8e09d97cdccea25b", "The Night Shift") if t in home]
    assert titles == ["8e09d97cdccea25b", "The Night Shift"]
    assert home.index("8e09d97cdccea25b") < home.index("The Night Shift")


def test_without_a_config_files_go_in_their_numbers_order_titled_from_their_names(
    tmp_path: Path,
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    names = ["10_the_tenth_day", "2_the_USA_trip", "1_it's_over", "3-a-tale-of-two-cities"]
    for name in names:
        (seeds / f"{name}.txt").write_text(f"Ana walked in {name[:2]}.\n", "utf-8")
    run_sitegen("build", "--no-epub", cwd=tmp_path, check=True)
    home = BeautifulSoup((tmp_path / "output" / "index.html").read_bytes(), "html.parser")
    contents = [a.get_text(" ", strip=True) for a in home.select("ol.contents h2 a, ol.contents a")]
    assert [title for title in contents if title][:4] == [
        "It's Over",
        "The USA Trip",
        "A Tale of Two Cities",
        "The Tenth Day",
    ]


def test_source_out_and_base_url_options(tmp_path: Path, project: Path) -> None:
    out = tmp_path / "elsewhere"
    result = run_sitegen(
        "build",
        "--out",
        str(out),
        "--base-url",
        "https://example.org/stories",
        cwd=project,
        check=True,
    )
    assert "Built 5 chapters" in result.stdout
    home = (out / "index.html").read_text("utf-8")
    assert '<link rel="canonical" href="https://example.org/stories/">' in home
    assert 'href="/stories/theme/style.css' in (out / "404.html").read_text("utf-8")


def test_a_config_that_is_a_broken_link_or_a_folder_is_said_so(tmp_path: Path) -> None:
    """Not taken for no config at all, which would build with defaults and say nothing."""
    write_project(tmp_path, {"a.txt": "Ana ran.\n"})
    (tmp_path / "anthology.toml").symlink_to("gone.toml")
    result = run_sitegen("build", cwd=tmp_path)
    assert result.returncode == 1 and not (tmp_path / "output").exists()
    assert result.stderr.splitlines()[0] == (
        "anthology.toml: E000 config file is a link to gone.toml, which does not exist; "
        "point the link at the config"
    )
    result = run_sitegen("build", "--config", "anthology.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert "--config: anthology.toml is a link to gone.toml, which does not exist" in (
        result.stderr
    )
    result = run_sitegen("build", "--config", "seeds", cwd=tmp_path)
    assert result.returncode == 2
    assert "--config: seeds is a folder; give the config file's path" in result.stderr


def test_without_a_config_a_book_with_no_author_is_warned_about(tmp_path: Path) -> None:
    """An e-reader files a book with no creator under no one; a writer with no config yet is
    told where the author goes."""
    write_project(tmp_path, {"a.txt": "Ana ran.\n"})
    result = run_sitegen("build", cwd=tmp_path, check=True)
    assert result.stderr.splitlines() == [
        "anthology.toml: W002 the anthology has no author or editor, so e-readers file the book"
        ' under no one; set author = "Your Name" (or editor = "...") in a new file of that'
        " name, the config"
    ]
    write_project(tmp_path / "signed", {"a.txt": "---\nauthor: Jo Marsh\n---\nAna ran.\n"})
    assert run_sitegen("build", cwd=tmp_path / "signed", check=True).stderr == ""


def test_a_manuscript_listed_twice_is_named_at_its_second_entry(tmp_path: Path) -> None:
    """However its path is written: `./a.txt` is `a.txt`."""
    write_project(tmp_path, {"a.txt": "Ana ran.\n", "b.txt": "Ben sat.\n"})
    (tmp_path / "anthology.toml").write_text(
        'title = "T"\n\n[[chapters]]\nfile = "a.txt"\n\n[[chapters]]\nfile = "./a.txt"\n',
        "utf-8",
    )
    result = run_sitegen("build", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "anthology.toml:7: E013 `./a.txt` is listed twice; list each manuscript once"
    )
    for written in ("../seeds/a.txt", str(tmp_path / "seeds" / "a.txt")):
        (tmp_path / "anthology.toml").write_text(
            f'title = "T"\n\n[[chapters]]\nfile = "a.txt"\n\n[[chapters]]\nfile = "{written}"\n',
            "utf-8",
        )
        result = run_sitegen("build", cwd=tmp_path)
        assert result.stderr.splitlines()[0].startswith("anthology.toml:7: E013"), written


def test_unlisted_manuscript_is_published_last_with_a_warning(project: Path) -> None:
    (project / "seeds" / "zz_epilogue.txt").write_text("# Epilogue\nThe lights came back.", "utf-8")
    result = run_sitegen("build", cwd=project, check=True)
    assert "seeds/zz_epilogue.txt: W012 not listed in the config's chapters" in result.stderr
    home = (project / "output" / "index.html").read_text("utf-8")
    assert home.rindex("Epilogue") > home.index("Extraction Point")


def test_python_dash_m_is_the_same_tool(tmp_path: Path) -> None:
    result = run_sitegen("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("sitegen ")


def test_a_broken_template_is_one_line_in_build_and_check(project: Path) -> None:
    templates = project / "templates"
    shutil.copytree(ROOT / "templates", templates)
    page = templates / "chapter.html"
    page.write_text(page.read_text("utf-8").replace("{{ chapter.title }}", "{{ chapter.titel }}"))
    for command in ("build", "check"):
        result = run_sitegen(command, cwd=project)
        assert result.returncode == 1, command
        first = result.stderr.splitlines()[0]
        assert re.match(r"^.*templates/chapter\.html:\d+: E090 template error: .*titel", first)
        assert "Traceback" not in result.stderr


def test_a_template_whose_own_code_fails_is_one_line_at_its_template(project: Path) -> None:
    """A loop over a number or a division by zero in a template is the template's mistake,
    told at its line, not "a bug in sitegen"."""
    templates = project / "templates"
    shutil.copytree(ROOT / "templates", templates)
    home = templates / "index.html"
    lines = home.read_text("utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if "<h1>" in line)
    lines.insert(at + 1, "{% for x in 5 %}{{ x }}{% endfor %}")
    home.write_text("\n".join(lines) + "\n", "utf-8")
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].endswith(
        f"templates/index.html:{at + 2}: E090 template error: TypeError: 'int' object is not"
        " iterable; fix the template, or delete your copy to use the built-in one"
    )
    assert "bug in sitegen" not in result.stderr and not (project / "output").exists()


def test_a_failure_in_python_a_template_calls_is_not_blamed_on_the_template() -> None:
    """The template's own line failing is its mistake; sitegen's code failing when a template
    calls it is a bug in sitegen, and must not send the writer to fix a template."""
    from sitegen.errors import raised_by_template
    from sitegen.render.html import templates_from

    def broken() -> str:
        raise KeyError("editor")

    env = templates_from(
        (
            ("own.html", "own.html", b"{% for x in 5 %}{% endfor %}"),
            ("calls.html", "calls.html", b"{{ broken() }}"),
        )
    ).env
    failures = []
    for name in ("own.html", "calls.html"):
        try:
            env.get_template(name).render(broken=broken)
        except Exception as exc:
            failures.append(raised_by_template(exc))
    assert failures == [True, False]


def test_a_templates_folder_overrides_only_the_templates_it_holds(project: Path) -> None:
    """Like a theme override elsewhere: copy the one template to change, and every other page
    (and the book) still comes from sitegen's own."""
    (project / "templates").mkdir()
    chapter = (ROOT / "templates" / "chapter.html").read_text("utf-8")
    mine = chapter.replace("{{ chapter.title }}", "{{ chapter.title }} (my layout)", 1)
    assert mine != chapter
    (project / "templates" / "chapter.html").write_text(mine, "utf-8")
    run_sitegen("build", cwd=project, check=True)
    out = project / "output"
    assert "(my layout)" in (out / "chapters" / "the-silence" / "index.html").read_text("utf-8")
    home = (out / "index.html").read_text("utf-8")
    assert "The Silence" in home and "(my layout)" not in home
    assert list(out.glob("*.epub"))
    # A template that includes one that exists nowhere is named, at the line that asks for it.
    lines = mine.splitlines()
    lines.insert(3, '{% include "nav.html" %}')
    (project / "templates" / "chapter.html").write_text("\n".join(lines) + "\n", "utf-8")
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].endswith(
        "templates/chapter.html:4: E090 template `nav.html` not found;"
        " fix the name, or add that template to templates/"
    )


@pytest.mark.parametrize("template", ["404.html", "epub/colophon.xhtml"])
def test_a_template_saved_in_latin_1_is_told_at_its_line(project: Path, template: str) -> None:
    """An editor that still saves Latin-1 writes the copyright sign as one byte: the writer
    is told which template, which line, and what to do, by build and check alike."""
    mine = project / "templates" / template
    mine.parent.mkdir(parents=True)
    stock = (ROOT / "templates" / template).read_bytes()
    mine.write_bytes(stock + b"<p>\xa9 2024</p>\n")
    line = stock.count(b"\n") + 1
    for command in ("build", "check"):
        result = run_sitegen(command, "-q", cwd=project)
        assert result.returncode == 1, command
        assert result.stderr.splitlines()[0] == (
            f"templates/{template}:{line}: E090 template is not UTF-8 text (byte 0xa9);"
            " save it as UTF-8"
        )


def test_a_theme_folder_overrides_only_the_files_it_holds(project: Path) -> None:
    (project / "theme").mkdir()
    (project / "theme" / "style.css").write_text("body { color: rebeccapurple; }\n", "utf-8")
    run_sitegen("build", cwd=project, check=True)
    theme = project / "output" / "theme"
    assert (theme / "style.css").read_text("utf-8") == "body { color: rebeccapurple; }\n"
    assert sorted(p.name for p in (theme / "fonts").iterdir()) == sorted(
        p.name for p in (ROOT / "theme" / "fonts").iterdir()
    )


def test_output_inside_the_theme_or_a_file_is_refused(project: Path) -> None:
    shutil.copytree(ROOT / "theme", project / "theme")
    (project / "a-file").write_text("keep me")
    for out in ("theme/site", "a-file"):
        result = run_sitegen("build", "--out", out, cwd=project)
        assert result.returncode == 1 and "E041 refusing to write the site here" in result.stderr
    assert (project / "a-file").read_text() == "keep me"
    assert not (project / "theme" / "site").exists()


def test_manuscripts_beside_the_config_are_told_to_build_outside_their_folder(
    tmp_path: Path,
) -> None:
    """With the manuscripts in the project's own folder (`--source .`), any output folder in it
    is inside the sources: the advice names one beside it, not the default it refused."""
    write_project(tmp_path, {"a.txt": "Ana ran.\n"})
    (tmp_path / "seeds" / "a.txt").rename(tmp_path / "a.txt")
    result = run_sitegen("build", "--source", ".", cwd=tmp_path)
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if "E041" in line]
    beside = tmp_path.resolve().parent / f"{tmp_path.resolve().name}-site"
    assert line.endswith(f"choose an output folder outside it, e.g. --out {beside}")
    built = run_sitegen("build", "--source", ".", "--out", str(beside), cwd=tmp_path)
    assert built.returncode == 0 and (beside / "index.html").is_file()


def test_an_empty_new_manuscript_is_left_out_with_a_warning(project: Path) -> None:
    (project / "seeds" / "zz_new.txt").write_text("")
    result = run_sitegen("build", cwd=project, check=True)
    assert "seeds/zz_new.txt: W014 manuscript has no text yet; left out of the site" in (
        result.stderr
    )
    assert "W012" not in result.stderr  # unlisted, but not "published after the listed"


def test_what_looks_like_manuscripts_but_is_not_read_is_named(project: Path) -> None:
    seeds = project / "seeds"
    (seeds / "part-two").mkdir()
    (seeds / "part-two" / "later.txt").write_text("A story kept in a folder.\n")
    (seeds / "gone.txt").symlink_to("nowhere.txt")
    (seeds / "loop.txt").symlink_to("loop.txt")
    (seeds / "folder.txt").mkdir()
    (seeds / "The Ferry.docx").write_bytes(b"PK\x03\x04")
    (seeds / "notes.jpg").write_bytes(b"\xff\xd8\xff")
    result = run_sitegen("build", cwd=project, check=True)
    unread = [line for line in result.stderr.splitlines() if " W016 " in line]
    assert [line.split(":")[0] for line in unread] == [
        "seeds/The Ferry.docx",
        "seeds/folder.txt",
        "seeds/gone.txt",
        "seeds/loop.txt",
        "seeds/part-two",
    ]
    assert unread[0].endswith(
        "not read: a word processor's document, not plain text;"
        " save it as plain text (.txt, UTF-8) to publish it"
    )
    assert "manuscripts in a folder of their own; move them straight into seeds/" in unread[4]


def test_a_folder_is_named_unread_only_for_manuscripts_the_config_does_not_list(
    project: Path,
) -> None:
    part = project / "seeds" / "part-two"
    part.mkdir()
    (part / "later.txt").write_text("Mara kept this story in a folder of its own.\n")
    config = project / "anthology.toml"
    with config.open("a", encoding="utf-8") as entries:
        entries.write('\n[[chapters]]\nfile = "part-two/later.txt"\ntitle = "Later"\n')
    result = run_sitegen("build", cwd=project, check=True)
    assert " W016 " not in result.stderr
    assert "kept this story in a folder" in (
        project / "output" / "chapters" / "later" / "index.html"
    ).read_text("utf-8")

    (part / "draft.txt").write_text("A draft nobody listed.\n")
    result = run_sitegen("build", cwd=project, check=True)
    assert [line for line in result.stderr.splitlines() if " W016 " in line] == [
        "seeds/part-two: W016 not read: manuscripts in a folder of their own; move them"
        " straight into seeds/, or list them in the config, to publish them"
    ]


def test_a_file_system_error_is_one_line_with_a_code(project: Path) -> None:
    (project / "a-file").write_text("keep me")
    result = run_sitegen("build", "--out", "a-file/site", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "a-file: E070 could not read or write this: File exists; check that it exists, that it"
        " can be read, and that the output folder can be written"
    ]


def test_a_title_in_the_manuscript_that_the_config_replaces_is_named(project: Path) -> None:
    first = sorted((project / "seeds").iterdir())[0]
    first.write_text("# Its Own Title\n" + first.read_text("utf-8"), "utf-8")
    result = run_sitegen("build", cwd=project, check=True)
    replaced = [line for line in result.stderr.splitlines() if " W017 " in line]
    assert len(replaced) == 1 and replaced[0].startswith(f"seeds/{first.name}:1: W017 ")
    assert "\u201cIts Own Title\u201d is not shown" in replaced[0]
    # The same title, written with straight quotes and dashes in the config, is no conflict.
    first.write_text("# It's *Late* -- Now\n" + first.read_text("utf-8"), "utf-8")
    config = project / "anthology.toml"
    entry = f'file = "{first.name}"\ntitle = "'
    text = config.read_text("utf-8")
    at = text.index(entry) + len(entry)
    config.write_text(text[:at] + "it's late -- now" + text[text.index('"', at) :], "utf-8")
    result = run_sitegen("build", cwd=project, check=True)
    assert " W017 " not in result.stderr
    # A title that does differ is quoted as it will be shown.
    config.write_text(text[:at] + 'Ana\'s \\"Day\\"' + text[text.index('"', at) :], "utf-8")
    result = run_sitegen("build", cwd=project, check=True)
    assert "the config names this chapter \u201cAna\u2019s \u201cDay\u201d\u201d" in result.stderr


def test_a_url_from_the_file_name_is_named_at_the_file_not_its_title(tmp_path: Path) -> None:
    """A title with no Latin letter makes no URL, so the file's name does: a clash of two such
    names is the files', and pointing at a title line would send the writer to the wrong fix."""
    write_project(
        tmp_path, {"01-night.txt": "# \u591c\nText.\n", "01_night.txt": "# \u663c\nText.\n"}
    )
    result = run_sitegen("build", cwd=tmp_path)
    assert result.returncode == 1
    clash = next(line for line in result.stderr.splitlines() if "E015" in line)
    assert clash.startswith("seeds/01_night.txt: E015 chapter URL chapters/01-night/"), clash


@pytest.mark.parametrize("name", ["Anthology.toml", "anthology.toml.txt"])
def test_a_config_saved_under_another_name_is_not_ignored(project: Path, name: str) -> None:
    """Built without it, the anthology would go online under the folder's name, with no
    chapter titles or order: refused, with the name it must have."""
    (project / "anthology.toml").rename(project / name)
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"{name}: E000 this looks like the config, but sitegen reads only a file named "
        "anthology.toml; rename it to anthology.toml (an editor may have added .txt, or capitals)"
    )
    assert not (project / "output").exists()


def test_a_source_folder_in_other_capitals_is_named(project: Path) -> None:
    (project / "seeds").rename(project / "Seeds")
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "seeds: E012 source folder not found; there is Seeds/: rename it to seeds/, or set "
        'source = "Seeds" in anthology.toml'
    )
    # Deeper in the project, the path to set is the whole of it.
    (project / "stories").mkdir()
    (project / "Seeds").rename(project / "stories" / "Seeds")
    config = project / "anthology.toml"
    config.write_text('source = "stories/seeds"\n' + config.read_text("utf-8"), "utf-8")
    result = run_sitegen("build", cwd=project)
    assert 'or set source = "stories/Seeds" in anthology.toml' in result.stderr.splitlines()[0]


def test_a_misnamed_copy_beside_the_config_is_named_as_unread(project: Path) -> None:
    """The writer may be editing the copy nothing reads."""
    shutil.copy(project / "anthology.toml", project / "Anthology.toml")
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "Anthology.toml: W004 sitegen reads anthology.toml beside it, and never this file; "
        "merge it into that one, or delete it"
    )


def test_check_fails_where_the_build_would_refuse_the_output_folder(project: Path) -> None:
    config = project / "anthology.toml"
    config.write_text('output = "seeds"\n' + config.read_text("utf-8"), "utf-8")
    result = run_sitegen("check", "-q", cwd=project)
    assert result.returncode == 1
    assert "seeds: E041 refusing to write the site here" in result.stderr
    assert run_sitegen("build", "-q", cwd=project).returncode == 1


@pytest.mark.parametrize(
    "trouble",
    [
        ("notes.txt", b"mine\n", "output: E042 the output folder has files sitegen did not"),
        (".sitegen-manifest", b"index.html\n\xe9\n", "output/.sitegen-manifest: E045"),
        (
            "chapters/a-new-story/index.html",
            b"mine\n",
            "output/chapters/a-new-story/index.html: E043",
        ),
    ],
)
def test_check_fails_where_the_build_would_refuse_what_the_output_folder_holds(
    project: Path, trouble: tuple[str, bytes, str]
) -> None:
    """Files of the writer's in an output folder sitegen never wrote, a list of its files it
    cannot read, a file of theirs where a new story's page goes: check says so as the build
    would."""
    path, data, told = trouble
    if path.startswith("chapters/"):
        run_sitegen("build", "-q", cwd=project, check=True)
        (project / "seeds" / "005_new.txt").write_text("# A New Story\nKai waited.\n", "utf-8")
    (project / "output" / path).parent.mkdir(parents=True, exist_ok=True)
    (project / "output" / path).write_bytes(data)
    for command in ("check", "build"):
        result = run_sitegen(command, "-q", cwd=project)
        assert result.returncode == 1, command
        *warnings, line, summary = result.stderr.splitlines()
        assert line.startswith(told), (command, result.stderr)
        assert summary == "sitegen: 1 error; nothing was written"
        # The manuscripts' warnings are told first, as where nothing is in the way.
        assert len(warnings) >= 3 and all(": W0" in w for w in warnings), warnings
    assert (project / "output" / path).read_bytes() == data


@pytest.mark.parametrize("folder", ["output", "seeds"])
def test_a_link_that_leads_back_to_itself_is_one_line(tmp_path: Path, folder: str) -> None:
    """`ln -s output output` (a slip of the arguments) makes a link Python 3.11 cannot
    follow: one line at the link, not an internal error, whatever the project's folder is
    called (Python writes a path with a ' in it in other quotes)."""
    project = copy_project(tmp_path / "grandma's stories")
    if folder == "seeds":
        (project / "seeds").rename(project / "stories")
    (project / folder).symlink_to(folder)
    for command in ("build", "check"):
        result = run_sitegen(command, "-q", cwd=project)
        assert result.returncode == 1, command
        assert result.stderr.startswith(f"{folder}: E070 could not read or write this: Too many")
        assert "internal error" not in result.stderr


def test_a_link_loop_is_told_as_the_os_error_later_pythons_raise(tmp_path: Path) -> None:
    from sitegen.errors import symlink_loops_told

    loop = tmp_path / "it's a loop"
    loop.symlink_to(loop.name)
    with pytest.raises(OSError) as raised, symlink_loops_told():
        loop.resolve()
    assert raised.value.errno == errno.ELOOP and raised.value.filename == str(loop)


def test_an_output_path_that_is_a_file_is_told_of_another_name(project: Path) -> None:
    (project / "output").write_text("notes\n", "utf-8")
    result = run_sitegen("build", cwd=project)
    assert result.returncode == 1
    assert (
        "output: E041 refusing to write the site here: it is a file; choose an output "
        "folder of its own, e.g. --out site" in result.stderr
    )


def test_a_tilde_after_an_equals_sign_is_the_home_folder(project: Path, tmp_path: Path) -> None:
    """The shell leaves `~` as it is in `--out=~/site`: a folder named `~` in the project,
    which `rm -rf ~` would then... is never made."""
    home = tmp_path / "home"
    home.mkdir()
    result = run_sitegen(
        "build", "-q", "--no-epub", "--out=~/site", cwd=project, env={"HOME": str(home)}
    )
    assert result.returncode == 0, result.stderr
    assert (home / "site" / "index.html").is_file()
    assert not (project / "~").exists()
    nobody = run_sitegen("build", "--out=~nosuchwriter/site", cwd=project)
    assert nobody.returncode == 2
    assert "no home folder for ~nosuchwriter" in nobody.stderr
    assert "Traceback" not in nobody.stderr


def test_a_terminal_that_is_not_utf8_gets_its_output_and_no_internal_error(
    tmp_path: Path,
) -> None:
    story = '"Go," said Søren. Søren nodded and walked on. Later Søren smiled.\n'
    project = write_project(tmp_path / "nordic", {"one.txt": story, "two.txt": story})
    ascii_only = {"PYTHONIOENCODING": "ascii"}
    table = run_sitegen("characters", cwd=project, env=ascii_only)
    assert table.returncode == 0, table.stderr
    assert "S\\xf8ren" in table.stdout  # shown escaped, not a crash
    raw = subprocess.run(
        [sys.executable, "-m", "sitegen", "characters", "--json"],
        cwd=project,
        env={**os.environ, **ascii_only},
        capture_output=True,
        check=True,
    )
    names = [c["name"] for c in json.loads(raw.stdout.decode("utf-8"))]
    assert "Søren" in names  # JSON is UTF-8 whatever the terminal's encoding
    built = run_sitegen("build", "--out", "ausgabe-ü", cwd=project, env=ascii_only)
    assert built.returncode == 0, built.stderr
    assert "in ausgabe-\\xfc/" in built.stdout  # the summary, escaped


def test_characters_shows_the_configs_typos_and_says_when_it_finds_none(
    project: Path, tmp_path: Path
) -> None:
    config = project / "anthology.toml"
    config.write_text(config.read_text("utf-8") + '\n[characters]\nignroe = ["Kai"]\n', "utf-8")
    result = run_sitegen("characters", cwd=project)
    assert result.returncode == 0
    assert "W001 unknown key `ignroe`; did you mean `ignore`?" in result.stderr
    empty = write_project(tmp_path / "empty", {"one.txt": "It rained all day.\n"})
    result = run_sitegen("characters", cwd=empty)
    assert result.returncode == 0
    assert result.stdout.startswith("No characters found: ")


@pytest.mark.parametrize(
    ("typed", "meant"), [("edtior", "editor"), ("desc", "description"), ("TITLE", "title")]
)
def test_an_unknown_key_is_matched_to_the_nearest_known_one(
    project: Path, typed: str, meant: str
) -> None:
    config = project / "anthology.toml"
    config.write_text(f'{typed} = "Ann"\n' + config.read_text("utf-8"), "utf-8")
    result = run_sitegen("check", cwd=project)
    assert f"anthology.toml:1: W001 unknown key `{typed}`; did you mean `{meant}`?" in result.stderr


def test_a_folder_deleted_under_the_shell_is_one_line(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (
        "import os, sys, runpy; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
        "sys.argv = ['sitegen', 'build']; runpy.run_module('sitegen', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(gone)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr == (
        "sitegen: the folder this shell is in no longer exists (deleted, or replaced by a new "
        'clone); cd to your project again (cd "$PWD" if it was replaced)\n'
    )
