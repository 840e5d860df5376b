"""Evaluated graph + options -> DOT text. Pure string building: no binary runs here.

Every DAG node becomes one DOT node whose ``id`` is the node id (``n0``, ``n1``, …), so the
SVG has one ``<g id="nK">`` per graph node; every DAG edge becomes one DOT edge with class
``arg``. Themes may add an auxiliary operation node (``nK_op``, class ``aux``) and an ``aux``
edge into it: micrograd's separate op bubble, or the lecture convention of a named result
drawn as a variable oval fed by its operation box.

All text a user typed (names, labels, titles) reaches DOT only through :func:`html_text` or
:func:`dot_string`, so it can never become markup.

>>> html_text('a<b & "c"')
'a&lt;b &amp; &quot;c&quot;'
>>> dot_string('say "hi" \\\\N')
'"say \\\\"hi\\\\" \\\\\\\\N"'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable

import networkx as nx
import numpy as np

from . import numfmt
from .engine import StepState, state_at
from .errors import RenderError
from .render_groups import Grouping, group_nodes
from .themes import BACKGROUNDS, THEMES, NodeStyle, Theme, get_theme

__all__ = [
    "RenderOptions",
    "to_dot",
    "render_svg",
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

_RANKDIRS = ("LR", "TB")
#: What edge labels write: the local derivative's formula, its value (with upstream × local =
#: contribution), or both.
EDGE_TEXTS = ("value", "formula", "both")
#: Blank kinds of a worksheet: a node's value or its gradient.
BLANK_KINDS = ("value", "grad")
#: Longest formula written on an edge; longer ones are left to the chain-rule panels.
FORMULA_MAX = 40
Edge = tuple[str, str, int]
_DETAILS = ("auto", "full", "compact")
_PROGRAMS = ("auto", "dot", "graphviz-pure")


@dataclass(frozen=True)
class RenderOptions:
    """What a picture shows and how. Invalid values raise :class:`RenderError` listing the choices.

    ``step`` selects a trace state (0 = bare graph, ``len(trace)`` = full backward pass;
    ``None`` = the finished evaluation). ``edge_text`` (``value``, ``formula`` or ``both``) turns
    edge labels on and says what they write; ``edge_labels=True`` alone means ``value``.
    ``highlight_edges`` (``(source, target, arg)`` triples) and ``highlight_nodes`` (node ids)
    are drawn thick, dashed and in the theme's path colour: a chain-rule path. ``blanks``
    (``(node, "value"|"grad", number)`` triples) draws a numbered blank ``____ (1)`` instead of
    the number; with ``show_answers`` the number is written beside its blank number (an answer key). ``detail="auto"`` switches to the compact large-graph
    drawing at ``large_graph`` nodes. ``layout_program`` and ``timeout`` (seconds) only matter
    when a layout program runs (SVG, PNG, PDF, TikZ). With ``steady`` (the default) a step is
    drawn at the finished graph's positions (:mod:`graphviz_nn.steady`), so nothing moves
    from step to step.
    """

    theme: str = "lecture"
    show_values: bool = True
    show_grads: bool = True
    edge_labels: bool = False
    rankdir: str = "LR"
    step: int | None = None
    digits: int = 4
    color_by_sign: bool = False
    background: str = "white"
    title: str | None = None
    detail: str = "auto"
    large_graph: int = 250
    layout_program: str = "auto"
    timeout: float = 60.0
    edge_text: str | None = None
    highlight_edges: frozenset[Edge] = frozenset()
    highlight_nodes: frozenset[str] = frozenset()
    blanks: tuple[tuple[str, str, int], ...] = ()
    show_answers: bool = False
    steady: bool = True

    def __post_init__(self) -> None:
        _choice("theme", self.theme, tuple(sorted(THEMES)))
        _choice("rankdir", self.rankdir, _RANKDIRS)
        _choice("background", self.background, BACKGROUNDS)
        _choice("detail", self.detail, _DETAILS)
        _choice("layout_program", self.layout_program, _PROGRAMS)
        for flag in ("show_values", "show_grads", "edge_labels", "color_by_sign", "steady"):
            if not isinstance(getattr(self, flag), bool):
                raise RenderError(f"{flag} must be True or False, got {getattr(self, flag)!r}")
        if not _is_int(self.digits) or not 1 <= self.digits <= 15:
            raise RenderError(f"digits must be an integer from 1 to 15, got {self.digits!r}")
        if self.step is not None and (not _is_int(self.step) or self.step < 0):
            raise RenderError(f"step must be None or an integer >= 0, got {self.step!r}")
        if not _is_int(self.large_graph) or self.large_graph < 1:
            raise RenderError(f"large_graph must be a positive integer, got {self.large_graph!r}")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) or not self.timeout > 0:
            raise RenderError(f"timeout must be a positive number of seconds, got {self.timeout!r}")
        if self.title is not None and not isinstance(self.title, str):
            raise RenderError(f"title must be text or None, got {self.title!r}")
        if self.edge_text is not None:
            _choice("edge_text", self.edge_text, EDGE_TEXTS)
        if not isinstance(self.show_answers, bool):
            raise RenderError(f"show_answers must be True or False, got {self.show_answers!r}")
        object.__setattr__(self, "highlight_edges", _edge_set(self.highlight_edges))
        object.__setattr__(self, "highlight_nodes", _node_set(self.highlight_nodes, "highlight_nodes"))
        object.__setattr__(self, "blanks", _blank_list(self.blanks))

    @property
    def edge_mode(self) -> str | None:
        """What edge labels write (``value``, ``formula``, ``both``), or ``None`` for no labels."""
        return self.edge_text or ("value" if self.edge_labels else None)

    @classmethod
    def from_kwargs(cls, **options: Any) -> "RenderOptions":
        """Build options from keywords; an unknown keyword names every allowed one."""
        allowed = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise RenderError(f"unknown render option {unknown[0]!r}; allowed: {', '.join(allowed)}")
        return cls(**options)


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise RenderError(f"unknown {field} {value!r}; choose one of: {', '.join(allowed)}")


def _node_set(items: Any, field: str) -> frozenset[str]:
    if isinstance(items, str) or not isinstance(items, (set, frozenset, list, tuple)):
        raise RenderError(f"{field} must be a set of node ids such as {{'n0', 'n3'}}, got {items!r}")
    if not all(isinstance(n, str) for n in items):
        raise RenderError(f"{field} must hold node ids (text such as 'n3'), got {sorted(map(repr, items))}")
    return frozenset(items)


def _edge_set(items: Any) -> frozenset[Edge]:
    if isinstance(items, str) or not isinstance(items, (set, frozenset, list, tuple)):
        raise RenderError(f"highlight_edges must be a set of (source, target, arg) triples, got {items!r}")
    out = set()
    for edge in items:
        if (not isinstance(edge, tuple) or len(edge) != 3 or not isinstance(edge[0], str)
                or not isinstance(edge[1], str) or not _is_int(edge[2])):
            raise RenderError(f"highlight_edges must hold (source, target, arg) triples such as "
                              f"('n0', 'n2', 0), got {edge!r}")
        out.add((edge[0], edge[1], int(edge[2])))
    return frozenset(out)


def _blank_list(items: Any) -> tuple[tuple[str, str, int], ...]:
    if isinstance(items, str) or not isinstance(items, (list, tuple)):
        raise RenderError(f"blanks must be a list of (node, kind, number) triples, got {items!r}")
    out = []
    for blank in items:
        if (not isinstance(blank, tuple) or len(blank) != 3 or not isinstance(blank[0], str)
                or blank[1] not in BLANK_KINDS or not _is_int(blank[2])):
            raise RenderError(f"blanks must hold (node, kind, number) triples with kind one of "
                              f"{', '.join(BLANK_KINDS)}, such as ('n3', 'grad', 1); got {blank!r}")
        out.append((blank[0], blank[1], int(blank[2])))
    return tuple(out)


# ------------------------------------------------------------------ escaping


def html_text(text: Any) -> str:
    """Text for a Graphviz HTML-like label: ``& < > "`` escaped, so nothing becomes markup."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", " ")
    )


