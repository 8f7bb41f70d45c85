"""Fixtures shared across the suite: a built copy of the seeds, and a real Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files")


@dataclass(frozen=True)
class Built:
    """A project copied to a temporary folder and built there with the real command line."""

    root: Path
    out: Path
    stdout: str
    stderr: str

    def page(self, path: str) -> str:
        return (self.out / path).read_text("utf-8")


def copy_project(
    destination: Path, seeds: Path = SEEDS, config: Path | None = ROOT / "anthology.toml"
) -> Path:
    (destination / "seeds").mkdir(parents=True)
    for manuscript in sorted(seeds.iterdir()):
        shutil.copy2(manuscript, destination / "seeds" / manuscript.name)
    if config is not None:
        shutil.copy2(config, destination / "anthology.toml")
    return destination


def write_project(root: Path, stories: dict[str, str], config: str | None = None) -> Path:
    """A small project in `root`: each of `stories` (file name: text) in seeds/, and `config`,
    when given, as its anthology.toml."""
    (root / "seeds").mkdir(parents=True)
    for name, text in stories.items():
        (root / "seeds" / name).write_text(text, "utf-8")
    if config is not None:
        (root / "anthology.toml").write_text(config, "utf-8")
    return root


def run_sitegen(
    *args: str, cwd: Path, check: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "sitegen", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"sitegen {' '.join(args)} failed:\n{result.stderr}")
    return result


@pytest.fixture(scope="session", autouse=True)
def private_disk_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every build in the suite (and every `sitegen` it starts) uses a cache of its own, so the
    suite neither depends on nor fills the cache of the machine it runs on."""
    before = os.environ.get("SITEGEN_CACHE")
    os.environ["SITEGEN_CACHE"] = str(tmp_path_factory.mktemp("sitegen-cache"))
    yield
    if before is None:
        del os.environ["SITEGEN_CACHE"]
    else:
        os.environ["SITEGEN_CACHE"] = before


@pytest.fixture(scope="session")
def seeds_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The five seeds with the repository's config, built once for the whole session."""
    root = copy_project(tmp_path_factory.mktemp("anthology"))
    result = run_sitegen("build", cwd=root, check=True)
    return Built(root, root / "output", result.stdout, result.stderr)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test.sh, which installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
