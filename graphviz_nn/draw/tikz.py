"""A standalone TikZ picture of an evaluated graph at the Graphviz layout positions.

Each graph node becomes one ``\\node`` named by its id (``(n0)``, ``(n1)``, …) at the position
the layout program chose, with LaTeX math labels such as
``$\\frac{\\partial f}{\\partial x} = -4$``. Themes that draw an operation beside a named
result add ``(nK-op)`` nodes. Styles (``var``, ``op``, ``const``, ``named``, ``out``) are
declared once at the top so a course can restyle them.

The file compiles on its own (``pdflatex graph.tex``) and can be ``\\input`` into homework
with ``\\usepackage{standalone}`` in the homework preamble, which skips the inner preamble.
Everything a user typed is escaped: it can never become a TeX command.

>>> latex_name("alpha_1"), latex_name("w_10"), latex_name("loss"), latex_name("yhat")
('\\\\alpha_{1}', 'w_{10}', '\\\\mathrm{loss}', '\\\\hat{y}')
>>> latex_text("50% & {x}")
'50\\\\% \\\\& \\\\{x\\\\}'
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from ..notation import numfmt
from ..notation.numfmt import tensor_latex as _latex_value
from ..notation.symbols import latex_name, latex_op, latex_text
from .dot import RenderOptions, graph_and_trace, output_symbol, to_dot
from .scene import Cell, EdgeLabel, Scene, SceneNode, build_scene

__all__ = ["tikz_document", "placement_dot", "latex_name", "latex_text", "latex_op"]

_ROW_BREAK = r" \\ "

def _node_title(node: SceneNode, digits: int) -> str:
    """The node's title as math: its name, its number (``e`` and ``\\pi`` by name), or its operation."""
    if node.shown:
        return latex_name(str(node.shown))
    if node.kind == "constant":
        value = node.constant
        if node.label == "π":
            return r"\pi"
        if np.ndim(value) == 0 and value is not None:
            return numfmt.latex_number(value, digits) if node.label != "e" else "e"
        return rf"\text{{{latex_text(node.label)}}}"
    return latex_op(node.op)


_PREAMBLE = r"""%% Computation graph drawn by graphviz_nn. Compile with pdflatex, or \input it into a
%% document that loads \usepackage{standalone} (plus amsmath and tikz).
\documentclass[tikz,border=4pt]{standalone}
\usepackage{amsmath,amssymb}
\usetikzlibrary{shapes.geometric,arrows.meta}
\begin{document}
\begin{tikzpicture}[x=1in, y=1in, >={Stealth[length=5pt]}, font=\small,
  every node/.style={align=center, inner sep=2pt},
  var/.style={draw, ellipse, fill=blue!8, thick},
  named/.style={draw, ellipse, fill=yellow!12},
  const/.style={draw, ellipse, dashed, fill=black!5},
  op/.style={draw, rectangle, rounded corners=2pt},
  output/.style={double, very thick},
  pending/.style={draw=black!35, text=black!45, fill=black!3, dashed},
  current/.style={draw=red!80!black, line width=1.6pt},
  chainpath/.style={draw=orange!80!black, line width=1.6pt, dashed},
  blank/.style={font=\bfseries},
  nonfinite/.style={draw=red!80!black, thick},
  positive/.style={fill=green!12},
  negative/.style={fill=red!12},
  waiting/.style={draw=black!35, dashed},
  edgelabel/.style={midway, above, sloped, font=\scriptsize, inner sep=1pt}]"""


def placement_dot(res: Any, options: RenderOptions | None = None) -> str:
    """The DOT whose layout places the TikZ nodes: a steady step is placed where the finished
    drawing puts its nodes, so every step of a pass lands at the same positions."""
    opts = dataclasses.replace(options or RenderOptions(), detail="full")
    _graph, trace = graph_and_trace(res)
    stepping = opts.step is not None
    return to_dot(res, dataclasses.replace(opts, step=len(trace)) if stepping and opts.steady else opts)


Route = tuple[tuple[tuple[float, float], ...], "tuple[float, float] | None"]


