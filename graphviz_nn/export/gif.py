"""GIF frames of a steady step sequence drawn a region at a time.

Every frame of a steady sequence (:mod:`graphviz_nn.layout.steady`) has the same geometry: frame
``k`` differs from frame ``k - 1`` only in the node and edge statements the step redraws and in
the caption. :func:`region_frames` therefore draws frame 0 whole and, for every later frame, only
the rectangles those changes can touch, each with the layout program's ``viewport`` (the frame's
DOT text, less what cannot draw under the window (:mod:`graphviz_nn.export.windows`), drawn
through a window: what lies under the window is drawn exactly as in the whole frame). Pasted over the previous frame, the rectangles give the frame: the pixels of the
frame drawn whole, but for anti-aliased lines lying almost on a pixel edge (a few levels of 255)
and, at resolutions other than 96 dpi, now and then a glyph a pixel over (cairo rounds a window's
offset slightly differently). Each window is drawn :data:`GUARD` pixels larger than it is pasted:
where a window's edge cuts a line, the pixels next to the cut differ.

Where each statement can draw is read once from one ``json`` drawing of every version of every
statement side by side (the versions pinned at the same place): the box of its drawing
instructions and, for a node, its pinned size, with a margin for pens and anti-aliasing.

Only ``dot`` draws windows this way (graphviz-pure draws them with other offsets), and only a
sequence whose frames share everything but their statements and their caption (same statements
in the same order, the caption's rows and fonts the same, the same pinned layout arguments) is
drawn by regions; :func:`region_frames` says ``None`` for anything else and the caller draws
whole frames.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Iterable

from ..layout import program as layout
from ..layout.steady import PIN_ARGS, html_attr
from .windows import draw_all, droppable, on_background, window_source

__all__ = ["Patch", "Regions", "Plan", "plan_regions", "region_frames", "changed_ids", "statement_boxes", "merge_boxes"]

PAD = 4.0
"""Points Graphviz adds around a drawing (its default ``pad``)."""
MARGIN = 4.0
"""Points added around every statement's drawing (pens up to this wide, anti-aliasing)."""
MERGE_PIXELS = 100_000
"""Two rectangles of a frame are drawn as one when their union is at most this many pixels
larger than the two (a run of its own costs about as much as drawing that many pixels)."""
RUN_PIXELS = 40_000
"""About what drawing a window costs the program besides its pixels, in pixels (reading its text)."""
GUARD = 8
"""Pixels drawn around every window and dropped (see the module)."""

_STATEMENT = re.compile(r'^\s+"(?:[^"\\]|\\.)*"( -> "(?:[^"\\]|\\.)*")? \[id="((?:[^"\\]|\\.)*)"')
_NODE_NAME = re.compile(r'^(\s+)"(?:[^"\\]|\\.)*" \[id="(?:[^"\\]|\\.)*"')
_EDGE_ID = re.compile(r'( \[)id="(?:[^"\\]|\\.)*"')
_TEXT = re.compile(r">[^<>]*<")
_WIDTH = re.compile(r"setlinewidth\(([0-9.]+)\)")

Box = tuple[float, float, float, float]
"""A rectangle: left, bottom, right, top in points (y up), or left, top, right, bottom in pixels."""


@dataclass(frozen=True)
class Patch:
    """Pixels of a frame (RGB on the background; mapped to the GIF palette when written) to paste
    at ``(left, top)``."""

    left: int
    top: int
    image: Any


@dataclass(frozen=True)
class Regions:
    """A sequence drawn by regions: the first frame whole (RGB) and, for every later frame, the
    patches that turn the frame before into it."""

    first: Any
    patches: list[list[Patch]]


@dataclass(frozen=True)
class _Frame:
    graph: str  # the graph attribute line (it holds the caption)
    other: tuple[str, ...]  # the lines that are neither statements nor the graph line
    ids: tuple[str, ...]  # the statements' ids, in order
    lines: dict[str, str]  # each statement by id


def _read(source: str) -> _Frame | None:
    graph = ""
    other: list[str] = []
    ids: list[str] = []
    lines: dict[str, str] = {}
    for line in source.splitlines():
        match = _STATEMENT.match(line)
        if match is not None:
            if match.group(2) in lines:
                return None  # an id twice: statements cannot be told apart
            ids.append(match.group(2))
            lines[match.group(2)] = line
        elif line.startswith("  graph [") and not graph:
            graph = line
        else:
            other.append(line)
    return _Frame(graph, tuple(other), tuple(ids), lines) if graph.endswith("]") else None


