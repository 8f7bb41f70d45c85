"""The book's cover: the configured image, or a typographic one drawn at build time.

The generated cover is a PNG, not an SVG: library grids (Apple Books, Kobo, Calibre, Thorium)
all show a PNG thumbnail, several show an SVG cover as a blank tile, and the website can reuse
a PNG as its Open Graph image. It is set in Literata, the site's own typeface, read from the
theme's fonts folder, so nothing is downloaded and the cover matches the pages.

A theme of the project's own takes the fonts it has over sitegen's, file by file, like the
site (see `config.overlaid_files`): one without Literata still gets a cover, and an EPUB, in it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config, overlaid_files
from ..diskcache import remembered
from ..errors import Diagnostic, warning
from ..model import Meta

if TYPE_CHECKING:  # Pillow is imported where a cover is drawn: most builds reuse a cached one
    from PIL import ImageDraw, ImageFont

    Faces = tuple[ImageFont.FreeTypeFont, ...]

SIZE = (1600, 2560)  # the 1:1.6 portrait that e-book stores and readers expect
MARGIN = 190
INK = (31, 29, 26)  # the site's ink, as the cover's ground
PAPER = (251, 248, 241)  # the site's paper, for the title
ACCENT = (240, 162, 122)  # the site's dark-theme accent, for rules and the ornament
MUTED = (205, 196, 181)

# Subsets of Literata as the theme ships them; the first that has a glyph draws it.
ROMAN_FONTS = ("literata-latin-wght-normal.woff2", "literata-latin-ext-wght-normal.woff2")
ITALIC_FONTS = ("literata-latin-wght-italic.woff2", "literata-latin-ext-wght-italic.woff2")
LITERATA = (*ROMAN_FONTS, *ITALIC_FONTS)


Fonts = Mapping[str, Path]  # Literata's files, by name


def literata(config: Config) -> Fonts:
    """Where the theme's Literata files are: the project's own, or else sitegen's."""
    theme = overlaid_files(config.theme_dir, "theme")
    return {name: theme[f"fonts/{name}"] for name in LITERATA}


@dataclass(frozen=True)
class CoverImage:
    """The book's cover, which is also the picture a shared link shows."""

    name: str  # file name inside the book, e.g. "cover.png"
    media_type: str
    data: bytes
    generated: bool  # True when drawn from the title, False when the config names an image


def cover_image(meta: Meta, config: Config) -> CoverImage:
    """The configured cover if there is one, else a typographic cover of title and author."""
    if config.cover is not None:
        data = config.cover.read_bytes()
        is_png = data.startswith(b"\x89PNG")
        return CoverImage(
            "cover.png" if is_png else "cover.jpg",
            "image/png" if is_png else "image/jpeg",
            data,
            generated=False,
        )
    fonts = literata(config)
    data = remembered(
        "covers", _key(meta, fonts), lambda: typographic_cover(meta.title, meta.credit, fonts)
    )
    return CoverImage("cover.png", "image/png", data, generated=True)


def _key(meta: Meta, fonts: Fonts) -> bytes:
    """What a generated cover depends on: its words and the exact fonts that draw them."""
    return "\0".join((meta.title, meta.credit, *(_digest(fonts[n]) for n in LITERATA))).encode()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cover_warnings(meta: Meta, config: Config) -> list[Diagnostic]:
    """W050 when the generated cover would show boxes for characters its typeface lacks."""
    if config.cover is not None:
        return []
    fonts = literata(config)
    lacking = remembered(
        "cover-glyphs", _key(meta, fonts), lambda: "".join(_lacking(meta, fonts)).encode()
    ).decode()
    if not lacking:
        return []
    return [
        warning(
            "W050",
            config.path or config.root,
            None,
            f"the generated cover cannot draw {' '.join(lacking)}: its typeface, Literata, "
            "covers Latin scripts only",
            'make a cover image and set `cover = "cover.png"` in the config',
        )
    ]


