"""Load `anthology.toml` into one frozen, typed Config; every problem reported together.

tomllib gives values but not positions, so `_key_lines` scans the text to find the line of
each key: a problem is then reported as `anthology.toml:12: ...` the way a compiler would.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import Diagnostic, SitegenError, error, raise_if_errors, warning
from .slugs import MAX_SLUG
from .stamps import Stamp, stamp

CONFIG_NAME = "anthology.toml"
PACKAGE_DIR = Path(__file__).resolve().parent


ConfigKey = tuple[str | int, ...]


@dataclass(frozen=True)
class KeyLines:
    """Where each key of a config's `text` is written (see `_key_lines`), found the first time
    a line is asked for: only a problem needs one, and finding them all takes as long as
    parsing the file."""

    text: str = ""

    @cached_property
    def _lines(self) -> dict[ConfigKey, int]:
        return _key_lines(self.text)

    def line(self, *key: str | int) -> int | None:
        """The line of `key`, or failing that of the nearest key it is written under."""
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return None


LANGUAGE_TAG = re.compile(r"(?:[A-Za-z]{2,3}|[xX](?=-))(?:-[A-Za-z0-9]{1,8})*")
"""A language tag's form (BCP 47): "en", "en-GB", "zh-Hant-TW", "sr-Latn"."""


@dataclass(frozen=True)
class ChapterEntry:
    """One `[[chapters]]` entry: which manuscript, and what the editor says about it; it is
    the `index`-th in the config, whose key `lines` are kept to say where."""

    file: str
    title: str | None = None
    slug: str | None = None
    index: int = 0
    lines: KeyLines = field(default_factory=KeyLines, compare=False, hash=False, repr=False)
    aliases: tuple[str, ...] = ()  # the chapter's earlier slugs, kept as redirects

    @property
    def line(self) -> int | None:
        return self.lines.line("chapters", self.index, "file")


@dataclass(frozen=True)
class CharacterEntry:
    """One `[[characters.add]]` or `[[characters.split]]` table of the config.

    add: a character detection missed, named or not ("the doctor"). `name` is shown in the
    index; `name` and each of `aliases` are looked for in the text, a phrase written in lower
    case also with a capital first letter (as at the start of a sentence). When `name` or an
    alias is already a detected character, the entry adds its aliases and description to it.

    split: one name, several people. The mentions of `name` in `chapters` become a character of
    their own, shown as `name`; the name's other chapters keep the detected character.

    `chapters` holds chapter slugs or manuscripts' paths in the source folder (as `file` in
    `[[chapters]]`); for `add` it limits where the phrases are looked for.
    """

    name: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    chapters: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class CharacterConfig:
    """The writer's word on the character index; it always wins over detection.

        [characters]
        ignore = ["Haven", "Grant"]            # detected names that are not characters
        merge = [["Sergei Ivanov", "Ivanov"]]  # one character; the first name is shown

        [characters.describe]
        "Sergei Ivanov" = "A war hero who outlived his war."

        [[characters.add]]                     # see CharacterEntry
        name = "The doctor"
        aliases = ["the doctor", "the old man"]
        chapters = ["000_8e09d97cdccea25b.txt"]
        description = "Runs the clinic."

        [[characters.split]]                   # see CharacterEntry
        name = "Kai"
        chapters = ["004_888cfbc87bdd0a5f.txt"]

    Names are matched case-insensitively against a character's name and aliases. `path` is the
    config file; `line()` gives the line of a place below `[characters]` there: ("ignore",),
    ("ignore", "Haven") for a name in a list, ("merge", "Ivanov"), ("add", 0),
    ("add", 0, "aliases", "the doctor"), ("describe", "Kai"), or of the enclosing key.
    """

    add: tuple[CharacterEntry, ...] = ()
    ignore: tuple[str, ...] = ()
    merge: tuple[tuple[str, ...], ...] = ()
    split: tuple[CharacterEntry, ...] = ()
    describe: tuple[tuple[str, str], ...] = ()
    path: str = CONFIG_NAME
    lines: KeyLines = field(default_factory=KeyLines, compare=False, hash=False, repr=False)

    def line(self, *key: str | int) -> int | None:
        return self.lines.line("characters", *key)


