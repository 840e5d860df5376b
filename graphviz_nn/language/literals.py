"""What a parsed expression says without values: the number a literal stands for, the value of
an expression of constants only (``1/2``, ``2pi``), and notes on powers of 1 that may be layer
indices.

>>> from graphviz_nn.language.parser import parse
>>> float(constant_value(parse("2*pi/4").statements[0]))
1.5707963267948966
"""

from __future__ import annotations

import numpy as np

from ..ops import CONSTANTS, OPS
from .syntax import ArrayLit, Call, Const, Expr, Num, Var

__all__ = ["index_notes", "literal_value", "constant_value"]


def index_notes(unit_powers: list[tuple[str, tuple[int, int]]], source: str) -> list[tuple[str, tuple[int, int]]]:
    """A warning for each name raised to the power 1 (``w^1``, ``w_0^1``, as seed sheets write
    layer 1's weights): nobody writes x¹ for x, so the 1 is likely a layer index."""
    notes = []
    for name, span in unit_powers:
        typed = source[span[0]:span[1]]
        notes.append((f"'{typed}' is read as the power {name}¹ = {name}; if 1 is a layer index, write "
                      f"{_index_spelling(typed)} (a name of its own)", span))
    return notes


def _index_spelling(typed: str) -> str:
    """``w_0^1`` -> ``w_0^{(1)}``: the layer-index spelling of a power of 1 as typed."""
    base = typed[:typed.rindex("^")].rstrip()
    return base + "^{(1)}"


def literal_value(expr: Expr) -> float | np.ndarray | None:
    """The number or array a literal stands for (``-2``, ``[1, 2]``), else ``None``."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, ArrayLit):
        return expr.value
    if isinstance(expr, Call) and expr.op == "neg":
        inner = literal_value(expr.args[0])
        return None if inner is None else -inner
    return None


def constant_value(expr: Expr) -> float | np.ndarray | None:
    """The value of an expression without variables (``pi``, ``1/2``, ``2*0.1``), else ``None``."""
    done: dict[int, object] = {}
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        item, expanded = stack.pop()
        if isinstance(item, Var) or (isinstance(item, Call) and item.op in ("juxt", "concat") and expanded
                                     and any(np.ndim(done[id(a)]) for a in item.args)):
            return None
        if isinstance(item, Num):
            done[id(item)] = item.value
        elif isinstance(item, Const):
            done[id(item)] = CONSTANTS[item.name]
        elif isinstance(item, ArrayLit):
            done[id(item)] = item.value
        elif not expanded:
            stack.append((item, True))
            stack.extend((a, False) for a in item.args)
        else:
            op = "mul" if item.op == "juxt" else item.op
            with np.errstate(all="ignore"):
                done[id(item)] = OPS[op].forward(*(done[id(a)] for a in item.args), **dict(item.params))
    return done[id(expr)]  # type: ignore[return-value]
