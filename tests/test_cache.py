"""What `serve` keeps from one build to the next, and when it must not trust it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sitegen import stamps
from sitegen.cache import BuildCache


def test_a_manuscript_is_read_again_only_when_the_file_system_says_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manuscript = tmp_path / "one.txt"
    manuscript.write_text("Ana waited.\n", "utf-8")
    cache = BuildCache()
    # Just written: a second save in the same tick of the clock could leave its status as it
    # is, so it is read every time until it has settled.
    first = cache.read_manuscript(manuscript)
    again = cache.read_manuscript(manuscript)
    assert again == first and again is not first
    monkeypatch.setattr(stamps, "SETTLED_NS", 0)  # as if it had been saved long ago
    settled = cache.read_manuscript(manuscript)
    assert cache.read_manuscript(manuscript) is settled
    before = manuscript.stat().st_mtime_ns
    manuscript.write_text("Ana rested.\n", "utf-8")  # the same size, saved a moment later
    os.utime(manuscript, ns=(before + 10_000_000, before + 10_000_000))
    changed = cache.read_manuscript(manuscript)
    assert changed.source is not None and changed.source.lines[0].text == "Ana rested."


def test_files_of_yours_added_or_removed_while_serving_stay_as_you_left_them(
    tmp_path: Path,
) -> None:
    """`serve` stages each build in the site the one before replaced: what of yours that site
    held must be what you had when it was replaced, not a build earlier."""
    from conftest import copy_project

    from sitegen.build import build
    from sitegen.config import load_config

    project = copy_project(tmp_path / "anthology")
    config = load_config(root=project)
    cache = BuildCache()
    out = config.out_dir
    build(config, epub=False, cache=cache)
    (out / "notes.txt").write_text("mine\n", "utf-8")
    (out / "drafts").mkdir()
    for _ in range(3):
        build(config, epub=False, cache=cache)
        assert (out / "notes.txt").read_text("utf-8") == "mine\n" and (out / "drafts").is_dir()
    (out / "notes.txt").unlink()
    (out / "drafts").rmdir()
    for _ in range(3):
        build(config, epub=False, cache=cache)
        assert not (out / "notes.txt").exists() and not (out / "drafts").exists()


def test_a_file_of_yours_that_the_site_takes_over_does_not_stop_the_next_rebuild(
    tmp_path: Path,
) -> None:
    """A CNAME written by hand, which the config then asks for with the same bytes, becomes
    the site's. The site it replaced, which `serve` stages the next build in, still holds the
    hand-made copy: that rebuild must write over it, not fail."""
    from conftest import copy_project

    from sitegen.build import build
    from sitegen.config import load_config

    project = copy_project(tmp_path / "anthology")
    cache = BuildCache()
    build(load_config(root=project), epub=False, cache=cache)
    out = project / "output"
    (out / "CNAME").write_text("stories.example.org\n", "utf-8")
    config = project / "anthology.toml"
    config.write_text('cname = "stories.example.org"\n' + config.read_text("utf-8"), "utf-8")
    for _ in range(3):
        build(load_config(root=project), epub=False, cache=cache)
        assert (out / "CNAME").read_text("utf-8") == "stories.example.org\n"


def test_a_name_decided_by_another_chapter_changes_the_mentions_of_an_unchanged_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alone, "Wren" opening sentences of one chapter is no one; once another chapter has
    Wren speak, those are mentions of her. The unchanged chapter's kept mentions must follow,
    and the rebuilt index be the one a cold build makes."""
    from sitegen.build import build, load
    from sitegen.config import load_config

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "b.txt").write_text(
        "Wren. The hedge was quiet that year.\nWren watched the road.\n", "utf-8"
    )
    farm = tmp_path / "seeds" / "a.txt"
    stories = (
        "Nothing happened at the farm.\n",
        'Nothing happened at the farm until Mara met Wren.\n"Stay," said Wren.\n',
        "Nothing happened at the farm.\n",
    )
    cache = BuildCache()
    for number, story in enumerate(stories):
        farm.write_text(story, "utf-8")
        os.utime(farm, ns=(number * 10**9, number * 10**9))  # a later save each time
        config = load_config(root=tmp_path)
        rebuilt = build(config, epub=False, cache=cache).anthology.characters
        cold, _ = load(config)
        assert rebuilt == cold.characters
        wren = [c for c in rebuilt.characters if c.name == "Wren"]
        assert len(wren) == (number == 1)
        if wren:
            assert {m[0] for m in wren[0].mentions} == {0, 1}  # both chapters


