"""Small static SVG figures drawn at build time: who appears with whom, and where in the book.

Each figure is an accessible image (`role="img"` with a `<title>` and `<desc>`), has a table or
list beside it on the page for readers who do not see it, and uses `currentColor` so it
follows the light or dark theme. Every name passes through `escape`.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise, repeat
from operator import mul

from markupsafe import Markup, escape

GRAPH_LIMIT = 40  # a circle of more names than this is unreadable; the table lists everyone
BOUNDS_LIMIT = 60  # past this many chapters, chapter lines would hide the mentions
LABEL_SIZE = 26  # the names' largest font size in the graph's units, as the theme sets it on
# a phone's narrow screen (where the figure is drawn at half its size); room is kept for it
LABEL_EM = 0.62  # a generous average width of a sans-serif letter, in ems


@dataclass(frozen=True)
class Node:
    """A character drawn in the figure."""

    name: str
    url: str
    weight: int  # mentions


@dataclass(frozen=True)
class Edge:
    """A line in the figure between two characters who share scenes."""

    one: int  # index into the nodes
    other: int
    weight: int  # shared scenes


def counted(number: int, noun: str) -> str:
    """ "1 mention", "2 mentions": a screen reader reads the figures' descriptions aloud."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def cooccurrence_svg(nodes: Sequence[Node], edges: Sequence[Edge], *, figure_id: str) -> Markup:
    """Characters on a circle, a line between two who share scenes (thicker for more)."""
    size, radius = 560, 200
    centre = size / 2
    points = [
        (
            centre + radius * math.cos(2 * math.pi * i / max(1, len(nodes)) - math.pi / 2),
            centre + radius * math.sin(2 * math.pi * i / max(1, len(nodes)) - math.pi / 2),
        )
        for i in range(len(nodes))
    ]
    heaviest = max((e.weight for e in edges), default=1)
    most = max((n.weight for n in nodes), default=1)
    lines = [
        f'<line x1="{points[e.one][0]:.1f}" y1="{points[e.one][1]:.1f}" '
        f'x2="{points[e.other][0]:.1f}" y2="{points[e.other][1]:.1f}" '
        f'stroke-width="{1 + 5 * e.weight / heaviest:.1f}"/>'
        for e in edges
    ]
    labels = []
    margin = 0.0  # room added on both sides for long names, so that the circle stays centred
    for node, (x, y) in zip(nodes, points, strict=True):
        anchor = "middle" if abs(x - centre) < 30 else ("start" if x > centre else "end")
        dx = 0 if anchor == "middle" else (14 if anchor == "start" else -14)
        dy = -14 if y < centre - radius + 30 else (24 if y > centre + radius - 30 else 5)
        dot = 4 + 8 * math.sqrt(node.weight / most)
        width = LABEL_EM * LABEL_SIZE * len(node.name)
        start = x + dx - {"start": 0, "middle": width / 2, "end": width}[anchor]
        margin = max(margin, LABEL_SIZE / 2 - start, start + width + LABEL_SIZE / 2 - size)
        labels.append(
            # Not a stop for the keyboard: the list beside the figure links every name.
            f'<a href="{escape(node.url)}" tabindex="-1">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{dot:.1f}"/>'
            f'<text x="{x + dx:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}">'
            f"{escape(node.name)}</text></a>"
        )
    description = (
        f"{counted(len(nodes), 'character')} drawn on a circle; {counted(len(edges), 'line')} "
        f"{'joins' if len(edges) == 1 else 'join'} characters who share at least one scene, "
        "thicker for more shared scenes. The table below lists the same."
    )
    view = f"{-margin:.0f} 0 {size + 2 * margin:.0f} {size}"
    return Markup(
        f'<svg class="cast-graph" viewBox="{view}" role="img" '
        f'aria-labelledby="{figure_id}-title {figure_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{figure_id}-title">Who appears with whom</title>'
        f'<desc id="{figure_id}-desc">{escape(description)}</desc>'
        f'<g class="edges">{"".join(lines)}</g><g class="nodes">{"".join(labels)}</g></svg>'
    )


def strip_svg(
    name: str, chapter_bounds: Sequence[float], positions: Sequence[float], *, bins: int = 120
) -> Markup:
    """A bar for the whole anthology, chapters marked, a tick wherever `name` is mentioned:
    `positions` are where, 0 to 1, in reading order (ascending).

    Mentions are binned, so the figure stays the same size however many there are.
    """
    # A position p falls in bin min(bins - 1, int(p * bins)). Positions come in reading
    # order, so each bin's are a run, which begins at the first p with p * bins >= its
    # number: found by bisection, in C, over the positions scaled once (also in C).
    scaled = list(map(mul, positions, repeat(bins)))
    edges = [bisect_left(scaled, i) for i in range(bins)] + [len(positions)]
    counts = tuple(after - before for before, after in pairwise(edges))
    drawn = tuple(chapter_bounds[1:]) if len(chapter_bounds) <= BOUNDS_LIMIT else ()
    return _strip(name, len(positions), counts, drawn, len(chapter_bounds))


@lru_cache(maxsize=1 << 12)
def _strip(
    name: str, mentions: int, counts: tuple[int, ...], drawn: tuple[float, ...], chapters: int
) -> Markup:
    """The figure of `strip_svg`, from how many mentions fall in each bin: an edit moves a
    character's mentions along the anthology, but seldom from one bin to another, so the
    server's rebuilds mostly draw it as before."""
    width, height = 600, 36
    most = max(counts, default=0) or 1
    step = width / len(counts)
    ticks = "".join(
        f'<rect x="{i * step:.1f}" y="{height - 6 - 22 * c / most:.1f}" '
        f'width="{max(1.0, step - 1):.1f}" height="{22 * c / most:.1f}"/>'
        for i, c in enumerate(counts)
        if c
    )
    bounds = "".join(
        f'<line x1="{b * width:.1f}" y1="2" x2="{b * width:.1f}" y2="{height}"/>' for b in drawn
    )
    description = (
        f"{counted(mentions, 'mention')} of {name} along the anthology, from its first "
        "page at the left to its last at the right"
        + (f"; vertical lines separate the {chapters} chapters." if drawn else ".")
    )
    return Markup(
        f'<svg class="strip" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="strip-title strip-desc" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="none">'
        f'<title id="strip-title">Where {escape(name)} appears</title>'
        f'<desc id="strip-desc">{escape(description)}</desc>'
        f'<rect class="track" x="0" y="{height - 6}" width="{width}" height="4"/>'
        f'<g class="bounds">{bounds}</g><g class="ticks">{ticks}</g></svg>'
    )