def tikz_document(res: Any, options: RenderOptions | None, positions: dict[str, tuple[float, float]],
                  routes: Mapping[str, Route] | None = None) -> str:
    """The standalone ``.tex`` text of the picture's scene (:mod:`~graphviz_nn.draw.scene`, always
    in full detail): one ``\\node`` per graph node at its layout position (``positions``: node
    id -> centre in inches, from laying out :func:`placement_dot`); each edge follows the
    layout's route around the other nodes (``routes``: DOT edge id -> B-spline points in
    inches), or runs straight where no route is given."""
    scene = build_scene(res, dataclasses.replace(options or RenderOptions(), detail="full"))
    opts = scene.ctx.opts
    digits = scene.ctx.digits
    out_sym = latex_name(output_symbol(scene.ctx.graph))
    routes = routes or {}
    lines = [_PREAMBLE]
    unnamed_grads = False
    for node in scene.nodes:
        x, y = positions.get(node.id, (0.0, 0.0))
        rows = [f"${_node_title(node, digits)}$"] if node.titled else []
        if node.shape:
            rows.append(rf"{{\scriptsize ${_latex_shape(node.shape)}$}}")
        if node.value is not None:
            rows.append(f"$= {_cell(node.value, digits)}$")
        if node.grad is not None:
            grad = _cell(node.grad, digits)
            if node.shown:
                rows.append(rf"$\frac{{\partial {out_sym}}}{{\partial {latex_name(str(node.shown))}}} = {grad}$")
            else:  # as the SVG: "∂ = …", read by the legend above the picture
                unnamed_grads = True
                rows.append(rf"$\partial = {grad}$")
        if node.nonfinite:
            rows.append(r"\textbf{nan/inf}")
        if node.summary:
            rows.append(rf"{{\scriptsize {latex_text(node.summary)}}}")
        body = _ROW_BREAK.join(rows) or "{}"
        lines.append(rf"\node[{', '.join(_node_styles(node))}] ({node.id}) at ({x:.3f},{y:.3f}) {{{body}}};")
        if node.aux:
            ox, oy = positions.get(f"{node.id}_op", (0.0, 0.0))
            styles = ["op"] + (["pending"] if node.pending else []) + (["chainpath"] if node.highlighted else [])
            lines.append(rf"\node[{', '.join(styles)}] ({node.id}-op) at ({ox:.3f},{oy:.3f}) {{${latex_op(node.op)}$}};")
            _bent, aux_path = _path(f"{node.id}-op", node.id, routes.get(f"{node.id}_op-{node.id}"), "", "")
            # along the layout's route, as every other edge
            lines.append(rf"\draw[->{', chainpath' if node.path_target else ''}] {aux_path};")
    lines.extend(_edges(scene, routes, _latex_formulas(scene)))
    if unnamed_grads:
        lines.append(rf"\node[anchor=south west, font=\scriptsize] at (current bounding box.north west) "
                     rf"{{$\partial = \partial {out_sym} / \partial\,\text{{node}}$}};")
    if opts.title:
        lines.append(rf"\node[anchor=south west, font=\bfseries] at (current bounding box.north west) "
                     rf"{{{latex_text(opts.title)}}};")
    lines += [r"\end{tikzpicture}", r"\end{document}", ""]
    return "\n".join(lines)


def _latex_shape(shape: tuple[int, ...]) -> str:
    r"""A shape as math: ``(2, 3)`` -> ``2 \times 3``."""
    return r" \times ".join(str(n) for n in shape)


_ROLE_STYLES = {"input": "var", "constant": "const", "named": "named", "op": "op"}


def _node_styles(node: SceneNode) -> list[str]:
    """The TikZ styles of a node: its role, then what marks it (the scene's flags)."""
    return ([_ROLE_STYLES[node.role]] + (["output"] if node.output else [])
            + (["positive"] if node.sign > 0 else ["negative"] if node.sign < 0 else [])
            + (["pending"] if node.pending else []) + (["nonfinite"] if node.nonfinite else [])
            + (["chainpath"] if node.highlighted else []) + (["current"] if node.changed else []))


