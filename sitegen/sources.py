"""Manuscript files to text: encoding, BOM, line endings and front matter, keeping line numbers."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import NamedTuple

from .config import (
    CONFIG_NAME,
    NOT_IN_PAGES,
    ChapterEntry,
    Config,
    composed,
    is_editors_name,
    is_writers,
    slug_fault,
)
from .errors import Diagnostic, error, warning
from .stamps import file_stamp

MANUSCRIPT_SUFFIXES = (".txt", ".md", ".markdown")
# Documents of word processors: a story saved as one of these is not read, and is named.
DOCUMENT_SUFFIXES = (".doc", ".docx", ".odt", ".rtf", ".pages", ".wpd")
FRONT_MATTER_KEYS = ("title", "author", "slug")
_CONTROL_BYTES = bytes(code for code in (*range(32), 0x7F) if code not in b"\t\n\r")
_C1_CONTROL = re.compile(rb"\xc2[\x80-\x9f]")  # U+0080..U+009F in UTF-8
_NONCHARACTER = re.compile(
    rb"\xef\xb7[\x90-\xaf]|\xef\xbf[\xbe\xbf]"  # U+FDD0..U+FDEF, U+FFFE, U+FFFF
    rb"|[\xf0-\xf4][\x8f\x9f\xaf\xbf]\xbf[\xbe\xbf]"  # the last two of planes 1 to 16
)


def fit_for_pages(data: bytes) -> bool:
    """Whether UTF-8 `data` holds none of `NOT_IN_PAGES`, checked mostly at the speed of a
    copy: the C0 controls are bytes of their own in UTF-8, the others and the noncharacters
    short runs of bytes that one search finds, and a lone surrogate is not valid UTF-8 at
    all. Nearly every text passes."""
    return (
        len(data.translate(None, _CONTROL_BYTES)) == len(data)
        and not _C1_CONTROL.search(data)
        and (  # every noncharacter's bytes hold one of these three runs, which text hardly has
            (b"\xef\xb7" not in data and b"\xbf\xbe" not in data and b"\xbf\xbf" not in data)
            or not _NONCHARACTER.search(data)
        )
    )


_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z][\w-]*)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a manuscript, with its number in the file."""

    number: int
    text: str


@dataclass(frozen=True, slots=True)
class Source:
    """One manuscript as text. `lines` excludes the front matter but keeps true line numbers."""

    path: Path
    lines: tuple[Line, ...]
    front_matter: tuple[tuple[str, str, int], ...]  # (key, value, the line it is on)

    @property
    def name(self) -> str:
        return self.path.name

    def meta(self, key: str) -> str | None:
        return self._meta(key)[0]

    def meta_line(self, key: str) -> int | None:
        """The line `key` is set on in the front matter, if it is."""
        return self._meta(key)[1]

    def _meta(self, key: str) -> tuple[str | None, int | None]:
        """The value and line of the last `key` in the front matter (a later one wins)."""
        found: tuple[str | None, int | None] = (None, None)
        for name, value, line in self.front_matter:
            if name == key:
                found = (value, line)
        return found


DIGITS = re.compile(r"(\d+)")


def is_manuscript(path: Path) -> bool:
    """Manuscripts are visible .txt/.md files; editor backups and temp files are not."""
    return _is_manuscript_name(path.name)


@lru_cache(maxsize=1 << 16)  # asked of each file in the folder, build after build (`serve`)
def _is_manuscript_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in MANUSCRIPT_SUFFIXES and not is_editors_name(name)


def _in_folder(path: Path, folder: Path) -> bool:
    """Whether `path` is inside `folder` (a resolved path) once `..` and symlinks are followed.

    A file named straight in the folder that is no symlink is inside it: one `lstat`, where
    resolving the path costs one for every folder above it, for each of a thousand chapters.
    """
    if path.parent == folder and path.name != ".." and not path.is_symlink():
        return True
    return path.resolve().is_relative_to(folder)


def list_manuscripts(source_dir: Path) -> list[Path]:
    return _scan_folder(source_dir, frozenset())[0]


