"""What the step player shows, as one JSON-ready dict: the drawing of every step and the words.

:func:`player_data` draws every frame of the pass with the steady layout (every step at the
same positions, :mod:`graphviz_nn.steady`) and packs the frames into one drawing plus what
changes (:mod:`graphviz_nn.export.player.chunks`). Beside the drawing it gathers, per step, the
caption in words and in LaTeX and the node or edge the step works on (the view follows it);
the trace table; and, for every drawn node and edge, what the inspector shows on a click: the
formula with its numbers, value and gradient, each use's contribution (upstream × local), the
fan-out sum, and ∂output/∂node along every path (at most :data:`MAX_PATHS` listed) with the
factors that several paths share marked.

Every string in it is plain text or LaTeX that the page inserts as text or typesets; nothing
in it is markup except the SVG pieces, which the layout program wrote with every label
escaped.
"""

from __future__ import annotations

from typing import Any, Callable

import networkx as nx

from ...draw.context import is_compact
from ...draw.dot import RenderOptions, graph_and_trace
from ...draw.groups import group_nodes
from ...explain.captions import all_captions, format_latex_number, format_number, node_formula, node_ref_text
from ...explain.chainrule import edge_formulas, latex_name, latex_to_text, path_folder
from ...notation.formulas import node_ref, partial
from ...notation.numfmt import format_shape
from .chunks import pack_frames
from .sheets import drawing_pack
from .timeline import add_timeline

__all__ = ["player_data", "drawing_data", "node_info", "edge_info", "trace_rows", "step_focus", "edge_id", "MAX_PATHS", "MAX_FACTORS"]

MAX_PATHS = 8
"""Paths from a node to the output the inspector writes out (a DAG can have very many)."""
MAX_FACTORS = 12
"""Factors of one path the inspector writes out: a longer path shows its first and last six."""


def edge_id(edge: tuple[str, str, int]) -> str:
    """The SVG id of a drawn edge: ``n0-n3-1`` (source, target, argument position)."""
    return f"{edge[0]}-{edge[1]}-{edge[2]}"


def step_focus(res: Any, k: int) -> str | None:
    """The id of what step ``k`` works on: its node (forward, seed) or its edge (backward)."""
    if k <= 0:
        return None
    step = res.trace[k - 1]
    return edge_id(step.edge) if step.edge is not None else str(step.node)


def _drawn_focus(res: Any, k: int, drawn: set[str], rep_of: dict[str, str]) -> str | None:
    """What the view follows at step ``k``: its node or edge, or in the compact drawing the box
    that holds it (the step's node, else the node its edge comes from)."""
    focus = step_focus(res, k)
    if focus is None or focus in drawn:
        return focus
    step = res.trace[k - 1]
    for node in (step.node, step.edge[0] if step.edge else None):
        for shown in (node, rep_of.get(node)):
            if shown in drawn:
                return str(shown)
    return None


def trace_rows(res: Any, digits: int = 4, captions: list | None = None) -> list[list[Any]]:
    """One row per trace step: step, phase, what it works on, the equation, value, gradient
    (``captions``: :func:`all_captions` of ``res``, when the caller has them)."""
    graph = res.graph
    captions = captions if captions is not None else all_captions(res, digits)
    rows = []
    for k, step in enumerate(res.trace, start=1):
        who = str(graph.nodes[step.node].get("label") or step.node)
        if step.edge is not None:
            who = f"{who} → {graph.nodes[step.edge[0]].get('label') or step.edge[0]}"
        if step.phase == "forward":
            value, gradient = format_number(step.value, digits), ""
        else:
            value, gradient = format_number(step.contribution, digits), format_number(step.grad_after, digits)
        rows.append([k, step.phase, who, captions[k].plain, value, gradient])
    return rows


def _label(graph: nx.MultiDiGraph, node: str) -> str:
    return str(graph.nodes[node].get("label") or node)


def _anchor(graph: nx.MultiDiGraph, node: str) -> bool:
    """A node where a chain-rule factor ends: the output, an input or a named result."""
    attrs = graph.nodes[node]
    return node == graph.graph["output"] or attrs["kind"] == "input" or bool(attrs.get("name"))


def _path_factors(graph: nx.MultiDiGraph, edges: list, fold: Callable[[list], list]) -> tuple[list, int]:
    """The factors of a path, output first, and how many were left out of the middle: a path
    of more than :data:`MAX_FACTORS` factors keeps the first and last halves of that many
    (``fold``: :func:`~graphviz_nn.explain.chainrule.path_folder` of the graph)."""
    ends = [i for i, (_, target, _) in enumerate(edges) if _anchor(graph, target)]
    if len(ends) <= MAX_FACTORS:
        return fold(edges), 0
    half = MAX_FACTORS // 2
    near, far = edges[:ends[half - 1] + 1], edges[ends[-half - 1] + 1:]
    return fold(far) + fold(near), len(ends) - 2 * half