def _cell(cell: Cell, digits: int) -> str:
    """A value or gradient row's number as math: the number, ``?`` while pending, a worksheet
    blank (an underlined gap and its number), an answer with its number, or a sum of contributions."""
    if cell.kind == "pending":
        return "?"
    if cell.kind == "blank":
        return rf"\underline{{\hspace{{2.5em}}}}\ \mathbf{{({cell.blank})}}"
    if cell.kind == "answer":
        return rf"{_latex_value(cell.value, digits)}\ \mathbf{{({cell.blank})}}"
    if cell.kind == "sum":
        parts = [numfmt.latex_number(p, digits) for p in cell.parts]
        summed = " + ".join(f"({p})" if p.startswith("-") else p for p in parts)
        return f"{summed} = {numfmt.latex_number(cell.value, digits)}"
    return _latex_value(cell.value, digits)


def _path(u: str, target: str, route: Route | None, label: str, bend: str) -> tuple[str, str]:
    """(extra style, path) from ``u`` to ``target``: along the layout's cubic segments where a
    route is known (the ends at the nodes' borders, the label on the middle segment), else a
    straight line (``bend`` for a repeated edge)."""
    points = route[0] if route else ()
    if len(points) < 4 or (len(points) - 1) % 3:
        return bend, f"({u}) to{label} ({target})"
    segments = (len(points) - 1) // 3
    parts = [f"({u})"]
    for i in range(segments):
        c1, c2, end = points[3 * i + 1: 3 * i + 4]
        stop = f"({target})" if i == segments - 1 else f"({end[0]:.3f},{end[1]:.3f})"
        here = label if i == segments // 2 else ""
        parts.append(f" .. controls ({c1[0]:.3f},{c1[1]:.3f}) and ({c2[0]:.3f},{c2[1]:.3f}) ..{here} {stop}")
    return "", "".join(parts)


def _latex_formulas(scene: Scene) -> dict[tuple[str, str, int], str]:
    """The local derivatives as LaTeX, by edge, when the scene writes any formula on an edge."""
    if not any(edge.label is not None and edge.label.formula_text for edge in scene.edges):
        return {}
    from ..explain.chainrule import edge_formulas

    return edge_formulas(scene.ctx.graph)


def _edges(scene: Scene, routes: Mapping[str, Route], formulas: Mapping[tuple[str, str, int], str]) -> list[str]:
    """One ``\\draw`` per scene edge, into the target or its operation node, with its label."""
    lines = []
    digits = scene.ctx.digits
    seen: dict[tuple[str, str], int] = {}
    for edge in scene.edges:
        u, v = edge.source, edge.target
        target = f"{v}-op" if edge.entry != v else v
        count = seen.get((u, v), 0)
        seen[(u, v)] = count + 1
        bend = "" if count == 0 else f", bend {'left' if count % 2 else 'right'}={12 * ((count + 1) // 2)}"
        label = "" if edge.label is None else f" node[edgelabel] {{${_edge_label(edge.label, formulas, digits)}$}}"
        bent, path = _path(u, target, routes.get(f"{u}-{v}-{edge.arg}"), label, bend)
        style = "->" + bent + (", waiting" if edge.pending else "") + (", chainpath" if edge.on_path else "") + (
            ", current" if edge.current else "")
        lines.append(rf"\draw[{style}] {path};")
    return lines


def _edge_label(label: EdgeLabel, formulas: Mapping[tuple[str, str, int], str], digits: int) -> str:
    """An edge's label as math: the local derivative's formula, the term ``up × local = contribution``
    (or ``← contribution``), or the formula and the term."""
    formula = formulas.get(label.key) if label.formula_text else None
    term = label.term
    if term is None:
        return str(formula)
    if term.scalar:
        up, lo, co = (numfmt.latex_number(a, digits) for a in (term.upstream, term.local, term.contribution))
        text = rf"{up} \times {'(' + lo + ')' if lo.startswith('-') else lo} = {co}"
    else:
        text = rf"\leftarrow {_latex_value(term.contribution, digits)}"
    if formula:
        return rf"{formula} \;:\; {text}"
    if term.local is not None and not term.scalar:
        return rf"{_latex_value(term.local, digits)} \;:\; {text}"
    return text
