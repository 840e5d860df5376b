"""One scene node -> DOT statements: its label rows per theme, colours, and auxiliary op node.

A node's label holds its title, shape, value and gradient rows (:func:`_node_rows`), as the
scene (:mod:`~graphviz_nn.draw.scene`) decided them: stacked in an oval or box in the lecture
and print themes, as the cells of a ``label | data | grad`` record in micrograd's. Pending
nodes are drawn dashed and greyed with ``?``; worksheet blanks read ``____ (k)``; highlighted
nodes take the theme's path colour. A node whose operation is drawn apart gets an ``nK_op``
node with class ``aux`` and an edge from it into the node.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from ..notation import numfmt
from ..core.graph import node_text
from .context import DrawContext, node_words, op_symbol
from ..notation.symbols import html_name
from .markup import dot_statement, html_font, html_stack, html_text
from .scene import Cell, SceneNode, has_aux
from .themes import NodeStyle

__all__ = ["node_lines", "has_aux"]


def node_lines(node: SceneNode, ctx: DrawContext) -> list[str]:
    """DOT statements for one scene node (and its auxiliary operation node, if any)."""
    theme = ctx.theme
    title = node.label if node.titled else ""
    style = theme.node[node.role]
    fill, border, width = _colors(node, ctx, style)
    if theme.records:
        label = _record(node, ctx, title, style)
        attrs = dict(shape="plain", label=label)
    else:
        label = html_stack(_node_rows(node, ctx, title, bold=node.output or node.role == "input"))
        node_style = style.style + (",dashed" if node.pending and "dashed" not in style.style else "")
        attrs = dict(
            shape=style.shape,
            style=node_style,
            fillcolor=fill,
            color=border,
            penwidth=f"{width:g}",
            peripheries=2 if node.output else None,
            label=label,
        )
    lines = [dot_statement(ctx.memo, node.id, {"id": node.id, "class": " ".join(node.classes),
                                                "tooltip": _tip(ctx, node.id), **attrs})]
    if node.aux:
        lines.extend(_aux_lines(node, ctx))
    return lines


def _aux_lines(node: SceneNode, ctx: DrawContext) -> list[str]:
    """The operation node ``nK_op`` drawn apart, and its edge into the node."""
    pal = ctx.theme.palette
    aux_style = ctx.theme.node["op_aux"]
    aux_fill = pal.pending_fill if node.pending else aux_style.fill
    aux_border = pal.path if node.highlighted else pal.pending_border if node.pending else aux_style.border
    on_path = node.path_target
    width = max(aux_style.penwidth, 3.0) if node.highlighted else aux_style.penwidth
    aux = f"{node.id}_op"
    words = node_words(ctx, node.id)
    return [
        dot_statement(ctx.memo, aux, dict(
            id=aux,
            **{"class": "aux"},
            shape=aux_style.shape,
            style=aux_style.style,
            fillcolor=aux_fill,
            color=aux_border,
            penwidth=f"{width:g}",
            margin="0.04,0.02",
            width="0.3",
            height="0.3",
            label=f"<{html_font(html_text(op_symbol(node.op)), pal.pending_text if node.pending else None)}>",
            tooltip=f"{node.op}: {words}",
        )),
        dot_statement(ctx.memo, aux, dict(id=f"{aux}-{node.id}", **{"class": "aux path" if on_path else "aux"},
                                          arrowsize="0.6", tooltip=words,
                                          color=pal.path if on_path else None, penwidth="3" if on_path else None,
                                          style="dashed" if on_path else None), node.id),
    ]


def _tip(ctx: DrawContext, node: str) -> str:
    """:func:`_tooltip`, worked out once per pass (``ctx.memo``)."""
    tip = ctx.memo.get(("tooltip", node))
    if tip is None:
        tip = ctx.memo[("tooltip", node)] = _tooltip(ctx.graph, node)
    return tip


def _tooltip(graph: nx.MultiDiGraph, node: str) -> str:
    """The node's hover text: its kind and op, and its name or formula (``op mul: x × y``);
    never the internal id, which the SVG would otherwise show on hover."""
    data = graph.nodes[node]
    kind = str(data.get("kind", ""))
    op = data.get("op")
    head = f"{kind} {op}" if op else kind
    return f"{head}: {node_text(graph, node)}"


def _node_rows(node: SceneNode, ctx: DrawContext, title: str, bold: bool, *,
               warning: str = "⚠ nan/inf", dim_pending_shape: bool = True) -> list[str]:
    """Pieces of a node label: title, shape, value, gradient, warnings, summary (rows stacked in
    the lecture and print themes, cells of micrograd's record)."""
    pal = ctx.theme.palette
    spelled = html_name(node.shown) if node.shown else html_text(title)
    rows = [html_font(spelled, pal.pending_text if node.pending else None, bold=bold)] if title else []
    if node.shape:
        dim = node.pending and dim_pending_shape
        rows.append(html_font(html_text(numfmt.format_shape(node.shape)), pal.pending_text if dim else pal.note_text,
                              size=ctx.theme.fontsize - 2))
    if node.value is not None:
        rows.append(_cell_html(node.value, ctx, ctx.theme.value_prefix, pal.value_text))
    if node.grad is not None:
        rows.append(_cell_html(node.grad, ctx, ctx.theme.grad_prefix, pal.grad_text))
    if node.nonfinite:
        rows.append(html_font(warning, pal.nonfinite_border, bold=True))
    if node.summary:
        rows.append(html_font(html_text(node.summary), pal.note_text, size=ctx.theme.edge_fontsize))
    return rows


def _record(node: SceneNode, ctx: DrawContext, title: str, style: NodeStyle) -> str:
    """micrograd's ``label | data | grad`` table."""
    cells = _node_rows(node, ctx, title, node.output, warning="⚠", dim_pending_shape=False) or [" "]
    fill, border, _ = _colors(node, ctx, style)
    tds = "".join(f"<TD>{c}</TD>" for c in cells)
    outer = 3 if node.highlighted else 2 if node.output or node.id == ctx.state.changed_node else 0
    return (
        f'<<TABLE BORDER="{outer}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
        f'BGCOLOR="{fill}" COLOR="{border}"><TR>{tds}</TR></TABLE>>'
    )


def _colors(node: SceneNode, ctx: DrawContext, style: NodeStyle) -> tuple[str, str, float]:
    """Fill, border colour and pen width after step state, sign colouring and warnings."""
    pal = ctx.theme.palette
    fill, border, width = style.fill, style.border, style.penwidth
    if node.pending:
        fill, border = pal.pending_fill, pal.pending_border
    elif node.sign > 0:
        fill = pal.positive_fill
    elif node.sign < 0:
        fill = pal.negative_fill
    if node.output:
        width = max(width, 2.0)
    if node.nonfinite:
        border, width = pal.nonfinite_border, max(width, 2.5)
    if node.highlighted:
        border, width = pal.path, max(width, 3.0)
    if node.changed:
        border, width = pal.highlight, 3.0
    return fill, border, width


def _cell_html(cell: Cell, ctx: DrawContext, prefix: str, color: str) -> str:
    """A value or gradient row as label HTML."""
    pal = ctx.theme.palette
    if cell.kind == "pending":
        return html_font(html_text(prefix + "?"), pal.pending_text)
    if cell.kind == "blank":
        return html_font(html_text(f"{prefix}____ ({cell.blank})"), pal.path, bold=True)
    if cell.kind == "answer":
        answer = _tensor_html(cell.value, ctx, prefix, color)
        tag = html_font(html_text(f"({cell.blank})"), pal.path, bold=True)
        if answer.startswith("<TABLE"):  # a grid: text may not follow a table, so both go in cells
            return (f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR><TD>{answer}</TD>'
                    f"<TD> {tag}</TD></TR></TABLE>")
        return f"{answer} {tag}"
    if cell.kind == "sum":
        parts = [numfmt.format_number(p, ctx.digits) for p in cell.parts]
        total = numfmt.format_number(cell.value, ctx.digits)
        summed = " + ".join(f"({p})" if p.startswith(numfmt.MINUS) else p for p in parts)
        return html_font(html_text(f"{prefix}{summed} = {total}"), color)
    return _tensor_html(cell.value, ctx, prefix, color)


def _tensor_html(value: Any, ctx: DrawContext, prefix: str, color: str) -> str:
    """A value as label HTML: scalar text, an entry grid, or a summary."""
    text = numfmt.format_tensor(value, ctx.digits, grid_max=0 if ctx.compact else numfmt.GRID_MAX)
    if text.scalar is not None:
        return html_font(html_text(prefix + text.scalar), color)
    if text.grid is not None:
        rows = "".join(
            "<TR>" + "".join(f"<TD>{html_font(html_text(cell), color)}</TD>" for cell in row) + "</TR>"
            for row in text.grid
        )
        grid = f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">{rows}</TABLE>'
        head = html_font(html_text(prefix.strip()), color) if prefix.strip() else ""
        return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR><TD>{head}</TD><TD>{grid}</TD></TR></TABLE>'
    return html_font(html_text(f"{prefix}{text.summary}"), color)