def _scan_folder(source_dir: Path, listed: frozenset[str]) -> tuple[list[Path], list[Diagnostic]]:
    """The manuscripts in `source_dir`, files or links to files, and a warning for each thing
    there that looks like manuscripts but is not read: a folder or a broken link with a
    manuscript's name, a folder holding manuscripts the config does not list by their
    `listed` paths (only the source folder itself is read for the rest), and a word
    processor's document."""
    files: list[str] = []
    unread: list[Diagnostic] = []
    with os.scandir(source_dir) as entries:  # each entry knows its kind: no stat per file
        for entry in entries:
            if _is_manuscript_name(entry.name):
                if _is_file(entry):
                    files.append(entry.path)
                    continue
                why, hint = "it is not a file, or a link to one", "make it a file, or rename it"
            elif _holds_unlisted_manuscripts(entry, listed):
                why = "manuscripts in a folder of their own"
                hint = (
                    f"move them straight into {source_dir.name}/, or list them in the config,"
                    " to publish them"
                )
            elif os.path.splitext(entry.name)[1].lower() in DOCUMENT_SUFFIXES:
                why = "a word processor's document, not plain text"
                hint = "save it as plain text (.txt, UTF-8) to publish it"
            else:
                continue
            unread.append(warning("W016", Path(entry.path), None, f"not read: {why}", hint))
    unread.sort(key=lambda d: d.path)
    return [_as_path(path) for path in sorted(files, key=reading_order)], unread


@lru_cache(maxsize=1 << 16)
def _as_path(path: str) -> Path:
    """The same Path object for the same manuscript from one build to the next (`serve`'s):
    a thousand new ones cost more than listing the folder, and each would hash afresh as a
    memo's slot."""
    return Path(path)


@lru_cache(maxsize=1 << 16)  # the same names, build after build (`serve`)
def reading_order(name: str) -> tuple[tuple[str | int, ...], str]:
    """A sort key that puts "2_x.txt" before "10_x.txt", as a writer numbering files means,
    and ignores case; the name itself breaks a tie ("01" and "1")."""
    parts: list[str | int] = list(DIGITS.split(name.casefold()))  # numbers at odd places
    parts[1::2] = map(int, parts[1::2])  # so that text compares with text, numbers as numbers
    return tuple(parts), name


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:  # a link that leads round in a loop
        return False


def _holds_unlisted_manuscripts(entry: os.DirEntry[str], listed: frozenset[str]) -> bool:
    if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
        return False
    try:
        return any(
            _is_manuscript_name(name) and f"{entry.name}/{name}" not in listed
            for name in os.listdir(entry.path)
        )
    except OSError:  # unreadable: nothing to say about what it holds
        return False


