"""Character detection: accuracy against hand annotations, the hard cases, and curation.

The annotations (fixtures/characters/*.toml) were written by reading every story; the scores
compare the index with them character by character, story by story. `pytest -s` prints them.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sitegen import characters
from sitegen.build import build, load
from sitegen.cache import BuildCache
from sitegen.characters import detect
from sitegen.config import load_config
from sitegen.crossrefs import quote
from sitegen.errors import Diagnostic
from sitegen.gather import gather
from sitegen.model import Anthology, Chapter, Character, CharacterIndex, Mention
from sitegen.slugs import collation_key

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).parent / "fixtures" / "characters"
STORIES = FIXTURES / "stories"
THRESHOLD = 0.95


@dataclass(frozen=True)
class Detected:
    chapters: tuple[Chapter, ...]
    index: CharacterIndex
    warnings: tuple[Diagnostic, ...]

    def named(self, name: str) -> list[Character]:
        return [c for c in self.index.characters if c.name == name]

    def one(self, name: str) -> Character:
        (character,) = self.named(name)
        return character

    def chapter(self, file: str) -> int:
        return next(i for i, c in enumerate(self.chapters) if c.source_name == file)

    def text(self, mention: Mention) -> str:
        return (
            self.chapters[mention.chapter].blocks[mention.block].plain[mention.start : mention.end]
        )

    def names(self) -> set[str]:
        return {_fold(n) for c in self.index.characters for n in (c.name, *c.aliases)}


def run(source: Path, root: Path, config: str = "") -> Detected:
    """Build the chapters of `source` as the site would, with `config` as anthology.toml."""
    if config:
        (root / "anthology.toml").write_text(f'source = "{source}"\n{config}', encoding="utf-8")
    loaded = load_config(root=root, source=source)
    chapters = gather(loaded).chapters
    index, found = detect(chapters, loaded.characters)
    return Detected(chapters, index, (*loaded.warnings, *found))


def annotations(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / name).open("rb") as file:
        return tomllib.load(file)["story"]


def _fold(name: str) -> str:
    return name.replace("'", "\u2019").casefold()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Detected:
    return run(SEEDS, tmp_path_factory.mktemp("seeds"))


@pytest.fixture(scope="module")
def stories(tmp_path_factory: pytest.TempPathFactory) -> Detected:
    return run(STORIES, tmp_path_factory.mktemp("stories"))


# --- Precision and recall against the annotations.


@dataclass(frozen=True)
class Score:
    story: str
    expected: int
    found: int
    right: int
    missed: tuple[str, ...]
    wrong: tuple[str, ...]

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.expected if self.expected else 1.0


def score(detected: Detected, story: dict[str, Any]) -> Score:
    """Match the characters listed in one chapter with the annotated ones, one to one.

    A character matches the annotation of the same name, failing that one sharing a name or
    alias with it. A second character matching the same annotation is wrong (one person split
    in two); one character covering two annotations leaves one of them missed (two merged).
    """
    position = detected.chapter(story["file"])
    present = [c for c in detected.index.characters if position in c.chapter_indexes]
    expected = story["characters"]
    names = [{_fold(e["name"]), *(_fold(a) for a in e["aliases"])} for e in expected]
    right: set[int] = set()
    wrong: list[str] = []
    for character in present:
        own = {_fold(character.name), *(_fold(a) for a in character.aliases)}
        free = [i for i in range(len(expected)) if i not in right]
        hit = next((i for i in free if _fold(expected[i]["name"]) == _fold(character.name)), None)
        if hit is None:
            hit = next((i for i in free if own & names[i]), None)
        if hit is None:
            wrong.append(character.name)
        else:
            right.add(hit)
    missed = tuple(e["name"] for i, e in enumerate(expected) if i not in right)
    return Score(story["file"], len(expected), len(present), len(right), missed, tuple(wrong))


def report(title: str, scores: list[Score]) -> Score:
    """Print one line per story and the total; return the total."""
    total = Score(
        "all",
        sum(s.expected for s in scores),
        sum(s.found for s in scores),
        sum(s.right for s in scores),
        tuple(m for s in scores for m in s.missed),
        tuple(w for s in scores for w in s.wrong),
    )
    print(f"\n{title}\n{'story':34} {'want':>4} {'got':>4} {'ok':>4} {'prec':>6} {'recall':>6}")
    for s in [*scores, total]:
        notes = "".join(
            [
                f"  missed {list(s.missed)}" if s.missed else "",
                f"  wrong {list(s.wrong)}" if s.wrong else "",
            ]
        )
        print(
            f"{s.story:34} {s.expected:4} {s.found:4} {s.right:4} "
            f"{s.precision:6.3f} {s.recall:6.3f}{notes if s is not total else ''}"
        )
    return total


def test_precision_and_recall_on_the_seeds(seeds: Detected) -> None:
    total = report("seeds", [score(seeds, story) for story in annotations("seeds.toml")])
    assert total.precision >= THRESHOLD, total.wrong
    assert total.recall >= THRESHOLD, total.missed


def test_precision_and_recall_on_the_test_stories(stories: Detected) -> None:
    stories_annotated = annotations("stories.toml")
    total = report("test stories", [score(stories, story) for story in stories_annotated])
    report(
        "  of which held out", [score(stories, s) for s in stories_annotated if s.get("held_out")]
    )
    assert total.precision >= THRESHOLD, total.wrong
    assert total.recall >= THRESHOLD, total.missed


def test_seed_characters_have_the_annotated_names_and_aliases(seeds: Detected) -> None:
    for story in annotations("seeds.toml"):
        for expected in story["characters"]:
            character = seeds.one(expected["name"])
            assert set(character.aliases) == set(expected["aliases"]), expected["name"]


def test_story_characters_found_have_the_annotated_names(stories: Detected) -> None:
    """Each annotated character that is found is shown by its annotated name, with no alias
    the annotation lacks (a missed alias is allowed: it costs a mention, not a character)."""
    shown = {c.name for c in stories.index.characters}
    found = 0
    for story in annotations("stories.toml"):
        missed = score(stories, story).missed
        for expected in story["characters"]:
            if expected["name"] in missed:
                continue
            assert expected["name"] in shown, (story["file"], expected["name"])
            aliases = set(stories.one(expected["name"]).aliases)
            assert aliases <= set(expected["aliases"]), (expected["name"], aliases)
            found += 1
    assert found >= 60


@pytest.mark.parametrize("fixture", ["seeds", "stories"])
def test_never_lists_places_words_or_unnamed_people(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """In its own chapter, a not-name is neither a listed character's name nor a mention."""
    detected: Detected = request.getfixturevalue(fixture)
    for story in annotations(f"{fixture}.toml"):
        here = detected.chapter(story["file"])
        listed = set()
        for character in detected.index.characters:
            if here in character.chapter_indexes:
                listed |= {_fold(n) for n in (character.name, *character.aliases)}
                listed |= {_fold(detected.text(m)) for m in character.mentions if m.chapter == here}
        for text in (*story["not_names"], *story["unnamed"]):
            assert _fold(text) not in listed, (story["file"], text)