@dataclass(frozen=True)
class Config:
    """The anthology's settings: the config file's, with the command line's on top."""

    root: Path
    path: Path | None
    title: str
    author: str
    editor: str
    language: str
    description: str
    base_url: str
    source_dir: Path
    out_dir: Path
    templates_dir: Path
    theme_dir: Path
    chapters: tuple[ChapterEntry, ...]
    keep_artifacts: bool
    words_per_minute: int
    epub: bool
    subjects: tuple[str, ...]
    cname: str
    characters: CharacterConfig
    identifier: str = ""  # the book's lasting identity (urn:isbn:…, urn:uuid:…); "": derived
    cover: Path | None = None  # the book's cover image (PNG or JPEG); None: generate one
    warnings: tuple[Diagnostic, ...] = ()
    lines: KeyLines = field(default_factory=KeyLines, compare=False, hash=False, repr=False)
    # The config file as it was read (see `stamps`): the build's record of what it read is
    # taken after, and must be of the bytes it was built from.
    read_as: Stamp | None = field(default=None, compare=False, hash=False, repr=False)

    def line(self, *key: str | int) -> int | None:
        return self.lines.line(*key)

    @property
    def base_path(self) -> str:
        """The URL path the site lives under: `/` at a domain's root, `/anthology/` on Pages."""
        match = re.match(r"^[a-z][a-z0-9+.-]*://[^/]+(/.*)?$", self.base_url)
        path = (match.group(1) if match else self.base_url) or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def site_url(self) -> str:
        """The absolute URL of the home page, or "" when the site has no configured domain."""
        return self.base_url if "://" in self.base_url else ""


def bundled_folder(name: str) -> Path:
    """Templates and theme ship inside the wheel; in a source checkout they sit beside it."""
    inside = PACKAGE_DIR / "_bundled" / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def overlaid_files(folder: Path, built_in: str) -> dict[str, Path]:
    """The files of sitegen's own `built_in` folder ("templates" or "theme") with those of the
    project's `folder` over them, by relative path, sorted: a project overrides the files it
    has, one by one, and the others stay sitegen's. A writer copies only what they change."""
    files: dict[str, Path] = {}
    for root in dict.fromkeys((bundled_folder(built_in), folder)):
        for path in root.rglob("*"):
            if path.is_file() and is_writers(relative := path.relative_to(root)):
                files[relative.as_posix()] = path
    if unnamed := [path for name, path in files.items() if shown_name(name) != name]:
        raise SitegenError(
            error(
                "E091",
                path,
                None,
                "this file's name is not UTF-8, so no page can name it in a link",
                "rename it (a name saved on a system of another encoding)",
            )
            for path in unnamed
        )
    return dict(sorted(files.items()))


_EDITORS_NAME = re.compile(
    r"^\.|^#.*#$|^~\$|~$|\.sw[pon]$|___jb_\w+___$|^4913$|^flycheck_|^(?:Thumbs\.db|"
    r"desktop\.ini|__pycache__|node_modules)$",
    re.IGNORECASE,
)
"""Names an editor, a tool or a system gives what it leaves beside a writer's files: hidden
files and folders (Emacs's locks, `.#story.txt`, among them), backups (`style.css~`, Emacs's
`#style.css#`), Office's locks (`~$story.docx`), swap files (`.style.css.swp`), JetBrains'
temporary saves, vim's check that it may write a folder (`4913`), thumbnails. A writer's own
name may begin with `#` or `~` ("#1 Beginnings.txt")."""


_COMBINING_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_COMBINING = re.compile(f"[{_COMBINING_MARKS}]")
_ACCENTED = re.compile(f"[^{_COMBINING_MARKS}][{_COMBINING_MARKS}]+")


def composed(text: str) -> str:
    """`text` with each letter and the combining accents typed after it made one character,
    as nearly every editor writes it (NFC, for these): "Zoë" typed as an e and a combining
    diaeresis is the same name as "Zoë" typed as one letter, and a page never begins a run
    of text with an accent split from its letter. The rest of NFC is left alone: it would
    also replace CJK compatibility ideographs and Hebrew presentation forms with others,
    changing the writer's letters."""
    # Nearly every text is NFC already: said by one quick check, in C.
    if unicodedata.is_normalized("NFC", text) or not _COMBINING.search(text):
        return text
    return _ACCENTED.sub(lambda run: unicodedata.normalize("NFC", run.group()), text)