def test_an_edit_relinks_the_unchanged_chapters_and_characters_it_concerns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Giving Mara a scene with Wren in the last chapter changes what unchanged chapters link
    to ("also appearing") and whom Wren shares scenes with; naming an alias in the config
    gives Wren a new mention in an unchanged chapter. A rebuild that kept any of them as they
    were would show stale links: each rebuild must equal a cold build."""
    from sitegen.build import build, load
    from sitegen.config import load_config

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("At the gate Mara sang to Tomas.\n", "utf-8")
    river = "Tomas slept.\n---\nAt dawn Wren crossed the river, and the heron swam.\n"
    (seeds / "b.txt").write_text(river, "utf-8")
    last = seeds / "c.txt"
    stories = (
        "At dusk Wren walked home in the rain.\n",
        "At dusk Wren walked home in the rain, and Mara walked with her.\n",
        "At dusk Wren walked home.\n---\nBut Mara stayed behind.\n",
        "At dusk Wren walked home.\n---\nBut Mara stayed behind.\n",  # and the config changes
    )
    cache = BuildCache()
    for number, story in enumerate(stories):
        last.write_text(story, "utf-8")
        os.utime(last, ns=(number * 10**9, number * 10**9))
        if number == 3:
            alias = '[[characters.add]]\nname = "Wren"\naliases = ["the heron"]\n'
            (tmp_path / "anthology.toml").write_text(alias, "utf-8")
        config = load_config(root=tmp_path)
        rebuilt = build(config, epub=False, cache=cache).anthology
        cold, _ = load(config)
        assert rebuilt.links == cold.links
        assert rebuilt.character_links == cold.character_links
        names = [c.name for c in rebuilt.characters.characters]
        wren, mara = names.index("Wren"), names.index("Mara")
        companions = {c.character for c in rebuilt.character_links[wren].companions}
        assert (mara in companions) == (number == 1)
        shared = {s.chapter for s in rebuilt.links[0].shared}  # Mara's first chapter
        assert (2 in shared) == (number > 0)
        by_the_river = [m for m in rebuilt.characters.characters[wren].mentions if m.chapter == 1]
        assert len(by_the_river) == 1 + (number == 3)


def test_an_edit_regroups_the_names_in_unchanged_chapters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whose "Ana" and whose "Kent" an unchanged chapter names depends on the others: once
    the last chapter says "Ana Ruiz", the first chapter's Ana is her; a "Mrs. Kent" there
    is not the "he" of the second chapter's Kent. Each rebuild must group names as a cold
    build does."""
    from sitegen.build import build, load
    from sitegen.config import load_config

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text(
        "At noon Ana fed the goats. Then Ana said she was tired.\n", "utf-8"
    )
    (seeds / "b.txt").write_text(
        "That spring Leo Kent sold the mill. Later Kent said he would stay.\n", "utf-8"
    )
    last = seeds / "c.txt"
    stories = (
        "At dusk the river rose.\n",
        "At dusk Ana Ruiz watched the river rise.\n",
        "At dusk Ana Ruiz watched the river rise with Mrs. Kent. Then Mrs. Kent said she was"
        " cold.\n",
    )
    cache = BuildCache()
    for number, story in enumerate(stories):
        last.write_text(story, "utf-8")
        os.utime(last, ns=(number * 10**9, number * 10**9))
        config = load_config(root=tmp_path)
        rebuilt = build(config, epub=False, cache=cache).anthology
        cold, _ = load(config)
        assert rebuilt.characters == cold.characters
        assert rebuilt.links == cold.links
        names = {c.name: c for c in rebuilt.characters.characters}
        ana = names["Ana Ruiz" if number > 0 else "Ana"]
        assert {m.chapter for m in ana.mentions} == ({0, 2} if number > 0 else {0})
        assert ("Mrs. Kent" in names) == (number == 2)