# --- The seeds' hard cases, one by one.


def test_kai_is_one_character_in_chapters_001_and_004(seeds: Detected) -> None:
    kai = seeds.one("Kai")
    files = [seeds.chapters[i].source_name for i in kai.chapter_indexes]
    assert files == ["001_7e66cc63c124c5cf.txt", "004_888cfbc87bdd0a5f.txt"]


def test_kei_is_not_kai(seeds: Detected) -> None:
    kei = seeds.one("Kei")
    assert [seeds.chapters[i].source_name for i in kei.chapter_indexes] == [
        "000_8e09d97cdccea25b.txt"
    ]
    assert "Kai" not in kei.aliases


def test_sato_named_only_in_the_possessive_is_listed(seeds: Detected) -> None:
    sato = seeds.one("Sato")
    chapter = seeds.chapters[sato.mentions[0].chapter]
    for mention in sato.mentions:
        text = chapter.blocks[mention.block].plain
        assert text[mention.end : mention.end + 2] == "\u2019s"
    assert len(sato.mentions) == 3


def test_the_unnamed_doctor_is_not_listed_without_config(seeds: Detected) -> None:
    assert not {"doctor", "the doctor"} & seeds.names()


def test_neo_tokyo_and_haven_supply_are_not_listed(seeds: Detected) -> None:
    assert not {"neo-tokyo", "haven supply co.", "haven", "supply"} & seeds.names()