def _first_paths(graph: nx.MultiDiGraph, node: str, output: str, limit: int,
                 reach: set[str] | None = None) -> list[list[tuple[str, str, int]]]:
    """The first ``limit`` paths of edges ``(source, target, key)`` from ``node`` to ``output``,
    depth first in the graph's edge order (a DAG: every path is simple). Only nodes from which
    the output can be reached (``reach``, found here when not given) are entered, so each path
    costs its length, however long."""
    if reach is None:
        reach = nx.ancestors(graph, output) | {output}
    found: list[list[tuple[str, str, int]]] = []
    path: list[tuple[str, str, int]] = []
    stack = [iter(graph.out_edges(node, keys=True))]
    while stack and len(found) < limit:
        edge = next(stack[-1], None)
        if edge is None:
            stack.pop()
            if path:
                path.pop()
            continue
        if edge[1] not in reach:
            continue
        path.append(edge)
        if edge[1] == output:
            found.append(list(path))
            path.pop()
        else:
            stack.append(iter(graph.out_edges(edge[1], keys=True)))
    return found


def _chain(graph: nx.MultiDiGraph, node: str, digits: int, reach: set[str] | None = None,
           fold: Callable[[list], list] | None = None) -> dict[str, Any]:
    """∂output/∂node along every path (the first :data:`MAX_PATHS`), factors output first."""
    output = graph.graph["output"]
    if node == output:
        return {"count": 0, "truncated": False, "paths": []}
    found = _first_paths(graph, node, output, MAX_PATHS + 1, reach)
    truncated = len(found) > MAX_PATHS
    fold = fold if fold is not None else path_folder(graph)
    paths = [_path_factors(graph, list(edges), fold) for edges in found[:MAX_PATHS]]
    uses: dict[tuple, int] = {}
    for factors, _ in paths:
        for f in factors:
            uses[f.edges] = uses.get(f.edges, 0) + 1
    out = []
    for edges, (factors, skipped) in zip(found, paths):
        product: Any = 1.0
        for s, t, k in edges:
            local = graph.edges[s, t, k].get("local")
            product = None if product is None or local is None else product * local
        out.append({
            "factors": [{"name": f.name_latex, "formula": f.latex, "text": f.text,
                         "value": None if f.value is None else format_number(f.value, digits),
                         "shared": uses[f.edges] > 1} for f in factors],
            "skipped": skipped,
            "product": None if product is None else format_number(product, digits),
        })
    return {"count": len(found) if not truncated else None, "truncated": truncated, "paths": out}


def _partial(graph: nx.MultiDiGraph, top: str, node: str, digits: int, memo: dict | None) -> str:
    """``∂top/∂node`` in plain text (:func:`~graphviz_nn.notation.formulas.partial_text`), each
    node's name or formula worked out once per ``memo``."""
    return partial(node_ref(graph, top, digits, memo), node_ref(graph, node, digits, memo))[0]


def node_info(res: Any, node: str, digits: int = 4, reach: set[str] | None = None,
              fold: Callable[[list], list] | None = None, memo: dict | None = None) -> dict[str, Any]:
    """What the inspector shows for ``node`` (``reach``: the nodes the output depends on,
    ``fold``: :func:`~graphviz_nn.explain.chainrule.path_folder` of its graph and ``memo``: a
    dict for the names of nodes, when the caller has them: shared by every node, each formula
    is written once)."""
    graph = res.graph
    data = graph.nodes[node]
    output = graph.graph["output"]
    value, grad = data.get("value"), data.get("grad")
    info: dict[str, Any] = {
        "id": node, "label": _label(graph, node), "kind": data.get("kind"), "op": data.get("op"),
        "shape": format_shape(tuple(data.get("shape") or ())),
        "value": None if value is None else format_number(value, digits),
        "grad": None if grad is None else format_number(grad, digits),
        "output": node == output,
        "d": _partial(graph, output, node, digits, memo),
    }
    if data.get("kind") == "op" and value is not None:
        symbolic, numbers = node_formula(graph, node, digits)
        parts = [symbolic.latex, numbers.latex, format_latex_number(value, digits)]
        plain = [symbolic.plain, numbers.plain, format_number(value, digits)]
        if data.get("name"):
            parts.insert(0, _latex_name(graph, node))
            plain.insert(0, _label(graph, node))
        info["formula"] = {"latex": " = ".join(_dedupe(parts)), "plain": " = ".join(_dedupe(plain))}
    uses = []
    for _, target, key, edge in sorted(graph.out_edges(node, keys=True, data=True), key=lambda e: (e[1], e[2])):
        arg = int(edge.get("arg", key))
        local, contribution = edge.get("local"), edge.get("contribution")
        upstream = graph.nodes[target].get("grad")
        uses.append({
            "edge": edge_id((node, target, arg)), "to": _label(graph, target),
            "upstream_name": _partial(graph, output, target, digits, memo),
            "local_name": _partial(graph, target, node, digits, memo),
            "upstream": None if upstream is None else format_number(upstream, digits),
            "local": None if local is None else format_number(local, digits),
            "contribution": None if contribution is None else format_number(contribution, digits),
        })
    info["uses"] = uses
    if len(uses) > 1 and grad is not None:
        info["sum"] = " + ".join(_bracket_negative(u["contribution"] or "?") for u in uses) \
            + f" = {format_number(grad, digits)}"
    info["chain"] = _chain(graph, node, digits, reach, fold)
    return info