def dot_string(text: Any) -> str:
    """A DOT double-quoted string; backslashes doubled so Graphviz escapes (``\\N``) stay literal."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


# ------------------------------------------------------------------ inputs


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
    from .ops import OPS

    spec = OPS.get(op or "")
    return spec.symbol if spec is not None else str(op)


def step_state(res: Any, k: int) -> StepState:
    """The state after the first ``k`` trace steps (0 = bare graph, ``len(trace)`` = full backward pass).

    Unlike :func:`graphviz_nn.engine.state_at`, which clamps ``k``, an out-of-range step is an error
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


# ------------------------------------------------------------------ labels


@dataclass(frozen=True)
class _Ctx:
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

    @property
    def digits(self) -> int:
        return min(self.opts.digits, 3) if self.compact else self.opts.digits


def _font(text: str, color: str | None = None, size: float | None = None, bold: bool = False) -> str:
    out = f"<B>{text}</B>" if bold else text
    attrs = ""
    if color:
        attrs += f' COLOR="{color}"'
    if size:
        attrs += f' POINT-SIZE="{size:g}"'
    return f"<FONT{attrs}>{out}</FONT>" if attrs else out


def _tensor_html(value: Any, ctx: _Ctx, prefix: str, color: str) -> str:
    """A value as label HTML: scalar text, an entry grid, or a summary."""
    text = numfmt.format_tensor(value, ctx.digits, grid_max=0 if ctx.compact else numfmt.GRID_MAX)
    if text.scalar is not None:
        return _font(html_text(prefix + text.scalar), color)
    if text.grid is not None:
        rows = "".join(
            "<TR>" + "".join(f"<TD>{_font(html_text(cell), color)}</TD>" for cell in row) + "</TR>"
            for row in text.grid
        )
        grid = f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">{rows}</TABLE>'
        head = _font(html_text(prefix.strip()), color) if prefix.strip() else ""
        return f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR><TD>{head}</TD><TD>{grid}</TD></TR></TABLE>'
    return _font(html_text(f"{prefix}{text.summary}"), color)


