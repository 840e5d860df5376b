"""One layout for every step: each step of a pass is drawn at the same positions, same size.

Graphviz lays out each picture on its own, and a step's labels differ from the next step's
(values appear, partial gradients grow and shrink, the current edge shows its terms), so a
step-through would make the drawing jump. :func:`step_source` instead:

1. collects every version of every node and edge statement over the pass (up to
   :data:`MAX_UNION_STEPS` steps; :func:`~graphviz_nn.draw.steps.step_changes` redraws only
   what each step changes, as the step player's sheets do) and measures every node version
   once, in one run of the layout program;
2. lays out the finished state with each node at least as large as its largest version, every
   edge carrying its longest label and room for the longest caption (cached per picture);
3. pins every node and edge of the step's DOT to that layout (``pos="x,y!"``, the reserved
   size, the routed spline and label place), marks the corners with two invisible points, and
   has the layout program only draw it (``-Kneato -n2``).

So every frame has the same size and nothing moves. Works with ``dot`` and ``graphviz-pure``.
A pass longer than :data:`MAX_UNION_STEPS` is pinned to the finished drawing alone (a label
that is larger at some step may then touch its neighbours). ``RenderOptions(steady=False)``
lays out each step on its own; a step whose DOT has a node the layout lacks is laid out alone.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections import OrderedDict
from typing import Any

from . import kept
from . import program as layout
from ..errors import RenderError
from ..draw.dot import RenderOptions, graph_and_trace, step_statements, to_dot
from ..draw.steps import step_changes

__all__ = ["PIN_ARGS", "MAX_UNION_STEPS", "step_source", "step_statements", "pin", "shared_layout", "html_attr"]

PIN_ARGS = ("-Kneato", "-n2")
"""Layout arguments that draw a pinned DOT as it is (no layout of its own)."""
MAX_UNION_STEPS = 1000
"""Longest pass whose every step is measured; longer ones are pinned to the finished drawing."""
_ROOM = 4.0  # points of margin around the pinned drawing
_KEEP = 32  # layouts kept

_STATEMENT = re.compile(r'(\s+"(?:[^"\\]|\\.)*"( -> "(?:[^"\\]|\\.)*")? \[)id="((?:[^"\\]|\\.)*)"')
_LABEL_FREE = ("plain", "none", "plaintext")  # shapes whose size is their label's
_ANGLE = re.compile(r"[<>]")

Pins = tuple[dict[str, str], tuple[float, float, float, float]]
"""Extra DOT attributes per statement id, and the corners of the drawing without its caption."""

_CACHE: OrderedDict[tuple, Pins] = OrderedDict()
_SHAPES: OrderedDict[tuple, tuple[Pins, dict[str, float]]] = OrderedDict()  # by the graph without its labels
_LOCK = threading.Lock()


def step_source(res: Any, opts: RenderOptions) -> tuple[str, tuple[str, ...]]:
    """The DOT source of the picture ``opts`` asks for, and the layout arguments it needs:
    a step with ``opts.steady`` comes pinned to the shared layout, with :data:`PIN_ARGS`."""
    if opts.step is None or not opts.steady or not 0 <= opts.step <= len(graph_and_trace(res)[1]):
        return to_dot(res, opts), ()  # (a step out of range: to_dot says so)
    program = layout.find_program(opts.layout_program)
    whole: dict[int, str] = {}
    pins = _pins(res, opts, program, whole=whole, wanted=opts.step)
    # the step's drawing comes from the walk over the pass when the layout was made now
    source = whole[opts.step] if opts.step in whole else to_dot(res, opts)
    pinned = pin(source, pins)
    return (pinned, PIN_ARGS) if pinned is not None else (source, ())


def shared_layout(res: Any, opts: RenderOptions, program: layout.LayoutProgram,
                  statements: list[str] | None = None, captions: set[str] | None = None,
                  step_lines: bool = True, whole: dict[int, str] | None = None) -> Pins:
    """The shared layout of every step of ``res`` drawn with ``opts`` (made once, kept), for
    :func:`pin`. ``statements`` and ``captions``, when the caller has them, are every version of
    every statement and every caption over the pass as
    :func:`~graphviz_nn.draw.steps.step_changes` gives them (else they are collected here);
    ``step_lines`` says whether those captions carry each step's line. The same layout then
    serves the player and the single steps (the GIF after the player: no layout run). ``whole``:
    :func:`to_dot` of some steps with ``opts``, by step, when the caller has them."""
    return _pins(res, opts, program, statements, captions, step_lines, dict(whole or {}))


def _pins(res: Any, opts: RenderOptions, program: layout.LayoutProgram, known: list[str] | None = None,
          known_captions: set[str] | None = None, step_lines: bool = True,
          whole: dict[int, str] | None = None, wanted: int | None = None) -> Pins:
    """The shared layout of every step of ``res`` drawn with ``opts`` (made once, kept).
    ``whole`` (by step, :func:`to_dot` with ``opts``) is read and added to: the finished
    drawing, and when the pass is walked here, step 0's and step ``wanted``'s."""
    _, trace = graph_and_trace(res)
    n = len(trace)
    whole = {} if whole is None else whole
    if n not in whole:
        whole[n] = to_dot(res, dataclasses.replace(opts, step=n))
    final = whole[n]
    # Versions handed in equal the ones collected here when their captions carry the step lines
    # and the pass is short enough to be collected: one layout for both.
    key = (final, program, opts.timeout, known is not None and not (step_lines and n < MAX_UNION_STEPS))
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    statements: list[str] = []
    captions = {html_attr(_graph_line(final), "label")} - {None}
    if known_captions is not None:
        captions |= known_captions
    if n < MAX_UNION_STEPS and known is not None:
        statements = known
    elif n < MAX_UNION_STEPS:
        for _, lines, caption in step_changes(res, opts, whole=whole, wanted=() if wanted is None else (wanted,)):
            statements.extend(lines)
            if caption is not None:
                captions.add(caption)
    made = _layout(final, statements, captions, program, opts.timeout)
    with _LOCK:
        _CACHE[key] = made
        while len(_CACHE) > _KEEP:
            _CACHE.popitem(last=False)
    return made


def html_attr(line: str, name: str) -> str | None:
    """The ``name=<…>`` HTML-like value in an attribute list (angle brackets balanced)."""
    start = line.find(f" {name}=<")
    if start < 0:
        return None
    i = start + len(name) + 2
    depth = 0
    for angle in _ANGLE.finditer(line, i):  # only the brackets, not every character
        depth += 1 if angle.group() == "<" else -1
        if depth == 0:
            return line[i:angle.end()]
    return None


def _graph_line(source: str) -> str:
    """The ``graph [...]`` attribute line of a DOT text written by :func:`to_dot`."""
    return next((line for line in source.splitlines() if line.startswith("  graph [")), "")


def _layout(final: str, statements: list[str], captions: set[str], program: layout.LayoutProgram,
            timeout: float) -> Pins:
    """Lay out ``final`` with room for every version of its statements in ``statements`` and
    for every caption; read the pins."""
    versions = _versions([*statements, *final.splitlines()])
    sizes, caption = _measure(final, versions, captions, program, timeout)
    shape_key = (_without_labels(final), program, timeout)
    room = _room(sizes, versions, caption)
    with _LOCK:
        earlier = _SHAPES.get(shape_key)
    if earlier is not None and _fits(room, earlier[1]):
        return earlier[0]  # new numbers in the same graph: the layout made for the old ones has room
    lines = []
    for line in final.splitlines():
        match = _STATEMENT.match(line)
        if match is not None and match.group(2) is not None:  # an edge: its longest label
            line = max(versions[match.group(3)], key=lambda v: len(html_attr(v, "label") or ""))
        elif match is not None and match.group(3) in sizes:
            line = f"{line[:-1]} {sizes[match.group(3)]}]"
        lines.append(line)
    drawing = _json_layout("\n".join(lines) + "\n", program, timeout)
    attrs: dict[str, str] = {}
    for obj in drawing.get("objects", []):
        if "pos" in obj and "id" in obj:
            attrs[obj["id"]] = f'pos="{obj["pos"]}!" {sizes.get(obj["id"], "")}'.rstrip()
    for edge in drawing.get("edges", []):
        if "pos" in edge and "id" in edge:
            attrs[edge["id"]] = f'pos="{edge["pos"]}"' + (f' lp="{edge["lp"]}"' if "lp" in edge else "")
    try:
        x0, y0, x1, y1 = (float(v) for v in drawing["bb"].split(","))
    except (KeyError, ValueError) as exc:
        raise RenderError(f"{program.name} gave a drawing without a bounding box") from exc
    y1 -= float(drawing.get("lheight", 0.0)) * 72  # the caption goes above, as in the drawing
    x1 = max(x1, x0 + caption)
    made = attrs, (x0 - _ROOM, y0 - _ROOM, x1 + _ROOM, y1 + _ROOM)
    with _LOCK:
        _SHAPES[shape_key] = (made, room)
        while len(_SHAPES) > _KEEP:
            _SHAPES.popitem(last=False)
    return made


def _versions(lines: list[str]) -> dict[str, list[str]]:
    """The distinct node and edge statements among ``lines``, by id, in order."""
    versions: dict[str, list[str]] = {}
    for line in lines:
        match = _STATEMENT.match(line)
        if match is not None and line not in versions.setdefault(match.group(3), []):
            versions[match.group(3)].append(line)
    return versions


def _json_layout(source: str, program: layout.LayoutProgram, timeout: float) -> dict[str, Any]:
    """The program's JSON layout of ``source`` (``dot`` leaves out its drawing instructions),
    from a kept process (:mod:`graphviz_nn.layout.kept`)."""
    fmt = "json0" if "json0" in program.formats else "json"
    return json.loads(kept.run_kept([source], fmt, program, timeout)[0])


def _without_labels(final: str) -> str:
    """The DOT text with every label left out: what the layout depends on besides label sizes."""
    lines = []
    for line in final.splitlines():
        for name in ("label", "xlabel"):
            value = html_attr(line, name)
            if value is not None:
                line = line.replace(f" {name}={value}", "")
        lines.append(re.sub(r' (?:x?label)="(?:[^"\\]|\\.)*"', "", line))
    return "\n".join(lines)


Room = dict[str, float]
"""What a layout reserves: each node's width and height (``id:w``, ``id:h``, inches), each
edge's longest label (``id:e``, characters) and the widest caption (``caption``, points)."""