def shown_name(name: str) -> str:
    """A file or folder's name as a page can show it: bytes that are not UTF-8 (a name given
    on a system of another encoding, kept by Python as lone surrogates) become U+FFFD, the
    sign of a character that could not be read, which no page or book can otherwise hold."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def is_editors_name(name: str) -> bool:
    """Whether `name` is one an editor, a tool or a system gives a file or folder it leaves
    beside the writer's (see `_EDITORS_NAME`)."""
    return _EDITORS_NAME.search(name) is not None


def is_writers(relative: Path) -> bool:
    """Whether a file at `relative`, in a project's folder, is the writer's own: not one an
    editor or a system left there, nor inside such a folder. Only the writer's are read or
    published, and only a change to one rebuilds the preview."""
    return not any(map(is_editors_name, relative.parts))


TOP_LEVEL_KEYS = {
    "title": str,
    "author": str,
    "editor": str,
    "language": str,
    "description": str,
    "base_url": str,
    "source": str,
    "output": str,
    "keep_artifacts": bool,
    "words_per_minute": int,
    "epub": bool,
    "subjects": list,
    "cname": str,
    "identifier": str,
    "cover": str,
    "chapters": list,
    "characters": dict,
}
CHAPTER_KEYS = {"file": str, "title": str, "slug": str, "aliases": list}
CHARACTER_KEYS = {"add": list, "ignore": list, "merge": list, "split": list, "describe": dict}
CHARACTER_ENTRY_KEYS = {"name": str, "aliases": list, "description": str, "chapters": list}
# What XML 1.0 cannot hold (controls but tab and line breaks, lone surrogates, U+FFFE, U+FFFF):
# no page or e-reader shows them, and one of them makes a whole EPUB document invalid. Listed,
# not written as the complement of what XML allows: compiling that class takes ten times as
# long, on every start.
NOT_IN_PAGES = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(
        chr(plane | end) for plane in range(0x10000, 0x110000, 0x10000) for end in (0xFFFE, 0xFFFF)
    )
    + "]"
)
"""What no page may hold: the characters XML forbids, the controls (DEL and C1) that HTML
calls parse errors, and the noncharacters (U+FDD0 to U+FDEF, and the last two of every plane),
which the Nu checker rejects."""
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slug_fault(slug: str) -> str | None:
    """What is wrong with a slug the writer gives (a page's folder name, and its address), or
    None: `slug ... must be ...`. A file system takes 255 bytes for a name, a reader less."""
    if not SLUG_RE.match(slug):
        return "must be lower-case letters, digits and single hyphens"
    if len(slug) > MAX_SLUG:
        return f"is {len(slug)} characters long, and may be {MAX_SLUG} at most"
    return None


BASE_URL_RE = re.compile(r"(?:/(?!/)|(?i:https?)://[^/\s?#<>\"'\\]+(?:/|$))[^\s?#<>\"'\\]*")
"""A path like /anthology/ or an http(s) URL, with no query or fragment: pages append their
own paths to it. Not //host/ (a browser reads that as another site), and none of the
characters that would end an HTML attribute or a URL in it."""