def changed_ids(before: dict[str, str], after: dict[str, str]) -> set[str]:
    """The statement ids whose statements differ between two frames (``id -> line``)."""
    return {i for i in before.keys() | after.keys() if before.get(i) != after.get(i)}


def _versions_source(frames: list[_Frame], last_source: str) -> tuple[str, dict[str, str]]:
    """The last frame's DOT with every other version of every statement added (renamed, pinned
    at the same place), and the id each added statement stands for."""
    owner: dict[str, str] = {}
    added: list[str] = []
    final = frames[-1].lines
    seen: set[str] = set(final.values())
    for frame in frames[:-1]:
        for ident, line in frame.lines.items():
            if line in seen:
                continue
            seen.add(line)
            name = f"gnn_version_{len(added)}"
            owner[name] = ident
            if _STATEMENT.match(line).group(1) is None:  # type: ignore[union-attr]
                line = _NODE_NAME.sub(lambda m: f'{m.group(1)}"{name}" [id="{name}"', line, count=1)
            else:
                line = _EDGE_ID.sub(lambda m: f'{m.group(1)}id="{name}"', line, count=1)
            added.append(line)
    body = last_source.rstrip().splitlines()
    closing = body.pop()
    return "\n".join([*body, *added, closing]) + "\n", owner


def _ops_boxes(ops: Iterable[dict[str, Any]]) -> tuple[list[Box], float]:
    """The boxes of some xdot drawing instructions (one per instruction, one per cubic segment of
    a curve: a long edge's box would be mostly empty) and the widest pen among them."""
    boxes: list[Box] = []
    pen, size = 1.0, 14.0

    def add(xs: list[float], ys: list[float]) -> None:
        if xs:
            boxes.append((min(xs), min(ys), max(xs), max(ys)))

    for op in ops:
        kind = op.get("op")
        if kind in ("b", "B"):
            points = [(float(x), float(y)) for x, y in op.get("points", [])]
            for i in range(0, max(1, len(points) - 3), 3):
                part = points[i:i + 4]
                add([x for x, _ in part], [y for _, y in part])
        elif kind in ("p", "P", "L"):
            points = [(float(x), float(y)) for x, y in op.get("points", [])]
            add([x for x, _ in points], [y for _, y in points])
        elif kind in ("e", "E"):
            x, y, rx, ry = (float(v) for v in op["rect"])
            add([x - rx, x + rx], [y - ry, y + ry])
        elif kind == "F":
            size = float(op.get("size", size))
        elif kind == "S":
            found = _WIDTH.search(str(op.get("style", "")))
            if found is not None:
                pen = max(pen, float(found.group(1)))
        elif kind == "T":
            x, y = (float(v) for v in op["pt"])
            width = float(op.get("width", 0.0))
            left = x - {"l": 0.0, "r": width}.get(str(op.get("align", "c")), width / 2)
            add([left, left + width], [y - size * 0.6, y + size * 1.2])
        elif kind == "I":
            x, y = (float(v) for v in op["pos"])
            w, h = (float(v) for v in op["size"])
            add([x, x + w], [y, y + h])
    return boxes, pen