def _role(data: dict) -> str:
    if data.get("kind") == "input":
        return "input"
    if data.get("kind") == "constant":
        return "constant"
    return "named" if data.get("name") else "op"


def _has_aux(data: dict, theme: Theme, compact: bool = False) -> bool:
    if data.get("kind") != "op" or compact:
        return False
    return theme.aux_ops == "all" or (theme.aux_ops == "named" and bool(data.get("name")))


def _out_edges(graph: nx.MultiDiGraph, node: str) -> list[tuple[str, str, int, dict]]:
    order = {n: i for i, n in enumerate(graph.nodes)}
    edges = [(u, v, k, d) for u, v, k, d in graph.out_edges(node, keys=True, data=True)]
    return sorted(edges, key=lambda e: (order[e[1]], e[2]))


def _edge_key(u: str, v: str, k: int, d: dict) -> tuple[str, str, int]:
    return (u, v, int(d.get("arg", k)))


def _blank_html(node: str, kind: str, ctx: _Ctx, prefix: str, color: str) -> str | None:
    """A worksheet blank ``____ (3)``, or in an answer key the number with its blank ``(3)``."""
    number = ctx.blanks.get((node, kind))
    if number is None:
        return None
    if ctx.opts.show_answers:
        value = ctx.graph.nodes[node].get("grad" if kind == "grad" else "value")
        answer = _tensor_html(value, ctx, prefix, color)
        return f"{answer} {_font(html_text(f'({number})'), ctx.theme.palette.path, bold=True)}"
    return _font(html_text(f"{prefix}____ ({number})"), ctx.theme.palette.path, bold=True)