@lru_cache(maxsize=1)
def _key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each key path, e.g. ("chapters", 2, "title"), to the line it is written on, and
    each string value to its own line under its key, e.g. ("characters", "ignore", "Haven"):
    a name inside a list written over several lines can then be pointed at exactly. Kept for
    the same text, as `_parse_toml` is: `serve` reads the config before every rebuild, and a
    chapter's URL is traced to its line (see `gather`). The map is only read."""
    lines: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    current: tuple[str | int, ...] = ()  # the key the values on this line belong to
    counts: dict[tuple[str, ...], int] = {}
    array: tuple[str | int, ...] | None = None  # a key whose list of inline tables is open
    items = 0  # inline tables in it so far: chapters = [{ file = "a.txt" }, ...]
    # TOML ends a line only at "\n" (or "\r\n"); `splitlines` would also end one at a U+2028
    # or a U+0085 inside a string, and every later line would be named one too far on.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if header := re.match(r"^\[\[\s*([\w.\-\" ]+?)\s*\]\]\s*(?:#.*)?$", line):
            parts = tuple(p.strip().strip('"') for p in header.group(1).split("."))
            index = counts.get(parts, -1) + 1
            counts[parts] = index
            table = current = (*parts, index)
            lines.setdefault(table, number)
            lines.setdefault(parts, number)
            array = None
            continue
        if header := re.match(r"^\[\s*([\w.\-\" ]+?)\s*\]\s*(?:#.*)?$", line):
            table = current = tuple(p.strip().strip('"') for p in header.group(1).split("."))
            lines.setdefault(table, number)
            array = None
            continue
        rest = line
        if key := re.match(r'^("[^"]+"|[A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=', line):
            parts = tuple(p.strip().strip('"') for p in key.group(1).split("."))
            for end in range(1, len(parts) + 1):  # a dotted key also writes its tables
                lines.setdefault((*table, *parts[:end]), number)
            current = (*table, *parts)
            rest = line[key.end() :]
            array, items = (current, 0) if rest.lstrip().startswith("[") else (None, 0)
        for inline in re.finditer(r"\{([^{}]*)\}", rest) if array is not None else ():
            at = (*array, items)
            items += 1
            lines.setdefault(at, number)
            for pair in re.finditer(r"([A-Za-z0-9_-]+)\s*=", inline.group(1)):
                lines.setdefault((*at, pair.group(1)), number)
        for value in re.finditer(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'', rest):
            lines.setdefault((*current, value.group(1) or value.group(2) or ""), number)
    return lines


