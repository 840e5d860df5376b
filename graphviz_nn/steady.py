"""One layout for every step: a step is drawn at the positions of the finished graph.

Graphviz lays out each picture on its own, and a step's labels differ from the next step's
(values appear, edge terms appear), so stepping through a pass would make the drawing jump.
:func:`step_source` lays out the finished state once (``-Tjson``, cached), then pins every
node of the step's DOT to its place and size there (``pos="x,y!"``, ``fixedsize``), gives
every edge its routed spline and label position, marks the corners of the finished drawing
with two invisible points, and has the layout program only draw it (``-Kneato -n2``). The
result: every frame the same size, every node and edge in the same place. Works with ``dot``
and ``graphviz-pure``.

Turn it off with ``RenderOptions(steady=False)``; a step whose DOT has a node the finished
drawing lacks is laid out on its own.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from typing import Any

from . import layout
from .errors import RenderError
from .render import RenderOptions, graph_and_trace, to_dot

__all__ = ["PIN_ARGS", "step_source", "pin"]

PIN_ARGS = ("-Kneato", "-n2")
_ROOM = 4.0  # points of margin around the pinned drawing
"""Layout arguments that draw a pinned DOT as it is (no layout of its own)."""

_STATEMENT = re.compile(r'(\s+"(?:[^"\\]|\\.)*"( -> "(?:[^"\\]|\\.)*")? \[)id="((?:[^"\\]|\\.)*)"')

Pins = tuple[dict[str, str], tuple[float, float, float, float]]
"""Extra DOT attributes per statement id, and the corners of the drawing without its title."""


def step_source(res: Any, opts: RenderOptions) -> tuple[str, tuple[str, ...]]:
    """The DOT source of the picture ``opts`` asks for, and the layout arguments it needs:
    a step with ``opts.steady`` comes pinned to the finished drawing, with :data:`PIN_ARGS`."""
    source = to_dot(res, opts)
    if opts.step is None or not opts.steady:
        return source, ()
    _, trace = graph_and_trace(res)
    final = to_dot(res, dataclasses.replace(opts, step=len(trace)))
    program = layout.find_program(opts.layout_program)
    pinned = pin(source, _pins(final, program, opts.timeout))
    return (pinned, PIN_ARGS) if pinned is not None else (source, ())


@functools.lru_cache(maxsize=32)
def _pins(final_source: str, program: layout.LayoutProgram, timeout: float) -> Pins:
    """Positions of the finished drawing (laid out once per DOT text and program)."""
    drawing = json.loads(layout.run_layout(final_source, "json", program, timeout))
    attrs: dict[str, str] = {}
    for obj in drawing.get("objects", []):
        if "pos" in obj and "id" in obj:
            attrs[obj["id"]] = f'pos="{obj["pos"]}!"'
            if obj.get("shape") not in ("plain", "none", "plaintext"):  # those take their label's size
                # The reported size includes extra outlines (an output's double ring); a fixed size does not.
                rings = max(0, int(obj.get("peripheries", "1")) - 1) * 8 / 72
                width, height = float(obj["width"]) - rings, float(obj["height"]) - rings
                attrs[obj["id"]] += f' width="{width:.4f}" height="{height:.4f}" fixedsize="true"'

    for edge in drawing.get("edges", []):
        if "pos" in edge and "id" in edge:
            attrs[edge["id"]] = f'pos="{edge["pos"]}"' + (f' lp="{edge["lp"]}"' if "lp" in edge else "")
    try:
        x0, y0, x1, y1 = (float(v) for v in drawing["bb"].split(","))
    except (KeyError, ValueError) as exc:
        raise RenderError(f"{program.name} gave a drawing without a bounding box") from exc
    y1 -= float(drawing.get("lheight", 0.0)) * 72  # the title goes above, as in the finished drawing
    # A little room all round: a step's thicker outline (the current node) must not grow the box.
    return attrs, (x0 - _ROOM, y0 - _ROOM, x1 + _ROOM, y1 + _ROOM)


def pin(source: str, pins: Pins) -> str | None:
    """``source`` with every node and edge statement pinned; ``None`` when a node has no pin."""
    attrs, (x0, y0, x1, y1) = pins
    lines = []
    for line in source.splitlines():
        match = _STATEMENT.match(line)
        if match is not None:
            extra = attrs.get(match.group(3))
            if extra is None and match.group(2) is None:
                return None  # a node the finished drawing does not have
            if extra is not None and line.endswith("]"):
                line = f"{line[:-1]} {extra}]"  # last: a pin overrides the statement's own size
        lines.append(line)
    closing = lines.pop()
    for name, x, y in (("gnn_corner_0", x0, y0), ("gnn_corner_1", x1, y1)):
        lines.append(f'  "{name}" [shape="point" style="invis" width="0" height="0" label="" pos="{x:g},{y:g}!"]')
    lines.append(closing)
    return "\n".join(lines) + "\n"
