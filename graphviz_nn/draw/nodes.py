"""One DAG node -> DOT statements: its label rows per theme, colours, and auxiliary op node.

A node's label holds its title, shape, value and gradient rows (:func:`_node_rows`): stacked
in an oval or box in the lecture and print themes, as the cells of a ``label | data | grad``
record in micrograd's. While stepping, what is not computed yet is drawn pending (dashed,
greyed, ``?``); worksheet blanks replace a number with ``____ (k)``; highlighted nodes take
the theme's path colour. Themes that draw operations apart (:func:`has_aux`) add an ``nK_op``
node with class ``aux`` and an edge from it into the node.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from ..notation import numfmt
from ..core.graph import node_text
from .context import DrawContext, edge_key, op_symbol
from .markup import dot_attrs, dot_string, html_font, html_stack, html_text
from .themes import NodeStyle, Theme

__all__ = ["node_lines", "has_aux"]


def node_lines(node: str, ctx: DrawContext, summary: str = "") -> list[str]:
    """DOT statements for one DAG node (and its auxiliary operation node, if any)."""
    data = ctx.graph.nodes[node]
    theme = ctx.theme
    output = node == ctx.graph.graph.get("output")
    role = _role(data)
    aux = has_aux(data, theme, ctx.compact)
    label_text = str(data.get("label", node))
    if aux and not data.get("name"):
        title = ""  # micrograd: the op lives in its bubble; the record holds data and grad
    else:
        title = label_text
    style = theme.node[role]
    classes = [role] + (["output"] if output else []) + (["nonfinite"] if _nonfinite(node, ctx) else []) \
        + (["path"] if node in ctx.opts.highlight_nodes else [])
    pending = ctx.stepping and node not in ctx.state.computed
    fill, border, width = _colors(node, ctx, style, output)
    if theme.records:
        label = _record(node, ctx, title, style, output, summary)
        attrs = dict(shape="plain", label=label)
    else:
        shape = style.shape
        label = html_stack(_node_rows(node, ctx, title, bold=output or role == "input", summary=summary))
        node_style = style.style + (",dashed" if pending and "dashed" not in style.style else "")
        attrs = dict(
            shape=shape,
            style=node_style,
            fillcolor=fill,
            color=border,
            penwidth=f"{width:g}",
            peripheries=2 if output else None,
            label=label,
        )
    lines = [f"  {dot_string(node)}"
             + dot_attrs(id=node, **{"class": " ".join(classes)}, tooltip=_tooltip(ctx.graph, node), **attrs)]
    if aux:
        aux_style = theme.node["op_aux"]
        aux_fill = ctx.theme.palette.pending_fill if pending else aux_style.fill
        aux_border = ctx.theme.palette.pending_border if pending else aux_style.border
        on_path = node in ctx.path_targets
        if node in ctx.opts.highlight_nodes:
            aux_border = ctx.theme.palette.path
        symbol = op_symbol(data.get("op"))
        lines.append(
            f"  {dot_string(node + '_op')}"
            + dot_attrs(
                id=f"{node}_op",
                **{"class": "aux"},
                shape=aux_style.shape,
                style=aux_style.style,
                fillcolor=aux_fill,
                color=aux_border,
                penwidth=f"{max(aux_style.penwidth, 3.0) if node in ctx.opts.highlight_nodes else aux_style.penwidth:g}",
                margin="0.04,0.02",
                width="0.3",
                height="0.3",
                label=f"<{html_font(html_text(symbol), ctx.theme.palette.pending_text if pending else None)}>",
                tooltip=f"{data.get('op')}: {node_text(ctx.graph, node)}",
            )
        )
        lines.append(
            f"  {dot_string(node + '_op')} -> {dot_string(node)}"
            + dot_attrs(id=f"{node}_op-{node}", **{"class": "aux path" if on_path else "aux"}, arrowsize="0.6",
                        tooltip=node_text(ctx.graph, node),
                        color=ctx.theme.palette.path if on_path else None, penwidth="3" if on_path else None,
                        style="dashed" if on_path else None)
        )
    return lines


def _tooltip(graph: nx.MultiDiGraph, node: str) -> str:
    """The node's hover text: its kind and op, and its name or formula (``op mul: x × y``);
    never the internal id, which the SVG would otherwise show on hover."""
    data = graph.nodes[node]
    kind = str(data.get("kind", ""))
    op = data.get("op")
    head = f"{kind} {op}" if op else kind
    return f"{head}: {node_text(graph, node)}"


def has_aux(data: dict, theme: Theme, compact: bool = False) -> bool:
    """Whether an op node gets a separate operation node (``nK_op``) in this theme; never when compact."""
    if data.get("kind") != "op" or compact:
        return False
    return theme.aux_ops == "all" or (theme.aux_ops == "named" and bool(data.get("name")))


def _role(data: dict) -> str:
    """Which theme style a node takes: ``input``, ``constant``, ``named`` or ``op``."""
    if data.get("kind") == "input":
        return "input"
    if data.get("kind") == "constant":
        return "constant"
    return "named" if data.get("name") else "op"


def _node_rows(node: str, ctx: DrawContext, title: str, bold: bool, summary: str = "", *,
               warning: str = "⚠ nan/inf", dim_pending_shape: bool = True) -> list[str]:
    """Pieces of a node label: title, shape, value, gradient, warnings, summary (rows stacked in
    the lecture and print themes, cells of micrograd's record)."""
    data = ctx.graph.nodes[node]
    pal = ctx.theme.palette
    pending = ctx.stepping and node not in ctx.state.computed
    rows = [html_font(html_text(title), pal.pending_text if pending else None, bold=bold)] if title else []
    shape = tuple(data.get("shape") or ())
    if shape:
        dim = pending and dim_pending_shape
        rows.append(html_font(html_text(numfmt.format_shape(shape)), pal.pending_text if dim else pal.note_text,
                              size=ctx.theme.fontsize - 2))
    if ctx.opts.show_values and data.get("value") is not None and not _label_is_value(data, ctx):
        blank = _blank_html(node, "value", ctx, ctx.theme.value_prefix, pal.value_text)
        if blank is not None:
            rows.append(blank)
        elif pending:
            rows.append(html_font(html_text(ctx.theme.value_prefix + "?"), pal.pending_text))
        else:
            rows.append(_tensor_html(data["value"], ctx, ctx.theme.value_prefix, pal.value_text))
    # an evaluated node without a gradient (a constant) has no gradient row, pending or not
    if ctx.opts.show_grads and (data.get("grad") is not None or (ctx.stepping and data.get("value") is None)):
        rows.append(_grad_html(node, ctx, ctx.theme.grad_prefix))
    if _nonfinite(node, ctx):
        rows.append(html_font(warning, pal.nonfinite_border, bold=True))
    if summary:
        rows.append(html_font(html_text(summary), pal.note_text, size=ctx.theme.edge_fontsize))
    return rows


def _record(node: str, ctx: DrawContext, title: str, style: NodeStyle, output: bool, summary: str = "") -> str:
    """micrograd's ``label | data | grad`` table."""
    cells = _node_rows(node, ctx, title, output, summary, warning="⚠", dim_pending_shape=False) or [" "]
    fill, border, _ = _colors(node, ctx, style, output)
    tds = "".join(f"<TD>{c}</TD>" for c in cells)
    outer = 3 if node in ctx.opts.highlight_nodes else 2 if output or node == ctx.state.changed_node else 0
    return (
        f'<<TABLE BORDER="{outer}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
        f'BGCOLOR="{fill}" COLOR="{border}"><TR>{tds}</TR></TABLE>>'
    )


def _colors(node: str, ctx: DrawContext, style: NodeStyle, output: bool) -> tuple[str, str, float]:
    """Fill, border colour and pen width after step state, sign colouring and warnings."""
    pal = ctx.theme.palette
    fill, border, width = style.fill, style.border, style.penwidth
    if ctx.stepping and node not in ctx.state.computed:
        fill, border = pal.pending_fill, pal.pending_border
    elif ctx.opts.color_by_sign and node in ctx.state.grads:
        grad = np.asarray(ctx.state.grads[node], dtype=float)
        if grad.size and np.all(grad > 0):
            fill = pal.positive_fill
        elif grad.size and np.all(grad < 0):
            fill = pal.negative_fill
    if output:
        width = max(width, 2.0)
    if _nonfinite(node, ctx):
        border, width = pal.nonfinite_border, max(width, 2.5)
    if node in ctx.opts.highlight_nodes:
        border, width = pal.path, max(width, 3.0)
    if ctx.stepping and node == ctx.state.changed_node:
        border, width = pal.highlight, 3.0
    return fill, border, width


def _label_is_value(data: dict, ctx: DrawContext) -> bool:
    """A constant labelled by its own value (``2``) needs no ``= 2`` row."""
    if data.get("kind") != "constant" or np.ndim(data.get("value")) != 0:
        return False
    return str(data.get("label")) == numfmt.format_number(data["value"], ctx.digits)


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


def _blank_html(node: str, kind: str, ctx: DrawContext, prefix: str, color: str) -> str | None:
    """A worksheet blank ``____ (3)``, or in an answer key the number with its blank ``(3)``."""
    number = ctx.blanks.get((node, kind))
    if number is None:
        return None
    if ctx.opts.show_answers:
        value = ctx.graph.nodes[node].get("grad" if kind == "grad" else "value")
        answer = _tensor_html(value, ctx, prefix, color)
        tag = html_font(html_text(f"({number})"), ctx.theme.palette.path, bold=True)
        if answer.startswith("<TABLE"):  # a grid: text may not follow a table, so both go in cells
            return (f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR><TD>{answer}</TD>'
                    f"<TD> {tag}</TD></TR></TABLE>")
        return f"{answer} {tag}"
    return html_font(html_text(f"{prefix}____ ({number})"), ctx.theme.palette.path, bold=True)


def _grad_html(node: str, ctx: DrawContext, prefix: str) -> str:
    """The gradient row; where a value feeds several nodes, shown as the sum of contributions."""
    pal = ctx.theme.palette
    blank = _blank_html(node, "grad", ctx, prefix, pal.grad_text)
    if blank is not None:
        return blank
    if node not in ctx.state.grads:
        return html_font(html_text(prefix + "?"), pal.pending_text)
    grad = ctx.state.grads[node]
    outs = _out_edges(ctx.graph, node)
    if ctx.opts.edge_mode in ("value", "both") and len(outs) > 1 and np.ndim(grad) == 0 and not ctx.compact:
        parts = [
            numfmt.format_number(d["contribution"], ctx.digits)
            for u, v, k, d in outs
            if edge_key(u, v, k, d) in ctx.state.done_edges and d.get("contribution") is not None
        ]
        if len(parts) > 1:
            total = numfmt.format_number(grad, ctx.digits)
            summed = " + ".join(f"({p})" if p.startswith(numfmt.MINUS) else p for p in parts)
            return html_font(html_text(f"{prefix}{summed} = {total}"), pal.grad_text)
    return _tensor_html(grad, ctx, prefix, pal.grad_text)


def _out_edges(graph: nx.MultiDiGraph, node: str) -> list[tuple[str, str, int, dict]]:
    """Edges out of ``node`` in the order their targets were made, then by argument position."""
    order = {n: i for i, n in enumerate(graph.nodes)}
    edges = [(u, v, k, d) for u, v, k, d in graph.out_edges(node, keys=True, data=True)]
    return sorted(edges, key=lambda e: (order[e[1]], e[2]))
