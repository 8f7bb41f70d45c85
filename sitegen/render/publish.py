"""The files a published site needs besides its pages: `.nojekyll`, `CNAME`, `robots.txt`,
`sitemap.xml` and the Atom feed `feed.xml`, as {output path: bytes}.

Sitemaps and Atom need absolute URLs (an Atom id must be an absolute IRI; a sitemap's `<loc>`
must be a full URL), and a site configured with a bare path such as `/` does not know its
host. Such a build writes no sitemap and no feed, and robots.txt names no sitemap; the pages
then carry no feed link either, so nothing points at a file that is not there. `sitegen
deploy` warns about it, since publishing is when it matters.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import escape

from ..model import Anthology
from .cover import CoverImage

FEED = "feed.xml"
SITEMAP = "sitemap.xml"


def render_publish(
    anthology: Anthology, site_paths: Iterable[str], cover: CoverImage | None = None
) -> dict[str, bytes]:
    """Everything GitHub Pages (or any host) needs next to the pages in `site_paths`; the
    book's `cover`, when there is one, goes at the site's root as its Open Graph image."""
    meta = anthology.meta
    files = {".nojekyll": b"", "robots.txt": robots(meta.site_url).encode("utf-8")}
    if cover is not None:
        files[cover.name] = cover.data
    if meta.cname:
        files["CNAME"] = (meta.cname.strip() + "\n").encode("utf-8")
    if meta.site_url:
        files[SITEMAP] = sitemap(meta.site_url, page_urls(site_paths)).encode("utf-8")
        files[FEED] = feed(anthology).encode("utf-8")
    return files


def page_urls(site_paths: Iterable[str]) -> list[str]:
    """Site-relative URLs of the pages people land on: "" for the home page, "chapters/x/"...

    The 404 page is left out: it has no address of its own.
    """
    urls = []
    for path in site_paths:
        if not path.endswith(".html") or path == "404.html":
            continue
        directory, _, name = path.rpartition("/")
        folder = directory + "/" if directory else ""
        urls.append(folder if name == "index.html" else path)
    return sorted(urls, key=lambda url: (url.count("/"), url))


def robots(site_url: str) -> str:
    lines = ["User-agent: *", "Allow: /"]
    if site_url:
        lines.append(f"Sitemap: {site_url}{SITEMAP}")
    return "\n".join(lines) + "\n"


def sitemap(site_url: str, urls: Iterable[str]) -> str:
    entries = "".join(f"<url><loc>{escape(site_url + url)}</loc></url>\n" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    )


def feed(anthology: Anthology) -> str:
    """An Atom feed with one entry per chapter, in reading order.

    Ids are the chapters' URLs, so they stay the same from build to build as long as the site
    does not move. Every date is `Meta.updated`, which is the same for identical inputs.
    """
    meta = anthology.meta
    site = meta.site_url
    author = meta.author or meta.editor or meta.title
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{escape(meta.language)}">',
        f"<title>{escape(meta.title)}</title>",
    ]
    if meta.description:
        lines.append(f"<subtitle>{escape(meta.description)}</subtitle>")
    lines += [
        f'<link rel="self" type="application/atom+xml" href="{escape(site + FEED)}"/>',
        f'<link rel="alternate" type="text/html" href="{escape(site)}"/>',
        f"<id>{escape(site)}</id>",
        f"<updated>{meta.updated}</updated>",
        f"<author><name>{escape(author)}</name></author>",
        "<generator>sitegen</generator>",
    ]
    for chapter in anthology.chapters:
        url = site + chapter.url
        lines += [
            "<entry>",
            f"<title>{escape(chapter.title)}</title>",
            f'<link rel="alternate" type="text/html" href="{escape(url)}"/>',
            f"<id>{escape(url)}</id>",
            f"<updated>{meta.updated}</updated>",
        ]
        if chapter.author:
            lines.append(f"<author><name>{escape(chapter.author)}</name></author>")
        if chapter.teaser:
            lines.append(f"<summary>{escape(chapter.teaser)}</summary>")
        lines.append("</entry>")
    lines.append("</feed>")
    return "\n".join(lines) + "\n"
