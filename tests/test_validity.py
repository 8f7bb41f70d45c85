"""Every page passes the Nu Html Checker (vnu.jar from npm, run with Debian's Java)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import ROOT, Built

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def vnu_errors(folder: Path) -> list[str]:
    assert VNU.is_file(), "vnu.jar is missing: scripts/test.sh installs it with npm ci"
    pages = sorted(str(p) for p in folder.rglob("*.html"))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--errors-only", *pages],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    return [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}" for m in messages]


def test_every_page_of_the_seeds_site_is_valid_html(seeds_site: Built) -> None:
    assert len(list(seeds_site.out.rglob("*.html"))) >= 7
    assert vnu_errors(seeds_site.out) == []