def edge_info(res: Any, edge: tuple[str, str, int], formulas: dict, digits: int = 4,
              memo: dict | None = None) -> dict[str, Any]:
    """What the inspector shows for the edge ``(source, target, arg)`` (``memo`` as for
    :func:`node_info`)."""
    graph = res.graph
    source, target, arg = edge
    data = next((d for _, t, d in graph.out_edges(source, data=True) if t == target and d.get("arg") == arg), {})
    local, contribution = data.get("local"), data.get("contribution")
    upstream = graph.nodes[target].get("grad")
    formula = formulas.get(edge)
    return {
        "id": edge_id(edge), "from": _label(graph, source), "to": _label(graph, target),
        "source": source, "target": target,
        "local_name": _partial(graph, target, source, digits, memo),
        "upstream_name": _partial(graph, graph.graph["output"], target, digits, memo),
        "formula": formula, "formula_text": latex_to_text(formula) if formula else None,
        "local": None if local is None else format_number(local, digits),
        "upstream": None if upstream is None else format_number(upstream, digits),
        "contribution": None if contribution is None else format_number(contribution, digits),
    }


def _latex_name(graph: nx.MultiDiGraph, node: str) -> str:
    return latex_name(str(graph.nodes[node]["name"]))


def _dedupe(parts: list[str]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if not out or out[-1] != part:
            out.append(part)
    return out


def _bracket_negative(text: str) -> str:
    return f"({text})" if text.startswith("−") else text


def player_data(res: Any, options: RenderOptions | None = None) -> dict[str, Any]:
    """Everything the player page needs for ``res`` drawn with ``options`` (its ``step`` is
    ignored: every step is drawn, :func:`~graphviz_nn.export.player.sheets.drawing_pack`).
    Raises :class:`~graphviz_nn.errors.LimitError` past the player's budget
    (:data:`~graphviz_nn.export.player.sheets.MAX_STEPS`, :data:`~graphviz_nn.export.player.sheets.MAX_DRAWN`)
    and :class:`~graphviz_nn.errors.RenderError` without a layout program."""
    opts = options if options is not None else RenderOptions()
    graph, trace = graph_and_trace(res)
    digits = opts.digits
    drawing = drawing_pack(res, opts)
    drawn = set(drawing["keys"])
    memo: dict = {}  # the node references of the captions and the inspector, each worked out once
    captions = all_captions(res, digits, memo)
    rep_of = group_nodes(graph).rep_of if is_compact(graph, opts) else {}
    steps = [{"title": c.title, "words": c.words, "latex": c.latex, "plain": c.plain, "phase": c.phase,
              "focus": _drawn_focus(res, k, drawn, rep_of)} for k, c in enumerate(captions)]
    reach = nx.ancestors(graph, graph.graph["output"]) | {graph.graph["output"]}
    fold = path_folder(graph)
    nodes = {n: node_info(res, n, digits, reach, fold, memo) for n in graph.nodes if n in drawn or f"{n}_op" in drawn}
    formulas = edge_formulas(graph)
    edges = {}
    for u, v, key, d in graph.edges(keys=True, data=True):
        edge = (u, v, int(d.get("arg", key)))
        if edge_id(edge) in drawn:
            edges[edge_id(edge)] = edge_info(res, edge, formulas, digits, memo)
    add_timeline(res, nodes, edges, digits)
    output = graph.graph["output"]
    return {
        "format": 2,
        "title": opts.title or str(getattr(res, "reading", "") or ""),
        "output": node_ref_text(graph, output, digits),
        "value": format_number(graph.nodes[output]["value"], digits),
        "n": len(trace),
        "forward": sum(1 for s in trace if s.phase == "forward"),
        "dark": opts.background == "dark",
        "rankdir": opts.rankdir,
        "drawing": drawing,
        "steps": steps,
        "rows": trace_rows(res, digits, captions),
        "nodes": nodes,
        "edges": edges,
    }


def drawing_data(svg: str, title: str = "", dark: bool = False) -> dict[str, Any]:
    """One drawing without steps (the neuron view) for the player's page: fit, zoom and pan."""
    return {
        "format": 1, "title": title, "output": "", "value": "", "n": 0, "forward": 0, "dark": dark,
        "rankdir": "LR", "drawing": pack_frames([svg]),
        "steps": [{"title": title or "the drawing", "words": "", "latex": "", "plain": "", "phase": "start",
                   "focus": None}],
        "rows": [], "nodes": {}, "edges": {},
    }