def _room(sizes: dict[str, str], versions: dict[str, list[str]], caption: float) -> Room:
    room: Room = {"caption": caption}
    for ident, attrs in sizes.items():
        for name in ("width", "height"):
            found = re.search(rf'\b{name}="([0-9.]+)"', attrs)
            if found is not None:
                room[f"{ident}:{name[0]}"] = float(found.group(1))
    for ident, lines in versions.items():
        if _STATEMENT.match(lines[0]).group(2) is not None:  # an edge
            room[f"{ident}:e"] = max(len(re.sub(r"<[^>]*>", "", html_attr(v, "label") or "")) for v in lines)
    return room


def _fits(room: Room, reserved: Room) -> bool:
    """Whether every node, edge label and caption of ``room`` fits in what ``reserved`` holds."""
    return room.keys() == reserved.keys() and all(room[k] <= reserved[k] + 1e-9 for k in room)


def _measure(final: str, versions: dict[str, list[str]], captions: set[str], program: layout.LayoutProgram,
             timeout: float) -> tuple[dict[str, str], float]:
    """Each node's size attributes (the largest of its versions) and the widest caption, in
    points, from one layout of every version side by side."""
    head = final.splitlines()
    node_defaults = next((line for line in head if line.startswith("  node [")), "")
    font = " ".join(re.findall(r'\b(?:fontname|fontsize)="[^"]*"', _graph_line(final)))
    body = ["digraph measure {", node_defaults]
    drawn: dict[str, str] = {}  # what is measured, by what its size depends on
    owners: dict[str, list[str]] = {}  # the nodes each measured version stands for
    for ident, lines in versions.items():
        for line in lines:
            match = _STATEMENT.match(line)
            if match is not None and match.group(2) is None:
                attrs = line[match.end(1):]
                key = _size_key(attrs)
                if key not in drawn or _pen(attrs) > _pen(drawn[key]):
                    drawn[key] = attrs
                if ident not in owners.setdefault(key, []):
                    owners[key].append(ident)
    names = {f"m{i}": key for i, key in enumerate(drawn)}
    for name, key in names.items():  # what the size depends on (a smaller graph to read and write)
        pen = _PENWIDTH.search(drawn[key])
        body.append(f'  "{name}" [{key.lstrip()}' if pen is None else f'  "{name}" [{pen.group()} {key.lstrip()}')
    for i, caption in enumerate(_merged(captions)):
        body.append(f'  "caption{i}" [shape="plain" {font} label={caption}]')
    body.append("}")
    drawing = _json_layout("\n".join(body) + "\n", program, timeout)
    largest: dict[str, tuple[float, float, str, int]] = {}
    widest = 0.0
    for obj in drawing.get("objects", []):
        name, width, height = obj.get("name", ""), float(obj.get("width", 0)), float(obj.get("height", 0))
        if name.startswith("caption"):
            widest = max(widest, width * 72)
        elif name in names:
            for ident in owners[names[name]]:
                w, h, _, _ = largest.get(ident, (0.0, 0.0, "", 1))
                largest[ident] = (max(w, width), max(h, height), obj.get("shape", ""),
                                  int(obj.get("peripheries", "1") or 1))
    sizes = {}
    for ident, (width, height, shape, rings) in largest.items():
        if shape in _LABEL_FREE:  # "plain" ignores width and height; "none" takes them as least size
            sizes[ident] = f'shape="none" margin="0" width="{width:.4f}" height="{height:.4f}"'
        else:  # the measured size includes extra outlines (an output's double ring); width does not
            extra = max(0, rings - 1) * 8 / 72
            sizes[ident] = f'width="{width - extra:.4f}" height="{height - extra:.4f}"'
    return sizes, widest


