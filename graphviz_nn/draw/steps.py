"""What each step of a pass changes in the drawing: the DOT statements it redraws, without
writing every step whole.

:func:`step_changes` walks the trace once and yields, for every step ``k = 0 … len(trace)``,
the node and edge statements of :func:`~graphviz_nn.draw.dot.to_dot` at step ``k`` that may
differ from step ``k - 1`` (all of them at step 0): the nodes the step and the one before touch,
the edges out of a node just computed (no longer pending) and the edge a backward step works
on and the one before (highlighted, then done with its term). At the last step every statement
is written again (that drawing is written whole anyway: the steady layout lays it out). Each
step comes with its caption (the title and the notes above the drawing, the first of which
says what the step did).

>>> import graphviz_nn as gnn
>>> res = gnn.evaluate("x*y", {"x": 2, "y": 3})
>>> [len(lines) for _, lines, _ in step_changes(res, RenderOptions())]
[5, 2, 4, 3, 1, 3, 5]
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Collection, Iterator

import networkx as nx

from ..core.engine import StepState, advance
from .context import DrawContext, draw_context, graph_and_trace
from .dot import caption_label, plan_rows, scene_dot, to_dot
from .edges import edge_lines
from .scene import Cell, SceneEdge, SceneNode, context_scene, scene_edges, scene_node, scene_notes
from .groups import group_nodes
from .nodes import node_lines
from .options import RenderOptions

__all__ = ["step_changes", "statement_lines"]

_ID = re.compile(r' \[id="((?:[^"\\]|\\.)*)"')


def statement_lines(source: str) -> list[str]:
    """The node and edge statements of a DOT text written by :func:`to_dot` (every line that
    sets an ``id``), in order."""
    return [line for line in source.splitlines() if line.startswith("  \"") and ' [id="' in line]


def step_changes(res: Any, options: RenderOptions, step_line: bool = True,
                 whole: dict[int, str] | None = None,
                 wanted: Collection[int] = ()) -> Iterator[tuple[int, list[str], str | None]]:
    """``(k, statements, caption)`` for ``k = 0 … len(trace)``: the statements of step ``k``
    that may differ from step ``k - 1`` (every one at step 0 and at the last step)
    and the caption of step ``k`` (its ``label=<…>``, ``None`` without title and notes), which
    without ``step_line`` leaves out the note that says what the step did (then every step has
    the same caption). ``whole``, when given, holds :func:`to_dot` of some steps with these
    options: those are read from it, and the ones written here are added to it. The whole
    drawings of the steps ``wanted`` are put there too, made from step 0's and the changes
    (:class:`_Assembly`) rather than written again."""
    whole = {} if whole is None else whole

    def source(k: int) -> str:
        if k not in whole:  # step 0 in the pass's context: what it works out serves the walk
            whole[k] = scene_dot(context_scene(base)) if k == 0 else to_dot(res, dataclasses.replace(options, step=k))
        return whole[k]

    graph, trace = graph_and_trace(res)
    n = len(trace)
    base = draw_context(res, dataclasses.replace(options, step=0))
    compact = base.compact
    grouping = group_nodes(graph) if compact else None
    if grouping is None:
        drawn = {node: "" for node in graph.nodes}
    else:  # one box per named result: only the boxes' own nodes carry numbers
        summaries = {g.rep: g.summary for g in grouping.groups}
        drawn = {node: summaries.get(node, "") for node in graph.nodes if grouping.rep_of.get(node) == node}
    plan = None
    caption: str | None = None
    written: dict[Any, tuple[Any, list[str]]] = {}  # by node, and by edge: its scene and its lines
    state = StepState(0)
    everything = statement_lines(source(0))
    assembly = _Assembly(whole[0]) if any(0 < k < n and k not in whole for k in wanted) else None
    for k in range(n + 1):
        if k > 0:
            state = advance(StepState(k, state.computed, state.grads, state.done_edges), trace[k - 1], k)
        ctx = _at_state(base, state)
        if step_line or k == 0 or (assembly is not None and k in wanted):
            notes = scene_notes(ctx, grouping)
            caption = caption_label(options.title, notes if step_line else notes[1:], ctx.theme)
        if k in (0, n):
            if k == 0 and assembly is not None:
                assembly.start(caption if step_line else caption_label(options.title, notes, ctx.theme))
            yield k, everything if k == 0 else statement_lines(source(k)), caption
            continue
        recent = trace[max(0, k - 2):k]
        touched = sorted({node for step in recent for node in (step.node, *(step.edge[:2] if step.edge else ()))})
        lines = [line for node in touched if node in drawn
                 for line in _redrawn(scene_node(node, ctx, drawn[node]), ctx, written)]
        if grouping is None:
            edges = _touched_edges(ctx, recent)
            if edges:
                seen = dataclasses.replace(ctx, graph=_EdgesOf(graph, edges))  # type: ignore[arg-type]
                lines.extend(line for edge in scene_edges(seen) for line in _redrawn_edge(edge, ctx, written))
            if plan is None:
                plan = plan_rows(everything, options, base.theme) or False
            if plan:
                lines = [plan.mark(line) for line in lines]
        if assembly is not None:
            assembly.update(lines)
            if k in wanted and k not in whole:
                made = assembly.text(caption if step_line else caption_label(options.title, notes, ctx.theme))
                whole[k] = made if made is not None else to_dot(res, dataclasses.replace(options, step=k))
        yield k, lines, caption


def _redrawn(node: SceneNode, ctx: DrawContext, written: dict[Any, tuple[Any, list[str]]]) -> list[str]:
    """``node_lines(node, ctx)``; the lines written for the node before when it is drawn the
    same (a node is redrawn at its step and the next, and many times in the backward pass,
    often unchanged). Within a pass a node's statements depend on its scene only."""
    before = written.get(node.id)
    if before is not None and _same_scene(before[0], node):
        return before[1]
    lines = node_lines(node, ctx)
    written[node.id] = (node, lines)
    return lines


