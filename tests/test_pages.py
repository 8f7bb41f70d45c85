"""Publishing on GitHub Pages: the site works under a project's sub-path and at a domain's root.

A small static server here behaves like Pages (no folder listings, a folder's index.html,
`404.html` with status 404 for anything missing, a redirect from `/folder` to `/folder/`) and
serves the built site under a path prefix. The crawler starts from the home page, robots.txt
and a deep missing URL, follows every reference in HTML, CSS, the sitemap and the feed, and
reports anything that does not load or that points outside the site.
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
import subprocess
import threading
import tomllib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import ROOT, copy_project, run_sitegen

from sitegen.manuscript import parse_inline
from sitegen.model import Paragraph, plain_text
from sitegen.render.prose import render_blocks

SUB_PATH_URL = "https://example.github.io/anthology/"
ROOT_URL = "https://stories.example.org/"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
CONFIG = tomllib.loads((ROOT / "anthology.toml").read_text("utf-8"))
CONTENT_TYPES = {
    ".css": "text/css",
    ".epub": "application/epub+zip",
    ".js": "text/javascript",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".xml": "application/xml",
}


# --- a static server that behaves like GitHub Pages -------------------------------------------


def pages_handler(site: Path, prefix: str) -> type[BaseHTTPRequestHandler]:
    class PagesHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.respond(body=True)

        def do_HEAD(self) -> None:
            self.respond(body=False)

        def respond(self, body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            target = self.resolve(path)
            if target is not None and target.is_dir():
                if not path.endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = target / "index.html"
            if target is not None and target.is_file():
                self.send(200, target, body)
            else:
                self.send(404, site / "404.html", body)

        def resolve(self, path: str) -> Path | None:
            if not path.startswith(prefix) and path + "/" != prefix:
                return None
            relative = PurePosixPath(path[len(prefix) :])
            if ".." in relative.parts:
                return None
            return site / relative

        def send(self, status: int, file: Path, body: bool) -> None:
            data = file.read_bytes() if file.is_file() else b"Not Found"
            kind = CONTENT_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0]
            self.send_response(status)
            self.send_header("Content-Type", kind or "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return PagesHandler


@contextmanager
def serve_site(site: Path, prefix: str = "/") -> Iterator[str]:
    """Serve `site` at http://127.0.0.1:PORT{prefix}; yields that URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), pages_handler(site, prefix))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- a crawler --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    source: str  # the URL of the file that holds the reference
    url: str  # as written there
    absolute_ok: bool  # a canonical, Open Graph, feed or sitemap URL may name the live site


@dataclass
class Crawl:
    served: str  # where the local server serves the site
    site_url: str  # the site's configured address, or "" when it has none
    fetched: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    live_urls: set[str] = field(default_factory=set)  # absolute URLs naming the live site

    @property
    def html_pages(self) -> list[str]:
        return sorted(
            url
            for url, (status, kind, _) in self.fetched.items()
            if status == 200 and kind.startswith("text/html")
        )

    def paths(self) -> set[str]:
        """Site-relative paths of everything fetched with status 200."""
        return {
            url.removeprefix(self.served)
            for url, (status, _, _) in self.fetched.items()
            if status == 200
        }


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as failure:
        return failure.code, failure.headers.get_content_type(), failure.read()


def references(url: str, kind: str, data: bytes) -> Iterator[Reference]:
    if kind == "text/html":
        soup = BeautifulSoup(data, "html.parser")
        for tag in soup.find_all(True):
            for attribute in ("href", "src", "poster", "action"):
                if tag.has_attr(attribute):
                    live_ok = tag.name == "link" and "canonical" in tag.get("rel", [])
                    yield Reference(url, tag[attribute], live_ok)
            if tag.has_attr("srcset"):
                for candidate in tag["srcset"].split(","):
                    yield Reference(url, candidate.split()[0], False)
            if tag.name == "meta" and (tag.get("property") or tag.get("name")) in {
                "og:url",
                "og:image",
                "twitter:image",
            }:
                yield Reference(url, tag["content"], True)
            if tag.has_attr("style"):
                yield from css_references(url, tag["style"])
        for style in soup.find_all("style"):
            yield from css_references(url, style.get_text())
    elif kind == "text/css":
        yield from css_references(url, data.decode("utf-8"))
    elif kind == "application/xml":
        root = ET.fromstring(data)
        for element in root.iter():
            if element.tag in (f"{SITEMAP}loc", f"{ATOM}id") and element.text:
                yield Reference(url, element.text.strip(), True)
            if element.tag == f"{ATOM}link":
                yield Reference(url, element.attrib["href"], True)
    elif kind == "text/plain" and url.endswith("robots.txt"):
        for line in data.decode("utf-8").splitlines():
            if line.lower().startswith("sitemap:"):
                yield Reference(url, line.split(":", 1)[1].strip(), True)


