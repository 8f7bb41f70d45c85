"""The config: typed fields, every problem with its line, defaults when there is no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.config import load_config
from sitegen.errors import SitegenError
from sitegen.sources import read_source


def config_in(tmp_path: Path, text: str):
    (tmp_path / "anthology.toml").write_text(text, "utf-8")
    return load_config(root=tmp_path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SitegenError) as raised:
        config_in(tmp_path, text)
    return [d.format(tmp_path) for d in raised.value.diagnostics]


def test_unknown_keys_are_warnings_with_their_line_and_a_suggestion(tmp_path: Path) -> None:
    config = config_in(
        tmp_path, 'title = "T"\nauthr = "A"\n\n[[chapters]]\nfile = "a.txt"\nname = "x"\n'
    )
    assert [d.format(tmp_path) for d in config.warnings] == [
        "anthology.toml:2: W001 unknown key `authr`; did you mean `author`?",
        "anthology.toml:6: W001 unknown key `name`; known keys: file, title, slug, aliases",
    ]


def test_a_setting_written_below_the_chapters_is_named_as_one(tmp_path: Path) -> None:
    """TOML reads a key after a [[chapters]] table as part of that table: a writer who adds a
    setting at the end of the file is told where it belongs."""
    config = config_in(tmp_path, '[[chapters]]\nfile = "a.txt"\nkeep_artifacts = true\n')
    assert [d.format(tmp_path) for d in config.warnings] == [
        "anthology.toml:3: W001 unknown key `keep_artifacts`; it is an anthology setting: move"
        " it above the first [[chapters]]"
    ]


def test_an_empty_chapter_title_is_an_error(tmp_path: Path) -> None:
    text = '[[chapters]]\nfile = "a.txt"\ntitle = "   "\n\n'
    text += '[[chapters]]\nfile = "b.txt"\ntitle = ""\n'
    assert problems(tmp_path, text) == [
        f"anthology.toml:{line}: E002 a chapter's `title` must not be empty; give the chapter"
        " its title, or delete the line to take the manuscript's"
        for line in (3, 7)
    ]


def test_every_error_is_reported_at_once_in_line_order(tmp_path: Path) -> None:
    text = 'title = 3\nwords_per_minute = 0\nbase_url = "example.org"\ncname = "https://x.org/"\n'
    assert problems(tmp_path, text) == [
        "anthology.toml:1: E002 `title` must be a string, not a whole number; put it in quotes:"
        ' title = "..."',
        "anthology.toml:2: E002 `words_per_minute` must be > 0; an adult reads about 230 words a"
        " minute: words_per_minute = 230",
        "anthology.toml:3: E002 base_url `example.org` is neither a path nor an http(s) URL;"
        " write it like https://user.github.io/anthology/ or /anthology/, with no ? or #",
        "anthology.toml:4: E002 cname `https://x.org/` is not a domain name;"
        ' write only the host, like cname = "stories.example.org"',
    ]


@pytest.mark.parametrize(
    ("base_url", "fault"),
    [
        ("https://example.com/a%zz/", "has a % that is not followed by two hexadecimal digits"),
        ("https://example.com/a|b/", "holds `|`, which an address may not hold unescaped"),
        ("/a{b}/", "holds `{`, which an address may not hold unescaped"),
        ("https://example.com:99999/", "has a host or port no address can have"),
        ("https://[::1/", "has a host or port no address can have"),
        ("https://:80/", "has no host"),
        ("https://stories|example.org/", "has a host no address can have"),
    ],
)
def test_a_base_url_no_page_could_link_to_is_an_error_at_its_line(
    tmp_path: Path, base_url: str, fault: str
) -> None:
    """Such an address would reach every page's links, the feed and the sitemap, and the Nu
    checker rejects each of them."""
    found = problems(tmp_path, f'title = "T"\nbase_url = "{base_url}"\n')
    assert len(found) == 1 and found[0].startswith(
        f"anthology.toml:2: E002 base_url `{base_url}` {fault}"
    ), found


@pytest.mark.parametrize(
    ("base_url", "path", "site"),
    [
        ("/", "/", ""),
        ("/anthology", "/anthology/", ""),
        ("https://user.github.io/anthology", "/anthology/", "https://user.github.io/anthology/"),
        ("https://stories.example.org", "/", "https://stories.example.org/"),
    ],
)
def test_base_url_gives_the_path_and_the_site_url(
    tmp_path: Path, base_url: str, path: str, site: str
) -> None:
    config = config_in(tmp_path, f'base_url = "{base_url}"\n')
    assert (config.base_path, config.site_url) == (path, site)


@pytest.mark.parametrize(
    ("base_url", "warned"),
    [
        ("https://ann.github.io/anthology/", True),
        ("https://stories.example.org/anthology/", True),
        ("https://stories.example.org/", False),
        ("/", False),
    ],
)
def test_a_custom_domain_and_another_full_address_are_warned_of(
    tmp_path: Path, base_url: str, warned: bool
) -> None:
    config = config_in(tmp_path, f'base_url = "{base_url}"\ncname = "stories.example.org"\n')
    expected = [
        f"anthology.toml:2: W003 cname `stories.example.org` serves the site at "
        f"https://stories.example.org/, but base_url is {base_url}: links to pages, the feed "
        'and the sitemap would point there; set base_url = "https://stories.example.org/"'
    ]
    assert [d.format(tmp_path) for d in config.warnings] == (expected if warned else [])


def test_without_a_config_file_the_defaults_hold(tmp_path: Path) -> None:
    project = tmp_path / "my-stories"
    project.mkdir()
    config = load_config(root=project)
    assert (config.path, config.title, config.language, config.base_url) == (
        None,
        "My Stories",
        "en",
        "/",
    )
    assert config.source_dir == project / "seeds" and config.out_dir == project / "output"


def test_each_wrongly_typed_setting_says_how_to_write_it(tmp_path: Path) -> None:
    text = (
        'title = "T"\nepub = "yes"\n\n[characters]\nmerge = ["Ana", "Ben"]\n'
        'ignore = ["Ok", 5]\n\n[characters.describe]\nAna = 5\nBen = "A baker."\n'
    )
    assert problems(tmp_path, text) == [
        "anthology.toml:2: E002 `epub` must be true or false, not a string; write epub = true"
        " or epub = false, without quotes",
        "anthology.toml:5: E002 `merge` is a list of groups, each a list of names for one"
        ' character; put each group in its own brackets: merge = [["Ana", "Ana Ruiz"]]',
        "anthology.toml:6: E002 `ignore` must be a list of strings; put each one in quotes:"
        ' ignore = ["...", "..."]',
        "anthology.toml:9: E002 `Ana` must be a string, not a whole number; put it in quotes:"
        ' Ana = "..."',
    ]
    assert problems(tmp_path, 'title = "T"\nchapters = ["a.txt"]\n') == [
        "anthology.toml:2: E002 each chapter must be a table; write each as a line [[chapters]],"
        ' then file = "story.txt" below it'
    ]


def test_a_list_of_tables_written_as_one_table_is_told_to_use_double_brackets(
    tmp_path: Path,
) -> None:
    """`[chapters]` for `[[chapters]]`: the fix offered must be the double brackets, not a
    list in brackets, which is the next error."""
    assert problems(tmp_path, 'title = "T"\n\n[chapters]\nfile = "a.txt"\n') == [
        "anthology.toml:3: E002 `chapters` must be a list, not a table; write each as a line"
        ' [[chapters]], then file = "story.txt" below it'
    ]
    assert problems(tmp_path, 'title = "T"\n\n[characters.split]\nname = "Kai"\n') == [
        "anthology.toml:3: E002 `split` must be a list, not a table; write each as a line"
        ' [[characters.split]], then name = "..." below it'
    ]


def test_a_line_separator_inside_a_string_does_not_shift_later_lines(tmp_path: Path) -> None:
    text = 'title = "A\u2028B"\ndescription = "C\u0085D"\nwords_per_minute = 0\n'
    control, zero = problems(tmp_path, text)
    assert control.startswith("anthology.toml:2: E002 `description` holds an invisible character")
    assert zero.startswith("anthology.toml:3: E002 `words_per_minute` must be > 0")


def test_a_character_entry_with_an_empty_name_is_an_error(tmp_path: Path) -> None:
    text = 'title = "T"\n\n[[characters.add]]\nname = " "\n'
    assert problems(tmp_path, text) == [
        "anthology.toml:3: E002 each `characters.add` needs a `name`;"
        ' give it one, like name = "Ana Ruiz"'
    ]


def test_an_unknown_dotted_key_has_its_line(tmp_path: Path) -> None:
    config = config_in(tmp_path, 'title = "T"\n\nfoo.bar = 1\n')
    found = [d.format(tmp_path) for d in config.warnings]
    assert len(found) == 1 and found[0].startswith("anthology.toml:3: W001 unknown key `foo`")


def test_a_tilde_in_a_configured_path_is_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`output = "~/site"` means the site in your home folder, as in a shell, and not a
    folder named `~` beside the config."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = config_in(tmp_path, 'output = "~/site"\nsource = "~/stories"\n')
    assert config.out_dir == (tmp_path / "home" / "site").resolve()
    assert config.source_dir == (tmp_path / "home" / "stories").resolve()


def test_a_tilde_naming_no_user_is_an_error_at_its_line(tmp_path: Path) -> None:
    assert problems(tmp_path, 'title = "T"\noutput = "~nosuchuser-sitegen/site"\n') == [
        "anthology.toml:2: E002 `output`: no home folder for `~nosuchuser-sitegen`;"
        " write the path in full, or relative to the config"
    ]


def test_a_language_that_is_no_language_tag_is_an_error_that_says_what_to_write(
    tmp_path: Path,
) -> None:
    assert problems(tmp_path, 'title = "T"\nlanguage = "en_US"\n') == [
        "anthology.toml:2: E002 `language` \u201cen_US\u201d is not a language tag; browsers,"
        ' e-readers and the EPUB\'s checker would not understand it; write "en-US"'
    ]
    assert problems(tmp_path, 'title = "T"\nlanguage = "English"\n') == [
        "anthology.toml:2: E002 `language` \u201cEnglish\u201d is not a language tag; browsers,"
        " e-readers and the EPUB's checker would not understand it; write a BCP 47 tag, such"
        ' as "en", "en-GB" or "pt-BR"'
    ]
    for tag in ("en", "en-GB", "zh-Hant-TW", "sr-Latn", "es-419", "x-elvish"):
        assert config_in(tmp_path, f'title = "T"\nlanguage = "{tag}"\n').language == tag


def test_an_alias_that_is_no_slug_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = 'title = "T"\n\n[[chapters]]\nfile = "a.txt"\naliases = ["old-one", "Old Two"]\n'
    assert problems(tmp_path, text) == [
        "anthology.toml:5: E002 alias `Old Two` must be lower-case letters, digits and single "
        'hyphens; give the slug the chapter had, like aliases = ["the-long-night"]'
    ]


def test_a_slug_too_long_for_a_folder_name_is_an_error_at_its_line(tmp_path: Path) -> None:
    """A page's folder is named by its slug; one longer than a file system allows failed only
    as the site was written, naming a temporary folder."""
    slug = "-".join(["abcdefghij"] * 30)
    text = f'title = "T"\n\n[[chapters]]\nfile = "a.txt"\nslug = "{slug}"\n'
    assert problems(tmp_path, text) == [
        f"anthology.toml:5: E002 slug `{slug}` is 329 characters long, and may be 80 at most; "
        'write it like slug = "the-long-night"'
    ]
    _, found = read_source(Path("a.txt"), f"---\nslug: {slug}\n---\nText.\n".encode())
    assert [d.format() for d in found] == [
        f"a.txt:2: E017 slug `{slug}` is 329 characters long, and may be 80 at most; "
        "write it like slug: the-long-night"
    ]


def test_a_base_url_s_scheme_and_host_are_read_in_any_case(tmp_path: Path) -> None:
    config = config_in(tmp_path, 'title = "T"\nbase_url = "HTTPS://Stories.Example.ORG/Night"\n')
    assert config.base_url == "https://stories.example.org/Night/"


def test_a_config_with_old_mac_line_endings_is_read_with_its_lines(tmp_path: Path) -> None:
    """TOML ends lines at LF or CRLF only; a config saved with CR alone is read all the same,
    and a problem in it is named at its line."""
    config = config_in(tmp_path, 'title = "Night"\rauthor = "Jo"\r')
    assert (config.title, config.author) == ("Night", "Jo")
    assert problems(tmp_path, 'title = "Night"\r\rlanguage = 5\r') == [
        "anthology.toml:3: E002 `language` must be a string, not a whole number; put it in"
        ' quotes: language = "..."'
    ]


def test_chapters_written_as_inline_tables_are_named_at_their_own_lines(tmp_path: Path) -> None:
    text = (
        'title = "T"\n\nchapters = [\n  { file = "a.txt" },\n  { file = "b.txt", slug = "B b" },\n'
        ']\n\n[characters]\nignore = ["Haven"]\n'
    )
    assert problems(tmp_path, text) == [
        "anthology.toml:5: E002 slug `B b` must be lower-case letters, digits and single hyphens;"
        ' write it like slug = "the-long-night"'
    ]


def test_a_control_character_in_a_config_string_is_an_error_at_its_line(tmp_path: Path) -> None:
    """TOML can write one as an escape; no page may hold it (it made the site's HTML invalid)."""
    text = 'title = "T"\n\n[[chapters]]\nfile = "a.txt"\ntitle = "Night\\u0007"\n'
    assert problems(tmp_path, text) == [
        "anthology.toml:5: E002 `title` holds an invisible character, U+0007; delete"
        " it: no page or e-reader can show it"
    ]


def test_a_chapter_file_of_the_wrong_type_is_one_error_not_two(tmp_path: Path) -> None:
    """`file = 3` is a file of the wrong type; saying also that the chapter has no file would
    contradict it."""
    found = problems(tmp_path, 'title = "T"\n\n[[chapters]]\nfile = 3\n')
    assert len(found) == 1 and found[0].startswith(
        "anthology.toml:4: E002 `file` must be a string, not a whole number"
    ), found
