"""Screenshots of built pages at phone and desktop widths, light and dark, for a person to look at.

    python3 scripts/screenshots.py [OUT_DIR] [PAGE ...]

Serves output/ on 127.0.0.1 and saves PNGs (full page) with Debian's Chromium. By default: the
home page, a chapter and the character index.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAGES = ["", "chapters/not-my-problem/", "characters/"]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/sitegen-shots")
    pages = sys.argv[2:] or DEFAULT_PAGES
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(ROOT / "output")
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for label, (width, height) in WIDTHS.items():
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    color_scheme=scheme,
                    device_scale_factor=1,
                )
                page = context.new_page()
                for path in pages:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    name = (path.strip("/").replace("/", "-") or "home") + f"-{label}-{scheme}.png"
                    page.screenshot(path=str(out / name), full_page=False)
                    print(out / name)
                context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