def test_a_config_edit_or_a_new_manuscript_remakes_the_chapters_it_concerns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No manuscript changes, but the config retitles a chapter, then keeps the chatbot lines
    it used to leave out, then lists no chapters; then a new manuscript comes first, and the
    others' numbers move. Every chapter must be as a cold build makes it."""
    from sitegen.build import build, load
    from sitegen.config import load_config

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("The well ran dry.\nLet me know if you want more!\n", "utf-8")
    (seeds / "b.txt").write_text("The rain came back.\n", "utf-8")
    listed = '[[chapters]]\nfile = "a.txt"\ntitle = "{}"\n[[chapters]]\nfile = "b.txt"\n'
    steps = (
        listed.format("Dry"),
        listed.format("Drought"),
        "keep_artifacts = true\n" + listed.format("Drought"),
        "keep_artifacts = true\n",
        None,  # a new manuscript, 0.txt
    )
    cache = BuildCache()
    for config_text in steps:
        if config_text is None:
            (seeds / "0.txt").write_text("Before the well, the river.\n", "utf-8")
        else:
            (tmp_path / "anthology.toml").write_text(config_text, "utf-8")
        config = load_config(root=tmp_path)
        rebuilt = build(config, epub=False, cache=cache).anthology
        cold, _ = load(config)
        assert rebuilt.chapters == cold.chapters
    assert [c.number for c in rebuilt.chapters] == [1, 2, 3]
    assert "Let me know" in rebuilt.chapters[1].blocks[-1].plain


def test_pages_an_edit_shows_on_are_rebuilt_and_no_others_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chapter grows by a paragraph, its names move within their sentence, it is retitled
    keeping its address, then given a new one ("ford"), then a mention more: the neighbours'
    links, the characters' pages, characters.json and the home page must show each change
    exactly as a fresh build does, while pages that show none of it are kept."""
    from dataclasses import replace

    from sitegen.build import build
    from sitegen.config import load_config

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in (("a", "At noon the goats were fed."), ("c", "At dusk Mara slept.")):
        (seeds / f"{name}.txt").write_text(text + "\n", "utf-8")
    middle = seeds / "b.txt"
    crossing = "At dawn Mara and Tomas crossed the river."
    steps = (
        (crossing, ""),
        (crossing + "\nThe water was cold.", ""),  # longer, the names' sentence as it was
        (crossing.replace("At dawn", "At dawn, in the rain,") + "\nThe water was cold.", ""),
        (crossing.replace("At dawn", "At dawn, in the rain,") + "\nThe water was cold.", "Ford"),
        (crossing.replace("At dawn", "At dawn, in the rain,") + "\nThe water was cold.", "Ford!"),
        (crossing + "\nLater Tomas saw Mara wave.", "Ford!"),  # a mention more
    )
    cache = BuildCache()
    rendered = []
    for number, (story, title) in enumerate(steps):
        middle.write_text(story + "\n", "utf-8")
        os.utime(middle, ns=(number * 10**9, number * 10**9))
        slug = 'slug = "b"\n' if title == "Ford" else ""
        listed = f'[[chapters]]\nfile = "b.txt"\n{slug}title = "{title}"\n'
        config_text = '[[chapters]]\nfile = "a.txt"\n' + listed + '[[chapters]]\nfile = "c.txt"\n'
        (tmp_path / "anthology.toml").write_text(config_text if title else "", "utf-8")
        config = load_config(root=tmp_path)
        rebuilt = build(config, epub=False, cache=cache)
        rendered.append(cache.reuse.rendered if cache.reuse else None)
        fresh = tmp_path / f"fresh-{number}"
        build(replace(config, out_dir=fresh), epub=False)
        assert _files(config.out_dir) == _files(fresh)
        assert rebuilt.anthology.chapters[1].title == (title or "B")
    assert "ford/" in (tmp_path / "output/chapters/a/index.html").read_text("utf-8")  # next
    # A paragraph more shows on the chapter, the home page, and in an anthology this short,
    # on the strips of the two characters' pages; not on the other chapters, the index or 404.
    assert rendered[1] == 4


def _files(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_pronoun_changed_after_a_name_regroups_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the text after the name changes ("he" becomes "she"): every occurrence of a name
    stays where it was, but Mrs. Kent is now the Kent who sold the mill."""
    from sitegen.build import build, load
    from sitegen.config import load_config

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    (tmp_path / "seeds").mkdir()
    story = tmp_path / "seeds" / "a.txt"
    cache = BuildCache()
    for number, pronoun in enumerate(("he", "she")):
        story.write_text(
            f"That spring Leo Kent sold the mill to the miller, and then {pronoun} said nothing"
            " more.\nMrs. Kent nodded at the door.\n",
            "utf-8",
        )
        os.utime(story, ns=(number * 10**9, number * 10**9))
        config = load_config(root=tmp_path)
        rebuilt = build(config, epub=False, cache=cache).anthology.characters
        assert rebuilt == load(config)[0].characters
        names = [c.name for c in rebuilt.characters]
        assert names == (["Leo Kent"] if pronoun == "she" else ["Leo Kent", "Mrs. Kent"])