def _split_lines(text: str) -> list[str]:
    """The lines of `text`, whichever line endings it uses (CRLF, CR or LF): three passes in
    C, several times faster than one regex split on all three."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# Byte-order marks, the longer first: UTF-32's little-endian mark begins with UTF-16's.
UNICODE_BOMS = {
    b"\xff\xfe\x00\x00": "utf-32-le",
    b"\x00\x00\xfe\xff": "utf-32-be",
    b"\xff\xfe": "utf-16-le",
    b"\xfe\xff": "utf-16-be",
}


def decode(path: Path, data: bytes) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 with or without a BOM, or UTF-16 with one (what Windows' Notepad once called
    Unicode); anything else is an error naming the line of the bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif mark := next((m for m in UNICODE_BOMS if data.startswith(m)), None):
        codec = UNICODE_BOMS[mark]
        try:
            return composed(data[len(mark) :].decode(codec)), []
        except UnicodeDecodeError:
            problem = f"not valid {codec[:6].upper()}"
            return None, [error("E010", path, None, problem, "save the file as UTF-8")]
    if _looks_like_utf16(data[:1000]):  # it would pass for UTF-8 full of controls
        return None, [
            error(
                "E010",
                path,
                None,
                "UTF-16 without a byte-order mark",
                "save the file as UTF-8",
            )
        ]
    try:
        text = composed(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = len(_split_lines(data[: exc.start].decode("utf-8", "replace")))
        return None, [
            error(
                "E010",
                path,
                line,
                f"not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                "save the file as UTF-8",
            )
        ]
    return text, []


def _looks_like_utf16(head: bytes) -> bool:
    """Most letters of Latin text in UTF-16 are a zero byte and an ASCII one: zeros at every
    other place, odd or even, and hardly any at the others (unlike a file padded with zeros)."""
    odd, even = head[1::2].count(0), head[0::2].count(0)
    pairs = len(head) // 2
    return pairs >= 8 and max(odd, even) * 2 > pairs and min(odd, even) * 10 < pairs


_PARAGRAPH_BREAKS = "\x0c\u2029"  # form feed (a page break), paragraph separator
_SPACES = "\x0b\x1c\x1d\x1e\x85\u2028"
"""Line breaks and separators read as a space: a word processor's line break inside a
paragraph (U+000B, U+2028), the separators of data files, and U+0085, which in a manuscript
is far more often a Windows ellipsis mangled on its way to UTF-8 than a line end."""
_AS_SPACES = str.maketrans(dict.fromkeys(_SPACES, " "))
_ODD = re.compile(f"{NOT_IN_PAGES.pattern[:-1]}\u2028\u2029]")  # NOT_IN_PAGES, U+2028, U+2029


def _lines(path: Path, text: str, data: bytes) -> tuple[list[Line], list[Diagnostic]]:
    """The lines of `text`, numbered as an editor numbers them. A page break or a paragraph
    separator inside one ends a paragraph there, as a line end does; a line break or a
    separator meant for machines is read as a space, with a warning (a paragraph here is one
    line); other control characters (which no page or e-reader shows, and which make XML
    invalid) are left out, with a warning. Either way no words are joined, or dropped unseen."""
    split = _split_lines(text)
    # The bytes are checked fastest, but only UTF-8's say what the text holds.
    clean = (
        not NOT_IN_PAGES.search(text)
        if data.startswith(tuple(UNICODE_BOMS))
        else fit_for_pages(data)
    )
    if clean and "\u2028" not in text and "\u2029" not in text:
        return [Line(n, t) for n, t in enumerate(split, start=1)], []
    lines: list[Line] = []
    found: list[Diagnostic] = []
    for number, line in enumerate(split, start=1):
        if not _ODD.search(line):  # nearly every line, even in a file with one odd character
            lines.append(Line(number, line))
            continue
        spaces = sorted({c for c in line if c in _SPACES})
        left_out = sorted(set(NOT_IN_PAGES.findall(line)) - set(_PARAGRAPH_BREAKS + _SPACES))
        if spaces:
            hint = "write a space there, or end the line for a new paragraph"
            found.append(_told(path, number, spaces, "read as a space", hint))
        if left_out:
            hint = f"delete {'them' if len(left_out) > 1 else 'it'} from the manuscript"
            found.append(_told(path, number, left_out, "left out", hint))
        line = line.translate(_AS_SPACES)
        for piece in re.split(f"[{_PARAGRAPH_BREAKS}]", line):
            lines.append(Line(number, NOT_IN_PAGES.sub("", piece)))
    return lines, found


def _told(path: Path, line: int, characters: list[str], what: str, hint: str) -> Diagnostic:
    """One warning for the invisible `characters` of one line, however many times each is in
    it: a line of five thousand NUL bytes is one problem."""
    named = ", ".join(f"U+{ord(c):04X}" for c in characters)
    many = len(characters) > 1
    return warning("W013", path, line, f"invisible character{'s' * many} {named} {what}", hint)


_ESCAPED = re.compile(r'\\(["\\/]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})')
"""The escapes of YAML's double-quoted values that a title or a name may hold."""


def _unquote(value: str) -> str:
    """A value as YAML reads its quoted forms, as other tools write them: `'Sam O''Hara'` and
    `"The \\"Long\\" Night"`; a lone quote ('Tis) is part of the value."""
    if len(value) < 2 or value[0] != value[-1] or value[0] not in "\"'":
        return value
    if value[0] == "'":
        return value[1:-1].replace("''", "'")
    return _ESCAPED.sub(_unescaped, value[1:-1])


def _unescaped(escape: re.Match[str]) -> str:
    """The character an escape stands for; a control or half a surrogate pair, which no page
    may hold, stays as written."""
    if len(escape[1]) == 1:
        return escape[1]
    character = chr(int(escape[1][1:], 16))
    return character if character.isprintable() else escape[0]


