"""Nothing in a manuscript can run script in a reader's browser: it is all shown as text."""

from __future__ import annotations

from pathlib import Path

from conftest import run_sitegen

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{ 7*7 }}",
    '"><svg onload=alert(1)>',
    "[click](javascript:alert(1)) and `<b>code</b>` and *<i>em</i>*",
    "{% raw %}{{ config }}{% endraw %} &lt;script&gt;",
]


def test_hostile_manuscript_is_visible_text_and_runs_nothing(tmp_path: Path, browser) -> None:
    project = tmp_path / "hostile"
    (project / "seeds").mkdir(parents=True)
    (project / "seeds" / "01_trap.txt").write_text(
        "# <script>alert('title')</script>\n" + "\n".join(HOSTILE), "utf-8"
    )
    run_sitegen("build", cwd=project, check=True)
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in ["index.html", "chapters/script-alert-title-script/index.html"]:
        page.goto((project / "output" / path).as_uri())
        page.wait_for_load_state("load")
        text = page.inner_text("main")
        assert (
            "<script>alert('title')</script>" in text
            or "<script>alert(\u2018title\u2019)</script>" in text
        )
        if path.startswith("chapters"):
            prose = page.inner_text(".prose")
            for line in ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{ 7*7 }}"]:
                assert line in prose
            assert "49" not in prose
            assert (
                page.locator(
                    ".prose script, .prose img, .prose svg, .prose a[href^=javascript]"
                ).count()
                == 0
            )
        scripts = page.eval_on_selector_all(
            "script", "els => els.map(e => [e.getAttribute('src'), e.textContent])"
        )
        # sitegen's own: site.js, and the line in the head that sets the reader's theme.
        assert all(
            (src and "theme/site.js" in src)
            or (src is None and text.startswith('try{var t=localStorage.getItem("sitegen-theme")'))
            for src, text in scripts
        ), scripts
        assert len(scripts) == 2
    page.close()
    assert dialogs == []
