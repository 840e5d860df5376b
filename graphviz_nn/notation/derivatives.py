"""Local derivatives in LaTeX: ∂target/∂operand from the registry's templates, one printer for
the captions, the edge terms, the chain-rule panel, the drawn edge labels and TikZ.

The template's parameters come in as numbers (``leaky_relu``'s slope reads ``0.2`` wherever
the derivative is shown), its operands as the caller names them (a name, a short formula), in
brackets where the formula needs them; ``u^c`` with a constant ``c`` is simplified.

>>> from graphviz_nn import evaluate
>>> from graphviz_nn.notation.formulas import node_ref
>>> res = evaluate("a = leaky_relu(z, 0.2); L = (a - y)^2", {"z": -1, "y": 2})
>>> ref = lambda node: node_ref(res.graph, node, 4)
>>> local_latex(res.graph, "n1", 0, ref, 4)
'\\\\mathbb{1}\\\\left[z > 0\\\\right] + 0.2\\\\,\\\\mathbb{1}\\\\left[z \\\\le 0\\\\right]'
>>> local_latex(res.graph, "n5", 0, ref, 4)
'2\\\\,\\\\left(a - y\\\\right)'
>>> local_forms(res.graph, "n5", 0, ref, 4).plain
'2 (a − y)'
"""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from ..ops import ATOM, OPS, fill
from . import numfmt
from .formulas import Expr, bracketed, in_edges
from .plaintext import latex_to_text

__all__ = ["local_forms", "local_latex", "power_rule", "in_product"]


def power_rule(base: Expr, c: float, digits: int) -> str:
    r"""d/du u^c with a constant c, simplified: ``2\, x``, ``3\, x^{2}``, ``-x^{-2}``.

    >>> power_rule(Expr("g − y", "g - y", 10), 2.0, 4)
    '2\\,\\left(g - y\\right)'
    """
    if c == 0:
        return "0"
    if c == 1:
        return "1"
    tex = base.latex if base.power >= ATOM and "^" not in base.latex else rf"\left({base.latex}\right)"
    coef = numfmt.latex_number(c, digits)
    power = "" if c - 1 == 1 else "^{" + numfmt.latex_number(c - 1, digits) + "}"
    return f"{coef}\\,{tex}{power}"


def local_forms(graph: Any, target: str, arg: int, ref: Callable[[str], Expr], digits: int) -> Expr:
    """∂target/∂(operand ``arg``) in plain text and LaTeX, operands named by ``ref`` (each form
    gets the operand's own spelling: ``ŷ`` and ``\\hat{y}``); empty texts where the op has no
    formula (it is not in the registry or declares none)."""
    data = graph.nodes[target]
    spec = OPS.get(data.get("op") or "")
    if spec is None or not spec.derivative_latex:
        return Expr("", "", ATOM)
    args = in_edges(graph, target)
    if spec.name == "pow" and arg == 0 and len(args) == 2:
        exponent = graph.nodes[args[1][0]]
        if exponent.get("kind") == "constant" and np.ndim(exponent.get("const")) == 0:
            base, c = ref(args[0][0]), float(exponent["const"])
            plain = Expr(base.plain, base.plain, base.power)  # the plain name in the LaTeX rule's place
            return Expr(latex_to_text(power_rule(plain, c, digits)), power_rule(base, c, digits), ATOM)
    template = spec.derivative_template(arg, data.get("params"), lambda v: numfmt.latex_number(v, digits))
    operands = []
    for i, (src, _) in enumerate(args):
        operand = ref(src)
        is_base = "{%d}^" % i in template
        # a sum or difference is bracketed everywhere; anything else only as a base, and a
        # base with its own superscript (e^{x}) too, which TeX would read as a double superscript
        needs = (operand.power < ATOM and (is_base or operand.power <= OPS["add"].binding_power)) or (
            is_base and "^" in operand.latex)
        operands.append(bracketed(operand) if needs else operand)
    # plain names (ŷ, x₁₀) go into the LaTeX template as they are: the text rules leave them alone
    plain = latex_to_text(fill(template, [o.plain for o in operands]))
    return Expr(plain, fill(template, [o.latex for o in operands]), ATOM)


def local_latex(graph: Any, target: str, arg: int, ref: Callable[[str], Expr], digits: int) -> str:
    """∂target/∂(operand ``arg``) in LaTeX (see :func:`local_forms`); ``""`` without a formula."""
    return local_forms(graph, target, arg, ref, digits).latex


def in_product(text: str) -> str:
    r"""A derivative as a factor of a product: bracketed when it is a sum or starts with a sign.

    >>> in_product("1 - \\tanh^2\\left(x\\right)"), in_product("2\\,\\left(x - y\\right)")
    ('\\left(1 - \\tanh^2\\left(x\\right)\\right)', '2\\,\\left(x - y\\right)')
    """
    top, depth = [], 0
    for piece in re.split(r"(\\left|\\right)", text):  # only what sits outside \left( … \right)
        depth += (piece == "\\left") - (piece == "\\right")
        if depth == 0 and piece not in ("\\left", "\\right"):
            top.append(piece)
    bare = "".join(top)
    loose = text.startswith("-") or " + " in bare or " - " in bare
    return rf"\left({text}\right)" if loose else text
