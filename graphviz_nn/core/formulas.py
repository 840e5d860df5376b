"""One node of a built graph as a user reads it: its formula over its operands (``a = x × y``)
or, for an unnamed operation, the formula written out a few levels deep (``sin(x × y)``)."""

from __future__ import annotations

import networkx as nx

from ..language.printer import format_number
from ..ops import OPS, OpSpec, fill

__all__ = ["node_formula", "node_text"]


def node_formula(graph: nx.MultiDiGraph, node: str) -> str:
    """A one-line formula for a node in terms of its operands, e.g. ``a = x × y``; unnamed
    operands are written out (``sin(x × y)``), never by an internal id."""
    attrs = graph.nodes[node]
    if attrs["kind"] != "op":
        return attrs["kind"]
    body = _op_text(graph, node, _FORMULA_DEPTH)
    return f"{attrs['label']} = {body}" if attrs["name"] else body


#: How many levels of unnamed operations a formula writes out before ``…``.
_FORMULA_DEPTH = 4


def node_text(graph: nx.MultiDiGraph, node: str, depth: int = _FORMULA_DEPTH) -> str:
    """A node as a user knows it: its name or label (``x``, ``a1``, ``2``), or for an unnamed
    operation its formula (``sin(x × y)``), ``depth`` levels deep and ``…`` below."""
    attrs = graph.nodes[node]
    if attrs["kind"] != "op" or attrs["name"]:
        return str(attrs["label"])
    return _op_text(graph, node, depth)


def _marked(spec: OpSpec) -> bool:
    """An op written as a sign before or a mark after its operand (``−x``, ``xᵀ``), not called."""
    return not spec.called and bool(spec.prefix_power or spec.postfix_power)


def _op_text(graph: nx.MultiDiGraph, node: str, depth: int) -> str:
    attrs = graph.nodes[node]
    spec = OPS[attrs["op"]]

    def operand(arg: str) -> str:
        data = graph.nodes[arg]
        if data["kind"] != "op" or data["name"]:
            return str(data["label"])
        if depth <= 1:
            return "…"
        text = _op_text(graph, arg, depth - 1)
        inner = OPS[data["op"]]
        bracket = inner.infix or (_marked(inner) and inner.prefix_power > 0)
        return f"({text})" if bracket and (spec.infix or _marked(spec)) else text

    names = [operand(a) for a in attrs["args"]]
    if spec.infix:
        return f" {spec.symbol} ".join(names)
    if _marked(spec) or not spec.text:  # −x, xᵀ; a named copy is its operand
        return fill(spec.plain, names)
    extra = [format_number(v) for v in attrs["params"].values()]
    return f"{spec.text}({', '.join(names + extra)})"