def _grad_html(node: str, ctx: _Ctx, prefix: str) -> str:
    """The gradient row; where a value feeds several nodes, shown as the sum of contributions."""
    pal = ctx.theme.palette
    blank = _blank_html(node, "grad", ctx, prefix, pal.grad_text)
    if blank is not None:
        return blank
    if node not in ctx.state.grads:
        return _font(html_text(prefix + "?"), pal.pending_text)
    grad = ctx.state.grads[node]
    outs = _out_edges(ctx.graph, node)
    if ctx.opts.edge_mode in ("value", "both") and len(outs) > 1 and np.ndim(grad) == 0 and not ctx.compact:
        parts = [
            numfmt.format_number(d["contribution"], ctx.digits)
            for u, v, k, d in outs
            if _edge_key(u, v, k, d) in ctx.state.done_edges and d.get("contribution") is not None
        ]
        if len(parts) > 1:
            total = numfmt.format_number(grad, ctx.digits)
            summed = " + ".join(f"({p})" if p.startswith(numfmt.MINUS) else p for p in parts)
            return _font(html_text(f"{prefix}{summed} = {total}"), pal.grad_text)
    return _tensor_html(grad, ctx, prefix, pal.grad_text)


def _node_rows(node: str, ctx: _Ctx, title: str, bold: bool, summary: str = "", *,
               warning: str = "⚠ nan/inf", dim_pending_shape: bool = True) -> list[str]:
    """Pieces of a node label: title, shape, value, gradient, warnings, summary (rows stacked in
    the lecture and print themes, cells of micrograd's record)."""
    data = ctx.graph.nodes[node]
    pal = ctx.theme.palette
    pending = ctx.stepping and node not in ctx.state.computed
    rows = [_font(html_text(title), pal.pending_text if pending else None, bold=bold)] if title else []
    shape = tuple(data.get("shape") or ())
    if shape:
        dim = pending and dim_pending_shape
        rows.append(_font(html_text(numfmt.format_shape(shape)), pal.pending_text if dim else pal.note_text,
                          size=ctx.theme.fontsize - 2))
    if ctx.opts.show_values and data.get("value") is not None and not _label_is_value(data, ctx):
        blank = _blank_html(node, "value", ctx, ctx.theme.value_prefix, pal.value_text)
        if blank is not None:
            rows.append(blank)
        elif pending:
            rows.append(_font(html_text(ctx.theme.value_prefix + "?"), pal.pending_text))
        else:
            rows.append(_tensor_html(data["value"], ctx, ctx.theme.value_prefix, pal.value_text))
    if ctx.opts.show_grads and (data.get("grad") is not None or ctx.stepping):
        rows.append(_grad_html(node, ctx, ctx.theme.grad_prefix))
    if _nonfinite(node, ctx):
        rows.append(_font(warning, pal.nonfinite_border, bold=True))
    if summary:
        rows.append(_font(html_text(summary), pal.note_text, size=ctx.theme.edge_fontsize))
    return rows


def _label_is_value(data: dict, ctx: _Ctx) -> bool:
    """A constant labelled by its own value (``2``) needs no ``= 2`` row."""
    if data.get("kind") != "constant" or np.ndim(data.get("value")) != 0:
        return False
    return str(data.get("label")) == numfmt.format_number(data["value"], ctx.digits)


def _nonfinite(node: str, ctx: _Ctx) -> bool:
    data = ctx.graph.nodes[node]
    if not ctx.stepping:
        return bool(data.get("nonfinite"))
    shown = []
    if node in ctx.state.computed and data.get("value") is not None:
        shown.append(data["value"])
    if node in ctx.state.grads:
        shown.append(ctx.state.grads[node])
    return any(not numfmt.is_finite(v) for v in shown)


def _stack(rows: Iterable[str]) -> str:
    body = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'


