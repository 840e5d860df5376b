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

import networkx as nx
import numpy as np

from ..notation import numfmt
from ..notation.numfmt import tensor_latex as _latex_value
from ..notation.symbols import latex_name, latex_op, latex_text
from .dot import RenderOptions, final_state, graph_and_trace, output_symbol, step_state, to_dot

__all__ = ["tikz_document", "placement_dot", "latex_name", "latex_text", "latex_op"]

_ROW_BREAK = r" \\ "

def _node_title(data: dict, digits: int) -> str:
    if data.get("name"):
        return latex_name(str(data["name"]))
    if data.get("kind") == "constant":
        label = str(data.get("label", ""))
        if label == "π":
            return r"\pi"
        if np.ndim(data.get("value")) == 0 and data.get("value") is not None:
            return numfmt.latex_number(data["value"], digits) if label != "e" else "e"
        return rf"\text{{{latex_text(label)}}}"
    return latex_op(data.get("op"))


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
    """The standalone ``.tex`` text: one ``\\node`` per graph node at its layout position
    (``positions``: node id -> centre in inches, from laying out :func:`placement_dot`); each
    edge follows the layout's route around the other nodes (``routes``: DOT edge id -> B-spline
    points in inches), or runs straight where no route is given."""
    opts = dataclasses.replace(options or RenderOptions(), detail="full")
    graph, trace = graph_and_trace(res)
    state = step_state(res, opts.step) if opts.step is not None else final_state(graph)
    stepping = opts.step is not None
    digits = opts.digits
    out_sym = output_symbol(graph)
    output = graph.graph.get("output")
    blanks = {(node, kind): number for node, kind, number in opts.blanks}
    lines = [_PREAMBLE]
    unnamed_grads = False
    for node, data in graph.nodes(data=True):
        x, y = positions.get(node, (0.0, 0.0))
        role = {"input": "var", "constant": "const"}.get(str(data.get("kind")), "named" if data.get("name") else "op")
        styles = [role] + (["output"] if node == output else [])
        pending = stepping and node not in state.computed
        if pending:
            styles.append("pending")
        if node in opts.highlight_nodes:
            styles.append("chainpath")
        if stepping and node == state.changed_node:
            styles.append("current")
        has_aux = f"{node}_op" in positions
        rows = [] if has_aux and not data.get("name") else [f"${_node_title(data, digits)}$"]
        if opts.show_values and data.get("value") is not None and data.get("kind") != "constant":
            value = _blank(blanks.get((node, "value")), data["value"], opts) or (
                "?" if pending else _latex_value(data["value"], digits))
            rows.append(f"$= {value}$")
        if opts.show_grads and (data.get("grad") is not None or stepping) and data.get("kind") != "constant":
            grad = _blank(blanks.get((node, "grad")), data.get("grad"), opts) or (
                _latex_value(state.grads[node], digits) if node in state.grads else "?")
            if data.get("name"):
                wrt = latex_name(str(data["name"]))
                rows.append(rf"$\frac{{\partial {latex_name(out_sym)}}}{{\partial {wrt}}} = {grad}$")
            else:  # as the SVG: "∂ = …", read by the legend above the picture
                unnamed_grads = True
                rows.append(rf"$\partial = {grad}$")
        body = _ROW_BREAK.join(rows) or "{}"
        lines.append(rf"\node[{', '.join(styles)}] ({node}) at ({x:.3f},{y:.3f}) {{{body}}};")
        if has_aux:
            ox, oy = positions[f"{node}_op"]
            lines.append(rf"\node[op] ({node}-op) at ({ox:.3f},{oy:.3f}) {{${latex_op(data.get('op'))}$}};")
            _bent, aux_path = _path(f"{node}-op", node, (routes or {}).get(f"{node}_op-{node}"), "", "")
            lines.append(rf"\draw[->] {aux_path};")  # along the layout's route, as every other edge
    lines.extend(_edges(graph, positions, routes or {}, opts, state, stepping))
    if unnamed_grads:
        lines.append(rf"\node[anchor=south west, font=\scriptsize] at (current bounding box.north west) "
                     rf"{{$\partial = \partial {latex_name(out_sym)} / \partial\,\text{{node}}$}};")
    if opts.title:
        lines.append(rf"\node[anchor=south west, font=\bfseries] at (current bounding box.north west) "
                     rf"{{{latex_text(opts.title)}}};")
    lines += [r"\end{tikzpicture}", r"\end{document}", ""]
    return "\n".join(lines)


def _blank(number: int | None, value: Any, opts: RenderOptions) -> str | None:
    """A worksheet blank as math (an underlined gap and its number), or in a key the answer and its number."""
    if number is None:
        return None
    if opts.show_answers:
        return rf"{_latex_value(value, opts.digits)}\ \mathbf{{({number})}}"
    return rf"\underline{{\hspace{{2.5em}}}}\ \mathbf{{({number})}}"


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


def _edges(graph: nx.MultiDiGraph, positions: dict, routes: Mapping[str, Route], opts: RenderOptions, state: Any,
           stepping: bool) -> list[str]:
    lines = []
    mode = opts.edge_mode
    formulas: dict = {}
    if mode in ("formula", "both"):
        from ..explain.chainrule import edge_formulas

        formulas = edge_formulas(graph)
    seen: dict[tuple[str, str], int] = {}
    for u, v, k, d in graph.edges(keys=True, data=True):
        target = f"{v}-op" if f"{v}_op" in positions else v
        count = seen.get((u, v), 0)
        seen[(u, v)] = count + 1
        bend = "" if count == 0 else f", bend {'left' if count % 2 else 'right'}={12 * ((count + 1) // 2)}"
        key = (u, v, int(d.get("arg", k)))
        label = ""
        done = key in state.done_edges and d.get("contribution") is not None
        formula = formulas.get(key, "")
        if formula and (mode == "formula" or (mode == "both" and not done)):
            label = f" node[edgelabel] {{${formula}$}}"
        elif mode in ("value", "both") and done:
            local, contribution = d.get("local"), d["contribution"]
            upstream = graph.nodes[v].get("grad")
            if local is not None and upstream is not None and all(np.ndim(a) == 0 for a in (local, contribution, upstream)):
                up, lo, co = (numfmt.latex_number(a, opts.digits) for a in (upstream, local, contribution))
                term = rf"{up} \times {'(' + lo + ')' if lo.startswith('-') else lo} = {co}"
            else:
                term = rf"\leftarrow {_latex_value(contribution, opts.digits)}"
            if formula:
                term = rf"{formula} \;:\; {term}"
            label = f" node[edgelabel] {{${term}$}}"
        bent, path = _path(u, target, routes.get(f"{u}-{v}-{key[2]}"), label, bend)
        style = "->" + bent + (", chainpath" if key in opts.highlight_edges else "") + (
            ", current" if stepping and state.current_edge is not None and tuple(state.current_edge) == key else "")
        lines.append(rf"\draw[{style}] {path};")
    return lines