_CAPTION_HEAD = '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
_CAPTION_TAIL = "</TABLE>>"


def _merged(captions: set[str]) -> list[str]:
    """Captions to measure for the widest one: a caption is a one-column table of rows
    (:func:`~graphviz_nn.draw.dot.caption_label`), as wide as its widest row, so one table of
    every distinct row is as wide as the widest caption (its height is not read), and the
    program measures each row once (a pass's captions share all rows but the step's line).
    Captions of another form are measured as they are."""
    rows: dict[str, None] = {}
    others = []
    for caption in sorted(captions):
        body = caption[len(_CAPTION_HEAD):-len(_CAPTION_TAIL)]
        parts = body.split("</TR>")
        if (caption.startswith(_CAPTION_HEAD) and caption.endswith(_CAPTION_TAIL) and len(parts) > 1
                and parts[-1] == "" and all(p.startswith("<TR>") and "<TR>" not in p[4:] for p in parts[:-1])):
            rows.update((p + "</TR>", None) for p in parts[:-1])
        else:
            others.append(caption)
    return ([_CAPTION_HEAD + "".join(rows) + _CAPTION_TAIL] if rows else []) + others


_SIZELESS = re.compile(r'(?<= )(?:id|class|tooltip|color|fillcolor|fontcolor|penwidth)="(?:[^"\\]|\\.)*" ?')
_LABEL_COLOUR = re.compile(r' (?:BG)?COLOR="[^"]*"')  # in an HTML-like label (user text has its quotes escaped)
_PENWIDTH = re.compile(r'(?<= )penwidth="([0-9.]+)"')