def css_references(url: str, css: str) -> Iterator[Reference]:
    for match in re.finditer(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)""", css):
        yield Reference(url, match.group(1) or match.group(2), False)


def crawl(served: str, site_url: str) -> Crawl:
    """Fetch everything reachable from the home page, robots.txt and a deep missing URL."""
    result = Crawl(served, site_url)
    missing = served + "no/such/story/anywhere/"
    queue = [served, served + "robots.txt", missing]
    anchors: list[tuple[Reference, str, str]] = []
    while queue:
        url = queue.pop()
        if url in result.fetched:
            continue
        status, kind, data = result.fetched[url] = fetch(url)
        if status != 200 and url != missing:
            continue
        for reference in references(url, kind, data):
            target, fragment = resolve(result, reference)
            if target is None:
                continue
            if fragment:
                anchors.append((reference, target, fragment))
            if target not in result.fetched:
                queue.append(target)
    for url, (status, _, _) in result.fetched.items():
        if status != 200 and url != missing:
            result.broken.append(f"{url}: {status}")
    for reference, target, fragment in anchors:
        status, kind, data = result.fetched[target]
        if status == 200 and kind == "text/html":
            page = BeautifulSoup(data, "html.parser")
            if page.find(id=fragment) is None and page.find("a", attrs={"name": fragment}) is None:
                result.broken.append(f"{reference.source}: no #{fragment} in {target}")
    return result


def resolve(result: Crawl, reference: Reference) -> tuple[str | None, str]:
    """The local URL a reference leads to (None when it leaves the site) and its fragment."""
    written = reference.url.strip()
    if written.startswith(("data:", "#")) or not written:
        return None if written.startswith("data:") else (reference.source, written[1:])
    if result.site_url and written.startswith(result.site_url):
        if not reference.absolute_ok:
            result.outside.append(f"{reference.source}: absolute link {written}")
            return None, ""
        result.live_urls.add(written)
        written = result.served + written.removeprefix(result.site_url)
    target, fragment = urldefrag(urljoin(reference.source, written))
    target = target.split("?", 1)[0]
    if not target.startswith(result.served):
        result.outside.append(f"{reference.source}: {reference.url} leaves the site")
        return None, ""
    return target, fragment


# --- building the seeds -----------------------------------------------------------------------


def build(root: Path, *args: str) -> Path:
    run_sitegen("build", *args, cwd=root, check=True)
    return root / "output"


@pytest.fixture(scope="module")
def sub_path_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(copy_project(tmp_path_factory.mktemp("pages")), "--base-url", SUB_PATH_URL)


@pytest.fixture(scope="module")
def sub_path_crawl(sub_path_site: Path) -> Iterator[Crawl]:
    with serve_site(sub_path_site, "/anthology/") as served:
        yield crawl(served, SUB_PATH_URL)


def assert_clean(result: Crawl, site: Path) -> None:
    assert result.broken == []
    assert result.outside == []
    chapters = {f"chapters/{p.parent.name}/" for p in (site / "chapters").glob("*/index.html")}
    assert chapters and chapters <= result.paths()
    assert {"", "robots.txt", "theme/favicon.svg", "theme/style.css"} <= result.paths()
    status, kind, body = result.fetched[result.served + "no/such/story/anywhere/"]
    assert (status, kind) == (404, "text/html")
    assert b"Page not found" in body


def test_sub_path_crawl_finds_every_page_and_nothing_broken_or_outside(
    sub_path_site: Path, sub_path_crawl: Crawl
) -> None:
    assert_clean(sub_path_crawl, sub_path_site)
    assert {"feed.xml", "sitemap.xml"} <= sub_path_crawl.paths()
    fonts = {p for p in sub_path_crawl.paths() if p.startswith("theme/fonts/")}
    assert fonts, "the fonts the stylesheet names were not reached"


def test_every_page_on_disk_is_reachable_from_the_home_page(
    sub_path_site: Path, sub_path_crawl: Crawl
) -> None:
    on_disk = {
        p.relative_to(sub_path_site).as_posix().removesuffix("index.html")
        for p in sub_path_site.rglob("*.html")
    } - {"404.html"}
    assert on_disk <= sub_path_crawl.paths()


def test_canonical_urls_name_the_live_site_and_each_exists(
    sub_path_site: Path, sub_path_crawl: Crawl
) -> None:
    for url in sub_path_crawl.html_pages:
        page = BeautifulSoup(sub_path_crawl.fetched[url][2], "html.parser")
        canonical = page.find("link", rel="canonical")
        assert canonical is not None, url
        assert canonical["href"] == SUB_PATH_URL + url.removeprefix(sub_path_crawl.served)
    deep_404 = sub_path_crawl.fetched[sub_path_crawl.served + "no/such/story/anywhere/"][2]
    assert BeautifulSoup(deep_404, "html.parser").find("link", rel="canonical") is None
    assert all(url.startswith(SUB_PATH_URL) for url in sub_path_crawl.live_urls)


def test_every_page_links_the_feed_and_carries_open_graph_and_twitter_metadata(
    sub_path_crawl: Crawl,
) -> None:
    served = sub_path_crawl.served
    for url in [*sub_path_crawl.html_pages, served + "no/such/story/anywhere/"]:
        page = BeautifulSoup(sub_path_crawl.fetched[url][2], "html.parser")
        feed = page.find("link", rel="alternate", type="application/atom+xml")
        assert feed is not None, url
        assert urljoin(url, feed["href"]) == served + "feed.xml"
        title = page.find("meta", property="og:title")["content"]
        assert title == page.title.get_text()
        assert page.find("meta", attrs={"name": "twitter:title"})["content"] == title
        assert page.find("meta", property="og:site_name")["content"]
        assert page.find("meta", attrs={"name": "twitter:card"})["content"]
        description = page.find("meta", attrs={"name": "description"})
        og_description = page.find("meta", property="og:description")
        assert description is not None and og_description is not None, url
        assert og_description["content"] == description["content"]
        canonical = page.find("link", rel="canonical")
        og_url = page.find("meta", property="og:url")
        assert (canonical and canonical["href"]) == (og_url and og_url["content"])
        image = page.find("meta", property="og:image")
        assert image is not None and image["content"] == SUB_PATH_URL + "cover.png", url
        assert page.find("meta", property="og:image:alt")["content"]


def test_the_open_graph_image_is_the_books_cover_served_with_the_site(
    sub_path_crawl: Crawl,
) -> None:
    status, kind, data = sub_path_crawl.fetched[sub_path_crawl.served + "cover.png"]
    assert (status, kind) == (200, "image/png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")


def test_chapters_are_articles_and_the_home_page_a_website(sub_path_crawl: Crawl) -> None:
    for url in sub_path_crawl.html_pages:
        kind = BeautifulSoup(sub_path_crawl.fetched[url][2], "html.parser").find(
            "meta", property="og:type"
        )["content"]
        assert kind == ("article" if "/chapters/" in url else "website"), url


def test_feed_is_atom_with_one_entry_per_chapter_under_the_base_url(
    sub_path_site: Path,
) -> None:
    feed = ET.fromstring((sub_path_site / "feed.xml").read_bytes())
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == SUB_PATH_URL
    assert feed.findtext(f"{ATOM}title") == "After the Lights Went Out"
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {"self": SUB_PATH_URL + "feed.xml", "alternate": SUB_PATH_URL}
    entries = feed.findall(f"{ATOM}entry")
    reading_order = [chapter["title"] for chapter in CONFIG["chapters"]]
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == reading_order
    for entry in entries:
        href = entry.find(f"{ATOM}link").get("href")
        assert href.startswith(SUB_PATH_URL + "chapters/")
        page = sub_path_site / href.removeprefix(SUB_PATH_URL) / "index.html"
        assert BeautifulSoup(page.read_bytes(), "html.parser").h1.get_text() == entry.findtext(
            f"{ATOM}title"
        )
    rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    assert rfc3339.match(feed.findtext(f"{ATOM}updated"))
    for entry in entries:
        assert entry.findtext(f"{ATOM}id") == entry.find(f"{ATOM}link").get("href")
        assert rfc3339.match(entry.findtext(f"{ATOM}updated"))
        assert entry.findtext(f"{ATOM}title")
        assert entry.findtext(f"{ATOM}summary")
    assert entries[2].findtext(f"{ATOM}summary") == "A week had passed since the city fell."


def test_sitemap_lists_every_page_and_robots_names_it(
    sub_path_site: Path, sub_path_crawl: Crawl
) -> None:
    sitemap = ET.fromstring((sub_path_site / "sitemap.xml").read_bytes())
    assert sitemap.tag == f"{SITEMAP}urlset"
    listed = [loc.text for loc in sitemap.iter(f"{SITEMAP}loc")]
    assert len(listed) == len(set(listed))
    assert set(listed) == {
        SUB_PATH_URL + url.removeprefix(sub_path_crawl.served) for url in sub_path_crawl.html_pages
    }
    assert (sub_path_site / "robots.txt").read_text("utf-8") == (
        f"User-agent: *\nAllow: /\nSitemap: {SUB_PATH_URL}sitemap.xml\n"
    )


def test_nojekyll_is_written_and_no_cname_without_a_custom_domain(sub_path_site: Path) -> None:
    assert (sub_path_site / ".nojekyll").read_bytes() == b""
    assert not (sub_path_site / "CNAME").exists()


def test_feed_date_is_the_same_for_the_same_inputs(tmp_path: Path) -> None:
    """SOURCE_DATE_EPOCH wins; otherwise the newest manuscript or config time dates the feed."""
    root = copy_project(tmp_path / "a")
    for path in [root / "anthology.toml", *(root / "seeds").iterdir()]:
        os.utime(path, (1_700_000_000, 1_700_000_000))
    os.utime(root / "seeds" / "002_ef6fb1f138db9e8e.txt", (1_710_000_000, 1_710_000_000))
    first = (build(root, "--base-url", SUB_PATH_URL) / "feed.xml").read_bytes()
    shutil.rmtree(root / "output")
    again = (build(root, "--base-url", SUB_PATH_URL) / "feed.xml").read_bytes()
    assert first == again
    assert ET.fromstring(first).findtext(f"{ATOM}updated") == "2024-03-09T16:00:00Z"
    pinned = subprocess.run(
        ["sitegen", "build", "--base-url", SUB_PATH_URL, "--out", str(tmp_path / "pinned")],
        cwd=root,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1000000000"},
        capture_output=True,
        check=True,
    )
    assert pinned.returncode == 0
    feed = ET.fromstring((tmp_path / "pinned" / "feed.xml").read_bytes())
    assert feed.findtext(f"{ATOM}updated") == "2001-09-09T01:46:40Z"


# --- at a custom domain's root ----------------------------------------------------------------


def test_root_crawl_with_a_custom_domain(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    config = root / "anthology.toml"
    config.write_text(
        config.read_text("utf-8").replace('base_url = "/"', 'cname = "stories.example.org"'),
        "utf-8",
    )
    site = build(root, "--base-url", ROOT_URL)
    with serve_site(site, "/") as served:
        result = crawl(served, ROOT_URL)
    assert_clean(result, site)
    assert (site / "CNAME").read_text("utf-8") == "stories.example.org\n"
    feed = ET.fromstring((site / "feed.xml").read_bytes())
    assert all(link.get("href").startswith(ROOT_URL) for link in feed.iter(f"{ATOM}link")), (
        "feed links must be absolute under the custom domain"
    )


def test_root_crawl_without_an_absolute_address_has_no_feed_or_sitemap(tmp_path: Path) -> None:
    """A bare path cannot make the absolute URLs that Atom and sitemaps need, so a build for
    `/` writes neither, and no page links a feed that is not there."""
    site = build(copy_project(tmp_path))
    with serve_site(site, "/") as served:
        result = crawl(served, "")
    assert_clean(result, site)
    assert not (site / "feed.xml").exists()
    assert not (site / "sitemap.xml").exists()
    assert (site / "robots.txt").read_text("utf-8") == "User-agent: *\nAllow: /\n"
    assert result.live_urls == set()


def test_crawl_catches_a_site_built_for_the_root_but_served_under_a_sub_path(
    tmp_path: Path,
) -> None:
    """The check above is only worth something if it fails on the classic mistake: the 404
    page of a site built for `/` links to /theme/..., which is outside /anthology/."""
    site = build(copy_project(tmp_path))
    with serve_site(site, "/anthology/") as served:
        result = crawl(served, "")
    assert any("/theme/style.css" in problem for problem in result.outside), result.outside


# --- the Pages workflow -----------------------------------------------------------------------


def test_workflow_passes_actionlint_with_shellcheck() -> None:
    assert shutil.which("shellcheck"), "shellcheck is missing: run scripts/test.sh"
    linted = subprocess.run(
        ["actionlint", "-verbose", str(WORKFLOW)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert 'Rule "shellcheck" was disabled' not in linted.stderr


def test_workflow_builds_and_deploys_with_the_official_pages_actions() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "push" in triggers
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    # One deployment at a time, in a group of the branch's own: a push to another branch
    # (whose run skips its jobs) cannot take the place of the default branch's waiting run.
    assert workflow["concurrency"] == {
        "group": "pages-${{ github.ref }}",
        "cancel-in-progress": False,
    }
    build_job, deploy_job = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert "default_branch" in build_job["if"]
    uses = [step.get("uses", "").split("@")[0] for step in build_job["steps"]]
    assert uses[:4] == [
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "",
    ]
    assert uses[-1] == "actions/upload-pages-artifact"
    assert build_job["steps"][-1]["with"]["path"] == "${{ runner.temp }}/site"
    assert deploy_job["needs"] == "build"
    assert deploy_job["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy_job["steps"]] == ["actions/deploy-pages"]
    assert workflow["env"]["SITEGEN_PACKAGE"] == "."


def test_workflow_build_step_builds_the_site_for_its_pages_address(tmp_path: Path) -> None:
    """Runs the workflow's own build commands (all but `pip install`, which would replace the
    sitegen under test) in a git checkout, with the address configure-pages gives, into the
    folder it uploads, whatever output folder the config names, and with the manuscripts at
    the top of the checkout."""
    workflow = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    step = next(s for s in workflow["jobs"]["build"]["steps"] if "run" in s)
    commands = [line for line in step["run"].splitlines() if "pip install" not in line]
    runner_temp = tmp_path / "runner-temp"
    uploaded = workflow["jobs"]["build"]["steps"][-1]["with"]["path"]
    uploaded = Path(uploaded.replace("${{ runner.temp }}", str(runner_temp)))
    root = copy_project(tmp_path / "checkout")
    config = root / "anthology.toml"
    config.write_text('output = "public"\nsource = "."\n' + config.read_text("utf-8"), "utf-8")
    for story in (root / "seeds").iterdir():
        story.rename(root / story.name)
    for command in (["init", "-q"], ["add", "."]):
        subprocess.run(["git", *command], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=A", "-c", "user.email=a@example.org", "commit", "-qm", "x"],
        cwd=root,
        env={**os.environ, "GIT_COMMITTER_DATE": "2024-01-02T03:04:05Z"},
        check=True,
    )
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(commands)],
        cwd=root,
        env={**os.environ, "BASE_URL": SUB_PATH_URL.rstrip("/"), "RUNNER_TEMP": str(runner_temp)},
        check=True,
        capture_output=True,
    )
    feed = ET.fromstring((uploaded / "feed.xml").read_bytes())
    assert feed.findtext(f"{ATOM}id") == SUB_PATH_URL
    assert feed.findtext(f"{ATOM}updated") == "2024-01-02T03:04:05Z"


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.browser
def test_every_page_loads_in_chromium_under_the_sub_path_without_errors(
    browser: object, sub_path_crawl: Crawl
) -> None:
    served = sub_path_crawl.served
    deep_404 = served + "no/such/story/anywhere/"
    visits = [*sub_path_crawl.html_pages, deep_404]
    assert len(visits) >= 3
    context = browser.new_context()  # type: ignore[attr-defined]
    problems: list[str] = []
    requested: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.on("requestfailed", lambda r: problems.append(f"failed {r.url}: {r.failure}"))
        page.on(
            "response",
            lambda r: (
                r.status >= 400 and r.url != deep_404 and problems.append(f"{r.status} {r.url}")
            ),
        )
        page.on(
            "console",
            lambda m: (
                m.type == "error"
                and not (page.url == deep_404 and "404" in m.text)
                and problems.append(f"console on {page.url}: {m.text}")
            ),
        )
        page.on("pageerror", lambda e: problems.append(f"script error on {page.url}: {e}"))
        for url in visits:
            response = page.goto(url, wait_until="load")
            assert response is not None
            assert response.status == (404 if url == deep_404 else 200), url
            page.wait_for_load_state("networkidle")
            sheets = page.evaluate("document.styleSheets.length && document.styleSheets[0].href")
            assert sheets and sheets.startswith(served + "theme/style.css"), url
            assert page.evaluate("document.fonts.status") == "loaded", url
            if url == deep_404:
                page.get_by_role("link", name=re.compile("Go to the contents")).click()
                page.wait_for_load_state("load")
                assert page.url == served, "the 404 page's link to the contents leads elsewhere"
    finally:
        context.close()
    assert problems == []
    assert [url for url in requested if not url.startswith(served)] == []


@pytest.mark.browser
def test_a_chosen_theme_is_in_place_before_the_deferred_script_runs(
    browser: object, sub_path_crawl: Crawl
) -> None:
    """A reader who chose dark on a light system must not see each new page flash light: the
    choice is applied in the head, before the first paint, and does not wait for site.js."""
    served = sub_path_crawl.served
    context = browser.new_context(color_scheme="light")  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(served, wait_until="load")
        page.get_by_role("button", name="Switch to dark theme").click()
        page.route(re.compile(r"/site\.js"), lambda route: route.abort())  # as if not come yet
        page.goto(served + "characters/", wait_until="load")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(24, 23, 21)"  # the dark paper, #181715
        assert page.get_by_role("button", name=re.compile("theme")).count() == 0
    finally:
        context.close()


def contrast(one: str, two: str) -> float:
    """WCAG's contrast ratio of two CSS `rgb(...)` colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_character_named_in_the_prose_is_plainly_a_link(
    browser: object, sub_path_crawl: Crawl, scheme: str
) -> None:
    """On a phone no hover shows that a name links to the character: its underline must stand
    out from the page (WCAG's 3:1 for what tells a link apart)."""
    context = browser.new_context(color_scheme=scheme)  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(sub_path_crawl.served + "chapters/extraction-point/", wait_until="load")
        line, paper = page.evaluate(
            """() => {
                const name = document.querySelector(".prose a.mention");
                return [getComputedStyle(name).textDecorationColor,
                        getComputedStyle(document.body).backgroundColor];
            }"""
        )
        assert contrast(line, paper) >= 3, (line, paper)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_quote_on_a_character_page_is_plainly_a_link(
    browser: object, sub_path_crawl: Crawl, scheme: str
) -> None:
    """Each quote leads to its place in the story; with no hover on a phone, only its underline
    says so, and it must stand out from the paper (3:1)."""
    context = browser.new_context(color_scheme=scheme)  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(sub_path_crawl.served + "characters/kai/", wait_until="load")
        line, paper = page.evaluate(
            """() => [getComputedStyle(document.querySelector(".quotes a")).textDecorationColor,
                      getComputedStyle(document.body).backgroundColor]"""
        )
        assert contrast(line, paper) >= 3, (line, paper)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("chosen", [None, "dark"])
