"""URL slugs, shared by chapters, characters and the EPUB's file name."""

from __future__ import annotations

import hashlib
import unicodedata

MAX_SLUG = 80  # a page's folder name: file systems allow 255 bytes, and a URL should be read
_MARK = 6  # hexadecimal digits that tell apart long slugs cut alike


def slugify(text: str) -> str:
    """ASCII, lower case, hyphens: "Jin-hee's Café" -> "jin-hees-cafe". A long one is cut at
    a hyphen and ends in a few digits of a digest of the whole, so that two long titles
    alike in their first words ("…, Part One", "…, Part Two") still get slugs of their own."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = folded.lower().replace("'", "").replace("\u2019", "")
    slug = "-".join("".join(c if c.isalnum() else " " for c in cleaned).split())
    if len(slug) <= MAX_SLUG:
        return slug
    room = MAX_SLUG - _MARK - 1
    cut = slug[: room + 1]
    kept = cut.rsplit("-", 1)[0] if "-" in cut else slug[:room]
    return f"{kept}-{hashlib.sha256(slug.encode()).hexdigest()[:_MARK]}"