def _size_key(attrs: str) -> str:
    """A node statement's attributes without those its size does not depend on: its id, class
    and tooltip, its colours and its pen width. (Versions of a node differ mostly in these: the
    step drawn highlights it, greys it out while pending, or colours it by sign.)"""
    return _LABEL_COLOUR.sub("", _SIZELESS.sub("", " " + attrs))


def _pen(attrs: str) -> float:
    """The statement's pen width (1 when not set). Of versions that differ only in it, the one
    with the widest pen is measured: a layout program that counts the pen in a node's size
    (Graphviz does not) makes it the largest."""
    found = _PENWIDTH.search(attrs)
    return float(found.group(1)) if found is not None else 1.0


def pin(source: str, pins: Pins) -> str | None:
    """``source`` with every node and edge statement pinned; ``None`` when a node has no pin."""
    attrs, (x0, y0, x1, y1) = pins
    lines = []
    for line in source.splitlines():
        match = _STATEMENT.match(line)
        if match is not None:
            extra = attrs.get(match.group(3))
            if extra is None and match.group(2) is None:
                return None  # a node the shared layout does not have
            if extra is not None and line.endswith("]"):
                line = f"{line[:-1]} {extra}]"  # last: a pin overrides the statement's own size
        lines.append(line)
    closing = lines.pop()
    for name, x, y in (("gnn_corner_0", x0, y0), ("gnn_corner_1", x1, y1)):
        lines.append(f'  "{name}" [shape="point" style="invis" width="0" height="0" label="" pos="{x:g},{y:g}!"]')
    lines.append(closing)
    return "\n".join(lines) + "\n"