def _redrawn_edge(edge: SceneEdge, ctx: DrawContext, written: dict[Any, tuple[Any, list[str]]]) -> list[str]:
    """``edge_lines([edge], ctx)``, or the lines written for the edge before when it is drawn
    the same (as :func:`_redrawn` for nodes)."""
    key = (edge.source, edge.target, edge.arg)
    before = written.get(key)
    if before is not None and _same_edge(before[0], edge):
        return before[1]
    lines = edge_lines([edge], ctx)
    written[key] = (edge, lines)
    return lines


def _same_edge(a: SceneEdge, b: SceneEdge) -> bool:
    """Whether two scenes of an edge are the same, their numbers the same objects."""
    if (a.source, a.target, a.arg, a.entry, a.current, a.on_path, a.pending) != \
            (b.source, b.target, b.arg, b.entry, b.current, b.on_path, b.pending):
        return False
    x, y = a.label, b.label
    if x is None or y is None:
        return x is y
    if x.key != y.key or x.formula_text != y.formula_text:
        return False
    s, t = x.term, y.term
    if s is None or t is None:
        return s is t
    return s.local is t.local and s.upstream is t.upstream and s.contribution is t.contribution and s.scalar == t.scalar


def _same_scene(a: SceneNode, b: SceneNode) -> bool:
    """Whether two scenes of a node are the same, their numbers the same objects (numbers that
    are merely equal may still be written differently: ``0.0`` and ``-0.0``)."""
    for field in _SCENE_FIELDS:
        x, y = getattr(a, field), getattr(b, field)
        if x is y:
            continue
        if isinstance(x, Cell) and isinstance(y, Cell):
            if (x.kind != y.kind or x.blank != y.blank or x.value is not y.value or len(x.parts) != len(y.parts)
                    or any(p is not q for p, q in zip(x.parts, y.parts))):
                return False
        elif isinstance(x, Cell) or isinstance(y, Cell) or field in ("constant",) or type(x) is not type(y) \
                or not isinstance(x, (str, bool, int, tuple)) or x != y:
            return False
    return True