def test_a_problem_with_a_chapter_names_its_config_line_after_the_config_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two chapters claim one address; then two lines are added at the top of the config. The
    error must name the line the clashing slug is on now."""
    from sitegen.build import build
    from sitegen.config import load_config
    from sitegen.errors import SitegenError

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    (tmp_path / "seeds").mkdir()
    for name in ("a", "b"):
        (tmp_path / "seeds" / f"{name}.txt").write_text("The well ran dry.\n", "utf-8")
    clash = '[[chapters]]\nfile = "a.txt"\nslug = "x"\n[[chapters]]\nfile = "b.txt"\nslug = "x"\n'
    cache = BuildCache()
    for above, line in (("", 6), ("# The stories, in order.\n\n", 8)):
        (tmp_path / "anthology.toml").write_text(above + clash, "utf-8")
        with pytest.raises(SitegenError) as failed:
            build(load_config(root=tmp_path), epub=False, cache=cache)
        assert [(d.code, d.line) for d in failed.value.diagnostics] == [("E015", line)]


def test_a_config_edit_parses_no_manuscript_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Manuscripts taken whole from the last build keep their parsed text for the next one: a
    new title in the config, some rebuilds later, parses nothing again."""
    from sitegen.build import build
    from sitegen.config import load_config

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    (tmp_path / "seeds").mkdir()
    for name in ("a", "b"):
        (tmp_path / "seeds" / f"{name}.txt").write_text("The well ran dry.\n", "utf-8")
    cache = BuildCache()
    for title in ("Dry", "Dry", "Dry", "Drought"):
        entry = f'[[chapters]]\nfile = "a.txt"\ntitle = "{title}"\n'
        (tmp_path / "anthology.toml").write_text(entry, "utf-8")
        build(load_config(root=tmp_path), epub=False, cache=cache)
    assert cache.reuse is not None
    assert (cache.reuse.parsed, cache.reuse.manuscripts) == (0, 2)