def _record(node: str, ctx: _Ctx, title: str, style: NodeStyle, output: bool, summary: str = "") -> str:
    """micrograd's ``label | data | grad`` table."""
    cells = _node_rows(node, ctx, title, output, summary, warning="⚠", dim_pending_shape=False) or [" "]
    fill, border, _ = _colors(node, ctx, style, output)
    tds = "".join(f"<TD>{c}</TD>" for c in cells)
    outer = 3 if node in ctx.opts.highlight_nodes else 2 if output or node == ctx.state.current_node else 0
    return (
        f'<<TABLE BORDER="{outer}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
        f'BGCOLOR="{fill}" COLOR="{border}"><TR>{tds}</TR></TABLE>>'
    )


def _colors(node: str, ctx: _Ctx, style: NodeStyle, output: bool) -> tuple[str, str, float]:
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
    if ctx.stepping and node == ctx.state.current_node:
        border, width = pal.highlight, 3.0
    return fill, border, width


def _attrs(**attrs: Any) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        text = str(value)
        if text.startswith("<<") or (text.startswith("<") and text.endswith(">") and key == "label"):
            parts.append(f"{key}={text}")
        else:
            parts.append(f"{key}={dot_string(text)}")
    return " [" + " ".join(parts) + "]" if parts else ""


def _node_lines(node: str, ctx: _Ctx, summary: str = "") -> list[str]:
    """DOT statements for one DAG node (and its auxiliary operation node, if any)."""
    data = ctx.graph.nodes[node]
    theme = ctx.theme
    output = node == ctx.graph.graph.get("output")
    role = _role(data)
    aux = _has_aux(data, theme, ctx.compact)
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
        label = _stack(_node_rows(node, ctx, title, bold=output or role == "input", summary=summary))
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
    lines = [f"  {dot_string(node)}" + _attrs(id=node, **{"class": " ".join(classes)}, tooltip=_tooltip(data), **attrs)]
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
            + _attrs(
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
                label=f"<{_font(html_text(symbol), ctx.theme.palette.pending_text if pending else None)}>",
            )
        )
        lines.append(
            f"  {dot_string(node + '_op')} -> {dot_string(node)}"
            + _attrs(id=f"{node}_op-{node}", **{"class": "aux path" if on_path else "aux"}, arrowsize="0.6",
                     color=ctx.theme.palette.path if on_path else None, penwidth="3" if on_path else None,
                     style="dashed" if on_path else None)
        )
    return lines


def _tooltip(data: dict) -> str:
    kind = data.get("kind", "")
    name = data.get("name")
    op = data.get("op")
    parts = [str(kind)] + ([f"op {op}"] if op else []) + ([f"name {name}"] if name else [])
    return ", ".join(parts)


def _formula_text(key: Edge, ctx: _Ctx) -> str | None:
    """The local derivative's formula in plain text (``a1``, ``1[z1 > 0]``), if short enough."""
    from .chainrule import latex_to_text

    latex = ctx.formulas.get(key)
    if not latex:
        return None
    text = latex_to_text(latex)
    if text.startswith("-"):
        text = numfmt.MINUS + text[1:]
    return text if len(text) <= FORMULA_MAX else None


def _edge_html(u: str, v: str, k: int, d: dict, ctx: _Ctx, mode: str = "value") -> str | None:
    """``local 2`` and ``−4 × 2 = −8``: the chain-rule term that flowed back along an edge.

    ``mode="formula"`` writes the local derivative symbolically (``local a1``), at every step;
    ``"both"`` writes ``local a1 = 2`` and the term once it has flowed.
    """
    key = _edge_key(u, v, k, d)
    pal = ctx.theme.palette
    formula = _formula_text(key, ctx) if mode in ("formula", "both") else None
    done = key in ctx.state.done_edges and d.get("contribution") is not None
    if mode == "formula" or (mode == "both" and not done):
        return _stack([_font(html_text(f"local {formula}"), pal.edge_text)]) if formula else None
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
        rows.append(_font(html_text(f"local {shown}"), pal.edge_text))
        up, lo, co = (numfmt.format_number(x, digits) for x in (upstream, local, contribution))
        lo = f"({lo})" if lo.startswith(numfmt.MINUS) else lo
        rows.append(_font(html_text(f"{up} × {lo} = {co}"), pal.edge_grad_text))
    else:
        if formula:
            rows.append(_font(html_text(f"local {formula}"), pal.edge_text))
        elif local is not None:
            rows.append(_font(html_text("local " + numfmt.format_tensor(local, digits).one_line()), pal.edge_text))
        text = numfmt.format_tensor(contribution, digits)
        shown = text.one_line() if text.scalar is not None or text.grid is not None else text.shape_text
        rows.append(_font(html_text(f"← {shown}"), pal.edge_grad_text))
    return _stack(rows)


