"""Evaluated graph + options -> DOT text. Pure string building: no binary runs here.

Every DAG node becomes one DOT node whose ``id`` is the node id (``n0``, ``n1``, …), so the
SVG has one ``<g id="nK">`` per graph node; every DAG edge becomes one DOT edge with class
``arg``. Themes may add an auxiliary operation node (``nK_op``, class ``aux``) and an ``aux``
edge into it: micrograd's separate op bubble, or the lecture convention of a named result
drawn as a variable oval fed by its operation box.

This module writes a picture's scene (:mod:`~graphviz_nn.draw.scene`, where every node's
role, rows, blanks and highlights and every edge's term are decided) as DOT: the graph
attributes, the title and notes above it, and the statements of the modules that spell its
parts: :mod:`~graphviz_nn.draw.nodes` and :mod:`~graphviz_nn.draw.edges` write nodes and
edges; the compact drawing's boxes come from :mod:`~graphviz_nn.draw.groups`. All text a user typed
reaches DOT only through :func:`~graphviz_nn.draw.markup.html_text` or
:func:`~graphviz_nn.draw.markup.dot_string`, so it can never become markup.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import RenderError
from ..core.graph import node_text
from .context import DrawContext, draw_context, final_state, graph_and_trace, op_symbol, output_symbol, step_state
from .edges import edge_lines
from .groups import Grouping, group_nodes
from .markup import dot_attrs, dot_string, html_font, html_text
from .nodes import node_lines
from .options import BLANK_KINDS, EDGE_TEXTS, RenderOptions
from .scene import Scene, SceneEdge, SceneNode, build_scene, scene_edges, scene_node, scene_notes
from .themes import Theme
from .wrap import WrapPlan, wrap_plan

__all__ = [
    "RenderOptions",
    "to_dot",
    "scene_dot",
    "step_statements",
    "caption_label",
    "plan_rows",
    "step_state",
    "final_state",
    "output_symbol",
    "op_symbol",
    "html_text",
    "dot_string",
    "graph_and_trace",
    "EDGE_TEXTS",
    "BLANK_KINDS",
]


def to_dot(res: Any, options: RenderOptions | None = None) -> str:
    """The DOT source for an evaluation (``gnn.evaluate(...)``) or a bare graph; no binary runs.

    Deterministic: the same graph and options always give the same text.
    """
    opts = options if options is not None else RenderOptions()
    if not isinstance(opts, RenderOptions):
        raise RenderError("options must be a RenderOptions")
    return scene_dot(build_scene(res, opts))


def scene_dot(scene: Scene) -> str:
    """The DOT source of a :class:`~graphviz_nn.draw.scene.Scene`."""
    ctx = scene.ctx
    opts, theme = ctx.opts, ctx.theme
    pal = theme.palette
    graph_label = caption_label(opts.title, list(scene.notes), theme)
    lines = [
        "digraph computation {",
        "  graph"
        + dot_attrs(
            rankdir=opts.rankdir,
            bgcolor=pal.background,
            fontname=theme.fontname,
            fontsize=f"{theme.fontsize:g}",
            fontcolor=pal.note_text,
            nodesep=f"{theme.nodesep:g}",
            ranksep=f"{theme.ranksep:g}",
            labelloc="t",
            labeljust="l",
            label=graph_label,
        ),
        "  node" + dot_attrs(fontname=theme.fontname, fontsize=f"{theme.fontsize:g}", fontcolor=pal.text,
                             margin="0.08,0.04"),
        "  edge" + dot_attrs(color=pal.edge, fontname=theme.fontname, fontsize=f"{theme.edge_fontsize:g}",
                             fontcolor=pal.edge_text, arrowsize="0.7"),
    ]
    body = _body(scene.nodes, scene.edges, scene.grouping, ctx)
    plan = plan_rows(body, opts, theme)
    if plan is not None:
        body = [plan.mark(line) for line in body] + plan.groups()
    lines.extend(body)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _body(nodes: tuple[SceneNode, ...], edges: tuple[SceneEdge, ...], grouping: Grouping | None,
          ctx: DrawContext) -> list[str]:
    """The node and edge statements: every node then every edge, or the compact drawing's boxes,
    shared inputs and merged edges."""
    lines = [line for node in nodes for line in node_lines(node, ctx)]
    if grouping is None:
        return lines + edge_lines(edges, ctx)
    return lines + _group_lines(ctx, grouping)


def plan_rows(statements: list[str], opts: RenderOptions, theme: Theme) -> WrapPlan | None:
    """How a long drawing is cut into rows (:mod:`~graphviz_nn.draw.wrap`), from the node and
    edge statements; ``None`` when ``opts.wrap`` is off or one row fits best. A rank is about a
    node plus the rank gap long; a micrograd record is twice as wide as an oval."""
    if not opts.wrap:
        return None
    wide = 1.6 if theme.records else 0.8
    if opts.rankdir == "LR":
        return wrap_plan(statements, "LR", wide + theme.ranksep, 1.2 + theme.nodesep)
    return wrap_plan(statements, "TB", 0.7 + theme.ranksep, wide + theme.nodesep)


def step_statements(res: Any, options: RenderOptions) -> tuple[list[str], set[str]]:
    """Every version of every node and edge statement over the steps of a pass, and every
    caption (``label=<…>`` text), as :func:`to_dot` would write them for steps ``0 … len(trace)``,
    without writing each step whole: a step redraws only the nodes its trace step and the one
    before touch, and the edges only in the backward pass (the compact drawing's boxes and
    merged edges, which never change, once).
    (What :mod:`graphviz_nn.layout.steady` measures to give every label room.)"""
    graph, trace = graph_and_trace(res)
    base = draw_context(res, dataclasses.replace(options, step=0))
    grouping = group_nodes(graph) if base.compact else None
    if grouping is None:
        drawn = {n: "" for n in graph.nodes}
    else:  # one box per named result: only the boxes' own nodes carry numbers
        summaries = {g.rep: g.summary for g in grouping.groups}
        drawn = {n: summaries.get(n, "") for n in graph.nodes if grouping.rep_of.get(n) == n}
    statements: list[str] = []
    captions: set[str] = set()
    n = len(trace)
    final_ctx = dataclasses.replace(base, state=step_state(res, n))
    for k in range(n + 1):
        ctx = dataclasses.replace(base, state=step_state(res, k))
        if k in (0, n):
            touched = list(graph.nodes)
            if grouping is not None:  # the collapsed boxes and merged edges never change
                statements.extend(_body(tuple(scene_node(node, ctx, drawn[node]) for node in drawn), (),
                                        grouping, ctx))
                touched = []
        else:
            touched = sorted({node for step in trace[max(0, k - 2):k]
                              for node in (step.node, *(step.edge[:2] if step.edge else ()))})
        for node in touched:
            if node in drawn:
                statements.extend(node_lines(scene_node(node, ctx, drawn[node]), ctx))
        if grouping is None and (k == n or (k > 0 and trace[k - 1].phase == "backward")):
            statements.extend(edge_lines(scene_edges(ctx), ctx))
        caption = caption_label(options.title, scene_notes(ctx, grouping), ctx.theme)
        if caption is not None:
            captions.add(caption)
    final_nodes = tuple(scene_node(node, final_ctx, drawn[node]) for node in drawn)
    final = _body(final_nodes, tuple(scene_edges(final_ctx)) if grouping is None else (), grouping, final_ctx)
    plan = plan_rows(final, options, base.theme)
    if plan is not None:  # the same rows as :func:`to_dot` draws
        statements = [plan.mark(line) for line in statements]
    return statements, captions


def caption_label(title: str | None, notes: list[str], theme: Theme) -> str | None:
    """The picture's caption: the title in bold over the notes, or ``None`` when there is neither."""
    rows = []
    if title:
        rows.append(html_font(html_text(title), bold=True))
    rows.extend(html_font(html_text(n), theme.palette.note_text, size=theme.edge_fontsize) for n in notes)
    if not rows:
        return None
    body = "".join(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'


def _group_lines(ctx: DrawContext, grouping: Grouping) -> list[str]:
    """The compact drawing's summary boxes (clusters without a named result) and merged edges."""
    pal = ctx.theme.palette
    lines: list[str] = []
    for group in grouping.groups:
        if not group.named:
            text = f"{group.title}: {group.summary}"
            lines.append(
                f"  {dot_string(group.rep)}"
                + dot_attrs(id=group.rep, **{"class": "collapsed"}, tooltip=text, shape="box3d", style="filled",
                            fillcolor=pal.pending_fill, color=pal.cluster_border,
                            label=f"<{html_font(html_text(text), pal.text)}>")
            )
    titles = {g.rep: g.title for g in grouping.groups}
    for src, dst, count in grouping.edges:
        ends = [titles[n] if n in titles and n not in ctx.graph else node_text(ctx.graph, n) for n in (src, dst)]
        lines.append(
            f"  {dot_string(src)} -> {dot_string(dst)}"
            + dot_attrs(id=f"{src}-{dst}", **{"class": "collapsed"}, tooltip=" → ".join(ends),
                        penwidth=f"{min(1 + 0.5 * (count - 1), 4):g}" if count > 1 else None)
        )
    return lines