def typographic_cover(title: str, author: str, fonts: Fonts) -> bytes:
    """Title large and centred, an ornament, the author below."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", SIZE, INK)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    for inset, rule in ((72, 4), (90, 1)):
        draw.rectangle((inset, inset, width - inset, height - inset), outline=ACCENT, width=rule)

    measure = width - 2 * MARGIN
    size, lines = _fit(title, fonts, measure)
    title_faces = _faces(fonts, ROMAN_FONTS, size, 620)
    leading = round(size * 1.12)
    block = leading * (len(lines) - 1) + size
    top = round(height * 0.40) - block // 2
    for number, line in enumerate(lines):
        _draw_centred(draw, line, title_faces, top + size + number * leading, PAPER)

    _draw_ornament(draw, top + block + 190)

    if author:
        author_faces = _faces(fonts, ITALIC_FONTS, 76, 400)
        author_lines = _wrap(author, author_faces, measure)
        base = height - 330 - 96 * (len(author_lines) - 1)
        for number, line in enumerate(author_lines):
            _draw_centred(draw, line, author_faces, base + number * 96, MUTED)

    # Four colours and their anti-aliased edges: a 32-colour palette keeps every edge smooth
    # and makes the file (and its compression) a third of the full-colour one.
    palette = image.quantize(32, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = BytesIO()
    palette.save(out, "PNG")
    return out.getvalue()


def _lacking(meta: Meta, fonts: Fonts) -> list[str]:
    roman = _faces(fonts, ROMAN_FONTS, 40, 400)
    italic = _faces(fonts, ITALIC_FONTS, 40, 400)
    return sorted(
        {c for c in meta.title if _face_for(roman, c) is None}
        | {c for c in meta.credit if _face_for(italic, c) is None}
    )


def _faces(fonts: Fonts, names: tuple[str, ...], size: int, weight: int) -> Faces:
    return tuple(_face(str(fonts[name]), size, weight) for name in names)


@lru_cache(maxsize=64)
def _face(path: str, size: int, weight: int) -> ImageFont.FreeTypeFont:
    """A font at one size and weight; loading a WOFF2 decompresses it, so each is loaded once."""
    from PIL import ImageFont

    face = ImageFont.truetype(path, size)
    face.set_variation_by_axes([weight])
    return face


def _face_for(faces: Faces, char: str) -> ImageFont.FreeTypeFont | None:
    """The first of `faces` with a glyph for `char`."""
    index = _covering(faces[0].path, tuple(face.path for face in faces[1:]), char)
    return None if index is None else faces[index]


@lru_cache(maxsize=4096)
def _covering(first: str, others: tuple[str, ...], char: str) -> int | None:
    """Which font file draws `char`: a glyph the font lacks comes out as its .notdef box."""
    if char.isspace():
        return 0
    for index, path in enumerate((first, *others)):
        face = _face(path, 32, 400)
        if _rendered(face, char) != _rendered(face, "\U0010fffd"):
            return index
    return None


def _rendered(face: ImageFont.FreeTypeFont, text: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("L", (96, 96))
    ImageDraw.Draw(image).text((16, 16), text, font=face, fill=255)
    return image.tobytes()


def _runs(text: str, faces: Faces) -> list[tuple[str, ImageFont.FreeTypeFont]]:
    """Split `text` into runs that one face can draw, so Latin Extended letters find a glyph."""
    runs: list[tuple[str, ImageFont.FreeTypeFont]] = []
    for char in text:
        face = _face_for(faces, char) or faces[0]
        if runs and runs[-1][1] is face:
            runs[-1] = (runs[-1][0] + char, face)
        else:
            runs.append((char, face))
    return runs


def _length(text: str, faces: Faces) -> float:
    return sum(face.getlength(run) for run, face in _runs(text, faces))


def _wrap(text: str, faces: Faces, measure: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and _length(f"{lines[-1]} {word}", faces) <= measure:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _fit(title: str, fonts: Fonts, measure: int) -> tuple[int, list[str]]:
    """The largest size, from 220 px down, at which the title fits in five lines."""
    size = 220
    while True:
        faces = _faces(fonts, ROMAN_FONTS, size, 620)
        lines = _wrap(title, faces, measure)
        fits = len(lines) <= 5 and all(_length(line, faces) <= measure for line in lines)
        if fits or size <= 72:
            return size, lines
        size = round(size * 0.92)


def _draw_ornament(draw: ImageDraw.ImageDraw, middle: int) -> None:
    """Three diamonds in a triangle, the asterism the site puts between scenes."""
    centre = SIZE[0] // 2
    for x, y in ((centre, middle - 26), (centre - 34, middle + 26), (centre + 34, middle + 26)):
        draw.polygon(((x, y - 20), (x + 14, y), (x, y + 20), (x - 14, y)), fill=ACCENT)


def _draw_centred(
    draw: ImageDraw.ImageDraw, text: str, faces: Faces, baseline: int, fill: tuple[int, ...]
) -> None:
    x = (SIZE[0] - _length(text, faces)) / 2
    for run, face in _runs(text, faces):
        draw.text((x, baseline), run, font=face, fill=fill, anchor="ls")
        x += face.getlength(run)