def split_front_matter(
    path: Path, lines: list[Line]
) -> tuple[list[Line], tuple[tuple[str, str, int], ...], list[Diagnostic]]:
    """Front matter is `---` on the first line that is not blank, then `key: value` lines, then
    `---`; a value may go on over indented or `- ` lines, as in the front matter other tools
    write, and is read as YAML folds it, into one line (see `_more`). Tools write their keys
    in lower case; a capitalised word that is not one of sitegen's keys (`title`, `author`,
    `slug`) is a speaker, and ends the block as text: a scene break and dialogue (`Kai: Go.`,
    or `Author: I did.`, which is not the story's author), never metadata, so nothing is
    taken out of a story on a guess. The keys sitegen does not read (Jekyll's `layout`,
    `date`, `tags`) are left out, with a warning that names them. A block with one of
    sitegen's keys but no closing `---` stays text, with a warning.
    """
    start = next((index for index, line in enumerate(lines) if line.text.strip()), len(lines))
    if start == len(lines) or lines[start].text.strip() != "---":
        return lines, (), []
    opening = lines[start].number
    pairs: list[tuple[str, str, int]] = []  # as written, over however many lines
    unused: list[tuple[str, int]] = []  # keys sitegen does not read, and their lines
    stop: Line | None = None  # the line that ended the block, if not a closing `---`
    ours = False  # whether the last key is one of sitegen's
    form = "plain"  # how its value goes on: see `_more`
    for index, line in enumerate(lines[start + 1 :], start=start + 1):
        text = line.text
        if text.strip() == "---":
            if not pairs and not unused:
                break
            read = [(key, _unquote(value).strip(), number) for key, value, number in pairs]
            found = _check_slug(path, read)
            if unused:
                found.append(_unused_keys(path, unused))
            return lines[index + 1 :], tuple(read), found
        if not text.strip():
            continue
        if (pairs or unused) and (text[:1].isspace() or text.startswith("- ")):
            if ours:  # more of the value above
                key, value, number = pairs[-1]
                value, form = _more(value, form, text.strip())
                pairs[-1] = (key, value, number)
            continue
        match = _FRONT_MATTER_LINE.match(text)
        key = match.group(1).lower() if match else ""
        if not match or (key not in FRONT_MATTER_KEYS and match.group(1)[0].isupper()):
            stop = line  # not a key, or a speaker: "Kai: Who wrote this?"
            break
        ours = key in FRONT_MATTER_KEYS
        if ours:
            value = match.group(2).strip()
            form = "block" if _BLOCK_SCALAR.fullmatch(value) else "plain" if value else "open"
            pairs.append((key, "" if form == "block" else value, line.number))
        else:
            unused.append((match.group(1), line.number))
    if not pairs:
        return lines, (), []
    if stop is None:
        why = "front matter is never closed, so it is published as text"
        where, hint = opening, "add a line `---` after its last key"
    else:
        why = "front matter has no closing `---` before this line, so it is published as text"
        where, hint = stop.number, "add a line `---` above it, or write it as key: value"
    return lines, (), [warning("W018", path, where, why, hint)]


_BLOCK_SCALAR = re.compile(r"[|>](?:[-+]?[1-9]?|[1-9][-+])(?:\s+#.*)?")
"""YAML's mark for a value written on the lines below its key: `title: >`, `|-`, `>2`."""
_MAPPING_LINE = re.compile(r"([A-Za-z][\w-]*):(?:\s+(.*))?")


def _more(value: str, form: str, line: str) -> tuple[str, str]:
    """A front matter `value` with one more `line` of it, and how it goes on after that.

    YAML folds a value written over several lines into one line, and a title or a name is
    one line even when written as a literal block (`|`). A key with nothing after it may be
    a list (`- Jane Doe`, or Pandoc's `- name: Jane Doe`), whose items are joined by commas
    and whose items' other keys are left out. A comment is not part of a value."""
    if form != "block" and line.startswith("#"):
        return value, form
    if form in ("open", "list") and line[:1] == "-" and line[1:2] in ("", " "):
        item = line[1:].strip()
        if entry := _MAPPING_LINE.fullmatch(item):  # "- name: Jane Doe"
            item = (entry.group(2) or "") if entry.group(1).lower() == "name" else ""
        return (f"{value}, {item}" if value and item else value or item), "list"
    if form == "list" and _MAPPING_LINE.fullmatch(line):  # an item's other key: affiliation
        return value, form
    return (f"{value} {line}" if value else line), "plain" if form == "open" else form