def test_full_name_and_first_name_are_one_character(seeds: Detected) -> None:
    sergei = seeds.one("Sergei Ivanov")
    chapter = seeds.chapters[sergei.mentions[0].chapter]
    written = {chapter.blocks[m.block].plain[m.start : m.end] for m in sergei.mentions}
    assert written == {"Sergei Ivanov", "Sergei"}
    assert not seeds.named("Sergei")


def test_characters_are_sorted_and_slugs_unique(seeds: Detected, stories: Detected) -> None:
    in_stories = [c.name for c in stories.index.characters]
    assert in_stories.index("Máire") < in_stories.index("Marco Bellini")  # as if "Maire"
    for detected in (seeds, stories):
        names = [c.name for c in detected.index.characters]
        assert names == sorted(names, key=collation_key)
        slugs = [c.slug for c in detected.index.characters]
        assert len(set(slugs)) == len(slugs)
        assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug) for slug in slugs)


@pytest.mark.parametrize("fixture", ["seeds", "stories"])
def test_every_mention_slices_a_name_out_of_its_paragraph(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """Each mention is the name as written (no possessive), in reading order, with an anchor
    that is unique on its chapter page."""
    detected: Detected = request.getfixturevalue(fixture)
    anchors: dict[int, set[str]] = {}
    for character in detected.index.characters:
        assert character.mentions, character.name
        written_as = {character.name, *character.aliases}
        counts: dict[int, int] = {}
        for mention in character.mentions:
            text = detected.chapters[mention.chapter].blocks[mention.block].plain
            name = text[mention.start : mention.end]
            assert name.replace("\u00a0", " ") in written_as, (character.name, name)
            assert not text[mention.end : mention.end + 1].isalnum()
            assert mention.start == 0 or not text[mention.start - 1].isalnum()
            counts[mention.chapter] = counts.get(mention.chapter, 0) + 1
            assert mention.anchor == f"m-{character.slug}-{counts[mention.chapter]}"
            page = anchors.setdefault(mention.chapter, set())
            assert mention.anchor not in page
            page.add(mention.anchor)
        places = [(m.chapter, m.block, m.start) for m in character.mentions]
        assert places == sorted(places)


def test_every_seed_occurrence_of_a_listed_name_is_a_mention(seeds: Detected) -> None:
    """Every whole-word occurrence of a listed name in the seeds is a mention of it (the seeds
    use no name as an ordinary word), so counting them in the text checks the mention lists."""
    for character in seeds.index.characters:
        pattern = re.compile(
            r"(?<![\w\u2019])(?:"
            + "|".join(
                re.escape(n)
                for n in sorted({character.name, *character.aliases}, key=len, reverse=True)
            )
            + r")(?!\w)"
        )
        expected = sum(
            len(pattern.findall(block.plain))
            for i in character.chapter_indexes
            for block in seeds.chapters[i].blocks
        )
        assert len(character.mentions) == expected, character.name


def test_no_annotated_name_is_written_into_the_detector() -> None:
    """Detection must work from evidence, not from a list of these stories' names."""
    source = (ROOT / "sitegen" / "characters.py").read_text(encoding="utf-8")
    generic = characters.NEVER_NAMES | characters._TITLE_WORDS
    for file in ("seeds.toml", "stories.toml"):
        for story in annotations(file):
            for expected in story["characters"]:
                for name in (expected["name"], *expected["aliases"]):
                    for word in re.findall(r"[^\W\d_][\w\u2019'-]+", name):
                        if word.rstrip(".") not in generic:
                            assert not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", source), word


def test_odd_text_neither_breaks_nor_invents_characters(tmp_path: Path) -> None:
    """Headings, code, shouting, Greek names and bare punctuation."""
    source = tmp_path / "odd"
    source.mkdir()
    (source / "001_odd.txt").write_text(
        "# The Ghost Of Marlowe Street\n"
        'SHE SAID NO. "OK," he said.\n'
        '"\u03a9\u03bc\u03ad\u03b3\u03b1, wait!" said \u039d\u03af\u03ba\u03b7. '
        "\u039d\u03af\u03ba\u03b7 smiled.\n"
        "```\nKai said Kai nodded\n```\n"
        "\u2026 \u2014 \u201c\u201d\n"
        "I. A. B.\n",
        encoding="utf-8",
    )
    detected = run(source, tmp_path)
    (nike,) = detected.index.characters
    assert nike.name == "\u039d\u03af\u03ba\u03b7"
    assert nike.slug == "character"  # nothing of it survives ASCII folding
    assert len(nike.mentions) == 2
    assert run(source, tmp_path).index == detected.index  # the same text, the same index


def test_a_greeting_before_a_name_is_no_one(tmp_path: Path) -> None:
    """ "Evening, Dr. Okafor" greets Okafor: Evening, Morning and the like are not people."""
    source = tmp_path / "greetings"
    source.mkdir()
    (source / "001_harbour.txt").write_text(
        '"Evening, Dr. Okafor," Tom\u00e1s said.\n'
        '"Morning, Captain," said Priya. Morning came slowly to the harbour.\n'
        '"Afternoon, Mrs. Hale," said Tom\u00e1s. "Greetings, Mrs. Hale," said Priya.\n',
        encoding="utf-8",
    )
    names = [c.name for c in run(source, tmp_path).index.characters]
    assert names == ["Dr. Okafor", "Mrs. Hale", "Priya", "Tom\u00e1s"]


def test_a_possessive_written_with_the_apostrophe_alone_is_a_persons(tmp_path: Path) -> None:
    """ "Lucas' guitar" says what "Lucas's guitar" says."""
    source = tmp_path / "possessive"
    source.mkdir()
    (source / "001_van.txt").write_text(
        '"Ready?" asked Doris. Lucas\' guitar went in first.\n'
        "She tucked Lucas' letters under the seat, beside Lucas' old boots.\n",
        encoding="utf-8",
    )
    index = run(source, tmp_path).index
    assert [(c.name, len(c.mentions)) for c in index.characters] == [("Doris", 1), ("Lucas", 3)]


def test_no_chapters_no_characters() -> None:
    index, found = detect((), load_config(root=SEEDS).characters)
    assert (index, found) == (CharacterIndex(), [])


# --- Curation, one override at a time.

DOCTOR = """
[[characters.add]]
name = "The doctor"
aliases = ["the doctor"]
chapters = ["000_8e09d97cdccea25b.txt"]
description = "Runs the clinic Nyra ran from."
"""


def test_add_an_unnamed_character_by_the_phrases_that_refer_to_them(
    tmp_path: Path, seeds: Detected
) -> None:
    detected = run(SEEDS, tmp_path, DOCTOR)
    doctor = detected.one("The doctor")
    assert doctor.description == "Runs the clinic Nyra ran from."
    assert doctor.aliases == ()  # "the doctor" is the name, whatever its case
    chapter = detected.chapter("000_8e09d97cdccea25b.txt")
    text = [b.plain for b in detected.chapters[chapter].blocks]
    assert len(doctor.mentions) == sum(len(re.findall(r"\b[Tt]he doctor\b", t)) for t in text)
    assert {m.chapter for m in doctor.mentions} == {chapter}
    assert {text[m.block][m.start : m.end] for m in doctor.mentions} == {"the doctor", "The doctor"}
    assert detected.one("Kei").mentions == seeds.one("Kei").mentions
    assert not detected.warnings


def test_add_an_alias_to_a_detected_character(tmp_path: Path) -> None:
    config = """
[[characters.add]]
name = "Kei"
aliases = ["the hybrid"]
description = "A hybrid with glowing eyes."
"""
    detected = run(SEEDS, tmp_path, config)
    kei = detected.one("Kei")
    assert "the hybrid" in kei.aliases
    assert kei.description == "A hybrid with glowing eyes."
    assert len(detected.named("Kei")) == 1


def test_an_added_character_never_mentioned_is_warned_about_with_its_line(tmp_path: Path) -> None:
    config = """[characters]

[[characters.add]]
name = "The vet"
aliases = ["the veterinarian"]
"""
    detected = run(SEEDS, tmp_path, config)
    (found,) = [d for d in detected.warnings if d.code == "W031"]
    assert found.line == 4  # the [[characters.add]] line, counting the `source` line
    assert "The vet" in found.message
    assert detected.one("The vet").mentions == ()


def test_ignore_a_name(tmp_path: Path) -> None:
    detected = run(SEEDS, tmp_path, '[characters]\nignore = ["Grant", "celine"]\n')
    assert not {"grant", "celine"} & detected.names()
    assert detected.one("Alec")
    assert not detected.warnings


def test_ignoring_a_name_that_matches_nothing_names_its_line(tmp_path: Path) -> None:
    config = '[characters]\nignore = [\n  "Grant",\n  "Hvaen",\n]\n'
    detected = run(SEEDS, tmp_path, config)
    (found,) = detected.warnings
    assert (found.code, found.line) == ("W030", 5)
    assert "`Hvaen`" in found.message
    assert found.path == str(tmp_path / "anthology.toml")
    assert found.format().startswith(f"{tmp_path / 'anthology.toml'}:5: W030 ")


def test_merge_two_detected_names_into_one_character(tmp_path: Path) -> None:
    detected = run(SEEDS, tmp_path, '[characters]\nmerge = [["Maren", "Mara"]]\n')
    maren = detected.one("Maren")
    assert maren.aliases == ("Mara",)
    files = [detected.chapters[i].source_name for i in maren.chapter_indexes]
    assert files == ["001_7e66cc63c124c5cf.txt", "004_888cfbc87bdd0a5f.txt"]
    assert not detected.named("Mara")
    assert len(maren.mentions) == 6 + 3


def test_merge_names_a_name_that_matches_nothing(tmp_path: Path) -> None:
    detected = run(SEEDS, tmp_path, '[characters]\nmerge = [["Maren", "Marren"]]\n')
    (found,) = detected.warnings
    assert (found.code, found.line) == ("W030", 3)
    assert "`Marren`" in found.message


SPLIT_KAI = """
[[characters.split]]
name = "Kai"
chapters = ["004_888cfbc87bdd0a5f.txt"]
description = "Ezra's Kai, held in the compound."
"""


def test_split_one_name_into_two_characters_by_chapter(tmp_path: Path) -> None:
    detected = run(SEEDS, tmp_path, SPLIT_KAI)
    first, second = detected.named("Kai")
    files = [[detected.chapters[i].source_name for i in c.chapter_indexes] for c in (first, second)]
    assert files == [["001_7e66cc63c124c5cf.txt"], ["004_888cfbc87bdd0a5f.txt"]]
    assert (first.slug, second.slug) == ("kai", "kai-2")
    assert second.description == "Ezra\u2019s Kai, held in the compound."  # typeset
    assert first.description == ""
    assert second.mentions[0].anchor == "m-kai-2-1"
    assert not detected.warnings


def test_split_by_chapter_slug(tmp_path: Path, seeds: Detected) -> None:
    slug = seeds.chapters[seeds.chapter("004_888cfbc87bdd0a5f.txt")].slug
    detected = run(SEEDS, tmp_path, SPLIT_KAI.replace("004_888cfbc87bdd0a5f.txt", slug))
    assert len(detected.named("Kai")) == 2


def test_split_naming_an_unknown_chapter_or_name_warns_with_the_line(tmp_path: Path) -> None:
    config = """
[[characters.split]]
name = "Kai"
chapters = ["004_888cfbc87bdd0a5f.txt", "no-such-chapter"]

[[characters.split]]
name = "Kia"
chapters = ["004_888cfbc87bdd0a5f.txt"]
"""
    detected = run(SEEDS, tmp_path, config)
    assert [(d.code, d.line) for d in detected.warnings] == [("W032", 5), ("W030", 8)]
    assert len(detected.named("Kai")) == 2


def test_describe_a_character(tmp_path: Path) -> None:
    config = '[characters.describe]\n"Sergei Ivanov" = "A war hero who outlived his war."\n'
    detected = run(SEEDS, tmp_path, config)
    assert detected.one("Sergei Ivanov").description == "A war hero who outlived his war."
    assert detected.one("Kai").description == ""
    assert not detected.warnings


def test_describe_by_an_alias_and_warn_for_a_name_that_matches_nothing(tmp_path: Path) -> None:
    config = '[characters.describe]\nSergei = "The hero."\nNobody = "No one."\n'
    detected = run(SEEDS, tmp_path, config)
    assert detected.one("Sergei Ivanov").description == "The hero."
    (found,) = detected.warnings
    assert (found.code, found.line) == ("W030", 4)


def test_unknown_keys_in_the_characters_table_are_warned_about_with_their_line(
    tmp_path: Path,
) -> None:
    config = """[characters]
ignroe = ["Grant"]

[[characters.add]]
name = "The doctor"
phrases = ["the doctor"]
"""
    detected = run(SEEDS, tmp_path, config)
    unknown = [(d.code, d.line, d.message) for d in detected.warnings if d.code == "W001"]
    assert unknown == [("W001", 3, "unknown key `ignroe`"), ("W001", 7, "unknown key `phrases`")]


def test_merge_what_only_the_plot_reveals(tmp_path: Path) -> None:
    """Detection cannot know two names are one person when only the plot says so: say it."""
    config = '[characters]\nmerge = [["Teodor Brandt", "Vasquez"]]\n'
    detected = run(STORIES, tmp_path, config)
    brandt = detected.one("Teodor Brandt")
    assert set(brandt.aliases) == {"Brandt", "Vasquez"}
    assert detected.one("Mrs. Harlan").mentions


# --- Scale: copies of the seeds do not change who is a character (timing is in bench/run.py).


@pytest.mark.slow
def test_a_thousand_chapters_of_copies_find_the_same_cast(tmp_path: Path, seeds: Detected) -> None:
    """The seeds copied 200 times: a weak hint repeated in every chapter is still a weak hint,
    and every copy of every mention is found."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for copy in range(200):
        for seed in sorted(SEEDS.glob("*.txt")):
            shutil.copyfile(seed, corpus / f"{copy:03d}_{seed.name}")
    loaded = load_config(root=tmp_path, source=corpus)
    chapters = gather(loaded).chapters
    assert len(chapters) == 1000
    index, _ = detect(chapters, loaded.characters)
    assert {(c.name, len(c.mentions)) for c in index.characters} == {
        (c.name, 200 * len(c.mentions)) for c in seeds.index.characters
    }


def test_a_scan_moved_to_another_place_is_the_scan_made_there() -> None:
    """A chapter scanned where it was first thought to stand, then moved (an earlier
    manuscript turned out empty), finds the same names as one scanned in its place."""
    chapters = gather(load_config(ROOT / "anthology.toml")).chapters
    for chapter in chapters:
        assert characters.moved(characters.scan_chapter(7, chapter), 2) == (
            characters.scan_chapter(2, chapter)
        )


def test_a_rebuild_finds_the_same_characters_as_a_fresh_build(tmp_path: Path) -> None:
    """`serve` keeps what each chapter says of its names from build to build. An edit that
    leaves every name where it was, but adds a lower-case "wren", must still be seen: a
    sentence-initial "Wren" with nothing else to support it is then a word, not a name."""
    root = tmp_path / "anthology"
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "a.txt").write_text("Wren said nothing. Wren said it twice. Ana nodded.\n")
    edited = root / "seeds" / "b.txt"
    edited.write_text("They met Wren at noon.\nWren. The name hung there.\nNight came.\n")
    cache = BuildCache()

    def wrens(anthology: Anthology) -> int:
        return sum(len(c.mentions) for c in anthology.characters.characters if c.name == "Wren")

    before = build(load_config(root=root), epub=False, cache=cache).anthology
    edited.write_text(
        "They met Wren at noon.\nWren. The name hung there.\nNight came, a wren sang.\n"
    )
    after = build(load_config(root=root), epub=False, cache=cache).anthology
    fresh, _ = load(load_config(root=root))
    assert after == fresh
    assert wrens(after) == wrens(before) - 1


def test_a_quote_takes_the_whole_speech_its_sentence_belongs_to() -> None:
    """On a character page, a quote whose marks do not pair up, or a bare dialogue tag, reads
    as nonsense: "Jace spat." means something only with what Jace spat."""
    text = (
        "\u201cYou think I\u2019m planning to?\u201d Jace spat. Ana turned away. "
        "\u201cWe\u2019re all in the same boat. Trying to survive, stay off Sato\u2019s radar."
        " You\u2019re welcome to stay.\u201d Grant nodded."
    )

    def around(name: str) -> str:
        start = text.index(name)
        return "".join(quote(text, start, start + len(name)))

    assert around("Jace") == "\u201cYou think I\u2019m planning to?\u201d Jace spat."
    assert around("Ana") == "Ana turned away."
    assert around("Sato") == (
        "\u201cWe\u2019re all in the same boat. Trying to survive, stay off Sato\u2019s radar."
        " You\u2019re welcome to stay.\u201d"
    )
    assert around("Grant").endswith("welcome to stay.\u201d Grant nodded.")  # a tag, too


def test_a_long_run_of_capitals_names_no_one_and_makes_no_page(
    tmp_path: Path,
) -> None:
    """A title-cased sign or headline, or a name pasted over and over, is not a character:
    a name has at most six words, and the run is no mention of one. (Such a run once made a
    "character" whose page's file name was too long to write.)"""
    source = tmp_path / "seeds"
    source.mkdir()
    (source / "a.txt").write_text(
        "Kai went home. " + "Kai " * 5000 + "\nThe Night We All Went Down To The River Again"
        " was painted on the wall. Kai smiled at Mara, and Mara nodded.\n",
        "utf-8",
    )
    found = run(source, tmp_path)
    assert sorted(c.name for c in found.index.characters) == ["Kai", "Mara"]
    assert len(found.one("Kai").mentions) == 2


def test_each_mention_is_placed_where_its_words_fall_in_the_anthology() -> None:
    """The strip on a character's page places each mention by the words before it in the
    whole anthology: the blocks before its own, then its share of its own block."""
    anthology, _ = load(load_config(root=ROOT))
    chapters = anthology.chapters
    total = sum(chapter.words for chapter in chapters)
    before_chapter = [sum(c.words for c in chapters[:i]) for i in range(len(chapters))]
    for character, links in zip(
        anthology.characters.characters, anthology.character_links, strict=True
    ):
        expected = []
        for m in character.mentions:
            chapter = chapters[m.chapter]
            words_before = before_chapter[m.chapter] + sum(chapter.block_words[: m.block])
            share = chapter.block_words[m.block] * m.start / len(chapter.blocks[m.block].plain)
            expected.append(min(1.0, (words_before + share) / total))
        assert links.positions == tuple(expected), character.name