def test_a_printed_page_is_black_on_white_and_names_the_book(
    browser: object, sub_path_crawl: Crawl, chosen: str | None
) -> None:
    """Printed from a dark screen (the system's setting, or the reader's choice), a page
    comes out dark on white, every text legible (4.5:1), with the anthology's name on it."""
    context = browser.new_context(color_scheme="dark")  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(sub_path_crawl.served + "characters/kai/", wait_until="load")
        if chosen:
            page.evaluate(f"document.documentElement.dataset.theme = '{chosen}'")
        page.emulate_media(media="print")
        paper, texts, marked, title = page.evaluate(
            """() => {
                const style = (e) => getComputedStyle(e);
                const shown = [...document.querySelectorAll("main *")].filter(
                    (e) => e.checkVisibility() && [...e.childNodes].some(
                        (n) => n.nodeType === 3 && n.textContent.trim()));
                const mark = document.querySelector(".quotes mark");
                const title = document.querySelector(".site-title");
                return [style(document.body).backgroundColor,
                        [...new Set(shown.map((e) => style(e).color))],
                        [style(mark).color, style(mark).backgroundColor],
                        title.checkVisibility() ? title.textContent : ""];
            }"""
        )
        assert paper == "rgb(255, 255, 255)"
        assert texts and all(contrast(colour, paper) >= 4.5 for colour in texts), texts
        assert contrast(*marked) >= 4.5, marked
        assert title == "After the Lights Went Out"
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("path", ["", "chapters/extraction-point/", "characters/kai/"])
def test_links_outside_sentences_are_big_enough_to_tap_on_a_phone(
    browser: object, sub_path_crawl: Crawl, path: str
) -> None:
    """The site's bars, the characters beside a story, the numbered mentions: each a target of
    24 by 24 CSS pixels at least on a phone (WCAG 2.5.8), none overlapping another. Links
    inside a sentence are exempt, as the guideline says."""
    context = browser.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(sub_path_crawl.served + path, wait_until="load")
        boxes = page.evaluate(
            """() => [...document.querySelectorAll(
                    ".site-nav a, .site-footer a, .eyebrow a, .aside li > a, .companions a, "
                    + ".more a, .chapter-nav a, .theme-toggle")].map((e) => {
                const r = e.getBoundingClientRect();
                return [e.textContent.trim(), r.left, r.top, r.width, r.height];
            })"""
        )
        assert len(boxes) >= 5
        small = [box for box in boxes if min(box[3], box[4]) < 24]
        assert small == [], small
        for n, (name, left, top, width, height) in enumerate(boxes):
            for other, x, y, w, h in boxes[n + 1 :]:
                apart = x >= left + width or left >= x + w or y >= top + height or top >= y + h
                assert apart, (name, other)
    finally:
        context.close()


