"""What one drawing is made from: the graph and trace, the step state, and a :class:`DrawContext`.

:func:`draw_context` reads an evaluation (or a bare graph) and :class:`RenderOptions` into the
context every node and edge builder reads: the theme, which step is drawn (or the finished
evaluation), whether the graph is drawn compactly (:func:`is_compact`), and the formulas,
blanks and chain-rule path the options ask for. It also checks that every node and edge the
options name exists. Nothing here writes DOT.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ..core.engine import StepState, state_at
from ..core.graph import node_text
from ..errors import RenderError
from .options import Edge, RenderOptions
from .themes import Theme, get_theme

__all__ = [
    "DrawContext",
    "draw_context",
    "graph_and_trace",
    "step_state",
    "final_state",
    "output_symbol",
    "op_symbol",
    "edge_key",
    "is_compact",
    "node_words",
    "LONG_EDGE_LIMIT",
]

LONG_EDGE_LIMIT = 30
"""Edges from inputs feeding more than 4 operations that make a graph of 100+ nodes draw compactly."""


def graph_and_trace(res: Any) -> tuple[nx.MultiDiGraph, list]:
    """The graph and trace of an evaluation (or a bare graph, which has no trace)."""
    if isinstance(res, nx.Graph):
        return res, []
    graph = getattr(res, "graph", None)
    if not isinstance(graph, nx.Graph):
        raise RenderError("render needs an evaluation result (gnn.evaluate(...)) or its graph")
    return graph, list(getattr(res, "trace", None) or [])


def op_symbol(op: str | None) -> str:
    """The display symbol of a registry op (``"mul"`` -> ``"×"``); unknown ops show their name."""
    from ..ops import OPS

    spec = OPS.get(op or "")
    return spec.symbol if spec is not None else str(op)


def step_state(res: Any, k: int) -> StepState:
    """The state after the first ``k`` trace steps (0 = bare graph, ``len(trace)`` = full backward pass).

    Unlike :func:`graphviz_nn.core.engine.state_at`, which clamps ``k``, an out-of-range step is an error
    here, because a user asked for it by number.
    """
    _, trace = graph_and_trace(res)
    if not trace:
        raise RenderError("this result has no trace to step through")
    if not 0 <= k <= len(trace):
        raise RenderError(f"step {k} is out of range; choose 0 to {len(trace)}")
    return state_at(trace, k)


def final_state(graph: nx.MultiDiGraph) -> StepState:
    """The finished evaluation as a step state: every value, gradient and edge term known."""
    nodes = graph.nodes
    state = StepState(step=len(nodes))
    state.computed = {n for n in nodes if nodes[n].get("value") is not None}
    state.grads = {n: nodes[n]["grad"] for n in nodes if nodes[n].get("grad") is not None}
    state.done_edges = {
        (u, v, int(d.get("arg", k))) for u, v, k, d in graph.edges(keys=True, data=True) if "contribution" in d
    }
    return state


def output_symbol(graph: nx.MultiDiGraph) -> str:
    """What the output is called in ∂out/∂x: its name when it has one, else ``f``."""
    out = graph.graph.get("output")
    if out in graph and graph.nodes[out].get("name"):
        return str(graph.nodes[out].get("label") or graph.nodes[out]["name"])
    return "f"


def edge_key(u: str, v: str, k: int, d: dict) -> Edge:
    """An edge of the graph as ``(source, target, argument position)``, the key options use."""
    return Edge(u, v, int(d.get("arg", k)))


@dataclass(frozen=True)
class DrawContext:
    """Everything the node and edge builders read: graph, options, theme and the state drawn.

    ``stepping`` is true when a trace step is drawn (``state`` is then that step's state);
    ``compact`` selects the large-graph drawing; ``formulas`` holds the local derivatives' plain text
    by edge, ``blanks`` each worksheet blank's number by ``(node, kind)``, and ``path_targets``
    the targets of highlighted edges. ``memo`` keeps what is worked out once for every step
    drawn: how the notes refer to nodes (:func:`~graphviz_nn.notation.formulas.node_ref`) and
    the nodes' order. The contexts of one pass, made from each other with
    :func:`dataclasses.replace`, share it, so a formula is expanded once per pass, not once per
    step.
    """

    graph: nx.MultiDiGraph
    opts: RenderOptions
    theme: Theme
    state: StepState
    stepping: bool
    compact: bool
    total_steps: int
    formulas: dict[Edge, str] = dataclasses.field(default_factory=dict)
    blanks: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)
    path_targets: frozenset[str] = frozenset()
    memo: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def digits(self) -> int:
        """Significant digits written; at most 3 in the compact drawing."""
        return min(self.opts.digits, 3) if self.compact else self.opts.digits


def node_words(ctx: DrawContext, node: str) -> str:
    """``node_text(ctx.graph, node)`` (a node as a user knows it: the tooltips' words), worked
    out once per pass (``ctx.memo``): an unnamed operation's formula is not expanded again at
    every step that redraws it or an edge of it."""
    words = ctx.memo.get(("words", node))
    if words is None:
        words = ctx.memo[("words", node)] = node_text(ctx.graph, node)
    return words


def draw_context(res: Any, opts: RenderOptions) -> DrawContext:
    """The context for drawing ``res`` (an evaluation or a bare graph) with ``opts``.

    Raises :class:`RenderError` for a step out of range, a step asked of a bare graph, or a
    highlighted or blanked node or edge the graph does not have.
    """
    graph, trace = graph_and_trace(res)
    theme = get_theme(opts.theme, opts.background)
    stepping = opts.step is not None
    if stepping:
        state = step_state(res, int(opts.step))  # type: ignore[arg-type]
    else:
        state = final_state(graph)
    compact = is_compact(graph, opts)
    _check_ids(graph, opts)
    formulas: dict[Edge, str] = {}
    if opts.edge_mode in ("formula", "both") and not compact:
        from ..explain.chainrule import edge_formulas

        formulas = edge_formulas(graph, "plain")
    return DrawContext(graph=graph, opts=opts, theme=theme, state=state, stepping=stepping, compact=compact,
                       total_steps=len(trace), formulas=formulas,
                       blanks={(blank.node, blank.kind): blank.number for blank in opts.blanks},
                       path_targets=frozenset(edge.target for edge in opts.highlight_edges))


def is_compact(graph: nx.MultiDiGraph, opts: RenderOptions) -> bool:
    """Whether ``graph`` gets the compact large-graph drawing: asked for, or ``detail="auto"`` and
    the graph has ``large_graph`` nodes or many long edges."""
    return opts.detail == "compact" or (opts.detail == "auto" and (
        graph.number_of_nodes() >= opts.large_graph or _many_long_edges(graph)))


def _many_long_edges(graph: nx.MultiDiGraph) -> bool:
    """True for graphs like an unrolled RNN, whose shared weights feed every layer: ``dot`` needs
    minutes to route those edges across the picture (a 189-node chain timed out at 60 s), while
    the compact drawing lists such inputs inside each box."""
    if graph.number_of_nodes() < 100:
        return False
    fan_out = [graph.out_degree(n) for n, d in graph.nodes(data=True) if d.get("kind") == "input"]
    return sum(f for f in fan_out if f > 4) > LONG_EDGE_LIMIT


def _check_ids(graph: nx.MultiDiGraph, opts: RenderOptions) -> None:
    """Highlighted nodes and edges and blanks must exist in the graph."""
    for node in sorted(opts.highlight_nodes | {blank.node for blank in opts.blanks}):
        if node not in graph:
            raise RenderError(f"unknown node {node!r}; the graph has nodes n0 to n{graph.number_of_nodes() - 1}")
    if opts.highlight_edges:
        edges = {edge_key(u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True)}
        for edge in sorted(opts.highlight_edges - edges):
            raise RenderError(f"unknown edge {tuple(edge)!r}: no edge from {edge.source} to {edge.target} "
                              f"at argument {edge.arg}")