def _unused_keys(path: Path, keys: list[tuple[str, int]]) -> Diagnostic:
    """One warning for every key sitegen does not read, at the first of them."""
    named = ", ".join(f"`{key}`" for key, _ in keys)
    return warning(
        "W015",
        path,
        keys[0][1],
        f"front matter {named} left out: sitegen reads only title, author and slug",
        "delete the key, or ignore this if another tool reads it",
    )


def _check_slug(path: Path, pairs: list[tuple[str, str, int]]) -> list[Diagnostic]:
    slug, line = next(((v, n) for key, v, n in reversed(pairs) if key == "slug"), (None, None))
    if slug is None or not (fault := slug_fault(slug)):
        return []
    return [
        error("E017", path, line, f"slug `{slug}` {fault}", "write it like slug: the-long-night")
    ]


def read_source(path: Path, data: bytes) -> tuple[Source | None, list[Diagnostic]]:
    text, found = decode(path, data)
    if text is None:
        return None, found
    lines, told = _lines(path, text, data)
    body, front_matter, meta_found = split_front_matter(path, lines)
    return Source(path, tuple(body), front_matter), [*found, *told, *meta_found]


class Read(NamedTuple):
    """A manuscript file as read: its Source (None if it could not be decoded), the problems
    found on the way, and when the file was last modified (whole seconds since the epoch)."""

    source: Source | None
    found: tuple[Diagnostic, ...]
    modified: int


def read_file(path: Path) -> tuple[bytes, os.stat_result]:
    """A file's bytes, and its status as it was opened."""
    with open(path, "rb") as file:
        return file.read(), os.fstat(file.fileno())


def read_manuscript(path: Path) -> Read:
    data, status = read_file(path)
    source, found = read_source(path, data)
    return Read(source, tuple(found), int(status.st_mtime))


def _near_miss(folder: Path, root: Path) -> str:
    """What to do when `folder` is missing but a folder beside it has its name in other
    capitals (`Seeds/` for `seeds/`), which a case-sensitive file system tells apart."""
    try:
        beside = sorted(entry.name for entry in os.scandir(folder.parent) if entry.is_dir())
    except OSError:
        return ""
    same = next((name for name in beside if name.lower() == folder.name.lower()), None)
    if same is None:
        return ""
    named = os.path.relpath(folder.parent / same, root)
    return (
        f'there is {same}/: rename it to {folder.name}/, or set source = "{named}" in {CONFIG_NAME}'
    )


