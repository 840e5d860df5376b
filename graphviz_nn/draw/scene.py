"""The scene of one picture: what every node and edge shows, decided once.

A :class:`Scene` holds, for an evaluation drawn with :class:`RenderOptions` at one step, every
node with its role, title, rows (shape, value, gradient: a number, ``?`` while pending, a
worksheet blank or its answer, or a gradient written as the sum of its contributions),
highlights and warnings, and every edge with its state and the chain-rule term it carries
(local derivative formula, ``upstream × local = contribution``). Nothing here writes DOT or
TikZ: :mod:`~graphviz_nn.draw.dot` (with :mod:`~graphviz_nn.draw.nodes`,
:mod:`~graphviz_nn.draw.edges` and :mod:`~graphviz_nn.draw.groups`) and
:mod:`~graphviz_nn.draw.tikz` only spell what the scene says.

>>> import graphviz_nn as gnn
>>> scene = build_scene(gnn.evaluate("a = x*y; a + x", {"x": 2, "y": 3}), RenderOptions(edge_text="value"))
>>> [(n.id, n.role, n.value.value) for n in scene.nodes]
[('n0', 'input', 2.0), ('n1', 'input', 3.0), ('n2', 'named', 6.0), ('n3', 'op', 8.0)]
>>> [(e.source, e.target, e.label.term.contribution) for e in scene.edges]
[('n0', 'n2', 3.0), ('n0', 'n3', 1.0), ('n1', 'n2', 2.0), ('n2', 'n3', 1.0)]
>>> scene.nodes[0].grad.kind, scene.nodes[0].grad.parts
('sum', (3.0, 1.0))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from ..core.engine import StepState
from ..notation import numfmt
from ..notation.symbols import plain_name
from .context import DrawContext, draw_context, edge_key, output_symbol
from .groups import Grouping, group_nodes
from .options import Edge, RenderOptions
from .themes import Theme

__all__ = ["Cell", "SceneNode", "EdgeTerm", "EdgeLabel", "SceneEdge", "Scene", "build_scene", "scene_node",
           "scene_edges", "scene_notes", "has_aux", "FORMULA_MAX", "context_scene"]

#: Longest formula written on an edge (as plain text); longer ones are left to the chain-rule panels.
FORMULA_MAX = 40


@dataclass(frozen=True)
class Cell:
    """What a value or gradient row shows.

    ``kind`` is ``number`` (``value``), ``pending`` (``?``: not computed yet), ``blank`` (a
    worksheet gap numbered ``blank``), ``answer`` (``value`` beside its blank number) or
    ``sum`` (a gradient ``value`` written as the sum of ``parts``, the contributions of the
    node's uses).
    """

    kind: str
    value: Any = None
    blank: int | None = None
    parts: tuple[Any, ...] = ()


@dataclass(frozen=True)
class SceneNode:
    """One graph node as drawn.

    ``role`` is ``input``, ``constant``, ``named`` or ``op``; ``titled`` is false where the
    operation is drawn apart in its own node (``aux``: ``nK_op``), so the node itself holds only
    numbers. ``pending`` (not computed at the step drawn), ``highlighted`` (on a chain-rule
    path), ``changed`` (what the step drawn changed), ``nonfinite`` (shows nan or inf), ``sign``
    (+1 or -1 when every gradient entry has that sign and colouring by sign is on, else 0) and
    ``path_target`` (a highlighted edge enters it) say how it is marked. ``constant`` is a
    constant's value (what its title spells), ``summary`` what a compact box stands for.
    ``shown`` is the name its title spells (a display name given for the variable, else the
    variable's own name; ``None`` for constants and operations).
    """

    id: str
    role: str
    kind: str
    name: str | None
    label: str
    op: str | None
    titled: bool
    output: bool
    aux: bool
    pending: bool
    highlighted: bool
    changed: bool
    nonfinite: bool
    sign: int
    path_target: bool
    shape: tuple[int, ...]
    value: Cell | None
    grad: Cell | None
    constant: Any = None
    summary: str = ""
    shown: str | None = None

    @property
    def classes(self) -> tuple[str, ...]:
        """The node's classes in the drawing: its role, then ``output``, ``nonfinite``, ``path``."""
        return (self.role,) + (("output",) if self.output else ()) + (("nonfinite",) if self.nonfinite else ()) \
            + (("path",) if self.highlighted else ())


@dataclass(frozen=True)
class EdgeTerm:
    """The chain-rule term that flowed back along an edge: ``upstream × local = contribution``
    (``scalar``: all three are numbers, written as that product; else only the contribution,
    with the local derivative's value when known)."""

    local: Any
    upstream: Any
    contribution: Any
    scalar: bool


@dataclass(frozen=True)
class EdgeLabel:
    """What the label of edge ``key`` writes: the local derivative's formula (as plain text;
    ``None`` when not written, and then no other form writes it either) and the term once it
    has flowed (``None`` before)."""

    key: Edge
    formula_text: str | None
    term: EdgeTerm | None


@dataclass(frozen=True)
class SceneEdge:
    """One graph edge as drawn: from ``source`` into ``entry`` (the target itself, or its
    operation node ``target_op``); ``current`` (the step drawn works on it), ``on_path``
    (highlighted), ``pending`` (its source is not computed yet) and its label."""

    source: str
    target: str
    arg: int
    entry: str
    current: bool
    on_path: bool
    pending: bool
    label: EdgeLabel | None


@dataclass(frozen=True)
class Scene:
    """One picture: the context it was decided in, its nodes and edges, the compact drawing's
    boxes (``grouping``; then ``nodes`` are the drawn boxes' nodes and ``edges`` is empty) and
    the notes written under the title."""

    ctx: DrawContext
    nodes: tuple[SceneNode, ...]
    edges: tuple[SceneEdge, ...]
    grouping: Grouping | None
    notes: tuple[str, ...]

    @property
    def theme(self) -> Theme:
        """The theme the picture is drawn in."""
        return self.ctx.theme


def build_scene(res: Any, opts: RenderOptions) -> Scene:
    """The scene of ``res`` (an evaluation or a bare graph) drawn with ``opts``."""
    return context_scene(draw_context(res, opts))


def context_scene(ctx: DrawContext) -> Scene:
    """The scene drawn in the context ``ctx`` (:func:`~graphviz_nn.draw.context.draw_context`)."""
    graph = ctx.graph
    grouping = group_nodes(graph) if ctx.compact else None
    if grouping is None:
        nodes = tuple(scene_node(node, ctx) for node in graph.nodes)
        edges = tuple(scene_edges(ctx))
    else:  # one box per cluster: only the boxes' own nodes are drawn, with what they stand for
        summaries = {g.rep: g.summary for g in grouping.groups}
        nodes = tuple(scene_node(node, ctx, summaries.get(node, "")) for node in graph.nodes
                      if grouping.rep_of.get(node) == node)
        edges = ()
    return Scene(ctx=ctx, nodes=nodes, edges=edges, grouping=grouping, notes=tuple(scene_notes(ctx, grouping)))


def has_aux(data: dict, theme: Theme, compact: bool = False) -> bool:
    """Whether an op node gets a separate operation node (``nK_op``) in this theme; never when compact."""
    if data.get("kind") != "op" or compact:
        return False
    return theme.aux_ops == "all" or (theme.aux_ops == "named" and bool(data.get("name")))


def role_of(data: dict) -> str:
    """Which style a node takes: ``input``, ``constant``, ``named`` or ``op``."""
    if data.get("kind") == "input":
        return "input"
    if data.get("kind") == "constant":
        return "constant"
    return "named" if data.get("name") else "op"


def scene_node(node: str, ctx: DrawContext, summary: str = "") -> SceneNode:
    """How ``node`` is drawn in the context ``ctx`` (``summary``: what a compact box stands for)."""
    data = ctx.graph.nodes[node]
    opts, state = ctx.opts, ctx.state
    aux = has_aux(data, ctx.theme, ctx.compact)
    pending = ctx.stepping and node not in state.computed
    value = None
    if opts.show_values and data.get("value") is not None and not _label_is_value(data, ctx.digits):
        value = _blank(node, "value", ctx) or (Cell("pending") if pending else Cell("number", data["value"]))
    grad = None
    # an evaluated node without a gradient (a constant) has no gradient row, pending or not
    if opts.show_grads and (data.get("grad") is not None or (ctx.stepping and data.get("value") is None)):
        grad = _blank(node, "grad", ctx) or _grad_cell(node, ctx)
    return SceneNode(
        id=node, role=role_of(data), kind=str(data.get("kind", "")), name=data.get("name"),
        label=str(data.get("label", node)), op=data.get("op"), titled=not (aux and not data.get("name")),
        output=node == ctx.graph.graph.get("output"), aux=aux, pending=pending,
        highlighted=node in opts.highlight_nodes, changed=ctx.stepping and node == state.changed_node,
        nonfinite=_nonfinite(node, ctx), sign=_sign(node, ctx), path_target=node in ctx.path_targets,
        shape=tuple(data.get("shape") or ()), value=value, grad=grad,
        constant=data.get("value") if data.get("kind") == "constant" else None, summary=summary,
        shown=_shown(data))


def _shown(data: dict) -> str | None:
    """The name a node's title spells: its display name, else its variable name; ``None`` for
    constants and operations, and where a caller gave the node a label of its own."""
    shown = data.get("shown") or data.get("name")
    if shown is None or str(data.get("label")) != plain_name(str(shown)):
        return None
    return str(shown)


def scene_edges(ctx: DrawContext) -> list[SceneEdge]:
    """Every graph edge as drawn in ``ctx``, in the graph's edge order. An edge into ``v`` enters
    ``v`` itself, or its operation node ``v_op`` where the theme draws one."""
    graph, state = ctx.graph, ctx.state
    entry = {v: (v + "_op" if has_aux(d, ctx.theme) else v) for v, d in graph.nodes(data=True)}
    current = state.current_edge if ctx.stepping else None
    mode = ctx.opts.edge_mode
    edges = []
    for u, v, k, d in graph.edges(keys=True, data=True):
        key = edge_key(u, v, k, d)
        is_current = current is not None and tuple(current) == key
        label = None
        if mode is not None and not ctx.compact:
            label = _edge_label(key, d, ctx, "both" if is_current and mode == "formula" else mode)
        elif is_current:
            label = _edge_label(key, d, ctx, "value")
        edges.append(SceneEdge(source=u, target=v, arg=key.arg, entry=entry[v], current=is_current,
                               on_path=key in ctx.opts.highlight_edges,
                               pending=ctx.stepping and u not in state.computed, label=label))
    return edges


def scene_notes(ctx: DrawContext, grouping: Grouping | None) -> list[str]:
    """Lines under the title: what a step did, what was collapsed, the gradient legend."""
    notes = []
    graph = ctx.graph
    if ctx.stepping:
        notes.append(_describe_step(ctx.state, ctx.total_steps, graph, ctx.digits, ctx.memo))
    if grouping is not None:
        notes.extend(grouping.notes)
    if ctx.opts.show_grads and not ctx.theme.records:
        notes.append(f"{ctx.theme.grad_prefix.strip()} ∂{output_symbol(graph)}/∂node")
    return notes


def _describe_step(state: StepState, total: int, graph: nx.MultiDiGraph, digits: int, memo: dict | None = None) -> str:
    """What a step did, in words: ``step 3 of 10 (backward): a → x adds 2`` (``memo``: the node
    references already worked out)."""
    head = f"step {state.step} of {total}"
    step = state.current
    if step is None:
        return head + ": the bare graph"
    from ..explain.captions import backward_arrow, node_ref_text

    if step.phase == "forward":
        label = node_ref_text(graph, step.node, digits, memo)
        return f"{head} (forward): {label} = {numfmt.format_tensor(step.value, digits).one_line()}"
    if step.edge is None:
        label = node_ref_text(graph, step.node, digits, memo)
        return f"{head} (backward): seed ∂{label}/∂{label} = 1"
    flowed = numfmt.format_tensor(step.contribution, digits)
    flowed_text = flowed.one_line() if flowed.scalar is not None or flowed.grid is not None else flowed.shape_text
    return f"{head} (backward): {backward_arrow(graph, step.edge, digits, memo)} adds {flowed_text}"


def _label_is_value(data: dict, digits: int) -> bool:
    """A constant labelled by its own value (``2``) needs no ``= 2`` row."""
    if data.get("kind") != "constant" or np.ndim(data.get("value")) != 0:
        return False
    return str(data.get("label")) == numfmt.format_number(data["value"], digits)


def _blank(node: str, kind: str, ctx: DrawContext) -> Cell | None:
    """A worksheet blank, or in an answer key the number beside its blank number."""
    number = ctx.blanks.get((node, kind))
    if number is None:
        return None
    if ctx.opts.show_answers:
        return Cell("answer", ctx.graph.nodes[node].get("grad" if kind == "grad" else "value"), number)
    return Cell("blank", blank=number)


def _grad_cell(node: str, ctx: DrawContext) -> Cell:
    """The gradient row; where a value feeds several nodes and edges show values, the sum of
    the contributions that have flowed back."""
    state = ctx.state
    if node not in state.grads:
        return Cell("pending")
    grad = state.grads[node]
    outs = ctx.memo.get(("outs", node))  # the graph's edges: the same at every step of a pass
    if outs is None:
        order = ctx.memo.get(("order", ctx.graph))
        if order is None:
            order = ctx.memo[("order", ctx.graph)] = {n: i for i, n in enumerate(ctx.graph.nodes)}
        outs = ctx.memo[("outs", node)] = _out_edges(ctx.graph, node, order)
    if ctx.opts.edge_mode in ("value", "both") and len(outs) > 1 and np.ndim(grad) == 0 and not ctx.compact:
        parts = tuple(d["contribution"] for u, v, k, d in outs
                      if edge_key(u, v, k, d) in state.done_edges and d.get("contribution") is not None)
        if len(parts) > 1:
            return Cell("sum", grad, parts=parts)
    return Cell("number", grad)


def _out_edges(graph: nx.MultiDiGraph, node: str, order: dict[str, int]) -> list[tuple[str, str, int, dict]]:
    """Edges out of ``node`` in the order their targets were made (``order``: each node's
    place in the graph), then by argument position."""
    edges = [(u, v, k, d) for u, v, k, d in graph.out_edges(node, keys=True, data=True)]
    return sorted(edges, key=lambda e: (order[e[1]], e[2]))


def _nonfinite(node: str, ctx: DrawContext) -> bool:
    """Whether the node shows a nan or inf (at the step drawn, when stepping)."""
    data = ctx.graph.nodes[node]
    if not ctx.stepping:
        return bool(data.get("nonfinite"))
    shown = []
    if node in ctx.state.computed and data.get("value") is not None:
        shown.append(data["value"])
    if node in ctx.state.grads:
        shown.append(ctx.state.grads[node])
    return any(not numfmt.is_finite(v) for v in shown)


def _sign(node: str, ctx: DrawContext) -> int:
    """+1 or -1 when colouring by sign and every entry of the node's gradient has that sign."""
    if not ctx.opts.color_by_sign or node not in ctx.state.grads or (ctx.stepping and node not in ctx.state.computed):
        return 0
    grad = np.asarray(ctx.state.grads[node], dtype=float)
    if grad.size and np.all(grad > 0):
        return 1
    if grad.size and np.all(grad < 0):
        return -1
    return 0


def _formula(key: Edge, ctx: DrawContext) -> str | None:
    """The local derivative's formula as plain text (``a1``, ``1[z1 > 0]``), or ``None`` when
    there is none or it is too long for an edge."""
    text = ctx.formulas.get(key)
    if not text:
        return None
    if text.startswith("-"):
        text = numfmt.MINUS + text[1:]
    return text if len(text) <= FORMULA_MAX else None


def _edge_label(key: Edge, d: dict, ctx: DrawContext, mode: str) -> EdgeLabel | None:
    """What the edge ``key`` writes in ``mode``: ``formula`` writes the local derivative
    symbolically at every step; ``value`` the term once it has flowed; ``both`` the formula
    until then, and both after."""
    text = _formula(key, ctx) if mode in ("formula", "both") else None
    done = key in ctx.state.done_edges and d.get("contribution") is not None
    if mode == "formula" or (mode == "both" and not done):
        return EdgeLabel(key, text, None) if text else None
    if not done:
        return None
    local, contribution = d.get("local"), d["contribution"]
    upstream = ctx.graph.nodes[key.target].get("grad")
    scalar = (local is not None and upstream is not None
              and all(np.ndim(a) == 0 for a in (local, contribution, upstream)))
    return EdgeLabel(key, text, EdgeTerm(local, upstream, contribution, scalar))
