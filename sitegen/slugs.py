"""URL slugs, shared by chapters, characters and the EPUB's file name."""

from __future__ import annotations

import unicodedata

MAX_SLUG = 80  # a page's folder name: file systems allow 255 bytes, and a URL should be read


def slugify(text: str) -> str:
    """ASCII, lower case, hyphens: "Jin-hee's Café" -> "jin-hees-cafe"; a long one is cut at
    a hyphen to at most MAX_SLUG characters."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = folded.lower().replace("'", "").replace("\u2019", "")
    slug = "-".join("".join(c if c.isalnum() else " " for c in cleaned).split())
    if len(slug) > MAX_SLUG:
        cut = slug[: MAX_SLUG + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:MAX_SLUG]
    return slug
