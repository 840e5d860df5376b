"""DAG edges -> DOT statements, with the chain-rule term each edge carries as its label.

Every edge becomes one DOT edge with class ``arg`` and id ``source-target-arg``. Its label
(:attr:`~graphviz_nn.draw.options.RenderOptions.edge_mode`) writes the local derivative's
value (``local 2`` and ``−4 × 2 = −8``), its formula (``local a1``), or both; while stepping,
the edge being worked on is drawn in the highlight colour with its term, pending edges dashed,
and highlighted edges (a chain-rule path) thick and dashed in the path colour.
"""

from __future__ import annotations

import numpy as np

from ..notation import numfmt
from ..core.graph import node_text
from .context import DrawContext, edge_key
from .markup import dot_attrs, dot_string, html_font, html_stack, html_text
from .nodes import has_aux
from .options import Edge

__all__ = ["edge_lines", "FORMULA_MAX"]

#: Longest formula written on an edge; longer ones are left to the chain-rule panels.
FORMULA_MAX = 40


def edge_lines(ctx: DrawContext) -> list[str]:
    """DOT statements for every graph edge. An edge into ``v`` enters ``v`` itself, or its
    auxiliary operation node ``v_op`` where the theme draws one."""
    entry = {v: (v + "_op" if has_aux(d, ctx.theme) else v) for v, d in ctx.graph.nodes(data=True)}
    lines = []
    current = ctx.state.current_edge if ctx.stepping else None
    mode = ctx.opts.edge_mode
    pal = ctx.theme.palette
    for u, v, k, d in ctx.graph.edges(keys=True, data=True):
        key = edge_key(u, v, k, d)
        is_current = current is not None and tuple(current) == key
        on_path = key in ctx.opts.highlight_edges
        label = None
        if mode is not None and not ctx.compact:
            label = _edge_html(u, v, k, d, ctx, "both" if is_current and mode == "formula" else mode)
        elif is_current:
            label = _edge_html(u, v, k, d, ctx)
        pending = ctx.stepping and u not in ctx.state.computed
        color = pal.highlight if is_current else pal.path if on_path else pal.pending_border if pending else None
        lines.append(
            f"  {dot_string(u)} -> {dot_string(entry[v])}"
            + dot_attrs(
                id=f"{u}-{v}-{key[2]}",
                **{"class": "arg path" if on_path else "arg"},
                tooltip=f"{node_text(ctx.graph, u)} → {node_text(ctx.graph, v)}",
                color=color,
                penwidth="3" if is_current or on_path else None,
                arrowsize="1" if on_path else None,
                style="dashed" if pending or on_path else None,
                label=label,
            )
        )
    return lines


def _formula_text(key: Edge, ctx: DrawContext) -> str | None:
    """The local derivative's formula in plain text (``a1``, ``1[z1 > 0]``), if short enough."""
    text = ctx.formulas.get(key)
    if not text:
        return None
    if text.startswith("-"):
        text = numfmt.MINUS + text[1:]
    return text if len(text) <= FORMULA_MAX else None


def _edge_html(u: str, v: str, k: int, d: dict, ctx: DrawContext, mode: str = "value") -> str | None:
    """``local 2`` and ``−4 × 2 = −8``: the chain-rule term that flowed back along an edge.

    ``mode="formula"`` writes the local derivative symbolically (``local a1``), at every step;
    ``"both"`` writes ``local a1 = 2`` and the term once it has flowed.
    """
    key = edge_key(u, v, k, d)
    pal = ctx.theme.palette
    formula = _formula_text(key, ctx) if mode in ("formula", "both") else None
    done = key in ctx.state.done_edges and d.get("contribution") is not None
    if mode == "formula" or (mode == "both" and not done):
        return html_stack([html_font(html_text(f"local {formula}"), pal.edge_text)]) if formula else None
    if not done:
        return None
    digits = ctx.digits
    rows = []
    local = d.get("local")
    contribution = d["contribution"]
    upstream = ctx.graph.nodes[v].get("grad")
    if local is not None and np.ndim(local) == 0 and np.ndim(contribution) == 0 and upstream is not None \
            and np.ndim(upstream) == 0:
        number = numfmt.format_number(local, digits)
        shown = f"{formula} = {number}" if formula and formula != number else number
        rows.append(html_font(html_text(f"local {shown}"), pal.edge_text))
        up, lo, co = (numfmt.format_number(x, digits) for x in (upstream, local, contribution))
        lo = f"({lo})" if lo.startswith(numfmt.MINUS) else lo
        rows.append(html_font(html_text(f"{up} × {lo} = {co}"), pal.edge_grad_text))
    else:
        if formula:
            rows.append(html_font(html_text(f"local {formula}"), pal.edge_text))
        elif local is not None:
            rows.append(html_font(html_text("local " + numfmt.format_tensor(local, digits).one_line()), pal.edge_text))
        text = numfmt.format_tensor(contribution, digits)
        shown = text.one_line() if text.scalar is not None or text.grid is not None else text.shape_text
        rows.append(html_font(html_text(f"← {shown}"), pal.edge_grad_text))
    return html_stack(rows)