def _edge_lines(ctx: _Ctx, entry: dict[str, str]) -> list[str]:
    lines = []
    current = ctx.state.current_edge if ctx.stepping else None
    mode = ctx.opts.edge_mode
    pal = ctx.theme.palette
    for u, v, k, d in ctx.graph.edges(keys=True, data=True):
        key = _edge_key(u, v, k, d)
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
            + _attrs(
                id=f"{u}-{v}-{key[2]}",
                **{"class": "arg path" if on_path else "arg"},
                color=color,
                penwidth="3" if is_current or on_path else None,
                arrowsize="1" if on_path else None,
                style="dashed" if pending or on_path else None,
                label=label,
            )
        )
    return lines


# ------------------------------------------------------------------ graph


def _notes(ctx: _Ctx, grouping: Grouping | None) -> list[str]:
    """Lines under the title: what a step did, what was collapsed, the gradient legend."""
    notes = []
    graph = ctx.graph
    state = ctx.state
    if ctx.stepping:
        notes.append(_describe_step(state, ctx.total_steps, graph, ctx.digits))
    if grouping is not None:
        notes.extend(grouping.notes)
    if ctx.opts.show_grads and not ctx.theme.records:
        notes.append(f"{ctx.theme.grad_prefix.strip()} ∂{output_symbol(graph)}/∂node")
    return notes


def _describe_step(state: StepState, total: int, graph: nx.MultiDiGraph, digits: int) -> str:
    head = f"step {state.step} of {total}"
    step = state.current
    if step is None:
        return head + ": the bare graph"
    label = str(graph.nodes[step.node].get("label", step.node)) if step.node in graph else str(step.node)
    if step.phase == "forward":
        return f"{head} (forward): {label} = {numfmt.format_tensor(step.value, digits).one_line()}"
    if step.edge is None:
        return f"{head} (backward): seed ∂{label}/∂{label} = 1"
    src = step.edge[0]
    src_label = str(graph.nodes[src].get("label", src)) if src in graph else str(src)
    flowed = numfmt.format_tensor(step.contribution, digits)
    flowed_text = flowed.one_line() if flowed.scalar is not None or flowed.grid is not None else flowed.shape_text
    return f"{head} (backward): {label} → {src_label} adds {flowed_text}"