class _Checker:
    """Collects diagnostics while reading raw TOML values into typed ones."""

    def __init__(self, path: Path, lines: KeyLines) -> None:
        self.path = path
        self.lines = lines
        self.found: list[Diagnostic] = []

    def line(self, *key: str | int) -> int | None:
        return self.lines.line(*key)

    def unknown_keys(self, table: Mapping[str, Any], known: Mapping[str, type], *at: str | int):
        for name in table:
            if name not in known:
                # Letters swapped or missing (edtior, base_ulr), or a word's start (desc).
                close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6) or [
                    k for k in known if k[:3] == name[:3].lower()
                ]
                hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(known)}"
                if at and name in TOP_LEVEL_KEYS:  # written below a table, so read as part of it
                    table_name = "[[chapters]]" if at[0] == "chapters" else f"[{at[0]}]"
                    hint = f"it is an anthology setting: move it above the first {table_name}"
                self.found.append(
                    warning("W001", self.path, self.line(*at, name), f"unknown key `{name}`", hint)
                )

    def typed(self, table: Mapping[str, Any], key: str, kind: type, default: Any, *at: str | int):
        if key not in table:
            return default
        value = table[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            self.found.append(
                error(
                    "E002",
                    self.path,
                    self.line(*at, key),
                    f"`{key}` must be {_kind_name(kind)}, not {_kind_name(type(value))}",
                    (isinstance(value, dict) and TABLE_LISTS.get((*at, key)))
                    or _kind_hint(kind, key),
                )
            )
            return default
        if kind is str and (odd := NOT_IN_PAGES.search(value)):
            self.found.append(
                error(
                    "E002",
                    self.path,
                    self.line(*at, key),
                    f"`{key}` holds an invisible character, U+{ord(odd.group()):04X}",
                    "delete it: no page or e-reader can show it",
                )
            )
            return default
        return value

    def strings(self, values: list[Any], *at: str | int) -> tuple[str, ...]:
        if all(isinstance(v, str) for v in values):
            return tuple(v.strip() for v in values if v.strip())  # "" is a placeholder
        self.found.append(
            error(
                "E002",
                self.path,
                self.line(*at),
                f"`{at[-1]}` must be a list of strings",
                f'put each one in quotes: {at[-1]} = ["...", "..."]',
            )
        )
        return ()


def _kind_name(kind: type) -> str:
    return {
        str: "a string",
        bool: "true or false",
        int: "a whole number",
        list: "a list",
        dict: "a table",
    }.get(kind, kind.__name__)


TABLE_LISTS = {
    ("chapters",): 'write each as a line [[chapters]], then file = "story.txt" below it',
    ("characters", "add"): 'write each as a line [[characters.add]], then name = "..." below it',
    ("characters", "split"): (
        'write each as a line [[characters.split]], then name = "..." below it'
    ),
}
"""How to write the keys whose value is a list of tables, by their place in the config: one
written as a single table (`[chapters]`) is told this, not to write a list in brackets."""


def _kind_hint(kind: type, key: str) -> str:
    """How to write a value of `kind`, shown with `key` itself."""
    return {
        str: f'put it in quotes: {key} = "..."',
        bool: f"write {key} = true or {key} = false, without quotes",
        int: f"write a number without quotes: {key} = 250",
        list: f'write it in brackets: {key} = ["..."]',
        dict: f"write it as a table: a line [{key}], then name = value lines",
    }.get(kind, "")


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> Diagnostic:
    match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "invalid TOML"
    return error(
        "E001",
        path,
        int(match.group(1)) if match else None,
        f"cannot read the config: {message[0].lower()}{message[1:]}",
        "fix the TOML syntax (https://toml.io)",
    )


@lru_cache(maxsize=1)
def _parse_toml(text: str) -> dict[str, Any]:
    """The config's tables. `serve` reads the config again before every rebuild, and parsing
    the same text again took 30 ms for a thousand chapter entries. The tables are only read,
    never changed, so one parse can serve every reading of the same text."""
    return tomllib.loads(text)


def named_like_the_config(name: str) -> bool:
    """`anthology.toml`, or a name an editor may give it instead: `Anthology.toml`, or
    `anthology.toml.txt` (see `_misnamed`)."""
    return name.lower() in (CONFIG_NAME, CONFIG_NAME + ".txt")


def _misnamed(root: Path) -> list[Path]:
    """Files in `root` named like the config but not quite (`Anthology.toml`, or
    `anthology.toml.txt` as some editors save it): sitegen reads none of them."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return []
    return sorted(
        root / entry.name
        for entry in entries
        if entry.name != CONFIG_NAME and named_like_the_config(entry.name) and entry.is_file()
    )


def _misnamed_problem(root: Path, beside_the_config: bool) -> Diagnostic | None:
    """Without a config, a misnamed one would be ignored, and the anthology built and
    published without its title, order and chapter titles: an error. Beside the config, the
    writer may be editing the copy that is read by nothing: a warning."""
    misnamed = _misnamed(root)
    if not misnamed:
        return None
    if beside_the_config:
        problem = f"sitegen reads {CONFIG_NAME} beside it, and never this file"
        return warning("W004", misnamed[0], None, problem, "merge it into that one, or delete it")
    problem = f"this looks like the config, but sitegen reads only a file named {CONFIG_NAME}"
    hint = f"rename it to {CONFIG_NAME} (an editor may have added .txt, or capitals)"
    return error("E000", misnamed[0], None, problem, hint)


def load_config(
    path: Path | None = None,
    *,
    root: Path | None = None,
    source: Path | None = None,
    out: Path | None = None,
    base_url: str | None = None,
) -> Config:
    """Read the config at `path` (or `anthology.toml` in `root`, if present) into a Config.

    Command-line options override the file. Without a config file the build still works with
    defaults: titles come from the manuscripts, chapters are ordered by file name.
    """
    root = (root or Path.cwd()).resolve()
    beside = root / CONFIG_NAME
    if path is None and (beside.is_file() or beside.is_symlink()):  # a broken link is an error
        path = beside
    misnamed = _misnamed_problem(root, path == beside) if path in (None, beside) else None
    if misnamed is not None and path is None:
        raise SitegenError([misnamed])
    raw: dict[str, Any] = {}
    text = ""
    read_as: Stamp | None = None
    if path is not None:
        if path.is_symlink() and not path.exists():
            why = f"config file is a link to {path.readlink()}, which does not exist"
            raise SitegenError([error("E000", path, None, why, "point the link at the config")])
        if path.is_dir():
            why = "config file is a folder"
            raise SitegenError([error("E000", path, None, why, f"make {CONFIG_NAME} a file")])
        path = path.resolve()
        root = path.parent
        try:
            with path.open("rb") as file:
                data = file.read()
                read_as = stamp(os.fstat(file.fileno()), lambda: data)
            text = data.decode("utf-8-sig")
        except FileNotFoundError:
            raise SitegenError(
                [error("E000", path, None, "config file not found", "check --config")]
            ) from None
        except UnicodeDecodeError:
            raise SitegenError(
                [error("E001", path, None, "config is not UTF-8", "save it as UTF-8")]
            ) from None
        if "\r" in text and "\n" not in text:  # an old Mac's line ends, which TOML lacks
            text = text.replace("\r", "\n")
        text = composed(text)  # its names must match the manuscripts' (see `composed`)
        try:
            raw = _parse_toml(text)
        except tomllib.TOMLDecodeError as exc:
            raise SitegenError([_toml_error(path, exc)]) from None
    check = _Checker(path or root / CONFIG_NAME, KeyLines(text))
    if misnamed is not None:
        check.found.append(misnamed)
    check.unknown_keys(raw, TOP_LEVEL_KEYS)

    def get(key: str, default: Any) -> Any:
        return check.typed(raw, key, TOP_LEVEL_KEYS[key], default)

    chapters = _chapters(check, get("chapters", []))
    characters = _characters(check, get("characters", {}))
    config_base = get("base_url", "/")
    resolved_base = _normalise_base_url(check, base_url if base_url is not None else config_base)
    for required, example in (("title", "the anthology's title"), ("language", '"en"')):
        if required in raw and not str(raw[required]).strip():
            check.found.append(
                error(
                    "E002",
                    check.path,
                    check.line(required),
                    f"`{required}` must not be empty",
                    f"write {example}, or remove the line for the default",
                )
            )
    language = get("language", "en")
    if language.strip() and not LANGUAGE_TAG.fullmatch(language):
        dashed = language.strip().replace("_", "-")
        check.found.append(
            error(
                "E002",
                check.path,
                check.line("language"),
                f"`language` \u201c{language}\u201d is not a language tag; browsers, e-readers"
                " and the EPUB's checker would not understand it",
                f'write "{dashed}"'
                if LANGUAGE_TAG.fullmatch(dashed)
                else 'write a BCP 47 tag, such as "en", "en-GB" or "pt-BR"',
            )
        )
    words_per_minute = get("words_per_minute", 230)
    if words_per_minute <= 0:
        check.found.append(
            error(
                "E002",
                check.path,
                check.line("words_per_minute"),
                "`words_per_minute` must be > 0",
                "an adult reads about 230 words a minute: words_per_minute = 230",
            )
        )
    config = Config(
        root=root,
        path=path,
        title=get("title", shown_name(root.name).replace("-", " ").replace("_", " ").title()),
        author=get("author", "").strip(),  # blank, as `sitegen new` writes it: not set
        editor=get("editor", "").strip(),
        language=language,
        description=get("description", "").strip(),
        base_url=resolved_base,
        source_dir=(
            source or _configured_path(check, root, "source", get("source", "seeds"))
        ).resolve(),
        out_dir=(out or _configured_path(check, root, "output", get("output", "output"))).resolve(),
        templates_dir=root / "templates"
        if (root / "templates").is_dir()
        else bundled_folder("templates"),
        theme_dir=root / "theme" if (root / "theme").is_dir() else bundled_folder("theme"),
        chapters=chapters,
        keep_artifacts=get("keep_artifacts", False),
        words_per_minute=words_per_minute,
        epub=get("epub", True),
        subjects=check.strings(get("subjects", []), "subjects"),
        cname=_cname(check, get("cname", ""), resolved_base),
        identifier=get("identifier", "").strip(),
        characters=characters,
        cover=_cover(check, root, get("cover", "")),
        warnings=tuple(d for d in check.found if d.severity == "warning"),
        lines=check.lines,
        read_as=read_as,
    )
    raise_if_errors(sorted(check.found, key=lambda d: d.line or 0))
    return config


def _configured_path(check: _Checker, root: Path, key: str, value: str) -> Path:
    """A path the config gives: relative to the config's folder, and `~` is the home folder,
    as it would be typed in a shell."""
    try:
        return root / Path(value).expanduser()
    except RuntimeError:  # "~someone" where there is no such user
        check.found.append(
            error(
                "E002",
                check.path,
                check.line(key),
                f"`{key}`: no home folder for `{value.split('/')[0]}`",
                "write the path in full, or relative to the config",
            )
        )
        return root / value


COVER_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG


def _cover(check: _Checker, root: Path, value: str) -> Path | None:
    """The configured cover image, relative to the config; it must be a PNG or JPEG file."""
    if not value:
        return None
    path = _configured_path(check, root, "cover", value).resolve()
    try:
        with path.open("rb") as image:
            head = image.read(8)
    except OSError:
        check.found.append(
            error(
                "E050",
                check.path,
                check.line("cover"),
                f"cover image `{value}` not found",
                "give the path of a PNG or JPEG file, relative to the config",
            )
        )
        return None
    if not head.startswith(COVER_SIGNATURES):
        check.found.append(
            error(
                "E051",
                check.path,
                check.line("cover"),
                f"cover image `{value}` is neither PNG nor JPEG",
                "export the cover as PNG or JPEG (1600\u00d72560 pixels suits e-readers)",
            )
        )
        return None
    if problem := _unreadable_image(path, path.stat().st_mtime_ns):
        check.found.append(
            error(
                "E051",
                check.path,
                check.line("cover"),
                f"cover image `{value}` cannot be read: {problem}",
                "export the cover again as PNG or JPEG",
            )
        )
        return None
    return path


@lru_cache(maxsize=4)
def _unreadable_image(path: Path, _modified: int) -> str | None:
    """What is wrong with the image file at `path` (a cut-short or damaged file, a header with
    nothing after it), or None if Pillow reads it whole. Kept while the file is unchanged:
    `serve` reads the config before every rebuild."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()  # all of it: a JPEG's header alone says nothing of the rest
    except UnidentifiedImageError:
        return "it is not an image Pillow knows"
    except Exception as exc:  # Pillow's own, or whatever a damaged file makes its decoders raise
        return str(exc) or type(exc).__name__
    return None


def _cname(check: _Checker, value: str, base_url: str) -> str:
    """GitHub Pages reads CNAME as one bare host name: no scheme, no path, no port. The site
    then lives at that domain's root, where its full address (`base_url`) must point too."""
    host = value.strip().lower()
    served = re.match(r"^[a-z][a-z0-9+.-]*://([^/:]+)(?::\d+)?(/.*)?$", base_url)
    if host and served and (served[1].lower(), served[2] or "/") != (host, "/"):
        check.found.append(
            warning(
                "W003",
                check.path,
                check.line("cname"),
                f"cname `{host}` serves the site at https://{host}/, but base_url is "
                f"{base_url}: links to pages, the feed and the sitemap would point there",
                f'set base_url = "https://{host}/"',
            )
        )
    if host and not re.fullmatch(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}", host):
        check.found.append(
            error(
                "E002",
                check.path,
                check.line("cname"),
                f"cname `{value}` is not a domain name",
                'write only the host, like cname = "stories.example.org"',
            )
        )
        return ""
    return host


def _normalise_base_url(check: _Checker, value: str) -> str:
    """Accept `/`, `/sub/path`, or `https://host/sub/path`; always end with a slash."""
    value = value.strip() or "/"
    fault = (
        "is neither a path nor an http(s) URL"
        if not BASE_URL_RE.fullmatch(value)
        else address_fault(value)
    )
    if fault:
        check.found.append(
            error(
                "E002",
                check.path,
                check.line("base_url"),
                f"base_url `{value}` {fault}",
                "write it like https://user.github.io/anthology/ or /anthology/, with no ? or #",
            )
        )
        return "/"
    if site := re.match(r"[^/]+//[^/]+", value):  # scheme and host, which know no case
        value = site.group().lower() + value[site.end() :]
    return value if value.endswith("/") else value + "/"


def address_fault(url: str) -> str:
    """What makes `url` (a path, or an http(s) URL, as `BASE_URL_RE` has it) no address every
    page may link to (the Nu checker's rules: a host in brackets is closed, a port is at most
    65535, a `%` starts an escape), or "" when nothing does."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- read for its check: a port out of range raises
    except ValueError:
        return "has a host or port no address can have"
    if "://" in url and not parts.hostname:
        return "has no host"
    if parts.hostname and re.search(r"[^\w.:-]", parts.hostname):
        return "has a host no address can have"
    if re.search(r"%(?![0-9A-Fa-f]{2})", url):
        return "has a % that is not followed by two hexadecimal digits (write %25 for a %)"
    if odd := re.search(r"[|{}^`\[\]]", parts.path):
        return f"holds `{odd.group()}`, which an address may not hold unescaped"
    return ""


def _chapters(check: _Checker, entries: list[Any]) -> tuple[ChapterEntry, ...]:
    chapters: list[ChapterEntry] = []
    for index, entry in enumerate(entries):
        at = ("chapters", index)
        if not isinstance(entry, dict):
            check.found.append(
                error(
                    "E002",
                    check.path,
                    check.line(*at) or check.line("chapters"),
                    "each chapter must be a table",
                    TABLE_LISTS[("chapters",)],
                )
            )
            continue
        check.unknown_keys(entry, CHAPTER_KEYS, *at)
        file = check.typed(entry, "file", str, "", *at)
        if not file:
            if isinstance(entry.get("file", ""), str):  # one of another type is told already
                check.found.append(
                    error(
                        "E002",
                        check.path,
                        check.line(*at),
                        "chapter has no `file`",
                        'add file = "name.txt" naming a manuscript in the source folder',
                    )
                )
            continue
        slug = check.typed(entry, "slug", str, None, *at)
        if slug is not None and (fault := slug_fault(slug)):
            check.found.append(
                error(
                    "E002",
                    check.path,
                    check.line(*at, "slug"),
                    f"slug `{slug}` {fault}",
                    'write it like slug = "the-long-night"',
                )
            )
            slug = None
        title = check.typed(entry, "title", str, None, *at)
        if title is not None and not title.strip():
            check.found.append(
                error(
                    "E002",
                    check.path,
                    check.line(*at, "title"),
                    "a chapter's `title` must not be empty",
                    "give the chapter its title, or delete the line to take the manuscript's",
                )
            )
            title = None
        aliases = check.strings(check.typed(entry, "aliases", list, [], *at), *at, "aliases")
        check.found.extend(
            error(
                "E002",
                check.path,
                check.line(*at, "aliases"),
                f"alias `{alias}` {fault}",
                'give the slug the chapter had, like aliases = ["the-long-night"]',
            )
            for alias in aliases
            if (fault := slug_fault(alias))
        )
        chapters.append(ChapterEntry(file, title, slug, index, check.lines, aliases))
    return tuple(chapters)


def _character_entries(
    check: _Checker, table: dict[str, Any], key: str
) -> tuple[CharacterEntry, ...]:
    entries: list[CharacterEntry] = []
    for index, entry in enumerate(check.typed(table, key, list, [], "characters")):
        at = ("characters", key, index)
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            check.found.append(
                error(
                    "E002",
                    check.path,
                    check.line(*at),
                    f"each `characters.{key}` needs a `name`",
                    'give it one, like name = "Ana Ruiz"',
                )
            )
            continue
        check.unknown_keys(entry, CHARACTER_ENTRY_KEYS, *at)
        entries.append(
            CharacterEntry(
                name=name.strip(),
                aliases=check.strings(check.typed(entry, "aliases", list, [], *at), *at, "aliases"),
                description=check.typed(entry, "description", str, "", *at),
                chapters=check.strings(
                    check.typed(entry, "chapters", list, [], *at), *at, "chapters"
                ),
                line=check.line(*at),
            )
        )
    return tuple(entries)


def _characters(check: _Checker, table: dict[str, Any]) -> CharacterConfig:
    check.unknown_keys(table, CHARACTER_KEYS, "characters")
    merge: list[tuple[str, ...]] = []
    groups = check.typed(table, "merge", list, [], "characters")
    if groups and not any(isinstance(group, list) for group in groups):
        check.found.append(
            error(
                "E002",
                check.path,
                check.line("characters", "merge"),
                "`merge` is a list of groups, each a list of names for one character",
                'put each group in its own brackets: merge = [["Ana", "Ana Ruiz"]]',
            )
        )
        groups = []
    for index, group in enumerate(groups):
        names = check.strings(group if isinstance(group, list) else [group], "characters", "merge")
        if len(names) < 2:
            check.found.append(
                error(
                    "E002",
                    check.path,
                    check.line("characters", "merge"),
                    f"merge group {index + 1} must list at least two names",
                    "list every name the group joins into one character",
                )
            )
        else:
            merge.append(names)
    described = check.typed(table, "describe", dict, {}, "characters")
    describe = {
        name: text
        for name in described
        if (text := check.typed(described, name, str, None, "characters", "describe")) is not None
    }
    return CharacterConfig(
        add=_character_entries(check, table, "add"),
        ignore=check.strings(
            check.typed(table, "ignore", list, [], "characters"), "characters", "ignore"
        ),
        merge=tuple(merge),
        split=_character_entries(check, table, "split"),
        describe=tuple(describe.items()),
        path=str(check.path),
        lines=check.lines,
    )
