"""URL slugs, shared by chapters, characters and the EPUB's file name."""

from __future__ import annotations

import unicodedata


def slugify(text: str) -> str:
    """ASCII, lower case, hyphens: "Jin-hee's Café" -> "jin-hees-cafe"."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = folded.lower().replace("'", "").replace("\u2019", "")
    return "-".join("".join(c if c.isalnum() else " " for c in cleaned).split())