_SCENE_FIELDS = tuple(f.name for f in dataclasses.fields(SceneNode))


class _Assembly:
    """Whole drawings of a pass made from step 0's and the changes: every line but the node and
    edge statements and the caption is the same at every step (the graph attributes, the
    defaults, the rows of a wrapped drawing), and the statements keep their places."""

    def __init__(self, first: str) -> None:
        self._lines = first.splitlines()
        self._at = {_ID.search(line).group(1): i for i, line in enumerate(self._lines)
                    if line.startswith('  "') and ' [id="' in line}
        self._graph = next((i for i, line in enumerate(self._lines) if line.startswith("  graph [")), None)
        self._head: str | None = None
        self._broken = False

    def start(self, caption: str | None) -> None:
        """Step 0's caption (``None``: no caption), which the graph line ends with."""
        if self._graph is None or caption is None or not self._lines[self._graph].endswith(f" label={caption}]"):
            self._broken = True
        else:
            self._head = self._lines[self._graph][:-len(caption) - 1]

    def update(self, lines: list[str]) -> None:
        """Take a step's changed statements in their places."""
        for line in lines:
            at = self._at.get(_ID.search(line).group(1))
            if at is None:  # a statement step 0 lacks: not made here
                self._broken = True
            else:
                self._lines[at] = line

    def text(self, caption: str | None) -> str | None:
        """The whole drawing now, with ``caption``; ``None`` when it cannot be made here."""
        if self._broken or caption is None or self._head is None:
            return None
        self._lines[self._graph] = f"{self._head}{caption}]"  # type: ignore[index]
        return "\n".join(self._lines) + "\n"


def _at_state(base: DrawContext, state: StepState) -> DrawContext:
    """``dataclasses.replace(base, state=state)`` without its checks (a step of the walk: the
    same fields, memo shared, another state)."""
    ctx = object.__new__(DrawContext)
    ctx.__dict__.update(base.__dict__)
    ctx.__dict__["state"] = state
    return ctx


class _Nodes:
    """The graph's nodes, listing (when called) only the ends of some edges."""

    def __init__(self, graph: nx.MultiDiGraph, ends: set[str]) -> None:
        self._graph, self._ends = graph, ends

    def __getitem__(self, node: str) -> dict:
        return self._graph.nodes[node]

    def __call__(self, data: bool = False) -> list:
        return [(n, self._graph.nodes[n]) if data else n for n in sorted(self._ends)]


class _EdgesOf:
    """A graph seen through some of its edges: :func:`scene_edges` reads only those, while every
    node stays readable."""

    def __init__(self, graph: nx.MultiDiGraph, edges: list[tuple[str, str, int]]) -> None:
        self._graph, self._edges = graph, edges
        self.graph = graph.graph
        self.nodes = _Nodes(graph, {n for u, v, _ in edges for n in (u, v)})

    def edges(self, keys: bool = False, data: bool = False) -> list:
        out = []
        for u, v, key in self._edges:
            item: tuple = (u, v, key) if keys else (u, v)
            out.append(item + (self._graph.edges[u, v, key],) if data else item)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)


def _touched_edges(ctx: DrawContext, recent: list[Any]) -> list[tuple[str, str, int]]:
    """The graph's edges (as ``(u, v, key)``) whose drawing the steps ``recent`` may change: out
    of a node just computed, and the edges the backward steps work on."""
    graph = ctx.graph
    wanted: set[tuple[str, str, int]] = set()
    for step in recent:
        if step.phase == "forward":
            wanted.update(graph.out_edges(step.node, keys=True))
        elif step.edge is not None:
            source, target, arg = step.edge
            wanted.update((source, target, key) for key, d in graph.get_edge_data(source, target, default={}).items()
                          if int(d.get("arg", key)) == arg)
    return sorted(wanted)