def _union(a: Box | None, b: Box | None) -> Box | None:
    return (a or b) if a is None or b is None else (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


_DRAWS = ("_draw_", "_ldraw_", "_hdraw_", "_tdraw_", "_hldraw_", "_tldraw_")


def statement_boxes(drawing: dict[str, Any], owner: dict[str, str]) -> dict[str, list[Box]]:
    """Where each statement id can draw, in points, from a ``json`` drawing (``owner``: the id
    an added version stands for): a node's drawing instructions and pinned size as one box, an
    edge's instructions box by box (each cubic segment of its curve on its own), all widened by
    the widest pen and :data:`MARGIN`."""
    boxes: dict[str, list[Box]] = {}
    for item in [*drawing.get("objects", []), *drawing.get("edges", [])]:
        ident = item.get("id")
        if not ident:
            continue
        found: list[Box] = []
        pen = float(item.get("penwidth", 1.0) or 1.0)
        for name in _DRAWS:
            some, width = _ops_boxes(item.get(name, []))
            found, pen = found + some, max(pen, width)
        if "pos" in item and "width" in item and "height" in item:  # a node: one box
            x, y = (float(v) for v in str(item["pos"]).split(",")[:2])
            w, h = float(item["width"]) * 36, float(item["height"]) * 36
            whole: Box | None = (x - w, y - h, x + w, y + h)
            for box in found:
                whole = _union(whole, box)
            found = [whole] if whole is not None else []
        grow = pen + MARGIN
        mine = boxes.setdefault(owner.get(ident, ident), [])
        for box in found:
            grown = (box[0] - grow, box[1] - grow, box[2] + grow, box[3] + grow)
            if grown not in mine:
                mine.append(grown)
    return {ident: found for ident, found in boxes.items() if found}


def merge_boxes(boxes: list[tuple[int, int, int, int]], slack: int = MERGE_PIXELS) -> list[tuple[int, int, int, int]]:
    """Pixel rectangles ``(left, top, right, bottom)`` merged while a union costs at most
    ``slack`` pixels more than its two parts (windows may overlap: each is drawn from the whole
    frame).

    >>> merge_boxes([(0, 0, 10, 10), (5, 5, 20, 20), (500, 500, 510, 510)], slack=100)
    [(0, 0, 20, 20), (500, 500, 510, 510)]
    """
    out = list(boxes)

    def area(b: tuple[int, int, int, int]) -> int:
        return (b[2] - b[0]) * (b[3] - b[1])
    merged = True
    while merged and len(out) > 1:
        merged = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                both = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                if area(both) <= area(a) + area(b) + slack:
                    out[i] = both
                    del out[j]
                    merged = True
                    break
            if merged:
                break
    return sorted(out)


_FONT = re.compile(r'\b(?:fontname|fontsize)="[^"]*"')


def _captions_source(graphs: list[str]) -> str:
    """A DOT text with the caption (label) of each graph line of ``graphs`` as a node
    ``caption<i>`` of its own, in the graph's font: its json drawing gives each caption's width."""
    lines = ["digraph captions {"]
    for i, graph in enumerate(graphs):
        label = html_attr(graph, "label") or '""'
        font = " ".join(_FONT.findall(graph))
        lines.append(f'  "caption{i}" [shape="plain" {font} pos="0,{40 * i}!" label={label}]')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _with_viewport(source: str, graph: str, view: str) -> str:
    """``source`` with ``viewport`` set on its graph line ``graph``."""
    return source.replace(graph, f'{graph[:-1]} viewport="{view}"]', 1)


@dataclass(frozen=True)
class Plan:
    """How a sequence is drawn by regions: the frames' DOT texts, where the drawing sits (its top
    left corner in points, points to pixels, its size in pixels) and the pixel rectangles each
    frame redraws, by frame."""

    sources: list[str]
    graphs: list[str]
    left: float
    top: float
    scale: float
    size: tuple[int, int]
    rects: dict[int, list[tuple[int, int, int, int]]]
    boxes: dict[str, list[Box]] | None = None  # where each statement a window may drop draws, in points

    def window(self, k: int, box: tuple[int, int, int, int]) -> str:
        """Frame ``k``'s DOT text drawing only the pixels ``box`` (left, top, right, bottom),
        without the statements that cannot draw there (:func:`~graphviz_nn.export.windows.window_source`)."""
        l, t, r, b = box
        unit = 1 / self.scale  # points a pixel (0.75 at 96 dpi: exact, so is every sum below)
        w, h = (r - l) * unit, (b - t) * unit
        cx, cy = self.left + (l + r) / 2 * unit, self.top - (t + b) / 2 * unit
        source = self.sources[k]
        if self.boxes is not None and box != (0, 0, *self.size):
            view = (self.left + l * unit, self.top - b * unit, self.left + r * unit, self.top - t * unit)
            source = window_source(source, self.boxes, view)
        return _with_viewport(source, self.graphs[k], f"{w!r},{h!r},1,{cx!r},{cy!r}")

    def whole(self, k: int) -> str:
        """Frame ``k`` drawn whole, placed as its windows are. (The program places a whole
        drawing by its bounding box, which its json text gives to two decimals only: windows
        placed by that box sit a few thousandths of a pixel off the program's own whole frame,
        and a row of text can round to the next pixel. The first frame is drawn this way.)"""
        return self.window(k, (0, 0, *self.size))


def plan_regions(sources: list[tuple[str, tuple[str, ...]]], program: layout.LayoutProgram, dpi: float,
                 timeout: float) -> Plan | None:
    """The :class:`Plan` of ``sources`` (each a DOT text and its layout arguments, as
    :func:`~graphviz_nn.layout.steady.step_source` gives them) drawn at ``dpi``; ``None`` when
    the sequence cannot be drawn by regions (see the module)."""
    if program.name != "dot" or len(sources) < 3 or any(args != PIN_ARGS for _, args in sources):
        return None
    read: list[_Frame] = []
    for source, _ in sources:
        frame = _read(source)
        if frame is None:
            return None
        read.append(frame)
    first = read[0]
    caption = _TEXT.sub("><", first.graph)
    if any(f.other != first.other or f.ids != first.ids or _TEXT.sub("><", f.graph) != caption for f in read):
        return None
    union, owner = _versions_source(read, sources[-1][0])
    captions = sorted({f.graph for f in read})
    drawn = layout.run_layout_many([union, _captions_source(captions)], "json", program, timeout, PIN_ARGS)
    drawing = json.loads(drawn[0])
    widths = {}  # each caption's width in points, by its graph line
    for obj in json.loads(drawn[1]).get("objects", []):
        name = str(obj.get("name", ""))
        if name.startswith("caption") and name[7:].isdigit() and int(name[7:]) < len(captions):
            widths[captions[int(name[7:])]] = float(obj.get("width", 0)) * 72
    if len(widths) != len(captions):
        return None
    boxes = statement_boxes(drawing, owner)
    corner = {o.get("name"): o for o in drawing.get("objects", []) if o.get("name") in ("gnn_corner_0", "gnn_corner_1")}
    try:
        x0, y0, x1, y1 = (float(v) for v in drawing["bb"].split(","))
        c0, c1 = ([float(v) for v in str(corner[f"gnn_corner_{i}"]["pos"]).split(",")[:2]] for i in (0, 1))
        caption_bottom = c1[1]
    except (KeyError, ValueError, TypeError, IndexError):
        return None
    scale = float(f"{dpi:.2f}") / 72.0  # the resolution the program is given
    left, top = x0 - PAD, y1 + PAD  # the drawing's top left corner, in points
    width, height = round((x1 - x0 + 2 * PAD) * scale), round((y1 - y0 + 2 * PAD) * scale)

    def pixels(box: Box) -> tuple[int, int, int, int]:
        return (max(0, math.floor((box[0] - left) * scale) - 1), max(0, math.floor((top - box[3]) * scale) - 1),
                min(width, math.ceil((box[2] - left) * scale) + 1), min(height, math.ceil((top - box[1]) * scale) + 1))

    rects: dict[int, list[tuple[int, int, int, int]]] = {}
    for k in range(1, len(read)):
        changed = changed_ids(read[k - 1].lines, read[k].lines)
        if any(i not in boxes for i in changed):
            return None  # a statement that draws nowhere known
        found = [pixels(box) for i in sorted(changed) for box in boxes[i]]
        if read[k].graph != read[k - 1].graph:  # the caption: above the pinned drawing, at the left
            wide = max(widths[read[k].graph], widths[read[k - 1].graph])
            found.append(pixels((left, caption_bottom, x0 + wide + 2 * MARGIN + PAD, top)))
        rects[k] = merge_boxes([r for r in found if r[0] < r[2] and r[1] < r[3]])
    return Plan([s for s, _ in sources], [f.graph for f in read], left, top, scale, (width, height), rects,
                droppable(boxes, (c0[0], c0[1], c1[0], c1[1])))


def region_frames(sources: list[tuple[str, tuple[str, ...]]], program: layout.LayoutProgram, dpi: float,
                  timeout: float, background: tuple[int, int, int], plan: Plan | None = None) -> Regions | None:
    """The frames of ``sources`` drawn at ``dpi`` (:func:`plan_regions`, or ``plan``): the first
    whole, the others as patches; ``None`` when the sequence cannot be drawn by regions."""
    plan = plan if plan is not None else plan_regions(sources, program, dpi, timeout)
    if plan is None:
        return None
    width, height = plan.size
    wanted = [(k, box) for k, boxes in plan.rects.items() for box in boxes]
    grown = [(max(0, l - GUARD), max(0, t - GUARD), min(width, r + GUARD), min(height, b + GUARD))
             for _, (l, t, r, b) in wanted]  # each window with a guard band (dropped when pasted)
    windows = [plan.whole(0)] + [plan.window(k, box) for (k, _), box in zip(wanted, grown)]
    costs = [float(width * height)] + [RUN_PIXELS + (r - l) * (b - t) for l, t, r, b in grown]
    drawn = draw_all(windows, program, timeout, (*PIN_ARGS, f"-Gdpi={dpi:.2f}"),
                     lambda data: on_background(data, background), costs)
    first = drawn[0]
    if first.size != plan.size:
        return None  # not the size the windows were placed by
    patches: list[list[Patch]] = [[] for _ in range(len(plan.sources) - 1)]
    for (k, (l, t, r, b)), (gl, gt, gr, gb), image in zip(wanted, grown, drawn[1:]):
        if image.size != (gr - gl, gb - gt):
            return None
        patches[k - 1].append(Patch(l, t, image.crop((l - gl, t - gt, r - gl, b - gt))))
    return Regions(first, patches)