@pytest.mark.browser
def test_the_theme_button_follows_the_system_until_the_reader_chooses(
    browser: object, sub_path_crawl: Crawl
) -> None:
    """A page left open while the system turns dark (at sunset, say) turns dark, and its
    button must then offer light, not dark again."""
    context = browser.new_context(color_scheme="light")  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(sub_path_crawl.served, wait_until="load")
        button = page.locator(".theme-toggle")
        assert button.get_attribute("aria-label") == "Switch to dark theme"
        page.emulate_media(color_scheme="dark")
        page.wait_for_function(
            "document.querySelector('.theme-toggle').textContent === 'Light'", timeout=5000
        )
        assert button.get_attribute("aria-label") == "Switch to light theme"
        button.click()
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
    finally:
        context.close()


@pytest.mark.browser
def test_a_theme_chosen_in_one_tab_applies_in_the_others_and_can_go_back_to_the_system(
    browser: object, sub_path_crawl: Crawl
) -> None:
    """Two tabs of the anthology: choosing dark in one turns the other dark; choosing light
    again, which the (light) system shows anyway, forgets the choice, so that the pages
    follow the system once more when it turns dark at sunset."""
    context = browser.new_context(color_scheme="light")  # type: ignore[attr-defined]
    try:
        one, other = context.new_page(), context.new_page()
        for page in (one, other):
            page.goto(sub_path_crawl.served, wait_until="load")
        one.locator(".theme-toggle").click()
        other.wait_for_function("document.documentElement.dataset.theme === 'dark'")
        assert other.locator(".theme-toggle").inner_text() == "Light"
        one.locator(".theme-toggle").click()
        other.wait_for_function("!document.documentElement.hasAttribute('data-theme')")
        assert one.evaluate("localStorage.getItem('sitegen-theme')") is None
        other.emulate_media(color_scheme="dark")
        other.wait_for_function("document.querySelector('.theme-toggle').textContent === 'Light'")
        background = other.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(255, 255, 255)" and not background.startswith("rgb(25")
    finally:
        context.close()


@pytest.mark.browser
def test_a_chosen_theme_applies_where_a_policy_blocks_inline_scripts(
    browser: object, sub_path_crawl: Crawl
) -> None:
    """A host may serve the site with `Content-Security-Policy: script-src 'self'`, which
    blocks the line in the head that applies a reader's choice before the first paint:
    site.js, a file of the site's own, applies it then."""
    context = browser.new_context(color_scheme="light")  # type: ignore[attr-defined]

    def with_policy(route) -> None:  # type: ignore[no-untyped-def]
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": "script-src 'self'"}
        route.fulfill(response=response, headers=headers)

    try:
        context.route("**/*", with_policy)
        page = context.new_page()
        blocked: list[str] = []
        page.on("console", lambda message: blocked.append(message.text))
        page.goto(sub_path_crawl.served, wait_until="load")
        page.locator(".theme-toggle").click()
        page.goto(sub_path_crawl.served + "characters/", wait_until="load")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        assert page.locator(".theme-toggle").inner_text() == "Light"
        assert any("Content Security Policy" in text for text in blocked), blocked
    finally:
        context.close()


@pytest.mark.browser
def test_a_moved_story_opened_from_disk_leads_to_its_new_page(
    browser: object, tmp_path: Path
) -> None:
    """A moved story's old address leads on by a refresh to the new folder: opened from disk,
    that must be the folder's index.html, not a listing of the folder."""
    root = copy_project(tmp_path)
    config = root / "anthology.toml"
    entry = 'title = "The Silence"\n'
    assert entry in config.read_text("utf-8")
    config.write_text(
        config.read_text("utf-8").replace(entry, entry + 'aliases = ["old-silence"]\n'), "utf-8"
    )
    site = build(root)
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        page.goto((site / "chapters" / "old-silence" / "index.html").as_uri())
        page.wait_for_url("**/chapters/the-silence/index.html")
        assert page.locator("h1").first.inner_text() == "The Silence"
    finally:
        page.close()


@pytest.mark.browser
def test_reading_progress_fills_from_the_start_of_a_right_to_left_page(
    browser: object, tmp_path: Path
) -> None:
    root = copy_project(tmp_path)
    config = root / "anthology.toml"
    config.write_text(config.read_text("utf-8").replace('language = "en"', 'language = "ar"'))
    site = build(root)
    chapter = next((site / "chapters").glob("*/index.html"))
    page = browser.new_page(viewport={"width": 800, "height": 600})  # type: ignore[attr-defined]
    try:
        page.goto(chapter.as_uri())
        page.mouse.wheel(0, 2000)
        page.wait_for_function("document.querySelector('.progress').offsetWidth > 0")
        box = page.locator(".progress").bounding_box()
        assert box is not None and box["width"] < 800
        assert box["x"] + box["width"] == pytest.approx(800, abs=1)
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_the_cast_figure_is_legible_and_no_stop_for_the_keyboard(
    browser: object, sub_path_crawl: Crawl, width: int
) -> None:
    """Drawn at half its size on a phone, the figure's names must stay legible; and its dots,
    links for a mouse, must not add a keyboard stop per name to the list's own links."""
    context = browser.new_context(viewport={"width": width, "height": 800})  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(sub_path_crawl.served + "characters/", wait_until="load")
        smallest = page.evaluate(
            """() => Math.min(...[...document.querySelectorAll(".cast-graph text")].map(
                t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))"""
        )
        assert smallest >= 11, smallest
        stops = page.evaluate(
            """() => [...document.querySelectorAll("a[href], button")].filter(
                e => e.tabIndex >= 0 && e.closest("svg")).length"""
        )
        assert stops == 0
    finally:
        context.close()


def test_mentions_in_a_long_paragraph_with_markup_are_each_wrapped_once() -> None:
    """Every run of text between markup finds the mentions inside it, including one that
    markup splits, however long the paragraph (each run looks only at the mentions near it)."""
    sentence = "Ana said *hello* to Ben, and *Be*n nodded. "
    raw = sentence * 300
    inlines = parse_inline(raw.strip())
    plain = plain_text(inlines)
    marks = [
        (found.start(), found.end(), f"m-{number}", 0 if found.group() == "Ana" else 1, None)
        for number, found in enumerate(re.finditer(r"Ana|Ben", plain))
    ]
    text = render_blocks((Paragraph(1, inlines, plain),), {0: marks})
    page = BeautifulSoup(text.markup(str, xhtml=False), "html.parser")
    anchored = page.select(".mention[id]")
    assert [m["id"] for m in anchored] == [f"m-{n}" for n in range(900)]
    assert [m.get_text() for m in anchored[:3]] == ["Ana", "Ben", "Be"]  # "Be" | "n": split
    assert len(page.select(".mention")) == 1200  # the second piece of each split "Ben"
    assert page.get_text() == plain