def to_dot(res: Any, options: RenderOptions | None = None) -> str:
    """The DOT source for an evaluation (``gnn.evaluate(...)``) or a bare graph; no binary runs.

    Deterministic: the same graph and options always give the same text.
    """
    opts = options if options is not None else RenderOptions()
    if not isinstance(opts, RenderOptions):
        raise RenderError("options must be a RenderOptions")
    graph, trace = graph_and_trace(res)
    theme = get_theme(opts.theme, opts.background)
    stepping = opts.step is not None
    if stepping:
        state = step_state(res, int(opts.step))  # type: ignore[arg-type]
    else:
        state = final_state(graph)
    compact = opts.detail == "compact" or (opts.detail == "auto" and (
        graph.number_of_nodes() >= opts.large_graph or _many_long_edges(graph)))
    _check_ids(graph, opts)
    formulas: dict[Edge, str] = {}
    if opts.edge_mode in ("formula", "both") and not compact:
        from .chainrule import edge_formulas

        formulas = edge_formulas(graph)
    blanks = {(node, kind): number for node, kind, number in opts.blanks}
    path_targets = frozenset(v for _, v, _ in opts.highlight_edges)
    ctx = _Ctx(graph, opts, theme, state, stepping, compact, len(trace), formulas, blanks, path_targets)
    grouping = group_nodes(graph) if compact else None

    pal = theme.palette
    notes = _notes(ctx, grouping)
    graph_label = _graph_label(opts.title, notes, theme)
    lines = [
        "digraph computation {",
        "  graph"
        + _attrs(
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
        "  node" + _attrs(fontname=theme.fontname, fontsize=f"{theme.fontsize:g}", fontcolor=pal.text,
                          margin="0.08,0.04"),
        "  edge" + _attrs(color=pal.edge, fontname=theme.fontname, fontsize=f"{theme.edge_fontsize:g}",
                          fontcolor=pal.edge_text, arrowsize="0.7"),
    ]
    if grouping is None:
        entry = {n: (n + "_op" if _has_aux(graph.nodes[n], theme) else n) for n in graph.nodes}
        for node in graph.nodes:
            lines.extend(_node_lines(node, ctx))
        lines.extend(_edge_lines(ctx, entry))
    else:
        lines.extend(_grouped_lines(ctx, grouping))
    lines.append("}")
    return "\n".join(lines) + "\n"


LONG_EDGE_LIMIT = 30
"""Edges from inputs feeding more than 4 operations that make a graph of 100+ nodes draw compactly."""


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
    for node in sorted(opts.highlight_nodes | {b[0] for b in opts.blanks}):
        if node not in graph:
            raise RenderError(f"unknown node {node!r}; the graph has nodes n0 to n{graph.number_of_nodes() - 1}")
    if opts.highlight_edges:
        edges = {_edge_key(u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True)}
        for edge in sorted(opts.highlight_edges - edges):
            raise RenderError(f"unknown edge {edge!r}: no edge from {edge[0]} to {edge[1]} at argument {edge[2]}")


def _graph_label(title: str | None, notes: list[str], theme: Theme) -> str | None:
    rows = []
    if title:
        rows.append(_font(html_text(title), bold=True))
    rows.extend(_font(html_text(n), theme.palette.note_text, size=theme.edge_fontsize) for n in notes)
    if not rows:
        return None
    body = "".join(f'<TR><TD ALIGN="LEFT">{r}</TD></TR>' for r in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'


def _grouped_lines(ctx: _Ctx, grouping: Grouping) -> list[str]:
    """One box per cluster (its named result, or a summary box), shared inputs, merged edges."""
    pal = ctx.theme.palette
    by_rep = {g.rep: g for g in grouping.groups}
    lines: list[str] = []
    for node in ctx.graph.nodes:
        if grouping.rep_of.get(node) == node:
            group = by_rep.get(node)
            lines.extend(_node_lines(node, ctx, group.summary if group else ""))
    for group in grouping.groups:
        if not group.named:
            text = f"{group.title}: {group.summary}"
            lines.append(
                f"  {dot_string(group.rep)}"
                + _attrs(id=group.rep, **{"class": "collapsed"}, shape="box3d", style="filled",
                         fillcolor=pal.pending_fill, color=pal.cluster_border,
                         label=f"<{_font(html_text(text), pal.text)}>")
            )
    for src, dst, count in grouping.edges:
        lines.append(
            f"  {dot_string(src)} -> {dot_string(dst)}"
            + _attrs(id=f"{src}-{dst}", **{"class": "collapsed"},
                     penwidth=f"{min(1 + 0.5 * (count - 1), 4):g}" if count > 1 else None)
        )
    return lines


def render_svg(res: Any, **options: Any) -> str:
    """SVG text of the picture (this is ``gnn.render``); options as in :class:`RenderOptions`."""
    from .export import export_bytes

    return export_bytes(res, "svg", RenderOptions.from_kwargs(**options)).decode("utf-8")