def manuscript_order(
    config: Config,
) -> tuple[list[tuple[Path, ChapterEntry | None]], list[Diagnostic]]:
    """Every manuscript file in reading order, with its config entry: those the config lists
    first, then the rest by name.

    A listed file that is missing is an error; an unlisted one comes after the listed ones,
    so that a new manuscript shows up rather than vanishing silently (the build warns of it
    once it makes a chapter, see `gather.gather`).
    """
    if not config.source_dir.is_dir():
        if config.path is None:  # no config here either: most likely, not the project's folder
            problem = error(
                "E012",
                config.source_dir,
                None,
                f"no source folder, and no {CONFIG_NAME} in {config.root}",
                f"run sitegen in your anthology's folder (the one with {CONFIG_NAME}), or "
                "start one with sitegen new",
            )
        else:
            problem = error(
                "E012",
                config.source_dir,
                None,
                "source folder not found",
                _near_miss(config.source_dir, config.root)
                or "create it, or point --source or `source` at your manuscripts",
            )
        return [], [problem]
    listed_paths = frozenset(  # as "folder/name.txt", to compare with what a folder holds
        _as_listed(entry.file) for entry in config.chapters
    )
    files, found = _scan_folder(config.source_dir, listed_paths)
    on_disk = {p.name: p for p in files}
    source_dir = str(config.source_dir)
    ordered: list[tuple[Path, ChapterEntry | None]] = []
    listed: set[str] = set()
    listed_files: set[str] = set()  # each as one path however it is written: ./a.txt, ../x
    for entry in config.chapters:
        name = _as_listed(entry.file)
        path = on_disk.get(name) or config.source_dir / name
        file = _normal_join(source_dir, name)
        if file in listed_files:
            found.append(
                error(
                    "E013",
                    config.path or config.root,
                    entry.line,
                    f"`{entry.file}` is listed twice",
                    "list each manuscript once",
                )
            )
        elif name in on_disk:  # a manuscript in the folder, as the folder was read
            ordered.append((path, entry))
        elif not _in_folder(path, config.source_dir) or not is_manuscript(path):
            found.append(
                error(
                    "E011",
                    config.path or config.root,
                    entry.line,
                    f"`{entry.file}` is not a manuscript in {config.source_dir.name}/",
                    "name a .txt or .md file inside the source folder",
                )
            )
        elif not path.is_file():
            found.append(
                error(
                    "E011",
                    config.path or config.root,
                    entry.line,
                    f"manuscript `{entry.file}` not found in {config.source_dir.name}/",
                    "fix the file name or remove the entry",
                )
            )
        else:
            ordered.append((path, entry))
        listed.add(name)
        listed_files.add(file)
    ordered += [(path, None) for name, path in on_disk.items() if name not in listed]
    return ordered, found


@lru_cache(maxsize=1 << 16)  # the same entries, build after build (`serve`)
def _as_listed(file: str) -> str:
    """A config entry's `file` as a path in the source folder: "part-one/a.txt"."""
    return os.path.normpath(file).replace(os.sep, "/")


@lru_cache(maxsize=1 << 16)
def _normal_join(folder: str, name: str) -> str:
    return os.path.normpath(os.path.join(folder, name))


def build_inputs(config: Config, manuscripts: Iterable[Path]) -> list[Path]:
    """The writer's files a build reads: the config, the cover, the `manuscripts` as the
    reader finds them (see `manuscript_order`), and the project's own templates and theme
    files. (sitegen's own come with its version, and are none of the writer's.)"""
    found = [path for path in (config.path, config.cover) if path is not None]
    found += manuscripts
    for folder, name in ((config.templates_dir, "templates"), (config.theme_dir, "theme")):
        if folder == config.root / name:  # the project's own, over sitegen's
            found += (
                path
                for path in folder.rglob("*")
                if path.is_file() and is_writers(path.relative_to(folder))
            )
    return found


def inputs_record(config: Config, inputs: Iterable[Path]) -> tuple[str, ...]:
    """What a build records of its `inputs` (see `build_inputs`) beside the site, for
    `deploy` to tell a site built from other files than the project holds now: a file
    changed, removed or added since, even one copied in with an old date. The source folder
    comes first (a build may be given another with --source), then each file, as a JSON
    list of its path from the project's folder (a file name may hold a line break) and its
    stamp (see `stamps`). The config, read before this record is taken, is recorded as it
    was read."""

    root = os.path.join(config.root, "")

    def line(path: Path) -> str:
        recorded = config.read_as if path == config.path and config.read_as else None
        return _json_array((_seen_from(root, path), *(recorded or file_stamp(path))))

    return (json.dumps(from_project(config, config.source_dir)), *sorted(map(line, inputs)))


def _json_array(values: Iterable[str | int | None]) -> str:
    """What `json.dumps` writes for a list of `values`, in a third of the time: a record
    has a line for each of a thousand manuscripts."""
    return "[" + ", ".join(map(_json_value, values)) + "]"


def _json_value(value: str | int | None) -> str:
    if isinstance(value, str):
        return encode_basestring_ascii(value)
    return "null" if value is None else str(value)


def from_project(config: Config, path: Path) -> str:
    """`path` as seen from the project's folder, as the build's record writes it."""
    return _seen_from(os.path.join(config.root, ""), path)


def _seen_from(root: str, path: Path) -> str:
    """`path` as seen from the folder `root` (ending in a separator)."""
    text = str(path)  # most are inside the project: cheaper than `os.path.relpath`
    return text[len(root) :] if text.startswith(root) else os.path.relpath(text, root)
