"""Scene edges -> DOT statements, with the chain-rule term each edge carries as its label.

Every edge becomes one DOT edge with class ``arg`` and id ``source-target-arg``. Its label
writes what the scene (:mod:`~graphviz_nn.draw.scene`) put on it: the local derivative's
formula (``local a1``), its value with the term that flowed back (``local 2`` and
``−4 × 2 = −8``), or both. The edge being worked on is drawn in the highlight colour,
pending edges dashed, and highlighted edges (a chain-rule path) thick and dashed in the
path colour.
"""

from __future__ import annotations

from ..notation import numfmt
from .context import DrawContext, node_words
from .markup import dot_statement, html_font, html_stack, html_text
from .scene import FORMULA_MAX, EdgeLabel, SceneEdge

__all__ = ["edge_lines", "FORMULA_MAX"]


def edge_lines(edges: list[SceneEdge] | tuple[SceneEdge, ...], ctx: DrawContext) -> list[str]:
    """DOT statements for the scene's edges."""
    pal = ctx.theme.palette
    lines = []
    for edge in edges:
        u, v = edge.source, edge.target
        color = (pal.highlight if edge.current else pal.path if edge.on_path
                 else pal.pending_border if edge.pending else None)
        lines.append(dot_statement(ctx.memo, u, dict(
            id=f"{u}-{v}-{edge.arg}",
            **{"class": "arg path" if edge.on_path else "arg"},
            tooltip=f"{node_words(ctx, u)} → {node_words(ctx, v)}",
            color=color,
            penwidth="3" if edge.current or edge.on_path else None,
            arrowsize="1" if edge.on_path else None,
            style="dashed" if edge.pending or edge.on_path else None,
            label=_label_html(edge.label, ctx) if edge.label is not None else None,
        ), edge.entry))
    return lines


def _label_html(label: EdgeLabel, ctx: DrawContext) -> str:
    """``local 2`` and ``−4 × 2 = −8``: the local derivative and the chain-rule term."""
    pal = ctx.theme.palette
    formula = label.formula_text
    term = label.term
    if term is None:
        return html_stack([html_font(html_text(f"local {formula}"), pal.edge_text)])
    digits = ctx.digits
    rows = []
    if term.scalar:
        number = numfmt.format_number(term.local, digits)
        shown = f"{formula} = {number}" if formula and formula != number else number
        rows.append(html_font(html_text(f"local {shown}"), pal.edge_text))
        up, lo, co = (numfmt.format_number(x, digits) for x in (term.upstream, term.local, term.contribution))
        lo = f"({lo})" if lo.startswith(numfmt.MINUS) else lo
        rows.append(html_font(html_text(f"{up} × {lo} = {co}"), pal.edge_grad_text))
    else:
        if formula:
            rows.append(html_font(html_text(f"local {formula}"), pal.edge_text))
        elif term.local is not None:
            rows.append(html_font(html_text("local " + numfmt.format_tensor(term.local, digits).one_line()),
                                  pal.edge_text))
        text = numfmt.format_tensor(term.contribution, digits)
        shown = text.one_line() if text.scalar is not None or text.grid is not None else text.shape_text
        rows.append(html_font(html_text(f"← {shown}"), pal.edge_grad_text))
    return html_stack(rows)
