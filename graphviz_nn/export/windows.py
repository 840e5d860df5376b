"""A pinned frame's DOT text cut down to what can draw inside a window.

A pinned frame (``neato -n2``: every node and edge drawn where its ``pos`` says) drawn through a
window (``viewport``) shows only what lies under the window, but the program still reads and
lays out every statement. :func:`window_source` keeps the statements that can draw under the
window (by the boxes :func:`graphviz_nn.export.gif.statement_boxes` found) or beyond the pinned
corners (they widen the drawing, which places the window), the nodes the kept
edges join (an edge needs its ends; they draw where they are pinned), every statement with no
known box and every line that is no statement (the graph's attributes, its invisible corners
that fix the drawing's size, subgraphs); a dropped node's name is taken out of the subgraph and
rank lines, which would otherwise make it anew without its place. What lies under the window is
drawn as from the whole text; the program reads a fraction of it. :func:`draw_all` draws
windows a few runs at a time, :func:`on_background` puts a drawing on the frame's background.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ..layout import program as layout

__all__ = ["window_source", "droppable", "draw_all", "on_background"]

Box = tuple[float, float, float, float]
"""left, bottom, right, top in points (y up)."""

_BATCHES = 2  # layout runs at a time
_NAME = r'"((?:[^"\\]|\\.)*)"'
_LINE = re.compile(rf'^\s+{_NAME}(?: -> {_NAME})? \[id={_NAME}')
_QUOTED = re.compile(rf'(=?){_NAME}')  # a quoted name, or a value (after "=")


def _meets(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(a: Box, b: Box) -> bool:
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def droppable(boxes: dict[str, list[Box]], frame: Box) -> dict[str, list[Box]]:
    """The statements' ``boxes`` that lie inside ``frame`` (the pinned corners): only those may be
    dropped from a window, since the drawing's size, and so where the window lies in it, is the
    union of what every statement draws."""
    return {ident: found for ident, found in boxes.items() if all(_inside(box, frame) for box in found)}


@lru_cache(maxsize=8192)
def _statement(line: str) -> tuple[str, str | None, str] | None:
    found = _LINE.match(line)
    return None if found is None else found.groups()  # type: ignore[return-value]


def window_source(source: str, boxes: dict[str, list[Box]], view: Box) -> str:
    """``source`` without the statements that cannot draw under ``view`` (see the module):
    ``boxes`` says where each statement that may be dropped can draw (:func:`droppable`).

    >>> text = ('digraph g {\\n  "a" [id="a" pos="0,0!"]\\n  "b" [id="b" pos="500,0!"]\\n'
    ...         '  "c" [id="c" pos="900,0!"]\\n  "a" -> "b" [id="a-b" pos="e,490,0 10,0"]\\n'
    ...         '  { subgraph "s" { label="" "c" "a" } }\\n  { rank="same" "a" "b" "c" }\\n}\\n')
    >>> boxes = {"a": [(-10, -10, 10, 10)], "b": [(490, -10, 510, 10)], "c": [(890, -10, 910, 10)],
    ...          "a-b": [(10, -5, 490, 5)]}
    >>> print(window_source(text, droppable(boxes, (-20, -20, 920, 20)), (100, -20, 200, 20)), end="")
    digraph g {
      "a" [id="a" pos="0,0!"]
      "b" [id="b" pos="500,0!"]
      "a" -> "b" [id="a-b" pos="e,490,0 10,0"]
      { subgraph "s" { label="" "a" } }
      { rank="same" "a" "b" }
    }
    """
    lines = source.splitlines()
    keep = [True] * len(lines)
    nodes: dict[str, int] = {}  # a node statement's line, by the node's name
    needed: set[str] = set()
    for i, line in enumerate(lines):
        found = _statement(line)
        if found is None:
            continue
        name, head, ident = found
        known = boxes.get(ident)
        keep[i] = known is None or any(_meets(box, view) for box in known)
        if head is None:
            nodes[name] = i
        elif keep[i]:
            needed.update((name, head))
    for name in needed:
        if name in nodes:
            keep[nodes[name]] = True
    dropped = {name for name, i in nodes.items() if not keep[i]}
    if not dropped:
        return "\n".join(line for line, kept in zip(lines, keep) if kept) + "\n"
    out = []
    for line, kept in zip(lines, keep):
        if not kept:
            continue
        if line.lstrip().startswith("{"):
            line = _QUOTED.sub(lambda m: "" if not m.group(1) and m.group(2) in dropped else m.group(0), line)
            indent = len(line) - len(line.lstrip())
            line = line[:indent] + re.sub(r" {2,}", " ", line[indent:])
        out.append(line)
    return "\n".join(out) + "\n"


def draw_all(sources: list[str], program: layout.LayoutProgram, timeout: float,
             extra: tuple[str, ...], then: Callable[[bytes], Any] | None = None,
             costs: list[float] | None = None) -> list[Any]:
    """PNG drawings of ``sources`` in order, from :data:`_BATCHES` runs at a time, each drawing a
    share of about the same ``costs`` (by default one each); ``then``: what to make of each
    drawing, made by the run's thread as soon as its run is done (while the other may still draw)."""
    jobs = _shares(costs if costs is not None else [1.0] * len(sources), _BATCHES)

    def run(ks: list[int]) -> list[Any]:
        drawn = layout.run_layout_many([sources[k] for k in ks], "png", program, timeout, extra)
        return drawn if then is None else [then(data) for data in drawn]

    out: list[Any] = [b""] * len(sources)
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        for ks, drawn in zip(jobs, pool.map(run, jobs)):
            for k, data in zip(ks, drawn):
                out[k] = data
    return out


def _shares(costs: list[float], count: int) -> list[list[int]]:
    """The indices of ``costs`` dealt into at most ``count`` shares of about the same sum, the
    dearest first, each to the share with the least so far (each share in order).

    >>> _shares([4.0, 1.0, 1.0, 1.0, 1.0, 2.0], 2)
    [[0, 3], [1, 2, 4, 5]]
    """
    shares: list[list[int]] = [[] for _ in range(count)]
    sums = [0.0] * count
    for k in sorted(range(len(costs)), key=lambda k: -costs[k]):
        least = sums.index(min(sums))
        shares[least].append(k)
        sums[least] += costs[k]
    return [sorted(share) for share in shares if share]


def on_background(data: bytes, background: tuple[int, int, int]) -> Any:
    """A PNG drawing as RGB over ``background`` (pasted through its own alpha)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    if image.mode == "RGB":  # opaque already (the graph's own background)
        image.load()
        return image
    image = image.convert("RGBA")
    canvas = Image.new("RGB", image.size, background)
    canvas.paste(image, (0, 0), image)
    return canvas
