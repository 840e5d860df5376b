"""Formulas of a graph's nodes, in plain text and LaTeX at once, from the op registry.

A node reads as its name, its number or its op's templates filled with its operands
(``x·y``, ``\\frac{x}{y}``); brackets come from :meth:`graphviz_nn.ops.OpSpec.brackets`, the one
rule every printer uses. Long formulas are expanded only as deep as fits a budget (``…`` below).

>>> from graphviz_nn import evaluate
>>> res = evaluate("sqrt(x + 1) - -y", {"x": 3, "y": 2})
>>> symbolic, values = node_formula(res.graph, res.graph.graph["output"])
>>> symbolic.plain, values.plain, symbolic.latex
('√(x + 1) − (−y)', '√(3 + 1) − (−2)', '\\\\sqrt{x + 1} - \\\\left(-y\\\\right)')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..ops import ATOM, OPS, fill
from . import numfmt
from .symbols import latex_constant, latex_name

__all__ = ["Expr", "FORMULA_BUDGET", "REF_BUDGET", "node_formula", "node_expr", "node_ref", "node_ref_text", "partial",
           "partial_text", "output_ref", "in_edges", "leaf", "bracketed"]

#: Expanded formulas longer than this many characters fall back to one level (operands by value).
FORMULA_BUDGET = 60
#: Longest formula used to refer to an unnamed node in ∂-notation before it is shortened.
REF_BUDGET = 24


@dataclass(frozen=True)
class Expr:
    """One formula in both forms, with the binding power of its outermost operator."""

    plain: str
    latex: str
    power: int
    bare: "Expr | None" = None
    """A negative number's text without the brackets it carries (``−1.5`` for ``(−1.5)``), for a
    place that brackets it already (``sin(−1.5)``)."""


def bracketed(expr: Expr) -> Expr:
    """The formula in brackets: an atom."""
    return Expr(f"({expr.plain})", rf"\left({expr.latex}\right)", ATOM)


def _operand(op: str, i: int, expr: Expr) -> Expr:
    """Operand ``i`` of ``op`` with the brackets each form needs (a fraction or an exponent
    shows its parts apart in LaTeX, so only the plain text brackets them there)."""
    spec = OPS[op]
    if expr.bare is not None:  # a bracketed negative number: bare where the template encloses it
        plain = expr.plain if spec.brackets(i, 0, "plain") else expr.bare.plain
        latex = expr.latex if spec.brackets(i, 0, "latex") else expr.bare.latex
        return Expr(plain, latex, ATOM)
    signed = expr.plain.startswith("−")
    plain = spec.brackets(i, expr.power, "plain", signed)
    latex = spec.brackets(i, expr.power, "latex", signed)
    if not plain and not latex:
        return expr
    return Expr(f"({expr.plain})" if plain else expr.plain,
                rf"\left({expr.latex}\right)" if latex else expr.latex, ATOM if plain else expr.power)


def leaf(data: dict[str, Any], value_mode: bool, digits: int) -> Expr:
    """A node written as a leaf: its value, or its name (or a constant's label)."""
    if value_mode:
        value = data.get("value")
        plain, latex = numfmt.format_number(value, digits), numfmt.latex_number(value, digits)
        if numfmt.is_negative(value):
            return Expr(f"({plain})", rf"\left({latex}\right)", ATOM, Expr(plain, latex, ATOM))
        return Expr(plain, latex, ATOM)
    name = data.get("name")
    label = str(data.get("label") or name or "?")
    if name:
        return Expr(label, latex_name(str(name)), ATOM)
    return Expr(label, latex_constant(label), ATOM)


def in_edges(graph: Any, node: str) -> list[tuple[str, int]]:
    """Operands of ``node`` in argument order, as (source, arg)."""
    edges = [(u, int(d.get("arg", k))) for u, _, k, d in graph.in_edges(node, keys=True, data=True)]
    return sorted(edges, key=lambda e: e[1])


def _combine(graph: Any, node: str, operands: Sequence[Expr]) -> Expr:
    data = graph.nodes[node]
    op = data.get("op")
    spec = OPS.get(op or "")
    if spec is None:  # not an op of the registry: written as a call, never raised
        name = str(op or data.get("label") or "?")
        return Expr(f"{name}({', '.join(e.plain for e in operands)})",
                    rf"\operatorname{{{name}}}\left({', '.join(e.latex for e in operands)}\right)", ATOM)
    if op == "identity" and operands:
        return operands[0]
    wrapped = [_operand(str(op), i, e) for i, e in enumerate(operands)]
    plain_params = spec.fill_params(data.get("params"), numfmt.format_number)
    latex_params = spec.fill_params(data.get("params"), numfmt.latex_number)
    return Expr(fill(spec.plain, [e.plain for e in wrapped], **plain_params),
                fill(spec.latex, [e.latex for e in wrapped], **latex_params), spec.power)


class _TooLong(Exception):
    """A formula outgrew its budget while it was being written out."""


_ELIDED = Expr("…", r"\cdots", ATOM)


def _expand(graph: Any, node: str, value_mode: bool, digits: int, top: bool, depth: int = 0,
            budget: int | None = None, limit: int = 12) -> Expr:
    """The formula of ``node``: named nodes and leaves by name (or value), unnamed ops expanded
    ``limit`` levels deep and ``…`` below that. With a ``budget``, stop with :class:`_TooLong`
    as soon as a part is longer (a formula contains its parts, so the whole would be too),
    which keeps the work bounded."""
    data = graph.nodes[node]
    if not top and (data.get("kind") != "op" or data.get("name")):
        return leaf(data, value_mode, digits)
    if not top and depth >= limit:
        return _ELIDED
    operands = [_expand(graph, src, value_mode, digits, False, depth + 1, budget, limit)
                for src, _ in in_edges(graph, node)]
    expr = _combine(graph, node, operands)
    if budget is not None and len(expr.plain) > budget:
        raise _TooLong
    return expr


def _shortened(graph: Any, node: str, budget: int, digits: int) -> Expr:
    """The symbolic formula of ``node`` expanded as deep as fits in ``budget`` characters
    (``sin(…)/z``); at least one level, however long. Never a node id."""
    best = _expand(graph, node, False, digits, True, limit=1)
    for limit in range(2, 13):
        try:
            deeper = _expand(graph, node, False, digits, True, budget=budget, limit=limit)
        except _TooLong:
            break
        if deeper == best:
            break
        best = deeper
    return best


def _one_level(graph: Any, node: str, value_mode: bool, digits: int) -> Expr:
    """The formula of ``node``: symbolic, as deep as fits in :data:`FORMULA_BUDGET`; with
    values, each operand shown as its value."""
    if not value_mode:
        return _shortened(graph, node, FORMULA_BUDGET, digits)
    operands = [leaf(graph.nodes[src], True, digits) for src, _ in in_edges(graph, node)]
    return _combine(graph, node, operands)


def node_formula(graph: Any, node: str, digits: int = 4) -> tuple[Expr, Expr]:
    """(symbolic formula, formula with values) of an op node, short enough to read.

    Unnamed operands are expanded (``x·y`` rather than an internal id) while the formula stays
    under :data:`FORMULA_BUDGET` characters; longer ones expand as deep as fits, ``…`` below,
    and the formula with values shows one level (operands by value).
    """
    try:
        symbolic = _expand(graph, node, False, digits, True, budget=FORMULA_BUDGET)
    except _TooLong:
        return _one_level(graph, node, False, digits), _one_level(graph, node, True, digits)
    return symbolic, _expand(graph, node, True, digits, True)


def node_expr(graph: Any, node: str, depth: int, digits: int = 6) -> Expr:
    """A node by name (or label), or an anonymous op's whole formula ``depth`` levels deep
    (``\\cdots`` below): how the chain-rule panel names the ends of its factors."""
    data = graph.nodes[node]
    if data.get("kind") != "op" or data.get("name"):
        return leaf(data, False, digits)
    return _expand(graph, node, False, digits, True, limit=depth)


def output_ref(graph: Any) -> Expr:
    """The output as ∂-notation names it: its name, or ``f``."""
    out = graph.graph.get("output")
    data = graph.nodes[out] if out in graph.nodes else {}
    if data.get("name"):
        return Expr(str(data.get("label") or data["name"]), latex_name(str(data["name"])), ATOM)
    return Expr("f", "f", ATOM)


def node_ref(graph: Any, node: str, digits: int, memo: dict | None = None) -> Expr:
    """How a node is referred to in ∂-notation: its name, or its (short) formula (``memo``
    keeps what one pass over the steps has already worked out)."""
    if memo is not None:
        key = ("ref", node, digits)
        found = memo.get(key)
        if found is None:
            found = memo[key] = node_ref(graph, node, digits)
        return found
    data = graph.nodes[node]
    if node == graph.graph.get("output"):
        return output_ref(graph)
    if data.get("kind") != "op" or data.get("name"):
        return leaf(data, False, digits)
    # The whole formula when it fits in the budget, else expanded as deep as fits: a deeper
    # expansion is never shorter (``…`` becomes a part at least one character long), so this
    # is also what shortening the formula of :func:`node_formula` would give.
    return _shortened(graph, node, REF_BUDGET, digits)


def node_ref_text(graph: Any, node: str, digits: int = 4, memo: dict | None = None) -> str:
    """A node in plain text as the captions name it: ``a1``, ``x·y``, ``f`` for an unnamed output
    (``memo`` as for :func:`node_ref`)."""
    return node_ref(graph, node, digits, memo).plain


def partial(out: Expr, wrt: Expr) -> tuple[str, str]:
    """``∂out/∂wrt`` in plain text and LaTeX, compound parts in brackets."""
    if out.power < ATOM:
        out = bracketed(out)
    plain_wrt = wrt.plain if wrt.power >= ATOM else f"({wrt.plain})"
    latex_wrt = wrt.latex if wrt.power >= ATOM else rf"\left({wrt.latex}\right)"
    return f"∂{out.plain}/∂{plain_wrt}", rf"\frac{{\partial {out.latex}}}{{\partial {latex_wrt}}}"


def partial_text(graph: Any, top: str, node: str, digits: int = 4) -> str:
    """``∂top/∂node`` in plain text (``∂L/∂a1``, ``∂f/∂(x·y)``)."""
    return partial(node_ref(graph, top, digits), node_ref(graph, node, digits))[0]
