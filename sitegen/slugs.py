"""URL slugs, shared by chapters, characters and the EPUB's file name; and the spelling in
plain Latin letters that slugs and the character index sort and file names by."""

from __future__ import annotations

import unicodedata

MAX_SLUG = 80  # a page's folder name: file systems allow 255 bytes, and a URL should be read
_MARK = 6  # hexadecimal digits that tell apart long slugs cut alike


# Latin letters that Unicode does not split into a base letter and a mark, as "É" is.
_OWN_LETTERS = str.maketrans(
    {
        "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ø": "O", "ø": "o", "Ł": "L", "ł": "l",
        "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "Th", "þ": "th", "ß": "ss", "Ħ": "H",
        "ħ": "h", "\u0131": "i", "Ŋ": "N", "ŋ": "n",
    }
)  # fmt: skip


def ascii_folded(text: str) -> str:
    """`text` in plain Latin letters: "Łukasz Ørsted" -> "Lukasz Orsted", "Ægir" -> "AEgir".
    What has no Latin spelling (another script, a symbol) is left out."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_OWN_LETTERS))
    return decomposed.encode("ascii", "ignore").decode()


def collation_key(name: str) -> tuple[bool, str, str]:
    """Where a name sorts in an index: by its Latin letters, so that Élodie files beside
    Elodie and Ægir among the A's, not after Z; names alike in those, by the name itself;
    names in other scripts, which have none, after them all."""
    folded = ascii_folded(name).casefold()
    return not folded, folded, name.casefold()


def _folded_or_space(character: str) -> str:
    """A character in Latin letters; one with none (a dash, a symbol, a letter of another
    script) parts the words around it ("Before\u2014After") rather than joining them.
    A combining accent left over belongs to the letter before it, and just goes."""
    return ascii_folded(character) or ("" if unicodedata.combining(character) else " ")


def slugify(text: str) -> str:
    """ASCII, lower case, hyphens: "Jin-hee's Café" -> "jin-hees-cafe". A long one is cut at
    a hyphen and ends in a few digits of a digest of the whole, so that two long titles
    alike in their first words ("…, Part One", "…, Part Two") still get slugs of their own."""
    unquoted = unicodedata.normalize("NFC", text.replace("'", "").replace("\u2019", ""))
    cleaned = "".join(map(_folded_or_space, unquoted)).lower()
    slug = "-".join("".join(c if c.isalnum() else " " for c in cleaned).split())
    if len(slug) <= MAX_SLUG:
        return slug
    room = MAX_SLUG - _MARK - 1
    cut = slug[: room + 1]
    kept = cut.rsplit("-", 1)[0] if "-" in cut else slug[:room]
    import hashlib  # here, not above: loading it is a tenth of a small build's start

    return f"{kept}-{hashlib.sha256(slug.encode()).hexdigest()[:_MARK]}"
