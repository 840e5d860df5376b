"""Edge terms: the local derivative ∂target/∂source on every edge a gradient flows back along,
as a formula and a value, and the edge panel's aligned LaTeX block.

>>> from graphviz_nn import evaluate
>>> [(t.name_plain, t.formula_latex, t.value_plain) for t in edge_terms(evaluate("x*y", {"x": 2, "y": 3}))]
[('∂f/∂x', 'y', '3'), ('∂f/∂y', 'x', '2')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..notation.derivatives import in_product, local_latex
from ..notation.formulas import node_ref, partial
from ..notation.numfmt import format_number, latex_number

__all__ = ["EDGE_MODES", "EdgeTerm", "edge_terms", "edge_terms_latex"]

#: What the edge panel writes on each edge: the local derivative's formula, its value, or both.
EDGE_MODES = ("formula", "value", "both")


@dataclass(frozen=True)
class EdgeTerm:
    """The local derivative on one edge ``source -> target``: ∂target/∂source.

    ``formula_latex`` is empty where the op has no elementwise derivative (a matrix product,
    a sum): there the gradient flows back as a vector-Jacobian product and ``value`` is empty.
    """

    edge: tuple[str, str, int]
    name_plain: str
    name_latex: str
    formula_latex: str
    value_plain: str
    value_latex: str


def edge_terms(res: Any, digits: int = 4) -> list[EdgeTerm]:
    """Every edge a gradient flows back along, in the order of the backward pass."""
    graph = res.graph
    memo: dict = {}
    terms = []
    for step in res.trace:
        if step.edge is None:
            continue
        source, target, arg = step.edge
        name_plain, name_latex = partial(node_ref(graph, target, digits, memo), node_ref(graph, source, digits, memo))
        formula = in_product(local_latex(graph, target, int(arg), lambda n: node_ref(graph, n, digits, memo), digits))
        local = step.local
        value_plain = format_number(local, digits) if local is not None else ""
        value_latex = latex_number(local, digits) if local is not None else ""
        terms.append(EdgeTerm((source, target, int(arg)), name_plain, name_latex, formula,
                              value_plain, value_latex))
    return terms


def edge_terms_latex(terms: Sequence[EdgeTerm], mode: str = "both") -> str:
    r"""The edge terms as one aligned LaTeX block: ``∂z/∂w = x = 1`` per line (``mode`` picks).

    >>> edge_terms_latex([EdgeTerm(("n0", "n2", 0), "∂f/∂x", r"\frac{\partial f}{\partial x}", "y", "3", "3")], "both")
    '\\begin{aligned}\\frac{\\partial f}{\\partial x} &= y = 3\\end{aligned}'
    """
    if mode not in EDGE_MODES:
        raise ValueError(f"mode must be one of {', '.join(EDGE_MODES)}, got {mode!r}")
    lines = []
    for term in terms:
        parts = []
        if mode in ("formula", "both"):
            parts.append(term.formula_latex or r"\text{(Jacobian)}")
        if mode in ("value", "both"):
            parts.append(term.value_latex or r"\text{(vector-Jacobian product)}")
        parts = parts[:1] if len(parts) == 2 and parts[0] == parts[1] else parts
        lines.append(term.name_latex + " &= " + " = ".join(parts))
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"