def test_a_projects_own_templates_may_show_anything_and_stay_true(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sitegen's own pages each say what they show; a project's own template may show
    anything in the anthology. Here a character's page shows another chapter's opening line,
    and a chapter's page when the anthology last changed: after each edit of the other
    chapter, every page must be as a fresh build makes it."""
    from dataclasses import replace

    from sitegen.build import build
    from sitegen.config import bundled_folder, load_config

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "templates").mkdir()
    for name, extra in (
        ("character.html", "<p>Elsewhere: {{ anthology.chapters[1].teaser }}</p>"),
        ("chapter.html", "<p>Updated {{ meta.updated }}</p>"),
    ):
        template = (bundled_folder("templates") / name).read_text("utf-8")
        (tmp_path / "templates" / name).write_text(
            template.replace("{% block main %}", "{% block main %}" + extra, 1), "utf-8"
        )
    first, second = tmp_path / "seeds" / "a.txt", tmp_path / "seeds" / "b.txt"
    first.write_text("Tomas Reyes and Mara crossed the river at dawn.\n", "utf-8")
    os.utime(first, ns=(0, 0))
    cache = BuildCache()
    for number, weather in enumerate(("rain", "snow", "hail")):  # as many words each time
        second.write_text(f"The {weather} came back.\n", "utf-8")
        os.utime(second, ns=((number + 1) * 10**18, (number + 1) * 10**18))
        config = load_config(root=tmp_path)
        build(config, epub=False, cache=cache)
        fresh = tmp_path / f"fresh-{number}"
        build(replace(config, out_dir=fresh), epub=False)
        assert _files(config.out_dir) == _files(fresh)
    page = (tmp_path / "output" / "characters" / "tomas-reyes" / "index.html").read_text("utf-8")
    assert "Elsewhere: The hail came back." in page


def test_the_record_of_sitegens_templates_is_of_the_templates_it_ships() -> None:
    """A changed template of sitegen's own must be recorded, once the page inputs say what it
    now shows; else serve would key its pages on what the old one showed."""
    import hashlib

    from sitegen.config import bundled_folder
    from sitegen.render.html import read_templates
    from sitegen.render.stock import STOCK_TEMPLATES

    shipped = {
        name: hashlib.sha256(data).hexdigest()
        for name, _, data in read_templates(bundled_folder("templates"))
    }
    lines = "".join(f'\n    "{name}": "{digest}",' for name, digest in shipped.items())
    assert shipped == STOCK_TEMPLATES, f"sitegen/render/stock.py should read:{lines}"


def test_sitegens_own_templates_edited_in_place_are_a_projects_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building from a source checkout, the project's templates folder can be sitegen's own:
    edited there, a template may show anything, as a project's own may."""
    from dataclasses import replace

    import sitegen.config
    from sitegen.build import build
    from sitegen.config import load_config

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    shipped = sitegen.config.bundled_folder("templates")
    shutil.copytree(shipped, tmp_path / "templates")
    monkeypatch.setattr(
        sitegen.config,
        "bundled_folder",
        lambda name: tmp_path / name if name == "templates" else shipped.parent / name,
    )
    character = tmp_path / "templates" / "character.html"
    character.write_text(
        character.read_text("utf-8").replace(
            "{% block main %}", "{% block main %}<p>{{ anthology.chapters[1].teaser }}</p>", 1
        ),
        "utf-8",
    )
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("Tomas Reyes crossed the river.\n", "utf-8")
    second = tmp_path / "seeds" / "b.txt"
    cache = BuildCache()
    for number, weather in enumerate(("rain", "snow")):
        second.write_text(f"The {weather} came back.\n", "utf-8")
        os.utime(second, ns=((number + 1) * 10**18, (number + 1) * 10**18))
        config = load_config(root=tmp_path)
        assert config.templates_dir == tmp_path / "templates"
        build(config, epub=False, cache=cache)
        fresh = tmp_path / f"fresh-{number}"
        build(replace(config, out_dir=fresh), epub=False)
        assert _files(config.out_dir) == _files(fresh)


def test_a_projects_own_book_chapter_follows_the_book(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project's own template for the book's chapters may show what every book template is
    given besides the anthology, such as the cover's credit: a new cover must reach it."""
    import zipfile
    from dataclasses import replace

    from PIL import Image

    from sitegen.build import build
    from sitegen.config import bundled_folder, load_config

    monkeypatch.setattr(stamps, "SETTLED_NS", 0)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the anthology itself stays put
    (tmp_path / "templates" / "epub").mkdir(parents=True)
    chapter = (bundled_folder("templates") / "epub" / "chapter.xhtml").read_text("utf-8")
    (tmp_path / "templates" / "epub" / "chapter.xhtml").write_text(
        chapter.replace("</header>", "<p>{{ book.cover_credit }}</p></header>", 1), "utf-8"
    )
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("Tomas Reyes crossed the river.\n", "utf-8")
    Image.new("RGB", (16, 25), (1, 2, 3)).save(tmp_path / "cover.png")
    settings = 'title = "T"\nauthor = "A. Writer"\n'

    def book(folder: Path) -> dict[str, bytes]:
        (epub,) = folder.glob("*.epub")
        with zipfile.ZipFile(epub) as archive:
            return {name: archive.read(name) for name in archive.namelist()}

    cache = BuildCache()
    for number, cover in enumerate(("", 'cover = "cover.png"\n')):
        (tmp_path / "anthology.toml").write_text(settings + cover, "utf-8")
        config = load_config(root=tmp_path)
        build(config, cache=cache)
        fresh = tmp_path / f"fresh-{number}"
        build(replace(config, out_dir=fresh))
        assert book(config.out_dir) == book(fresh)
